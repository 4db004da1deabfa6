package compliance_test

import (
	"context"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/store/storetest"
	"github.com/lectern/lectern/scorm"
	"github.com/lectern/lectern/scorm/cmi"
	"github.com/lectern/lectern/scorm/seq"
)

var berlin, _ = time.LoadLocation("Europe/Berlin")

func TestDueDates(t *testing.T) {
	s := &compliance.Service{Location: berlin}
	got, err := s.ParseDate("2026-03-31")
	if err != nil {
		t.Fatal(err)
	}
	// The end of 31 March in Berlin (summer time from 29 March: UTC+2).
	if want := time.Date(2026, 3, 31, 21, 59, 59, 0, time.UTC); !got.Equal(want) {
		t.Errorf("ParseDate = %v, want %v", got, want)
	}
	for _, bad := range []string{"", "31/03/2026", "2026-02-30", "tomorrow"} {
		if _, err := s.ParseDate(bad); err == nil {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	days := 7
	// Enrolled late on 1 March in Berlin (already 2 March? no: 23:30 UTC is 00:30 on 2 March in Berlin).
	enrolled := time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC)
	due := s.DueFor(enrolled, store.DueRule{Days: &days})
	if want := time.Date(2026, 3, 9, 22, 59, 59, 0, time.UTC); due == nil || !due.Equal(want) {
		t.Errorf("DueFor(7 days) = %v, want end of 9 March Berlin time (%v)", due, want)
	}
	if s.DueFor(enrolled, store.DueRule{}) != nil {
		t.Error("no rule gave a due date")
	}
}

func TestStatusOf(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	started, incomplete := uint(1), "incomplete"
	tests := []struct {
		name      string
		e         store.EnrolmentRow
		want      compliance.Status
		compliant bool
	}{
		{"new", store.EnrolmentRow{}, compliance.ToDo, false},
		{"due later", store.EnrolmentRow{Enrolment: store.Enrolment{DueAt: &future}}, compliance.ToDo, false},
		{"started", store.EnrolmentRow{AttemptID: &started, AttemptCompletion: &incomplete}, compliance.InProgress, false},
		{"overdue", store.EnrolmentRow{Enrolment: store.Enrolment{DueAt: &past}, AttemptID: &started, AttemptCompletion: &incomplete}, compliance.Overdue, false},
		{"completed late", store.EnrolmentRow{Enrolment: store.Enrolment{DueAt: &past, CompletedAt: &past}}, compliance.Completed, true},
		{"completed, valid", store.EnrolmentRow{Enrolment: store.Enrolment{CompletedAt: &past, ExpiresAt: &future}}, compliance.Completed, true},
		{"completed, expired", store.EnrolmentRow{Enrolment: store.Enrolment{CompletedAt: &past, ExpiresAt: &past}}, compliance.Expired, false},
		{"recertifying, still valid", store.EnrolmentRow{Enrolment: store.Enrolment{DueAt: &future, ExpiresAt: &future}}, compliance.ToDo, true},
		{"recertification lapsed", store.EnrolmentRow{Enrolment: store.Enrolment{DueAt: &past, ExpiresAt: &past}}, compliance.Expired, false},
	}
	for _, tt := range tests {
		if got := compliance.StatusOf(tt.e, now); got != tt.want {
			t.Errorf("%s: status %q, want %q", tt.name, got, tt.want)
		}
		if got := compliance.Compliant(tt.e, now); got != tt.compliant {
			t.Errorf("%s: compliant %v, want %v", tt.name, got, tt.compliant)
		}
	}
}

func TestCodes(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		c := compliance.NewCode()
		if !regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`).MatchString(c) || seen[c] {
			t.Fatalf("code %q: malformed or repeated", c)
		}
		seen[c] = true
	}
}

type env struct {
	t      *testing.T
	ctx    context.Context
	st     *store.Store
	rt     *runtime.Service
	comp   *compliance.Service
	now    time.Time
	course uint
	user   *store.User
}

func newEnv(t *testing.T) *env {
	dir := t.TempDir()
	st, err := store.Open(storetest.DSN(t, filepath.Join(dir, "lectern.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, ctx: context.Background(), st: st, now: time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)}
	st.SetClock(func() time.Time { return e.now })
	im := &course.Importer{Store: st, ContentDir: filepath.Join(dir, "content"), StagingDir: filepath.Join(dir, "staging"), Limits: scorm.DefaultLimits()}
	res, err := im.Import(e.ctx, fixture.ZipDir(t, fixture.Package("scorm12-single")), course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.course = *res.ID
	e.user = &store.User{Email: "lee@example.org", Name: "Lee Learner", PasswordHash: "x"}
	if err := st.CreateUser(e.ctx, e.user); err != nil {
		t.Fatal(err)
	}
	e.rt = &runtime.Service{Store: st, ContentDir: im.ContentDir, LaunchTTL: time.Hour, SuspendDataMax: 64000}
	e.comp = &compliance.Service{Store: st, Location: time.UTC, RecertLeadDays: 30}
	return e
}

// complete runs the course to completion with the given raw score.
func (e *env) complete(score string) {
	e.t.Helper()
	c, err := e.rt.Open(e.ctx, e.user, e.course)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.rt.Start(e.ctx, c.Token); err != nil {
		e.t.Fatal(err)
	}
	_, err = e.rt.Commit(e.ctx, runtime.CommitRequest{Token: c.Token, Seq: 1, Terminate: true, Changes: []cmi.Change{
		{Element: "cmi.core.score.raw", Value: score}, {Element: "cmi.core.lesson_status", Value: "completed"},
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.rt.Navigate(e.ctx, c.Token, seq.Request{Kind: seq.ExitAll}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) enrolment() store.EnrolmentRow {
	e.t.Helper()
	rows, err := e.st.Enrolments(e.ctx, store.EnrolmentFilter{UserID: e.user.ID})
	if err != nil || len(rows) != 1 {
		e.t.Fatalf("enrolments: %d %v", len(rows), err)
	}
	return rows[0]
}

// TestLifecycle: assign, complete, certificate, expire, re-assign, with the
// history kept.
func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	twelve := 12
	if _, err := e.comp.ApplyRules(e.ctx, e.course, store.CourseRules{PassRule: store.PassNotRequired, AttemptPolicy: store.AttemptBest, ValidityMonths: &twelve}, "", ""); err != nil {
		t.Fatal(err)
	}
	due := e.now.AddDate(0, 0, 14)
	if _, created, err := e.st.Enrol(e.ctx, e.user.ID, e.course, &due); err != nil || !created {
		t.Fatalf("enrol: %v %v", created, err)
	}
	if _, created, _ := e.st.Enrol(e.ctx, e.user.ID, e.course, &due); created {
		t.Error("enrolling twice created a second enrolment")
	}
	if st := compliance.StatusOf(e.enrolment(), e.now); st != compliance.ToDo {
		t.Fatalf("status %q, want to do", st)
	}
	e.now = e.now.AddDate(0, 0, 3)
	e.complete("92")
	if err := e.comp.Reconcile(e.ctx, e.user.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.comp.Reconcile(e.ctx, 0); err != nil { // idempotent
		t.Fatal(err)
	}
	en := e.enrolment()
	if st := compliance.StatusOf(en, e.now); st != compliance.Completed {
		t.Fatalf("after completing: %q", st)
	}
	if want := en.CompletedAt.AddDate(1, 0, 0); en.ExpiresAt == nil || !en.ExpiresAt.Equal(want) {
		t.Errorf("expires %v, want %v", en.ExpiresAt, want)
	}
	comps, _ := e.st.Completions(e.ctx, e.user.ID)
	if len(comps) != 1 || comps[0].Code == "" || comps[0].CourseTitle == "" {
		t.Fatalf("completions %+v", comps)
	}
	if c, err := e.st.CompletionByCode(e.ctx, comps[0].Code); err != nil || c.UserID != e.user.ID {
		t.Errorf("by code: %+v %v", c, err)
	}

	// 31 days before expiry nothing happens; 30 days before, a new cycle.
	e.now = en.ExpiresAt.AddDate(0, 0, -31)
	e.comp.Reconcile(e.ctx, 0)
	if e.enrolment().Cycle != 1 {
		t.Fatal("recertification started too early")
	}
	e.now = en.ExpiresAt.AddDate(0, 0, -30)
	e.comp.Reconcile(e.ctx, 0)
	en2 := e.enrolment()
	if en2.Cycle != 2 || en2.CompletedAt != nil || en2.DueAt == nil || !en2.DueAt.Equal(*en.ExpiresAt) {
		t.Fatalf("after recertification: %+v", en2.Enrolment)
	}
	if !compliance.Compliant(en2, e.now) || compliance.StatusOf(en2, e.now) != compliance.ToDo {
		t.Errorf("during recertification: compliant %v status %q, want compliant and to do", compliance.Compliant(en2, e.now), compliance.StatusOf(en2, e.now))
	}
	// The learner starts a fresh attempt, not the finished one.
	c, _ := e.rt.Open(e.ctx, e.user, e.course)
	if c.Attempt.Number != 2 {
		t.Errorf("recertification opens attempt %d, want a new attempt 2", c.Attempt.Number)
	}
	// Letting it lapse: expired; completing again restores it, with history.
	e.now = en.ExpiresAt.Add(time.Hour)
	if st := compliance.StatusOf(e.enrolment(), e.now); st != compliance.Expired {
		t.Errorf("after expiry: %q, want expired", st)
	}
	e.complete("80")
	e.comp.Reconcile(e.ctx, 0)
	if st := compliance.StatusOf(e.enrolment(), e.now); st != compliance.Completed {
		t.Errorf("after recertifying: %q", st)
	}
	if comps, _ := e.st.Completions(e.ctx, e.user.ID); len(comps) != 2 || comps[0].Cycle != 2 || comps[1].Cycle != 1 {
		t.Errorf("history: %d completions", len(comps))
	}
}

// TestRequirePass: with a pass mark, completing without passing is not a completion.
func TestRequirePass(t *testing.T) {
	e := newEnv(t)
	if _, err := e.comp.ApplyRules(e.ctx, e.course, store.CourseRules{PassRule: store.PassRequired, AttemptPolicy: store.AttemptBest}, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.Enrol(e.ctx, e.user.ID, e.course, nil); err != nil {
		t.Fatal(err)
	}
	e.complete("40") // the fixture's mastery score is higher: failed
	e.comp.Reconcile(e.ctx, 0)
	if st := compliance.StatusOf(e.enrolment(), e.now); st == compliance.Completed {
		t.Error("a failed attempt counted as a completion of a course that needs a pass")
	}
}
