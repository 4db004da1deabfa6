package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

// apiToken stores a token of scope for admin directly, skipping the page.
func (e *env) apiToken(admin *store.User, scope string, expires *time.Time) string {
	e.t.Helper()
	token := "lct_" + account.NewToken()
	t := &store.APIToken{Name: "test " + scope, Scope: scope, Hash: account.HashToken(token), CreatedByID: admin.ID, ExpiresAt: expires}
	if err := e.store.CreateAPIToken(context.Background(), t); err != nil {
		e.t.Fatal(err)
	}
	return token
}

// api sends a request with a bearer token ("" sends none) and a raw body.
func (e *env) api(method, path, token, body string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.http.URL+path, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

type apiErrorBody struct {
	Error struct{ Code, Message string }
}

// wantAPIError checks status, the error body's shape and part of its message.
func wantAPIError(t *testing.T, what string, r response, status int, code, msg string) {
	t.Helper()
	var b apiErrorBody
	if err := json.Unmarshal([]byte(r.body), &b); err != nil {
		t.Errorf("%s: body %q is not an API error: %v", what, r.body, err)
		return
	}
	if r.status != status || b.Error.Code != code || !strings.Contains(b.Error.Message, msg) {
		t.Errorf("%s: got %d %q %q, want %d %q containing %q", what, r.status, b.Error.Code, b.Error.Message, status, code, msg)
	}
}

func apiDecode[T any](t *testing.T, what string, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("%s: %v in %q", what, err, r.body)
	}
	return v
}

func TestAPITokenLifecycle(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	csrf := admin.csrf("/admin/tokens")

	r := admin.post("/admin/tokens", url.Values{"name": {"HR sync"}, "scope": {"read-write"}}, csrf)
	if r.status != http.StatusCreated {
		t.Fatalf("create token: %d, want 201\n%s", r.status, r.body)
	}
	token := shownSecret(t, r)
	if !strings.HasPrefix(token, "lct_") {
		t.Errorf("token %q, want the lct_ prefix", token)
	}
	if r := admin.get("/admin/tokens"); strings.Contains(r.body, token) || !strings.Contains(r.body, "HR sync") {
		t.Errorf("token list: shows the token again or misses its name")
	}
	if r := e.api("GET", "/api/v1/courses", token, ""); r.status != http.StatusOK {
		t.Fatalf("use token: %d\n%s", r.status, r.body)
	}
	ts, _ := e.store.APITokens(context.Background())
	if len(ts) != 1 || ts[0].LastUsedAt == nil || ts[0].Hash == token {
		t.Fatalf("stored tokens %+v: want one, hashed, with last use", ts)
	}

	bad := []struct{ name, scope, expires, want string }{
		{"", "read", "", "Name the token"},
		{"x", "admin", "", "Choose whether"},
		{"x", "read", "2020-01-01", "in the past"},
		{"x", "read", "soon", "not a date"},
	}
	for _, tt := range bad {
		r := admin.post("/admin/tokens", url.Values{"name": {tt.name}, "scope": {tt.scope}, "expires": {tt.expires}}, csrf)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tt.want) {
			t.Errorf("create %+v: %d, want 422 with %q", tt, r.status, tt.want)
		}
	}

	// Revoking asks first; the question changes nothing.
	if r := admin.post(fmt.Sprintf("/admin/tokens/%d/revoke", ts[0].ID), url.Values{}, csrf); r.status != http.StatusOK || !strings.Contains(r.body, "Revoke this API token?") {
		t.Fatalf("revoke without confirmation: %d, want the question", r.status)
	}
	if r := e.api("GET", "/api/v1/courses", token, ""); r.status != http.StatusOK {
		t.Fatalf("token after the unconfirmed revocation: %d, want it still working", r.status)
	}
	if r := admin.post(fmt.Sprintf("/admin/tokens/%d/revoke", ts[0].ID), url.Values{"confirm": {"yes"}}, csrf); r.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.status)
	}
	wantAPIError(t, "revoked token", e.api("GET", "/api/v1/courses", token, ""), 401, "unauthorized", "revoked")
	if r := admin.post(fmt.Sprintf("/admin/tokens/%d/revoke", ts[0].ID), url.Values{"confirm": {"yes"}}, csrf); r.status != http.StatusNotFound {
		t.Errorf("revoke twice: %d, want 404", r.status)
	}

	// Expiry: the token works until the end of its day, then not.
	r = admin.post("/admin/tokens", url.Values{"name": {"short"}, "scope": {"read"}, "expires": {"2026-03-03"}}, csrf)
	short := shownSecret(t, r)
	if r := e.api("GET", "/api/v1/users", short, ""); r.status != http.StatusOK {
		t.Fatalf("before expiry: %d", r.status)
	}
	e.advance(48 * time.Hour)
	wantAPIError(t, "expired token", e.api("GET", "/api/v1/users", short, ""), 401, "unauthorized", "expired")
	admin = e.browser() // the session expired too
	if r := admin.login("admin@example.org", "password-123"); r.status != http.StatusSeeOther {
		t.Fatalf("sign in again: %d", r.status)
	}
	if r := admin.get("/admin/tokens"); !strings.Contains(r.body, "(expired)") {
		t.Errorf("token list does not mark the expired token")
	}
}

