package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestErrorHeaders: the LMS's own refusals (unknown paths, a method a route
// does not take, a trailing-slash redirect) are never sniffed into a page and
// carry the page CSP, like every page of the LMS origin (issue 9, finding 12).
func TestErrorHeaders(t *testing.T) {
	e := newEnv(t)
	anon := e.browser()
	learner := e.signedIn("l@example.com", false)
	put := func(b *browser, path string) response {
		req, _ := http.NewRequest(http.MethodPut, e.http.URL+path, strings.NewReader("x"))
		return b.do(req)
	}
	for _, tc := range []struct {
		name   string
		do     func() response
		status int
	}{
		{"404 anonymous", func() response { return anon.get("/no-such-page") }, http.StatusNotFound},
		{"404 signed in", func() response { return learner.get("/no/such/page.php") }, http.StatusNotFound},
		{"404 static", func() response { return anon.get("/static/x/none.js") }, http.StatusNotFound},
		{"405", func() response { return learner.get("/logout") }, http.StatusMethodNotAllowed},
		{"405 anonymous", func() response { return anon.get("/admin/users/1/active") }, http.StatusMethodNotAllowed},
		{"403 put", func() response { return put(learner, "/account") }, http.StatusForbidden},
		{"301 slash", func() response { return anon.get("/login/") }, http.StatusMovedPermanently},
		{"403 csrf", func() response { return anon.post("/login", url.Values{"email": {"x"}}, "") }, http.StatusForbidden},
	} {
		r := tc.do()
		if r.status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, r.status, tc.status)
		}
		if r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q, want nosniff", tc.name, r.header.Get("X-Content-Type-Options"))
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src") || !strings.Contains(csp, "frame-ancestors") {
			t.Errorf("%s: Content-Security-Policy %q, want the page CSP", tc.name, csp)
		}
	}
}
