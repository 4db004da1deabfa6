package scorm

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Helpers here start with z (for zip) so that they cannot clash with those
// of the manifest tests, which share this package.

// zManifest is the smallest manifest; Extract never parses it.
const zManifest = `<?xml version="1.0"?><manifest identifier="m"/>`

// zEntry is one entry of a zip built by a test.
type zEntry struct {
	hdr  zip.FileHeader
	body []byte
	// raw writes body as it is with CreateRaw: hdr must then carry the
	// method, sizes and CRC, which is how tests forge headers that
	// zip.Writer would never produce.
	raw bool
}

// zFile is a deflated entry.
func zFile(name, body string) zEntry {
	return zEntry{hdr: zip.FileHeader{Name: name, Method: zip.Deflate}, body: []byte(body)}
}

// zStored is an entry kept uncompressed, so tests can find its bytes in the zip.
func zStored(name, body string) zEntry {
	return zEntry{hdr: zip.FileHeader{Name: name, Method: zip.Store}, body: []byte(body)}
}

// zDir is a folder entry.
func zDir(name string) zEntry {
	return zEntry{hdr: zip.FileHeader{Name: name, Method: zip.Store}}
}

// zWith returns e after edit has changed its header.
func zWith(e zEntry, edit func(*zip.FileHeader)) zEntry {
	edit(&e.hdr)
	return e
}

// zClaiming is an entry whose header declares size uncompressed bytes while
// its deflate data is a few bytes: what a "1 KB zip that unpacks to 10 GB"
// looks like before anyone inflates it.
func zClaiming(name string, size uint64) zEntry {
	body := zDeflate([]byte("tiny"))
	return zEntry{raw: true, body: body, hdr: zip.FileHeader{
		Name: name, Method: zip.Deflate,
		CompressedSize64: uint64(len(body)), UncompressedSize64: size,
	}}
}

// zDeflate compresses data as a zip entry's deflate method does.
func zDeflate(data []byte) []byte {
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	fw.Write(data)
	fw.Close()
	return buf.Bytes()
}

