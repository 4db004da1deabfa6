package lms_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm/cmi"
)

// importZip imports a package into the running Lectern and returns its course id.
func (r *running) importZip(t *testing.T, zip string) uint {
	t.Helper()
	res, err := r.App.Importer.Import(context.Background(), zip, course.Options{})
	if err != nil {
		t.Fatalf("import %s: %v", filepath.Base(zip), err)
	}
	return *res.ID
}

func (r *running) learner(t *testing.T, email string) *store.User {
	t.Helper()
	u, _, err := r.App.AddUser(context.Background(), email, "Lee Learner", "learner-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// scoState reads the stored run-time state of the learner's only SCO in a course.
func (r *running) scoState(t *testing.T, u *store.User, courseID uint) (*store.Attempt, map[string]string) {
	t.Helper()
	ctx := context.Background()
	// The latest attempt, read without opening one: an attempt the
	// learner finished may be closed already (the learner is enrolled).
	sit, err := r.App.Store.AttemptSituation(ctx, u.ID, courseID)
	if err != nil {
		t.Fatal(err)
	}
	a := sit.Latest
	if a == nil {
		return nil, nil
	}
	rows, err := r.App.Store.ScoStates(ctx, a.ID)
	if err != nil || len(rows) == 0 {
		return a, nil
	}
	var st cmi.State
	if err := json.Unmarshal(rows[len(rows)-1].State, &st); err != nil {
		t.Fatal(err)
	}
	return a, st.Values
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// scoFrame waits for the SCO of the player page and returns its frame.
func scoFrame(t *testing.T, ctx context.Context) *chromedp.Node {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#player-frame"))); err != nil {
		t.Fatal(err)
	}
	f, _, err := browser.WaitInFrame[bool](ctx, 20*time.Second, `document.readyState === "complete" && location.pathname.startsWith("/c/")`, "#player-frame", "#sco")
	if err != nil {
		t.Fatalf("timed out waiting for the SCO frame: %v", err)
	}
	return f
}

// acceptDialogs answers every alert/confirm with OK, as a learner would.
func acceptDialogs(ctx context.Context) {
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
}

// TestUnloadSavesState: content that saves only while the tab closes (calls
// from pagehide/beforeunload/unload) loses nothing.
func TestUnloadSavesState(t *testing.T) {
	for _, pkg := range []string{"unload-sco12", "unload-sco2004"} {
		t.Run(pkg, func(t *testing.T) {
			lec := startLectern(t)
			id := lec.importZip(t, fixture.ZipDir(t, fixture.Package(pkg)))
			u := lec.learner(t, "lee@example.org")
			// The course runs in a second tab, so that closing it leaves the
			// browser running, as when a learner closes one tab.
			browserCtx := browser.New(t, time.Minute)
			ctx, closeTab := chromedp.NewContext(browserCtx)
			if err := chromedp.Do(ctx, chromedp.Navigate(lec.link(t, u.Email, id))); err != nil {
				t.Fatal(err)
			}
			sco := scoFrame(t, ctx)
			if _, err := browser.Eval[string](ctx, sco, `document.body.dataset.ready`); err != nil {
				t.Fatal(err)
			}
			// Close the tab right away: the SCO's handlers are the only chance.
			closeTab()
			loc, sd := "cmi.location", "cmi.suspend_data"
			if pkg == "unload-sco12" {
				loc = "cmi.core.lesson_location"
			}
			waitFor(t, "the state saved on unload", 15*time.Second, func() bool {
				_, v := lec.scoState(t, u, id)
				return v[loc] == "slide-7" && strings.HasPrefix(v[sd], "unload:")
			})
		})
	}
}

// TestHostileSCO: content on the content origin cannot read LMS cookies or
// pages, cannot post LMS forms as the learner, and cannot write another
// attempt.
func TestHostileSCO(t *testing.T) {
	lec := startLectern(t)
	id := lec.importZip(t, fixture.ZipDir(t, fixture.Package("hostile-sco")))
	victim := lec.learner(t, "victim@example.org")
	other := lec.learner(t, "other@example.org")
	ctx := browser.New(t, 2*time.Minute)
	acceptDialogs(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(lec.link(t, victim.Email, id))); err != nil {
		t.Fatal(err)
	}
	sco := scoFrame(t, ctx)
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := browser.Eval[string](waitCtx, sco, `document.body.dataset.done`); err != nil {
		step, _ := browser.Eval[string](ctx, sco, `document.body.dataset.step || "(none)"`)
		t.Fatalf("the attack did not finish (at probe %s): %v", step, err)
	}
	var results map[string]string
	waitFor(t, "the probe results", 10*time.Second, func() bool {
		_, v := lec.scoState(t, victim, id)
		return json.Unmarshal([]byte(v["cmi.suspend_data"]), &results) == nil
	})
	t.Logf("probes: %v", results)
	for probe, got := range results {
		if strings.HasPrefix(got, "LEAKED") {
			t.Errorf("%s: %s", probe, got)
		}
	}
	for _, p := range []string{"cookies", "readParentPage", "readLMSPage", "readAdminPage", "forgedToken", "otherAttemptToken", "postLogout", "formPost", "tossedCSRFCookie"} {
		if _, ok := results[p]; !ok {
			t.Errorf("probe %s did not run", p)
		}
	}
	// The blind logout attempts did not sign the victim out.
	if err := chromedp.Do(ctx, chromedp.Navigate(lec.URL+"/")); err != nil {
		t.Fatal(err)
	}
	if h1, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "My courses" {
		t.Errorf("after the attack the victim sees %q: the attack signed them out", h1)
	}
	// Nobody else's data changed.
	if _, v := lec.scoState(t, other, id); v != nil && v["cmi.location"] == "pwned" {
		t.Error("another learner's attempt was written")
	}
}

// TestSecondTabTakesOver: opening the course in a second tab makes the first
// one fail with a clear SCORM error instead of overwriting silently.
func TestSecondTabTakesOver(t *testing.T) {
	lec := startLectern(t)
	id := lec.importZip(t, fixture.ZipDir(t, fixture.Package("unload-sco2004")))
	u := lec.learner(t, "lee@example.org")
	first := browser.New(t, time.Minute)
	if err := chromedp.Do(first, chromedp.Navigate(lec.link(t, u.Email, id))); err != nil {
		t.Fatal(err)
	}
	sco1 := scoFrame(t, first)
	if _, err := browser.Eval[string](first, sco1, `document.body.dataset.ready`); err != nil {
		t.Fatal(err)
	}
	// The second tab: same browser profile, so the same learner.
	second, cancel := chromedp.NewContext(first)
	defer cancel()
	if err := chromedp.Do(second, chromedp.Navigate(lec.URL+fmt.Sprintf("/courses/%d", id))); err != nil {
		t.Fatal(err)
	}
	sco2 := scoFrame(t, second)
	if _, err := browser.Eval[string](second, sco2, `document.body.dataset.ready`); err != nil {
		t.Fatal(err)
	}
	got, err := browser.Eval[string](first, sco1, `(() => {
		const api = window.parent.API_1484_11;
		api.SetValue("cmi.location", "from the old tab");
		const ok = api.Commit("");
		return ok + " " + api.GetLastError() + " " + api.GetDiagnostic("");
	})()`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "false 391") || !strings.Contains(got, "another window") {
		t.Errorf("commit in the old tab: %q, want false 391 and a diagnostic naming the other window", got)
	}
	if _, v := lec.scoState(t, u, id); v["cmi.location"] == "from the old tab" {
		t.Error("the old tab overwrote the state")
	}
}

// TestPopupFindsAPI: content opened in a pop-up finds the API through its opener.
func TestPopupFindsAPI(t *testing.T) {
	lec := startLectern(t)
	id := lec.importZip(t, fixture.ZipDir(t, fixture.Package("unload-sco12")))
	u := lec.learner(t, "lee@example.org")
	ctx := browser.New(t, time.Minute)
	if err := chromedp.Do(ctx, chromedp.Navigate(lec.link(t, u.Email, id))); err != nil {
		t.Fatal(err)
	}
	sco := scoFrame(t, ctx)
	newTab := chromedp.WaitNewTarget(ctx, func(info *target.Info) bool { return strings.Contains(info.URL, "/c/") })
	if _, err := browser.Eval[bool](ctx, sco, `(window.open(location.href, "popup"), true)`); err != nil {
		t.Fatal(err)
	}
	popup, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(<-newTab))
	defer cancel()
	ready, err := browser.Eval[string](popup, nil, `document.body && document.body.dataset.ready`)
	if err != nil || ready != "1" {
		t.Fatalf("the pop-up did not initialise through its opener: %q %v", ready, err)
	}
}

// TestGolfResume runs the Rustici golf examples end to end: launch, move
// on, save and leave, relaunch where it was left, complete, finish.
func TestGolfResume(t *testing.T) {
	corpus := os.Getenv("LECTERN_TEST_CORPUS")
	if corpus == "" {
		t.Skip("SKIP golf examples: set LECTERN_TEST_CORPUS to ../shared/scorm-corpus")
	}
	for _, tc := range []struct{ zip, loc, status string }{
		{"scorm12-golf-runtime-basic.zip", "cmi.core.lesson_location", "cmi.core.lesson_status"},
		{"scorm2004v3-golf-runtime-basic.zip", "cmi.location", "cmi.completion_status"},
	} {
		t.Run(strings.TrimSuffix(tc.zip, ".zip"), func(t *testing.T) {
			lec := startLectern(t)
			id := lec.importZip(t, filepath.Join(corpus, tc.zip))
			u := lec.learner(t, "lee@example.org")
			ctx := browser.New(t, 2*time.Minute)
			acceptDialogs(ctx)
			if err := chromedp.Do(ctx, chromedp.Navigate(lec.link(t, u.Email, id))); err != nil {
				t.Fatal(err)
			}
			sco := scoFrame(t, ctx)
			if _, err := browser.Eval[bool](ctx, sco, `typeof doNext === "function" && currentPage === 0`); err != nil {
				t.Fatalf("golf did not start: %v", err)
			}
			browser.Screenshot(t, ctx, "golf-"+strings.TrimSuffix(tc.zip, ".zip"))
			if _, err := browser.Eval[bool](ctx, sco, `(doNext(), doNext(), doNext(), currentPage === 3)`); err != nil {
				t.Fatal(err)
			}
			// Exit before finishing asks; "Save and leave" goes to the end page.
			leaveUnfinished(t, ctx)
			a, v := lec.scoState(t, u, id)
			if v[tc.loc] != "3" || !a.Suspended {
				t.Fatalf("after save and leave: location %q suspended %v, want 3 and true", v[tc.loc], a.Suspended)
			}
			// Relaunch: golf asks whether to resume (answered OK) and shows page 3.
			if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/courses/%d", lec.URL, id))); err != nil {
				t.Fatal(err)
			}
			sco = scoFrame(t, ctx)
			if _, err := browser.Eval[bool](ctx, sco, `typeof currentPage !== "undefined" && currentPage === 3`); err != nil {
				t.Fatalf("relaunch did not resume at page 3: %v", err)
			}
			// Complete: go to the last page, then finish the course.
			if _, err := browser.Eval[bool](ctx, sco, `(() => { while (currentPage < pageArray.length - 1) doNext(); return reachedEnd; })()`); err != nil {
				t.Fatal(err)
			}
			// Finished: Exit asks nothing.
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-exit]`)),
				chromedp.WaitVisible(chromedp.CSS(".course-end"))); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the completed attempt", 10*time.Second, func() bool {
				a, _ := lec.App.Store.AttemptByID(context.Background(), a.ID)
				return a != nil && a.Completion == "completed" && a.CompletedAt != nil
			})
		})
	}
}

// TestGolfMultiSCO: a SCORM 1.2 course of 18 SCOs that only call
// LMSInitialize and LMSFinish: the learner moves on with the player's Next,
// Lectern marks each finished SCO completed, and a relaunch resumes at the
// SCO the learner left.
func TestGolfMultiSCO(t *testing.T) {
	corpus := os.Getenv("LECTERN_TEST_CORPUS")
	if corpus == "" {
		t.Skip("SKIP golf examples: set LECTERN_TEST_CORPUS to ../shared/scorm-corpus")
	}
	lec := startLectern(t)
	id := lec.importZip(t, filepath.Join(corpus, "scorm12-golf-runtime-minimum-multisco.zip"))
	u := lec.learner(t, "lee@example.org")
	ctx := browser.New(t, 2*time.Minute)
	acceptDialogs(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(lec.link(t, u.Email, id))); err != nil {
		t.Fatal(err)
	}
	current := func() string {
		v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("player").dataset.current`))
		return v
	}
	scoFrame(t, ctx)
	first := current()
	for i := 0; i < 2; i++ {
		before := current()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-nav="continue"]`))); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the next SCO", 20*time.Second, func() bool { return current() != before && current() != "" })
		scoFrame(t, ctx)
	}
	third := current()
	if third == first {
		t.Fatal("Next did not move on")
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-nav="suspendAll"]`)), chromedp.WaitVisible(chromedp.CSS(".course-end"))); err != nil {
		t.Fatal(err)
	}
	a, _, err := lec.App.Store.OpenAttempt(context.Background(), u.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := lec.App.Store.ScoStates(context.Background(), a.ID)
	completed := 0
	for _, r := range rows {
		if r.Completion == "completed" {
			completed++
		}
	}
	if len(rows) != 3 || completed < 2 {
		t.Errorf("%d SCOs visited, %d completed; want 3 visited and the 2 finished ones completed", len(rows), completed)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/courses/%d", lec.URL, id))); err != nil {
		t.Fatal(err)
	}
	scoFrame(t, ctx)
	if got := current(); got != third {
		t.Errorf("relaunch opened %q, want the SCO left, %q", got, third)
	}
}

