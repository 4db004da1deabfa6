package web_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/scorm/cmi"
)

func (ce *contentEnv) get(path string) response {
	ce.t.Helper()
	resp, err := http.Get(ce.srv.URL + path)
	if err != nil {
		ce.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

// wantGone: a file of the launch is refused with 410 and a sentence
// saying why.
func (ce *contentEnv) wantGone(token, why string) {
	ce.t.Helper()
	r := ce.get("/c/" + token + "/imsmanifest.xml")
	if r.status != http.StatusGone || !strings.Contains(r.body, why) {
		ce.t.Errorf("file of the launch: %d %q, want 410 saying %q", r.status, r.body, why)
	}
	if r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'none'") {
		ce.t.Errorf("refusal headers %v: want nosniff and a CSP", r.header)
	}
}

// TestContentFollowsTheLaunch: a launch's files are served only while the
// launch is live. Termination, a second window and expiry refuse them at
// once (the folder cache notwithstanding), and a terminated launch can be
// neither started again nor committed to.
func TestContentFollowsTheLaunch(t *testing.T) {
	t.Run("terminated", func(t *testing.T) {
		ce := newContentEnv(t)
		token := ce.launch()
		if r := ce.get("/c/" + token + "/imsmanifest.xml"); r.status != http.StatusOK {
			t.Fatalf("file of a live launch: %d", r.status)
		}
		if r := ce.post("/rt/commit", commitBody(token, 1, true, "cmi.location", "p1")); r.status != http.StatusOK {
			t.Fatalf("terminating commit: %d %s", r.status, r.body)
		}
		ce.wantGone(token, "session has ended")
		// Restarting the session is refused, and so is a commit after it.
		r := ce.post("/rt/start", `{"token":"`+token+`"}`)
		if a := decode(t, r); r.status != http.StatusConflict || a.Reason != "terminated" {
			t.Errorf("start of a terminated launch: %d %s, want 409 terminated", r.status, r.body)
		}
		r = ce.post("/rt/commit", commitBody(token, 2, false, "cmi.location", "p2"))
		if a := decode(t, r); r.status != http.StatusConflict || a.Reason != "terminated" {
			t.Errorf("commit after Terminate: %d %s, want 409 terminated", r.status, r.body)
		}
		states, err := ce.st.ScoStates(context.Background(), ce.attemptOf(token))
		if err != nil || len(states) != 1 || !strings.Contains(string(states[0].State), `"p1"`) || strings.Contains(string(states[0].State), `"p2"`) {
			t.Errorf("state after refused commits: %v %+v", err, states)
		}
	})
	t.Run("superseded", func(t *testing.T) {
		ce := newContentEnv(t)
		first := ce.launch()
		if r := ce.get("/c/" + first + "/imsmanifest.xml"); r.status != http.StatusOK {
			t.Fatalf("file of a live launch: %d", r.status)
		}
		second := ce.launch() // the course opened in a second window
		ce.wantGone(first, "another window")
		if r := ce.get("/c/" + second + "/imsmanifest.xml"); r.status != http.StatusOK {
			t.Errorf("file of the new window: %d", r.status)
		}
	})
	t.Run("expired", func(t *testing.T) {
		ce := newContentEnv(t)
		token := ce.launch()
		if r := ce.get("/c/" + token + "/imsmanifest.xml"); r.status != http.StatusOK {
			t.Fatalf("file of a live launch: %d", r.status)
		}
		ce.now = ce.now.Add(time.Hour - time.Second) // the TTL is an hour: still live
		if r := ce.get("/c/" + token + "/imsmanifest.xml"); r.status != http.StatusOK {
			t.Errorf("file a second before expiry: %d", r.status)
		}
		ce.now = ce.now.Add(time.Second)
		ce.wantGone(token, "expired")
	})
	t.Run("learner deactivated", func(t *testing.T) {
		ce := newContentEnv(t)
		token := ce.launch()
		if r := ce.get("/c/" + token + "/imsmanifest.xml"); r.status != http.StatusOK {
			t.Fatalf("file of a live launch: %d", r.status)
		}
		if err := ce.st.SetUserActive(context.Background(), ce.user.ID, false); err != nil {
			t.Fatal(err)
		}
		ce.wantGone(token, "")
		r := ce.post("/rt/commit", commitBody(token, 1, false, "cmi.location", "after"))
		if r.status < 400 {
			t.Errorf("commit of a deactivated learner: %d %s, want refused", r.status, r.body)
		}
		if r := ce.post("/rt/start", `{"token":"`+token+`"}`); r.status < 400 {
			t.Errorf("start of a deactivated learner's launch: %d %s, want refused", r.status, r.body)
		}
		states, _ := ce.st.ScoStates(context.Background(), ce.attemptOf(token))
		for _, s := range states {
			if strings.Contains(string(s.State), "after") {
				t.Errorf("a deactivated learner's commit was stored: %s", s.State)
			}
		}
	})
}

func (ce *contentEnv) attemptOf(token string) uint {
	ce.t.Helper()
	var id uint
	a, err := ce.st.LatestAttempt(context.Background(), ce.user.ID, ce.cours)
	if err != nil {
		ce.t.Fatal(err)
	}
	id = a.ID
	_ = token
	return id
}

// TestLaunchSweep: launch rows are removed once they expired longer than
// the retention ago, and not a second before.
func TestLaunchSweep(t *testing.T) {
	ce := newContentEnv(t)
	ctx := context.Background()
	token := ce.launch()
	l, err := ce.st.LaunchByToken(ctx, account.HashToken(token))
	if err != nil {
		t.Fatal(err)
	}
	retention := 24 * time.Hour
	ce.now = l.ExpiresAt.Add(retention) // expired exactly the retention ago: kept
	if n, err := ce.st.DeleteOldLaunches(ctx, ce.now.Add(-retention)); err != nil || n != 0 {
		t.Fatalf("sweep at the retention: %d, %v; want nothing removed", n, err)
	}
	ce.now = ce.now.Add(time.Second)
	if n, err := ce.st.DeleteOldLaunches(ctx, ce.now.Add(-retention)); err != nil || n != 1 {
		t.Fatalf("sweep a second later: %d, %v; want the launch removed", n, err)
	}
	if _, err := ce.st.LaunchByToken(ctx, account.HashToken(token)); err == nil {
		t.Error("the swept launch is still there")
	}
	if r := ce.get("/c/" + token + "/imsmanifest.xml"); r.status != http.StatusNotFound {
		t.Errorf("file of a swept launch: %d, want 404", r.status)
	}
	// The attempt's journal still reads.
	if _, err := ce.st.AttemptAudit(ctx, ce.attemptOf(token)); err != nil {
		t.Errorf("audit after the sweep: %v", err)
	}
}

// TestContentTypes: package files are served with their extension's type;
// unknown types and server scripts as bytes, never sniffed into a page.
func TestContentTypes(t *testing.T) {
	ce := newContentEnv(t)
	token := ce.launch()
	lc, err := ce.st.ContentOfLaunch(context.Background(), account.HashToken(token))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(ce.dir, filepath.FromSlash(lc.Dir))
	page := []byte("<html><script>alert(document.domain)</script></html>")
	for name, want := range map[string]string{
		"page.unknownext": "application/octet-stream",
		"noext":           "application/octet-stream",
		"run.php":         "application/octet-stream",
		"run.PHTML":       "application/octet-stream",
		".htaccess":       "application/octet-stream",
		"page.html":       "text/html; charset=utf-8",
		"style.css":       "text/css; charset=utf-8",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), page, 0o644); err != nil {
			t.Fatal(err)
		}
		r := ce.get("/c/" + token + "/" + name)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != want || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %q nosniff=%q, want 200 %q nosniff", name, r.status, r.header.Get("Content-Type"), r.header.Get("X-Content-Type-Options"), want)
		}
	}
	for _, p := range []string{"/c/" + token + "/no-such-file.html", "/no-such-route", "/c/" + strings.Repeat("D", 43) + "/x.html"} {
		r := ce.get(p)
		if r.status != http.StatusNotFound || r.header.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.Contains(r.header.Get("Content-Security-Policy"), "default-src 'none'") {
			t.Errorf("GET %s: %d %v, want 404 with nosniff and a CSP", p, r.status, r.header)
		}
	}
}

