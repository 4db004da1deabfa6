package runtime_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/store/storetest"
	"github.com/lectern/lectern/scorm"
	"github.com/lectern/lectern/scorm/cmi"
	"github.com/lectern/lectern/scorm/seq"
)

type env struct {
	t     *testing.T
	st    *store.Store
	rt    *runtime.Service
	user  *store.User
	now   time.Time
	ctx   context.Context
	cours uint
	dsn   string // the store's database, for a second instance
}

// newEnv imports a fixture package into a fresh store and adds a learner.
func newEnv(t *testing.T, pkg string) *env {
	t.Helper()
	return newEnvZip(t, fixture.ZipDir(t, fixture.Package(pkg)))
}

// newEnvZip is newEnv with a package zip.
func newEnvZip(t *testing.T, zip string) *env {
	t.Helper()
	dir := t.TempDir()
	dsn := storetest.DSN(t, filepath.Join(dir, "lectern.db"))
	st, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, st: st, dsn: dsn, ctx: context.Background(), now: time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)}
	st.SetClock(func() time.Time { return e.now })
	im := &course.Importer{Store: st, ContentDir: filepath.Join(dir, "content"), StagingDir: filepath.Join(dir, "staging"), Limits: scorm.DefaultLimits()}
	res, err := im.Import(e.ctx, zip, course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.cours = *res.ID
	e.user = &store.User{Email: "lee@example.org", Name: "Lee Learner", PasswordHash: "x"}
	if err := st.CreateUser(e.ctx, e.user); err != nil {
		t.Fatal(err)
	}
	e.rt = &runtime.Service{Store: st, ContentDir: im.ContentDir, LaunchTTL: time.Hour, SuspendDataMax: 64000}
	return e
}

// launch opens the course and starts the delivered SCO.
func (e *env) launch() (string, *runtime.Started) {
	e.t.Helper()
	c, err := e.rt.Open(e.ctx, e.user, e.cours)
	if err != nil {
		e.t.Fatal(err)
	}
	if c.Token == "" {
		e.t.Fatal("nothing delivered")
	}
	s, err := e.rt.Start(e.ctx, c.Token)
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Token, s
}

func values(t *testing.T, s *runtime.Started) map[string]string {
	t.Helper()
	var st cmi.State
	if err := json.Unmarshal(s.State, &st); err != nil {
		t.Fatal(err)
	}
	return st.Values
}

func changes(kv ...string) []cmi.Change {
	var out []cmi.Change
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, cmi.Change{Element: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestResumeSCORM12(t *testing.T) {
	e := newEnv(t, "scorm12-single")
	token, s := e.launch()
	v := values(t, s)
	if v["cmi.core.entry"] != "ab-initio" || v["cmi.core.student_name"] != "Lee Learner" {
		t.Fatalf("first launch: entry %q name %q", v["cmi.core.entry"], v["cmi.core.student_name"])
	}
	if s.Version != cmi.V12 || s.Launch == "" {
		t.Errorf("started %+v", s)
	}
	_, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: token, Seq: 1, Changes: changes(
		"cmi.core.lesson_location", "page-3", "cmi.suspend_data", "abc", "cmi.core.lesson_status", "incomplete")})
	if err != nil {
		t.Fatal(err)
	}
	// A restarted server has no state in memory: it works from the stored one.
	e.rt = &runtime.Service{Store: e.st, ContentDir: e.rt.ContentDir, LaunchTTL: e.rt.LaunchTTL, SuspendDataMax: e.rt.SuspendDataMax}
	_, err = e.rt.Commit(e.ctx, runtime.CommitRequest{Token: token, Seq: 2, Terminate: true, Changes: changes(
		"cmi.core.exit", "suspend", "cmi.core.session_time", "00:10:00")})
	if err != nil {
		t.Fatal(err)
	}
	// A commit after Terminate is refused and changes nothing.
	_, err = e.rt.Commit(e.ctx, runtime.CommitRequest{Token: token, Seq: 3, Changes: changes("cmi.core.lesson_location", "x")})
	if !errors.Is(err, store.ErrLaunchEnded) {
		t.Errorf("commit after terminate: %v, want ErrLaunchEnded", err)
	}
	if _, err := e.rt.Navigate(e.ctx, token, seq.Request{Kind: seq.SuspendAll}); err != nil {
		t.Fatal(err)
	}

	_, s = e.launch()
	v = values(t, s)
	for el, want := range map[string]string{
		"cmi.core.entry": "resume", "cmi.core.lesson_location": "page-3", "cmi.suspend_data": "abc",
		"cmi.core.total_time": "0000:10:00.00", "cmi.core.lesson_status": "incomplete",
	} {
		if v[el] != want {
			t.Errorf("resumed %s = %q, want %q", el, v[el], want)
		}
	}
}

