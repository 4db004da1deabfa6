package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/lms/org"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/web"
)

func setupForm(token string) url.Values {
	return url.Values{"_csrf": {token}, "organisation": {"Acme Safety"}, "timezone": {"Europe/Berlin"},
		"name": {"Ada Admin"}, "email": {"Ada@Example.org"}, "password": {"a long password"}, "password2": {"a long password"}}
}

// TestSetUpFirstRun: an empty Lectern sends visitors to the set-up page;
// from this machine it names the organisation, sets the time zone (which
// Lectern then uses at once) and creates the first admin, who lands signed
// in on the dashboard; the page then refuses for good.
func TestSetUpFirstRun(t *testing.T) {
	profile := org.New("Lectern", time.UTC)
	e := newFreshEnv(t, func(o *web.Options) { o.Org = profile })
	ctx := context.Background()
	b := e.browser()
	if r := b.get("/login"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/setup" {
		t.Fatalf("sign-in page of an empty Lectern: %d %q, want to /setup", r.status, r.header.Get("Location"))
	}
	r := b.get("/setup")
	if r.status != http.StatusOK || !strings.Contains(r.body, `name="organisation"`) || !strings.Contains(r.body, `list="zones"`) {
		t.Fatalf("set-up page from this machine: %d\n%s", r.status, r.body)
	}
	token := csrfField.FindStringSubmatch(r.body)[1]

	bad := []struct {
		field, value, want string
	}{
		{"organisation", "", "organisation’s name"},
		{"organisation", strings.Repeat("x", 201), "longer than 200"},
		{"organisation", "Acme\nSafety", "control character"},
		{"timezone", "Mars/Olympus", "not a time zone"},
		{"timezone", "Local", "not a time zone"},
		{"email", "not-an-email", "not a valid email"},
		{"name", "", "Enter a name"},
		{"password", "short", "too short"},
		{"password2", "another long password", "differ"},
	}
	for _, tt := range bad {
		f := setupForm(token)
		f.Set(tt.field, tt.value)
		r := b.post("/setup", f, "")
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tt.want) {
			t.Errorf("%s=%q: %d, want 422 with %q", tt.field, tt.value, r.status, tt.want)
		}
	}
	if has, _ := e.store.HasAdmin(ctx); has {
		t.Fatal("a refused set-up created an admin")
	}

	r = b.post("/setup", setupForm(token), "")
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
		t.Fatalf("set-up: %d %q, want 303 to /admin\n%s", r.status, r.header.Get("Location"), r.body)
	}
	if r := b.get("/admin"); r.status != http.StatusOK {
		t.Errorf("dashboard after set-up: %d, want the new admin signed in", r.status)
	}
	ada, err := e.store.UserByEmail(ctx, "ada@example.org")
	if err != nil || !ada.Admin || ada.Name != "Ada Admin" || ada.LastSignInAt == nil {
		t.Fatalf("admin after set-up: %+v %v", ada, err)
	}
	saved, _ := e.store.Settings(ctx)
	if saved[store.SettingOrganisation] != "Acme Safety" || saved[store.SettingTimeZone] != "Europe/Berlin" || saved[store.SettingSetUp] == "" {
		t.Errorf("saved settings %v", saved)
	}
	if profile.Name() != "Acme Safety" || profile.Location().String() != "Europe/Berlin" {
		t.Errorf("Lectern uses %q in %s after set-up, want Acme Safety in Europe/Berlin", profile.Name(), profile.Location())
	}
	entries, _ := e.store.AuditEntries(ctx, store.AuditFilter{Action: "setup"}, 0)
	if len(entries) != 1 || entries[0].ActorID == nil || *entries[0].ActorID != ada.ID {
		t.Errorf("audit of the set-up: %+v, want one entry by the new admin", entries)
	}

	// Closed for good: the page, the form, and "/" for a stranger.
	if r := e.browser().get("/setup"); r.status != http.StatusForbidden || !strings.Contains(r.body, "already set up") {
		t.Errorf("set-up page once an admin exists: %d", r.status)
	}
	other := e.browser()
	f := setupForm(other.formToken())
	f.Set("email", "mallory@example.org")
	if r := other.post("/setup", f, ""); r.status != http.StatusForbidden {
		t.Errorf("second set-up: %d, want 403", r.status)
	}
	if _, err := e.store.UserByEmail(ctx, "mallory@example.org"); err == nil {
		t.Error("a second set-up created a user")
	}
	if r := e.browser().get("/login"); r.status != http.StatusOK {
		t.Errorf("sign-in page after set-up: %d, want 200", r.status)
	}
}

