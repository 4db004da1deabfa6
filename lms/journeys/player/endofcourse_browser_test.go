package player_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
)

// Widths the end-of-course journeys are checked at.
var endWidths = []struct {
	name string
	w, h int64
}{{"desktop", 1280, 900}, {"phone", 390, 844}}

// inPart waits until the player runs part n of player-multi2004 and its
// SCO has initialised, and returns the SCO's frame.
func inPart(t *testing.T, ctx context.Context, n int) *chromedp.Node {
	t.Helper()
	f, _, err := browser.WaitInFrame[bool](ctx, 30*time.Second,
		fmt.Sprintf(`document.body && document.body.dataset.ready === "1" && document.body.dataset.part === "%d"`, n), "#player-frame", "#sco")
	if err != nil {
		t.Fatalf("timed out waiting for part %d: %v", n, err)
	}
	return f
}

// inSCO runs expr in the SCO's frame.
func inSCO(t *testing.T, ctx context.Context, f *chromedp.Node, expr string) {
	t.Helper()
	if _, err := evalIn[any](ctx, f, "("+expr+", true)"); err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
}

// endPage waits for the end-of-course page and checks that it is a whole
// page with the result and what comes next, not a blank frame; a reload
// (GET) shows the same.
func endPage(t *testing.T, ctx context.Context, e *env, stage string) string {
	t.Helper()
	// Wait for the end page's address first: a wait for an element that
	// starts on the player page may miss the navigation.
	want, at := fmt.Sprintf("/courses/%d/result", e.course), ""
	for deadline := time.Now().Add(30 * time.Second); at != want; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#player-confirm[open]") ? "a question is open: " + document.getElementById("confirm-text").textContent : "no question") + "; the status line says " + JSON.stringify((document.getElementById("player-status") || {}).textContent) `))
			t.Fatalf("%s: the end of the course is at %s, want the end page %s (%s)", stage, at, want, state)
		}
		at, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.readyState === "complete" ? location.pathname : ""`))
	}
	do(t, ctx, stage+": end page", chromedp.WaitVisible(css(".course-end [data-end-summary]")))
	if n := eval[int](t, ctx, `document.querySelectorAll("#player-frame").length`); n != 0 {
		t.Errorf("%s: the end page still holds the content frame", stage)
	}
	end := text(t, ctx, ".course-end")
	if !strings.Contains(end, "What next") || !strings.Contains(end, "Back to my courses") {
		t.Errorf("%s: the end page says %q, want what comes next", stage, end)
	}
	do(t, ctx, stage+": reload", chromedp.Reload(), chromedp.WaitVisible(css(".course-end [data-end-summary]")))
	if again := text(t, ctx, ".course-end"); again != end {
		t.Errorf("%s: reloaded, the end page says %q, before %q", stage, again, end)
	}
	return end
}

// TestEndOfCourseBySequencing: in a SCORM 2004 course of two SCOs, the
// sequencing ends the session and the learner sees the end page with the
// result and what comes next, never a blank frame: at desktop width by
// pressing Next on the finished last part (no question: it is finished),
// at phone width by the content's own "Finish the course" (adl.nav.request
// exitAll). The dashboard then agrees with the end page.
func TestEndOfCourseBySequencing(t *testing.T) {
	for _, vp := range endWidths {
		t.Run(vp.name, func(t *testing.T) {
			e := start(t, "player-multi2004", 0)
			ctx := e.open(t, vp.w, vp.h)
			f := inPart(t, ctx, 1)
			inSCO(t, ctx, f, `sco.pass(0.9)`)
			do(t, ctx, "next", chromedp.Click(css(`[data-nav="continue"]`)))
			f = inPart(t, ctx, 2)
			inSCO(t, ctx, f, `sco.pass(0.8)`)
			shot(t, ctx, "multi2004-last-part-"+vp.name)
			if vp.name == "desktop" {
				// Finished: Next from the last part asks nothing and ends.
				if _, err := browser.Eval[bool](ctx, nil, `document.querySelector('#player-outline [aria-current="step"]').dataset.status === "passed"`); err != nil {
					t.Fatalf("the last part is not shown passed (%s): %v", eval[string](t, ctx, `[...document.querySelectorAll("#player-outline [data-nav-choice]")].map(b => b.dataset.navChoice + "=" + b.dataset.status + (b.getAttribute("aria-current") || "")).join(" ")`), err)
				}
				do(t, ctx, "next past the last part", chromedp.Click(css(`[data-nav="continue"]`)))
			} else {
				inSCO(t, ctx, f, `sco.leave("exitAll")`)
			}
			end := endPage(t, ctx, e, vp.name)
			for _, want := range []string{"You passed", "Download your certificate"} {
				if !strings.Contains(end, want) {
					t.Errorf("end page %q lacks %q", end, want)
				}
			}
			shot(t, ctx, "multi2004-end-"+vp.name)
			a, err := e.lec.App.Store.LatestAttempt(context.Background(), e.user.ID, e.course)
			if err != nil || !a.Closed || a.Success != "passed" {
				t.Fatalf("the stored attempt after the end: %+v %v", a, err)
			}
			do(t, ctx, "dashboard", chromedp.Navigate(e.lec.URL+"/"), chromedp.WaitVisible(css(".cards")))
			if card := text(t, ctx, ".cards li"); !strings.Contains(card, "completed") || strings.Contains(card, "in progress") || !strings.Contains(card, "Certificate") {
				t.Errorf("dashboard card after the end %q", card)
			}
			shot(t, ctx, "multi2004-dashboard-"+vp.name)
		})
	}
}

// TestNextOnLastPartAsksFirst: on the last part, not finished, Next would
// end the course: the player asks first; "Stay in the course" keeps the
// learner in the content (same part, still running); "Go on" ends it and
// the end page says the course was left unfinished. At both widths.
func TestNextOnLastPartAsksFirst(t *testing.T) {
	for _, vp := range endWidths {
		t.Run(vp.name, func(t *testing.T) {
			e := start(t, "player-multi2004", 0)
			ctx := e.open(t, vp.w, vp.h)
			f := inPart(t, ctx, 1)
			inSCO(t, ctx, f, `sco.pass(0.9)`)
			do(t, ctx, "next", chromedp.Click(css(`[data-nav="continue"]`)))
			inPart(t, ctx, 2)
			inPlayer := eval[string](t, ctx, `location.pathname`)
			do(t, ctx, "next on the unfinished last part", chromedp.Click(css(`[data-nav="continue"]`)), chromedp.WaitVisible(css("#player-confirm[open]")))
			if q := text(t, ctx, "#player-confirm"); !strings.Contains(q, "not finished") || !strings.Contains(q, "closes the course for now") {
				t.Errorf("the question says %q", q)
			}
			shot(t, ctx, "multi2004-last-question-"+vp.name)
			do(t, ctx, "stay", chromedp.Click(css("#confirm-stay")), chromedp.WaitNotPresent(css("#player-confirm[open]")))
			// Still in the content: the same part, running, nothing sent.
			f = inPart(t, ctx, 2)
			inSCO(t, ctx, f, `sco.part === "2"`)
			if p := eval[string](t, ctx, `location.pathname`); p != inPlayer {
				t.Errorf("after Stay the learner is at %s, want still %s", p, inPlayer)
			}
			if s := eval[string](t, ctx, `document.getElementById("player-status") ? document.getElementById("player-status").textContent : ""`); strings.Contains(s, "Saving") {
				t.Errorf("after Stay the player says %q", s)
			}
			a, err := e.lec.App.Store.LatestAttempt(context.Background(), e.user.ID, e.course)
			if err != nil || a.Closed {
				t.Fatalf("after Stay the attempt is %+v %v, want open", a, err)
			}
			shot(t, ctx, "multi2004-stayed-"+vp.name)
			// The content still answers after Stay.
			inSCO(t, ctx, f, `document.getElementById("title").textContent === "Fire safety, part 2"`)
			// Next again, "Go on": the course closes unfinished, not passed.
			do(t, ctx, "next again", chromedp.Click(css(`[data-nav="continue"]`)), chromedp.WaitVisible(css("#player-confirm[open]")),
				chromedp.Click(css("#confirm-go")))
			end := endPage(t, ctx, e, vp.name)
			if strings.Contains(end, "You passed") || strings.Contains(end, "certificate") {
				t.Errorf("end page after going on unfinished %q", end)
			}
			shot(t, ctx, "multi2004-end-unfinished-"+vp.name)
		})
	}
}

// TestFinishAsksUntilTheWholeCourseIsDone: the question before ending the
// course is about the course, not the running part. In a SCORM 2004 course
// of two parts, with the first left unfinished and the second passed,
// Finish and Next on the last part still ask (and Stay keeps the learner
// there); once the first part is passed too, Finish ends the course at
// once, passed. At both widths.
func TestFinishAsksUntilTheWholeCourseIsDone(t *testing.T) {
	for _, vp := range endWidths {
		t.Run(vp.name, func(t *testing.T) {
			e := start(t, "player-multi2004", 0)
			ctx := e.open(t, vp.w, vp.h)
			inPart(t, ctx, 1)
			do(t, ctx, "next, the first part unfinished", chromedp.Click(css(`[data-nav="continue"]`)))
			f := inPart(t, ctx, 2)
			inSCO(t, ctx, f, `sco.pass(0.8)`)
			for _, c := range []struct{ nav, says string }{
				{"exitAll", "Finish the course now?"},
				{"continue", "Go on past the last part?"},
			} {
				do(t, ctx, c.nav+" with the first part unfinished", chromedp.Click(css(`[data-nav="`+c.nav+`"]`)), chromedp.WaitVisible(css("#player-confirm[open]")))
				if q := text(t, ctx, "#player-confirm"); !strings.Contains(q, c.says) || !strings.Contains(q, "not finished this course") {
					t.Errorf("%s: the question says %q", c.nav, q)
				}
				if c.nav == "exitAll" {
					shot(t, ctx, "multi2004-finish-question-part-left-"+vp.name)
				}
				do(t, ctx, "stay", chromedp.Click(css("#confirm-stay")), chromedp.WaitNotPresent(css("#player-confirm[open]")))
				inSCO(t, ctx, f, `sco.part === "2"`)
			}
			if a, err := e.lec.App.Store.LatestAttempt(context.Background(), e.user.ID, e.course); err != nil || a.Closed {
				t.Fatalf("after Stay the attempt is %+v %v, want open", a, err)
			}
			do(t, ctx, "previous", chromedp.Click(css(`[data-nav="previous"]`)))
			f = inPart(t, ctx, 1)
			inSCO(t, ctx, f, `sco.pass(0.9)`)
			do(t, ctx, "finish, the whole course done", chromedp.Click(css(`[data-nav="exitAll"]`)))
			end := endPage(t, ctx, e, vp.name)
			if !strings.Contains(end, "You passed") {
				t.Errorf("end page after finishing every part %q", end)
			}
		})
	}
}
