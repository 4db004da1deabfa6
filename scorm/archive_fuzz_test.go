package scorm

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzExtract feeds arbitrary bytes to Extract as a zip. Whatever they are,
// Extract must not panic, must leave nothing behind when it fails, and on
// success must have written exactly the files it lists, under dest only.
// Seeds live in testdata/fuzz/FuzzExtract as well as below.
func FuzzExtract(f *testing.F) {
	f.Add(zBuild(f, zPackage(zFile("sco/index.html", "<p>hi</p>"))...))
	f.Add(zBuild(f, zDir("course/"), zFile("course/imsmanifest.xml", zManifest), zFile("__MACOSX/._x", "j")))
	f.Add(zBuild(f, zPackage(zFile(`res\..\..\evil`, "x"), zFile("Page.htm", "1"), zFile("page.htm", "2"))...))
	f.Add(zBuild(f, zPackage(zClaiming("big.bin", 1<<40))...))

	// Small limits keep each run quick and its disk use tiny.
	lim := Limits{MaxTotalBytes: 1 << 20, MaxEntries: 64, MaxManifestBytes: 64 << 10, MaxPathLength: 128}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		zipPath := filepath.Join(dir, "pkg.zip")
		if err := os.WriteFile(zipPath, data, 0o644); err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(dir, "out")

		a, err := Extract(zipPath, dest, lim)
		tree := zTree(t, dir)
		if err != nil {
			if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error message %q is not one line", msg)
			}
			if !slices.Equal(tree, []string{"pkg.zip"}) {
				t.Fatalf("after error %v the folder holds %q, want only pkg.zip", err, tree)
			}
			return
		}

		// Everything beside pkg.zip must be out/ or below it.
		for _, p := range tree {
			if p != "pkg.zip" && p != "out" && !strings.HasPrefix(p, "out/") {
				t.Fatalf("%q was written outside dest", p)
			}
		}
		if !slices.Contains(a.Files, manifestEntry) {
			t.Errorf("Files = %q, want it to hold %s", a.Files, manifestEntry)
		}
		var total int64
		for _, p := range a.Files {
			info, err := os.Lstat(filepath.Join(dest, filepath.FromSlash(p)))
			if errors.Is(err, fs.ErrNotExist) || (err == nil && !info.Mode().IsRegular()) {
				t.Fatalf("listed file %q is not a regular file under dest (%v)", p, err)
			}
			if err == nil {
				total += info.Size()
			}
		}
		if total != a.Bytes {
			t.Errorf("Bytes = %d, but the files hold %d", a.Bytes, total)
		}
		zCheckTree(t, dest, a)
	})
}