// TestAttemptBudget: an attempt's stored run-time data has a budget
// (--attempt-max-bytes). A commit that fills it exactly is saved; one byte
// more is refused with a SCORM error naming the change, and changes
// nothing.
func TestAttemptBudget(t *testing.T) {
	ce := newContentEnv(t)
	token := ce.launch()
	size := func() int64 {
		t.Helper()
		states, err := ce.st.ScoStates(context.Background(), ce.attemptOf(token))
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, s := range states {
			n += int64(len(s.State))
		}
		return n
	}
	if r := ce.post("/rt/commit", commitBody(token, 1, false, "cmi.suspend_data", strings.Repeat("a", 100))); r.status != http.StatusOK {
		t.Fatalf("commit: %d %s", r.status, r.body)
	}
	base := size() - 100 // the state without the suspend data's characters
	budget := base + 5000
	ce.rt.AttemptMaxBytes = budget
	if r := ce.post("/rt/commit", commitBody(token, 2, false, "cmi.suspend_data", strings.Repeat("b", 4000))); r.status != http.StatusOK {
		t.Fatalf("commit within the budget: %d %s", r.status, r.body)
	}
	if got := size(); got > budget {
		t.Fatalf("stored %d bytes, budget %d", got, budget)
	}
	exact := budget - size() + 4000 // suspend data that fills the budget exactly
	if r := ce.post("/rt/commit", commitBody(token, 3, false, "cmi.suspend_data", strings.Repeat("c", int(exact)))); r.status != http.StatusOK {
		t.Fatalf("commit at the budget (N): %d %s", r.status, r.body)
	}
	if got := size(); got != budget {
		t.Fatalf("stored %d bytes after the commit at the budget, want exactly %d", got, budget)
	}
	before, _ := ce.st.ScoStates(context.Background(), ce.attemptOf(token))
	r := ce.post("/rt/commit", commitBody(token, 4, false, "cmi.location", "p4", "cmi.suspend_data", strings.Repeat("d", int(exact)+1)))
	a := decode(t, r)
	if r.status != http.StatusUnprocessableEntity || a.Reason != "refused" || a.Element != "cmi.suspend_data" || a.Index != 1 ||
		!strings.Contains(a.Error, "budget") || !strings.Contains(a.Error, "--attempt-max-bytes") {
		t.Fatalf("commit one byte over the budget (N+1): %d %s", r.status, r.body)
	}
	after, _ := ce.st.ScoStates(context.Background(), ce.attemptOf(token))
	if len(after) != 1 || string(after[0].State) != string(before[0].State) {
		t.Fatal("the refused commit changed the stored state")
	}
	// The refused batch used up no number: one that fits takes it.
	if r := ce.post("/rt/commit", commitBody(token, 4, false, "cmi.location", "p4", "cmi.suspend_data", strings.Repeat("d", int(exact)-100))); r.status != http.StatusOK {
		t.Fatalf("a batch that fits, after the refused one: %d %s", r.status, r.body)
	}
	// A smaller budget than what is stored: a commit that does not grow the
	// attempt is still saved.
	ce.rt.AttemptMaxBytes = budget / 2
	if r := ce.post("/rt/commit", commitBody(token, 5, false, "cmi.suspend_data", strings.Repeat("e", int(exact)-200))); r.status != http.StatusOK {
		t.Fatalf("a shrinking commit over a lowered budget: %d %s", r.status, r.body)
	}
}

