// Package security_test runs attacks of one package on another in headless
// Chromium against a real Lectern. Every package runs on the one content
// origin and so shares its storage; what one course's player leaves there
// must be of no use to another course's package.
package security_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/internal/lecterntest"
	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm/cmi"
)

// manifest12 is a one-SCO SCORM 1.2 manifest launching index.html.
func manifest12(id string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="` + id + `" version="1.0" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org"><organization identifier="org"><title>` + id + `</title>
    <item identifier="item" identifierref="res"><title>` + id + `</title></item>
  </organization></organizations>
  <resources><resource identifier="res" type="webcontent" adlcp:scormtype="sco" href="index.html"><file href="index.html"/></resource></resources>
</manifest>`
}

// plainSCO initialises and waits for the test to drive it.
const plainSCO = `<!doctype html><html><body><script>
API = parent.API; API.LMSInitialize(""); document.body.dataset.ready = "yes";
</script></body></html>`

// hostileSCO, once asked (attack()), reads everything a package can reach:
// localStorage, sessionStorage, cookies, IndexedDB, the Cache API, and
// whatever its own player frame's sealing key opens; then it tries to
// commit "passed" with every token-like string it found, and replays every
// stored value as a commit body.
const hostileSCO = `<!doctype html><html><body><script>
API = parent.API; API.LMSInitialize(""); document.body.dataset.ready = "yes";
window.attack = async () => {
  const texts = [];
  for (const s of [localStorage, sessionStorage]) for (let i = 0; i < s.length; i++) { const k = s.key(i); texts.push(k, s.getItem(k)); }
  texts.push(document.cookie);
  try { for (const db of await indexedDB.databases()) texts.push(db.name); } catch (_) {}
  try { for (const n of await caches.keys()) texts.push(n); } catch (_) {}
  let opened = [];
  try {
    const own = new URLSearchParams(parent.location.hash.slice(1)).get("k") || "";
    const v = await parent.LecternRuntime.sealedStore(localStorage, own);
    if (v) opened = await v.all();
  } catch (_) {}
  texts.push(JSON.stringify(opened));
  const decoded = texts.map((t) => { try { return atob(t); } catch (_) { return ""; } });
  const ownToken = parent.document.getElementById("lectern-config").dataset.token;
  const cands = new Set((texts.concat(decoded).join("\n").match(/[A-Za-z0-9_-]{20,}/g) || []).filter((c) => c !== ownToken));
  const accepted = [];
  const post = (body) => fetch("/rt/commit", { method: "POST", headers: { "Content-Type": "application/json" }, body });
  for (const token of cands) {
    for (let seq = 1; seq <= 6; seq++) {
      const r = await post(JSON.stringify({ token, seq, terminate: false,
        changes: [{ element: "cmi.core.lesson_status", value: "passed" }, { element: "cmi.core.score.raw", value: "100" }] }));
      if (r.ok) accepted.push(token + "@" + seq);
    }
  }
  for (let i = 0; i < localStorage.length; i++) {
    const r = await post(localStorage.getItem(localStorage.key(i)));
    if (r.ok) accepted.push("replayed " + localStorage.key(i));
  }
  return JSON.stringify({ dump: texts.concat(decoded).join("\n"), candidates: cands.size, accepted, opened: opened.length });
};
</script></body></html>`

type env struct {
	lec  *lecterntest.Running
	user *store.User
}

func (e *env) course(t *testing.T, id, index string) uint {
	t.Helper()
	ctx := context.Background()
	res, err := e.lec.App.Importer.Import(ctx, fixture.ZipFiles(t, map[string]string{"imsmanifest.xml": manifest12(id), "index.html": index}), course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.lec.App.EnrolEmail(ctx, *res.ID, e.user.Email, lms.DueInput{Days: 14}); err != nil {
		t.Fatal(err)
	}
	return *res.ID
}

func start(t *testing.T) *env {
	t.Helper()
	lec := lecterntest.Start(t, nil)
	u, _, err := lec.App.AddUser(context.Background(), "lee@example.org", "Lee Learner", "learner-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	return &env{lec: lec, user: u}
}

// state is the stored SCO state of the learner's open attempt at a course.
func (e *env) state(t *testing.T, courseID uint) (*store.Attempt, map[string]string) {
	t.Helper()
	ctx := context.Background()
	a, _, err := e.lec.App.Store.OpenAttempt(ctx, e.user.ID, courseID)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := e.lec.App.Store.ScoStates(ctx, a.ID)
	if err != nil || len(rows) == 0 {
		return a, nil
	}
	var st cmi.State
	if err := json.Unmarshal(rows[len(rows)-1].State, &st); err != nil {
		t.Fatal(err)
	}
	return a, st.Values
}

// frames waits for the player frame and its SCO (initialised) in a tab.
func frames(t *testing.T, ctx context.Context) (player, sco *chromedp.Node) {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for {
		p, err1 := browser.Frame(ctx, "#player-frame")
		s, err2 := browser.Frame(ctx, "#player-frame", "#sco")
		if err1 == nil && err2 == nil {
			if ready, err := browser.Eval[string](ctx, s, `document.body && document.body.dataset.ready || ""`); err == nil && ready == "yes" {
				return p, s
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting for the SCO")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func eval[T any](t *testing.T, ctx context.Context, f *chromedp.Node, expr string) T {
	t.Helper()
	v, err := browser.Eval[T](ctx, f, expr)
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

const sealedKeys = `Object.keys(localStorage).filter((k) => k.startsWith("lectern:"))`

// TestCrossCourseStorage: course B has a batch pending in the browser (its
// commit could not reach the server); the hostile package of course A, in
// another tab of the same learner, reads everything it can reach and tries
// to commit "passed" for B with it. It finds neither B's token nor B's
// data, every commit it tries is refused, and B's record is unchanged. The
// next load of B sends the pending batch, and storage is empty after.
func TestCrossCourseStorage(t *testing.T) {
	e := start(t)
	b := e.course(t, "course-b", plainSCO)
	a := e.course(t, "course-a", hostileSCO)

	// The hostile package runs in one tab ...
	tabA := browser.New(t, 3*time.Minute)
	if err := chromedp.Do(tabA, chromedp.Navigate(e.lec.Link(t, e.user.Email, a))); err != nil {
		t.Fatal(err)
	}
	_, scoA := frames(t, tabA)
	// ... while the learner works on B in another.
	tabB, cancel := chromedp.NewContext(tabA)
	defer cancel()
	if err := chromedp.Do(tabB, chromedp.Navigate(e.lec.URL+fmt.Sprintf("/courses/%d", b))); err != nil {
		t.Fatal(err)
	}
	playerB, scoB := frames(t, tabB)
	tokenB := eval[string](t, tabB, playerB, `document.getElementById("lectern-config").dataset.token`)
	// The server cannot be reached from B's player: its commit stays pending.
	eval[bool](t, tabB, playerB, `(() => {
		XMLHttpRequest.prototype.send = function () { throw new DOMException("offline", "NetworkError"); };
		window.fetch = () => Promise.reject(new TypeError("offline"));
		return true;
	})()`)
	got := eval[string](t, tabB, scoB, `(() => {
		API.LMSSetValue("cmi.core.lesson_location", "b-secret-place");
		API.LMSSetValue("cmi.suspend_data", "b-secret-data");
		return API.LMSCommit("") + " " + API.LMSGetLastError();
	})()`)
	if got != "false 101" {
		t.Fatalf("B's commit with the server unreachable: %q, want false 101", got)
	}
	waitFor(t, "B's pending batch in storage", 10*time.Second, func() bool {
		keys, err := browser.Eval[[]string](tabB, playerB, sealedKeys)
		return err == nil && len(keys) == 1
	})

	var found struct {
		Dump       string
		Candidates int
		Accepted   []string
		Opened     int
	}
	before, _ := browser.Eval[[]string](tabB, playerB, sealedKeys)
	dead, _ := browser.Eval[string](tabB, playerB, `document.getElementById("lectern-status").textContent`)
	t.Logf("before the attack B's storage holds %v; B's player says %q", before, dead)
	raw, err := chromedp.Run(tabA, chromedp.Poll[string](`window.attack()`, chromedp.WithPollingInFrame(scoA), chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil {
		t.Fatalf("the attack: %v", err)
	}
	if err := json.Unmarshal([]byte(raw), &found); err != nil {
		t.Fatal(err)
	}
	t.Logf("the hostile package read %d bytes, tried %d candidate tokens, opened %d lists", len(found.Dump), found.Candidates, found.Opened)
	if !strings.Contains(found.Dump, "lectern:") {
		t.Error("the hostile package did not see B's stored entry: the test proves nothing")
	}
	for _, secret := range []string{tokenB, "b-secret-place", "b-secret-data"} {
		if strings.Contains(found.Dump, secret) {
			t.Errorf("the hostile package read %q from the browser's storage", secret)
		}
	}
	if len(found.Accepted) > 0 {
		t.Errorf("the server took commits of the hostile package: %v", found.Accepted)
	}
	if attempt, v := e.state(t, b); v["cmi.core.lesson_status"] == "passed" || v["cmi.core.score.raw"] != "" || attempt.Success == "passed" {
		t.Errorf("B's record was changed: %v, attempt %s/%s", v, attempt.Completion, attempt.Success)
	}

	// The learner comes back to B: the pending batch is sent, then removed.
	if err := chromedp.Do(tabB, chromedp.Navigate(e.lec.URL+fmt.Sprintf("/courses/%d", b))); err != nil {
		t.Fatal(err)
	}
	playerB, _ = frames(t, tabB)
	waitFor(t, "B's pending batch saved", 20*time.Second, func() bool {
		_, v := e.state(t, b)
		return v["cmi.core.lesson_location"] == "b-secret-place" && v["cmi.suspend_data"] == "b-secret-data"
	})
	waitFor(t, "storage emptied", 10*time.Second, func() bool {
		keys, err := browser.Eval[[]string](tabB, playerB, sealedKeys)
		return err == nil && len(keys) == 0
	})
}

// TestAcknowledgedBatchRemoved: a tab closes with changes not yet sent; they
// leave with keepalive and the server saves them, but the closing page never
// reads the answer, so its sealed copy may stay behind. The next load of the
// course finds it acknowledged and removes it.
func TestAcknowledgedBatchRemoved(t *testing.T) {
	e := start(t)
	b := e.course(t, "course-b", plainSCO)
	first := browser.New(t, 3*time.Minute)
	if err := chromedp.Do(first, chromedp.Navigate(e.lec.Link(t, e.user.Email, b))); err != nil {
		t.Fatal(err)
	}
	_, sco := frames(t, first)
	// A second tab, open before the first closes, keeps the browser alive.
	second, cancel := chromedp.NewContext(first)
	defer cancel()
	if err := chromedp.Do(second, chromedp.Navigate(e.lec.App.Config.ContentURL+"/healthz")); err != nil {
		t.Fatal(err)
	}
	eval[string](t, first, sco, `API.LMSSetValue("cmi.core.lesson_location", "closing") + API.LMSSetValue("cmi.core.exit", "suspend")`)
	if _, err := chromedp.Call(first, page.Close, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the keepalive batch saved", 20*time.Second, func() bool {
		_, v := e.state(t, b)
		return v["cmi.core.lesson_location"] == "closing"
	})
	left, err := chromedp.Run(second, chromedp.Evaluate[[]string](sealedKeys))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after the tab closed, storage holds %v", left)
	if err := chromedp.Do(second, chromedp.Navigate(e.lec.URL+fmt.Sprintf("/courses/%d", b))); err != nil {
		t.Fatal(err)
	}
	player, _ := frames(t, second)
	waitFor(t, "storage emptied after the reload", 10*time.Second, func() bool {
		keys, err := browser.Eval[[]string](second, player, sealedKeys)
		return err == nil && len(keys) == 0
	})
}
