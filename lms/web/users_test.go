package web_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/userimport"
)

// userCount is how many users the database holds.
func (e *env) userCount() int {
	e.t.Helper()
	us, err := e.store.Users(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return len(us)
}

// quickUser stores a user without paying for a password hash; they cannot
// sign in.
func (e *env) quickUser(email, name string) *store.User {
	e.t.Helper()
	u := &store.User{Email: email, Name: name, PasswordHash: "-"}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

var secretValue = regexp.MustCompile(`<code id="secret-value">([^<]+)</code>`)

// shownSecret returns the password or link a page shows once.
func shownSecret(t *testing.T, r response) string {
	t.Helper()
	m := secretValue.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no secret shown (status %d)", r.status)
	}
	return html.UnescapeString(m[1])
}

func TestAdminUserList(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	for i := range 60 {
		e.quickUser(fmt.Sprintf("learner%02d@example.org", i), fmt.Sprintf("Learner %02d", i))
	}
	e.quickUser("zed@example.org", "Zed 100%_Sure")
	g, _ := e.store.CreateGroup(context.Background(), "Warehouse")
	zed, _ := e.store.UserByEmail(context.Background(), "zed@example.org")
	if _, err := e.store.AddMember(context.Background(), zed.ID, g.ID, func(time.Time, store.DueRule) *time.Time { return nil }); err != nil {
		t.Fatal(err)
	}

	r := admin.get("/admin/users")
	if r.status != http.StatusOK || !strings.Contains(r.body, "All users (62)") || !strings.Contains(r.body, "Page 1 of 2") {
		t.Fatalf("first page: %d, want 62 users on 2 pages", r.status)
	}
	if !strings.Contains(r.body, `<th scope="col">Email</th>`) || !strings.Contains(r.body, "admin@example.org") {
		t.Error("first page lacks the table header or the first user")
	}
	if !strings.Contains(r.body, `href="/admin/users?page=2"`) {
		t.Error("first page has no link to the next")
	}
	r = admin.get("/admin/users?page=2")
	if !strings.Contains(r.body, "zed@example.org") || !strings.Contains(r.body, "Warehouse") || strings.Contains(r.body, ">admin@example.org</a>") {
		t.Error("second page: want zed with his group and not the first page's users")
	}
	// Search matches email or name, case-insensitively, and % and _ literally.
	for q, want := range map[string]int{"LEARNER0": 10, "learner 05": 1, "100%_": 1, "%": 1, "_": 1, "nobody": 0} {
		r := admin.get("/admin/users?q=" + url.QueryEscape(q))
		if !strings.Contains(r.body, fmt.Sprintf("(%d)</h2>", want)) {
			t.Errorf("search %q: want %d matches", q, want)
		}
	}
	if r := admin.get("/admin/users?q=learner&page=2"); !strings.Contains(r.body, "learner59@example.org") || !strings.Contains(r.body, `href="/admin/users?q=learner"`) {
		t.Error("second page of a search lacks its users or keeps no query in the previous link")
	}
}

func TestAdminCreateUser(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	token := admin.csrf("/admin/users")

	// No password: one is generated, shown once, and works.
	r := admin.post("/admin/users", url.Values{"email": {" Lee@Example.org "}, "name": {"Lee <b>Park</b>"}}, token)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if !strings.Contains(r.body, "Lee &lt;b&gt;Park&lt;/b&gt;") {
		t.Error("the name is not escaped")
	}
	password := shownSecret(t, r)
	if r := e.browser().login("lee@example.org", password); r.status != http.StatusSeeOther {
		t.Errorf("sign in with the generated password: %d", r.status)
	}
	lee, err := e.store.UserByEmail(context.Background(), "lee@example.org")
	if err != nil || lee.Admin || lee.Name != "Lee <b>Park</b>" {
		t.Fatalf("stored user %+v, %v", lee, err)
	}
	if r := admin.get(fmt.Sprintf("/admin/users/%d", lee.ID)); strings.Contains(r.body, password) {
		t.Error("the password is shown again")
	}

	// A chosen password and the admin flag.
	r = admin.post("/admin/users", url.Values{"email": {"ann@example.org"}, "name": {"Ann"}, "admin": {"1"}, "password": {"correct horse battery"}}, token)
	if r.status != http.StatusCreated || secretValue.MatchString(r.body) {
		t.Fatalf("create with password: %d, want 201 and no password shown", r.status)
	}
	if r := e.browser().login("ann@example.org", "correct horse battery"); r.status != http.StatusSeeOther {
		t.Errorf("sign in with the chosen password: %d", r.status)
	}
	if ann, _ := e.store.UserByEmail(context.Background(), "ann@example.org"); !ann.Admin {
		t.Error("ann is not an admin")
	}

	bad := []struct {
		name string
		form url.Values
		want string
	}{
		{"taken", url.Values{"email": {"LEE@example.org"}, "name": {"Lee"}}, "already exists"},
		{"invalid email", url.Values{"email": {"lee@"}, "name": {"Lee"}}, "not a valid email"},
		{"no email", url.Values{"name": {"Lee"}}, "Enter an email"},
		{"no name", url.Values{"email": {"x@example.org"}}, "Enter a name"},
		{"long name", url.Values{"email": {"x@example.org"}, "name": {strings.Repeat("n", 201)}}, "longer than 200"},
		{"short password", url.Values{"email": {"x@example.org"}, "name": {"X"}, "password": {"short"}}, "too short"},
	}
	before := e.userCount()
	for _, tt := range bad {
		r := admin.post("/admin/users", tt.form, token)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(r.body), tt.want) {
			t.Errorf("%s: %d, want 422 saying %q", tt.name, r.status, tt.want)
		}
	}
	if n := e.userCount(); n != before {
		t.Errorf("refused forms made %d users", n-before)
	}
}

