package lms_test

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
	"github.com/lectern/lectern/lms/store"
)

// TestGolfPostTestRollup plays Rustici's "post test rollup" golf example
// (SCORM 2004 3rd Edition) through the player as two learners would: its
// four lessons open in a forced order (each disabled until the one before
// is satisfied, through global objectives) and only the quiz rolls up to
// the course: finishing every lesson decides nothing, a quiz answered right
// passes the course, and a quiz answered wrong (the page scores it 7%)
// fails it, with no certificate.
func TestGolfPostTestRollup(t *testing.T) {
	corpus := os.Getenv("LECTERN_TEST_CORPUS")
	if corpus == "" {
		t.Skip("SKIP golf examples: set LECTERN_TEST_CORPUS to ../shared/scorm-corpus")
	}
	lec := startLectern(t)
	id := lec.importZip(t, filepath.Join(corpus, "scorm2004v3-golf-sequencing-posttest-rollup.zip"))
	lessons := []string{"playing_item", "etuqiette_item", "handicapping_item", "havingfun_item"}
	for _, tc := range []struct {
		email   string
		right   bool   // answer every question right, or every one wrong
		success string // the course's result
		summary string // what the end page says
	}{
		{"pass@example.org", true, "passed", "You passed with 100%"},
		{"fail@example.org", false, "failed", "You did not pass: your score is "},
	} {
		t.Run(tc.success, func(t *testing.T) {
			u := lec.learner(t, tc.email)
			ctx := browser.New(t, 3*time.Minute)
			acceptDialogs(ctx)
			if err := chromedp.Do(ctx, chromedp.Navigate(lec.link(t, u.Email, id))); err != nil {
				t.Fatal(err)
			}
			g := golfPlayer{t: t, ctx: ctx}
			for i, lesson := range lessons {
				g.waitCurrent(lesson)
				// Every activity after this one is still closed.
				for _, later := range append(lessons[i+1:], "assessment_item") {
					if g.enabled(later) {
						t.Errorf("on %s, %s can be chosen before %s is done", lesson, later, lesson)
					}
				}
				g.readToEnd()
				next := "assessment_item"
				if i+1 < len(lessons) {
					next = lessons[i+1]
				}
				waitFor(t, next+" opening once "+lesson+" is done", 20*time.Second, func() bool { return g.enabled(next) })
				if i == 0 {
					browser.Screenshot(t, ctx, "golf-posttest-after-first-lesson")
				}
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-nav="continue"]`))); err != nil {
					t.Fatal(err)
				}
			}
			g.waitCurrent("assessment_item")
			// Every lesson done: the lessons do not roll up, so the course
			// is neither passed nor failed yet.
			if a := lec.latestAttempt(t, u, id); a.Success != "unknown" {
				t.Errorf("after the lessons, before the quiz, the attempt is %s/%s, want its result unknown", a.Completion, a.Success)
			}
			g.answerQuiz(tc.right)
			browser.Screenshot(t, ctx, "golf-posttest-quiz-"+tc.success)
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-nav="exitAll"]`))); err != nil {
				t.Fatal(err)
			}
			if open, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#player-confirm[open]") !== null`)); open {
				t.Error("Finish asked whether to finish a course whose quiz was submitted")
				chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#confirm-go")))
			}
			if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(".course-end"))); err != nil {
				t.Fatalf("no end page after Finish: %v", err)
			}
			end, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".course-end")))
			if !strings.Contains(end, tc.summary) {
				t.Errorf("the end page says %q, want %q", end, tc.summary)
			}
			if got := strings.Contains(end, "Download your certificate"); got != tc.right {
				t.Errorf("certificate offered: %v, want %v (%q)", got, tc.right, end)
			}
			browser.Screenshot(t, ctx, "golf-posttest-end-"+tc.success)
			if a := lec.latestAttempt(t, u, id); a.Completion != "completed" || a.Success != tc.success {
				t.Errorf("the attempt is %s/%s, want completed/%s", a.Completion, a.Success, tc.success)
			}
		})
	}
}

