package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
)

func TestEnrolFormAndDashboards(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	learner := e.signedIn("lee@example.org", false)
	e.addUser("late@example.org", false)
	token := admin.csrf("/admin/courses/1/enrolments")
	bad := []struct {
		name string
		form url.Values
		want string
	}{
		{"unknown user", url.Values{"emails": {"lee@example.org\nghost@example.org"}}, "ghost@example.org"},
		{"nothing", url.Values{}, "Enter email addresses"},
		{"past date", url.Values{"emails": {"lee@example.org"}, "due": {"2020-01-01"}}, "in the past"},
		{"both", url.Values{"emails": {"lee@example.org"}, "due": {"2030-01-01"}, "due_days": {"5"}}, "not both"},
		{"bad days", url.Values{"emails": {"lee@example.org"}, "due_days": {"-3"}}, "between 1 and 3650"},
		{"bad group", url.Values{"group": {"999"}}, "does not exist"},
	}
	for _, tt := range bad {
		r := admin.post("/admin/courses/1/enrolments", tt.form, token)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tt.want) {
			t.Errorf("%s: %d, want 422 with %q", tt.name, r.status, tt.want)
		}
	}
	if rows, _ := e.store.Enrolments(context.Background(), storeFilterAll()); len(rows) != 0 {
		t.Fatalf("bad forms enrolled %d", len(rows))
	}
	// A group enrolment reaches members who join later.
	if r := admin.post("/admin/groups", url.Values{"name": {"Warehouse"}}, token); r.status != http.StatusSeeOther {
		t.Fatalf("create group: %d", r.status)
	}
	if r := admin.post("/admin/groups", url.Values{"name": {"Warehouse"}}, token); r.status != http.StatusUnprocessableEntity {
		t.Errorf("duplicate group: %d, want 422", r.status)
	}
	if r := admin.post("/admin/courses/1/enrolments", url.Values{"emails": {"lee@example.org"}, "group": {"1"}, "due_days": {"30"}}, token); r.status != http.StatusSeeOther {
		t.Fatalf("enrol: %d %s", r.status, r.body)
	}
	if r := admin.post("/admin/groups/1/members", url.Values{"email": {"late@example.org"}}, token); r.status != http.StatusSeeOther {
		t.Fatalf("add member: %d", r.status)
	}
	rows, _ := e.store.Enrolments(context.Background(), storeFilterAll())
	if len(rows) != 2 {
		t.Fatalf("%d enrolments, want lee and the later group member", len(rows))
	}
	for _, r := range rows {
		if r.DueAt == nil {
			t.Errorf("%s has no due date", r.UserEmail)
		}
	}
	for _, page := range []string{"/admin", "/admin/courses/1/enrolments", "/admin/groups", "/admin/groups/1"} {
		if r := admin.get(page); r.status != http.StatusOK {
			t.Errorf("%s: %d", page, r.status)
		}
	}
	if r := admin.get("/admin"); !strings.Contains(r.body, "Compliance dashboard") || !strings.Contains(r.body, "Warehouse") {
		t.Error("dashboard lacks the course or group")
	}
	if r := learner.get("/"); !strings.Contains(r.body, "to do") || !strings.Contains(r.body, "Due ") {
		t.Errorf("learner dashboard lacks the assignment: %d", r.status)
	}
}
