package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/store"
)

// auditAfter returns the audit entries written after id, oldest first.
func (e *env) auditAfter(id uint) []store.AuditEntryRow {
	e.t.Helper()
	rows, err := e.store.AuditEntries(context.Background(), store.AuditFilter{}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []store.AuditEntryRow
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].ID > id {
			out = append(out, rows[i])
		}
	}
	return out
}

// lastAuditID is the newest entry's id (0: none).
func (e *env) lastAuditID() uint {
	e.t.Helper()
	rows, err := e.store.AuditEntries(context.Background(), store.AuditFilter{}, 1)
	if err != nil {
		e.t.Fatal(err)
	}
	if len(rows) == 0 {
		return 0
	}
	return rows[0].ID
}

// wantOneAudit runs do and checks that it wrote exactly one entry, of
// action, by actor through via.
func (e *env) wantOneAudit(t *testing.T, name, action string, actor *store.User, via string, do func() response, wantStatus int) store.AuditEntryRow {
	t.Helper()
	before := e.lastAuditID()
	r := do()
	if r.status != wantStatus {
		t.Fatalf("%s: status %d, want %d\n%s", name, r.status, wantStatus, r.body)
	}
	got := e.auditAfter(before)
	if len(got) != 1 {
		var actions []string
		for _, g := range got {
			actions = append(actions, g.Action)
		}
		t.Fatalf("%s: %d audit entries %v, want exactly one %s", name, len(got), actions, action)
	}
	a := got[0]
	if a.Action != action || a.Via != via || a.ActorID == nil || *a.ActorID != actor.ID {
		t.Errorf("%s: entry %s via %s by %v, want %s via %s by user %d", name, a.Action, a.Via, a.ActorID, action, via, actor.ID)
	}
	return a
}