func TestAdminEditUser(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	lee := e.quickUser("lee@example.org", "Lee")
	e.quickUser("ann@example.org", "Ann")
	page := fmt.Sprintf("/admin/users/%d", lee.ID)
	token := admin.csrf(page)

	r := admin.post(page, url.Values{"email": {"Lee.Park@example.org"}, "name": {"Lee Park"}, "admin": {"1"}}, token)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != page+"?done=saved" {
		t.Fatalf("edit: %d %q", r.status, r.header.Get("Location"))
	}
	got, _ := e.store.UserByID(context.Background(), lee.ID)
	if got.Email != "lee.park@example.org" || got.Name != "Lee Park" || !got.Admin {
		t.Errorf("after edit: %+v", got)
	}
	if r := admin.get(page + "?done=saved"); !strings.Contains(r.body, "The changes were saved.") {
		t.Error("no confirmation after saving")
	}
	// The admin flag off again: a form without it is a learner.
	admin.post(page, url.Values{"email": {"lee.park@example.org"}, "name": {"Lee Park"}}, token)
	if got, _ := e.store.UserByID(context.Background(), lee.ID); got.Admin {
		t.Error("admin flag not cleared")
	}

	if r := admin.post(page, url.Values{"email": {"ann@example.org"}, "name": {"Lee"}}, token); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Another user has the email") {
		t.Errorf("taken email: %d", r.status)
	}
	if r := admin.post(page, url.Values{"email": {"nope"}, "name": {"Lee"}}, token); r.status != http.StatusUnprocessableEntity {
		t.Errorf("invalid email: %d", r.status)
	}
	if r := admin.post("/admin/users/999", url.Values{"email": {"x@example.org"}, "name": {"X"}}, token); r.status != http.StatusNotFound {
		t.Errorf("missing user: %d, want 404", r.status)
	}
	// An admin cannot demote themselves.
	me, _ := e.store.UserByEmail(context.Background(), "admin@example.org")
	r = admin.post(fmt.Sprintf("/admin/users/%d", me.ID), url.Values{"email": {"admin@example.org"}, "name": {"Me"}}, token)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "own administrator role") {
		t.Errorf("self-demotion: %d", r.status)
	}
	if me, _ := e.store.UserByID(context.Background(), me.ID); !me.Admin || me.Name == "Me" {
		t.Error("self-demotion changed the admin")
	}
}

