package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// groupEnv is a store with n learners, each with a started launch of a
// one-SCO course, and the committer's statements and writer, for calling
// applyGroupOnce directly.
type groupEnv struct {
	s        *Store
	w        *sql.DB
	launches []string // launch ids (token hashes)
	stateIDs []uint   // each launch's SCO row
}

const groupTTL = time.Hour

func groupRollup(_ uint, states []ScoState) AttemptSummary {
	return AttemptSummary{Completion: states[0].Completion}
}

func newGroupEnv(tb testing.TB, n int) *groupEnv {
	tb.Helper()
	s := openTest(tb)
	ctx := context.Background()
	c := newCourse(tb, s, "Fire safety", CoursePublished)
	items, err := s.VersionItems(ctx, *c.CurrentVersionID)
	if err != nil || len(items) != 1 {
		tb.Fatalf("items %v (%v)", items, err)
	}
	e := &groupEnv{s: s, launches: make([]string, n), stateIDs: make([]uint, n)}
	for i := range n {
		u := newUser(tb, s, fmt.Sprintf("learner%d@example.org", i))
		a, _, err := s.OpenAttempt(ctx, u.ID, c.ID)
		if err != nil {
			tb.Fatal(err)
		}
		e.launches[i] = fmt.Sprintf("%064d", i)
		if _, err := s.CreateLaunch(ctx, e.launches[i], a, items[0].ID, groupTTL, false); err != nil {
			tb.Fatal(err)
		}
		l, err := s.StartLaunch(ctx, e.launches[i], groupTTL, groupRollup, func(*Launch, *ScoState) (*ScoUpdate, error) {
			return &ScoUpdate{State: []byte(`{}`), Completion: "incomplete"}, nil
		})
		if err != nil {
			tb.Fatal(err)
		}
		e.stateIDs[i] = l.StateID
	}
	if err := s.startCommitter(); err != nil {
		tb.Fatal(err)
	}
	if e.w, err = s.db.DB(); err != nil {
		tb.Fatal(err)
	}
	return e
}

