package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/store/storetest"
	"github.com/lectern/lectern/lms/web"
	"github.com/lectern/lectern/scorm"
)

// contentEnv is the content origin over a real store with one imported
// SCORM 2004 course and a learner.
type contentEnv struct {
	t     *testing.T
	srv   *httptest.Server
	rt    *runtime.Service
	st    *store.Store
	user  *store.User
	cours uint
	now   time.Time
	dir   string // content folder
}

const maxCommitBytes = 64 << 10

func newContentEnv(t *testing.T) *contentEnv {
	t.Helper()
	return newContentEnvOf(t, "scorm2004v4-seq")
}

// newContentEnvOf is newContentEnv with the package of testdata/packages/pkg.
func newContentEnvOf(t *testing.T, pkg string) *contentEnv {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(storetest.DSN(t, filepath.Join(dir, "lectern.db")))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ce := &contentEnv{t: t, st: st, now: time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)}
	st.SetClock(func() time.Time { return ce.now })
	contentDir := filepath.Join(dir, "content")
	ce.dir = contentDir
	im := &course.Importer{Store: st, ContentDir: contentDir, StagingDir: filepath.Join(dir, "staging"), Limits: scorm.DefaultLimits()}
	res, err := im.Import(context.Background(), fixture.ZipDir(t, fixture.Package(pkg)), course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ce.cours = *res.ID
	ce.user = &store.User{Email: "lee@example.org", Name: "Lee", PasswordHash: "x"}
	if err := st.CreateUser(context.Background(), ce.user); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ce.rt = &runtime.Service{Store: st, ContentDir: contentDir, LaunchTTL: time.Hour, SuspendDataMax: 64000, Log: log}
	cs, err := web.NewContent(web.ContentOptions{
		LMSOrigin: "http://lms.test", ContentDir: contentDir, MaxCommitBytes: maxCommitBytes,
		Templates: os.DirFS(filepath.Join(fixture.Root(), "templates")), Static: os.DirFS(filepath.Join(fixture.Root(), "static")),
	}, ce.rt, st, log)
	if err != nil {
		t.Fatal(err)
	}
	ce.srv = httptest.NewServer(cs)
	t.Cleanup(ce.srv.Close)
	return ce
}

// launch opens the course and starts the SCO, returning the token.
func (ce *contentEnv) launch() string {
	ce.t.Helper()
	c, err := ce.rt.Open(context.Background(), ce.user, ce.cours)
	if err != nil {
		ce.t.Fatal(err)
	}
	if r := ce.post("/rt/start", `{"token":"`+c.Token+`"}`); r.status != http.StatusOK {
		ce.t.Fatalf("start: %d %s", r.status, r.body)
	}
	return c.Token
}

