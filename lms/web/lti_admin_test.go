package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lectern/lectern/lms/store"
)

// TestLTIAdminPage: the values to paste with copy buttons; registering,
// refusing a bad registration, changing what is kept, removing.
func TestLTIAdminPage(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	r := admin.get("/admin/lti")
	for _, want := range []string{"http://lectern.test/lti/login", "http://lectern.test/lti/launch", "http://lectern.test/lti/deep-link",
		"http://lectern.test/lti/jwks", `data-copy="tool-jwks"`, "signing"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the LTI page lacks %q", want)
		}
	}
	tok := admin.csrf("/admin/lti")
	form := url.Values{"name": {"Moodle"}, "issuer": {"https://moodle.example.org"}, "client_id": {"c1"}, "deployments": {"1, 2"},
		"auth_url": {"https://moodle.example.org/auth"}, "token_url": {"https://moodle.example.org/token"}, "jwks_url": {"https://moodle.example.org/certs"}, "keep": {"none"}}
	if r := admin.post("/admin/lti/platforms", form, tok); r.status != 200 || !strings.Contains(r.body, "Registered Moodle") {
		t.Fatalf("register: %d\n%s", r.status, r.body)
	}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("jwks_url", "javascript:alert(1)")
	bad.Set("client_id", "c2")
	if r := admin.post("/admin/lti/platforms", bad, tok); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "is not an http or https URL") {
		t.Errorf("a bad JWKS URL: %d", r.status)
	}
	if r := admin.post("/admin/lti/platforms", form, tok); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "already registered") {
		t.Errorf("the same platform again: %d", r.status)
	}
	ps, _ := e.store.LTIPlatforms(context.Background())
	if len(ps) != 1 || strings.Join(ps[0].Deployments, ",") != "1,2" || ps[0].KeepName || ps[0].KeepEmail {
		t.Fatalf("platforms %+v", ps)
	}
	if r := admin.post("/admin/lti/platforms/1/keep", url.Values{"keep": {"name,email"}}, tok); r.status != 200 {
		t.Errorf("keep: %d", r.status)
	}
	if p, _ := e.store.LTIPlatformByID(context.Background(), 1); !p.KeepName || !p.KeepEmail {
		t.Error("the keep setting did not change")
	}
	if r := admin.post("/admin/lti/registrations", url.Values{}, tok); r.status != 200 || !strings.Contains(r.body, "/lti/register?t=") {
		t.Errorf("registration link: %d", r.status)
	}
	if r := admin.post("/admin/lti/keys/rotate", url.Values{}, tok); r.status != 200 || !strings.Contains(r.body, "published until") {
		t.Errorf("rotate: %d", r.status)
	}
	if r := admin.post("/admin/lti/platforms/1/remove", url.Values{}, tok); r.status != 200 {
		t.Errorf("remove: %d", r.status)
	}
	if ps, _ := e.store.LTIPlatforms(context.Background()); len(ps) != 0 {
		t.Errorf("after remove: %+v", ps)
	}
	entries, _ := e.store.AuditEntries(context.Background(), store.AuditFilter{Action: "lti."}, 0)
	if len(entries) < 4 {
		t.Errorf("%d lti.* audit entries, want one per action", len(entries))
	}
	if r := admin.get("/admin/lti/scores"); r.status != 200 || !strings.Contains(r.body, "Grade outbox") {
		t.Errorf("outbox page: %d", r.status)
	}
	// The JWKS is public and holds no private part.
	if r := e.browser().get("/lti/jwks"); r.status != 200 || !strings.Contains(r.body, `"kty":"RSA"`) || strings.Contains(r.body, `"d":`) {
		t.Errorf("JWKS: %d %s", r.status, r.body)
	}
}

// TestLTIPlatformAPI: register, list and remove platforms with an API token.
func TestLTIPlatformAPI(t *testing.T) {
	e := newEnv(t)
	admin := e.addUser("admin@example.org", true)
	rw := e.apiToken(admin, store.ScopeReadWrite, nil)
	ro := e.apiToken(admin, store.ScopeRead, nil)
	body := `{"name":"Canvas","issuer":"https://canvas.instructure.com","clientId":"1000001","deployments":["d1"],
		"authUrl":"https://sso.canvaslms.com/api/lti/authorize_redirect","tokenUrl":"https://sso.canvaslms.com/login/oauth2/token",
		"jwksUrl":"https://sso.canvaslms.com/api/lti/security/jwks","keep":"name"}`
	r := e.api(http.MethodPost, "/api/v1/lti/platforms", rw, body)
	p := apiDecode[map[string]any](t, "create", r)
	if r.status != http.StatusCreated || p["keep"] != "name" || p["source"] != "api" {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	wantAPIError(t, "again", e.api(http.MethodPost, "/api/v1/lti/platforms", rw, body), http.StatusConflict, "conflict", "already registered")
	wantAPIError(t, "read token", e.api(http.MethodPost, "/api/v1/lti/platforms", ro, body), http.StatusForbidden, "forbidden", "")
	wantAPIError(t, "no deployment", e.api(http.MethodPost, "/api/v1/lti/platforms", rw, strings.Replace(body, `["d1"]`, `[]`, 1)), http.StatusUnprocessableEntity, "invalid", "deployment")
	list := apiDecode[struct{ Data []map[string]any }](t, "list", e.api(http.MethodGet, "/api/v1/lti/platforms", ro, ""))
	if len(list.Data) != 1 || list.Data[0]["clientId"] != "1000001" {
		t.Errorf("list: %+v", list)
	}
	if r := e.api(http.MethodDelete, "/api/v1/lti/platforms/1", rw, ""); r.status != http.StatusNoContent {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	wantAPIError(t, "delete again", e.api(http.MethodDelete, "/api/v1/lti/platforms/1", rw, ""), http.StatusNotFound, "not_found", "")
}
