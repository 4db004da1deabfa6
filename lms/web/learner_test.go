package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/dbdump"
	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm/cmi"
)

// TestEndPageAndDashboardResults: after a failed attempt the end page and
// the dashboard say "failed" with the score; another attempt is offered
// only while the course allows one; the end page of a course the learner
// may not see is not found.
func TestEndPageAndDashboardResults(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	for range 2 {
		if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
			t.Fatalf("upload: %d", r.status)
		}
	}
	e.publish(1) // course 2 stays a draft
	learner := e.signedIn("lee@example.org", false)
	ctx := context.Background()
	lee, _ := e.store.UserByEmail(ctx, "lee@example.org")
	if _, _, err := e.store.Enrol(ctx, lee.ID, 1, nil); err != nil {
		t.Fatal(err)
	}
	limit := func(n int) {
		t.Helper()
		co, _ := e.store.CourseByID(ctx, 1)
		rules := store.RulesOf(co)
		rules.MaxAttempts = n
		if err := e.store.SetCourseRules(ctx, 1, rules, "test", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	limit(1)

	// Before any attempt: nothing to show but the way in.
	if r := learner.get("/courses/1/result"); r.status != http.StatusOK || !strings.Contains(r.body, "You have not started this course yet") {
		t.Errorf("end page before any attempt: %d\n%s", r.status, r.body)
	}
	e.playSession(lee, []cmi.Change{{Element: "cmi.core.score.raw", Value: "40"}, {Element: "cmi.core.score.min", Value: "0"},
		{Element: "cmi.core.score.max", Value: "100"}, {Element: "cmi.core.lesson_status", Value: "failed"}})

	r := learner.get("/courses/1/result")
	if r.status != http.StatusOK {
		t.Fatalf("end page: %d", r.status)
	}
	for _, want := range []string{"You did not pass: your score is 40%", "Failed with 40%", "You have made every attempt this course allows (1)", "Back to my courses"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("end page after a failed last attempt lacks %q:\n%s", want, r.body)
		}
	}
	if strings.Contains(r.body, `action="/courses/1/start"`) || strings.Contains(r.body, "Download your certificate") {
		t.Errorf("end page offers another attempt or a certificate:\n%s", r.body)
	}
	home := learner.get("/")
	for _, want := range []string{"Failed with 40%", "0 of 1 attempt left", "No attempts left"} {
		if !strings.Contains(home.body, want) {
			t.Errorf("dashboard lacks %q:\n%s", want, home.body)
		}
	}
	if strings.Contains(home.body, "Try again") {
		t.Errorf("dashboard offers to try again with no attempts left")
	}

	// A second attempt allowed: offered, with the count.
	limit(2)
	r = learner.get("/courses/1/result")
	if !strings.Contains(r.body, `action="/courses/1/start"`) || !strings.Contains(r.body, "1 of 2 attempts left") {
		t.Errorf("end page with an attempt left:\n%s", r.body)
	}
	if home := learner.get("/"); !strings.Contains(home.body, "1 of 2 attempts left") || !strings.Contains(home.body, "Try again") {
		t.Errorf("dashboard with an attempt left:\n%s", home.body)
	}

	// A draft the learner has no record of, and no such course.
	for _, p := range []string{"/courses/2/result", "/courses/99/result", "/courses/x/result"} {
		if r := learner.get(p); r.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", p, r.status)
		}
	}
}

