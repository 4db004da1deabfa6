package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/web"
	"github.com/lectern/lectern/scorm/cmi"
)

const hostile = `<script>alert("x")</script>&amp;`

// playSession launches course 1 for u, commits each batch a minute apart and
// terminates with the last one. It returns the attempt.
func (e *env) playSession(u *store.User, batches ...[]cmi.Change) uint {
	e.t.Helper()
	ctx := context.Background()
	rt := &runtime.Service{Store: e.store, ContentDir: e.content, LaunchTTL: time.Hour, SuspendDataMax: 64000,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	c, err := rt.Open(ctx, u, 1)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := rt.Start(ctx, c.Token); err != nil {
		e.t.Fatal(err)
	}
	for i, b := range batches {
		e.advance(time.Minute)
		if _, err := rt.Commit(ctx, runtime.CommitRequest{Token: c.Token, Seq: int64(i + 1), Terminate: i == len(batches)-1, Changes: b}); err != nil {
			e.t.Fatalf("commit %d: %v", i+1, err)
		}
	}
	rows, err := e.store.Enrolments(ctx, store.EnrolmentFilter{UserID: u.ID})
	if err == nil && len(rows) > 0 && rows[0].AttemptID != nil {
		return *rows[0].AttemptID
	}
	return 1
}

// TestAttemptTimeline: the journal of an attempt, with hostile values
// escaped, long values folded, reported and measured times; admins only.
func TestAttemptTimeline(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	e.publish(1)
	learner := e.signedIn("lee@example.org", false)
	lee, err := e.store.UserByEmail(context.Background(), "lee@example.org")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 300) + "TAIL" + hostile
	id := e.playSession(lee,
		[]cmi.Change{{Element: "cmi.core.lesson_location", Value: hostile}, {Element: "cmi.suspend_data", Value: long}},
		[]cmi.Change{{Element: "cmi.core.lesson_status", Value: "completed"}, {Element: "cmi.core.session_time", Value: "00:00:30"}},
	)
	page := web.AttemptURL(id)

	r := admin.get(page)
	if r.status != http.StatusOK {
		t.Fatalf("%s: %d\n%s", page, r.status, r.body)
	}
	if strings.Contains(r.body, "<script>alert") {
		t.Error("a value the SCO sent reached the page unescaped")
	}
	for _, want := range []string{
		"User lee@example.org", "lee@example.org", "cmi.core.lesson_location", "&lt;script&gt;alert(&#34;x&#34;)&lt;/<wbr>script&gt;&amp;amp;",
		"cmi.suspend_data", "<details>", "TAIL", "cmi.core.session_time", "00:00:30", "Terminated",
		"Reported time</dt><dd>30s", "Measured time</dt><dd>2m 00s",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
	// The long value is folded: its tail shows only inside the disclosure.
	m := regexp.MustCompile(`<summary><code>(.*?)</code></summary>`).FindStringSubmatch(r.body)
	if m == nil {
		t.Fatal("long value not folded behind a summary")
	}
	if short := strings.ReplaceAll(m[1], "<wbr>", ""); short != strings.Repeat("x", 80)+"…" {
		t.Errorf("summary shows %q, want the first 80 characters", short)
	}
	if i, j := strings.Index(r.body, "Seq"), strings.Index(r.body, "cmi.core.lesson_status"); i < 0 || j < strings.Index(r.body, "cmi.suspend_data") {
		t.Error("commits not in order")
	}

	for _, tt := range []struct {
		name string
		b    *browser
		path string
		want int
	}{
		{"learner", learner, page, http.StatusForbidden},
		{"signed out", e.browser(), page, http.StatusSeeOther},
		{"no such attempt", admin, "/admin/attempts/999", http.StatusNotFound},
		{"not a number", admin, "/admin/attempts/x", http.StatusNotFound},
	} {
		if r := tt.b.get(tt.path); r.status != tt.want {
			t.Errorf("%s: %s gives %d, want %d", tt.name, tt.path, r.status, tt.want)
		}
	}
}

// TestChartsPage: the charts page draws inline SVG with escaped names,
// counts per course and group, and completions in the current week.
func TestChartsPage(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	learner := e.signedIn("lee@example.org", false)
	if r := admin.get("/admin/charts"); r.status != http.StatusOK || !strings.Contains(r.body, "No enrolments yet") || !strings.Contains(r.body, "<svg") {
		t.Errorf("empty charts page: %d", r.status)
	}
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	e.publish(1)
	ctx := context.Background()
	g, err := e.store.CreateGroup(ctx, hostile+" Ops")
	if err != nil {
		t.Fatal(err)
	}
	lee, _ := e.store.UserByEmail(ctx, "lee@example.org")
	dueFor := func(time.Time, store.DueRule) *time.Time { return nil }
	if _, err := e.store.AddMember(ctx, lee.ID, g.ID, dueFor); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.EnrolGroup(ctx, g.ID, 1, store.DueRule{}, dueFor); err != nil {
		t.Fatal(err)
	}
	e.playSession(lee, []cmi.Change{{Element: "cmi.core.lesson_status", Value: "passed"}}) // the package has a mastery score: a pass counts

	r := admin.get("/admin/charts")
	if r.status != http.StatusOK {
		t.Fatalf("charts: %d\n%s", r.status, r.body)
	}
	if strings.Contains(r.body, "<script>alert") {
		t.Error("a group name reached the page unescaped")
	}
	for _, want := range []string{
		`<svg xmlns="http://www.w3.org/2000/svg"`, `aria-labelledby="chart-courses-title chart-courses-desc"`,
		"Enrolment status by course", "Enrolment status by group", "Completions per week",
		"&lt;script&gt;", "Ops: Compliant 1 of 1", "2 Mar: 1 completion<",
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("charts page lacks %q", want)
		}
	}
	if strings.Contains(r.body, ` style="`) {
		t.Error("inline style attribute: the CSP forbids it")
	}
	if r := learner.get("/admin/charts"); r.status != http.StatusForbidden {
		t.Errorf("learner on charts: %d, want 403", r.status)
	}
}
