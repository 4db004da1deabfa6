package lms

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/store/storetest"
)

// TestOneInstanceRunsEachJob: three instances (each its own store) on one
// database compete for a job: one runs it at a time; when its holder stops
// (and releases) another takes over at once; when a holder dies without
// releasing (its lease is left to run out), another takes over after the
// lease's time. Runs on PostgreSQL too with LECTERN_TEST_POSTGRES.
func TestOneInstanceRunsEachJob(t *testing.T) {
	dsn := storetest.DSN(t, filepath.Join(t.TempDir(), "lectern.db"))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const ttl = 600 * time.Millisecond
	var (
		running atomic.Int32 // instances running the job now
		most    atomic.Int32
		mu      sync.Mutex
		runner  string // the instance that ran it last
	)
	type instance struct {
		name   string
		st     *store.Store
		cancel context.CancelFunc
		done   chan struct{}
	}
	start := func(name string) *instance {
		st, err := store.Open(dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		ctx, cancel := context.WithCancel(context.Background())
		in := &instance{name: name, st: st, cancel: cancel, done: make(chan struct{})}
		go func() {
			defer close(in.done)
			runWhileHolding(ctx, st, log, "notifier", name, ttl, func(ctx context.Context) {
				n := running.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				mu.Lock()
				runner = name
				mu.Unlock()
				<-ctx.Done()
				running.Add(-1)
			})
		}()
		return in
	}
	who := func() string {
		mu.Lock()
		defer mu.Unlock()
		return runner
	}
	// waitFor waits (a bounded time) until cond holds.
	waitFor := func(what string, within time.Duration, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v", what, within)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	ins := []*instance{start("a"), start("b"), start("c")}
	waitFor("an instance runs the job", 20*time.Second, func() bool { return running.Load() == 1 })
	time.Sleep(3 * ttl) // several renewals
	first := who()
	if running.Load() != 1 || most.Load() != 1 {
		t.Fatalf("%d instances run the job (at most %d), want exactly one", running.Load(), most.Load())
	}

	// The runner stops (and releases): another takes over at its next try.
	var holder *instance
	for _, in := range ins {
		if in.name == first {
			holder = in
		}
	}
	holder.cancel()
	<-holder.done
	waitFor("another instance takes over", 20*time.Second, func() bool { return running.Load() == 1 && who() != first })
	second := who()

	// The new runner dies: its goroutine is gone but its lease stays
	// (the way kill -9 leaves it); the last instance takes over once the
	// lease runs out.
	for _, in := range ins {
		if in.name == second {
			holder = in
		}
	}
	dead := holder.st
	holder.st = nil
	// A dead instance never renews: make its renewals fail by closing its
	// database, then stop its loop without a release reaching the database.
	dead.Close()
	holder.cancel()
	<-holder.done
	waitFor("the last instance takes over from a dead one", 20*time.Second, func() bool {
		return running.Load() == 1 && who() != first && who() != second
	})
	if most.Load() != 1 {
		t.Errorf("at some point %d instances ran the job at once", most.Load())
	}
	for _, in := range ins {
		in.cancel()
		<-in.done
	}
}
