package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/lms/web"
)

// TestSessionIdleTimeout: a sign-in ends after --session-idle without use,
// beside its absolute lifetime; use keeps it alive.
func TestSessionIdleTimeout(t *testing.T) {
	e := newEnv(t, func(o *web.Options) { o.SessionLifetime = 24 * time.Hour; o.SessionIdle = 30 * time.Minute })
	b := e.signedIn("lee@example.org", false)
	e.advance(30 * time.Minute) // N: idle exactly as long as allowed
	if r := b.get("/"); r.status != http.StatusOK {
		t.Fatalf("after 30 minutes idle: %d, want still signed in", r.status)
	}
	e.advance(30 * time.Minute) // the request above counted as use
	if r := b.get("/"); r.status != http.StatusOK {
		t.Fatalf("30 minutes after the last use: %d, want still signed in", r.status)
	}
	e.advance(30*time.Minute + time.Second) // N+1
	if r := b.get("/"); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
		t.Errorf("after 30 minutes and a second idle: %d %s, want sent to sign in", r.status, r.header.Get("Location"))
	}
	// The absolute lifetime holds however busy the session is.
	e2 := newEnv(t, func(o *web.Options) { o.SessionLifetime = time.Hour; o.SessionIdle = 30 * time.Minute })
	b2 := e2.signedIn("ann@example.org", false)
	for range 3 {
		e2.advance(25 * time.Minute)
		b2.get("/")
	}
	if r := b2.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("75 minutes after sign-in with a 1 hour lifetime: %d, want signed out", r.status)
	}
}

func cookieNamed(h http.Header, name string) *http.Cookie {
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestCookiesOverHTTPS: with an https base URL the cookies are Secure and
// carry the __Host- prefix (host-only, whole site), so no subdomain can plant
// or shadow them; over http they keep plain names.
func TestCookiesOverHTTPS(t *testing.T) {
	for _, tt := range []struct {
		base                string
		secure              bool
		session, csrfCookie string
	}{
		{"https://lectern.test", true, "__Host-lectern", "__Host-csrf"},
		{"http://lectern.test", false, "lectern", "_csrf"},
	} {
		e := newEnv(t, func(o *web.Options) { o.BaseURL = tt.base; o.SecureCookies = tt.secure })
		e.addUser("lee@example.org", false)
		b := e.browser()
		page := b.get("/login")
		anon := cookieNamed(page.header, tt.csrfCookie)
		if anon == nil {
			t.Fatalf("%s: no %s cookie on the sign-in page", tt.base, tt.csrfCookie)
		}
		token := csrfField.FindStringSubmatch(page.body)[1]
		form := url.Values{"email": {"lee@example.org"}, "password": {"password-123"}, "_csrf": {token}}
		req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: anon.Name, Value: anon.Value})
		r := b.do(req)
		if r.status != http.StatusSeeOther {
			t.Fatalf("%s: sign in: %d", tt.base, r.status)
		}
		sess := cookieNamed(r.header, tt.session)
		if sess == nil {
			t.Fatalf("%s: no %s cookie after sign-in (%v)", tt.base, tt.session, r.header["Set-Cookie"])
		}
		for _, c := range []*http.Cookie{anon, sess} {
			if c.Secure != tt.secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" || c.SameSite != http.SameSiteLaxMode {
				t.Errorf("%s: cookie %s: Secure %v HttpOnly %v Path %q Domain %q SameSite %v", tt.base, c.Name, c.Secure, c.HttpOnly, c.Path, c.Domain, c.SameSite)
			}
		}
	}
}

// TestAdminPagesCannotBeFramed: admin pages refuse every frame, Lectern's
// own included; other pages only allow Lectern's.
func TestAdminPagesCannotBeFramed(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	learner := e.signedIn("lee@example.org", false)
	for _, path := range []string{"/admin", "/admin/courses", "/admin/users", "/admin/tokens"} {
		r := admin.get(path)
		if csp := r.header.Get("Content-Security-Policy"); r.status != http.StatusOK || !strings.Contains(csp, "frame-ancestors 'none'") || r.header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: %d, CSP %q, X-Frame-Options %q: want frame-ancestors 'none' and DENY", path, r.status, csp, r.header.Get("X-Frame-Options"))
		}
	}
	if csp := learner.get("/").header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Errorf("learner home: CSP %q", csp)
	}
}
