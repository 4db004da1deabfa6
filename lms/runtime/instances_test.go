package runtime_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/lectern/lectern/internal/dbdump"
	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm/cmi"
)

// TestTwoInstancesShareALaunch: two Lectern instances (each its own store
// and run-time service) on one database take the commits of one launch in
// turn, as behind a load balancer. An instance whose memory of the launch
// is behind works from the stored state; a replay sent to both at once is
// applied once; the same new commit sent to both at once is applied once
// and acknowledged by both; a commit that overtakes its predecessor at the
// other instance waits for it. Runs on SQLite and, with
// LECTERN_TEST_POSTGRES, on PostgreSQL (where the launch row lock decides).
func TestTwoInstancesShareALaunch(t *testing.T) {
	e := newEnv(t, "scorm12-single")
	token, _ := e.launch()
	st2, err := store.Open(e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	st2.SetClock(func() time.Time { return e.now })
	a := e.rt
	b := &runtime.Service{Store: st2, ContentDir: a.ContentDir, LaunchTTL: a.LaunchTTL, SuspendDataMax: a.SuspendDataMax}
	commit := func(rt *runtime.Service, seq int64, kv ...string) (*runtime.Ack, error) {
		return rt.Commit(e.ctx, runtime.CommitRequest{Token: token, Seq: seq, Changes: changes(kv...)})
	}
	must := func(ack *runtime.Ack, err error) *runtime.Ack {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return ack
	}
	must(commit(a, 1, "cmi.core.lesson_location", "p1"))
	must(commit(b, 2, "cmi.suspend_data", "from-b"))
	// a remembers the state after 1, but the launch is at 2: it must not
	// apply 3 to its memory (that would lose b's suspend_data).
	must(commit(a, 3, "cmi.core.lesson_location", "p3"))

	// A replay of 2 at both instances, many times at once: acknowledged,
	// applied never again.
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(rt *runtime.Service) {
			defer wg.Done()
			ack, err := commit(rt, 2, "cmi.suspend_data", "from-b")
			if err == nil && !ack.Duplicate {
				t.Error("a replay was not acknowledged as a duplicate")
			}
			errs <- err
		}([]*runtime.Service{a, b}[i%2])
	}
	// The same new commit at both at once: one applies it, the other
	// acknowledges it as a duplicate.
	dup := make(chan bool, 2)
	for _, rt := range []*runtime.Service{a, b} {
		wg.Add(1)
		go func(rt *runtime.Service) {
			defer wg.Done()
			ack, err := commit(rt, 4, "cmi.core.score.raw", "70")
			errs <- err
			if err == nil {
				dup <- ack.Duplicate
			}
		}(rt)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("commit: %v", err)
		}
	}
	close(dup)
	applied := 0
	for d := range dup {
		if !d {
			applied++
		}
	}
	if applied != 1 {
		t.Errorf("commit 4 sent to both instances was applied %d times, want once", applied)
	}

	// 6 reaches b before 5 reaches a: b waits for it.
	done := make(chan error, 1)
	go func() {
		_, err := commit(b, 6, "cmi.core.lesson_status", "completed")
		done <- err
	}()
	time.Sleep(150 * time.Millisecond)
	must(commit(a, 5, "cmi.core.lesson_location", "p5"))
	if err := <-done; err != nil {
		t.Fatalf("commit 6 ahead of 5 at the other instance: %v", err)
	}

	at, err := e.st.LatestAttempt(e.ctx, e.user.ID, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := e.st.ScoStates(e.ctx, at.ID)
	if err != nil || len(rows) != 1 {
		t.Fatalf("states: %v %v", rows, err)
	}
	var state cmi.State
	if err := json.Unmarshal(rows[0].State, &state); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"cmi.core.lesson_location": "p5", "cmi.suspend_data": "from-b",
		"cmi.core.score.raw": "70", "cmi.core.lesson_status": "completed"} {
		if state.Values[k] != want {
			t.Errorf("%s = %q, want %q", k, state.Values[k], want)
		}
	}
	// The journal has each of the six commits once.
	journal := dbdump.Take(t, e.dsn)["commits"]
	seen := map[string]int{}
	for _, row := range journal {
		for _, f := range strings.Split(row, ";") {
			if strings.HasPrefix(f, "seq=") {
				seen[f]++
			}
		}
	}
	if len(journal) != 6 || len(seen) != 6 {
		t.Errorf("journal: %d rows, sequence numbers %v; want 1 to 6 once each", len(journal), seen)
	}
}

