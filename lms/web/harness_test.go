package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/web"
	"github.com/lectern/lectern/scorm"
)

// env is a Lectern web server on a real SQLite file and a real HTTP listener.
type env struct {
	t       testing.TB
	dir     string
	store   *store.Store
	server  *web.Server
	http    *httptest.Server
	opt     web.Options
	mu      sync.Mutex
	now     time.Time
	content string
	staging string
}

type envOption func(*web.Options)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := store.OpenSQLite(filepath.Join(dir, "lectern.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, dir: dir, store: st, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	st.SetClock(e.clock)
	e.content, e.staging = filepath.Join(dir, "content"), filepath.Join(dir, "staging")
	im := &course.Importer{Store: st, ContentDir: e.content, StagingDir: e.staging, Limits: scorm.DefaultLimits()}
	e.opt = web.Options{
		BaseURL:          "http://lectern.test",
		SessionLifetime:  time.Hour,
		LoginMaxFailures: 3,
		LoginWindow:      15 * time.Minute,
		MaxUploadBytes:   10 << 20,
		StagingDir:       e.staging,
		ContentURL:       "http://content.test",
		Organisation:     "Acme Safety",
		Location:         time.UTC,
		SessionKeys:      [][]byte{bytes.Repeat([]byte{1}, 64), bytes.Repeat([]byte{2}, 32)},
		Templates:        os.DirFS(filepath.Join(fixture.Root(), "templates")),
		Static:           os.DirFS(filepath.Join(fixture.Root(), "static")),
	}
	for _, o := range opts {
		o(&e.opt)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	rt := &runtime.Service{Store: st, ContentDir: e.content, LaunchTTL: time.Hour, SuspendDataMax: 64000, Log: log}
	comp := &compliance.Service{Store: st, Location: time.UTC, RecertLeadDays: 30, DueSoonDays: 7, ExpiryNoticeDays: 30}
	e.server, err = web.New(e.opt, st, web.Services{Importer: im, Runtime: rt, Compliance: comp}, log)
	if err != nil {
		t.Fatal(err)
	}
	e.http = httptest.NewServer(e.server)
	t.Cleanup(e.http.Close)
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = e.now.Add(d)
}

// addUser creates a user with password "password-123".
func (e *env) addUser(email string, admin bool) *store.User {
	e.t.Helper()
	hash, err := account.HashPassword("password-123")
	if err != nil {
		e.t.Fatal(err)
	}
	u := &store.User{Email: email, Name: "User " + email, PasswordHash: hash, Admin: admin}
	if err := e.store.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// browser is an HTTP client with its own cookie jar that does not follow
// redirects, so tests see them.
type browser struct {
	t   testing.TB
	e   *env
	c   *http.Client
	jar *cookiejar.Jar
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, jar: jar, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(body)}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.e.http.URL+path, nil)
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf loads a page and returns the token from its form.
func (b *browser) csrf(page string) string {
	b.t.Helper()
	r := b.get(page)
	m := csrfField.FindStringSubmatch(r.body)
	if m == nil {
		b.t.Fatalf("no CSRF field on %s (status %d)", page, r.status)
	}
	return m[1]
}

// csrfCookie returns the CSRF token of the _csrf cookie (which any request sets).
func (b *browser) csrfCookie() string {
	b.t.Helper()
	b.get("/healthz")
	u, _ := url.Parse(b.e.http.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == "_csrf" {
			return c.Value
		}
	}
	b.t.Fatal("no _csrf cookie")
	return ""
}

// post submits a form; token "" sends none.
func (b *browser) post(path string, form url.Values, token string) response {
	b.t.Helper()
	if token != "" {
		form.Set("_csrf", token)
	}
	req, _ := http.NewRequest(http.MethodPost, b.e.http.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

func (b *browser) login(email, password string) response {
	b.t.Helper()
	return b.post("/login", url.Values{"email": {email}, "password": {password}}, b.csrf("/login"))
}

// upload posts a zip file like the upload script does.
func (b *browser) upload(path, zipPath, token string, asJSON bool) response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("package", filepath.Base(zipPath))
	data, err := os.ReadFile(zipPath)
	if err != nil {
		b.t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.e.http.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", token)
	if asJSON {
		req.Header.Set("Accept", "application/json")
	}
	return b.do(req)
}

// signedIn returns a browser signed in as a new user.
func (e *env) signedIn(email string, admin bool) *browser {
	e.t.Helper()
	e.addUser(email, admin)
	b := e.browser()
	if r := b.login(email, "password-123"); r.status != http.StatusSeeOther {
		e.t.Fatalf("sign in %s: status %d, want 303\n%s", email, r.status, r.body)
	}
	return b
}

func storeFilterAll() store.EnrolmentFilter { return store.EnrolmentFilter{} }