func TestAdminDeactivateReactivate(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	learner := e.signedIn("lee@example.org", false)
	lee, _ := e.store.UserByEmail(context.Background(), "lee@example.org")
	page := fmt.Sprintf("/admin/users/%d", lee.ID)
	token := admin.csrf(page)

	if r := admin.post(page+"/active", url.Values{}, token); r.status != http.StatusBadRequest {
		t.Errorf("no active field: %d, want 400", r.status)
	}
	// Deactivating asks first, on a page that works without scripts; the
	// question changes nothing.
	r := admin.post(page+"/active", url.Values{"active": {"false"}}, token)
	if r.status != http.StatusOK || !strings.Contains(r.body, "Deactivate User lee@example.org?") || !strings.Contains(r.body, `name="confirm" value="yes"`) {
		t.Fatalf("deactivate without confirmation: %d, want the question\n%s", r.status, r.body)
	}
	if r := learner.get("/"); r.status != http.StatusOK {
		t.Fatalf("the question signed the learner out: %d", r.status)
	}
	r = admin.post(page+"/active", url.Values{"active": {"false"}, "confirm": {"yes"}}, token)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != page+"?done=deactivated" {
		t.Fatalf("deactivate: %d %q", r.status, r.header.Get("Location"))
	}
	if r := learner.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("deactivated learner's session: %d, want sign-in", r.status)
	}
	if r := e.browser().login("lee@example.org", "password-123"); r.status != http.StatusUnauthorized {
		t.Errorf("deactivated learner signs in: %d, want 401", r.status)
	}
	if r := admin.get(page); !strings.Contains(r.body, "Reactivate") {
		t.Error("the page of a deactivated user offers no reactivation")
	}
	if r := admin.post(page+"/active", url.Values{"active": {"true"}}, token); r.status != http.StatusSeeOther {
		t.Fatalf("reactivate: %d", r.status)
	}
	if r := e.browser().login("lee@example.org", "password-123"); r.status != http.StatusSeeOther {
		t.Errorf("reactivated learner signs in: %d, want 303", r.status)
	}
	me, _ := e.store.UserByEmail(context.Background(), "admin@example.org")
	if r := admin.post(fmt.Sprintf("/admin/users/%d/active", me.ID), url.Values{"active": {"false"}, "confirm": {"yes"}}, token); r.status != http.StatusUnprocessableEntity {
		t.Errorf("self-deactivation: %d, want 422", r.status)
	}
	if r := admin.get("/admin/users"); r.status != http.StatusOK {
		t.Errorf("admin after refused self-deactivation: %d", r.status)
	}
}

func TestAdminResetPassword(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	learner := e.signedIn("lee@example.org", false)
	lee, _ := e.store.UserByEmail(context.Background(), "lee@example.org")
	path := fmt.Sprintf("/admin/users/%d/password", lee.ID)
	token := admin.csrf(fmt.Sprintf("/admin/users/%d", lee.ID))

	if r := admin.post(path, url.Values{}, token); r.status != http.StatusBadRequest {
		t.Errorf("no mode: %d, want 400", r.status)
	}
	if r := admin.post(path, url.Values{"mode": {"set"}, "password": {"short"}}, token); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "too short") {
		t.Errorf("short password: %d, want 422", r.status)
	}
	if r := learner.get("/"); r.status != http.StatusOK {
		t.Fatalf("refused resets signed the learner out: %d", r.status)
	}
	if r := admin.post(path, url.Values{"mode": {"generate"}}, token); r.status != http.StatusOK || secretValue.MatchString(r.body) || !strings.Contains(r.body, "a new password?") {
		t.Fatalf("generate without confirmation: %d, want the question and no password", r.status)
	}
	if r := learner.get("/"); r.status != http.StatusOK {
		t.Fatalf("the question signed the learner out: %d", r.status)
	}
	r := admin.post(path, url.Values{"mode": {"generate"}, "confirm": {"yes"}}, token)
	if r.status != http.StatusOK {
		t.Fatalf("generate: %d", r.status)
	}
	password := shownSecret(t, r)
	if r := learner.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("learner's session after reset: %d, want sign-in", r.status)
	}
	if r := e.browser().login("lee@example.org", "password-123"); r.status != http.StatusUnauthorized {
		t.Errorf("old password: %d, want 401", r.status)
	}
	if r := e.browser().login("lee@example.org", password); r.status != http.StatusSeeOther {
		t.Errorf("generated password: %d, want 303", r.status)
	}
	if r := admin.post(path, url.Values{"mode": {"set"}, "password": {"typed by the admin"}}, token); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Tick the box") {
		t.Fatalf("set without the box ticked: %d, want 422", r.status)
	}
	if r := e.browser().login("lee@example.org", password); r.status != http.StatusSeeOther {
		t.Errorf("an unconfirmed set changed the password: %d", r.status)
	}
	r = admin.post(path, url.Values{"mode": {"set"}, "password": {"typed by the admin"}, "confirm": {"yes"}}, token)
	if r.status != http.StatusOK || secretValue.MatchString(r.body) {
		t.Fatalf("set: %d, want 200 and no password shown", r.status)
	}
	if r := e.browser().login("lee@example.org", "typed by the admin"); r.status != http.StatusSeeOther {
		t.Errorf("typed password: %d, want 303", r.status)
	}
}

