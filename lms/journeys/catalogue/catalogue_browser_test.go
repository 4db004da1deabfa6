// Package catalogue_test runs the catalogue journey in headless Chromium
// against a real Lectern: a learner sees only the courses open to every
// learner, starts one (which enrols them) and plays it, and following the
// address of an enrolled-only course finds a page that says it is not
// available, at desktop and phone width.
package catalogue_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
	"github.com/lectern/lectern/internal/dbdump"
	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/internal/lecterntest"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/store"
)

// pageCheck: every control has a label, nothing is wider than the screen,
// there is a heading and a language (as the other journeys check).
const pageCheck = `(() => {
	const problems = [];
	for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button")) {
		const named = (el.labels && el.labels.length > 0) || el.getAttribute("aria-label") ||
			(el.tagName === "BUTTON" && el.textContent.trim() !== "");
		if (!named) problems.push("unlabelled " + el.tagName.toLowerCase() + (el.name ? " " + el.name : ""));
	}
	if (document.documentElement.scrollWidth > window.innerWidth + 1) problems.push("page wider than the screen: " + document.documentElement.scrollWidth + "px");
	if (!document.querySelector("h1")) problems.push("no h1");
	if (!document.documentElement.lang) problems.push("no lang");
	return problems;
})()`

func check(t *testing.T, ctx context.Context, shot string) {
	t.Helper()
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](pageCheck))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", shot, p)
	}
	browser.Screenshot(t, ctx, shot)
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// status is the HTTP status of the page the browser shows, read from the
// navigation entry (a refusal is still a page).
const status = `performance.getEntriesByType("navigation")[0].responseStatus`

func importCourse(t *testing.T, lec *lecterntest.Running, pkg, title string, opt ...course.Options) uint {
	t.Helper()
	var o course.Options
	if len(opt) > 0 {
		o = opt[0]
	}
	res, err := lec.App.Importer.Import(context.Background(), fixture.Titled(t, fixture.Package(pkg), title), o)
	if err != nil {
		t.Fatal(err)
	}
	return *res.ID
}

