package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/oidctest"
	"github.com/lectern/lectern/lms/sso"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/web"
)

const ssoCallback = "http://lectern.test/login/sso/callback"

// newSSOEnv is a Lectern signing in with a real OpenID Provider.
func newSSOEnv(t *testing.T, tweak func(*sso.Config), users ...oidctest.User) (*env, *oidctest.Provider) {
	t.Helper()
	idp := oidctest.Start(t, ssoCallback, users...)
	cfg := sso.Config{Issuer: idp.Issuer, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret, RedirectURL: ssoCallback,
		Scopes: []string{"email", "profile"}, Label: "Test IdP", MatchEmail: true, GroupsClaim: "groups"}
	if tweak != nil {
		tweak(&cfg)
	}
	client, err := sso.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return newEnv(t, func(o *web.Options) { o.SSO = client }), idp
}

// noRedirects is a client for the provider's side of the flow.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 30 * time.Second}

func follow(t *testing.T, u string) string {
	t.Helper()
	resp, err := noRedirects.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("GET %s: %d, want a redirect", u, resp.StatusCode)
	}
	next, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return next.String()
}

// ssoRound starts single sign-on in b, lets tamper change the request to
// the provider, signs in there as username and returns Lectern's callback
// path with the code and state the provider sent back.
func ssoRound(t *testing.T, b *browser, start, username string, tamper func(q url.Values)) string {
	t.Helper()
	r := b.get(start)
	if r.status != http.StatusFound {
		t.Fatalf("start single sign-on: %d %s", r.status, r.body)
	}
	auth, _ := url.Parse(r.header.Get("Location"))
	q := auth.Query()
	if q.Get("state") == "" || q.Get("nonce") == "" || q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" {
		t.Fatalf("authorization request without state, nonce or PKCE: %s", auth)
	}
	if tamper != nil {
		tamper(q)
		auth.RawQuery = q.Encode()
	}
	login := follow(t, auth.String()) // the provider's sign-in page
	lu, _ := url.Parse(login)
	lq := lu.Query()
	lq.Set("username", username)
	lu.RawQuery = lq.Encode()
	back := follow(t, follow(t, lu.String())) // signed in, then the code
	if !strings.HasPrefix(back, ssoCallback+"?") {
		t.Fatalf("the provider sent the browser to %s", back)
	}
	return strings.TrimPrefix(back, "http://lectern.test")
}

func signedInAs(t *testing.T, e *env, b *browser) string {
	t.Helper()
	r := b.get("/account")
	if r.status != http.StatusOK {
		return ""
	}
	m := strings.Index(r.body, "<dt>Email</dt><dd>")
	if m < 0 {
		return "?"
	}
	rest := r.body[m+len("<dt>Email</dt><dd>"):]
	return rest[:strings.Index(rest, "<")]
}