// zBuild writes entries, in order, into a zip held in memory.
func zBuild(t testing.TB, entries ...zEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range entries {
		hdr := e.hdr
		var (
			fw  io.Writer
			err error
		)
		if e.raw {
			fw, err = w.CreateRaw(&hdr)
		} else {
			fw, err = w.CreateHeader(&hdr)
		}
		if err != nil {
			t.Fatalf("zip entry %q: %v", e.hdr.Name, err)
		}
		if _, err := fw.Write(e.body); err != nil {
			t.Fatalf("zip entry %q: %v", e.hdr.Name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close zip: %v", err)
	}
	return buf.Bytes()
}

// zPackage returns entries of a minimal valid package plus extra.
func zPackage(extra ...zEntry) []zEntry {
	return append([]zEntry{zFile("imsmanifest.xml", zManifest)}, extra...)
}

// zTree returns every path under dir, relative and sorted.
func zTree(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

// zExtract writes data as pkg.zip in a fresh temp folder and extracts it
// into out/ beside it, which it returns.
func zExtract(t *testing.T, data []byte, lim Limits) (a *Archive, dest string, err error) {
	t.Helper()
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "pkg.zip")
	if err := os.WriteFile(zipPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	dest = filepath.Join(dir, "out")
	a, err = Extract(zipPath, dest, lim)
	return a, dest, err
}

func TestExtractRejects(t *testing.T) {
	absTarget := filepath.Join(os.TempDir(), "lectern-archive-test-abs-evil.txt")
	os.Remove(absTarget)

	valid := zBuild(t, zPackage(zFile("index.html", strings.Repeat("<p>hello</p>", 500)))...)
	corruptData := zBuild(t, zPackage(zStored("page.htm", "CORRUPT-ME-PLEASE"))...)
	corruptData = bytes.Replace(corruptData, []byte("CORRUPT-ME"), []byte("CORRUPTED!"), 1)

	zeros := make([]byte, 3<<20)
	lying := zDeflate(make([]byte, 1<<20))

	tests := []struct {
		name    string
		zip     []byte
		lim     Limits // zero: defaults
		want    error
		inMsg   string // the message must name what is wrong
		outside string // an absolute path that must not appear
	}{
		{name: "zip slip", zip: zBuild(t, zPackage(zFile("../evil.txt", "x"))...),
			want: ErrUnsafePath, inMsg: `"../evil.txt" points outside the package folder`},
		{name: "zip slip after a folder", zip: zBuild(t, zPackage(zFile("a/../../evil", "x"))...),
			want: ErrUnsafePath, inMsg: `"a/../../evil"`},
		{name: "backslash zip slip", zip: zBuild(t, zPackage(zFile(`..\evil`, "x"))...),
			want: ErrUnsafePath, inMsg: `"..\\evil" points outside`},
		{name: "absolute path", zip: zBuild(t, zPackage(zFile(absTarget, "x"))...),
			want: ErrUnsafePath, inMsg: "is an absolute path", outside: absTarget},
		{name: "drive path", zip: zBuild(t, zPackage(zFile(`C:\evil`, "x"))...),
			want: ErrUnsafePath, inMsg: "starts with a drive letter"},
		{name: "drive-relative path", zip: zBuild(t, zPackage(zFile(`c:evil`, "x"))...),
			want: ErrUnsafePath, inMsg: "starts with a drive letter"},
		{name: "UNC path", zip: zBuild(t, zPackage(zFile(`\\host\share\evil`, "x"))...),
			want: ErrUnsafePath, inMsg: "is an absolute path"},
		{name: "NUL in name", zip: zBuild(t, zPackage(zFile("a\x00.htm", "x"))...),
			want: ErrUnsafePath, inMsg: "control character"},
		{name: "newline in name", zip: zBuild(t, zPackage(zFile("a\nb.htm", "x"))...),
			want: ErrUnsafePath, inMsg: `"a\nb.htm" contains a control character`},
		{name: "name not UTF-8", zip: zBuild(t, zPackage(zFile("caf\xe9.htm", "x"))...),
			want: ErrUnsafePath, inMsg: "not valid UTF-8"},
		{name: "segment over 255 bytes", zip: zBuild(t, zPackage(zFile(strings.Repeat("x", 256)+".htm", "x"))...),
			want: ErrUnsafePath, inMsg: "longer than 255 bytes"},

		{name: "symlink", zip: zBuild(t, zPackage(zWith(zFile("link", "/etc/passwd"),
			func(h *zip.FileHeader) { h.SetMode(fs.ModeSymlink | 0o777) }))...),
			want: ErrSymlink, inMsg: `"link" is a symbolic link`},
		{name: "named pipe", zip: zBuild(t, zPackage(zWith(zFile("fifo", ""),
			func(h *zip.FileHeader) { h.SetMode(fs.ModeNamedPipe | 0o644) }))...),
			want: ErrSymlink, inMsg: `"fifo" is a special file`},
		{name: "encrypted entry", zip: zBuild(t, zPackage(zWith(zFile("secret.htm", "x"),
			func(h *zip.FileHeader) { h.Flags |= 0x1 }))...),
			want: ErrEncrypted, inMsg: `"secret.htm" is encrypted`},
		{name: "bzip2 entry", zip: zBuild(t, zPackage(zEntry{raw: true, body: []byte("BZh9"),
			hdr: zip.FileHeader{Name: "a.htm", Method: 12, CompressedSize64: 4, UncompressedSize64: 4}})...),
			want: ErrUnsupported, inMsg: `"a.htm" uses method 12`},

		{name: "exact duplicate", zip: zBuild(t, zPackage(zFile("a.htm", "1"), zFile("a.htm", "2"))...),
			want: ErrDuplicate, inMsg: `"a.htm" appears twice`},
		{name: "duplicate after cleaning", zip: zBuild(t, zPackage(zFile("a/b.htm", "1"), zFile(`a\\b.htm`, "2"))...),
			want: ErrDuplicate, inMsg: `"a/b.htm" appears twice`},
		{name: "case-only duplicate", zip: zBuild(t, zPackage(zFile("Page.htm", "1"), zFile("page.htm", "2"))...),
			want: ErrDuplicate, inMsg: `"Page.htm" and "page.htm" differ only in letter case`},
		{name: "case-only duplicate manifest", zip: zBuild(t, zPackage(zFile("IMSMANIFEST.XML", zManifest))...),
			want: ErrDuplicate, inMsg: "differ only in letter case"},
		{name: "case-only folder", zip: zBuild(t, zPackage(zFile("Img/a.png", "1"), zFile("img/b.png", "2"))...),
			want: ErrDuplicate, inMsg: `"Img" and "img" differ only in letter case`},
		{name: "file then folder", zip: zBuild(t, zPackage(zFile("a", "1"), zFile("a/b.htm", "2"))...),
			want: ErrDuplicate, inMsg: `"a" is both a file and a folder`},
		{name: "folder entry then file", zip: zBuild(t, zPackage(zDir("a/"), zFile("a", "2"))...),
			want: ErrDuplicate, inMsg: `"a" is both a file and a folder`},

		{name: "bomb declared 10 GiB", zip: zBuild(t, zPackage(zClaiming("video.mp4", 10<<30))...),
			want: ErrLimit, inMsg: `"video.mp4" would expand from`},
		{name: "bomb of real zeros", zip: zBuild(t, zPackage(zFile("zeros.bin", string(zeros)))...),
			want: ErrLimit, inMsg: `"zeros.bin" would expand from`},
		{name: "bomb over total", lim: Limits{MaxTotalBytes: 2 << 20},
			zip:  zBuild(t, zPackage(zStored("a.bin", string(zeros[:1<<20])), zStored("b.bin", string(zeros[:1<<20])))...),
			want: ErrLimit, inMsg: "the files add up to more than 2.0 MiB"},
		{name: "entry inflates past its declared size", zip: zBuild(t, zPackage(zEntry{raw: true, body: lying,
			hdr: zip.FileHeader{Name: "liar.bin", Method: zip.Deflate, CompressedSize64: uint64(len(lying)), UncompressedSize64: 1000}})...),
			want: ErrTruncated, inMsg: `entry "liar.bin"`},
		{name: "compressed size beyond the file", zip: zBuild(t, zPackage(zEntry{raw: true, body: []byte("x"),
			hdr: zip.FileHeader{Name: "huge.bin", Method: zip.Store, CompressedSize64: 1 << 40, UncompressedSize64: 1 << 40}})...),
			want: ErrTruncated, inMsg: `"huge.bin" claims 1.0 TiB of compressed data`},
		{name: "100,000 empty entries", zip: zManyEntries(t, 100_000),
			want: ErrLimit, inMsg: "the zip has 100000 entries; the limit is 20000"},
		{name: "end record hides entries", zip: zHiddenEntries(t, 65_540), lim: Limits{MaxEntries: 100},
			want: ErrLimit, inMsg: "table of contents is over 167.1 KiB, more than 100 entries need"},
		{name: "50 MB manifest", zip: zBuild(t, zClaiming("imsmanifest.xml", 50<<20)),
			want: ErrLimit, inMsg: "imsmanifest.xml is 50.0 MiB; the limit is 8.0 MiB"},

		{name: "no manifest", zip: zBuild(t, zFile("index.html", "<p>hi</p>")),
			want: ErrNoManifest, inMsg: "no imsmanifest.xml: this is not a SCORM package"},
		{name: "empty zip", zip: zBuild(t),
			want: ErrNoManifest, inMsg: "this is not a SCORM package"},
		{name: "AICC course", zip: zBuild(t, zFile("course.au", "x"), zFile("course.crs", "x"), zFile("course.des", "x"), zFile("index.htm", "x")),
			want: ErrAICC, inMsg: "this looks like an AICC course (found course.crs); Lectern imports SCORM 1.2 and 2004 packages only"},
		{name: "manifest in one of two folders", zip: zBuild(t, zFile("b/index.htm", "x"), zFile("a/imsmanifest.xml", zManifest)),
			want: ErrNoManifest, inMsg: `no imsmanifest.xml at the root of the zip (found one at "a/imsmanifest.xml")`},
		{name: "manifest two folders deep", zip: zBuild(t, zFile("course/x/y/imsmanifest.xml", zManifest), zFile("course/v/imsmanifest.xml", zManifest)),
			want: ErrNoManifest, inMsg: `(found one at "course/v/imsmanifest.xml")`},
		{name: "top folder beside a root file", zip: zBuild(t, zFile("course/imsmanifest.xml", zManifest), zFile("readme.txt", "x")),
			want: ErrNoManifest, inMsg: `found one at "course/imsmanifest.xml"`},

		{name: "truncated zip", zip: valid[:len(valid)/2],
			want: ErrTruncated, inMsg: "the zip is truncated or corrupt: "},
		{name: "end record cut off", zip: valid[:len(valid)-10],
			want: ErrTruncated, inMsg: "the zip is truncated or corrupt: "},
		{name: "checksum mismatch", zip: corruptData,
			want: ErrTruncated, inMsg: `the zip is truncated or corrupt: entry "page.htm": its checksum does not match`},
		{name: "not a zip", zip: []byte("<html>this is a web page, not a zip</html>"),
			want: ErrNotZip, inMsg: "the file is not a zip archive"},
		{name: "empty file", zip: []byte{},
			want: ErrNotZip, inMsg: "the file is not a zip archive (it is empty)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			zipPath := filepath.Join(dir, "pkg.zip")
			if err := os.WriteFile(zipPath, tt.zip, 0o644); err != nil {
				t.Fatal(err)
			}
			before := zTree(t, dir)
			dest := filepath.Join(dir, "out")

			a, err := Extract(zipPath, dest, tt.lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Extract() = %+v, %v; want an error matching %q", a, err, tt.want)
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			if !strings.Contains(msg, tt.inMsg) {
				t.Errorf("error %q does not contain %q", msg, tt.inMsg)
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error %q is not one line", msg)
			}
			if _, err := os.Lstat(dest); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("dest %s still exists after the error (Lstat: %v)", dest, err)
			}
			if after := zTree(t, dir); !slices.Equal(after, before) {
				t.Errorf("the parent folder changed: got %q, want %q", after, before)
			}
			if tt.outside != "" {
				if _, err := os.Lstat(tt.outside); !errors.Is(err, fs.ErrNotExist) {
					os.Remove(tt.outside)
					t.Errorf("%s was written outside dest", tt.outside)
				}
			}
		})
	}
}

// zManyEntries is a zip of n empty files (and no manifest: the count must
// be refused before anything else is looked at).
func zManyEntries(t testing.TB, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for i := range n {
		if _, err := w.CreateHeader(&zip.FileHeader{Name: "f" + strconv.Itoa(i), Method: zip.Store}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// zHiddenEntries is a zip of n > 65535 empty files whose end record claims
// n mod 65536. archive/zip accepts that (it compares only 16 bits, for old
// writers that overflowed the field), so only the byte budget on the
// central directory stops it.
func zHiddenEntries(t testing.TB, n int) []byte {
	t.Helper()
	data := zManyEntries(t, n) // over 65535 entries, zip.Writer adds zip64 records
	end := bytes.LastIndex(data, []byte("PK\x05\x06"))
	loc := end - 20
	end64 := int(binary.LittleEndian.Uint64(data[loc+8:]))
	dirSize := binary.LittleEndian.Uint64(data[end64+40:])
	dirOff := binary.LittleEndian.Uint64(data[end64+48:])
	// Rewrite the classic end record with the true 32-bit size and offset
	// and a 16-bit count, so the zip64 record is no longer consulted.
	binary.LittleEndian.PutUint16(data[end+8:], uint16(n))
	binary.LittleEndian.PutUint16(data[end+10:], uint16(n))
	binary.LittleEndian.PutUint32(data[end+12:], uint32(dirSize))
	binary.LittleEndian.PutUint32(data[end+16:], uint32(dirOff))
	return data
}

func TestExtractAccepts(t *testing.T) {
	mtime := time.Date(2019, 6, 1, 12, 30, 0, 0, time.UTC)
	tests := []struct {
		name      string
		entries   []zEntry
		wantFiles map[string]string // path -> content
		wantTop   string
		wantWarn  []string // substrings, one per warning, in order
	}{
		{
			name:      "manifest at the root",
			entries:   zPackage(zFile("sco1/index.html", "<p>1</p>"), zFile("sco1/js/app.js", "x()")),
			wantFiles: map[string]string{"imsmanifest.xml": zManifest, "sco1/index.html": "<p>1</p>", "sco1/js/app.js": "x()"},
		},
		{
			name: "single top folder stripped, macOS junk skipped",
			entries: []zEntry{
				zDir("course/"),
				zFile("course/imsmanifest.xml", zManifest),
				zFile("course/.DS_Store", "junk"),
				zFile("course/page.htm", "p"),
				zFile("__MACOSX/course/._page.htm", "junk"),
				zFile("__MACOSX/._course", "junk"),
			},
			wantFiles: map[string]string{"imsmanifest.xml": zManifest, "page.htm": "p"},
			wantTop:   "course",
			wantWarn: []string{
				"skipped 3 macOS metadata entries",
				`the manifest was inside the folder "course/"; using that folder as the package root`,
			},
		},
		{
			name:      "backslash names normalised",
			entries:   []zEntry{zFile(`course\imsmanifest.xml`, zManifest), zFile(`course\res\page.htm`, "p")},
			wantFiles: map[string]string{"imsmanifest.xml": zManifest, "res/page.htm": "p"},
			wantTop:   "course",
			wantWarn:  []string{`inside the folder "course/"`},
		},
		{
			name:      "dot and empty segments dropped",
			entries:   []zEntry{zFile("./imsmanifest.xml", zManifest), zFile("a//b/./c.htm", "c"), zDir("./")},
			wantFiles: map[string]string{"imsmanifest.xml": zManifest, "a/b/c.htm": "c"},
		},
		{
			name:      "folder entries after their files",
			entries:   zPackage(zFile("a/b/c.htm", "c"), zDir("a/b/"), zDir("a/"), zDir("empty/")),
			wantFiles: map[string]string{"imsmanifest.xml": zManifest, "a/b/c.htm": "c"},
		},
		{
			name:      "manifest in another letter case renamed",
			entries:   []zEntry{zFile("IMSManifest.xml", zManifest), zFile("index.htm", "i")},
			wantFiles: map[string]string{"imsmanifest.xml": zManifest, "index.htm": "i"},
			wantWarn:  []string{`the manifest was named "IMSManifest.xml"; renamed it to "imsmanifest.xml"`},
		},
		{
			name:      "empty and non-ASCII files",
			entries:   zPackage(zFile("empty.txt", ""), zFile("leçon/été.htm", "é")),
			wantFiles: map[string]string{"imsmanifest.xml": zManifest, "empty.txt": "", "leçon/été.htm": "é"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, dest, err := zExtract(t, zBuild(t, tt.entries...), Limits{})
			if err != nil {
				t.Fatalf("Extract() error: %v", err)
			}
			var want []string
			var total int64
			for p, body := range tt.wantFiles {
				want = append(want, p)
				total += int64(len(body))
				got, err := os.ReadFile(filepath.Join(dest, filepath.FromSlash(p)))
				if err != nil || string(got) != body {
					t.Errorf("%s = %q, %v; want %q", p, got, err, body)
				}
			}
			slices.Sort(want)
			if !slices.Equal(a.Files, want) {
				t.Errorf("Files = %q, want %q", a.Files, want)
			}
			if a.TopFolder != tt.wantTop {
				t.Errorf("TopFolder = %q, want %q", a.TopFolder, tt.wantTop)
			}
			if a.Bytes != total {
				t.Errorf("Bytes = %d, want %d", a.Bytes, total)
			}
			if len(a.Warnings) != len(tt.wantWarn) {
				t.Errorf("Warnings = %q, want %d matching %q", a.Warnings, len(tt.wantWarn), tt.wantWarn)
			} else {
				for i, w := range tt.wantWarn {
					if !strings.Contains(a.Warnings[i], w) {
						t.Errorf("Warnings[%d] = %q, want it to contain %q", i, a.Warnings[i], w)
					}
				}
			}
			zCheckTree(t, dest, a)
		})
	}

	t.Run("modification time", func(t *testing.T) {
		_, dest, err := zExtract(t, zBuild(t, zPackage(zWith(zFile("old.htm", "o"),
			func(h *zip.FileHeader) { h.Modified = mtime }))...), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(filepath.Join(dest, "old.htm"))
		if err != nil || !info.ModTime().Equal(mtime) {
			t.Errorf("old.htm modified %v (%v), want %v", info.ModTime(), err, mtime)
		}
	})
}

// zCheckTree asserts that dest holds exactly a.Files as regular files, with
// no permission beyond rw-r--r-- (rwxr-xr-x for folders), and nothing else.
func zCheckTree(t *testing.T, dest string, a *Archive) {
	t.Helper()
	var files []string
	for _, p := range zTree(t, dest) {
		info, err := os.Lstat(filepath.Join(dest, filepath.FromSlash(p)))
		switch {
		case err != nil:
			t.Errorf("lstat %s: %v", p, err)
		case info.IsDir():
			if perm := info.Mode().Perm(); perm&^0o755 != 0 {
				t.Errorf("folder %s has mode %v, want at most 0755", p, perm)
			}
		case info.Mode().IsRegular():
			files = append(files, p)
			if perm := info.Mode().Perm(); perm&^0o644 != 0 {
				t.Errorf("file %s has mode %v, want at most 0644", p, perm)
			}
		default:
			t.Errorf("%s is neither a file nor a folder: %v", p, info.Mode())
		}
	}
	if !slices.Equal(files, a.Files) {
		t.Errorf("files on disk = %q, Archive.Files = %q", files, a.Files)
	}
}

// TestExtractLimitBoundaries checks every limit at its value (accepted)
// and one unit over it (refused).
func TestExtractLimitBoundaries(t *testing.T) {
	// Deflated zeros compress about 1000:1, so the ratio limit bites above
	// RatioFloor only. ratioOf is the smallest ratio limit that admits big.
	big := zBuild(t, zPackage(zFile("zeros.bin", string(make([]byte, 2<<20))))...)
	zr, err := zip.NewReader(bytes.NewReader(big), int64(len(big)))
	if err != nil {
		t.Fatal(err)
	}
	zf := zr.File[1]
	ratioOf := int((zf.UncompressedSize64 + zf.CompressedSize64 - 1) / zf.CompressedSize64)

	// A name of exactly n bytes, in segments Linux accepts.
	nameOf := func(n int) string {
		head := strings.Repeat("d", 200) + "/" + strings.Repeat("e", 200) + "/"
		return head + strings.Repeat("f", n-len(head)-4) + ".htm"
	}
	type side struct {
		lim   Limits
		zip   []byte
		want  error  // nil: accepted
		inMsg string // names the limit that refused it
	}
	n := len(zManifest)
	tests := []struct {
		name     string
		at, over side
	}{
		{"MaxEntries",
			side{lim: Limits{MaxEntries: 4}, zip: zBuild(t, zPackage(zFile("a", ""), zFile("b", ""), zDir("c/"))...)},
			side{lim: Limits{MaxEntries: 4}, zip: zBuild(t, zPackage(zFile("a", ""), zFile("b", ""), zDir("c/"), zFile("d", ""))...), want: ErrLimit, inMsg: "5 entries; the limit is 4"}},
		{"MaxTotalBytes",
			side{lim: Limits{MaxTotalBytes: 1000}, zip: zBuild(t, zPackage(zFile("a", strings.Repeat("a", 1000-n)))...)},
			side{lim: Limits{MaxTotalBytes: 1000}, zip: zBuild(t, zPackage(zFile("a", strings.Repeat("a", 1001-n)))...), want: ErrLimit, inMsg: "more than 1000 B uncompressed"}},
		{"MaxEntryRatio",
			side{lim: Limits{MaxEntryRatio: ratioOf}, zip: big},
			side{lim: Limits{MaxEntryRatio: ratioOf - 1}, zip: big, want: ErrLimit, inMsg: "more than " + strconv.Itoa(ratioOf-1) + " times"}},
		{"RatioFloor",
			side{zip: zBuild(t, zPackage(zFile("zeros.bin", string(make([]byte, RatioFloor))))...)},
			side{zip: zBuild(t, zPackage(zFile("zeros.bin", string(make([]byte, RatioFloor+1))))...), want: ErrLimit, inMsg: "more than 200 times"}},
		{"MaxManifestBytes",
			side{lim: Limits{MaxManifestBytes: 100}, zip: zBuild(t, zFile("imsmanifest.xml", strings.Repeat(" ", 100)))},
			side{lim: Limits{MaxManifestBytes: 100}, zip: zBuild(t, zFile("imsmanifest.xml", strings.Repeat(" ", 101))), want: ErrLimit, inMsg: "imsmanifest.xml is 101 B; the limit is 100 B"}},
		{"MaxPathLength",
			side{zip: zBuild(t, zPackage(zFile(nameOf(512), "x"))...)},
			side{zip: zBuild(t, zPackage(zFile(nameOf(513), "x"))...), want: ErrLimit, inMsg: "is 513 bytes long; the limit is 512"}},
	}
	for _, tt := range tests {
		for _, s := range []struct {
			label string
			side
		}{{"at the limit", tt.at}, {"one over", tt.over}} {
			t.Run(tt.name+"/"+s.label, func(t *testing.T) {
				a, dest, err := zExtract(t, s.zip, s.lim)
				switch {
				case s.want == nil && err != nil:
					t.Fatalf("Extract() error: %v; want success", err)
				case s.want == nil:
					zCheckTree(t, dest, a)
				case !errors.Is(err, s.want):
					t.Fatalf("Extract() error: %v; want %q", err, s.want)
				case !strings.Contains(err.Error(), s.inMsg):
					t.Errorf("error %q does not contain %q", err, s.inMsg)
				}
			})
		}
	}
}

func TestExtractDestMustNotExist(t *testing.T) {
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "pkg.zip")
	if err := os.WriteFile(zipPath, zBuild(t, zPackage()...), 0o644); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "out")
	keep := filepath.Join(dest, "keep.txt")
	if err := os.Mkdir(dest, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Extract(zipPath, dest, Limits{}); err == nil {
		t.Fatal("Extract() into an existing folder succeeded; want an error")
	}
	if got, err := os.ReadFile(keep); err != nil || string(got) != "mine" {
		t.Errorf("the existing folder was touched: keep.txt = %q, %v", got, err)
	}
}

// TestExtractStreamsLargeEntry proves entries are streamed: a 64 MiB file
// extracts while the heap stays a fraction of its size.
func TestExtractStreamsLargeEntry(t *testing.T) {
	const size = 64 << 20
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	fw, _ := w.Create("imsmanifest.xml")
	io.WriteString(fw, zManifest)
	fw, _ = w.Create("video.bin")
	chunk := make([]byte, 1<<20)
	for range size / len(chunk) {
		fw.Write(chunk)
	}
	w.Close()

	// Garbage from earlier tests would count as heap: collect it first.
	runtime.GC()
	peak := zSampleHeap(t)
	a, dest, err := zExtract(t, buf.Bytes(), Limits{MaxEntryRatio: 10_000})
	got := peak()
	if err != nil {
		t.Fatalf("Extract() error: %v", err)
	}
	if info, err := os.Stat(filepath.Join(dest, "video.bin")); err != nil || info.Size() != size {
		t.Fatalf("video.bin: %v, %v; want %d bytes", info, err, size)
	}
	if a.Bytes != size+int64(len(zManifest)) {
		t.Errorf("Bytes = %d, want %d", a.Bytes, size+len(zManifest))
	}
	t.Logf("heap peak while extracting: %.1f MiB", float64(got)/(1<<20))
	if got > 32<<20 {
		t.Errorf("heap peaked at %d MiB while extracting a 64 MiB entry; want it streamed", got>>20)
	}
}

// zSampleHeap samples the heap every millisecond until the returned func is
// called, which returns the peak in bytes.
func zSampleHeap(t testing.TB) (stop func() uint64) {
	t.Helper()
	var (
		peak atomic.Uint64
		done = make(chan struct{})
		wg   sync.WaitGroup
	)
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// TestExtractMeter checks the byte counting that guards against headers
// that lie, which archive/zip's own checks normally catch first.
func TestExtractMeter(t *testing.T) {
	tests := []struct {
		name    string
		limit   int64 // MaxTotalBytes
		left    int64 // declared size of the entry
		already int64 // written by other entries
		write   int
		want    error
	}{
		{"within both", 100, 10, 90, 10, nil},
		{"over the declared size", 100, 10, 0, 11, ErrTruncated},
		{"over the total", 100, 10, 91, 10, ErrLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &extraction{limit: tt.limit}
			x.written.Store(tt.already)
			m := &meter{x: x, out: io.Discard, name: "e", left: tt.left}
			_, err := m.Write(make([]byte, tt.write))
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Write(%d bytes) = %v, want %v", tt.write, err, tt.want)
			}
		})
	}
}

func TestExtractCleanName(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantDir bool
		bad     bool
	}{
		{in: "a/b.htm", want: "a/b.htm"},
		{in: `a\b.htm`, want: "a/b.htm"},
		{in: "a/", want: "a", wantDir: true},
		{in: `a\`, want: "a", wantDir: true},
		{in: "./a//b/./c", want: "a/b/c"},
		{in: "...", want: "..."},
		{in: "a..b/c", want: "a..b/c"},
		{in: "1:2/x", want: "1:2/x"},
		{in: "..", bad: true},
		{in: "a/..", bad: true},
		{in: "/a", bad: true},
		{in: `\a`, bad: true},
		{in: `\\?\C:\a`, bad: true},
		{in: "C:", bad: true},
		{in: "z:/a", bad: true},
	}
	for _, tt := range tests {
		got, dir, err := cleanEntryName(tt.in)
		switch {
		case tt.bad && !errors.Is(err, ErrUnsafePath):
			t.Errorf("cleanEntryName(%q) = %q, %v; want ErrUnsafePath", tt.in, got, err)
		case !tt.bad && (err != nil || got != tt.want || dir != tt.wantDir):
			t.Errorf("cleanEntryName(%q) = %q, %v, %v; want %q, %v", tt.in, got, dir, err, tt.want, tt.wantDir)
		}
	}
}

// TestExtractDeclaredEntries checks the count read from the end record,
// which must refuse huge directories before archive/zip allocates for them.
func TestExtractDeclaredEntries(t *testing.T) {
	tests := []struct {
		name   string
		zip    []byte
		want   uint64
		wantOK bool
	}{
		{"small zip", zBuild(t, zPackage(zFile("a", ""), zDir("b/"))...), 3, true},
		{"zip64 count", zManyEntries(t, 70_000), 70_000, true},
		{"16-bit count that hides entries", zHiddenEntries(t, 65_540), 4, true},
		{"bytes after the end record", append(zBuild(t), "not a signature"...), 0, true},
		{"no end record", []byte("plain text, not a zip"), 0, false},
		{"shorter than an end record", []byte("PK"), 0, false},
	}
	for _, tt := range tests {
		got, ok := declaredEntries(bytes.NewReader(tt.zip), int64(len(tt.zip)))
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: declaredEntries() = %d, %v; want %d, %v", tt.name, got, ok, tt.want, tt.wantOK)
		}
	}
}