func TestAdminLoginLink(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	lee := e.quickUser("lee@example.org", "Lee")
	path := fmt.Sprintf("/admin/users/%d/link", lee.ID)
	token := admin.csrf(fmt.Sprintf("/admin/users/%d", lee.ID))

	r := admin.post(path, url.Values{}, token)
	if r.status != http.StatusOK {
		t.Fatalf("link: %d", r.status)
	}
	link := shownSecret(t, r)
	if !strings.HasPrefix(link, e.opt.BaseURL+"/login/link/") {
		t.Fatalf("link %q, want one under %s", link, e.opt.BaseURL)
	}
	if !strings.Contains(r.body, "2026-03-02 09:15 UTC") {
		t.Error("the page does not say when the link expires")
	}
	b := e.browser()
	if r := b.get(strings.TrimPrefix(link, e.opt.BaseURL)); r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("use link: %d %q", r.status, r.header.Get("Location"))
	}
	if r := b.get("/"); r.status != http.StatusOK || !strings.Contains(r.body, "Lee") {
		t.Errorf("signed in by link: %d", r.status)
	}

	// With a course, the link opens it.
	co := &store.CourseVersion{Title: "Fire safety", Edition: "1.2"}
	if err := e.store.CreateCourseVersion(context.Background(), 0, co, nil, func(*store.CourseVersion) error { return nil }); err != nil {
		t.Fatal(err)
	}
	r = admin.post(path, url.Values{"course": {fmt.Sprint(co.CourseID)}}, token)
	if r := e.browser().get(strings.TrimPrefix(shownSecret(t, r), e.opt.BaseURL)); r.header.Get("Location") != fmt.Sprintf("/courses/%d", co.CourseID) {
		t.Errorf("link with a course: %q", r.header.Get("Location"))
	}
	if r := admin.post(path, url.Values{"course": {"999"}}, token); r.status != http.StatusUnprocessableEntity {
		t.Errorf("missing course: %d, want 422", r.status)
	}

	// The link expires after the fixed 15 minutes.
	late := shownSecret(t, admin.post(path, url.Values{}, token))
	e.advance(15 * time.Minute)
	if r := e.browser().get(strings.TrimPrefix(late, e.opt.BaseURL)); r.status != http.StatusGone {
		t.Errorf("expired link: %d, want 410", r.status)
	}

	// No links for deactivated users or administrators.
	if err := e.store.SetUserActive(context.Background(), lee.ID, false); err != nil {
		t.Fatal(err)
	}
	if r := admin.post(path, url.Values{}, token); r.status != http.StatusUnprocessableEntity || secretValue.MatchString(r.body) {
		t.Errorf("link for a deactivated user: %d, want 422", r.status)
	}
	me, _ := e.store.UserByEmail(context.Background(), "admin@example.org")
	if r := admin.post(fmt.Sprintf("/admin/users/%d/link", me.ID), url.Values{}, token); r.status != http.StatusUnprocessableEntity {
		t.Errorf("link for an admin: %d, want 422", r.status)
	}
}