func (ce *contentEnv) post(path, body string) response {
	ce.t.Helper()
	resp, err := http.Post(ce.srv.URL+path, "application/json", strings.NewReader(body))
	if err != nil {
		ce.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

func commitBody(token string, seq int, terminate bool, kv ...string) string {
	type change struct {
		Element string `json:"element"`
		Value   string `json:"value"`
	}
	var ch []change
	for i := 0; i+1 < len(kv); i += 2 {
		ch = append(ch, change{kv[i], kv[i+1]})
	}
	b, _ := json.Marshal(map[string]any{"token": token, "seq": seq, "changes": ch, "terminate": terminate})
	return string(b)
}

type rtAnswer struct {
	Error, Reason, Element string
	Code, Index            int
	ElementCode            int
	Seq                    int64
	Duplicate              bool
}

func decode(t *testing.T, r response) rtAnswer {
	t.Helper()
	var a rtAnswer
	if err := json.Unmarshal([]byte(r.body), &a); err != nil {
		t.Fatalf("answer %q is not JSON: %v", r.body, err)
	}
	return a
}

// TestRuntimeBadInput: every kind of bad commit gets the right status and
// SCORM code, and changes nothing.
func TestRuntimeBadInput(t *testing.T) {
	ce := newContentEnv(t)
	token := ce.launch()
	if r := ce.post("/rt/commit", commitBody(token, 1, false, "cmi.location", "p1")); r.status != http.StatusOK {
		t.Fatalf("valid commit: %d %s", r.status, r.body)
	}
	tests := []struct {
		name, body string
		status     int
		reason     string
	}{
		{"malformed JSON", `{"token":`, http.StatusBadRequest, ""},
		{"unknown field", `{"token":"` + token + `","seq":2,"changes":[],"sneaky":1}`, http.StatusBadRequest, ""},
		{"oversized", commitBody(token, 2, false, "cmi.suspend_data", strings.Repeat("x", maxCommitBytes)), http.StatusRequestEntityTooLarge, ""},
		{"out of range", commitBody(token, 2, false, "cmi.location", "p2", "cmi.score.scaled", "1.5"), http.StatusUnprocessableEntity, "refused"},
		{"read-only element", commitBody(token, 2, false, "cmi.learner_id", "admin"), http.StatusUnprocessableEntity, "refused"},
		{"unknown element", commitBody(token, 2, false, "cmi.evil", "1"), http.StatusUnprocessableEntity, "refused"},
		{"suspend data over the limit", commitBody(token, 2, false, "cmi.suspend_data", strings.Repeat("y", 64001)), http.StatusUnprocessableEntity, "refused"},
		{"forged sequence number", commitBody(token, 0, false, "cmi.location", "forged"), http.StatusConflict, "sequence"},
		{"forged token", commitBody(strings.Repeat("A", 43), 1, false, "cmi.location", "forged"), http.StatusNotFound, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ce.post("/rt/commit", tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d (%s)", r.status, tt.status, r.body)
			}
			a := decode(t, r)
			if tt.reason != "" && (a.Reason != tt.reason || a.Code != 391 || a.Error == "") {
				t.Errorf("answer %+v, want reason %q, code 391 and a message", a, tt.reason)
			}
		})
	}
	if a := decode(t, ce.post("/rt/commit", commitBody(token, 2, false, "cmi.location", "ok", "cmi.score.scaled", "9"))); a.Element != "cmi.score.scaled" || a.Index != 1 {
		t.Errorf("refusal names %q at %d, want cmi.score.scaled at 1", a.Element, a.Index)
	}
	// A replay of an acknowledged commit is acknowledged again, not applied.
	if a := decode(t, ce.post("/rt/commit", commitBody(token, 1, false, "cmi.location", "replayed"))); !a.Duplicate {
		t.Errorf("replay: %+v, want a duplicate ack", a)
	}
	// Nothing above changed the stored state.
	if got := storedValue(t, ce, "cmi.location"); got != "p1" {
		t.Errorf("stored location %q after bad commits, want p1", got)
	}
	c, _ := ce.rt.Open(context.Background(), ce.user, ce.cours)
	if r := ce.post("/rt/start", `{"token":"`+c.Token+`"}`); r.status != http.StatusOK {
		t.Fatalf("start: %d", r.status)
	}
	// After Terminate nothing more is accepted; an expired token is gone.
	if r := ce.post("/rt/commit", commitBody(c.Token, 1, true)); r.status != http.StatusOK {
		t.Fatalf("terminate: %d %s", r.status, r.body)
	}
	if a := decode(t, ce.post("/rt/commit", commitBody(c.Token, 2, false, "cmi.location", "late"))); a.Reason != "terminated" {
		t.Errorf("commit after terminate: %+v, want terminated", a)
	}
	ce.now = ce.now.Add(2 * time.Hour)
	if r := ce.post("/rt/commit", commitBody(token, 2, false, "cmi.location", "late")); r.status != http.StatusGone && r.status != http.StatusConflict {
		t.Errorf("expired or superseded token: %d, want 410 or 409", r.status)
	}
}

func storedValue(t *testing.T, ce *contentEnv, element string) string {
	t.Helper()
	rows, err := ce.st.ScoStates(context.Background(), 1)
	if err != nil || len(rows) != 1 {
		t.Fatalf("states: %d %v", len(rows), err)
	}
	var st struct{ Values map[string]string }
	if err := json.Unmarshal(rows[0].State, &st); err != nil {
		t.Fatal(err)
	}
	return st.Values[element]
}

// TestContentServing: files are served only with a live token and never
// from outside the version's folder.
func TestContentServing(t *testing.T) {
	ce := newContentEnv(t)
	token := ce.launch()
	get := func(path string) (int, string, http.Header) {
		resp, err := http.Get(ce.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String(), resp.Header
	}
	status, _, h := get("/c/" + token + "/imsmanifest.xml")
	if status != http.StatusOK {
		t.Fatalf("manifest: %d", status)
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self' http://lms.test") {
		t.Errorf("content CSP %q: want frame-ancestors limited to the LMS", csp)
	}
	for _, bad := range []string{
		"/c/" + token + "/../../lectern.db",
		"/c/" + token + "/%2e%2e/%2e%2e/lectern.db",
		"/c/" + token + "/..%2f..%2flectern.db",
		"/c/" + strings.Repeat("B", 43) + "/imsmanifest.xml",
		"/c/" + token + "/no-such-file.html",
	} {
		if status, body, _ := get(bad); status == http.StatusOK {
			t.Errorf("GET %s: 200 (%d bytes), want refused", bad, len(body))
		}
	}
	if status, body, _ := get("/player/" + token); status != http.StatusOK || !strings.Contains(body, `data-lms-origin="http://lms.test"`) {
		t.Errorf("player frame: %d", status)
	}
	if status, _, _ := get("/player/forged"); status != http.StatusNotFound {
		t.Errorf("player with a forged token: %d, want 404", status)
	}
}

// TestContentRoutesNeedToken: every content-origin route is classified, and
// the run-time ones refuse a request without a live launch token.
func TestContentRoutesNeedToken(t *testing.T) {
	ce := newContentEnv(t)
	cs, _ := web.NewContent(web.ContentOptions{LMSOrigin: "http://lms.test", ContentDir: t.TempDir(), MaxCommitBytes: 1024,
		Templates: os.DirFS(filepath.Join(fixture.Root(), "templates")), Static: os.DirFS(filepath.Join(fixture.Root(), "static"))}, ce.rt, ce.st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, r := range cs.Routes() {
		switch r.Access {
		case web.Public:
		case web.Runtime:
			path := strings.NewReplacer(":token", strings.Repeat("C", 43), "*", "index.html").Replace(r.Path)
			req, _ := http.NewRequest(r.Method, ce.srv.URL+path, strings.NewReader(`{"token":"`+strings.Repeat("C", 43)+`","seq":1,"changes":[],"terminate":false}`))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode < 400 {
				t.Errorf("%s %s with a forged token: %d, want refused", r.Method, r.Path, resp.StatusCode)
			}
		default:
			t.Errorf("content route %s %s is classified %q; content routes are public or runtime", r.Method, r.Path, r.Access)
		}
	}
}

// TestNavigateOverHTTP: the player frame's navigation request, in the JSON
// the shim sends, moves the learner on or ends the session.
func TestNavigateOverHTTP(t *testing.T) {
	ce := newContentEnv(t)
	token := ce.launch()
	r := ce.post("/rt/nav", `{"token":"`+token+`","request":{"kind":"choice","target":"itm_cpr"}}`)
	if r.status != http.StatusOK || !strings.Contains(r.body, `"player":"/player/`) {
		t.Fatalf("choice: %d %s", r.status, r.body)
	}
	var moved struct{ Player string }
	json.Unmarshal([]byte(r.body), &moved)
	next := strings.TrimPrefix(moved.Player, "/player/")
	if r := ce.post("/rt/start", `{"token":"`+next+`"}`); r.status != http.StatusOK {
		t.Fatalf("start the chosen item: %d", r.status)
	}
	if r := ce.post("/rt/nav", `{"token":"`+next+`","request":{"kind":"suspendAll"}}`); r.status != http.StatusOK || !strings.Contains(r.body, `"end":true`) {
		t.Errorf("suspendAll: %d %s", r.status, r.body)
	}
	if r := ce.post("/rt/nav", `{"token":"`+next+`","request":{"Kind":"continue"}}`); r.status < 400 {
		t.Errorf("a malformed request was accepted: %d", r.status)
	}
}

// TestContentReadyz: the content origin answers /readyz as the LMS origin
// does, so that a proxy can check both backends of an instance: 200 while
// the database can be written, 503 (with no reason given to the anonymous
// caller) once it cannot.
func TestContentReadyz(t *testing.T) {
	ce := newContentEnv(t)
	get := func(path string) response {
		t.Helper()
		resp, err := http.Get(ce.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return response{resp.StatusCode, resp.Header, string(b)}
	}
	if r := get("/readyz"); r.status != http.StatusOK || r.body != "ready" {
		t.Errorf("/readyz: %d %q, want 200 ready", r.status, r.body)
	}
	if r := get("/healthz"); r.status != http.StatusOK {
		t.Errorf("/healthz: %d", r.status)
	}
	ce.st.Close()
	if r := get("/readyz"); r.status != http.StatusServiceUnavailable || r.body != "not ready" {
		t.Errorf("/readyz without a database: %d %q, want 503 not ready", r.status, r.body)
	}
}