// TestStaleCacheNeverApplied: an instance's memory of a launch is only a
// shortcut that the commit checks against the stored state. Here the
// launch's window is reloaded at the other instance (a new session of the
// SCO: the session time moves into the total, as the stored state then
// says) while the launch's sequence number stays where it was; the next
// commit, at the first instance, must build on the stored state, not on
// its memory. The stored state equals what one instance gives for the same
// calls.
func TestStaleCacheNeverApplied(t *testing.T) {
	run := func(twin bool) cmi.State {
		e := newEnv(t, "scorm12-single")
		token, _ := e.launch()
		a, b := e.rt, e.rt
		if twin {
			st2, err := store.Open(e.dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st2.Close() })
			st2.SetClock(func() time.Time { return e.now })
			b = &runtime.Service{Store: st2, ContentDir: a.ContentDir, LaunchTTL: a.LaunchTTL, SuspendDataMax: a.SuspendDataMax}
		}
		commit := func(rt *runtime.Service, seq int64, kv ...string) {
			t.Helper()
			if _, err := rt.Commit(e.ctx, runtime.CommitRequest{Token: token, Seq: seq, Changes: changes(kv...)}); err != nil {
				t.Fatalf("commit %d: %v", seq, err)
			}
		}
		commit(a, 1, "cmi.core.lesson_location", "p1", "cmi.core.session_time", "00:10:00")
		if _, err := b.Start(e.ctx, token); err != nil { // the window reloads, at b
			t.Fatal(err)
		}
		commit(a, 2, "cmi.suspend_data", "after-reload")
		at, err := e.st.LatestAttempt(e.ctx, e.user.ID, e.cours)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := e.st.ScoStates(e.ctx, at.ID)
		if err != nil || len(rows) != 1 {
			t.Fatalf("states: %v %v", rows, err)
		}
		var state cmi.State
		if err := json.Unmarshal(rows[0].State, &state); err != nil {
			t.Fatal(err)
		}
		return state
	}
	one, two := run(false), run(true)
	if got := one.Values["cmi.core.total_time"]; !strings.HasPrefix(strings.TrimLeft(got, "0:"), "10:00") {
		t.Fatalf("one instance: total_time %q, want 10 minutes (the reload closed the first session)", got)
	}
	for k, want := range one.Values {
		if got := two.Values[k]; got != want {
			t.Errorf("two instances: %s = %q, one instance gives %q", k, got, want)
		}
	}
	for k, got := range two.Values {
		if _, ok := one.Values[k]; !ok {
			t.Errorf("two instances: %s = %q, which one instance does not have", k, got)
		}
	}
}