func TestAdminUserGroups(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	lee := e.quickUser("lee@example.org", "Lee")
	g, _ := e.store.CreateGroup(ctx, "Warehouse")
	co := &store.CourseVersion{Title: "Forklifts", Edition: "1.2"}
	if err := e.store.CreateCourseVersion(ctx, 0, co, nil, func(*store.CourseVersion) error { return nil }); err != nil {
		t.Fatal(err)
	}
	days := 30
	if _, err := e.store.EnrolGroup(ctx, g.ID, co.CourseID, store.DueRule{Days: &days}, func(time.Time, store.DueRule) *time.Time { return nil }); err != nil {
		t.Fatal(err)
	}
	page := fmt.Sprintf("/admin/users/%d", lee.ID)
	token := admin.csrf(page)

	if r := admin.post(page+"/groups", url.Values{}, token); r.status != http.StatusUnprocessableEntity {
		t.Errorf("no group: %d, want 422", r.status)
	}
	if r := admin.post(page+"/groups", url.Values{"group": {"999"}}, token); r.status != http.StatusUnprocessableEntity {
		t.Errorf("missing group: %d, want 422", r.status)
	}
	if r := admin.post(page+"/groups", url.Values{"group": {fmt.Sprint(g.ID)}}, token); r.status != http.StatusSeeOther {
		t.Fatalf("join: %d", r.status)
	}
	es, _ := e.store.Enrolments(ctx, store.EnrolmentFilter{UserID: lee.ID})
	if len(es) != 1 || es[0].DueAt == nil {
		t.Fatalf("enrolments after joining: %+v, want one with a due date", es)
	}
	if r := admin.get(page); !strings.Contains(r.body, "Remove from Warehouse") {
		t.Error("the user page does not list the group")
	}
	if r := admin.post(page+"/groups/remove", url.Values{"group": {fmt.Sprint(g.ID)}}, token); r.status != http.StatusOK || !strings.Contains(r.body, "from Warehouse?") {
		t.Fatalf("leave without confirmation: %d, want the question", r.status)
	}
	if gs, _ := e.store.UserGroups(ctx, lee.ID); len(gs) != 1 {
		t.Fatalf("the question removed the membership: %v", gs)
	}
	if r := admin.post(page+"/groups/remove", url.Values{"group": {fmt.Sprint(g.ID)}, "confirm": {"yes"}}, token); r.status != http.StatusSeeOther {
		t.Fatalf("leave: %d", r.status)
	}
	if gs, _ := e.store.UserGroups(ctx, lee.ID); len(gs) != 0 {
		t.Errorf("groups after leaving: %v", gs)
	}
	if es, _ := e.store.Enrolments(ctx, store.EnrolmentFilter{UserID: lee.ID}); len(es) != 1 {
		t.Error("leaving the group removed the enrolment")
	}
}

// TestUserAdminForLearners: no user route lets a learner in or change
// anything, whatever they send.
func TestUserAdminForLearners(t *testing.T) {
	e := newEnv(t)
	learner := e.signedIn("lee@example.org", false)
	victim := e.quickUser("ann@example.org", "Ann")
	g, _ := e.store.CreateGroup(context.Background(), "Warehouse")
	token := learner.formToken()
	form := url.Values{
		"email": {"evil@example.org"}, "name": {"Evil"}, "admin": {"1"}, "active": {"false"},
		"mode": {"generate"}, "group": {fmt.Sprint(g.ID)},
	}
	n := 0
	for _, rt := range e.server.Routes() {
		if !strings.HasPrefix(rt.Path, "/admin/users") {
			continue
		}
		n++
		path := strings.ReplaceAll(rt.Path, ":id", fmt.Sprint(victim.ID))
		var r response
		if rt.Method == http.MethodGet {
			r = learner.get(path)
		} else {
			r = learner.post(path, url.Values(cloneForm(form)), token)
		}
		if r.status != http.StatusForbidden {
			t.Errorf("%s %s as learner: %d, want 403", rt.Method, path, r.status)
		}
	}
	if n < 12 {
		t.Errorf("found %d user routes, want 12", n)
	}
	got, _ := e.store.UserByID(context.Background(), victim.ID)
	if got.Name != "Ann" || got.Admin || !got.Active || got.PasswordHash != "-" {
		t.Errorf("learner changed the user: %+v", got)
	}
	if e.userCount() != 2 {
		t.Error("learner created a user")
	}
	if gs, _ := e.store.UserGroups(context.Background(), victim.ID); len(gs) != 0 {
		t.Error("learner changed groups")
	}
}

func cloneForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// uploadCSV posts a file to the import preview like a browser form.
func (b *browser) uploadCSV(name string, data []byte) response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.e.http.URL+"/admin/users/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", b.formToken())
	return b.do(req)
}

var hiddenField = regexp.MustCompile(`<input type="hidden" name="(data|filename|expires|digest|sig)" value="([^"]*)">`)

// confirmForm is the confirmation form of a preview page.
func confirmForm(t *testing.T, r response) url.Values {
	t.Helper()
	f := url.Values{}
	for _, m := range hiddenField.FindAllStringSubmatch(r.body, -1) {
		f.Set(m[1], html.UnescapeString(m[2]))
	}
	if len(f) != 5 {
		t.Fatalf("preview (status %d) has no confirmation form", r.status)
	}
	return f
}

// memberships lists "email:group" for every membership.
func (e *env) memberships() []string {
	e.t.Helper()
	rows, err := e.store.UsersWithGroups(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		for _, g := range r.Groups {
			out = append(out, r.Email+":"+g)
		}
	}
	return out
}

const importFile = "email,name,groups\n" +
	"ann@example.org,Ann Smith,Warehouse;Night shift\n" +
	"lee@example.org,Lee Park,Warehouse\n" +
	"ZOE@example.org,\"=cmd|' /C calc'!A0\",\n"