// TestResultPagesReadTheRecord: the end page and the dashboard, loaded and
// reloaded with GET, show what the stored record says: "in progress" while
// the attempt is open, the result once it has finished (never a stale "in
// progress"), and reloading them writes nothing.
func TestResultPagesReadTheRecord(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	e.publish(1)
	learner := e.signedIn("lee@example.org", false)
	ctx := context.Background()
	lee, _ := e.store.UserByEmail(ctx, "lee@example.org")
	if _, _, err := e.store.Enrol(ctx, lee.ID, 1, nil); err != nil {
		t.Fatal(err)
	}
	rt := &runtime.Service{Store: e.store, ContentDir: e.content, LaunchTTL: time.Hour, SuspendDataMax: 64000,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	launch, err := rt.Open(ctx, lee, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Start(ctx, launch.Token); err != nil {
		t.Fatal(err)
	}
	commit := func(seq int64, terminate bool, changes ...cmi.Change) {
		t.Helper()
		e.advance(time.Minute)
		if _, err := rt.Commit(ctx, runtime.CommitRequest{Token: launch.Token, Seq: seq, Terminate: terminate, Changes: changes}); err != nil {
			t.Fatalf("commit %d: %v", seq, err)
		}
	}
	type record struct {
		Status      string
		CompletedAt *time.Time
	}
	stored := func() record {
		t.Helper()
		rows, err := e.store.Enrolments(ctx, store.EnrolmentFilter{UserID: lee.ID, CourseID: 1})
		if err != nil || len(rows) != 1 {
			t.Fatalf("enrolments %v %v", rows, err)
		}
		return record{fmt.Sprint(compliance.StatusOf(rows[0], e.clock())), rows[0].CompletedAt}
	}
	// reload opens both pages twice and checks that the second round wrote
	// nothing and showed the same.
	reload := func(stage string) (end, home string) {
		t.Helper()
		end, home = learner.get("/courses/1/result").body, learner.get("/").body
		snap, audits := dbdump.Take(t, e.db, "sessions"), e.lastAuditID()
		end2, home2 := learner.get("/courses/1/result").body, learner.get("/").body
		if changed := dbdump.Changed(snap, dbdump.Take(t, e.db, "sessions")); len(changed) != 0 || e.lastAuditID() != audits {
			t.Errorf("%s: reloading the end page and the dashboard wrote to %v (audit %d -> %d)", stage, changed, audits, e.lastAuditID())
		}
		if cut(end) != cut(end2) || cut(home) != cut(home2) {
			t.Errorf("%s: a reload shows something else", stage)
		}
		return end, home
	}

	// Open, part done.
	commit(1, false, cmi.Change{Element: "cmi.core.lesson_status", Value: "incomplete"}, cmi.Change{Element: "cmi.core.lesson_location", Value: "page-2"})
	if got := stored().Status; got != "in progress" {
		t.Fatalf("stored status mid-attempt %q, want in progress", got)
	}
	end, home := reload("mid-attempt")
	if !strings.Contains(home, `badge in-progress">in progress`) || !strings.Contains(end, "Continue the course") {
		t.Errorf("mid-attempt: dashboard or end page do not say in progress:\n%s\n%s", home, end)
	}

	// Finished: passed with 85%.
	commit(2, true, cmi.Change{Element: "cmi.core.score.raw", Value: "85"}, cmi.Change{Element: "cmi.core.score.min", Value: "0"},
		cmi.Change{Element: "cmi.core.score.max", Value: "100"}, cmi.Change{Element: "cmi.core.lesson_status", Value: "passed"})
	end, home = reload("finished")
	row := stored()
	if row.Status != "completed" || row.CompletedAt == nil {
		t.Fatalf("stored record after the attempt: %q, completed %v", row.Status, row.CompletedAt)
	}
	for _, want := range []string{"You passed with 85%", "Passed with 85%", "Download your certificate"} {
		if !strings.Contains(end, want) {
			t.Errorf("end page after the attempt lacks %q:\n%s", want, end)
		}
	}
	if strings.Contains(end, "Continue the course") {
		t.Errorf("end page after the attempt still offers to continue:\n%s", end)
	}
	if !strings.Contains(home, `badge completed">completed`) || !strings.Contains(home, "Passed with 85%") || strings.Contains(home, "in progress") {
		t.Errorf("dashboard after the attempt does not match the record (%s):\n%s", row.Status, home)
	}
}

// cut drops the parts of a page that differ on every load (CSRF tokens).
func cut(page string) string { return csrfField.ReplaceAllString(page, "") }
