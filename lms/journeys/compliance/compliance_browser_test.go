// Package compliance_test runs the compliance journeys in headless
// Chromium against a real Lectern: the quiz answered at 0% that must not
// count, the pass rule turned on after a completion was recorded, and the
// audit trail page, at desktop and phone width.
package compliance_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/internal/lecterntest"
	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/store"
)

// importQuiz imports the quiz package (mastery score 80), published.
func importQuiz(t *testing.T, lec *lecterntest.Running) uint {
	t.Helper()
	ctx := context.Background()
	res, err := lec.App.Importer.Import(ctx, fixture.ZipDir(t, fixture.Package("scorm12-quiz")), course.Options{Filename: "quiz.zip"})
	if err != nil {
		t.Fatal(err)
	}
	return *res.ID
}

// answerQuiz signs the learner in to the course, answers every question
// wrongly and presses Finish.
func answerQuiz(t *testing.T, ctx context.Context, lec *lecterntest.Running, email string, courseID uint) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(lec.Link(t, email, courseID)), chromedp.WaitVisible(chromedp.CSS("#player-frame"))); err != nil {
		t.Fatal(err)
	}
	_, done, err := browser.WaitInFrame[string](ctx, 30*time.Second, `(() => {
		if (document.readyState !== "complete" || !document.getElementById("finish")) return "";
		document.querySelector("input[name=q1][value='1']").click();
		document.querySelector("input[name=q2][value='0']").click();
		document.getElementById("finish").click();
		return document.getElementById("result").textContent;
	})()`, "#player-frame", "#sco")
	if err != nil {
		t.Fatalf("timed out answering the quiz: %v", err)
	}
	if done != "Finished: 0%" {
		t.Fatalf("the quiz says %q, want 0%%", done)
	}
	browser.Screenshot(t, ctx, "compliance-quiz-finished-0")
}

// textOf navigates to path and returns the text of main.
func textOf(t *testing.T, ctx context.Context, url string) string {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// waitFor reads path until its main text has want (the records follow the
// learner's commit a moment later).
func waitFor(t *testing.T, ctx context.Context, url, want string) string {
	t.Helper()
	var s string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if s = textOf(t, ctx, url); strings.Contains(s, want) {
			return s
		}
	}
	t.Fatalf("%s never said %q:\n%s", url, want, s)
	return s
}

