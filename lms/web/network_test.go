package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lectern/lectern/lms/web"
)

// browserResolves is where a browser goes with a Location header: it drops
// tabs and line breaks, trims control characters and spaces, and reads
// backslashes as slashes in http(s) URLs.
func browserResolves(base, loc string) (*url.URL, error) {
	s := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, loc)
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	s = strings.ReplaceAll(s, `\`, "/")
	b, _ := url.Parse(base)
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	return b.ResolveReference(u), nil
}

// openRedirects are known ways to smuggle another site past a "next" check.
var openRedirects = []string{
	"//evil.example", "///evil.example", "////evil.example", `/\evil.example`, `\\evil.example`,
	`/\/evil.example`, `/\\evil.example`, `///\evil.example`, "/\t/evil.example", "/\n/evil.example",
	"/\r\n/evil.example", "\t//evil.example", " //evil.example", "/\x0b/evil.example", "/\x00/evil.example",
	"\x01//evil.example", "/\u00a0/evil.example", "/\u3000/evil.example", "/\u2028/evil.example", "/\ufeff/evil.example",
	"https://evil.example", "http:evil.example", "https:/evil.example", "HTTPS://evil.example",
	"javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
	"//evil.example@lms.example", "https://lms.example@evil.example", `//evil.example\@lms.example`,
	"//lms.example%2f@evil.example", "/%09/evil.example", "/%5Cevil.example", "/%2F%2Fevil.example",
	"%2F%2Fevil.example", "/.//evil.example", "/..//evil.example", "/x/..//evil.example", "//%09/evil.example",
	"/%0a/evil.example", "/\uff0f\uff0fevil.example", "/ /evil.example",
}

// TestNextStaysOnSite: after sign-in Lectern redirects only to a path on
// its own origin, whatever "next" says. Before, "/\t/host" went off-site in
// Chromium (the tab is dropped, leaving "//host").
func TestNextStaysOnSite(t *testing.T) {
	e := newEnv(t)
	signedIn := e.signedIn("lee@example.org", false)
	if len(openRedirects) < 30 {
		t.Fatalf("only %d bypasses", len(openRedirects))
	}
	check := func(how, next, loc string) {
		t.Helper()
		u, err := browserResolves("https://lms.example/login", loc)
		if err != nil || u.Host != "lms.example" || u.Scheme != "https" {
			t.Errorf("%s with next=%q: Location %q leaves the site (%v)", how, next, loc, u)
		}
	}
	for _, next := range openRedirects {
		r := signedIn.get("/login?next=" + url.QueryEscape(next))
		if r.status != http.StatusSeeOther {
			t.Fatalf("signed-in sign-in page: %d", r.status)
		}
		check("signed in", next, r.header.Get("Location"))
	}
	// The form posts next back; a fresh sign-in goes there.
	for _, next := range openRedirects[:12] {
		b := e.browser()
		r := b.post("/login", url.Values{"email": {"lee@example.org"}, "password": {"password-123"}, "next": {next}}, b.csrf("/login"))
		if r.status != http.StatusSeeOther {
			t.Fatalf("sign in: %d", r.status)
		}
		check("sign-in form", next, r.header.Get("Location"))
	}
	// Paths on the site are kept as they are.
	for _, next := range []string{"/courses/3", "/admin/courses/1/report?status=overdue&group=2", "/admin/users/4/transcript", "/"} {
		if got := signedIn.get("/login?next=" + url.QueryEscape(next)).header.Get("Location"); got != next {
			t.Errorf("next=%q: Location %q, want it kept", next, got)
		}
	}
}

// TestForwardedForTrustedOnlyFromProxies: X-Forwarded-For is believed only
// from configured proxies. Before, 40 failed sign-ins with 40 forged
// addresses were never throttled per address, and sessions recorded the
// forged address.
func TestForwardedForTrustedOnlyFromProxies(t *testing.T) {
	fail := func(e *env, forged func(i int) string) (locked int) {
		b := e.browser()
		token := b.csrf("/login")
		for i := range 40 {
			form := url.Values{"email": {fmt.Sprintf("nobody%d@example.org", i)}, "password": {"wrong"}, "_csrf": {token}}
			req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/login", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", forged(i))
			req.Header.Set("X-Real-IP", forged(i))
			if b.do(req).status == http.StatusTooManyRequests {
				locked++
			}
		}
		return locked
	}
	forged := func(i int) string { return fmt.Sprintf("203.0.113.%d", i+1) }
	sessionAddr := func(e *env, xff string) string {
		e.addUser("ann@example.org", false)
		b := e.browser()
		form := url.Values{"email": {"ann@example.org"}, "password": {"password-123"}, "_csrf": {b.csrf("/login")}}
		req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", xff)
		if r := b.do(req); r.status != http.StatusSeeOther {
			t.Fatalf("sign in: %d", r.status)
		}
		u, _ := e.store.UserByEmail(context.Background(), "ann@example.org")
		ss, err := e.store.UserSessions(context.Background(), u.ID)
		if err != nil || len(ss) != 1 {
			t.Fatalf("sessions: %v %v", ss, err)
		}
		return ss[0].RemoteAddr
	}

	// No proxy configured: the socket's address counts, whatever the header.
	e := newEnv(t)
	limit := e.opt.LoginMaxFailures * 4
	if n := fail(e, forged); n != 40-limit {
		t.Errorf("without a trusted proxy: %d of 40 forged sign-ins locked, want %d (the address is locked after %d)", n, 40-limit, limit)
	}
	if got := sessionAddr(newEnv(t), "198.51.100.7"); got != "127.0.0.1" {
		t.Errorf("session address %q, want the socket's 127.0.0.1", got)
	}

	// Behind a trusted proxy (here, loopback), each forwarded client is
	// counted on its own, and the session records it.
	_, lo, _ := net.ParseCIDR("127.0.0.0/8")
	proxied := func(o *web.Options) { o.TrustedProxies = []*net.IPNet{lo} }
	if n := fail(newEnv(t, proxied), forged); n != 0 {
		t.Errorf("behind a trusted proxy: %d sign-ins of 40 different clients locked, want 0", n)
	}
	if n := fail(newEnv(t, proxied), func(int) string { return "203.0.113.9" }); n != 40-limit {
		t.Errorf("one client behind a trusted proxy: %d locked, want %d", n, 40-limit)
	}
	if got := sessionAddr(newEnv(t, proxied), "198.51.100.7"); got != "198.51.100.7" {
		t.Errorf("behind a trusted proxy the session address is %q, want the forwarded 198.51.100.7", got)
	}
}