// TestAdminActionsAreAudited: every admin action of the web pages and the API
// writes exactly one audit entry naming who did it and how.
func TestAdminActionsAreAudited(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	adminUser, _ := e.store.UserByEmail(context.Background(), "admin@example.org")
	lee := e.addUser("lee@example.org", false)
	tok := admin.csrf("/admin/users")
	web := func(path string, form url.Values) func() response {
		return func() response { return admin.post(path, form, tok) }
	}
	steps := []struct {
		name, action string
		do           func() response
		status       int
	}{
		{"upload", "course.import", func() response {
			return admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), tok, true)
		}, http.StatusCreated},
		{"new version", "course.version", func() response {
			return admin.upload("/admin/courses/1/versions", fixture.ZipDir(t, fixture.Package("scorm12-single")), tok, true)
		}, http.StatusCreated},
		{"publish", "course.publish", web("/admin/courses/1/status", url.Values{"status": {"published"}}), http.StatusSeeOther},
		{"course rules", "course.rules", web("/admin/courses/1/rules", url.Values{"pass_rule": {"auto"}, "attempt_policy": {"best"}, "validity_months": {"12"}, "prior_work": {"on"}}), http.StatusSeeOther},
		{"create user", "user.create", web("/admin/users", url.Values{"email": {"zoe@example.org"}, "name": {"Zoe"}}), http.StatusCreated},
		{"update user", "user.update", web(fmt.Sprintf("/admin/users/%d", lee.ID), url.Values{"email": {"lee@example.org"}, "name": {"Lee Park"}}), http.StatusSeeOther},
		{"deactivate", "user.deactivate", web(fmt.Sprintf("/admin/users/%d/active", lee.ID), url.Values{"active": {"false"}, "confirm": {"yes"}}), http.StatusSeeOther},
		{"reactivate", "user.activate", web(fmt.Sprintf("/admin/users/%d/active", lee.ID), url.Values{"active": {"true"}}), http.StatusSeeOther},
		{"reset password", "user.password", web(fmt.Sprintf("/admin/users/%d/password", lee.ID), url.Values{"mode": {"generate"}, "confirm": {"yes"}}), http.StatusOK},
		{"invite", "user.invite", web(fmt.Sprintf("/admin/users/%d/invite", lee.ID), url.Values{}), http.StatusOK},
		{"email a sign-in link", "user.sign-in-link", web(fmt.Sprintf("/admin/users/%d/email-link", lee.ID), url.Values{"course": {"1"}}), http.StatusOK},
		{"email sign-in links", "user.sign-in-link", web("/admin/users/email", url.Values{"action": {"sign-in-link"}, "user": {fmt.Sprint(lee.ID)}}), http.StatusOK},
		{"sign-in link", "user.login_link", web(fmt.Sprintf("/admin/users/%d/link", lee.ID), url.Values{"course": {"1"}}), http.StatusOK},
		{"create group", "group.create", web("/admin/groups", url.Values{"name": {"Warehouse"}}), http.StatusSeeOther},
		{"join group", "group.member_add", web(fmt.Sprintf("/admin/users/%d/groups", lee.ID), url.Values{"group": {"1"}}), http.StatusSeeOther},
		{"leave group", "group.member_remove", web(fmt.Sprintf("/admin/users/%d/groups/remove", lee.ID), url.Values{"group": {"1"}, "confirm": {"yes"}}), http.StatusSeeOther},
		{"add member", "group.member_add", web("/admin/groups/1/members", url.Values{"email": {"lee@example.org"}}), http.StatusSeeOther},
		{"invite the group", "user.invite", web("/admin/groups/1/invite", url.Values{}), http.StatusSeeOther},
		{"remove member", "group.member_remove", web(fmt.Sprintf("/admin/groups/1/members/%d/remove", lee.ID), url.Values{"confirm": {"yes"}}), http.StatusSeeOther},
		{"enrol", "enrolment.create", web("/admin/courses/1/enrolments", url.Values{"emails": {"lee@example.org"}}), http.StatusSeeOther},
		{"enrol group", "enrolment.group", web("/admin/courses/1/enrolments", url.Values{"group": {"1"}, "due_days": {"10"}}), http.StatusSeeOther},
		{"enrol group from its page", "enrolment.group", web("/admin/groups/1/enrolments", url.Values{"course": {"1"}, "due": {"2026-09-30"}}), http.StatusSeeOther},
		{"create token", "token.create", web("/admin/tokens", url.Values{"name": {"HR"}, "scope": {"read"}}), http.StatusCreated},
		{"revoke token", "token.revoke", web("/admin/tokens/1/revoke", url.Values{"confirm": {"yes"}}), http.StatusSeeOther},
	}
	for _, s := range steps {
		a := e.wantOneAudit(t, "web "+s.name, s.action, adminUser, store.ViaWeb, s.do, s.status)
		if a.ActorName != "User admin@example.org <admin@example.org>" {
			t.Errorf("web %s: actor name %q", s.name, a.ActorName)
		}
	}
	// Reading changes nothing, and neither does a confirmation question.
	before := e.lastAuditID()
	admin.post(fmt.Sprintf("/admin/users/%d/active", lee.ID), url.Values{"active": {"false"}}, tok)
	admin.post(fmt.Sprintf("/admin/users/%d/password", lee.ID), url.Values{"mode": {"generate"}}, tok)
	for _, p := range []string{"/admin", "/admin/users", "/admin/courses/1/enrolments", "/admin/groups/1"} {
		admin.get(p)
	}
	if got := e.auditAfter(before); len(got) != 0 {
		t.Errorf("reading pages wrote %d audit entries", len(got))
	}

	token := e.apiToken(adminUser, store.ScopeReadWrite, nil)
	api := func(method, path, body string) func() response {
		return func() response { return e.api(method, path, token, body) }
	}
	apiSteps := []struct {
		name, action string
		do           func() response
		status       int
	}{
		{"create user", "user.create", api("POST", "/api/v1/users", `{"email":"kim@example.org","name":"Kim"}`), http.StatusCreated},
		{"rename user", "user.update", api("PATCH", fmt.Sprintf("/api/v1/users/%d", lee.ID), `{"name":"Lee P."}`), http.StatusOK},
		{"deactivate", "user.deactivate", api("PATCH", fmt.Sprintf("/api/v1/users/%d", lee.ID), `{"active":false}`), http.StatusOK},
		{"create group", "group.create", api("POST", "/api/v1/groups", `{"name":"Office"}`), http.StatusCreated},
		{"add member", "group.member_add", api("POST", "/api/v1/groups/2/members", `{"email":"kim@example.org"}`), http.StatusCreated},
		{"enrol", "enrolment.create", api("POST", "/api/v1/enrolments", `{"course":1,"email":"zoe@example.org"}`), http.StatusCreated},
		{"enrol group", "enrolment.group", api("POST", "/api/v1/enrolments", `{"course":1,"group":2,"dueDays":5}`), http.StatusOK},
	}
	for _, s := range apiSteps {
		a := e.wantOneAudit(t, "api "+s.name, s.action, adminUser, store.ViaAPI, s.do, s.status)
		if a.ActorName != `User admin@example.org <admin@example.org> with token "test read-write"` {
			t.Errorf("api %s: actor name %q", s.name, a.ActorName)
		}
	}
}
