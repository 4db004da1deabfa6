// Package player_test runs the learner's journeys through the player in
// headless Chromium against a real Lectern: the dashboard's results, the
// one-SCO layout, the question before leaving unfinished, the end page,
// the outline's status icons, the skip links, and the frame's size at
// desktop and phone width.
package player_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/internal/lecterntest"
	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/store"
)

type rect struct{ X, Y, Width, Height float64 }

// env is a running Lectern with one learner enrolled in one course.
type env struct {
	lec    *lecterntest.Running
	course uint
	user   *store.User
}

func start(t *testing.T, pkg string, maxAttempts int) *env {
	t.Helper()
	lec := lecterntest.Start(t, nil)
	ctx := context.Background()
	res, err := lec.App.Importer.Import(ctx, fixture.ZipDir(t, fixture.Package(pkg)), course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id := *res.ID
	if maxAttempts > 0 {
		co, err := lec.App.Store.CourseByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		r := store.RulesOf(co)
		r.MaxAttempts = maxAttempts
		if err := lec.App.Store.SetCourseRules(ctx, id, r, "test: limit attempts", nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	u, _, err := lec.App.AddUser(ctx, "lee@example.org", "Lee Learner", "learner-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := lec.App.EnrolEmail(ctx, id, u.Email, lms.DueInput{Days: 14}); err != nil {
		t.Fatal(err)
	}
	return &env{lec: lec, course: id, user: u}
}

// open signs the learner in at the given window size and opens the course.
func (e *env) open(t *testing.T, w, h int64) context.Context {
	t.Helper()
	ctx := browser.New(t, 3*time.Minute)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, h), chromedp.Navigate(e.lec.Link(t, e.user.Email, e.course))); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// sco waits until the player's SCO has loaded and initialised (the
// fixture sets data-ready) and returns its frame.
func sco(t *testing.T, ctx context.Context) *chromedp.Node {
	t.Helper()
	f, _, err := browser.WaitInFrame[bool](ctx, 30*time.Second, `document.readyState === "complete" && location.pathname.startsWith("/c/")`, "#player-frame", "#sco")
	if err != nil {
		at, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + " (" + document.title + ")"`))
		t.Fatalf("timed out waiting for the SCO, on %s: %v", at, err)
	}
	return f
}

// evalIn evaluates expr once in a frame's document.
func evalIn[T any](ctx context.Context, frame *chromedp.Node, expr string) (T, error) {
	// Bounded as a whole: a frame whose document went away would otherwise
	// keep chromedp waiting until the tab's context ends.
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Poll[T](expr, chromedp.WithPollingInFrame(frame), chromedp.WithPollingTimeout(10*time.Second)))
}

// run evaluates expr in the SCO (waiting until it is truthy).
func run(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	f := sco(t, ctx)
	if _, err := evalIn[any](ctx, f, "("+expr+", true)"); err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.Join(strings.Fields(s), " ")
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

var css = func(s string) chromedp.CSS { return chromedp.CSS(s) }

// shot saves a screenshot into LECTERN_TEST_SCREENSHOTS, when set.
func shot(t *testing.T, ctx context.Context, name string) { browser.Screenshot(t, ctx, "player-"+name) }

// frameRect measures the content frame on the page.
func frameRect(t *testing.T, ctx context.Context) rect {
	t.Helper()
	return eval[rect](t, ctx, `(() => { const r = document.getElementById("player-frame").getBoundingClientRect(); return {X: r.x, Y: r.y, Width: r.width, Height: r.height}; })()`)
}

// checkFrameFills: the content frame gets nearly the whole window (all but
// a slim bar) and lies within it.
func checkFrameFills(t *testing.T, ctx context.Context, w, h int64, bar float64) {
	t.Helper()
	r := frameRect(t, ctx)
	if r.Width < float64(w)-30 || r.Height < float64(h)-bar {
		t.Errorf("at %dx%d the content frame is %.0fx%.0f, want at least %dx%.0f", w, h, r.Width, r.Height, w-30, float64(h)-bar)
	}
	if r.X < 0 || r.Y < 0 || r.X+r.Width > float64(w)+0.5 || r.Y+r.Height > float64(h)+0.5 {
		t.Errorf("at %dx%d the content frame %+v leaves the window", w, h, r)
	}
	if sw := eval[float64](t, ctx, `document.documentElement.scrollWidth`); sw > float64(w)+1 {
		t.Errorf("at %dx%d the page is %.0f px wide", w, h, sw)
	}
}

// checkOwnButtons: the course's own buttons along the bottom of its window
// are wholly inside the browser window.
func checkOwnButtons(t *testing.T, ctx context.Context, w, h int64) {
	t.Helper()
	f := sco(t, ctx)
	for _, id := range []string{"course-prev", "course-next"} {
		r, err := evalIn[rect](ctx, f, fmt.Sprintf(`(() => { const r = document.getElementById(%q).getBoundingClientRect(); return {X: r.x, Y: r.y, Width: r.width, Height: r.height}; })()`, id))
		if err != nil {
			t.Fatal(err)
		}
		fr := frameRect(t, ctx)
		// The SCO's frame fills the player frame (same origin offsets: none).
		x, y := fr.X+r.X, fr.Y+r.Y
		if r.Width == 0 || x < 0 || y < 0 || x+r.Width > float64(w)+0.5 || y+r.Height > float64(h)+0.5 {
			t.Errorf("at %dx%d the course's own #%s is at %.0f,%.0f %.0fx%.0f: cut off", w, h, id, x, y, r.Width, r.Height)
		}
	}
}

// TestOneSCOCourseJourney, at desktop and phone width: a learner opens a
// one-SCO course with a quiz (two attempts allowed): only the content and
// Exit; Exit before finishing asks and saves; the dashboard shows progress;
// the course resumes where it was left; a failed quiz leads to the end page
// with the score and another attempt; the second attempt passes and the
// content closes itself: the end page shows the pass and the certificate,
// and says no attempts are left; the dashboard shows "Passed with 85%" and
// the certificate.
func TestOneSCOCourseJourney(t *testing.T) {
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"1200", 1200, 900}, {"phone", 390, 844}} {
		t.Run(vp.name, func(t *testing.T) { oneSCOCourseJourney(t, vp.name, vp.w, vp.h) })
	}
}

func oneSCOCourseJourney(t *testing.T, size string, w, h int64) {
	e := start(t, "player-quiz2004", 2)
	ctx := e.open(t, w, h)
	sco(t, ctx)
	shot(t, ctx, "one-sco-"+size)

	// Only the content and Exit: no Previous/Next of Lectern's.
	if n := eval[int](t, ctx, `document.querySelectorAll("[data-nav]").length`); n != 0 {
		t.Errorf("a one-SCO course shows %d navigation controls of Lectern's, want none", n)
	}
	if got := text(t, ctx, "#player-controls"); got != "Exit" {
		t.Errorf("controls say %q, want only Exit", got)
	}
	// The outline is collapsed; the frame gets nearly the whole window.
	if eval[bool](t, ctx, `getComputedStyle(document.getElementById("player-outline")).display !== "none"`) {
		t.Error("the outline of a one-SCO course is open by default")
	}
	if got := eval[string](t, ctx, `document.getElementById("outline-toggle").getAttribute("aria-expanded")`); got != "false" {
		t.Errorf("outline toggle aria-expanded=%q, want false", got)
	}
	checkFrameFills(t, ctx, w, h, 50)
	checkOwnButtons(t, ctx, w, h)
	if r := frameRect(t, ctx); r.Width < float64(w)-30 || r.Height < float64(h)-50 {
		t.Errorf("the frame is %.0fx%.0f at %dx%d, want at least %dx%d", r.Width, r.Height, w, h, w-30, h-50)
	}

	// Page 2, then Exit: the question, "Stay" keeps the learner in.
	run(t, ctx, `course.next()`)
	do(t, ctx, "exit", chromedp.Click(css("[data-exit]")), chromedp.WaitVisible(css("#player-confirm[open]")))
	if q := text(t, ctx, "#player-confirm"); !strings.Contains(q, "not finished") || !strings.Contains(q, "Save and leave") {
		t.Errorf("the question says %q", q)
	}
	shot(t, ctx, "exit-question-"+size)
	do(t, ctx, "stay", chromedp.Click(css("#confirm-stay")), chromedp.WaitNotPresent(css("#player-confirm[open]")))
	if n := eval[int](t, ctx, `location.pathname === "/courses/`+fmt.Sprint(e.course)+`/play" ? 1 : 0`); n != 1 {
		t.Fatal("Stay left the player")
	}
	run(t, ctx, `document.body.dataset.page === "2"`)
	// Exit again, save and leave: the end page says it is saved.
	do(t, ctx, "save and leave", chromedp.Click(css("[data-exit]")), chromedp.WaitVisible(css("#player-confirm[open]")),
		chromedp.Click(css("#confirm-save")), chromedp.WaitVisible(css(".course-end")))
	if s := text(t, ctx, "[data-end-summary]"); !strings.Contains(s, "progress is saved") {
		t.Errorf("end page after save and leave says %q", s)
	}
	if s := text(t, ctx, ".next-steps"); !strings.Contains(s, "Continue the course") || strings.Contains(s, "Start a new attempt") {
		t.Errorf("end page offers %q, want to continue", s)
	}
	shot(t, ctx, "end-saved-"+size)
	a, err := e.lec.App.Store.LatestAttempt(context.Background(), e.user.ID, e.course)
	if err != nil || !a.Suspended || a.Closed {
		t.Fatalf("after save and leave: %+v %v", a, err)
	}

	// The dashboard: in progress, due date, one of two attempts used.
	do(t, ctx, "dashboard", chromedp.Navigate(e.lec.URL+"/"), chromedp.WaitVisible(css(".cards")))
	card := text(t, ctx, ".cards li")
	for _, want := range []string{"in progress", "Due ", "1 of 2 attempts left", "Resume"} {
		if !strings.Contains(card, want) {
			t.Errorf("dashboard card %q lacks %q", card, want)
		}
	}
	shot(t, ctx, "dashboard-in-progress-"+size)

	// Resume: page 2 again. Fail the quiz; the outline shows it failed.
	do(t, ctx, "resume", chromedp.Click(css(".cards a.button")))
	run(t, ctx, `document.body.dataset.page === "2"`)
	run(t, ctx, `course.next()`)
	run(t, ctx, `(document.getElementById("wrong").click(), document.getElementById("verdict").textContent === "Not passed.")`)
	do(t, ctx, "open outline", chromedp.Click(css("#outline-toggle")), chromedp.WaitVisible(css(`#player-outline .choice[data-status="failed"]`)))
	if s := text(t, ctx, "#player-outline .choice"); !strings.Contains(s, "(failed)") {
		t.Errorf("outline item reads %q, want its status in words", s)
	}
	shot(t, ctx, "failed-outline-"+size)
	// Finished: Exit asks nothing and the end page says failed, 40%, and
	// offers the second attempt.
	do(t, ctx, "exit finished", chromedp.Click(css("[data-exit]")), chromedp.WaitVisible(css(".course-end")))
	end := text(t, ctx, ".course-end")
	for _, want := range []string{"You did not pass: your score is 40%", "Failed with 40%", "Start a new attempt", "1 of 2 attempts left", "Back to my courses"} {
		if !strings.Contains(end, want) {
			t.Errorf("end page after failing %q lacks %q", end, want)
		}
	}
	if strings.Contains(end, "certificate") {
		t.Errorf("end page after failing offers a certificate: %q", end)
	}
	shot(t, ctx, "end-failed-"+size)
	do(t, ctx, "dashboard", chromedp.Navigate(e.lec.URL+"/"), chromedp.WaitVisible(css(".cards")))
	if card := text(t, ctx, ".cards li"); !strings.Contains(card, "Failed with 40%") || !strings.Contains(card, "1 of 2 attempts left") {
		t.Errorf("dashboard card after failing: %q", card)
	}
	shot(t, ctx, "dashboard-failed-"+size)

	// Second attempt: pass, then the content closes itself (Terminate
	// without a navigation request): the end page, never a blank frame.
	do(t, ctx, "back to the end page", chromedp.Navigate(fmt.Sprintf("%s/courses/%d/result", e.lec.URL, e.course)), chromedp.WaitVisible(css("[data-again] button")))
	do(t, ctx, "start again", chromedp.Click(css("[data-again] button")))
	run(t, ctx, `document.body.dataset.page === "1"`)
	run(t, ctx, `(course.go(3), document.getElementById("right").click(), document.getElementById("verdict").textContent === "Passed.")`)
	run(t, ctx, `course.close()`)
	do(t, ctx, "end page after close", chromedp.WaitVisible(css(".course-end")))
	end = text(t, ctx, ".course-end")
	for _, want := range []string{"You passed with 85%", "Passed with 85%", "Download your certificate", "every attempt this course allows"} {
		if !strings.Contains(end, want) {
			t.Errorf("end page after passing %q lacks %q", end, want)
		}
	}
	if strings.Contains(end, "Start a new attempt") {
		t.Errorf("end page offers a third attempt of two: %q", end)
	}
	shot(t, ctx, "end-passed-"+size)
	do(t, ctx, "dashboard", chromedp.Navigate(e.lec.URL+"/"), chromedp.WaitVisible(css(".cards")))
	card = text(t, ctx, ".cards li")
	for _, want := range []string{"completed", "Passed with 85%", "Certificate"} {
		if !strings.Contains(card, want) {
			t.Errorf("dashboard card after passing %q lacks %q", card, want)
		}
	}
	if href := eval[string](t, ctx, `document.querySelector(".cards [data-certificate]").getAttribute("href")`); !strings.HasPrefix(href, "/certificates/") {
		t.Errorf("certificate link %q", href)
	}
	shot(t, ctx, "dashboard-passed-"+size)
}

// TestPlayerSizes: the one-SCO course's frame fills the window at desktop
// sizes and at phone width, where the course's own buttons along the
// bottom stay whole; the full-screen toggle puts the player in full
// screen and back; a remembered open outline stays open.
func TestPlayerSizes(t *testing.T) {
	for _, vp := range []struct {
		name string
		w, h int64
		bar  float64
	}{{"1600", 1600, 1000, 50}, {"1200", 1200, 900, 50}, {"phone", 390, 844, 50}} {
		t.Run(vp.name, func(t *testing.T) {
			// A Lectern per size: the window of the size before may still
			// be ending its session while this one opens the course.
			e := start(t, "player-quiz2004", 0)
			ctx := e.open(t, vp.w, vp.h)
			sco(t, ctx)
			checkFrameFills(t, ctx, vp.w, vp.h, vp.bar)
			checkOwnButtons(t, ctx, vp.w, vp.h)
			shot(t, ctx, "one-sco-"+vp.name)
			// Full screen on the player (bar and frame), then back.
			do(t, ctx, "full screen", chromedp.Click(css("#fullscreen-toggle")))
			if _, err := browser.Eval[bool](ctx, nil, `document.fullscreenElement === document.getElementById("player") && document.getElementById("fullscreen-toggle").getAttribute("aria-pressed") === "true"`); err != nil {
				t.Fatalf("full screen: %v", err)
			}
			do(t, ctx, "leave full screen", chromedp.Click(css("#fullscreen-toggle")))
			if _, err := browser.Eval[bool](ctx, nil, `document.fullscreenElement === null && document.getElementById("fullscreen-toggle").getAttribute("aria-pressed") === "false"`); err != nil {
				t.Fatalf("leave full screen: %v", err)
			}
			if vp.name == "phone" {
				// The outline opens over the content and is remembered.
				do(t, ctx, "outline", chromedp.Click(css("#outline-toggle")), chromedp.WaitVisible(css("#player-outline .choice")))
				shot(t, ctx, "one-sco-outline-phone")
				do(t, ctx, "reload", chromedp.Reload())
				sco(t, ctx)
				if !eval[bool](t, ctx, `getComputedStyle(document.getElementById("player-outline")).display !== "none"`) {
					t.Error("the outline opened by the learner is closed again after a reload")
				}
				do(t, ctx, "close outline", chromedp.Click(css("#outline-toggle")))
			}
		})
	}
}

// TestOutlineStatusSkipLinksAndNext: a course of several SCOs shows its
// outline beside the content at desktop width; the skip links move the
// focus from the outline to the content and to the controls; a finished
// SCO gets its tick with the word for screen readers, kept after Next;
// "Finish" before the course is done asks first, also once the running
// SCO is done; closing the outline gives the content the whole width, and
// is remembered.
func TestOutlineStatusSkipLinksAndNext(t *testing.T) {
	e := start(t, "scorm12-multi", 0)
	const w, h = 1200, 900
	ctx := e.open(t, w, h)
	sco(t, ctx)
	if !eval[bool](t, ctx, `getComputedStyle(document.getElementById("player-outline")).display !== "none"`) {
		t.Fatal("the outline of a course of several SCOs is closed at 1200 px")
	}
	for _, nav := range []string{"previous", "continue", "suspendAll", "exitAll"} {
		if eval[int](t, ctx, `document.querySelectorAll('[data-nav="`+nav+`"]').length`) != 1 {
			t.Errorf("no %s control", nav)
		}
	}
	// Skip links: keyboard users reach the content and the controls
	// without tabbing through the outline.
	do(t, ctx, "skip to content", chromedp.Focus(css(`[data-skip="frame"]`)), chromedp.KeyEvent("\r"))
	if id := eval[string](t, ctx, `document.activeElement.id`); id != "player-frame" {
		t.Errorf("the skip link to the content focused %q", id)
	}
	do(t, ctx, "skip to controls", chromedp.Focus(css(`[data-skip="controls"]`)), chromedp.KeyEvent("\r"))
	if in := eval[bool](t, ctx, `document.getElementById("player-controls").contains(document.activeElement)`); !in {
		t.Errorf("the skip link to the controls focused %q", eval[string](t, ctx, `document.activeElement.outerHTML.slice(0, 80)`))
	}
	first := eval[string](t, ctx, `document.getElementById("player").dataset.current`)
	firstBtn := `#player-outline [data-nav-choice="` + first + `"]`
	if s := eval[string](t, ctx, `document.querySelector('`+firstBtn+`').dataset.status`); s == "completed" {
		t.Fatal("the first SCO is completed before the learner did anything")
	}
	// Finish before finishing: asked; Stay.
	do(t, ctx, "finish", chromedp.Click(css(`[data-nav="exitAll"]`)), chromedp.WaitVisible(css("#player-confirm[open]")))
	if s := text(t, ctx, "#confirm-go"); s != "Finish now" {
		t.Errorf("the question's button says %q", s)
	}
	shot(t, ctx, "finish-question-multi")
	do(t, ctx, "stay", chromedp.Click(css("#confirm-stay")), chromedp.WaitNotPresent(css("#player-confirm[open]")))
	// Complete the first SCO: its tick, with words.
	run(t, ctx, `sco.complete()`)
	if _, err := browser.Eval[bool](ctx, nil, `document.querySelector('`+firstBtn+`').dataset.status === "completed"`); err != nil {
		t.Fatalf("no tick for the completed SCO: %v", err)
	}
	if s := text(t, ctx, firstBtn+" .status-text"); s != "(completed)" {
		t.Errorf("the tick reads %q to screen readers", s)
	}
	icon := eval[string](t, ctx, `getComputedStyle(document.querySelector('`+firstBtn+`'), "::before").content`)
	if !strings.Contains(icon, "✓") {
		t.Errorf("the completed item's icon is %s", icon)
	}
	do(t, ctx, "next", chromedp.Click(css(`[data-nav="continue"]`)))
	if _, err := browser.Eval[bool](ctx, nil, `document.getElementById("player").dataset.current !== "`+first+`" && document.getElementById("player").dataset.current !== ""`); err != nil {
		t.Fatal(err)
	}
	sco(t, ctx)
	if s := eval[string](t, ctx, `document.querySelector('`+firstBtn+`').dataset.status`); s != "completed" {
		t.Errorf("after Next the first SCO's status is %q", s)
	}
	shot(t, ctx, "outline-status-1200")
	// The running SCO finished, others not: Finish still asks (the
	// question is about the course, SCORM 1.2's from the outline).
	run(t, ctx, `sco.complete()`)
	do(t, ctx, "finish with parts left", chromedp.Click(css(`[data-nav="exitAll"]`)), chromedp.WaitVisible(css("#player-confirm[open]")))
	do(t, ctx, "stay", chromedp.Click(css("#confirm-stay")), chromedp.WaitNotPresent(css("#player-confirm[open]")))
	// Close the outline: the frame takes the width; the choice is kept.
	do(t, ctx, "close outline", chromedp.Click(css("#outline-toggle")))
	checkFrameFills(t, ctx, w, h, 50)
	do(t, ctx, "reload", chromedp.Reload())
	sco(t, ctx)
	if eval[bool](t, ctx, `getComputedStyle(document.getElementById("player-outline")).display !== "none"`) {
		t.Error("the closed outline is open again after a reload")
	}
	if s := eval[string](t, ctx, `document.querySelector('`+firstBtn+`').dataset.status`); s != "completed" {
		t.Errorf("after a reload the first SCO's status is %q", s)
	}
	// At phone width the outline starts closed and the frame fills.
	ph := e.open(t, 390, 844)
	sco(t, ph)
	checkFrameFills(t, ph, 390, 844, 100)
	shot(t, ph, "multi-phone")
}

// TestCorpusCourseFills: with LECTERN_TEST_CORPUS set, a real package
// (Rustici's golf example, SCORM 2004) gets a frame of at least 1170x850
// in a 1200x900 window and needs no sideways scrolling.
func TestCorpusCourseFills(t *testing.T) {
	corpus := os.Getenv("LECTERN_TEST_CORPUS")
	if corpus == "" {
		t.Skip("SKIP corpus course: set LECTERN_TEST_CORPUS to ../shared/scorm-corpus")
	}
	zip := filepath.Join(corpus, "scorm2004v3-golf-runtime-basic.zip")
	if _, err := os.Stat(zip); err != nil {
		t.Fatalf("LECTERN_TEST_CORPUS is set but %v", err)
	}
	lec := lecterntest.Start(t, nil)
	bg := context.Background()
	res, err := lec.App.Importer.Import(bg, zip, course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := lec.App.AddUser(bg, "lee@example.org", "Lee Learner", "learner-password-1", false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lec.App.EnrolEmail(bg, *res.ID, "lee@example.org", lms.DueInput{}); err != nil {
		t.Fatal(err)
	}
	ctx := browser.New(t, 2*time.Minute)
	do(t, ctx, "open", chromedp.EmulateViewport(1200, 900), chromedp.Navigate(lec.Link(t, "lee@example.org", *res.ID)))
	f := sco(t, ctx)
	if r := frameRect(t, ctx); r.Width < 1170 || r.Height < 850 {
		t.Errorf("the golf course's frame is %.0fx%.0f at 1200x900, want at least 1170x850", r.Width, r.Height)
	}
	if wide, err := evalIn[bool](ctx, f, `document.documentElement.scrollWidth <= window.innerWidth + 1 || "wide"`); err != nil || !wide {
		t.Errorf("the golf course scrolls sideways: %v", err)
	}
	shot(t, ctx, "corpus-golf-1200")
}