// TestRefusedCommitInAGroup: a group of commits runs without savepoints;
// when one of them is refused, the group runs again with a savepoint per
// commit, so the refused one changes nothing and the others are applied
// once. A replay of an applied commit in the same group is acknowledged,
// not applied again. After a refusal, groups keep their savepoints until
// one has no refusal.
func TestRefusedCommitInAGroup(t *testing.T) {
	e := newGroupEnv(t, 4)
	s, w, launches := e.s, e.w, e.launches
	refused := errors.New("the data model refused a value")
	job := func(launch string, seq int64, state string, err error) *commitJob {
		return &commitJob{ttl: groupTTL, rollup: groupRollup, done: make(chan struct{}), req: CommitRequest{TokenHash: launch, Seq: seq,
			Apply: func(*Launch, StoredState) (*ScoUpdate, []byte, error) {
				return &ScoUpdate{State: []byte(state), Completion: "completed"}, []byte(`[]`), err
			}}}
	}
	// Launch 0 is at 1 before the group; the group replays it.
	first := job(launches[0], 1, `{"n":0}`, nil)
	s.applyGroupOnce(w, []*commitJob{first})
	if first.err != nil {
		t.Fatal(first.err)
	}
	applied1, replay, bad, applied3 := job(launches[1], 1, `{"n":1}`, nil), job(launches[0], 1, `{"n":"replayed"}`, nil),
		job(launches[2], 1, `{"n":2}`, refused), job(launches[3], 1, `{"n":3}`, nil)
	replays := s.groupReplays.Load()
	s.applyGroupOnce(w, []*commitJob{applied1, replay, bad, applied3}) // sorted by launch on PostgreSQL
	if got := s.groupReplays.Load() - replays; got != 1 {
		t.Errorf("the group ran again %d times, want once", got)
	}
	if !errors.Is(bad.err, refused) {
		t.Errorf("the refused commit: %v", bad.err)
	}
	for name, j := range map[string]*commitJob{"learner 1": applied1, "the replay": replay, "learner 3": applied3} {
		if j.err != nil || j.res == nil || j.res.Duplicate != (j == replay) {
			t.Errorf("%s: %+v, %v", name, j.res, j.err)
		}
	}
	// Their next commits move the launches on in one statement each (the
	// launches are known now), and a commit that skips a number is still
	// refused. After a refusal the group starts with its savepoints: it
	// does not run twice.
	next1, next3, gap := job(launches[1], 2, `{"n":12}`, nil), job(launches[3], 2, `{"n":32}`, nil), job(launches[0], 3, `{}`, nil)
	replays = s.groupReplays.Load()
	s.applyGroupOnce(w, []*commitJob{next1, next3, gap})
	var sg *SequenceGapError
	if next1.err != nil || next3.err != nil || !errors.As(gap.err, &sg) || sg.Want != 2 {
		t.Errorf("next commits: %v, %v; a gap: %v", next1.err, next3.err, gap.err)
	}
	if got := s.groupReplays.Load() - replays; got != 0 {
		t.Errorf("a group after a refusal ran again %d times, want none", got)
	}
	for i, want := range []struct {
		seq        int64
		state      string
		completion string
		journal    int64
	}{{1, `{"n":0}`, "completed", 1}, {2, `{"n":12}`, "completed", 2}, {0, `{}`, "incomplete", 0}, {2, `{"n":32}`, "completed", 2}} {
		var l Launch
		if err := s.db.First(&l, "id = ?", launches[i]).Error; err != nil {
			t.Fatal(err)
		}
		var st ScoState
		if err := s.db.First(&st, "attempt_id = ?", l.AttemptID).Error; err != nil {
			t.Fatal(err)
		}
		var a Attempt
		if err := s.db.First(&a, l.AttemptID).Error; err != nil {
			t.Fatal(err)
		}
		var journal int64
		s.db.Model(&Commit{}).Where("attempt_id = ?", l.AttemptID).Count(&journal)
		if l.Seq != want.seq || string(st.State) != want.state || a.Completion != want.completion || journal != want.journal {
			t.Errorf("learner %d: launch at %d, state %s, attempt %s, %d journal rows; want %d, %s, %s, %d",
				i, l.Seq, st.State, a.Completion, journal, want.seq, want.state, want.completion, want.journal)
		}
	}
	// A group without a refusal ends the savepoints; the next refusal
	// runs its group twice again.
	clean := job(launches[1], 3, `{"n":13}`, nil)
	s.applyGroupOnce(w, []*commitJob{clean, job(launches[3], 3, `{"n":33}`, nil)})
	again := job(launches[2], 1, `{}`, refused)
	replays = s.groupReplays.Load()
	s.applyGroupOnce(w, []*commitJob{job(launches[1], 4, `{"n":14}`, nil), again})
	if clean.err != nil || !errors.Is(again.err, refused) || s.groupReplays.Load()-replays != 1 {
		t.Errorf("a clean group: %v; then a refusal: %v, run again %d times, want once", clean.err, again.err, s.groupReplays.Load()-replays)
	}
}

// BenchmarkApplyGroup is the writer alone: groups of 16 commits of 16
// learners (5 KB of state and 5 KB of journal each), one durable
// transaction per group, without HTTP or the data model. ns/op is the
// writer's time per commit.
func BenchmarkApplyGroup(b *testing.B) {
	const learners, group = 64, 16
	e := newGroupEnv(b, learners)
	body := []byte(fmt.Sprintf(`{"suspend_data":%q}`, strings.Repeat("x", 5000)))
	seqs := make([]int64, learners)
	batch := make([]*commitJob, group)
	b.ResetTimer()
	for n := 0; n < b.N; n += group {
		for k := range batch {
			i := (n + k) % learners
			seqs[i]++
			state := slices.Clone(body)
			binary.BigEndian.PutUint64(state[len(state)-10:], uint64(n+k)) // new bytes each time
			batch[k] = &commitJob{ttl: groupTTL, rollup: groupRollup, done: make(chan struct{}), req: CommitRequest{
				TokenHash: e.launches[i], Seq: seqs[i], StateID: e.stateIDs[i], SingleSCO: true,
				Apply: func(*Launch, StoredState) (*ScoUpdate, []byte, error) {
					return &ScoUpdate{State: state, Completion: "incomplete"}, state, nil
				}}}
		}
		e.s.applyGroupOnce(e.w, batch)
		for _, j := range batch {
			if j.err != nil {
				b.Fatal(j.err)
			}
		}
	}
}