func TestCommitSequence(t *testing.T) {
	e := newEnv(t, "scorm12-single")
	token, _ := e.launch()
	commit := func(seq int64, kv ...string) error {
		_, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: token, Seq: seq, Changes: changes(kv...)})
		return err
	}
	if err := commit(1, "cmi.core.lesson_location", "a"); err != nil {
		t.Fatal(err)
	}
	// A replay of seq 1 (its answer was lost) is acknowledged, not applied again.
	ack, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: token, Seq: 1, Changes: changes("cmi.core.lesson_location", "replayed")})
	if err != nil || !ack.Duplicate {
		t.Fatalf("replay: %+v %v, want a duplicate ack", ack, err)
	}
	for _, bad := range []int64{3, 0, -1} {
		if err := commit(bad, "cmi.core.lesson_location", "forged"); !errors.Is(err, store.ErrSequence) {
			t.Errorf("seq %d: %v, want ErrSequence", bad, err)
		}
	}
	// A refused value refuses the whole batch.
	err = commit(2, "cmi.core.lesson_location", "b", "cmi.core.score.raw", "101")
	var rej *runtime.RejectedError
	if !errors.As(err, &rej) || rej.Element != "cmi.core.score.raw" {
		t.Fatalf("out of range: %v, want RejectedError on cmi.core.score.raw", err)
	}
	if err := commit(2, "cmi.core.student_id", "someone-else"); !errors.As(err, &rej) {
		t.Errorf("write to a read-only element: %v, want refused", err)
	}
	if err := commit(2, "cmi.core.lesson_location", "c"); err != nil {
		t.Fatalf("next valid commit: %v", err)
	}
	// Another launch of the same SCO (a second tab) takes over.
	c, err := e.rt.Open(e.ctx, e.user, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := e.rt.Start(e.ctx, c.Token)
	if err != nil {
		t.Fatal(err)
	}
	if got := values(t, s2)["cmi.core.lesson_location"]; got != "c" {
		t.Errorf("second tab starts at %q, want the last committed %q", got, "c")
	}
	if err := commit(3, "cmi.core.lesson_location", "old tab"); !errors.Is(err, store.ErrLaunchSuperseded) {
		t.Errorf("old tab commit: %v, want ErrLaunchSuperseded", err)
	}
	if _, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: "forged-token", Seq: 1}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("forged token: %v, want ErrNotFound", err)
	}
	// Expiry: a launch unused for LaunchTTL is dead.
	e.now = e.now.Add(e.rt.LaunchTTL)
	if _, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: c.Token, Seq: 1}); !errors.Is(err, store.ErrLaunchExpired) {
		t.Errorf("expired launch: %v, want ErrLaunchExpired", err)
	}
}

func TestSessionTimeAddedOnce(t *testing.T) {
	e := newEnv(t, "scorm2004v4-seq")
	for i := 1; i <= 2; i++ {
		token, s := e.launch()
		if i == 1 && values(t, s)["cmi.entry"] != "ab-initio" {
			t.Errorf("entry %q", values(t, s)["cmi.entry"])
		}
		_, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: token, Seq: 1, Changes: changes(
			"cmi.session_time", "PT30M", "cmi.exit", "suspend", "cmi.location", "p2")})
		if err != nil {
			t.Fatal(err)
		}
		// The implicit commit of Terminate carries nothing new; session time
		// must still count once.
		if _, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: token, Seq: 2, Terminate: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.rt.Navigate(e.ctx, token, seq.Request{Kind: seq.SuspendAll}); err != nil {
			t.Fatal(err)
		}
	}
	_, s := e.launch()
	v := values(t, s)
	if d, err := cmi.ParseDuration(v["cmi.total_time"]); err != nil || d != time.Hour || v["cmi.entry"] != "resume" {
		t.Errorf("after two 30-minute sessions: total_time %q entry %q, want PT1H and resume", v["cmi.total_time"], v["cmi.entry"])
	}
	a, err := e.st.AttemptByID(e.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if a.TotalSeconds != 3600 {
		t.Errorf("attempt total %v s, want 3600", a.TotalSeconds)
	}
}

