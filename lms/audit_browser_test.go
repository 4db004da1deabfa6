package lms_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
	"github.com/lectern/lectern/lms/demo"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/web"
	"github.com/lectern/lectern/scorm/cmi"
)

// TestAuditChartsInBrowser: with the demo data, the charts page draws its
// SVG charts (sized, labelled, within the screen) and an attempt's timeline
// shows both launches with their commits.
func TestAuditChartsInBrowser(t *testing.T) {
	lec := startLectern(t)
	bg := context.Background()
	logins, err := demo.Seed(bg, lec.App)
	if err != nil {
		t.Fatal(err)
	}
	chloe, err := lec.App.Store.UserByEmail(bg, "chloe@demo.lectern.test")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := lec.App.Store.Enrolments(bg, store.EnrolmentFilter{UserID: chloe.ID})
	if err != nil {
		t.Fatal(err)
	}
	var attempt uint
	for _, r := range rows {
		if r.CourseTitle == "Data Protection Essentials" && r.AttemptID != nil {
			attempt = *r.AttemptID
		}
	}
	if attempt == 0 {
		t.Fatalf("no demo attempt for Chloé in %+v", rows)
	}

	ctx := browser.New(t, 2*time.Minute)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	if err := chromedp.Do(ctx, chromedp.Navigate(lec.link(t, logins[0].Email, 0)), chromedp.Navigate(lec.URL+"/admin/charts"), chromedp.WaitVisible(css(".chart svg"))); err != nil {
		t.Fatal(err)
	}
	type box struct {
		ID            string
		Width, Height float64
		Marks         int
	}
	boxes, err := chromedp.Run(ctx, chromedp.Evaluate[[]box](`[...document.querySelectorAll(".chart svg")].map(s => {
		const r = s.getBoundingClientRect();
		return {ID: s.getAttribute("aria-labelledby"), Width: r.width, Height: r.height, Marks: s.querySelectorAll("rect").length};
	})`))
	if err != nil {
		t.Fatal(err)
	}
	if len(boxes) != 3 {
		t.Fatalf("%d charts, want by course, by group and per week: %+v", len(boxes), boxes)
	}
	for _, b := range boxes {
		if b.Width < 300 || b.Height < 60 || b.Height > 600 || b.Marks == 0 {
			t.Errorf("chart %s is %.0f×%.0f with %d marks", b.ID, b.Width, b.Height, b.Marks)
		}
	}
	text, _ := chromedp.Run(ctx, chromedp.Text(css("main")))
	for _, want := range []string{"Status by course", "Fire Safety Basics", "Warehouse", "Office", "Completions per week"} {
		if !strings.Contains(text, want) {
			t.Errorf("charts page lacks %q", want)
		}
	}
	if problems, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](browser.PageCheck)); len(problems) > 0 {
		t.Errorf("/admin/charts: %v", problems)
	}
	browser.Screenshot(t, ctx, "audit-charts")

	page := lec.URL + web.AttemptURL(attempt)
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(css("main table"))); err != nil {
		t.Fatal(err)
	}
	text, _ = chromedp.Run(ctx, chromedp.Text(css("main")))
	for _, want := range []string{"Chloé Chen", "Data Protection Essentials", "Launch 1", "Launch 2", "cmi.session_time", "PT2M30S", "Measured time", "Terminated"} {
		if !strings.Contains(text, want) {
			t.Errorf("timeline lacks %q", want)
		}
	}
	if problems, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](browser.PageCheck)); len(problems) > 0 {
		t.Errorf("timeline: %v", problems)
	}
	browser.Screenshot(t, ctx, "audit-attempt")

	// On a phone, the charts shrink to the screen.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(lec.URL+"/admin/charts"), chromedp.WaitVisible(css(".chart svg"))); err != nil {
		t.Fatal(err)
	}
	if problems, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](browser.PageCheck)); len(problems) > 0 {
		t.Errorf("/admin/charts on a phone: %v", problems)
	}
	browser.Screenshot(t, ctx, "audit-charts-phone")
	if err := chromedp.Do(ctx, chromedp.Navigate(page), chromedp.WaitVisible(css("main table"))); err != nil {
		t.Fatal(err)
	}
	if problems, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](browser.PageCheck)); len(problems) > 0 {
		t.Errorf("timeline on a phone: %v", problems)
	}
	browser.Screenshot(t, ctx, "audit-attempt-phone")

	// A SCO that saves hostile and very long values: shown as text, folded,
	// and wrapped when unfolded, on a phone and on a desktop.
	hostile := attemptWithValue(t, lec, "ana@demo.lectern.test", `<img src=x onerror="window.pwned=1">`+strings.Repeat("0123456789", 60))
	if err := chromedp.Do(ctx, chromedp.Navigate(lec.URL+web.AttemptURL(hostile)), chromedp.WaitVisible(css("main details summary")), chromedp.Click(css("main details summary"))); err != nil {
		t.Fatal(err)
	}
	pwned, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.pwned === 1 || document.querySelector("main img") !== null`))
	if err != nil || pwned {
		t.Errorf("a saved value became markup (%v)", err)
	}
	if problems, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](browser.PageCheck)); len(problems) > 0 {
		t.Errorf("long value on a phone: %v", problems)
	}
	browser.Screenshot(t, ctx, "audit-attempt-long-phone")
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(css("main details summary")), chromedp.Click(css("main details summary"))); err != nil {
		t.Fatal(err)
	}
	if problems, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](browser.PageCheck)); len(problems) > 0 {
		t.Errorf("long value on a desktop: %v", problems)
	}
	browser.Screenshot(t, ctx, "audit-attempt-long")
}

// attemptWithValue has a learner open Fire Safety and save v as suspend
// data, and returns the attempt.
func attemptWithValue(t *testing.T, lec *running, email, v string) uint {
	t.Helper()
	bg := context.Background()
	u, err := lec.App.Store.UserByEmail(bg, email)
	if err != nil {
		t.Fatal(err)
	}
	c, err := lec.App.Runtime.Open(bg, u, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lec.App.Runtime.Start(bg, c.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := lec.App.Runtime.Commit(bg, runtime.CommitRequest{Token: c.Token, Seq: 1, Changes: []cmi.Change{
		{Element: "cmi.suspend_data", Value: v}, {Element: "cmi.core.lesson_location", Value: `<b>"&'`},
	}}); err != nil {
		t.Fatal(err)
	}
	return c.Attempt.ID
}