// TestSSOSignIn: an existing user signs on with a verified email, is linked
// to their subject, comes back to where they were going, and later signs on
// by subject even after their email changed at the provider. A used code or
// a used state never works again.
func TestSSOSignIn(t *testing.T) {
	e, idp := newSSOEnv(t, nil, oidctest.User{Subject: "sub-lee", Username: "lee", Email: "Lee@Example.org", EmailVerified: oidctest.Bool(true), Name: "Lee at IdP"})
	ctx := context.Background()
	e.addUser("lee@example.org", false)
	if r := e.browser().get("/login"); !strings.Contains(r.body, "Sign in with Test IdP") {
		t.Fatal("the sign-in page has no single sign-on button")
	}
	b := e.browser()
	cb := ssoRound(t, b, "/login/sso?next=/account", "lee", nil)
	r := b.get(cb)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account" {
		t.Fatalf("callback: %d %q\n%s", r.status, r.header.Get("Location"), r.body)
	}
	if who := signedInAs(t, e, b); who != "lee@example.org" {
		t.Fatalf("signed in as %q", who)
	}
	lee, _ := e.store.UserByEmail(ctx, "lee@example.org")
	if lee.SSOSubject == nil || *lee.SSOSubject != "sub-lee" || lee.SSOIssuer == nil || *lee.SSOIssuer != idp.Issuer {
		t.Errorf("link after the first sign-on: %v %v", lee.SSOIssuer, lee.SSOSubject)
	}
	if n := e.audits("account.sso-link", lee); n != 1 {
		t.Errorf("audit entries of the link: %d", n)
	}
	// The same callback again: its state cookie is gone.
	if r := b.get(cb); r.status != http.StatusBadRequest || !strings.Contains(r.body, "took too long or was started in another browser") {
		t.Errorf("replayed callback: %d", r.status)
	}
	// The used code with a fresh state: the provider refuses it.
	b2 := e.browser()
	r = b2.get("/login/sso")
	state, _ := url.Parse(r.header.Get("Location"))
	old, _ := url.Parse(cb)
	replay := "/login/sso/callback?code=" + url.QueryEscape(old.Query().Get("code")) + "&state=" + url.QueryEscape(state.Query().Get("state"))
	if r := b2.get(replay); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "refused this sign-in") {
		t.Errorf("replayed code: %d\n%s", r.status, r.body)
	}
	if signedInAs(t, e, b2) != "" {
		t.Error("a replayed code signed in")
	}
	// Later, with a new email at the provider: the subject finds Lee.
	idp.SetUser(oidctest.User{Subject: "sub-lee", Username: "lee", Email: "lee.park@newdomain.example", EmailVerified: oidctest.Bool(true)})
	b3 := e.browser()
	if r := b3.get(ssoRound(t, b3, "/login/sso", "lee", nil)); r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("sign-on by subject: %d %q", r.status, r.header.Get("Location"))
	}
	if who := signedInAs(t, e, b3); who != "lee@example.org" {
		t.Errorf("signed in by subject as %q", who)
	}
	// Deactivated: refused.
	e.store.SetUserActive(ctx, lee.ID, false)
	b4 := e.browser()
	if r := b4.get(ssoRound(t, b4, "/login/sso", "lee", nil)); r.status != http.StatusForbidden || !strings.Contains(r.body, "deactivated") {
		t.Errorf("deactivated user: %d", r.status)
	}
}