func TestNavigationAndRollup(t *testing.T) {
	e := newEnv(t, "scorm12-multi")
	token, s := e.launch()
	first := s.Item.ID
	if !s.Nav.Continue || s.Nav.Previous {
		t.Errorf("nav at the first item: %+v", s.Nav)
	}
	// Complete the first SCO, then continue.
	if _, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: token, Seq: 1, Terminate: true, Changes: changes(
		"cmi.core.lesson_status", "completed")}); err != nil {
		t.Fatal(err)
	}
	moved, err := e.rt.Navigate(e.ctx, token, seq.Request{Kind: seq.Continue})
	if err != nil {
		t.Fatal(err)
	}
	if moved.Token == "" || moved.Item.ID == first {
		t.Fatalf("continue: %+v", moved)
	}
	a, _ := e.st.AttemptByID(e.ctx, 1)
	if a.Completion != "incomplete" {
		t.Errorf("attempt completion %q after one of several SCOs, want incomplete", a.Completion)
	}
	// The old launch is over.
	if _, err := e.rt.Start(e.ctx, token); err == nil {
		t.Error("an ended launch started again")
	}
	if _, err := e.rt.Navigate(e.ctx, moved.Token, seq.Request{Kind: seq.Choice, Target: "no-such-item"}); !errors.Is(err, runtime.ErrNotAllowed) {
		t.Errorf("choice of an unknown item: %v, want ErrNotAllowed", err)
	}
}

// The launch token is bound to its attempt and SCO: a token cannot write
// another learner's attempt.
func TestTokenBoundToAttempt(t *testing.T) {
	e := newEnv(t, "scorm12-single")
	tokenA, _ := e.launch()
	other := &store.User{Email: "other@example.org", Name: "Other", PasswordHash: "x"}
	if err := e.st.CreateUser(e.ctx, other); err != nil {
		t.Fatal(err)
	}
	c, err := e.rt.Open(e.ctx, other, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.rt.Start(e.ctx, c.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: tokenA, Seq: 1, Changes: changes("cmi.core.lesson_location", "mine")}); err != nil {
		t.Fatal(err)
	}
	rows, _ := e.st.ScoStates(e.ctx, c.Attempt.ID)
	var st cmi.State
	json.Unmarshal(rows[0].State, &st)
	if st.Values["cmi.core.lesson_location"] != "" {
		t.Errorf("learner A's token wrote learner B's attempt")
	}
	l, _ := e.st.LaunchByToken(e.ctx, account.HashToken(tokenA))
	if l.AttemptID == c.Attempt.ID {
		t.Error("two learners share an attempt")
	}
}

// A learner who started a version keeps it after a new version is uploaded;
// a learner who had not started gets the new one.
func TestLearnersKeepTheirVersion(t *testing.T) {
	e := newEnv(t, "scorm12-single")
	started, _ := e.launch()
	_ = started
	im := &course.Importer{Store: e.st, ContentDir: e.rt.ContentDir, StagingDir: filepath.Join(t.TempDir(), "staging"), Limits: scorm.DefaultLimits()}
	if _, err := im.Import(e.ctx, fixture.ZipDir(t, fixture.Package("scorm12-multi")), course.Options{CourseID: e.cours}); err != nil {
		t.Fatal(err)
	}
	c, err := e.rt.Open(e.ctx, e.user, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version.Number != 1 {
		t.Errorf("the learner who started is on version %d, want 1", c.Version.Number)
	}
	newcomer := &store.User{Email: "new@example.org", Name: "New", PasswordHash: "x"}
	if err := e.st.CreateUser(e.ctx, newcomer); err != nil {
		t.Fatal(err)
	}
	c, err = e.rt.Open(e.ctx, newcomer, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	if c.Version.Number != 2 {
		t.Errorf("a new learner is on version %d, want 2", c.Version.Number)
	}
}