func TestImportPreviewThenConfirm(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	e.quickUser("lee@example.org", "Lee")
	g, _ := e.store.CreateGroup(ctx, "warehouse")
	co := &store.CourseVersion{Title: "Forklifts", Edition: "1.2"}
	if err := e.store.CreateCourseVersion(ctx, 0, co, nil, func(*store.CourseVersion) error { return nil }); err != nil {
		t.Fatal(err)
	}
	days := 10
	if _, err := e.store.EnrolGroup(ctx, g.ID, co.CourseID, store.DueRule{Days: &days}, func(time.Time, store.DueRule) *time.Time { return nil }); err != nil {
		t.Fatal(err)
	}
	if r := admin.get("/admin/users/import"); r.status != http.StatusOK || !strings.Contains(r.body, `<label for="file">`) {
		t.Fatalf("import page: %d", r.status)
	}

	// The preview lists every row and writes nothing.
	r := admin.uploadCSV("staff.csv", []byte(importFile))
	if r.status != http.StatusOK {
		t.Fatalf("preview: %d %s", r.status, r.body)
	}
	for _, want := range []string{
		"Preview of staff.csv", "Nothing has been imported yet.",
		"create; add to groups warehouse, Night shift (new)",
		"change the name from “Lee” to “Lee Park”; add to group warehouse",
		"zoe@example.org",
		"=cmd|&#39; /C calc&#39;!A0", // shown escaped
		"could read it as a formula",
		"Import 3 users",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if n := e.userCount(); n != 2 {
		t.Fatalf("preview wrote users: %d, want 2", n)
	}
	if gs, _ := e.store.Groups(ctx); len(gs) != 1 {
		t.Fatalf("preview wrote groups: %d", len(gs))
	}
	form := confirmForm(t, r)

	// The confirmation applies it.
	token := admin.csrf("/admin/users/import")
	r = admin.post("/admin/users/import/confirm", cloneForm(form), token)
	if r.status != http.StatusOK || !strings.Contains(r.body, "The file was imported.") {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	for _, want := range []string{"<dt>Users created</dt><dd>2</dd>", "<dt>Users renamed</dt><dd>1</dd>", "<dt>Groups created</dt><dd>1</dd>", "<dt>Group memberships added</dt><dd>3</dd>", "<dt>Enrolments made</dt><dd>2</dd>"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("result lacks %s", want)
		}
	}
	zoe, err := e.store.UserByEmail(ctx, "zoe@example.org")
	if err != nil || zoe.Name != "=cmd|' /C calc'!A0" || !zoe.Active || !strings.HasPrefix(zoe.PasswordHash, "$argon2id$") {
		t.Fatalf("imported user %+v, %v: want the name as given and a hashed random password", zoe, err)
	}
	want := "ann@example.org:Night shift ann@example.org:warehouse lee@example.org:warehouse"
	if got := strings.Join(e.memberships(), " "); got != want {
		t.Errorf("memberships %q, want %q", got, want)
	}
	if es, _ := e.store.Enrolments(ctx, store.EnrolmentFilter{CourseID: co.CourseID}); len(es) != 2 {
		t.Errorf("%d enrolments, want ann and lee through the group", len(es))
	}
	if r := admin.get("/admin/users"); !strings.Contains(r.body, "=cmd|&#39; /C calc&#39;!A0") {
		t.Error("user list does not show the name escaped")
	}

	// The same file again changes nothing.
	r = admin.uploadCSV("staff.csv", []byte(importFile))
	if r.status != http.StatusOK || strings.Count(r.body, "no change") != 3 {
		t.Errorf("second preview: %d, want 3 rows with no change", r.status)
	}
	if !strings.Contains(r.body, "Importing this file would change nothing.") {
		t.Error("second preview offers to import")
	}
	// Replaying the first confirmation is harmless: the plan differs now.
	if r := admin.post("/admin/users/import/confirm", cloneForm(form), token); r.status != http.StatusConflict {
		t.Errorf("replayed confirmation: %d, want 409", r.status)
	}
	if e.userCount() != 4 || len(e.memberships()) != 3 {
		t.Error("re-import changed users or groups")
	}
}

func TestImportBadFiles(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	e.quickUser("lee@example.org", "Lee")
	tests := []struct {
		name   string
		file   string
		status int
		want   []string
	}{
		{"empty file", "", 422, []string{"The file was not read: the file is empty"}},
		{"header only", "email,name\n", 422, []string{"header row but no users"}},
		{"missing column", "email,groups\nann@example.org,x\n", 422, []string{"the column name is missing"}},
		{"extra columns", "email,name,phone,Department\nann@example.org,Ann,1,2\n", 422, []string{"unknown columns “phone”, “Department”"}},
		{"no header", "ann@example.org,Ann\n", 422, []string{"must name the columns"}},
		{"not UTF-8", "email,name\nann@example.org,Ann\nbjorn@example.org,Bj\xf6rn\n", 422, []string{"not UTF-8 text (line 3"}},
		{"duplicate emails", "email,name\nann@example.org,Ann\nbob@example.org,Bob\nANN@example.org,Ann B\n", 200,
			[]string{"the email also appears on line 4", "the email also appears on line 2"}},
		{"invalid address", "email,name\nann@,Ann\n", 200, []string{"“ann@” is not a valid email address"}},
		{"long name", "email,name\nann@example.org," + strings.Repeat("a", 201) + "\n", 200, []string{"longer than 200 characters"}},
		{"long group", "email,name,groups\nann@example.org,Ann," + strings.Repeat("g", 101) + "\n", 200, []string{"longer than 100 characters"}},
		{"new user without name", "email,name\nann@example.org,\n", 200, []string{"a name is required for a new user"}},
		{"markup", "email,name\nann@example.org,<script>alert(1)</script>\n", 200, []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := admin.uploadCSV("bad.csv", []byte(tt.file))
			if r.status != tt.status {
				t.Errorf("status %d, want %d", r.status, tt.status)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if strings.Contains(r.body, "<script>alert") {
				t.Error("markup from the file reached the page")
			}
			if e.userCount() != 2 {
				t.Error("a preview wrote users")
			}
		})
	}
	if r := admin.post("/admin/users/import", url.Values{}, admin.csrf("/admin/users/import")); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "choose a CSV file") {
		t.Errorf("no file: %d", r.status)
	}
}