// TestGolfPreOrPostTest plays Rustici's "pre or post test rollup" golf
// example: a learner who passes the pre-test has mastered the course and
// is done without a lesson; a learner who fails it must do every lesson
// before the post-test opens, and passes the course with the post-test.
func TestGolfPreOrPostTest(t *testing.T) {
	corpus := os.Getenv("LECTERN_TEST_CORPUS")
	if corpus == "" {
		t.Skip("SKIP golf examples: set LECTERN_TEST_CORPUS to ../shared/scorm-corpus")
	}
	lec := startLectern(t)
	id := lec.importZip(t, filepath.Join(corpus, "scorm2004v3-golf-sequencing-pre-or-posttest-rollup.zip"))
	start := func(t *testing.T, email string) (golfPlayer, *store.User) {
		u := lec.learner(t, email)
		ctx := browser.New(t, 3*time.Minute)
		acceptDialogs(ctx)
		if err := chromedp.Do(ctx, chromedp.Navigate(lec.link(t, u.Email, id))); err != nil {
			t.Fatal(err)
		}
		return golfPlayer{t: t, ctx: ctx}, u
	}
	finish := func(t *testing.T, g golfPlayer, u *store.User) string {
		if err := chromedp.Do(g.ctx, chromedp.Click(chromedp.CSS(`[data-nav="exitAll"]`)), chromedp.WaitVisible(chromedp.CSS(".course-end"))); err != nil {
			t.Fatalf("Finish: %v", err)
		}
		end, _ := chromedp.Run(g.ctx, chromedp.Text(chromedp.CSS(".course-end")))
		return end
	}

	t.Run("pre-test passed", func(t *testing.T) {
		g, u := start(t, "mastered@example.org")
		g.waitCurrent("pretest_item")
		g.answerQuiz(true)
		end := finish(t, g, u)
		if !strings.Contains(end, "You passed with 100%") {
			t.Errorf("the end page says %q", end)
		}
		a := lec.latestAttempt(t, u, id)
		if a.Completion != "completed" || a.Success != "passed" {
			t.Errorf("the attempt is %s/%s, want completed/passed", a.Completion, a.Success)
		}
		if rows, _ := lec.App.Store.ScoStates(context.Background(), a.ID); len(rows) != 1 {
			t.Errorf("%d SCOs were opened, want only the pre-test", len(rows))
		}
	})

	t.Run("pre-test failed", func(t *testing.T) {
		g, u := start(t, "learns@example.org")
		g.waitCurrent("pretest_item")
		g.answerQuiz(false)
		if err := chromedp.Do(g.ctx, chromedp.Click(chromedp.CSS(`[data-nav="continue"]`))); err != nil {
			t.Fatal(err)
		}
		lessons := []string{"playing_item", "etuqiette_item", "handicapping_item", "havingfun_item"}
		for i, lesson := range lessons {
			g.waitCurrent(lesson)
			// The pre-test stays open: its page always leaves with
			// cmi.exit "suspend", so its one attempt is suspended, and
			// an attempt limit never keeps a learner from resuming.
			if g.enabled("posttest_item") {
				t.Errorf("on %s, the post-test is open before every lesson is done", lesson)
			}
			if i == 0 {
				// The lessons sit in an invisible wrapper inside an
				// invisible item: the outline hides those two, not the
				// lessons, so the learner can see and choose them.
				if !g.shown(lesson) || g.shown("content_wrapper") || g.shown("dummy_item") {
					t.Errorf("outline shows %s: %v, the wrapper: %v, the dummy item: %v; want only the lesson",
						lesson, g.shown(lesson), g.shown("content_wrapper"), g.shown("dummy_item"))
				}
				browser.Screenshot(t, g.ctx, "golf-pretest-failed-lessons")
			}
			g.readToEnd()
			if i+1 < len(lessons) {
				if err := chromedp.Do(g.ctx, chromedp.Click(chromedp.CSS(`[data-nav="continue"]`))); err != nil {
					t.Fatal(err)
				}
			}
		}
		waitFor(t, "the post-test opening once every lesson is done", 20*time.Second, func() bool { return g.enabled("posttest_item") })
		if err := chromedp.Do(g.ctx, chromedp.Click(chromedp.CSS(`[data-nav="continue"]`))); err != nil {
			t.Fatal(err)
		}
		g.waitCurrent("posttest_item")
		g.answerQuiz(true)
		if end := finish(t, g, u); !strings.Contains(end, "You passed with 100%") {
			t.Errorf("the end page says %q", end)
		}
		if a := lec.latestAttempt(t, u, id); a.Completion != "completed" || a.Success != "passed" {
			t.Errorf("the attempt is %s/%s, want completed/passed", a.Completion, a.Success)
		}
	})
}

