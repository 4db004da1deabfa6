package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/web"
)

// TestAuthorisationMatrix walks every registered route and checks that it is
// classified and that each class admits exactly who it should.
func TestAuthorisationMatrix(t *testing.T) {
	e := newEnv(t)
	anon := e.browser()
	learner := e.signedIn("learner@example.org", false)
	admin := e.signedIn("admin@example.org", true)
	// A manager of the learner's group, and nothing else.
	manager := e.signedIn("manager@example.org", false)
	e.makeManager("manager@example.org", "learner@example.org")

	table := map[string]web.Access{}
	for _, r := range e.server.Routes() {
		table[r.Method+" "+r.Path] = r.Access
	}
	registered := e.server.RegisteredRoutes()
	if len(registered) == 0 {
		t.Fatal("no routes registered")
	}
	for _, key := range registered {
		access, ok := table[key]
		if strings.HasPrefix(key[strings.Index(key, " ")+1:], "/api") && access != web.API {
			t.Errorf("route %s is under /api but classified %q, want %q", key, access, web.API)
		}
		if !ok {
			t.Errorf("route %s is not in the route table: classify it", key)
			continue
		}
		method, path, _ := strings.Cut(key, " ")
		path = strings.NewReplacer(":id", "1", ":token", "tok", ":version", "v", "*", "x").Replace(path)
		send := func(b *browser) int {
			req, _ := http.NewRequest(method, e.http.URL+path, nil)
			if method != http.MethodGet {
				// A valid CSRF token, so that only authorisation decides.
				req.Header.Set("X-CSRF-Token", b.formToken())
			}
			return b.do(req).status
		}
		switch access {
		case web.Public:
		case web.Learner:
			if s := send(anon); s != http.StatusSeeOther && s != http.StatusUnauthorized {
				t.Errorf("%s as anonymous: %d, want sign-in", key, s)
			}
		case web.Admin:
			if s := send(anon); s != http.StatusSeeOther && s != http.StatusUnauthorized {
				t.Errorf("%s as anonymous: %d, want sign-in", key, s)
			}
			if s := send(learner); s != http.StatusForbidden {
				t.Errorf("%s as learner: %d, want 403", key, s)
			}
			if s := send(manager); s != http.StatusForbidden {
				t.Errorf("%s as manager: %d, want 403", key, s)
			}
			if s := send(admin); s == http.StatusForbidden || s == http.StatusUnauthorized {
				t.Errorf("%s as admin: %d, want access", key, s)
			}
		case web.Manager:
			if s := send(anon); s != http.StatusSeeOther && s != http.StatusUnauthorized {
				t.Errorf("%s as anonymous: %d, want sign-in", key, s)
			}
			for who, b := range map[string]*browser{"learner": learner, "admin who manages nothing": admin} {
				if s := send(b); s != http.StatusForbidden {
					t.Errorf("%s as %s: %d, want 403", key, who, s)
				}
			}
			if s := send(manager); s == http.StatusForbidden || s == http.StatusUnauthorized {
				t.Errorf("%s as manager: %d, want access", key, s)
			}
		case web.API:
			// Only a bearer token admits; no session cookie does, an
			// administrator's included.
			for who, b := range map[string]*browser{"anonymous": anon, "learner": learner, "admin": admin, "manager": manager} {
				if s := send(b); s != http.StatusUnauthorized {
					t.Errorf("%s as %s without a token: %d, want 401", key, who, s)
				}
			}
		case web.LTIWindow:
			// A window's token is the only authority: no cookie session
			// admits, an administrator's included.
			for who, b := range map[string]*browser{"anonymous": anon, "learner": learner, "admin": admin} {
				if s := send(b); s != http.StatusUnauthorized {
					t.Errorf("%s as %s without a window token: %d, want 401", key, who, s)
				}
			}
		case web.LTILaunch:
			// Without a platform's signed launch, code or registration
			// link nothing is admitted, whoever is signed in.
			for who, b := range map[string]*browser{"anonymous": anon, "learner": learner, "admin": admin} {
				if s := send(b); s < 400 {
					t.Errorf("%s as %s without a launch: %d, want a refusal", key, who, s)
				}
			}
		default:
			t.Errorf("route %s has unknown access class %q", key, access)
		}
	}
}

// TestTemplates: every page file is rendered by some handler and every page a
// handler renders exists.
func TestTemplates(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixture.Root(), "templates", "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, f := range files {
		if n := strings.TrimSuffix(filepath.Base(f), ".html"); n != "layout" {
			onDisk = append(onDisk, n)
		}
	}
	used := append([]string(nil), web.PageNames...)
	sort.Strings(onDisk)
	sort.Strings(used)
	if strings.Join(onDisk, ",") != strings.Join(used, ",") {
		t.Errorf("templates on disk %v, pages rendered %v", onDisk, used)
	}
	// Each page is passed to render by some handler.
	var src strings.Builder
	goFiles, _ := filepath.Glob("*.go")
	for _, f := range goFiles {
		if !strings.HasSuffix(f, "_test.go") {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(b)
		}
	}
	for _, n := range used {
		if !regexp.MustCompile(`render\(c, [^,]+, "` + n + `"`).MatchString(src.String()) {
			t.Errorf("page %q is never rendered", n)
		}
	}
}
