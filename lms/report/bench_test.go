package report_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/report"
	"github.com/lectern/lectern/lms/store"
)

const benchRows = 100_000

var bench struct {
	once      sync.Once
	dir       string
	svc       *report.Service
	big, less uint // courses with benchRows and benchRows/10 enrolments
	err       error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.svc != nil {
		bench.svc.Store.Close()
	}
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchService seeds, once per run, a course with 100,000 enrolments (half
// with an attempt) and one with 10,000, to show memory not growing with rows.
func benchService(b *testing.B) *report.Service {
	b.Helper()
	bench.once.Do(func() {
		if bench.dir, bench.err = os.MkdirTemp("", "lectern-report-bench-"); bench.err != nil {
			return
		}
		st, err := store.OpenSQLite(filepath.Join(bench.dir, "l.db"))
		if err != nil {
			bench.err = err
			return
		}
		st.SetClock(func() time.Time { return now })
		ctx := context.Background()
		t0 := time.Now()
		for _, c := range []struct {
			n   int
			dst *uint
		}{{benchRows, &bench.big}, {benchRows / 10, &bench.less}} {
			v := &store.CourseVersion{Title: fmt.Sprintf("Course %d", c.n), Edition: "1.2", ContentDir: "x"}
			if bench.err = st.CreateCourseVersion(ctx, 0, v, nil, func(*store.CourseVersion) error { return nil }); bench.err != nil {
				return
			}
			n := c.n
			// Names in an order unlike the ids, so name sorts really sort.
			if bench.err = st.SeedReport(ctx, v.CourseID, v.ID, n, func(i int) string { return fmt.Sprintf("Learner %06d", (i*7919)%n) }); bench.err != nil {
				return
			}
			*c.dst = v.CourseID
		}
		bench.err = st.CreateReportIndexes(ctx)
		fmt.Fprintf(os.Stderr, "seeded %d + %d enrolments in %v\n", benchRows, benchRows/10, time.Since(t0).Round(time.Millisecond))
		bench.svc = &report.Service{Store: st, Location: time.UTC}
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.svc
}

// peakHeap samples the heap while fn runs and reports its peak above the
// heap before, as peak-heap-MB.
func peakHeap(b *testing.B, fn func()) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak atomic.Uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	b.ResetTimer()
	fn()
	b.StopTimer()
	close(stop)
	<-done
	p := peak.Load()
	if p < base {
		p = base
	}
	b.ReportMetric(float64(p-base)/(1<<20), "peak-heap-MB")
}

func benchPage(b *testing.B, q report.Query, after func(*report.Service) string) {
	svc := benchService(b)
	tok := ""
	if after != nil {
		tok = after(svc)
	}
	ctx := context.Background()
	peakHeap(b, func() {
		for i := 0; i < b.N; i++ {
			p, err := svc.Page(ctx, bench.big, q, tok, 50)
			if err != nil || len(p.Rows) != 50 {
				b.Fatalf("page: %d rows, %v", len(p.Rows), err)
			}
		}
	})
}

func BenchmarkPageFirst(b *testing.B) { benchPage(b, report.Query{}, nil) }

func BenchmarkPageFirstByStatus(b *testing.B) {
	benchPage(b, report.Query{Sort: store.SortStatus}, nil)
}

func BenchmarkPageFirstByScore(b *testing.B) {
	benchPage(b, report.Query{Sort: store.SortScore, Desc: true}, nil)
}

func BenchmarkPageFiltered(b *testing.B) {
	benchPage(b, report.Query{Status: string(compliance.Overdue), Sort: store.SortDue, EnrolledFrom: "2026-10-01"}, nil)
}

// BenchmarkPageDeep starts at the 90,000th learner by name.
func BenchmarkPageDeep(b *testing.B) {
	benchPage(b, report.Query{}, func(svc *report.Service) string {
		var cur store.ReportCursor
		n := 0
		svc.Each(context.Background(), bench.big, report.Query{}, func(r report.Row) error {
			n++
			if n == 90_000 {
				cur = store.ReportCursor{Sort: "", Str: r.UserName, ID: r.EnrolmentID}
				return io.EOF
			}
			return nil
		})
		return cur.Encode()
	})
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func benchExport(b *testing.B, format string, course func() uint) {
	svc := benchService(b)
	ctx := context.Background()
	var w countingWriter
	peakHeap(b, func() {
		for i := 0; i < b.N; i++ {
			if err := svc.Export(ctx, &w, format, course(), report.Query{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(w.n)/float64(b.N)/(1<<20), "file-MB")
}

func BenchmarkExportCSV100k(b *testing.B) {
	benchExport(b, report.CSV, func() uint { return bench.big })
}
func BenchmarkExportCSV10k(b *testing.B) {
	benchExport(b, report.CSV, func() uint { return bench.less })
}
func BenchmarkExportXLSX100k(b *testing.B) {
	benchExport(b, report.XLSX, func() uint { return bench.big })
}
func BenchmarkExportXLSX10k(b *testing.B) {
	benchExport(b, report.XLSX, func() uint { return bench.less })
}

// BenchmarkReconcile is what every report request runs first, at 110,000
// enrolments with nothing to record.
func BenchmarkReconcile(b *testing.B) {
	svc := benchService(b)
	comp := &compliance.Service{Store: svc.Store, Location: time.UTC}
	ctx := context.Background()
	peakHeap(b, func() {
		for i := 0; i < b.N; i++ {
			if err := comp.Reconcile(ctx, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}