// TestGolfRandomTestAttemptLimit plays Rustici's "random test" golf
// example: once the four lessons are done, the post test delivers one of
// four hidden tests in a random order; a failed test is retried as a new
// attempt of the post test, and its attempt limit of two ends the course
// after the second failure: completed and failed, with no third test.
func TestGolfRandomTestAttemptLimit(t *testing.T) {
	lec, id, u, g := playGolf(t, "scorm2004v3-golf-sequencing-random-test.zip", "twice@example.org")
	ctx := g.ctx
	lessons := []string{"playing_item", "etuqiette_item", "handicapping_item", "havingfun_item"}
	for _, lesson := range lessons {
		g.waitCurrent(lesson)
		if g.enabled("posttest_item") {
			t.Errorf("on %s, the post test is open before every lesson is done", lesson)
		}
		g.readToEnd()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-nav="continue"]`))); err != nil {
			t.Fatal(err)
		}
	}
	isTest := func(id string) bool { return strings.HasPrefix(id, "test_") }
	g.waitRunning("a test", isTest)
	g.answerQuiz(false)
	if a := lec.latestAttempt(t, u, id); a.Completion == "completed" {
		t.Errorf("after one failed test of two allowed, the attempt is %s/%s", a.Completion, a.Success)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-nav="continue"]`))); err != nil {
		t.Fatal(err)
	}
	// The post test starts its second attempt: a test again (the same one
	// or another, the order is drawn anew), with a fresh page.
	g.waitRunning("the second test", isTest)
	browser.Screenshot(t, ctx, "golf-randomtest-second-try")
	g.answerQuiz(false)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-nav="continue"]`))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(".course-end"))); err != nil {
		t.Fatalf("no end page after the second failed test: %v", err)
	}
	end, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".course-end")))
	if !strings.Contains(end, "You did not pass") || strings.Contains(end, "Download your certificate") {
		t.Errorf("the end page says %q, want a failed course without a certificate", end)
	}
	browser.Screenshot(t, ctx, "golf-randomtest-end")
	a := lec.latestAttempt(t, u, id)
	if a.Completion != "completed" || a.Success != "failed" {
		t.Errorf("the attempt is %s/%s, want completed/failed (the attempt limit is reached)", a.Completion, a.Success)
	}
	sessions := lec.deliveries(t, a.ID)
	if sessions != len(lessons)+2 {
		t.Errorf("%d deliveries, want %d: each lesson once and two tests", sessions, len(lessons)+2)
	}
}

// TestGolfSimpleRemediation plays Rustici's "simple remediation" golf
// example: four lessons, then a quiz per lesson; a learner who passes the
// first quiz and fails the other three is sent round again, where the
// lesson and the quiz already mastered are skipped; passing the other
// three then passes the course.
func TestGolfSimpleRemediation(t *testing.T) {
	lec, id, u, g := playGolf(t, "scorm2004v3-golf-sequencing-simple-remediation.zip", "remedied@example.org")
	ctx := g.ctx
	next := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`[data-nav="continue"]`))); err != nil {
			t.Fatal(err)
		}
	}
	lessons := []string{"playing_item", "etuqiette_item", "handicapping_item", "havingfun_item"}
	quizzes := []string{"test_1", "test_2", "test_3", "test_4"}
	// round plays the lessons and quizzes from the first one given, the
	// quizzes answered right where pass says so.
	round := func(from int, pass []bool) {
		t.Helper()
		for _, lesson := range lessons[from:] {
			g.waitCurrent(lesson)
			g.readToEnd()
			next()
		}
		for i, quiz := range quizzes[from:] {
			g.waitCurrent(quiz)
			g.answerQuiz(pass[from+i])
			if quiz == "test_4" {
				browser.Screenshot(t, ctx, fmt.Sprintf("golf-remediation-round-from-%d", from))
			}
			next()
		}
	}
	round(0, []bool{true, false, false, false})
	// Round two starts at the second lesson: the first is mastered.
	if a := lec.latestAttempt(t, u, id); a.Success == "passed" || a.Closed {
		t.Errorf("with three quizzes failed the attempt is %s/%s (closed %v), want it open and not passed", a.Completion, a.Success, a.Closed)
	}
	round(1, []bool{true, true, true, true})
	if err := waitEnd(t, ctx); err != nil {
		t.Fatalf("no end page once every quiz is passed: %v", err)
	}
	end, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".course-end")))
	if !strings.Contains(end, "You passed") || !strings.Contains(end, "Download your certificate") {
		t.Errorf("the end page says %q, want a passed course with its certificate", end)
	}
	browser.Screenshot(t, ctx, "golf-remediation-end")
	a := lec.latestAttempt(t, u, id)
	if a.Completion != "completed" || a.Success != "passed" {
		t.Errorf("the attempt is %s/%s, want completed/passed", a.Completion, a.Success)
	}
	sessions := lec.deliveries(t, a.ID)
	if want := 8 + 6; sessions != want {
		t.Errorf("%d deliveries, want %d: eight in the first round, six in the second", sessions, want)
	}
}

// waitEnd waits for the course's end page and says what the player shows
// when it does not come.
func waitEnd(t *testing.T, ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(".course-end"))); err == nil {
		return nil
	}
	state, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector("#player-confirm[open]") ? "a question is open: " + document.getElementById("confirm-text").textContent : "no question") +
		"; the status line says " + JSON.stringify((document.getElementById("player-status") || {}).textContent) + " at " + location.pathname`))
	return fmt.Errorf("no end page: %s", state)
}

