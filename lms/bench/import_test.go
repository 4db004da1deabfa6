package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm"
)

// benchPackage generates (once per machine) the 100 MB, 5,000-file package.
func benchPackage(b *testing.B) string {
	path := filepath.Join(os.TempDir(), "lectern-bench-import-100mb-v1.zip")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".tmp"
	if err := GeneratePackage(tmp, 5000, 100<<20); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkImport imports the generated package end to end (stream, unpack
// with limits, parse, check, store, move into place) and, in the same run,
// unpacks it with `unzip -q` for comparison. It reports the ratio to unzip's
// time and the peak Go heap.
func BenchmarkImport(b *testing.B) {
	zipPath := benchPackage(b)
	dir := b.TempDir()
	st, err := store.OpenSQLite(filepath.Join(dir, "lectern.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	im := &course.Importer{Store: st, ContentDir: filepath.Join(dir, "content"), StagingDir: filepath.Join(dir, "staging"), Limits: scorm.DefaultLimits()}

	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
		}
	}()
	var lectern, unzip time.Duration
	for i := 0; i < b.N; i++ {
		exec.Command("sync").Run()
		t0 := time.Now()
		if _, err := im.Import(context.Background(), zipPath, course.Options{}); err != nil {
			b.Fatal(err)
		}
		lectern += time.Since(t0)
		if path, err := exec.LookPath("unzip"); err == nil {
			out := filepath.Join(dir, "unzip")
			exec.Command("sync").Run()
			t0 = time.Now()
			if err := exec.Command(path, "-q", "-d", out, zipPath).Run(); err != nil {
				b.Fatal(err)
			}
			unzip += time.Since(t0)
			os.RemoveAll(out)
		}
	}
	close(stop)
	b.ReportMetric(float64(lectern.Milliseconds())/float64(b.N), "import-ms")
	if unzip > 0 {
		b.ReportMetric(float64(unzip.Milliseconds())/float64(b.N), "unzip-ms")
		b.ReportMetric(lectern.Seconds()/unzip.Seconds(), "x-unzip")
	} else {
		b.Log("unzip not found: no comparison")
	}
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
}
