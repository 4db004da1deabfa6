package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/lms/store"
)

// TestInviteGroupMembers: the group page invites the members who never
// signed in, and nobody else.
func TestInviteGroupMembers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	g, _ := e.store.CreateGroup(ctx, "Warehouse")
	newcomer := e.quickUser("new@example.org", "New Comer")
	e.addUser("old@example.org", false)
	e.browser().login("old@example.org", "password-123")
	old, _ := e.store.UserByEmail(ctx, "old@example.org")
	gone := e.quickUser("gone@example.org", "Gone")
	for _, u := range []*store.User{newcomer, old, gone} {
		if _, err := e.store.AddMember(ctx, u.ID, g.ID, func(time.Time, store.DueRule) *time.Time { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	e.store.SetUserActive(ctx, gone.ID, false)
	page := fmt.Sprintf("/admin/groups/%d", g.ID)
	r := admin.post(page+"/invite", url.Values{}, admin.csrf(page))
	if r.status != http.StatusSeeOther {
		t.Fatalf("invite group: %d", r.status)
	}
	if r := admin.get(r.header.Get("Location")); !strings.Contains(r.body, "Invitations are on their way to 1 member who never signed in") {
		t.Errorf("group page after inviting:\n%s", r.body)
	}
	if len(e.mails(store.MessageInvitation, "new@example.org")) != 1 || len(e.mails(store.MessageInvitation, "old@example.org")) != 0 ||
		len(e.mails(store.MessageInvitation, "gone@example.org")) != 0 {
		t.Error("invitations went to the wrong members")
	}
	entries, _ := e.store.AuditEntries(ctx, store.AuditFilter{Action: "user.invite"}, 0)
	if len(entries) != 1 || entries[0].GroupID == nil || *entries[0].GroupID != g.ID {
		t.Errorf("audit %+v, want one entry naming the group", entries)
	}
}

// TestImportInvitesNewUsers: the import's confirmation can invite the users
// it creates, and only them.
func TestImportInvitesNewUsers(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	e.quickUser("lee@example.org", "Lee")
	r := admin.uploadCSV("staff.csv", []byte(importFile))
	if !strings.Contains(r.body, `name="invite"`) {
		t.Fatal("the preview offers no invitations")
	}
	f := confirmForm(t, r)
	f.Set("invite", "1")
	r = admin.post("/admin/users/import/confirm", f, admin.formToken())
	if r.status != http.StatusOK || !strings.Contains(r.body, "2 invitations are on their way") {
		t.Fatalf("confirm with invitations: %d\n%s", r.status, r.body)
	}
	for email, want := range map[string]int{"ann@example.org": 1, "zoe@example.org": 1, "lee@example.org": 0} {
		if got := len(e.mails(store.MessageInvitation, email)); got != want {
			t.Errorf("%s: %d invitations, want %d", email, got, want)
		}
	}
}

// TestAPIInvitations: POST /users with "invite" and POST
// /users/{id}/invitation queue invitations, each audited as the API.
func TestAPIInvitations(t *testing.T) {
	e := newEnv(t)
	admin := e.addUser("admin@example.org", true)
	token := e.apiToken(admin, "read-write", nil)
	r := e.api("POST", "/api/v1/users", token, `{"email":"lee@example.org","name":"Lee Park","invite":true}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create with invite: %d %s", r.status, r.body)
	}
	if len(e.mails(store.MessageInvitation, "lee@example.org")) != 1 {
		t.Fatal("no invitation")
	}
	lee, _ := e.store.UserByEmail(context.Background(), "lee@example.org")
	r = e.api("POST", fmt.Sprintf("/api/v1/users/%d/invitation", lee.ID), token, "")
	if r.status != http.StatusAccepted || !strings.Contains(r.body, `"expiresAt"`) {
		t.Fatalf("resend: %d %s", r.status, r.body)
	}
	if len(e.mails(store.MessageInvitation, "lee@example.org")) != 2 {
		t.Error("no second invitation")
	}
	entries, _ := e.store.AuditEntries(context.Background(), store.AuditFilter{Action: "user.invite", Learner: lee.ID}, 0)
	if len(entries) != 2 || entries[0].Via != store.ViaAPI {
		t.Errorf("audit %+v, want two entries via the API", entries)
	}
	read := e.apiToken(admin, "read", nil)
	wantAPIError(t, "invite with a read token", e.api("POST", fmt.Sprintf("/api/v1/users/%d/invitation", lee.ID), read, ""), 403, "forbidden", "")
	wantAPIError(t, "invite unknown user", e.api("POST", "/api/v1/users/999/invitation", token, ""), 404, "not_found", "")
}

// TestInviteOnGroupAdd: adding a member on the group page or by the API can
// invite them, when they never signed in.
func TestInviteOnGroupAdd(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	g, _ := e.store.CreateGroup(ctx, "Warehouse")
	e.quickUser("new@example.org", "New Comer")
	e.addUser("old@example.org", false)
	e.browser().login("old@example.org", "password-123")
	page := fmt.Sprintf("/admin/groups/%d", g.ID)
	for _, email := range []string{"new@example.org", "old@example.org"} {
		if r := admin.post(page+"/members", url.Values{"email": {email}, "invite": {"1"}}, admin.csrf(page)); r.status != http.StatusSeeOther {
			t.Fatalf("add %s: %d", email, r.status)
		}
	}
	if len(e.mails(store.MessageInvitation, "new@example.org")) != 1 || len(e.mails(store.MessageInvitation, "old@example.org")) != 0 {
		t.Error("invitations on adding members went to the wrong people")
	}
	adminUser, _ := e.store.UserByEmail(ctx, "admin@example.org")
	token := e.apiToken(adminUser, "read-write", nil)
	e.quickUser("api@example.org", "Api User")
	r := e.api("POST", fmt.Sprintf("/api/v1/groups/%d/members", g.ID), token, `{"email":"api@example.org","invite":true}`)
	if r.status != http.StatusCreated || !strings.Contains(r.body, `"invited":true`) {
		t.Fatalf("API add with invite: %d %s", r.status, r.body)
	}
	if len(e.mails(store.MessageInvitation, "api@example.org")) != 1 {
		t.Error("no invitation from the API")
	}
}

// TestInviteOnGroupEnrolment: enrolling a group in a course, on the
// course's enrolment form or on the group's page, invites the members who
// never signed in when the administrator ticks it, and nobody otherwise;
// each invitation names the course, is audited with the course and the
// group, and its link opens the course once the password is chosen.
func TestInviteOnGroupEnrolment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	courseID := uploadFixture(t, e, admin)
	g, _ := e.store.CreateGroup(ctx, "Warehouse")
	h, _ := e.store.CreateGroup(ctx, "Office")
	newcomer := e.quickUser("new@example.org", "New Comer")
	e.addUser("old@example.org", false)
	e.browser().login("old@example.org", "password-123")
	old, _ := e.store.UserByEmail(ctx, "old@example.org")
	gone := e.quickUser("gone@example.org", "Gone")
	e.quickUser("listed@example.org", "Listed")
	clerk := e.quickUser("clerk@example.org", "Clerk")
	noDue := func(time.Time, store.DueRule) *time.Time { return nil }
	for _, u := range []*store.User{newcomer, old, gone} {
		if _, err := e.store.AddMember(ctx, u.ID, g.ID, noDue); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.store.AddMember(ctx, clerk.ID, h.ID, noDue); err != nil {
		t.Fatal(err)
	}
	e.store.SetUserActive(ctx, gone.ID, false)
	invitations := func(to string) []store.MessageRow {
		rows, err := e.store.Messages(ctx, store.MessageFilter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var out []store.MessageRow
		for _, m := range rows {
			if m.Kind == store.MessageInvitation && m.To == to {
				out = append(out, m)
			}
		}
		return out
	}
	page := fmt.Sprintf("/admin/courses/%d/enrolments", courseID)
	if r := admin.get(page); !strings.Contains(r.body, `name="invite"`) {
		t.Fatal("the enrolment form offers no invitations")
	}
	// Not ticked: nobody is invited.
	r := admin.post(page, url.Values{"group": {fmt.Sprint(h.ID)}}, admin.csrf(page))
	if r.status != http.StatusSeeOther || len(invitations("clerk@example.org")) != 0 {
		t.Fatalf("enrol without invitations: %d, %d invitations", r.status, len(invitations("clerk@example.org")))
	}
	// Ticked: the group's newcomer and the listed newcomer, once each.
	r = admin.post(page, url.Values{"group": {fmt.Sprint(g.ID)}, "emails": {"listed@example.org\nnew@example.org"}, "invite": {"1"}}, admin.csrf(page))
	if r.status != http.StatusSeeOther {
		t.Fatalf("enrol with invitations: %d\n%s", r.status, r.body)
	}
	if r := admin.get(r.header.Get("Location")); !strings.Contains(r.body, "on their way to 2 learners who never signed in") {
		t.Errorf("enrolment page after inviting:\n%s", r.body)
	}
	for email, want := range map[string]int{"new@example.org": 1, "listed@example.org": 1, "old@example.org": 0, "gone@example.org": 0, "clerk@example.org": 0} {
		if got := len(invitations(email)); got != want {
			t.Errorf("%s: %d invitations, want %d", email, got, want)
		}
	}
	if ms := invitations("new@example.org"); len(ms) == 1 && !strings.Contains(ms[0].Body, "You are enrolled in the course") {
		t.Errorf("the invitation does not name the course:\n%s", ms[0].Body)
	}
	entries, _ := e.store.AuditEntries(ctx, store.AuditFilter{Action: "user.invite", Learner: newcomer.ID}, 0)
	if len(entries) != 1 || entries[0].CourseID == nil || *entries[0].CourseID != courseID || entries[0].GroupID == nil || *entries[0].GroupID != g.ID {
		t.Errorf("audit %+v, want one entry naming the course and the group", entries)
	}
	// The group page's form: the office's clerk is invited this time.
	gpage := fmt.Sprintf("/admin/groups/%d", h.ID)
	r = admin.post(gpage+"/enrolments", url.Values{"course": {fmt.Sprint(courseID)}, "invite": {"1"}}, admin.csrf(gpage))
	if r.status != http.StatusSeeOther {
		t.Fatalf("group page enrol: %d\n%s", r.status, r.body)
	}
	if r := admin.get(r.header.Get("Location")); !strings.Contains(r.body, "on their way to 1 learner who never signed in") {
		t.Errorf("group page after inviting:\n%s", r.body)
	}
	ms := invitations("clerk@example.org")
	if len(ms) != 1 {
		t.Fatalf("clerk: %d invitations, want 1", len(ms))
	}
	// The API: a group enrolled with "invite" invites its newcomer.
	api, _ := e.store.CreateGroup(ctx, "Drivers")
	driver := e.quickUser("driver@example.org", "Driver")
	if _, err := e.store.AddMember(ctx, driver.ID, api.ID, noDue); err != nil {
		t.Fatal(err)
	}
	adminUser, _ := e.store.UserByEmail(ctx, "admin@example.org")
	token := e.apiToken(adminUser, "read-write", nil)
	if r := e.api("POST", "/api/v1/enrolments", token, fmt.Sprintf(`{"course":%d,"group":%d,"invite":true}`, courseID, api.ID)); r.status != http.StatusOK || !strings.Contains(r.body, `"invited":1`) {
		t.Errorf("API group enrolment with invite: %d %s", r.status, r.body)
	}
	if len(invitations("driver@example.org")) != 1 {
		t.Error("no invitation from the API's group enrolment")
	}
	// The link sets the password and opens the course.
	r = e.browser().choosePassword(strings.TrimPrefix(ms[0].Link, e.opt.BaseURL), "a-long-password-1")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != fmt.Sprintf("/courses/%d", courseID) {
		t.Errorf("invitation link: %d %q, want the course", r.status, r.header.Get("Location"))
	}
}
