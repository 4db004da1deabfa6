package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
)

// TestEnrolByListWithUnknownAddresses: a list with unknown addresses enrols
// the known ones (one audit entry each), lists the unknown ones and leaves
// only those in the form.
func TestEnrolByListWithUnknownAddresses(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	e.publish(1)
	e.addUser("lee@example.org", false)
	e.addUser("kim@example.org", false)
	gone := e.addUser("gone@example.org", false)
	e.store.SetUserActive(ctx, gone.ID, false)
	tok := admin.csrf("/admin/courses/1/enrolments")
	before := e.lastAuditID()
	r := admin.post("/admin/courses/1/enrolments", url.Values{"emails": {"lee@example.org, ghost@example.org\nKim@Example.org; gone@example.org"}, "due_days": {"14"}}, tok)
	if r.status != http.StatusOK {
		t.Fatalf("enrol: %d\n%s", r.status, r.body)
	}
	for _, want := range []string{"2 new enrolments.", "Not enrolled: no active user has these addresses: ghost@example.org, gone@example.org (deactivated).",
		">ghost@example.org\ngone@example.org</textarea>", `value="14"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the page does not say %q", want)
		}
	}
	rows, _ := e.store.Enrolments(ctx, storeFilterAll())
	var got []string
	for _, row := range rows {
		got = append(got, row.UserEmail)
		if row.DueAt == nil {
			t.Errorf("%s has no due date", row.UserEmail)
		}
	}
	if len(rows) != 2 || !strings.Contains(strings.Join(got, " "), "lee@example.org") || !strings.Contains(strings.Join(got, " "), "kim@example.org") {
		t.Errorf("enrolled %v, want lee and kim", got)
	}
	entries := e.auditAfter(before)
	if len(entries) != 2 || entries[0].Action != "enrolment.create" || entries[1].Action != "enrolment.create" {
		t.Errorf("audit entries %+v, want two enrolment.create", entries)
	}
	// The group page enrols its members, with a due date; bad input changes nothing.
	if r := admin.post("/admin/groups", url.Values{"name": {"Warehouse"}}, tok); r.status != http.StatusSeeOther {
		t.Fatalf("group: %d", r.status)
	}
	admin.post("/admin/groups/1/members", url.Values{"email": {"lee@example.org"}}, tok)
	admin.post("/admin/groups/1/members", url.Values{"email": {"admin@example.org"}}, tok)
	if r := admin.get("/admin/groups/1"); !strings.Contains(r.body, `action="/admin/groups/1/enrolments"`) {
		t.Error("the group page has no enrolment form")
	}
	for _, bad := range []struct {
		form url.Values
		want string
	}{
		{url.Values{}, "Choose a course"},
		{url.Values{"course": {"9"}}, "does not exist"},
		{url.Values{"course": {"1"}, "due": {"2020-01-01"}}, "in the past"},
		{url.Values{"course": {"1"}, "due": {"2026-12-01"}, "due_days": {"3"}}, "not both"},
	} {
		e.correctionCheck(t, "group enrol "+bad.want, func() response {
			r := admin.post("/admin/groups/1/enrolments", bad.form, tok)
			if !strings.Contains(r.body, bad.want) {
				t.Errorf("group enrol %v: the page does not say %q", bad.form, bad.want)
			}
			return r
		}, http.StatusUnprocessableEntity, "")
	}
	before = e.lastAuditID()
	if r := admin.post("/admin/groups/1/enrolments", url.Values{"course": {"1"}, "due": {"2026-09-30"}}, tok); r.status != http.StatusSeeOther ||
		!strings.Contains(r.header.Get("Location"), "1+new+enrolment") {
		t.Errorf("group enrol: %d %s", r.status, r.header.Get("Location"))
	}
	if got := e.auditAfter(before); len(got) != 1 || got[0].Action != "enrolment.group" {
		t.Errorf("group enrol: audit entries %+v, want one enrolment.group", got)
	}
	if r := admin.get("/admin/groups/1"); !strings.Contains(r.body, "admin@example.org") {
		t.Error("the group page does not list the new enrolment")
	}
}