// TestAttemptBudget12: a SCORM 1.2 attempt has the same budget, and its
// refusal speaks SCORM 1.2: General Exception (101), never 2004's 351, with
// the reason as the diagnostic. N is saved, N+1 refused.
func TestAttemptBudget12(t *testing.T) {
	ce := newContentEnvOf(t, "scorm12-single")
	token := ce.launch()
	size := func() int64 {
		t.Helper()
		states, err := ce.st.ScoStates(context.Background(), ce.attemptOf(token))
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		for _, s := range states {
			n += int64(len(s.State))
		}
		return n
	}
	if r := ce.post("/rt/commit", commitBody(token, 1, false, "cmi.suspend_data", "a")); r.status != http.StatusOK {
		t.Fatalf("commit: %d %s", r.status, r.body)
	}
	budget := size() - 1 + 3000
	ce.rt.AttemptMaxBytes = budget
	if r := ce.post("/rt/commit", commitBody(token, 2, false, "cmi.suspend_data", strings.Repeat("c", 3000))); r.status != http.StatusOK {
		t.Fatalf("commit at the budget (N): %d %s", r.status, r.body)
	}
	if got := size(); got != budget {
		t.Fatalf("stored %d bytes after the commit at the budget, want exactly %d", got, budget)
	}
	r := ce.post("/rt/commit", commitBody(token, 3, false, "cmi.suspend_data", strings.Repeat("d", 3001)))
	a := decode(t, r)
	if r.status != http.StatusUnprocessableEntity || a.Reason != "refused" || a.Element != "cmi.suspend_data" ||
		!strings.Contains(a.Error, "budget") || !strings.Contains(a.Error, "--attempt-max-bytes") {
		t.Fatalf("commit one byte over the budget (N+1): %d %s", r.status, r.body)
	}
	if a.Code != cmi.CodeGeneralException || a.ElementCode != cmi.CodeGeneralException {
		t.Errorf("SCORM 1.2 refusal codes %d and %d, want 101 and 101 (351 does not exist in 1.2): %s", a.Code, a.ElementCode, r.body)
	}
	if cmi.ErrorString(cmi.V12, a.ElementCode) == "" {
		t.Errorf("code %d is not a SCORM 1.2 error code", a.ElementCode)
	}
}