// TestCommitRetriedAfterDeadlock: on PostgreSQL, a commit that deadlocks
// with another transaction (here one that holds the SCO's state row and
// then asks for the launch row the commit holds) is ended by the server
// with SQLSTATE 40P01. With one retry allowed, the commit runs again once
// the other transaction is gone and is applied once; with none, the error
// reaches the caller and nothing is applied.
func TestCommitRetriedAfterDeadlock(t *testing.T) {
	if !store.IsPostgres(storetestServer()) {
		t.Skip("a deadlock needs PostgreSQL: set " + store.TestPostgresEnv)
	}
	for _, retries := range []int{1, 0} {
		t.Run(fmt.Sprint("retries=", retries), func(t *testing.T) {
			e := newEnv(t, "scorm12-single")
			token, _ := e.launch()
			e.st.SetCommitRetries(retries)
			db, err := sql.Open("pgx", e.dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ctx := e.ctx
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			// This side never runs the deadlock check first: the commit's
			// side ends the deadlock.
			if _, err := tx.ExecContext(ctx, "SET LOCAL deadlock_timeout = '20s'"); err != nil {
				t.Fatal(err)
			}
			hash := account.HashToken(token)
			if _, err := tx.ExecContext(ctx, `UPDATE sco_states SET updated_at = updated_at
				WHERE id = (SELECT s.id FROM sco_states s JOIN launches l ON l.attempt_id = s.attempt_id AND l.item_id = s.item_id WHERE l.id = $1)`, hash); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := e.rt.Commit(ctx, runtime.CommitRequest{Token: token, Seq: 1, Changes: changes("cmi.core.lesson_location", "p1")})
				done <- err
			}()
			// Wait until the commit holds the launch row and waits for the
			// state row.
			for i := 0; ; i++ {
				var n int
				if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
					WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n > 0 {
					break
				}
				if i > 500 {
					t.Fatal("the commit never waited for the state row")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if _, err := tx.ExecContext(ctx, "SELECT id FROM launches WHERE id = $1 FOR UPDATE", hash); err != nil {
				t.Fatalf("the other side of the deadlock: %v", err)
			}
			tx.Rollback()
			err = <-done
			var seq int64
			if err := db.QueryRowContext(ctx, "SELECT seq FROM launches WHERE id = $1", hash).Scan(&seq); err != nil {
				t.Fatal(err)
			}
			var journal int
			db.QueryRowContext(ctx, "SELECT COUNT(*) FROM commits WHERE launch_id = $1", hash).Scan(&journal)
			if retries > 0 {
				if err != nil || seq != 1 || journal != 1 {
					t.Fatalf("with a retry: err %v, launch at %d, %d journal rows; want applied once", err, seq, journal)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "40P01") || seq != 0 || journal != 0 {
				t.Fatalf("without a retry: err %v, launch at %d, %d journal rows; want the deadlock and nothing applied", err, seq, journal)
			}
		})
	}
}

// storetestServer is the PostgreSQL server tests run on, or "".
func storetestServer() string {
	v := os.Getenv(store.TestPostgresEnv)
	if v != "" && !store.IsPostgres(v) {
		v = store.DefaultTestPostgres
	}
	return v
}

// TestStaleTreeNeverApplied: a commit of a SCORM 2004 course does its
// sequencing work before it queues, on the activity tree its launch's last
// commit left; the writer takes that work only when the stored tree is
// still that tree. Here the stored tree is put back to what it was before
// the launch's first commit (as another instance's navigation or commit
// would change it); the next commit must report to the stored tree, so the
// activity's completion, which the SCO reported in the first commit, is
// recorded again, not lost.
func TestStaleTreeNeverApplied(t *testing.T) {
	e := newEnv(t, "player-multi2004")
	token, _ := e.launch()
	at, err := e.st.LatestAttempt(e.ctx, e.user.ID, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	tree := func() []byte {
		t.Helper()
		raw, err := e.st.SeqTreeOf(e.ctx, at.ID)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	commit := func(seq int64, kv ...string) {
		t.Helper()
		if _, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: token, Seq: seq, Changes: changes(kv...)}); err != nil {
			t.Fatalf("commit %d: %v", seq, err)
		}
	}
	before := tree()
	commit(1, "cmi.completion_status", "completed", "cmi.success_status", "passed")
	reported := tree()
	if bytes.Equal(before, reported) {
		t.Fatal("the first commit did not change the tree")
	}
	commit(2, "cmi.location", "p2") // the launch's memory now holds the tree
	if got := tree(); !bytes.Equal(got, reported) {
		t.Fatalf("a commit that reports nothing new changed the tree:\n%s\n%s", reported, got)
	}
	if err := e.st.SaveSeq(e.ctx, &store.SeqWrite{AttemptID: at.ID, UserID: e.user.ID, Tree: before}); err != nil {
		t.Fatal(err)
	}
	commit(3, "cmi.location", "p3")
	if got := tree(); !bytes.Equal(got, reported) {
		t.Errorf("after the stored tree went back, the commit left it\n%s\nwant (the SCO's data reported again)\n%s", got, reported)
	}
}