// TestEveryGolfPackage launches every golf example of the corpus, leaves with
// "Save and leave", and checks that the relaunch opens the same item with
// the state the first session left.
func TestEveryGolfPackage(t *testing.T) {
	corpus := os.Getenv("LECTERN_TEST_CORPUS")
	if corpus == "" {
		t.Skip("SKIP golf examples: set LECTERN_TEST_CORPUS to ../shared/scorm-corpus")
	}
	zips, _ := filepath.Glob(filepath.Join(corpus, "*golf*.zip"))
	if len(zips) < 10 {
		t.Fatalf("found %d golf packages in the corpus", len(zips))
	}
	lec := startLectern(t)
	u := lec.learner(t, "lee@example.org")
	ctx := browser.New(t, 5*time.Minute)
	acceptDialogs(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(lec.link(t, u.Email, 0))); err != nil {
		t.Fatal(err)
	}
	current := func() string {
		v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("player").dataset.current`))
		return v
	}
	for _, zip := range zips {
		name := strings.TrimSuffix(filepath.Base(zip), ".zip")
		t.Run(name, func(t *testing.T) {
			id := lec.importZip(t, zip)
			lec.enrol(t, u.Email, id)
			if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/courses/%d", lec.URL, id))); err != nil {
				t.Fatal(err)
			}
			scoFrame(t, ctx)
			first := current()
			if first == "" {
				t.Fatal("nothing was launched")
			}
			if status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#player-status"))); strings.TrimSpace(status) != "" {
				t.Errorf("player says %q", status)
			}
			leaveUnfinished(t, ctx)
			a, _, err := lec.App.Store.OpenAttempt(context.Background(), u.ID, id)
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := lec.App.Store.ScoStates(context.Background(), a.ID)
			if len(rows) == 0 || rows[0].Sessions < 1 || !a.Suspended {
				t.Fatalf("after save and leave: %d states, suspended %v", len(rows), a.Suspended)
			}
			if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/courses/%d", lec.URL, id))); err != nil {
				t.Fatal(err)
			}
			scoFrame(t, ctx)
			if got := current(); got != first {
				t.Errorf("relaunch opened %q, want %q", got, first)
			}
		})
	}
}

// leaveUnfinished saves and leaves a course the learner has not finished:
// "Save and leave" in a course of several SCOs; in a one-SCO course its Exit,
// which asks first, then "Save and leave" in the question. The end page
// follows.
func leaveUnfinished(t *testing.T, ctx context.Context) {
	t.Helper()
	single, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("[data-exit]") !== null`))
	if err != nil {
		t.Fatal(err)
	}
	steps := []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS(`[data-nav="suspendAll"]`))}
	if single {
		steps = []chromedp.Action[chromedp.Void]{chromedp.Click(chromedp.CSS(`[data-exit]`)), chromedp.WaitVisible(chromedp.CSS(`#player-confirm[open]`)),
			chromedp.Click(chromedp.CSS(`#confirm-save`))}
	}
	if err := chromedp.Do(ctx, append(steps, chromedp.WaitVisible(chromedp.CSS(".course-end")))...); err != nil {
		t.Fatalf("save and leave: %v", err)
	}
}

