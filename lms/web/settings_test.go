package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/lectern/lectern/lms/org"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/web"
)

// TestOrganisationSettings: an admin changes the organisation's name and
// time zone after set-up. Bad names (at the limit and one past it) and
// zones are refused with nothing changed; a change needs the CSRF token, is
// stored and audited with what it was, and is used at once by emails,
// certificates and dates on pages. Learners cannot open the page.
func TestOrganisationSettings(t *testing.T) {
	profile := org.New("Acme Safety", time.UTC)
	e := newEnv(t, func(o *web.Options) { o.Org = profile })
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	lee := e.signedIn("lee@example.org", false)
	if r := lee.get("/admin/settings"); r.status != http.StatusForbidden {
		t.Errorf("learner opens the settings: %d, want 403", r.status)
	}
	r := admin.get("/admin/settings")
	if r.status != http.StatusOK || !strings.Contains(r.body, `value="Acme Safety"`) || !strings.Contains(r.body, `value="UTC"`) {
		t.Fatalf("settings page: %d\n%s", r.status, r.body)
	}
	token := csrfField.FindStringSubmatch(r.body)[1]
	harness, _ := e.store.AuditEntries(ctx, store.AuditFilter{Action: "settings.change"}, 0) // the test harness's set-up marker
	unchanged := func(what string) {
		t.Helper()
		saved, _ := e.store.Settings(ctx)
		if profile.Name() != "Acme Safety" || profile.Location() != time.UTC || saved[store.SettingOrganisation] != "" || saved[store.SettingTimeZone] != "" {
			t.Errorf("%s changed the settings: %q in %s, saved %v", what, profile.Name(), profile.Location(), saved)
		}
		if n, _ := e.store.AuditEntries(ctx, store.AuditFilter{Action: "settings.change"}, 0); len(n) != len(harness) {
			t.Errorf("%s left %d audit entries", what, len(n))
		}
	}
	max := 200 // maxOrgNameRunes
	for _, tt := range []struct{ name, org, zone, want string }{
		{"empty name", "", "UTC", "Enter the organisation’s name"},
		{"name one past the limit", strings.Repeat("é", max+1), "UTC", "longer than 200 characters"},
		{"name with a line break", "Acme\nSafety", "UTC", "control character"},
		{"unknown zone", "Acme Safety", "Mars/Olympus", "not a time zone"},
		{"the server's zone", "Acme Safety", "Local", "not a time zone"},
		{"a path", "Acme Safety", "../../etc/passwd", "not a time zone"},
	} {
		r := admin.post("/admin/settings", url.Values{"organisation": {tt.org}, "timezone": {tt.zone}}, token)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tt.want) {
			t.Errorf("%s: %d, want 422 with %q", tt.name, r.status, tt.want)
		}
		unchanged(tt.name)
	}
	if r := admin.post("/admin/settings", url.Values{"organisation": {"Other"}, "timezone": {"UTC"}}, ""); r.status != http.StatusForbidden {
		t.Errorf("without the CSRF token: %d, want 403", r.status)
	}
	unchanged("a post without the CSRF token")
	if r := admin.post("/admin/settings", url.Values{"organisation": {"Acme Safety"}, "timezone": {"UTC"}}, token); r.status != http.StatusSeeOther {
		t.Errorf("saving the same values: %d", r.status)
	}
	unchanged("saving the same values")

	// A name at the limit is accepted.
	long := strings.Repeat("é", max)
	if r := admin.post("/admin/settings", url.Values{"organisation": {long}, "timezone": {"UTC"}}, token); r.status != http.StatusSeeOther || profile.Name() != long {
		t.Errorf("name at the limit: %d, now %q", r.status, profile.Name())
	}
	r = admin.post("/admin/settings", url.Values{"organisation": {" Tokai Safety "}, "timezone": {"Asia/Tokyo"}}, token)
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", r.status, r.body)
	}
	if r := admin.get(r.header.Get("Location")); !strings.Contains(r.body, "Saved: Tokai Safety, in Asia/Tokyo") || !strings.Contains(r.body, `value="Tokai Safety"`) {
		t.Errorf("page after saving:\n%s", r.body)
	}
	saved, _ := e.store.Settings(ctx)
	if saved[store.SettingOrganisation] != "Tokai Safety" || saved[store.SettingTimeZone] != "Asia/Tokyo" {
		t.Errorf("saved %v", saved)
	}
	if profile.Name() != "Tokai Safety" || profile.Location().String() != "Asia/Tokyo" {
		t.Errorf("Lectern uses %q in %s", profile.Name(), profile.Location())
	}
	entries, _ := e.store.AuditEntries(ctx, store.AuditFilter{Action: "settings.change"}, 0)
	if len(entries) != len(harness)+2 {
		t.Fatalf("%d audit entries, want 2 (the long name, then this)", len(entries))
	}
	last := entries[0]
	if last.ActorID == nil || last.Detail["organisation"] != "Tokai Safety" || last.Detail["organisation.before"] != long ||
		last.Detail["timezone"] != "Asia/Tokyo" || last.Detail["timezone.before"] != "UTC" {
		t.Errorf("audit entry %+v %v", last, last.Detail)
	}

	// Dates on pages: the audit trail shows the change at 18:00 in Tokyo
	// (09:00 UTC on the test clock).
	if r := admin.get("/admin/audit"); !strings.Contains(r.body, "Times are in Asia/Tokyo") || !strings.Contains(r.body, "18:00") {
		t.Errorf("audit trail after the change:\n%s", r.body)
	}
	// Certificates carry the new name.
	leeUser, _ := e.store.UserByEmail(ctx, "lee@example.org")
	courseID := uploadFixture(t, e, admin)
	en, _, err := e.store.Enrol(ctx, leeUser.ID, courseID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.RecordCompletion(ctx, &store.Completion{EnrolmentID: en.ID, UserID: leeUser.ID, CourseID: courseID,
		Cycle: 1, CompletedAt: e.clock(), Passed: true, Code: "TEST-0000-0009", CourseTitle: "Course", UserName: "Lee"}); err != nil {
		t.Fatal(err)
	}
	pdf := lee.get("/certificates/TEST-0000-0009")
	if pdf.status != http.StatusOK || !containsText([]byte(pdf.body), "Tokai Safety") {
		t.Errorf("certificate: %d, does not name Tokai Safety", pdf.status)
	}
	// Emails: an invitation is signed with the new name and its expiry is
	// in Tokyo time.
	e.quickUser("new@example.org", "New")
	nu, _ := e.store.UserByEmail(ctx, "new@example.org")
	page := fmt.Sprintf("/admin/users/%d", nu.ID)
	admin.post(page+"/invite", url.Values{}, admin.csrf(page))
	ms := e.mails(store.MessageInvitation, "new@example.org")
	if len(ms) != 1 || !strings.Contains(ms[0].Body, "courses of Tokai Safety") || !strings.Contains(ms[0].Body, "JST") {
		t.Errorf("invitation after the change: %+v", ms)
	}
}

// containsText finds s in a PDF, as bytes or as UTF-16 (metadata).
func containsText(pdf []byte, s string) bool {
	if bytes.Contains(pdf, []byte(s)) {
		return true
	}
	var u []byte
	for _, r := range utf16.Encode([]rune(s)) {
		u = append(u, byte(r>>8), byte(r))
	}
	return bytes.Contains(pdf, u)
}