func TestAPIAuthentication(t *testing.T) {
	e := newEnv(t)
	adminUser := e.addUser("admin@example.org", true)
	learnerUser := e.addUser("lee@example.org", false)
	read := e.apiToken(adminUser, store.ScopeRead, nil)
	rw := e.apiToken(adminUser, store.ScopeReadWrite, nil)

	for _, tt := range []struct{ name, header string }{
		{"none", ""},
		{"forged", "Bearer lct_" + account.NewToken()},
		{"hash instead of token", "Bearer " + account.HashToken(rw)},
		{"basic scheme", "Basic " + rw},
		{"empty bearer", "Bearer "},
	} {
		req, _ := http.NewRequest("GET", e.http.URL+"/api/v1/users", nil)
		if tt.header != "" {
			req.Header.Set("Authorization", tt.header)
		}
		r := e.browser().do(req)
		wantAPIError(t, tt.name, r, 401, "unauthorized", "")
		if r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate header", tt.name)
		}
	}

	// A read token cannot write.
	wantAPIError(t, "read token POST", e.api("POST", "/api/v1/groups", read, `{"name":"Ops"}`), 403, "forbidden", "only read")
	if gs, _ := e.store.Groups(context.Background()); len(gs) != 0 {
		t.Errorf("read token created a group")
	}
	if r := e.api("POST", "/api/v1/groups", rw, `{"name":"Ops"}`); r.status != http.StatusCreated {
		t.Errorf("read-write token POST: %d\n%s", r.status, r.body)
	}

	// Session cookies are not API credentials, the learner's nor the admin's,
	// with or without a CSRF token.
	for _, who := range []string{"lee@example.org", "admin@example.org"} {
		b := e.browser()
		if r := b.login(who, "password-123"); r.status != http.StatusSeeOther {
			t.Fatalf("sign in %s: %d", who, r.status)
		}
		wantAPIError(t, who+" cookie GET", b.get("/api/v1/users"), 401, "unauthorized", "")
		req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/groups", strings.NewReader(`{"name":"Cookie"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", b.formToken())
		wantAPIError(t, who+" cookie POST", b.do(req), 401, "unauthorized", "")
	}

	// A token stops working when its creator is no longer an active admin.
	if err := e.store.UpdateUser(context.Background(), adminUser.ID, adminUser.Email, adminUser.Name, false); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, "token of demoted admin", e.api("GET", "/api/v1/users", rw, ""), 401, "unauthorized", "")
	_ = learnerUser

	// A learner's token cannot exist usefully either.
	lt := e.apiToken(learnerUser, store.ScopeReadWrite, nil)
	wantAPIError(t, "token made for a learner", e.api("GET", "/api/v1/users", lt, ""), 401, "unauthorized", "")
}

