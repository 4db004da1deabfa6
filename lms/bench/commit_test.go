package bench

import (
	"context"
	"database/sql"
	"encoding/binary"
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
	ls, err := e.LaunchAll(learners)
	if err != nil {
		b.Fatal(err)
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
	r, err := RawUpserts(context.Background(), filepath.Join(b.TempDir(), "raw.db"), RawPayload(), 2*time.Second, 64)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(r.PerSecond, "upserts/s")
	b.ReportMetric(float64(r.P99.Microseconds()), "p99-µs")
}

// The raw floor must write: each upsert stores new bytes (an upsert of the
// bytes a row already holds writes nothing, and the floor then measured
// empty transactions).
func TestRawUpsertsWriteEachTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raw.db")
	r, err := RawUpserts(context.Background(), path, RawPayload(), 200*time.Millisecond, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Upserts == 0 || r.P99 == 0 {
		t.Fatalf("report %+v", r)
	}
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var body []byte
	if err := db.QueryRow(`SELECT body FROM state WHERE id = 0`).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if n := binary.BigEndian.Uint64(body[len(body)-8:]); n != uint64(r.Upserts) {
		t.Fatalf("the row holds upsert %d of %d", n, r.Upserts)
	}
	if _, err := RawUpserts(context.Background(), path, []byte("short"), time.Millisecond, 1); err == nil {
		t.Fatal("a payload under 8 bytes was taken")
	}
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
	if r.Commits == 0 || r.Errors != 0 || r.Raw.Upserts == 0 {
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
	if r.Commits == 0 || r.Errors != 0 || r.Raw.Upserts != 0 {
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

// TestSteadyCommitsKeepTheLogShort: under commits that never pause (each
// learner commits again as soon as it is answered), SQLite's write-ahead
// log still starts again from its beginning, so it stays a few rounds of
// checkpoints long instead of holding everything written (it grew to
// 1.9 GB in a 15-second run before the checkpointer held the writer for
// its last pass).
func TestSteadyCommitsKeepTheLogShort(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const learners = 16
	e := newBenchEnv(t, learners)
	ls, err := e.LaunchAll(learners)
	if err != nil {
		t.Fatal(err)
	}
	r, err := load(context.Background(), ls, 4*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(e.Dir, "lectern.db-wal"))
	if err != nil {
		t.Fatal(err)
	}
	// Each commit adds at least two 4 KB pages (its state and its journal
	// row) to the log: without restarts, the log is larger than that
	// (2.6 times in a run without them); with them, about a fifth.
	logged := int64(r.Commits) * 8192
	t.Logf("%d commits, log %d bytes", r.Commits, fi.Size())
	if r.Commits < 1000 || fi.Size() > logged {
		t.Errorf("%d commits (at least %d bytes of log), and the log is %d bytes: it did not start again", r.Commits, logged, fi.Size())
	}
}