// TestPlayerReload: reloading the player page is a plain GET (the launch
// POST redirected to /courses/:id/play), so the browser asks nothing and
// the course opens again where the learner was: here the SCO saved and
// ended its session as the page unloaded, and the reload resumes it.
func TestPlayerReload(t *testing.T) {
	lec := startLectern(t)
	id := lec.importZip(t, fixture.ZipDir(t, fixture.Package("unload-sco12")))
	u := lec.learner(t, "lee@example.org")
	ctx := browser.New(t, 2*time.Minute)
	if err := chromedp.Do(ctx, chromedp.Navigate(lec.link(t, u.Email, id))); err != nil {
		t.Fatal(err)
	}
	sco := scoFrame(t, ctx)
	if _, err := browser.Eval[string](ctx, sco, `document.body.dataset.ready`); err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("/courses/%d/play", id)
	if path, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`)); path != want {
		t.Fatalf("the player is at %q, want %q (the launch POST redirects)", path, want)
	}
	if err := chromedp.Do(ctx, chromedp.Reload()); err != nil {
		t.Fatal(err)
	}
	sco = scoFrame(t, ctx)
	if _, err := browser.Eval[string](ctx, sco, `document.body.dataset.ready`); err != nil {
		t.Fatal(err)
	}
	if path, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`)); path != want {
		t.Errorf("after the reload the page is at %q, want %q", path, want)
	}
	entry, err := browser.Eval[string](ctx, sco, `api.LMSGetValue("cmi.core.entry") + " " + api.LMSGetValue("cmi.core.lesson_location")`)
	if err != nil || entry != "resume slide-7" {
		t.Errorf("the reloaded SCO reads entry and location %q (%v), want \"resume slide-7\"", entry, err)
	}
}
