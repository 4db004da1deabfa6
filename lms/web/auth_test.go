package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/web"
)

func TestLoginAndLogout(t *testing.T) {
	e := newEnv(t)
	e.addUser("ada@example.org", false)
	b := e.browser()

	if r := b.get("/"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/login?next=%2F" {
		t.Fatalf("signed-out home: %d %q, want redirect to sign-in", r.status, r.header.Get("Location"))
	}
	r := b.login("ADA@example.org ", "password-123")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("sign in: %d %q, want 303 to /", r.status, r.header.Get("Location"))
	}
	var sessionCookie *http.Cookie
	for _, c := range strings.Split(r.header.Get("Set-Cookie"), "\n") {
		if strings.HasPrefix(c, "lectern=") {
			if !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "SameSite=Lax") || strings.Contains(c, "Secure") {
				t.Errorf("session cookie %q: want HttpOnly, SameSite=Lax, no Secure over http", c)
			}
		}
	}
	u, _ := url.Parse(e.http.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "lectern" {
			sessionCookie = c
		}
	}
	if sessionCookie == nil {
		t.Fatal("no session cookie after sign-in")
	}
	if r := b.get("/"); r.status != http.StatusOK || !strings.Contains(r.body, "My courses") {
		t.Fatalf("home after sign-in: %d", r.status)
	}

	if r := b.post("/logout", url.Values{}, b.csrf("/")); r.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", r.status)
	}
	if r := b.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("after logout: %d, want redirect to sign-in", r.status)
	}
	// The old cookie, replayed, is dead: the session was revoked server-side.
	replay := e.browser()
	replay.jar.SetCookies(u, []*http.Cookie{sessionCookie})
	if r := replay.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("replayed cookie after logout: %d, want redirect to sign-in", r.status)
	}
}

func TestSecureCookiesOverHTTPS(t *testing.T) {
	e := newEnv(t, func(o *web.Options) { o.BaseURL = "https://lms.example.org"; o.SecureCookies = true })
	e.addUser("ada@example.org", false)
	r := e.browser().login("ada@example.org", "password-123")
	if sc := r.header.Values("Set-Cookie"); len(sc) == 0 || !strings.Contains(strings.Join(sc, "\n"), "Secure") {
		t.Errorf("Set-Cookie %q: want Secure", sc)
	}
	if r.header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS header over https")
	}
}

func TestLoginFailures(t *testing.T) {
	e := newEnv(t)
	e.addUser("ada@example.org", false)
	b := e.browser()
	for _, tt := range []struct{ email, password string }{
		{"ada@example.org", "wrong-password"},
		{"nobody@example.org", "password-123"},
		{"", ""},
	} {
		r := b.login(tt.email, tt.password)
		if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "The email or password is wrong.") {
			t.Errorf("login(%q, %q): %d, want 401 with the same message for all", tt.email, tt.password, r.status)
		}
	}
}

func TestLoginThrottleAtLimit(t *testing.T) {
	e := newEnv(t) // LoginMaxFailures: 3
	e.addUser("ada@example.org", false)
	b := e.browser()
	for i := 1; i <= e.opt.LoginMaxFailures; i++ {
		if r := b.login("ada@example.org", "wrong-password"); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i, r.status)
		}
	}
	// Attempt N+1 is refused even with the right password, without checking it.
	r := b.login("ada@example.org", "password-123")
	if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many failed sign-ins") {
		t.Fatalf("attempt %d: %d, want 429", e.opt.LoginMaxFailures+1, r.status)
	}
	e.advance(e.opt.LoginWindow)
	if r := b.login("ada@example.org", "password-123"); r.status != http.StatusSeeOther {
		t.Fatalf("after the window: %d, want 303", r.status)
	}
}

// TestLoginThrottleAcrossInstances: two instances on one database share
// the count of failed sign-ins, per account and per client address, so
// failures spread by a load balancer still lock at the limit.
func TestLoginThrottleAcrossInstances(t *testing.T) {
	e := newEnv(t) // LoginMaxFailures: 3
	e2 := e.twin()
	e.addUser("ada@example.org", false)
	envs := []*env{e, e2}
	for i := 1; i <= e.opt.LoginMaxFailures; i++ {
		if r := envs[i%2].browser().login("ada@example.org", "wrong-password"); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i, r.status)
		}
	}
	for i, x := range envs {
		r := x.browser().login("ada@example.org", "password-123")
		if r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many failed sign-ins") {
			t.Fatalf("instance %d, attempt %d: %d, want 429", i+1, e.opt.LoginMaxFailures+1, r.status)
		}
	}

	// The client address: 4 x LoginMaxFailures failures of different
	// emails, spread over both instances, lock it at both.
	e.advance(e.opt.LoginWindow)
	limit := e.opt.LoginMaxFailures * 4
	for i := 1; i <= limit; i++ {
		if r := envs[i%2].browser().login(fmt.Sprintf("nobody%d@example.org", i), "wrong-password"); r.status != http.StatusUnauthorized {
			t.Fatalf("address failure %d: status %d, want 401", i, r.status)
		}
	}
	for i, x := range envs {
		if r := x.browser().login("ada@example.org", "password-123"); r.status != http.StatusTooManyRequests {
			t.Fatalf("instance %d, address attempt %d: %d, want 429", i+1, limit+1, r.status)
		}
	}
	e.advance(e.opt.LoginWindow)
	if r := e2.browser().login("ada@example.org", "password-123"); r.status != http.StatusSeeOther {
		t.Fatalf("after the window: %d, want 303", r.status)
	}
}

