package bench

import (
	"context"
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
)

func newBenchEnv(tb testing.TB, learners int) *Env {
	tb.Helper()
	e, err := NewEnv(tb.TempDir(), learners,
		os.DirFS(filepath.Join(fixture.Root(), "templates")), os.DirFS(filepath.Join(fixture.Root(), "static")))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	return e
}

// BenchmarkCommit is the commit path end to end: HTTP on loopback, JSON,
// validation of every value with scorm/cmi, one durable SQLite transaction.
// With -cpu and b.RunParallel's goroutines it shows the concurrent rate.
func BenchmarkCommit(b *testing.B) {
	const learners = 64
	e := newBenchEnv(b, learners)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: learners * 2}}
	ls := make([]*Learner, learners)
	for i := range ls {
		l, err := e.Launch(i, client)
		if err != nil {
			b.Fatal(err)
		}
		ls[i] = l
	}
	var next atomic.Int64
	b.SetParallelism(learners / max(1, runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		l := ls[int(next.Add(1)-1)%learners]
		i := 0
		for pb.Next() {
			if err := l.Commit(Payload(i)); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkRawUpsert is the floor: one row upserted per durable transaction.
func BenchmarkRawUpsert(b *testing.B) {
	payload := make([]byte, 4800)
	rate, err := RawUpserts(context.Background(), filepath.Join(b.TempDir(), "raw.db"), payload, 2*time.Second, 64)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(rate, "upserts/s")
}

func TestLoadRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	r, err := Run(context.Background(), Options{Learners: 4, Duration: 300 * time.Millisecond, DataDir: t.TempDir()},
		os.DirFS(filepath.Join(fixture.Root(), "templates")), os.DirFS(filepath.Join(fixture.Root(), "static")))
	if err != nil {
		t.Fatal(err)
	}
	if r.Commits == 0 || r.Errors != 0 || r.RawPerSec == 0 {
		t.Fatalf("load run: %s", r)
	}
}

// TestLoadAgainstRunningServer: the generator drives a server it does not
// run (here in this process for brevity; `lectern bench commit --target`
// runs it in its own): it puts its course and learners in the server's
// database and folder, and every commit it counts is in the server's
// journal.
func TestLoadAgainstRunningServer(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	dir := t.TempDir()
	e, err := NewEnv(dir, 0, os.DirFS(filepath.Join(fixture.Root(), "templates")), os.DirFS(filepath.Join(fixture.Root(), "static")))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	dbPath := filepath.Join(dir, "lectern.db")
	r, err := RunAgainst(context.Background(), Target{ContentURL: e.ContentURL, DB: dbPath, DataDir: dir},
		Options{Learners: 3, Duration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.Commits == 0 || r.Errors != 0 || r.RawPerSec != 0 {
		t.Fatalf("load run: %s", r)
	}
	db, err := sql.Open("sqlite3", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM commits").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != r.Commits {
		t.Errorf("the server's journal has %d commits, the generator counted %d", n, r.Commits)
	}
}