// TestZeroPercentQuizDoesNotCount: a learner who answers every question
// wrongly (0%, mastery score 80) and finishes gets no certificate, is not
// compliant, and the report says failed.
func TestZeroPercentQuizDoesNotCount(t *testing.T) {
	lec := lecterntest.Start(t, nil)
	bg := context.Background()
	if _, _, err := lec.App.AddUser(bg, "admin@example.org", "Ada Admin", "admin-password-1", true); err != nil {
		t.Fatal(err)
	}
	lee, _, err := lec.App.AddUser(bg, "lee@example.org", "Lee Learner", "learner-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	cid := importQuiz(t, lec)
	if _, _, err := lec.App.Store.Enrol(bg, lee.ID, cid, nil); err != nil {
		t.Fatal(err)
	}
	lctx := browser.New(t, 3*time.Minute)
	answerQuiz(t, lctx, lec, "lee@example.org", cid)

	actx := browser.New(t, 3*time.Minute)
	if err := chromedp.Do(actx, chromedp.Navigate(lec.Link(t, "admin@example.org", 0))); err != nil {
		t.Fatal(err)
	}
	report := waitFor(t, actx, fmt.Sprintf("%s/admin/courses/%d/report", lec.URL, cid), "failed")
	if !strings.Contains(report, "completed, failed") || strings.Contains(report, "completed, passed") {
		t.Errorf("the report does not say failed:\n%s", report)
	}
	browser.Screenshot(t, actx, "compliance-report-0-percent")
	if cs, _ := lec.App.Store.Completions(bg, lee.ID); len(cs) != 0 {
		t.Errorf("the 0%% attempt earned %d completions (certificate %s)", len(cs), cs[0].Code)
	}
	rows, _ := lec.App.Store.Enrolments(bg, store.EnrolmentFilter{UserID: lee.ID, CourseID: cid})
	if len(rows) != 1 || compliance.Compliant(rows[0], lec.App.Store.Now()) {
		t.Errorf("the learner counts as compliant: %+v", rows)
	}
	if home := textOf(t, lctx, lec.URL+"/"); strings.Contains(strings.ToLower(home), "certificate") {
		t.Errorf("the learner's page offers a certificate:\n%s", home)
	}
}

// TestPassRuleTurnedOnLater: a 0% completion recorded while the course
// needs no pass earns a certificate; the admin turns the pass rule on,
// sees the preview, confirms the recompute with a reason, and the
// certificate is revoked: /verify says so with the date, the audit trail
// has the change. Then the audit trail page at desktop and phone width.
func TestPassRuleTurnedOnLater(t *testing.T) {
	lec := lecterntest.Start(t, nil)
	bg := context.Background()
	if _, _, err := lec.App.AddUser(bg, "admin@example.org", "Ada Admin", "admin-password-1", true); err != nil {
		t.Fatal(err)
	}
	lee, _, err := lec.App.AddUser(bg, "lee@example.org", "Lee Learner", "learner-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	cid := importQuiz(t, lec)
	off := store.CourseRules{PassRule: store.PassNotRequired, AttemptPolicy: store.AttemptBest}
	if _, err := lec.App.Compliance.ApplyRules(bg, cid, off, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lec.App.Store.Enrol(bg, lee.ID, cid, nil); err != nil {
		t.Fatal(err)
	}
	lctx := browser.New(t, 3*time.Minute)
	answerQuiz(t, lctx, lec, "lee@example.org", cid)

	actx := browser.New(t, 4*time.Minute)
	if err := chromedp.Do(actx, chromedp.Navigate(lec.Link(t, "admin@example.org", 0))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, actx, fmt.Sprintf("%s/admin/courses/%d/report", lec.URL, cid), "completed, failed")
	cs, _ := lec.App.Store.Completions(bg, lee.ID)
	if len(cs) != 1 {
		t.Fatalf("with the rule off the completion was not recorded: %d", len(cs))
	}
	code := cs[0].Code
	if v := textOf(t, actx, lec.URL+"/verify/"+code); !strings.Contains(v, "genuine and valid") {
		t.Fatalf("before the rule change /verify says:\n%s", v)
	}

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err = chromedp.Do(actx,
		chromedp.Navigate(fmt.Sprintf("%s/admin/courses/%d/rules", lec.URL, cid)),
		chromedp.Click(css(`input[name=pass_rule][value=auto]`)),
		chromedp.Click(css(`form[action$="/rules"] button[type=submit]`)),
		chromedp.WaitVisible(css(`form[action$="/rules/confirm"]`)),
	)
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	preview, _ := chromedp.Run(actx, chromedp.Text(css("main")))
	if !strings.Contains(preview, "1 completion would no longer count") || !strings.Contains(preview, "1 certificate would be revoked") {
		t.Errorf("the preview does not say what changes:\n%s", preview)
	}
	browser.Screenshot(t, actx, "compliance-rules-preview")
	if cs, _ := lec.App.Store.Completions(bg, lee.ID); cs[0].RevokedAt != nil {
		t.Fatal("the preview revoked the certificate")
	}
	err = chromedp.Do(actx,
		chromedp.SendKeys(css("#reason"), "The quiz has a pass mark of 80%"),
		chromedp.Click(css(`form[action$="/rules/confirm"] button[type=submit]`)),
		chromedp.WaitVisible(css("main .ok")),
	)
	if err != nil {
		t.Fatalf("confirm: %v", err)
	}
	cs, _ = lec.App.Store.Completions(bg, lee.ID)
	if len(cs) != 1 || cs[0].RevokedAt == nil {
		t.Fatalf("after the recompute the certificate is not revoked: %+v", cs)
	}
	day := cs[0].RevokedAt.In(lec.App.Config.Location()).Format("2 Jan 2006")
	v := textOf(t, actx, lec.URL+"/verify/"+code)
	if !strings.Contains(v, "revoked on "+day) || strings.Contains(v, "genuine and valid") {
		t.Errorf("/verify of the revoked certificate says:\n%s", v)
	}
	browser.Screenshot(t, actx, "compliance-verify-revoked")
	rows, _ := lec.App.Store.Enrolments(bg, store.EnrolmentFilter{UserID: lee.ID, CourseID: cid})
	if len(rows) != 1 || compliance.Compliant(rows[0], lec.App.Store.Now()) {
		t.Errorf("after the recompute the learner still counts: %+v", rows)
	}

	// The audit trail names the change and the revocation, with the reason.
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		if err := chromedp.Do(actx, chromedp.EmulateViewport(vp.w, vp.h),
			chromedp.Navigate(fmt.Sprintf("%s/admin/audit?course=%d", lec.URL, cid)), chromedp.WaitReady(css("main"))); err != nil {
			t.Fatal(err)
		}
		trail, _ := chromedp.Run(actx, chromedp.Text(css("main")))
		if !strings.Contains(trail, "The quiz has a pass mark of 80%") || !strings.Contains(trail, "certificate.revoke") {
			t.Errorf("%s: the audit trail lacks the rule change's reason:\n%s", vp.name, trail)
		}
		wide, _ := chromedp.Run(actx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if wide {
			t.Errorf("%s: the audit trail page is wider than the screen", vp.name)
		}
		browser.Screenshot(t, actx, "compliance-audit-trail-"+vp.name)
	}
	entries, _ := lec.App.Store.AuditEntries(bg, store.AuditFilter{Learner: lee.ID, Action: "certificate."}, 0)
	if len(entries) == 0 {
		t.Error("the revocation is not in the audit trail")
	}
}