func TestAPIBadBodies(t *testing.T) {
	e := newEnv(t)
	rw := e.apiToken(e.addUser("admin@example.org", true), store.ScopeReadWrite, nil)
	tests := []struct {
		name, body string
		status     int
		code, msg  string
	}{
		{"malformed", `{"name":`, 400, "malformed_json", "not valid JSON"},
		{"empty", ``, 400, "malformed_json", "empty"},
		{"two objects", `{"name":"a"}{"name":"b"}`, 400, "malformed_json", "exactly one"},
		{"unknown field", `{"name":"a","colour":"red"}`, 422, "invalid", `"colour"`},
		{"wrong type", `{"name":42}`, 422, "invalid", `"name" must be a string`},
		{"array", `[]`, 422, "invalid", "JSON object"},
		{"too large", `{"name":"` + strings.Repeat("a", 1<<20) + `"}`, 413, "too_large", "larger"},
		{"blank name", `{"name":"  "}`, 422, "invalid", "1 to 200"},
	}
	for _, tt := range tests {
		wantAPIError(t, tt.name, e.api("POST", "/api/v1/groups", rw, tt.body), tt.status, tt.code, tt.msg)
	}
	req, _ := http.NewRequest("POST", e.http.URL+"/api/v1/groups", strings.NewReader("name=x"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+rw)
	wantAPIError(t, "form body", e.browser().do(req), 415, "unsupported_media_type", "JSON")
	wantAPIError(t, "unknown route", e.api("GET", "/api/v1/nothing", rw, ""), 404, "not_found", "/api/v1/nothing")
	wantAPIError(t, "bad limit", e.api("GET", "/api/v1/users?limit=0", rw, ""), 400, "bad_request", "limit")
	wantAPIError(t, "bad cursor", e.api("GET", "/api/v1/users?cursor=zz", rw, ""), 400, "bad_request", "cursor")
}

type apiUserJSON struct {
	ID        uint
	Email     string
	Name      string
	Admin     bool
	Active    bool
	Groups    []string
	CreatedAt string
}

func TestAPIUsers(t *testing.T) {
	e := newEnv(t)
	admin := e.addUser("admin@example.org", true)
	rw := e.apiToken(admin, store.ScopeReadWrite, nil)
	for i := range 5 {
		e.quickUser(fmt.Sprintf("u%d@example.org", i), fmt.Sprintf("User %d", i))
	}

	// Pagination follows next links to the end.
	var emails []string
	next := "/api/v1/users?limit=2"
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		r := e.api("GET", next, rw, "")
		if r.status != 200 {
			t.Fatalf("GET %s: %d\n%s", next, r.status, r.body)
		}
		l := apiDecode[struct {
			Data []apiUserJSON
			Next *string
		}](t, "users", r)
		for _, u := range l.Data {
			emails = append(emails, u.Email)
		}
		next = ""
		if l.Next != nil {
			next = *l.Next
		}
	}
	if got := strings.Join(emails, ","); got != "admin@example.org,u0@example.org,u1@example.org,u2@example.org,u3@example.org,u4@example.org" {
		t.Errorf("paged users %s", got)
	}

	r := e.api("POST", "/api/v1/users", rw, `{"email":" New@Example.org ","name":"New Person"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d\n%s", r.status, r.body)
	}
	u := apiDecode[apiUserJSON](t, "created", r)
	if u.Email != "new@example.org" || !u.Active || u.Admin || r.header.Get("Location") != fmt.Sprintf("/api/v1/users/%d", u.ID) {
		t.Errorf("created %+v, Location %q", u, r.header.Get("Location"))
	}
	if _, err := time.Parse(time.RFC3339, u.CreatedAt); err != nil || !strings.HasSuffix(u.CreatedAt, "Z") {
		t.Errorf("createdAt %q, want ISO 8601 UTC", u.CreatedAt)
	}
	for _, tt := range []struct {
		name, body string
		status     int
		msg        string
	}{
		{"taken", `{"email":"new@example.org","name":"Again"}`, 409, "already exists"},
		{"bad email", `{"email":"nope","name":"X"}`, 422, "not a valid email"},
		{"no name", `{"email":"x@example.org"}`, 422, "Enter a name"},
		{"short password", `{"email":"x@example.org","name":"X","password":"short"}`, 422, "too short"},
	} {
		code := map[int]string{409: "conflict", 422: "invalid"}[tt.status]
		wantAPIError(t, "create "+tt.name, e.api("POST", "/api/v1/users", rw, tt.body), tt.status, code, tt.msg)
	}

	path := fmt.Sprintf("/api/v1/users/%d", u.ID)
	if got := apiDecode[apiUserJSON](t, "get", e.api("GET", path, rw, "")); got.Email != "new@example.org" {
		t.Errorf("GET user: %+v", got)
	}
	wantAPIError(t, "unknown user", e.api("GET", "/api/v1/users/999", rw, ""), 404, "not_found", "user")
	wantAPIError(t, "bad id", e.api("GET", "/api/v1/users/abc", rw, ""), 404, "not_found", "user")

	r = e.api("PATCH", path, rw, `{"active":false,"name":"Renamed"}`)
	if got := apiDecode[apiUserJSON](t, "patch", r); r.status != 200 || got.Active || got.Name != "Renamed" {
		t.Errorf("deactivate: %d %+v", r.status, got)
	}
	wantAPIError(t, "patch unknown field", e.api("PATCH", path, rw, `{"enabled":false}`), 422, "invalid", `"enabled"`)
	wantAPIError(t, "patch bad email", e.api("PATCH", path, rw, `{"email":"bad"}`), 422, "invalid", "not a valid email")
	wantAPIError(t, "deactivate self", e.api("PATCH", fmt.Sprintf("/api/v1/users/%d", admin.ID), rw, `{"active":false}`), 422, "invalid", "cannot deactivate")
	wantAPIError(t, "patch unknown user", e.api("PATCH", "/api/v1/users/999", rw, `{"active":false}`), 404, "not_found", "user")
}

func TestAPICoursesGroupsEnrolmentsResults(t *testing.T) {
	e := newEnv(t)
	adminB := e.signedIn("admin@example.org", true)
	if r := adminB.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), adminB.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	e.publish(1)
	admin, _ := e.store.UserByEmail(context.Background(), "admin@example.org")
	rw := e.apiToken(admin, store.ScopeReadWrite, nil)
	read := e.apiToken(admin, store.ScopeRead, nil)
	lee := e.quickUser("lee@example.org", "Lee")
	e.quickUser("kim@example.org", "Kim")
	gone := e.quickUser("gone@example.org", "Gone")
	if err := e.store.SetUserActive(context.Background(), gone.ID, false); err != nil {
		t.Fatal(err)
	}

	// Courses.
	courses := apiDecode[struct {
		Data []struct {
			ID        uint
			Title     string
			Published bool
			Version   *int
		}
	}](t, "courses", e.api("GET", "/api/v1/courses", read, ""))
	if len(courses.Data) != 1 || !courses.Data[0].Published || courses.Data[0].Version == nil || *courses.Data[0].Version != 1 {
		t.Fatalf("courses %+v", courses)
	}
	if r := e.api("GET", "/api/v1/courses/1", read, ""); r.status != 200 || !strings.Contains(r.body, `"published":true`) {
		t.Errorf("course 1: %d %s", r.status, r.body)
	}
	wantAPIError(t, "unknown course", e.api("GET", "/api/v1/courses/42", read, ""), 404, "not_found", "No such course")

	// Groups and members.
	r := e.api("POST", "/api/v1/groups", rw, `{"name":"Warehouse"}`)
	if r.status != http.StatusCreated {
		t.Fatalf("create group: %d %s", r.status, r.body)
	}
	wantAPIError(t, "duplicate group", e.api("POST", "/api/v1/groups", rw, `{"name":"Warehouse"}`), 409, "conflict", "already exists")
	if r := e.api("POST", "/api/v1/groups/1/members", rw, `{"email":"kim@example.org"}`); r.status != http.StatusCreated {
		t.Errorf("add member: %d %s", r.status, r.body)
	}
	if r := e.api("POST", "/api/v1/groups/1/members", rw, `{"email":"kim@example.org"}`); r.status != http.StatusOK || !strings.Contains(r.body, `"added":false`) {
		t.Errorf("add member again: %d %s", r.status, r.body)
	}
	wantAPIError(t, "member unknown email", e.api("POST", "/api/v1/groups/1/members", rw, `{"email":"ghost@example.org"}`), 422, "invalid", "ghost@example.org")
	wantAPIError(t, "member deactivated", e.api("POST", "/api/v1/groups/1/members", rw, `{"email":"gone@example.org"}`), 422, "invalid", "deactivated")
	wantAPIError(t, "member unknown group", e.api("POST", "/api/v1/groups/9/members", rw, `{"email":"kim@example.org"}`), 404, "not_found", "group")
	if r := e.api("GET", "/api/v1/groups", read, ""); !strings.Contains(r.body, `"name":"Warehouse"`) {
		t.Errorf("groups: %s", r.body)
	}

	// Enrolments: bad input first, nothing written.
	for _, tt := range []struct{ name, body, msg string }{
		{"no course", `{"email":"lee@example.org"}`, `"course"`},
		{"unknown course", `{"course":42,"email":"lee@example.org"}`, "no course with id 42"},
		{"unknown user", `{"course":1,"email":"ghost@example.org"}`, "ghost@example.org"},
		{"deactivated user", `{"course":1,"email":"gone@example.org"}`, "deactivated"},
		{"unknown group", `{"course":1,"group":9}`, "no group with id 9"},
		{"nobody", `{"course":1}`, "email"},
		{"both targets", `{"course":1,"email":"lee@example.org","group":1}`, "not both"},
		{"past date", `{"course":1,"email":"lee@example.org","due":"2020-01-01"}`, "in the past"},
		{"bad date", `{"course":1,"email":"lee@example.org","due":"next week"}`, "not a date"},
		{"date and days", `{"course":1,"email":"lee@example.org","due":"2030-01-01","dueDays":5}`, "not both"},
		{"bad days", `{"course":1,"email":"lee@example.org","dueDays":0}`, "between 1 and 3650"},
		{"unknown field", `{"course":1,"emails":["lee@example.org"]}`, `"emails"`},
	} {
		wantAPIError(t, "enrol "+tt.name, e.api("POST", "/api/v1/enrolments", rw, tt.body), 422, "invalid", tt.msg)
	}
	if rows, _ := e.store.Enrolments(context.Background(), store.EnrolmentFilter{}); len(rows) != 0 {
		t.Fatalf("bad enrolments wrote %d rows", len(rows))
	}
	r = e.api("POST", "/api/v1/enrolments", rw, `{"course":1,"email":"lee@example.org","due":"2026-04-30"}`)
	if r.status != http.StatusCreated || !strings.Contains(r.body, `"dueAt":"2026-04-30T23:59:59Z"`) {
		t.Fatalf("enrol lee: %d %s", r.status, r.body)
	}
	if r := e.api("POST", "/api/v1/enrolments", rw, `{"course":1,"group":1,"dueDays":14}`); r.status != 200 || !strings.Contains(r.body, `"created":1`) {
		t.Fatalf("enrol group: %d %s", r.status, r.body)
	}
	wantAPIError(t, "enrol with read token", e.api("POST", "/api/v1/enrolments", read, `{"course":1,"email":"lee@example.org"}`), 403, "forbidden", "")

	list := apiDecode[struct {
		Data []struct {
			Email string
			Group *uint
			DueAt *string
		}
	}](t, "enrolments", e.api("GET", "/api/v1/enrolments?course=1", read, ""))
	if len(list.Data) != 2 || list.Data[0].Email != "kim@example.org" || list.Data[0].Group == nil || list.Data[1].DueAt == nil {
		t.Errorf("enrolments %+v", list)
	}
	wantAPIError(t, "enrolments of unknown course", e.api("GET", "/api/v1/enrolments?course=42", read, ""), 422, "invalid", "no course with id 42")

	// Results: Lee is overdue after the due date.
	e.advance(60 * 24 * time.Hour)
	res := apiDecode[struct {
		Data []struct {
			Email     string
			Status    string
			Compliant bool
			DueAt     *string
			Score     *float64
		}
	}](t, "results", e.api("GET", fmt.Sprintf("/api/v1/results?course=1&user=%d", lee.ID), read, ""))
	if len(res.Data) != 1 || res.Data[0].Status != "overdue" || res.Data[0].Compliant || res.Data[0].Score != nil {
		t.Errorf("results %+v", res)
	}
	wantAPIError(t, "results of unknown user", e.api("GET", "/api/v1/results?user=999", read, ""), 422, "invalid", "no user with id 999")
	// Report downloads take tokens too.
	if r := e.api("GET", "/api/v1/courses/1/report.csv", read, ""); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || !strings.Contains(r.body, "lee@example.org") {
		t.Errorf("report.csv: %d %q", r.status, r.header.Get("Content-Type"))
	}
	if r := e.api("GET", fmt.Sprintf("/api/v1/users/%d/transcript.csv", lee.ID), read, ""); r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Errorf("transcript.csv: %d %q", r.status, r.header.Get("Content-Type"))
	}
	wantAPIError(t, "report of unknown course", e.api("GET", "/api/v1/courses/42/report.csv", read, ""), 404, "not_found", "")
	wantAPIError(t, "report without token", e.api("GET", "/api/v1/courses/1/report.csv", "", ""), 401, "unauthorized", "")
	wantAPIError(t, "results bad filter", e.api("GET", "/api/v1/results?course=x", read, ""), 422, "invalid", "course must be")
}

func TestAPIOpenAPIDocument(t *testing.T) {
	e := newEnv(t)
	read := e.apiToken(e.addUser("admin@example.org", true), store.ScopeRead, nil)
	r := e.api("GET", "/api/v1/openapi.json", read, "")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi: %d %s", r.status, r.header.Get("Content-Type"))
	}
	doc := apiDecode[struct {
		OpenAPI string
		Paths   map[string]map[string]any
	}](t, "openapi", r)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	// Every API route is documented.
	for _, rt := range e.server.Routes() {
		p, ok := strings.CutPrefix(rt.Path, "/api/v1")
		if !ok || strings.Contains(rt.Path, "*") {
			continue
		}
		p = regexp.MustCompile(`:(\w+)`).ReplaceAllString(p, "{$1}")
		if _, ok := doc.Paths[p][strings.ToLower(rt.Method)]; !ok {
			t.Errorf("%s %s is not in openapi.json", rt.Method, rt.Path)
		}
	}
}
