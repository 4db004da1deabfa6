package scorm

import (
	"archive/zip"
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkExtract extracts a ~100 MB package of 5,000 files and, in the
// same run, times `unzip -q` on the same zip into the same file system, so
// the two see the same disk and page cache. It reports:
//
//	x-unzip   Extract's time over unzip's (1.0 = as fast)
//	peak-MiB  the largest heap seen while extracting, sampled every ms
//
// Run it alone: go test ./scorm/ -run '^$' -bench Extract -benchtime 3x
func BenchmarkExtract(b *testing.B) {
	zipPath := zBenchZip(b)
	work := b.TempDir()
	peak := zSampleHeap(b)
	zSettle()
	i := 0
	for b.Loop() {
		dest := filepath.Join(work, fmt.Sprint("lectern-", i))
		i++
		if _, err := Extract(zipPath, dest, DefaultLimits()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(dest)
		zSettle()
		b.StartTimer()
	}
	ours := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(peak())/(1<<20), "peak-MiB")

	if _, err := exec.LookPath("unzip"); err != nil {
		b.Log("unzip is not on PATH; skipping the comparison with it")
		return
	}
	// As many runs as Extract had (at least 3), so both means are as noisy.
	var total time.Duration
	runs := max(b.N, 3)
	for j := range runs {
		dest := filepath.Join(work, fmt.Sprint("unzip-", j))
		zSettle()
		start := time.Now()
		if out, err := exec.Command("unzip", "-q", "-d", dest, zipPath).CombinedOutput(); err != nil {
			b.Fatalf("unzip: %v: %s", err, out)
		}
		total += time.Since(start)
		os.RemoveAll(dest)
	}
	unzip := total / time.Duration(runs)
	b.ReportMetric(float64(ours)/float64(unzip), "x-unzip")
	b.Logf("Extract %v, unzip -q %v per run (%d runs)", ours, unzip, runs)
}

// zSettle flushes written data to disk, so that each timed run starts from
// the same state instead of paying for the writeback of the run before it.
func zSettle() {
	if _, err := exec.LookPath("sync"); err == nil {
		exec.Command("sync").Run()
	}
}

// zBenchZip returns a ~100 MB package of 5,000 files, generated once and
// kept in the system temp folder under a name that changes with its recipe.
// Its mix is that of real courses: about half the bytes are media (random,
// so incompressible; some stored, some deflated as most tools do), half are
// HTML, JS and CSS text that deflates about 4:1.
func zBenchZip(b *testing.B) string {
	b.Helper()
	const files, media = 5000, 800
	zipPath := filepath.Join(os.TempDir(), "lectern-bench-extract-v1.zip")
	if _, err := os.Stat(zipPath); err == nil {
		return zipPath
	}
	tmp, err := os.CreateTemp(os.TempDir(), "lectern-bench-*.zip")
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	bw := bufio.NewWriterSize(tmp, 1<<20)
	w := zip.NewWriter(bw)
	rng := rand.New(rand.NewPCG(1, 2))

	var manifest strings.Builder
	manifest.WriteString(`<?xml version="1.0"?><manifest identifier="bench"><resources>`)
	for i := range files {
		sco := fmt.Sprintf("sco%02d/", i%50)
		var (
			name   string
			method = zip.Deflate
			body   []byte
		)
		if i < media {
			ext := [...]string{".jpg", ".png", ".mp3", ".mp4"}[i%4]
			name = fmt.Sprintf("%smedia/asset%04d%s", sco, i, ext)
			body = make([]byte, 20<<10+rng.IntN(100<<10)) // 20-120 KiB, ~56 MB in all
			for j := range body {
				body[j] = byte(rng.Uint32())
			}
			if i%4 != 0 {
				method = zip.Store
			}
		} else {
			ext := [...]string{".html", ".js", ".css"}[i%3]
			name = fmt.Sprintf("%spages/page%04d%s", sco, i, ext)
			body = zText(rng, 2<<10+rng.IntN(16<<10)) // 2-18 KiB, ~44 MB in all
		}
		fmt.Fprintf(&manifest, `<resource identifier="r%d" href="%s"/>`, i, name)
		fw, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: time.Unix(1.7e9, 0)})
		if err != nil {
			b.Fatal(err)
		}
		fw.Write(body)
	}
	manifest.WriteString(`</resources></manifest>`)
	fw, _ := w.Create("imsmanifest.xml")
	fw.Write([]byte(manifest.String()))
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := tmp.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp.Name(), zipPath); err != nil {
		b.Fatal(err)
	}
	return zipPath
}

// zText returns n bytes of markup-like text: words drawn from a small
// vocabulary, which deflates about as well as real HTML and JS.
func zText(rng *rand.Rand, n int) []byte {
	words := strings.Fields(`the learner course module lesson quiz score answer question
		function var let const return if else for while true false null this document
		window div span class id style href src button input label form table row cell
		click submit next previous complete incomplete passed failed status time session`)
	out := make([]byte, 0, n+64)
	for len(out) < n {
		switch rng.IntN(12) {
		case 0:
			out = fmt.Appendf(out, "\n<div class=\"c%d\" id=\"n%d\">", rng.IntN(40), rng.IntN(100000))
		case 1:
			out = append(out, "</div>\n"...)
		default:
			out = append(out, words[rng.IntN(len(words))]...)
			out = append(out, ' ')
		}
	}
	return out[:n]
}