// TestSSORefusals: a wrong state, a nonce that is not this sign-in's, an
// email the provider did not verify, an unknown user without just-in-time
// creation, and an error from the provider are refused, and nobody is
// signed in or linked.
func TestSSORefusals(t *testing.T) {
	e, _ := newSSOEnv(t, nil,
		oidctest.User{Subject: "sub-lee", Username: "lee", Email: "lee@example.org", EmailVerified: oidctest.Bool(true)},
		oidctest.User{Subject: "sub-mallory", Username: "mallory", Email: "ann@example.org", EmailVerified: oidctest.Bool(false)},
		oidctest.User{Subject: "sub-entra", Username: "entra", Email: "ann@example.org"},
		oidctest.User{Subject: "sub-stranger", Username: "stranger", Email: "stranger@example.org", EmailVerified: oidctest.Bool(true)},
	)
	ctx := context.Background()
	e.addUser("lee@example.org", false)
	ann := e.addUser("ann@example.org", false)
	tests := []struct {
		name, user string
		tamper     func(q url.Values)
		state      func(string) string
		status     int
		want       string
	}{
		{"wrong state", "lee", nil, func(s string) string { return s + "x" }, http.StatusBadRequest, "did not start here"},
		{"no state", "lee", nil, func(string) string { return "" }, http.StatusBadRequest, "did not start here"},
		{"nonce of another sign-in", "lee", func(q url.Values) { q.Set("nonce", "someone-elses-nonce") }, nil, http.StatusUnauthorized, "could not be trusted"},
		{"unverified email", "mallory", nil, nil, http.StatusForbidden, "has not verified your email"},
		{"no email_verified claim, not trusted", "entra", nil, nil, http.StatusForbidden, "has not verified your email"},
		{"unknown user, no just-in-time creation", "stranger", nil, nil, http.StatusForbidden, "not known to Lectern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser()
			cb := ssoRound(t, b, "/login/sso", tt.user, tt.tamper)
			if tt.state != nil {
				u, _ := url.Parse(cb)
				q := u.Query()
				q.Set("state", tt.state(q.Get("state")))
				u.RawQuery = q.Encode()
				cb = u.String()
			}
			r := b.get(cb)
			if r.status != tt.status || !strings.Contains(r.body, tt.want) {
				t.Errorf("%d, want %d with %q\n%s", r.status, tt.status, tt.want, r.body)
			}
			if who := signedInAs(t, e, b); who != "" {
				t.Errorf("signed in as %s", who)
			}
		})
	}
	if a, _ := e.store.UserByEmail(ctx, "ann@example.org"); a.SSOSubject != nil {
		t.Errorf("Ann was linked to %s", *a.SSOSubject)
	}
	if _, err := e.store.UserByEmail(ctx, "stranger@example.org"); err == nil {
		t.Error("the stranger was created")
	}
	_ = ann
	// The provider says no.
	b := e.browser()
	r := b.get("/login/sso")
	auth, _ := url.Parse(r.header.Get("Location"))
	if r := b.get("/login/sso/callback?error=access_denied&state=" + auth.Query().Get("state")); r.status != http.StatusUnauthorized || !strings.Contains(r.body, "did not sign you in") {
		t.Errorf("provider error: %d", r.status)
	}
	// A callback without a started flow.
	if r := e.browser().get("/login/sso/callback?code=x&state=y"); r.status != http.StatusBadRequest {
		t.Errorf("callback out of the blue: %d", r.status)
	}
}

// TestSSOJustInTime: with creation on, an unknown user with a verified
// email is created (audited as single sign-on) and joins the groups the
// claim maps to; groups the map manages are left when the claim drops them.
func TestSSOJustInTime(t *testing.T) {
	e, idp := newSSOEnv(t, func(c *sso.Config) {
		c.CreateUsers = true
		c.GroupMap = map[string]string{"g-wh": "Warehouse", "g-off": "Office", "g-new": "Not in Lectern"}
	}, oidctest.User{Subject: "sub-kim", Username: "kim", Email: "kim@example.org", EmailVerified: oidctest.Bool(true), Name: "Kim Lee", Groups: []string{"g-wh", "g-off", "g-new", "unmapped"}},
		oidctest.User{Subject: "sub-nomail", Username: "nomail", Name: "No Mail"})
	ctx := context.Background()
	wh, _ := e.store.CreateGroup(ctx, "Warehouse")
	e.store.CreateGroup(ctx, "Office")
	e.store.CreateGroup(ctx, "unmapped")
	b := e.browser()
	if r := b.get(ssoRound(t, b, "/login/sso", "kim", nil)); r.status != http.StatusSeeOther {
		t.Fatalf("just-in-time sign-on: %d\n%s", r.status, r.body)
	}
	kim, err := e.store.UserByEmail(ctx, "kim@example.org")
	if err != nil || kim.Name != "Kim Lee" || kim.Admin || kim.SSOSubject == nil {
		t.Fatalf("created user %+v %v", kim, err)
	}
	gs, _ := e.store.UserGroups(ctx, kim.ID)
	if names := groupNames(gs); names != "Office,Warehouse" && names != "Warehouse,Office" {
		t.Errorf("groups %v, want Office and Warehouse (unmapped values ignored)", gs)
	}
	created, _ := e.store.AuditEntries(ctx, store.AuditFilter{Action: "user.create", Learner: kim.ID}, 0)
	if len(created) != 1 || created[0].Via != store.ViaSSO {
		t.Errorf("audit of the creation: %+v", created)
	}
	if n := len(mustAudit(t, e, "group.join", kim)); n != 2 {
		t.Errorf("audit entries of joining: %d, want 2", n)
	}
	// The provider drops Office: Kim leaves it, and stays in the rest.
	idp.SetUser(oidctest.User{Subject: "sub-kim", Username: "kim", Email: "kim@example.org", EmailVerified: oidctest.Bool(true), Groups: []string{"g-wh"}})
	e.store.AddMember(ctx, kim.ID, 3, func(time.Time, store.DueRule) *time.Time { return nil }) // "unmapped", by hand
	b2 := e.browser()
	if r := b2.get(ssoRound(t, b2, "/login/sso", "kim", nil)); r.status != http.StatusSeeOther {
		t.Fatalf("second sign-on: %d", r.status)
	}
	gs, _ = e.store.UserGroups(ctx, kim.ID)
	if names := groupNames(gs); names != "unmapped,Warehouse" && names != "Warehouse,unmapped" || len(gs) != 2 || (gs[0].ID != wh.ID && gs[1].ID != wh.ID) {
		t.Errorf("groups after the claim changed: %v, want unmapped (not managed) and Warehouse", gs)
	}
	// No email: nothing to create the user with.
	b3 := e.browser()
	if r := b3.get(ssoRound(t, b3, "/login/sso", "nomail", nil)); r.status != http.StatusForbidden || !strings.Contains(r.body, "verified email address") {
		t.Errorf("just-in-time without an email: %d", r.status)
	}
}

