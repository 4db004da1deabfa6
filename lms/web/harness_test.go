package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/lti"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/store/storetest"
	"github.com/lectern/lectern/lms/web"
	"github.com/lectern/lectern/scorm"
)

// testEvidenceMax is the evidence limit of the test server (N and N+1 are
// tested).
const testEvidenceMax = 100 << 10

// env is a Lectern web server on a real SQLite file and a real HTTP listener.
type env struct {
	t       testing.TB
	dir     string
	db      string // the store's database: SQLite file or PostgreSQL URL
	store   *store.Store
	server  *web.Server
	http    *httptest.Server
	opt     web.Options
	mu      sync.Mutex
	now     time.Time
	content string
	staging string
	lti     *lti.Service
	read    atomic.Int64 // bytes the server read from all connections
	fresh   bool         // an empty instance: the set-up page stays open
	logs    lockedBuffer // everything the server logged
}

// lockedBuffer is a bytes.Buffer safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type envOption func(*web.Options)

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	return newEnvWith(t, false, opts...)
}

// newFreshEnv is an empty Lectern whose set-up page is open.
func newFreshEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	return newEnvWith(t, true, opts...)
}

func newEnvWith(t testing.TB, fresh bool, opts ...envOption) *env {
	t.Helper()
	dir := t.TempDir()
	return newEnvOn(t, fresh, dir, storetest.DSN(t, filepath.Join(dir, "lectern.db")), opts...)
}

// twin is a second Lectern instance beside e, as behind a load balancer:
// its own store, services and listener, on e's database and content
// folder, with e's options and clock.
func (e *env) twin() *env {
	e.t.Helper()
	opt := e.opt
	tw := newEnvOn(e.t, true, e.dir, e.db, func(o *web.Options) { *o = opt })
	tw.store.SetClock(e.clock) // e.advance moves both
	return tw
}

func newEnvOn(t testing.TB, fresh bool, dir, db string, opts ...envOption) *env {
	t.Helper()
	st, err := store.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, dir: dir, db: db, store: st, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), fresh: fresh}
	st.SetClock(e.clock)
	e.content, e.staging = filepath.Join(dir, "content"), filepath.Join(dir, "staging")
	im := &course.Importer{Store: st, ContentDir: e.content, StagingDir: e.staging, Limits: scorm.DefaultLimits()}
	e.opt = web.Options{
		BaseURL:          "http://lectern.test",
		SessionLifetime:  time.Hour,
		SessionIdle:      time.Hour,
		LoginMaxFailures: 3,
		LoginWindow:      15 * time.Minute,
		MaxUploadBytes:   10 << 20,
		MaxFormBytes:     64 << 10,
		EvidenceMaxBytes: testEvidenceMax,
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
	var logTo io.Writer = &e.logs
	if testing.Verbose() {
		logTo = io.MultiWriter(&e.logs, os.Stderr)
	}
	log := slog.New(slog.NewTextHandler(logTo, nil))
	rt := &runtime.Service{Store: st, ContentDir: e.content, LaunchTTL: time.Hour, SuspendDataMax: 64000, Log: log}
	comp := &compliance.Service{Store: st, Location: time.UTC, RecertLeadDays: 30, DueSoonDays: 7, ExpiryNoticeDays: 30}
	lo := lti.DefaultOptions()
	lo.BaseURL = e.opt.BaseURL
	e.lti = lti.New(st, lo, log)
	e.server, err = web.New(e.opt, st, web.Services{Importer: im, Runtime: rt, Compliance: comp, LTI: e.lti}, log)
	if err != nil {
		t.Fatal(err)
	}
	e.http = httptest.NewUnstartedServer(e.server)
	e.http.Listener = countingListener{e.http.Listener, &e.read}
	e.http.Start()
	t.Cleanup(e.http.Close)
	t.Cleanup(e.server.Close)
	if !e.fresh {
		// Tests make users as they need them; the first-run set-up page
		// has its own tests (newFreshEnv).
		if err := st.SaveSettings(context.Background(), map[string]string{store.SettingSetUp: "by the test harness"}); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// countingListener counts the bytes the server reads, so that tests can
// check how much of a body was read before it was refused.
type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{c, l.n}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
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

// formToken returns the CSRF token this client's forms carry: bound to its
// session when signed in, else to its anonymous cookie.
func (b *browser) formToken() string {
	b.t.Helper()
	r := b.get("/")
	if m := csrfField.FindStringSubmatch(r.body); m != nil {
		return m[1]
	}
	return b.csrf("/login")
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

// publish makes an uploaded course (a draft) visible to learners.
func (e *env) publish(courseID uint) {
	e.t.Helper()
	if err := e.store.SetCourseStatus(context.Background(), courseID, store.CoursePublished); err != nil {
		e.t.Fatal(err)
	}
}

// makeManager puts the learners in a new group and makes manager its manager.
func (e *env) makeManager(manager string, learners ...string) *store.Group {
	e.t.Helper()
	ctx := context.Background()
	m, err := e.store.UserByEmail(ctx, manager)
	if err != nil {
		e.t.Fatal(err)
	}
	g, err := e.store.CreateGroup(ctx, "Team of "+manager)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, l := range learners {
		u, err := e.store.UserByEmail(ctx, l)
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.store.AddMember(ctx, u.ID, g.ID, func(time.Time, store.DueRule) *time.Time { return nil }); err != nil {
			e.t.Fatal(err)
		}
	}
	if _, err := e.store.AddManager(ctx, m.ID, g.ID); err != nil {
		e.t.Fatal(err)
	}
	return g
}

// openCourse opens a course to every signed-in learner (self-enrolment).
func (e *env) openCourse(courseID uint) {
	e.t.Helper()
	if err := e.store.SetCourseCatalogue(context.Background(), courseID, store.CatalogueOpen, "test: open to every learner"); err != nil {
		e.t.Fatal(err)
	}
}

// enrol enrols the user of email in a course, without a due date: courses
// are for enrolled learners only unless opened.
func (e *env) enrol(email string, courseID uint) *store.Enrolment {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.store.UserByEmail(ctx, email)
	if err != nil {
		e.t.Fatal(err)
	}
	en, _, err := e.store.Enrol(ctx, u.ID, courseID, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return en
}