func auditCount(t *testing.T, lec *lecterntest.Running) int64 {
	t.Helper()
	n, err := lec.App.Store.CountAudit(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// answerQuiz answers the quiz rightly and presses Finish.
func answerQuiz(t *testing.T, ctx context.Context) {
	t.Helper()
	_, done, err := browser.WaitInFrame[string](ctx, 30*time.Second, `(() => {
		if (document.readyState !== "complete" || !document.getElementById("finish")) return "";
		document.querySelector("input[name=q1][value='3']").click();
		document.querySelector("input[name=q2][value='1']").click();
		document.getElementById("finish").click();
		return document.getElementById("result").textContent;
	})()`, "#player-frame", "#sco")
	if err != nil {
		t.Fatalf("timed out answering the quiz: %v", err)
	}
	if done != "Finished: 100%" {
		t.Fatalf("the quiz says %q, want 100%%", done)
	}
}

// TestCatalogueJourney: of an open course, an enrolled-only course, a
// draft and a retired course, a learner's dashboard lists only the open
// one; starting it enrols the learner, who plays it to the end; the
// address of the enrolled-only course shows the "not available" page and
// writes nothing.
func TestCatalogueJourney(t *testing.T) {
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		t.Run(vp.name, func(t *testing.T) {
			lec := lecterntest.Start(t, nil)
			bg := context.Background()
			st := lec.App.Store
			open := importCourse(t, lec, "scorm12-quiz", "Kitchen hygiene for everyone")
			if err := st.SetCourseCatalogue(bg, open, store.CatalogueOpen, "every member of staff may take it"); err != nil {
				t.Fatal(err)
			}
			closed := importCourse(t, lec, "scorm12-single", "Anti-bribery for the finance team")
			draft := importCourse(t, lec, "scorm12-single", "Draft course nobody sees", course.Options{Draft: true})
			retired := importCourse(t, lec, "scorm12-single", "Retired open course")
			for id, to := range map[uint]string{draft: store.CourseDraft, retired: store.CourseRetired} {
				if to == store.CourseDraft {
					continue // imported as a draft below
				}
				if err := st.SetCourseCatalogue(bg, id, store.CatalogueOpen, "was open"); err != nil {
					t.Fatal(err)
				}
				if err := st.SetCourseStatus(bg, id, to); err != nil {
					t.Fatal(err)
				}
			}
			lee, _, err := lec.App.AddUser(bg, "lee@example.org", "Lee Learner", "learner-password-1", false)
			if err != nil {
				t.Fatal(err)
			}
			ctx := browser.New(t, 4*time.Minute) // a loaded machine plays the quiz slowly

			// The dashboard lists the open course only.
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(lec.Link(t, lee.Email, 0)), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
				t.Fatal(err)
			}
			home := text(t, ctx, "main")
			if !strings.Contains(home, "Kitchen hygiene for everyone") || !strings.Contains(home, "Starting one enrols you") {
				t.Errorf("the dashboard does not offer the open course:\n%s", home)
			}
			for _, hidden := range []string{"Anti-bribery", "Draft course", "Retired open course"} {
				if strings.Contains(home, hidden) {
					t.Errorf("the dashboard lists %q:\n%s", hidden, home)
				}
			}
			check(t, ctx, "catalogue-dashboard-"+vp.name)

			// The open course: the page says starting enrols; the learner
			// starts it and plays it to the end.
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(fmt.Sprintf(`a[href="/courses/%d"]`, open))), chromedp.WaitVisible(chromedp.CSS("[data-enrol]"))); err != nil {
				t.Fatal(err)
			}
			if got := text(t, ctx, "[data-enrol]"); !strings.Contains(got, "Starting it enrols you") {
				t.Errorf("the course page says %q", got)
			}
			if e, err := st.EnrolmentOf(bg, lee.ID, open); err == nil {
				t.Errorf("the course page enrolled Lee before he started: %+v", e)
			}
			check(t, ctx, "catalogue-open-course-"+vp.name)
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("main form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS("#player-frame"))); err != nil {
				t.Fatal(err)
			}
			answerQuiz(t, ctx)
			browser.Screenshot(t, ctx, "catalogue-played-"+vp.name)
			e, err := st.EnrolmentOf(bg, lee.ID, open)
			if err != nil || e.Source != store.SourceSelf || e.DueAt != nil {
				t.Fatalf("Lee's enrolment %+v, %v: want self-enrolled, no due date", e, err)
			}
			if n, _ := st.CountAudit(bg, store.AuditFilter{Action: "enrolment.self", Learner: lee.ID}); n != 1 {
				t.Errorf("self-enrolment audit entries: %d, want 1", n)
			}
			// The finished quiz ends the session and the player may go to
			// the course's end page on its own: give it the time, so that
			// going home does not cut that navigation short.
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				if loc, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`)); err == nil && strings.HasSuffix(loc, "/result") {
					break
				}
			}
			// His dashboard now shows the course among his own, with the result.
			var home2 string
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
				if err := chromedp.Do(ctx, chromedp.Navigate(lec.URL+"/"), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
					t.Logf("going home: %v (trying again)", err)
					continue
				}
				if home2 = text(t, ctx, "main"); strings.Contains(home2, "Passed with 100%") {
					break
				}
			}
			if !strings.Contains(home2, "Kitchen hygiene for everyone") || !strings.Contains(home2, "Passed with 100%") || strings.Contains(home2, "Other courses") {
				t.Errorf("the dashboard after playing:\n%s", home2)
			}
			check(t, ctx, "catalogue-dashboard-enrolled-"+vp.name)

			// The address of the enrolled-only course: the page says it is
			// not available and what to do; nothing is written.
			// Sessions, the audit trail (counted apart) and the background
			// jobs' leases aside, the database must stay as it is.
			snapshot := func() dbdump.Snapshot {
				return dbdump.Take(t, lec.App.Config.DatabasePath(), "sessions", "audit_entries", "leases")
			}
			before, audits := snapshot(), auditCount(t, lec)
			if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/courses/%d", lec.URL, closed)), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
				t.Fatal(err)
			}
			if code, err := chromedp.Run(ctx, chromedp.Evaluate[int](status)); err != nil || code != 403 {
				t.Errorf("the enrolled-only course answers %d (%v), want 403", code, err)
			}
			if h := text(t, ctx, "main h1"); h != "This course is not available to you" {
				t.Errorf("heading %q", h)
			}
			if body := text(t, ctx, "main"); !strings.Contains(body, "Anti-bribery for the finance team") || !strings.Contains(body, "ask your administrator to enrol you") {
				t.Errorf("the page does not name the course or say what to do:\n%s", body)
			}
			check(t, ctx, "catalogue-not-available-"+vp.name)
			if changed := dbdump.Changed(before, snapshot()); len(changed) != 0 || auditCount(t, lec) != audits {
				t.Errorf("the refusal wrote: tables %v, audit entries %d before, %d after", changed, audits, auditCount(t, lec))
			}
			// Back to the courses from there.
			if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("main a.button")), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
				t.Fatal(err)
			}
			if u, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`)); err != nil || u != "/" {
				t.Errorf("back to my courses went to %q", u)
			}
			// The draft's address is no course at all.
			if err := chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/courses/%d", lec.URL, draft)), chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
				t.Fatal(err)
			}
			if code, _ := chromedp.Run(ctx, chromedp.Evaluate[int](status)); code != 404 {
				t.Errorf("the draft answers %d, want 404", code)
			}
		})
	}
}