// TestSSOTrustEmail: with --oidc-trust-email, an email without
// email_verified (Entra ID) finds the user; an explicit false never does.
func TestSSOTrustEmail(t *testing.T) {
	e, _ := newSSOEnv(t, func(c *sso.Config) { c.TrustEmail = true },
		oidctest.User{Subject: "sub-entra", Username: "entra", Email: "ann@example.org"},
		oidctest.User{Subject: "sub-false", Username: "false", Email: "lee@example.org", EmailVerified: oidctest.Bool(false)})
	e.addUser("ann@example.org", false)
	e.addUser("lee@example.org", false)
	b := e.browser()
	if r := b.get(ssoRound(t, b, "/login/sso", "entra", nil)); r.status != http.StatusSeeOther {
		t.Errorf("trusted email: %d", r.status)
	}
	b2 := e.browser()
	if r := b2.get(ssoRound(t, b2, "/login/sso", "false", nil)); r.status != http.StatusForbidden {
		t.Errorf("email_verified=false with trust: %d, want 403", r.status)
	}
}

// TestSSOProviderDown: an unreachable provider gives a clear page, not a
// server error, and the password form still works.
func TestSSOProviderDown(t *testing.T) {
	client, _ := sso.New(sso.Config{Issuer: "http://127.0.0.1:1", ClientID: "x", RedirectURL: ssoCallback, Label: "Down IdP"})
	e := newEnv(t, func(o *web.Options) { o.SSO = client })
	e.addUser("lee@example.org", false)
	if r := e.browser().get("/login/sso"); r.status != http.StatusBadGateway || !strings.Contains(r.body, "cannot be reached") {
		t.Errorf("provider down: %d", r.status)
	}
	if r := e.browser().login("lee@example.org", "password-123"); r.status != http.StatusSeeOther {
		t.Errorf("password sign-in with the provider down: %d", r.status)
	}
	off := newEnv(t)
	if r := off.browser().get("/login/sso"); r.status != http.StatusNotFound {
		t.Errorf("single sign-on not configured: %d", r.status)
	}
}

func mustAudit(t *testing.T, e *env, action string, u *store.User) []store.AuditEntryRow {
	t.Helper()
	rows, err := e.store.AuditEntries(context.Background(), store.AuditFilter{Action: action, Learner: u.ID}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func groupNames(gs []store.Group) string {
	var names []string
	for _, g := range gs {
		names = append(names, g.Name)
	}
	return strings.Join(names, ",")
}
