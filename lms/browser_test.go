package lms_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/internal/lecterntest"
	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/demo"
)

// running is a real Lectern (see lecterntest) with the lms tests' helpers.
type running struct{ *lecterntest.Running }

func startLectern(t *testing.T, opts ...func(*lms.Config)) *running {
	t.Helper()
	return &running{lecterntest.Start(t, func(c *lms.Config) {
		for _, o := range opts {
			o(c)
		}
	})}
}

// link is a single-use sign-in link for email, opening course when not 0.
// The user is enrolled in that course first, as an admin would assign it:
// courses are for enrolled learners only.
func (r *running) link(t *testing.T, email string, course uint) string {
	t.Helper()
	if course != 0 {
		r.enrol(t, email, course)
	}
	return r.Link(t, email, course)
}

// TestAdminImportsInBrowser: an admin signs in with the form, uploads a
// package with the progress-bar form, sees its tree and warnings; a bad
// package shows its reason; a learner's sign-in link opens the course.
func TestAdminImportsInBrowser(t *testing.T) {
	ctx := browser.New(t, 2*time.Minute)
	lec := startLectern(t)
	bg := context.Background()
	if _, _, err := lec.App.AddUser(bg, "admin@example.org", "Ada Admin", "admin-password-1", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lec.App.AddUser(bg, "learner@example.org", "Lee Learner", "learner-password-1", false); err != nil {
		t.Fatal(err)
	}

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(lec.URL+"/admin/courses"),
		chromedp.WaitVisible(css("#email")),
	)
	if err != nil {
		t.Fatal(err)
	}
	browser.Screenshot(t, ctx, "login")
	err = chromedp.Do(ctx,
		chromedp.SendKeys(css("#email"), "admin@example.org"),
		chromedp.SendKeys(css("#password"), "admin-password-1"),
		chromedp.Click(css("main button[type=submit]")),
		chromedp.WaitVisible(css("#package")),
	)
	if err != nil {
		t.Fatalf("sign in with the form: %v", err)
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.HasSuffix(loc, "/admin/courses") {
		t.Fatalf("after sign-in at %s, want back at /admin/courses", loc)
	}
	browser.Screenshot(t, ctx, "admin-courses-empty")

	good := fixture.ZipDir(t, fixture.Package("scorm2004v4-seq"))
	err = chromedp.Do(ctx,
		chromedp.SetUploadFiles(css("#package"), []string{good}),
		chromedp.Click(css("form[data-upload] button[type=submit]")),
		chromedp.WaitVisible(css("h1"), chromedp.RetryInterval(50*time.Millisecond)),
		chromedp.WaitVisible(css(".tree")),
	)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	loc, _ = chromedp.Run(ctx, chromedp.Location())
	if !strings.Contains(loc, "/admin/courses/1?imported=1") {
		t.Fatalf("after upload at %s, want the course page", loc)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(css("main")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"The package was imported", "2004 4th Edition", "Course tree"} {
		if !strings.Contains(text, want) {
			t.Errorf("course page lacks %q:\n%s", want, text)
		}
	}
	browser.Screenshot(t, ctx, "admin-course")
	// A new course is a draft: learners see it once it is published.
	err = chromedp.Do(ctx,
		chromedp.Click(css(`form[action="/admin/courses/1/status"] button`)),
		chromedp.WaitVisible(css(".badge.course-published")),
	)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}

	bad := fixture.ZipFiles(t, map[string]string{"course.crs": "[Course]\nCourse_ID=X\n", "a.au": "x"})
	err = chromedp.Do(ctx,
		chromedp.Navigate(lec.URL+"/admin/courses"),
		chromedp.SetUploadFiles(css("#package"), []string{bad}),
		chromedp.Click(css("form[data-upload] button[type=submit]")),
		chromedp.WaitVisible(css(".status.error")),
	)
	if err != nil {
		t.Fatalf("bad upload: %v", err)
	}
	status, _ := chromedp.Run(ctx, chromedp.Text(css(".status")))
	if !strings.Contains(status, "not imported") || !strings.Contains(status, "AICC") {
		t.Errorf("bad upload says %q, want the AICC reason", status)
	}
	browser.Screenshot(t, ctx, "admin-upload-rejected")

	// A learner's sign-in link opens the course, on a phone-sized screen.
	learner := browser.New(t, time.Minute)
	err = chromedp.Do(learner,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(lec.link(t, "learner@example.org", 1)),
		chromedp.WaitReady(css(".tree")), // the outline starts closed at phone width
	)
	if err != nil {
		t.Fatalf("learner link: %v", err)
	}
	scoFrame(t, learner) // the SCO has started, so the player has shown its item
	loc, _ = chromedp.Run(learner, chromedp.Location())
	if !strings.HasSuffix(loc, "/courses/1/play") {
		t.Errorf("learner link landed on %s, want /courses/1/play (the launch redirects to the player)", loc)
	}
	browser.Screenshot(t, learner, "learner-course-phone")
	// The first item asks the LMS to hide continue and previous (adlnav).
	hidden, err := chromedp.Run(learner, chromedp.Evaluate[[]bool](`["continue","previous","suspendAll"].map(n => document.querySelector('[data-nav="'+n+'"]').hidden)`))
	if err != nil || len(hidden) != 3 || !hidden[0] || !hidden[1] || hidden[2] {
		t.Errorf("controls hidden %v (%v), want continue and previous hidden, suspendAll shown", hidden, err)
	}
	// The learner cannot reach the admin pages.
	if err := chromedp.Do(learner, chromedp.Navigate(lec.URL+"/admin/courses")); err != nil {
		t.Fatal(err)
	}
	if h1, _ := chromedp.Run(learner, chromedp.Text(css("h1"))); h1 != "Forbidden" {
		t.Errorf("learner on /admin/courses sees %q, want Forbidden", h1)
	}
}

// TestDemo: `serve --demo` gives a newcomer a working organisation; the
// dashboards show it.
func TestDemo(t *testing.T) {
	lec := startLectern(t)
	logins, err := demo.Seed(context.Background(), lec.App)
	if err != nil {
		t.Fatal(err)
	}
	if len(logins) < 2 || !logins[0].Admin {
		t.Fatalf("logins %+v", logins)
	}
	if again, err := demo.Seed(context.Background(), lec.App); err != nil || again != nil {
		t.Errorf("seeding twice: %v %v, want nothing the second time", again, err)
	}
	comps, _ := lec.App.Store.Completions(context.Background(), 0)
	if len(comps) != 2 {
		t.Errorf("%d demo completions, want 2", len(comps))
	}
	ctx := browser.New(t, time.Minute)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	if err := chromedp.Do(ctx, chromedp.Navigate(lec.link(t, logins[0].Email, 0)), chromedp.Navigate(lec.URL+"/admin"), chromedp.WaitVisible(css("table.counts"))); err != nil {
		t.Fatal(err)
	}
	text, _ := chromedp.Run(ctx, chromedp.Text(css("main")))
	for _, want := range []string{"Fire Safety Basics", "Data Protection Essentials", "Warehouse", "Office", "Dev Desai", "overdue"} {
		if !strings.Contains(text, want) {
			t.Errorf("admin dashboard lacks %q", want)
		}
	}
	browser.Screenshot(t, ctx, "demo-admin-dashboard")
	learner := browser.New(t, time.Minute)
	if err := chromedp.Do(learner, chromedp.EmulateViewport(390, 844), chromedp.Navigate(lec.link(t, "ben@demo.lectern.test", 0)), chromedp.WaitVisible(css(".cards"))); err != nil {
		t.Fatal(err)
	}
	text, _ = chromedp.Run(learner, chromedp.Text(css("main")))
	if !strings.Contains(text, "completed") || !strings.Contains(text, "Certificates") {
		t.Errorf("Ben's dashboard lacks his completion and certificate:\n%s", text)
	}
	browser.Screenshot(t, learner, "demo-learner-home-phone")
}

// TestPagesAccessibleOnPhone visits every page at phone width with the demo
// data, checks labels, width and headings, and keeps screenshots.
func TestPagesAccessibleOnPhone(t *testing.T) {
	lec := startLectern(t)
	logins, err := demo.Seed(context.Background(), lec.App)
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser.New(t, 2*time.Minute)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(lec.link(t, logins[0].Email, 0))); err != nil {
		t.Fatal(err)
	}
	pages := []string{"/", "/admin", "/admin/courses", "/admin/courses/1", "/admin/courses/1/enrolments",
		"/admin/groups", "/admin/groups/1", "/admin/outbox", "/admin/users", "/verify", "/courses/1"}
	for _, p := range pages {
		if err := chromedp.Do(ctx, chromedp.Navigate(lec.URL+p), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](browser.PageCheck))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		for _, pr := range problems {
			t.Errorf("%s: %s", p, pr)
		}
		name := strings.Trim(strings.ReplaceAll(p, "/", "-"), "-")
		if name == "" {
			name = "home"
		}
		browser.Screenshot(t, ctx, "phone-"+name)
	}
	// Signed out: the sign-in page.
	anon := browser.New(t, time.Minute)
	if err := chromedp.Do(anon, chromedp.EmulateViewport(390, 844), chromedp.Navigate(lec.URL+"/login"), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
		t.Fatal(err)
	}
	if problems, _ := chromedp.Run(anon, chromedp.Evaluate[[]string](browser.PageCheck)); len(problems) > 0 {
		t.Errorf("/login: %v", problems)
	}
}

// enrol enrols the user of email in a course, without a due date.
func (r *running) enrol(t *testing.T, email string, course uint) {
	t.Helper()
	if _, _, err := r.App.EnrolEmail(context.Background(), course, email, lms.DueInput{}); err != nil {
		t.Fatalf("enrol %s in course %d: %v", email, course, err)
	}
}