// playGolf starts Lectern with the corpus's golf package zip and opens it
// in a browser as a new learner.
func playGolf(t *testing.T, zip, email string) (*running, uint, *store.User, golfPlayer) {
	t.Helper()
	corpus := os.Getenv("LECTERN_TEST_CORPUS")
	if corpus == "" {
		t.Skip("SKIP golf examples: set LECTERN_TEST_CORPUS to ../shared/scorm-corpus")
	}
	lec := startLectern(t)
	id := lec.importZip(t, filepath.Join(corpus, zip))
	u := lec.learner(t, email)
	ctx := browser.New(t, 3*time.Minute)
	acceptDialogs(ctx)
	if err := chromedp.Do(ctx, chromedp.Navigate(lec.link(t, u.Email, id))); err != nil {
		t.Fatal(err)
	}
	return lec, id, u, golfPlayer{t: t, ctx: ctx}
}

// deliveries counts the SCO launches of an attempt.
func (r *running) deliveries(t *testing.T, attempt uint) int {
	t.Helper()
	rows, err := r.App.Store.ScoStates(context.Background(), attempt)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, row := range rows {
		n += row.Sessions
	}
	return n
}

// latestAttempt reads the learner's latest attempt at a course.
func (r *running) latestAttempt(t *testing.T, u *store.User, course uint) store.Attempt {
	t.Helper()
	sit, err := r.App.Store.AttemptSituation(context.Background(), u.ID, course)
	if err != nil {
		t.Fatal(err)
	}
	if sit.Latest == nil {
		t.Fatal("no attempt")
	}
	return *sit.Latest
}