func TestDeactivationRevokesSessions(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn("ada@example.org", false)
	u, _ := e.store.UserByEmail(context.Background(), "ada@example.org")
	if err := e.store.SetUserActive(context.Background(), u.ID, false); err != nil {
		t.Fatal(err)
	}
	if r := b.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("deactivated user's session: %d, want redirect to sign-in", r.status)
	}
	if r := e.browser().login("ada@example.org", "password-123"); r.status != http.StatusUnauthorized {
		t.Errorf("deactivated user signs in: %d, want 401", r.status)
	}
}

func TestSessionExpires(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn("ada@example.org", false)
	e.advance(e.opt.SessionLifetime - time.Second)
	if r := b.get("/"); r.status != http.StatusOK {
		t.Fatalf("before expiry: %d", r.status)
	}
	e.advance(time.Second)
	if r := b.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("after expiry: %d, want redirect to sign-in", r.status)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	e.addUser("ada@example.org", false)
	b := e.browser()
	token := b.csrf("/login")
	form := url.Values{"email": {"ada@example.org"}, "password": {"password-123"}}

	if r := b.post("/login", form, ""); r.status != http.StatusForbidden {
		t.Errorf("no token: %d, want 403", r.status)
	}
	if r := b.post("/login", form, token+"x"); r.status != http.StatusForbidden {
		t.Errorf("wrong token: %d, want 403", r.status)
	}
	// A browser that says the request is cross-site or same-site (the content
	// origin is another port of the same host) is refused whatever it carries.
	for _, site := range []string{"cross-site", "same-site"} {
		req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", site)
		if r := b.do(req); r.status != http.StatusForbidden {
			t.Errorf("Sec-Fetch-Site %s: %d, want 403", site, r.status)
		}
	}
	if r := b.post("/login", form, token); r.status != http.StatusSeeOther {
		t.Errorf("right token: %d, want 303", r.status)
	}
	// A signed-in user's state-changing requests need the token too.
	if r := b.post("/logout", url.Values{}, ""); r.status != http.StatusForbidden {
		t.Errorf("logout without token: %d, want 403", r.status)
	}
}

func TestLoginLink(t *testing.T) {
	e := newEnv(t)
	u := e.addUser("ada@example.org", false)
	ctx := context.Background()
	newLink := func(course *uint) string {
		tok := account.NewToken()
		if err := e.store.CreateLoginLink(ctx, account.HashToken(tok), u.ID, course, 15*time.Minute); err != nil {
			t.Fatal(err)
		}
		return "/login/link/" + tok
	}
	link := newLink(nil)
	b := e.browser()
	if r := b.get(link); r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("link: %d %q, want 303 to /", r.status, r.header.Get("Location"))
	}
	if r := b.get("/"); r.status != http.StatusOK {
		t.Fatalf("after link: %d, want signed in", r.status)
	}
	if r := e.browser().get(link); r.status != http.StatusGone {
		t.Errorf("second use: %d, want 410", r.status)
	}

	course := uint(42)
	if r := e.browser().get(newLink(&course)); r.header.Get("Location") != "/courses/42" {
		t.Errorf("link with course: Location %q, want /courses/42", r.header.Get("Location"))
	}

	late := newLink(nil)
	e.advance(15 * time.Minute)
	if r := e.browser().get(late); r.status != http.StatusGone {
		t.Errorf("expired link: %d, want 410", r.status)
	}
	if r := e.browser().get("/login/link/forged"); r.status != http.StatusGone {
		t.Errorf("forged link: %d, want 410", r.status)
	}
}

func TestLoginRedirectStaysOnSite(t *testing.T) {
	e := newEnv(t)
	e.addUser("ada@example.org", false)
	for next, want := range map[string]string{
		"/admin/courses":       "/admin/courses",
		"//evil.example":       "/",
		"https://evil.example": "/",
		"/\\evil.example":      "/",
	} {
		b := e.browser()
		r := b.post("/login", url.Values{"email": {"ada@example.org"}, "password": {"password-123"}, "next": {next}}, b.csrf("/login"))
		if got := r.header.Get("Location"); got != want {
			t.Errorf("next=%q: redirect to %q, want %q", next, got, want)
		}
	}
}

// TestRequestLogHasNoTokens: the request log shows where a request went but
// never the secret it carried: sign-in links, password and e-mail links,
// certificate codes (issue 9, finding 15).
func TestRequestLogHasNoTokens(t *testing.T) {
	e := newEnv(t)
	u := e.addUser("ada@example.org", false)
	tok := account.NewToken()
	if err := e.store.CreateLoginLink(context.Background(), account.HashToken(tok), u.ID, nil, 15*time.Minute); err != nil {
		t.Fatal(err)
	}
	secrets := []string{tok, "Zr4ndomSecretZ1", "Zr4ndomSecretZ2", "Zr4ndomSecretZ3", "7K2Q-9XMV-3HTP"}
	for _, p := range []string{
		"/login/link/" + tok, "/login/link/" + secrets[1] + "/more", "/password?t=" + secrets[2],
		"/login/email?t=" + secrets[3], "/verify/" + secrets[4], "/verify?code=" + secrets[4],
	} {
		e.browser().get(p)
	}
	logs := e.logs.String()
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds the secret %q:\n%s", s, logs)
		}
	}
	for _, want := range []string{"path=/login/link/", "path=/password", "path=/verify"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log has no request to %s:\n%s", want, logs)
		}
	}
}