func TestImportRowsWithErrorsNeedConsent(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	file := "email,name\nann@example.org,Ann\nbad@,Bad\nbob@example.org,Bob\nbob@example.org,Bobby\n"
	r := admin.uploadCSV("mixed.csv", []byte(file))
	if !strings.Contains(r.body, `name="skip_invalid"`) || !strings.Contains(r.body, "skip the 3 rows with errors") {
		t.Fatalf("preview with errors (%d) does not ask to skip them", r.status)
	}
	form := confirmForm(t, r)
	token := admin.csrf("/admin/users/import")
	r = admin.post("/admin/users/import/confirm", cloneForm(form), token)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Nothing was imported: 3 rows have errors") {
		t.Errorf("confirm without consent: %d, want 422", r.status)
	}
	if e.userCount() != 1 {
		t.Fatal("confirm without consent wrote users")
	}
	form.Set("skip_invalid", "1")
	if r := admin.post("/admin/users/import/confirm", form, token); r.status != http.StatusOK || !strings.Contains(r.body, "<dt>Rows skipped for errors</dt><dd>3</dd>") {
		t.Fatalf("confirm with consent: %d", r.status)
	}
	if _, err := e.store.UserByEmail(context.Background(), "ann@example.org"); err != nil {
		t.Error("the valid row was not imported")
	}
	if _, err := e.store.UserByEmail(context.Background(), "bob@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Error("a duplicated email was imported")
	}
}

func TestImportConfirmationIsChecked(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	other := e.signedIn("other@example.org", true)
	file := []byte("email,name\nann@example.org,Ann\n")
	form := confirmForm(t, admin.uploadCSV("a.csv", file))
	token := admin.csrf("/admin/users/import")

	forged := func(key, value string) url.Values {
		f := cloneForm(form)
		f.Set(key, value)
		return f
	}
	evil := confirmForm(t, admin.uploadCSV("b.csv", []byte("email,name\nevil@example.org,Evil\n")))
	cases := map[string]url.Values{
		"changed data":     forged("data", evil.Get("data")),
		"changed digest":   forged("digest", evil.Get("digest")),
		"changed name":     forged("filename", "other.csv"),
		"changed expiry":   forged("expires", "99999999999"),
		"bad signature":    forged("sig", strings.Repeat("0", 64)),
		"no signature":     forged("sig", ""),
		"nothing":          {},
		"data not base64":  forged("data", "!!!"),
		"another's review": nil, // sent by the other admin below
	}
	for name, f := range cases {
		b, tok := admin, token
		if f == nil {
			b, tok, f = other, other.csrf("/admin/users/import"), cloneForm(form)
		}
		if r := b.post("/admin/users/import/confirm", f, tok); r.status != http.StatusBadRequest || !strings.Contains(r.body, "expired or was changed") {
			t.Errorf("%s: %d, want 400", name, r.status)
		}
	}
	// An hour later the same admin, signed in again, cannot use it.
	e.advance(time.Hour)
	again := e.browser()
	if r := again.login("admin@example.org", "password-123"); r.status != http.StatusSeeOther {
		t.Fatalf("sign in again: %d", r.status)
	}
	if r := again.post("/admin/users/import/confirm", cloneForm(form), again.csrf("/admin/users/import")); r.status != http.StatusBadRequest {
		t.Errorf("an hour later: %d, want 400", r.status)
	}
	if e.userCount() != 2 {
		t.Error("a refused confirmation wrote users")
	}
}