// golfPlayer drives the player page and the golf examples' launch page in
// its SCO frame.
type golfPlayer struct {
	t   *testing.T
	ctx context.Context
}

// waitCurrent waits until the player runs the activity id.
func (g golfPlayer) waitCurrent(id string) {
	g.t.Helper()
	g.waitRunning(id, func(v string) bool { return v == id })
}

// waitRunning waits until the player runs an activity that ok accepts, in
// a freshly loaded SCO frame.
func (g golfPlayer) waitRunning(what string, ok func(id string) bool) {
	g.t.Helper()
	waitFor(g.t, "the player to run "+what, 20*time.Second, func() bool {
		v, _ := chromedp.Run(g.ctx, chromedp.Evaluate[string](`document.getElementById("player").dataset.current`))
		return ok(v)
	})
	scoFrame(g.t, g.ctx)
}

// enabled says whether the outline lets the learner choose the activity.
func (g golfPlayer) enabled(id string) bool {
	g.t.Helper()
	v, err := chromedp.Run(g.ctx, chromedp.Evaluate[bool](fmt.Sprintf(
		`(() => { const b = document.querySelector('[data-nav-choice=%q]'); return b !== null && !b.disabled; })()`, id)))
	if err != nil {
		g.t.Fatal(err)
	}
	return v
}

// shown says whether the outline shows the activity's button.
func (g golfPlayer) shown(id string) bool {
	g.t.Helper()
	v, err := chromedp.Run(g.ctx, chromedp.Evaluate[bool](fmt.Sprintf(
		`(() => { const b = document.querySelector('[data-nav-choice=%q]'); return b !== null && b.offsetParent !== null; })()`, id)))
	if err != nil {
		g.t.Fatal(err)
	}
	return v
}

// readToEnd does what a learner does in a golf lesson: pages on with the
// lesson's own Next button to its last page, which reports the lesson
// completed and passed.
func (g golfPlayer) readToEnd() {
	g.t.Helper()
	expr := `(() => {
		if (typeof doNext !== "function" || startTimeStamp === null) return false;
		while (currentPage < pageArray.length - 1) document.getElementById("butNext").click();
		return reachedEnd;
	})()`
	if _, _, err := browser.WaitInFrame[bool](g.ctx, 20*time.Second, expr, "#player-frame", "#sco"); err != nil {
		g.t.Fatalf("paging through the lesson: %v", err)
	}
}

// answerQuiz answers the golf quiz in its page, every question right (the
// choices the page marks as correct, the numbers it shows) or every one
// wrong (a wrong choice, no number), and submits it. A page it answered
// is marked, so a second call waits for the next test's page.
func (g golfPlayer) answerQuiz(right bool) {
	g.t.Helper()
	expr := fmt.Sprintf(`(() => {
		if (!document.getElementById("frmTest") || window.lecternAnswered) return false;
		window.lecternAnswered = true;
		const right = %t;
		for (const q of document.querySelectorAll(".question")) {
			const good = q.querySelector(".correctAnswer input");
			if (!right) {
				const bad = q.querySelector(".answer input");
				if (bad) bad.click();
			} else if (good.type === "radio") {
				good.click();
			} else {
				good.value = /\((.*)\)/.exec(good.parentElement.textContent)[1];
			}
		}
		document.querySelector("input[type=button][value='Submit Answers']").click();
		return true;
	})()`, right)
	if _, _, err := browser.WaitInFrame[bool](g.ctx, 20*time.Second, expr, "#player-frame", "#sco", "#contentFrame"); err != nil {
		g.t.Fatalf("answering the quiz: %v", err)
	}
}