// TestSetUpFromElsewhere: a browser on another machine (here: behind a
// proxy, which makes every visitor look local) needs the code serve printed.
func TestSetUpFromElsewhere(t *testing.T) {
	const code = "set-up-code-printed-by-serve"
	e := newFreshEnv(t, func(o *web.Options) { o.SetupCode = code })
	proxied := func(b *browser, method, path string, form url.Values) response {
		var req *http.Request
		if method == http.MethodGet {
			req, _ = http.NewRequest(method, e.http.URL+path, nil)
		} else {
			req, _ = http.NewRequest(method, e.http.URL+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("X-Forwarded-For", "203.0.113.7")
		return b.do(req)
	}
	b := e.browser()
	r := proxied(b, http.MethodGet, "/setup", nil)
	if r.status != http.StatusForbidden || !strings.Contains(r.body, "Set-up code") || strings.Contains(r.body, `name="password"`) {
		t.Fatalf("set-up page from elsewhere without a code: %d, want the code form only", r.status)
	}
	token := b.csrf("/setup")
	if r := proxied(b, http.MethodPost, "/setup", setupForm(token)); r.status != http.StatusForbidden {
		t.Errorf("set-up from elsewhere without a code: %d, want 403", r.status)
	}
	wrong := setupForm(token)
	wrong.Set("code", "guess")
	if r := proxied(b, http.MethodPost, "/setup", wrong); r.status != http.StatusForbidden || !strings.Contains(r.body, "not right") {
		t.Errorf("set-up with a wrong code: %d, want 403", r.status)
	}
	if r := proxied(b, http.MethodGet, "/setup?code=guess", nil); r.status != http.StatusForbidden {
		t.Errorf("page with a wrong code: %d, want 403", r.status)
	}
	if has, _ := e.store.HasAdmin(context.Background()); has {
		t.Fatal("a refused set-up created an admin")
	}
	r = proxied(b, http.MethodGet, "/setup?code="+code, nil)
	if r.status != http.StatusOK || !strings.Contains(r.body, `name="code" value="`+code+`"`) {
		t.Fatalf("page with the code: %d, want the form carrying the code", r.status)
	}
	right := setupForm(token)
	right.Set("code", code)
	if r := proxied(b, http.MethodPost, "/setup", right); r.status != http.StatusSeeOther {
		t.Fatalf("set-up with the code: %d\n%s", r.status, r.body)
	}
	// The code worked once: the page is closed now anyway.
	if r := proxied(e.browser(), http.MethodGet, "/setup?code="+code, nil); r.status != http.StatusForbidden {
		t.Errorf("the code after set-up: %d, want 403", r.status)
	}
}

// TestSetUpFixedByFlags: an organisation name or zone set by a flag is shown
// but not offered, and a posted value is ignored and not saved.
func TestSetUpFixedByFlags(t *testing.T) {
	profile := org.New("Fixed Ltd", time.UTC)
	e := newFreshEnv(t, func(o *web.Options) {
		o.Org, o.OrgNameFixed = profile, true
	})
	b := e.browser()
	r := b.get("/setup")
	if !strings.Contains(r.body, "Set by <code>--organisation</code>") || strings.Contains(r.body, `name="organisation"`) {
		t.Errorf("a fixed organisation name is offered:\n%s", r.body)
	}
	if r := b.post("/setup", setupForm(b.csrf("/setup")), ""); r.status != http.StatusSeeOther {
		t.Fatalf("set-up: %d\n%s", r.status, r.body)
	}
	saved, _ := e.store.Settings(context.Background())
	if _, ok := saved[store.SettingOrganisation]; ok || saved[store.SettingTimeZone] != "Europe/Berlin" {
		t.Errorf("saved %v, want the zone only", saved)
	}
	if profile.Name() != "Fixed Ltd" {
		t.Errorf("organisation %q, want the flag's", profile.Name())
	}
}

// TestSetUpEmailTaken: a learner made on the command line keeps their
// address; the set-up says so and creates nothing.
func TestSetUpEmailTaken(t *testing.T) {
	e := newFreshEnv(t)
	e.addUser("ada@example.org", false)
	b := e.browser()
	r := b.post("/setup", setupForm(b.csrf("/setup")), "")
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "already exists") {
		t.Fatalf("set-up with a taken email: %d", r.status)
	}
	if has, _ := e.store.HasAdmin(context.Background()); has {
		t.Error("an admin was made")
	}
	saved, _ := e.store.Settings(context.Background())
	if len(saved) != 0 {
		t.Errorf("settings saved by a refused set-up: %v", saved)
	}
}