func TestImportChangesSincePreview(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	form := confirmForm(t, admin.uploadCSV("a.csv", []byte("email,name\nann@example.org,Ann\n")))
	e.quickUser("ann@example.org", "Ann Other")
	r := admin.post("/admin/users/import/confirm", form, admin.csrf("/admin/users/import"))
	if r.status != http.StatusConflict || !strings.Contains(r.body, "changed since the preview") || !strings.Contains(r.body, "change the name from “Ann Other” to “Ann”") {
		t.Fatalf("confirm after a change: %d, want 409 with the new preview", r.status)
	}
	if ann, _ := e.store.UserByEmail(context.Background(), "ann@example.org"); ann.Name != "Ann Other" {
		t.Error("a stale preview was applied")
	}
	if r := admin.post("/admin/users/import/confirm", confirmForm(t, r), admin.csrf("/admin/users/import")); r.status != http.StatusOK {
		t.Errorf("confirm the new preview: %d", r.status)
	}
}

// padded is a valid CSV file of exactly size bytes.
func padded(size int) []byte {
	b := []byte("email,name\nann@example.org,Ann\n")
	return append(b, bytes.Repeat([]byte("\n"), size-len(b))...)
}

func TestImportSizeLimit(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	if r := admin.uploadCSV("big.csv", padded(userimport.MaxImportBytes)); r.status != http.StatusOK || !strings.Contains(r.body, "Import 1 user") {
		t.Errorf("file at the limit: %d, want a preview", r.status)
	}
	r := admin.uploadCSV("big.csv", padded(userimport.MaxImportBytes+1))
	if r.status != http.StatusRequestEntityTooLarge || !strings.Contains(r.body, "larger than the limit of 5 MB") {
		t.Errorf("one byte over: %d, want 413", r.status)
	}

	// 50 MB are refused without being read: at once when the length is
	// declared, after the limit when it is not.
	for _, declared := range []bool{true, false} {
		body := &endlessCSV{left: 50 << 20}
		req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/admin/users/import", body)
		req.Header.Set("Content-Type", "multipart/form-data; boundary=XX")
		req.Header.Set("X-CSRF-Token", admin.formToken())
		if declared {
			req.ContentLength = body.left
		} else {
			req.ContentLength = -1
		}
		start := time.Now()
		resp, err := admin.c.Do(req)
		took := time.Since(start)
		if err != nil {
			t.Errorf("declared %v: %v", declared, err)
			continue
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(page), "larger than the limit") {
			t.Errorf("declared %v: %d, want 413", declared, resp.StatusCode)
		}
		t.Logf("declared %v: client sent %d bytes in %v", declared, body.sent.Load(), took)
		if sent := body.sent.Load(); sent > 20<<20 {
			t.Errorf("declared %v: the server read %d MB of 50", declared, sent>>20)
		}
	}
	if e.userCount() != 1 {
		t.Error("an oversized file wrote users")
	}
}

// endlessCSV is a multipart body whose one file part never ends within 50 MB.
type endlessCSV struct {
	left int64
	sent atomic.Int64 // read by the test while the transport may still write
	head bool
}

func (b *endlessCSV) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	n := 0
	if !b.head {
		b.head = true
		n = copy(p, "--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.csv\"\r\n\r\nemail,name\n")
	}
	for n < len(p) && int64(n) < b.left {
		p[n] = '\n'
		n++
	}
	b.left -= int64(n)
	b.sent.Add(int64(n))
	return n, nil
}
