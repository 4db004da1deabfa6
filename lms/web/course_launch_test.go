package web_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
)

// TestCoursePageWritesNothing: GET /courses/:id starts no attempt and no
// launch (a link preview or a prefetch changes nothing); the launch is a
// POST with the CSRF token, and opening the course again resumes the same
// attempt.
func TestCoursePageWritesNothing(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	e.publish(1)
	learner := e.signedIn("lee@example.org", false)
	ctx := context.Background()
	lee, _ := e.store.UserByEmail(ctx, "lee@example.org")
	if _, _, err := e.store.Enrol(ctx, lee.ID, 1, nil); err != nil {
		t.Fatal(err)
	}
	rows := func() (attempts, launches int) {
		t.Helper()
		sit, err := e.store.AttemptSituation(ctx, lee.ID, 1)
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.store.LatestAttempt(ctx, lee.ID, 1)
		if errors.Is(err, store.ErrNotFound) {
			return sit.InCycle, 0 // no attempt: no launch either (a launch belongs to one)
		} else if err != nil {
			t.Fatal(err)
		}
		audit, err := e.store.AttemptAudit(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return sit.InCycle, len(audit.Launches)
	}
	for range 3 {
		r := learner.get("/courses/1")
		if r.status != http.StatusOK || !strings.Contains(r.body, `action="/courses/1"`) || strings.Contains(r.body, "player-frame") ||
			!strings.Contains(r.body, ">Start<") {
			t.Fatalf("GET /courses/1: %d\n%s", r.status, r.body)
		}
	}
	if a, l := rows(); a != 0 || l != 0 {
		t.Fatalf("GET /courses/1 wrote %d attempts and %d launches", a, l)
	}
	if r := learner.post("/courses/1", url.Values{}, ""); r.status != http.StatusForbidden && r.status != http.StatusBadRequest {
		t.Errorf("launch without CSRF: %d", r.status)
	}
	if a, l := rows(); a != 0 || l != 0 {
		t.Fatalf("a refused launch wrote %d attempts and %d launches", a, l)
	}
	tok := learner.csrf("/courses/1")
	r := learner.launch("/courses/1", tok)
	if r.status != http.StatusOK || !strings.Contains(r.body, "player-frame") {
		t.Fatalf("launch: %d\n%s", r.status, r.body)
	}
	if a, l := rows(); a != 1 || l != 1 {
		t.Fatalf("launch wrote %d attempts and %d launches, want 1 and 1", a, l)
	}
	// Back on the course page: Resume, and the launch resumes the attempt.
	if r := learner.get("/courses/1"); !strings.Contains(r.body, ">Resume<") {
		t.Errorf("course page with an open attempt:\n%s", r.body)
	}
	if r := learner.launch("/courses/1", tok); r.status != http.StatusOK || !strings.Contains(r.body, "player-frame") {
		t.Fatalf("second launch: %d", r.status)
	}
	if a, l := rows(); a != 1 || l != 2 {
		t.Errorf("resume made %d attempts and %d launches, want 1 and 2", a, l)
	}
}

// TestReadyz: /readyz answers 200 when the store can be written and its
// migrations are current; /healthz stays "process up".
func TestReadyz(t *testing.T) {
	e := newEnv(t)
	if r := e.browser().get("/readyz"); r.status != http.StatusOK || r.body != "ready" {
		t.Errorf("/readyz: %d %q", r.status, r.body)
	}
	if r := e.browser().get("/healthz"); r.status != http.StatusOK {
		t.Errorf("/healthz: %d", r.status)
	}
}

// launch posts a launch form (a course, its review, starting again) and
// follows the redirect to the player page, as a browser does. A launch
// that shows the player at once answers as it is.
func (b *browser) launch(path, token string) response {
	b.t.Helper()
	r := b.post(path, url.Values{}, token)
	if r.status != http.StatusSeeOther || !strings.HasSuffix(r.header.Get("Location"), "/play") {
		return r
	}
	return b.get(r.header.Get("Location"))
}

// TestPlayerReload: the launch POST sends the browser on to GET
// /courses/:id/play (POST-redirect-GET), so a reload of the player is a
// plain GET: it shows the same launch again and writes nothing. A launch
// that has ended, or a missing or forged cookie, leads back to the course
// page, which writes nothing either.
func TestPlayerReload(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	up := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true)
	if up.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	e.publish(1)
	learner := e.signedIn("lee@example.org", false)
	ctx := context.Background()
	lee, err := e.store.UserByEmail(ctx, "lee@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.store.Enrol(ctx, lee.ID, 1, nil); err != nil {
		t.Fatal(err)
	}
	launches := func() int {
		t.Helper()
		a, err := e.store.LatestAttempt(ctx, lee.ID, 1)
		if errors.Is(err, store.ErrNotFound) {
			return 0
		} else if err != nil {
			t.Fatal(err)
		}
		audit, err := e.store.AttemptAudit(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(audit.Launches)
	}
	tok := learner.csrf("/courses/1")
	r := learner.post("/courses/1", url.Values{}, tok)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/courses/1/play" {
		t.Fatalf("launch POST: %d to %q, want 303 to /courses/1/play", r.status, r.header.Get("Location"))
	}
	first := learner.get("/courses/1/play")
	m := frameToken.FindStringSubmatch(first.body)
	if first.status != http.StatusOK || m == nil {
		t.Fatalf("player page: %d\n%s", first.status, first.body)
	}
	for i := range 3 { // reloads
		again := learner.get("/courses/1/play")
		if n := frameToken.FindStringSubmatch(again.body); again.status != http.StatusOK || n == nil || n[1] != m[1] {
			t.Fatalf("reload %d: %d, frame %v, want the same launch %s", i, again.status, n, m[1])
		}
	}
	if n := launches(); n != 1 {
		t.Errorf("the launch and its reloads made %d launches, want 1", n)
	}
	// Another learner's browser, or a forged cookie, gets no player.
	other := e.signedIn("kim@example.org", false)
	e.enrol("kim@example.org", 1) // enrolled too, so only the cookie is wrong
	for _, b := range []*browser{other, e.browser()} {
		req, _ := http.NewRequest(http.MethodGet, e.http.URL+"/courses/1/play", nil)
		req.AddCookie(&http.Cookie{Name: "lectern-play-1", Value: m[1]})
		if r := b.do(req); r.status != http.StatusSeeOther || strings.Contains(r.body, "player-frame") {
			t.Errorf("someone else's browser with the launch cookie: %d\n%s", r.status, r.body)
		}
	}
	// The session ends: the reload leads back to the course page.
	rt := &runtime.Service{Store: e.store, ContentDir: e.content, LaunchTTL: time.Hour, SuspendDataMax: 64000, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := rt.Start(ctx, m[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Commit(ctx, runtime.CommitRequest{Token: m[1], Seq: 1, Terminate: true}); err != nil {
		t.Fatal(err)
	}
	if r := learner.get("/courses/1/play"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/courses/1" {
		t.Errorf("reload after the session ended: %d to %q, want 303 to /courses/1", r.status, r.header.Get("Location"))
	}
	if n := launches(); n != 1 {
		t.Errorf("reloads after the end made %d launches, want 1", n)
	}
}
