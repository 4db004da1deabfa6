package journeys_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/store"
)

// TestGroupEnrolmentInvitesInBrowser: an admin enrols a group in a course
// on the course's enrolment page and ticks the invitation; the member who
// never signed in gets an invitation whose link sets a password and opens
// the course. At both widths.
func TestGroupEnrolmentInvitesInBrowser(t *testing.T) {
	lec := startLectern(t, nil)
	ctx := context.Background()
	st := lec.App.Store
	courseID := lec.importZip(t, fixture.ZipDir(t, fixture.Package("scorm12-single")))
	if _, _, err := lec.App.AddUser(ctx, "ada@example.org", "Ada Admin", "a long admin password", true); err != nil {
		t.Fatal(err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	for _, w := range widths {
		email := "new-" + w.name + "@example.org"
		u, _, err := lec.App.AddUser(ctx, email, "New "+w.name, "", false)
		if err != nil {
			t.Fatal(err)
		}
		g, err := lec.App.AddGroup(ctx, "Night shift "+w.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.AddMember(ctx, u.ID, g.ID, func(time.Time, store.DueRule) *time.Time { return nil }); err != nil {
			t.Fatal(err)
		}
		admin := browser.New(t, time.Minute)
		link, err := lec.App.LoginLink(ctx, "ada@example.org", 0)
		if err != nil {
			t.Fatal(err)
		}
		page := fmt.Sprintf("%s/admin/courses/%d/enrolments", lec.URL, courseID)
		if err := chromedp.Do(admin, chromedp.EmulateViewport(w.w, w.h), chromedp.Navigate(link), chromedp.WaitVisible(css("main h1")),
			chromedp.Navigate(page), chromedp.WaitVisible(css("#invite")),
			chromedp.SetValue(css("#group"), fmt.Sprint(g.ID)), chromedp.Click(css("#invite"))); err != nil {
			t.Fatalf("%s: enrolment form: %v", w.name, err)
		}
		check(t, admin, "group-invite-form-"+w.name)
		if err := chromedp.Do(admin, chromedp.Click(css(`form[action$="/enrolments"] button[type=submit]`)), chromedp.WaitVisible(css(".ok"))); err != nil {
			t.Fatal(err)
		}
		if got := text(t, admin, ".ok"); !strings.Contains(got, "1 new enrolment") || !strings.Contains(got, "on their way to 1 learner who never signed in") {
			t.Errorf("%s: notice %q", w.name, got)
		}
		check(t, admin, "group-invite-done-"+w.name)
		// The invitation's link: a password, then the course.
		learner := browser.New(t, time.Minute)
		if err := chromedp.Do(learner, chromedp.EmulateViewport(w.w, w.h), chromedp.Navigate(lec.mailLink(t, store.MessageInvitation, email)),
			chromedp.WaitVisible(css("#password")),
			chromedp.SendKeys(css("#password"), "a long learner password"), chromedp.SendKeys(css("#password2"), "a long learner password"),
			chromedp.Click(css("main button[type=submit]")), chromedp.WaitNotPresent(css("#password2"))); err != nil {
			t.Fatalf("%s: invitation: %v", w.name, err)
		}
		if got := location(t, learner); !strings.Contains(got, fmt.Sprintf("/courses/%d", courseID)) {
			t.Errorf("%s: the invitation led to %s, want the course", w.name, got)
		}
		// The course page launches the course by itself: wait for the player.
		if err := chromedp.Do(learner, chromedp.WaitVisible(css("#player-frame"))); err != nil {
			t.Fatalf("%s: the course did not open: %v", w.name, err)
		}
		browser.Screenshot(t, learner, "group-invite-course-"+w.name)
	}
}
