package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm/cmi"
)

// TestReviewAndStartAgain: opening a finished course shows the choice and
// starts nothing; Review opens the player in review mode on the finished
// attempt; Start again is a POST and only while attempts are left.
func TestReviewAndStartAgain(t *testing.T) {
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
	e.playSession(lee, []cmi.Change{{Element: "cmi.core.score.raw", Value: "88"}, {Element: "cmi.core.lesson_status", Value: "passed"}})
	attempts := func() int {
		sit, err := e.store.AttemptSituation(ctx, lee.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		return sit.InCycle
	}
	home := learner.get("/")
	if !strings.Contains(home.body, `action="/courses/1/review"`) || !strings.Contains(home.body, "completed") {
		t.Fatalf("home offers no review of the completed course:\n%s", home.body)
	}
	r := learner.get("/courses/1")
	if r.status != http.StatusOK || !strings.Contains(r.body, "You finished attempt 1") || !strings.Contains(r.body, "score 88%") ||
		!strings.Contains(r.body, `action="/courses/1/start"`) || strings.Contains(r.body, "player-frame") {
		t.Fatalf("opening the finished course: %d\n%s", r.status, r.body)
	}
	if n := attempts(); n != 1 {
		t.Fatalf("opening the finished course made %d attempts", n)
	}
	tok := learner.csrf("/courses/1")
	if r := learner.post("/courses/1/review", url.Values{}, ""); r.status != http.StatusForbidden && r.status != http.StatusBadRequest {
		t.Errorf("review without CSRF: %d", r.status)
	}
	r = learner.launch("/courses/1/review", tok)
	if r.status != http.StatusOK || !strings.Contains(r.body, "data-review") || !strings.Contains(r.body, "player-frame") || strings.Contains(r.body, `data-nav="suspendAll"`) {
		t.Fatalf("review: %d\n%s", r.status, r.body)
	}
	if n := attempts(); n != 1 {
		t.Errorf("review made %d attempts", n)
	}
	rows, _ := e.store.Enrolments(ctx, store.EnrolmentFilter{UserID: lee.ID})
	if len(rows) != 1 || rows[0].CompletedAt == nil {
		t.Fatalf("review changed the enrolment: %+v", rows)
	}

	// One attempt allowed: no start again.
	co, _ := e.store.CourseByID(ctx, 1)
	rules := store.RulesOf(co)
	rules.MaxAttempts = 1
	if err := e.store.SetCourseRules(ctx, 1, rules, "", nil, nil); err != nil {
		t.Fatal(err)
	}
	if r := learner.get("/courses/1"); strings.Contains(r.body, `action="/courses/1/start"`) || !strings.Contains(r.body, "every attempt this course allows") {
		t.Errorf("choice with no attempts left offers to start again:\n%s", r.body)
	}
	if r := learner.post("/courses/1/start", url.Values{}, tok); r.status != http.StatusConflict || attempts() != 1 {
		t.Errorf("start again beyond the maximum: %d, %d attempts", r.status, attempts())
	}
	rules.MaxAttempts = 0
	if err := e.store.SetCourseRules(ctx, 1, rules, "", nil, nil); err != nil {
		t.Fatal(err)
	}
	if r := learner.launch("/courses/1/start", tok); r.status != http.StatusOK || !strings.Contains(r.body, "player-frame") || strings.Contains(r.body, "data-review") {
		t.Fatalf("start again: %d", r.status)
	}
	if n := attempts(); n != 2 {
		t.Errorf("start again: %d attempts, want 2", n)
	}
}

// TestAdminReviewsAttempt: an admin opens a learner's attempt in review
// mode from its timeline; a learner may not.
func TestAdminReviewsAttempt(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	e.publish(1)
	learner := e.signedIn("lee@example.org", false)
	lee, _ := e.store.UserByEmail(context.Background(), "lee@example.org")
	id := e.playSession(lee, []cmi.Change{{Element: "cmi.core.lesson_status", Value: "passed"}})
	page := fmt.Sprintf("/admin/attempts/%d", id)
	tok := admin.csrf(page)
	r := admin.post(page+"/review", url.Values{}, tok)
	if r.status != http.StatusOK || !strings.Contains(r.body, "data-review") {
		t.Fatalf("admin review: %d", r.status)
	}
	if r := learner.post(page+"/review", url.Values{}, learner.csrf("/")); r.status != http.StatusForbidden {
		t.Errorf("learner reviewing through the admin route: %d", r.status)
	}
	if r := admin.get(page); !strings.Contains(r.body, "review (nothing stored)") {
		t.Error("the timeline does not mark the review launch")
	}
}
