// Package managers_test runs the managers' journey in headless Chromium
// against a real Lectern, in a package of its own so that its browsers have
// their own share of go test's time.
package managers_test

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
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/store"
)

// pageCheck runs in a page: every form control has a label, nothing is
// wider than the screen, there is a heading and a language.
const pageCheck = `(() => {
	const problems = [];
	for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button")) {
		const named = (el.labels && el.labels.length > 0) || el.getAttribute("aria-label") ||
			(el.tagName === "BUTTON" && el.textContent.trim() !== "");
		if (!named) problems.push("unlabelled " + el.tagName.toLowerCase() + (el.name ? " " + el.name : ""));
	}
	if (document.documentElement.scrollWidth > window.innerWidth + 1) {
		// Name the outermost elements that stick out, to say what to fix.
		const out = [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 &&
			(getComputedStyle(e).position === "absolute" || !(e.parentElement && e.parentElement.getBoundingClientRect().right > window.innerWidth + 1))).slice(0, 6)
			.map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + " " + Math.round(e.getBoundingClientRect().right) + "px");
		problems.push("page wider than the screen: " + document.documentElement.scrollWidth + "px (" + out.join(", ") + ")");
	}
	if (!document.querySelector("h1")) problems.push("no h1");
	if (!document.documentElement.lang) problems.push("no lang");
	return problems;
})()`

// TestManagerJourney: an admin makes a user manager of the Warehouse on the
// group's page; the manager finds "Your teams", sees the Warehouse's overdue
// learner and not the Office's, opens the course report of their team,
// reminds the overdue after confirming, schedules a monthly report, and is
// refused another group's learner by URL and the admin pages. At desktop
// and at phone width.
func TestManagerJourney(t *testing.T) {
	lec := lecterntest.Start(t, nil)
	ctx := context.Background()
	st := lec.App.Store
	res, err := lec.App.Importer.Import(ctx, fixture.ZipDir(t, fixture.Package("scorm12-single")), course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	courseID := *res.ID
	add := func(email, name string, admin bool) *store.User {
		u, _, err := lec.App.AddUser(ctx, email, name, "a-password-123", admin)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	add("admin@example.org", "Ada Admin", true)
	add("boss@example.org", "Bea Boss", false)
	lee := add("lee@example.org", "Lee Warehouse", false)
	ann := add("ann@example.org", "Ann Office", false)
	due := time.Now().AddDate(0, 0, -10)
	groups := map[string]*store.Group{}
	for _, p := range []struct {
		u     *store.User
		group string
	}{{lee, "Warehouse"}, {ann, "Office"}} {
		g, err := lec.App.AddGroup(ctx, p.group)
		if err != nil {
			t.Fatal(err)
		}
		groups[p.group] = g
		if _, err := st.AddMember(ctx, p.u.ID, g.ID, func(time.Time, store.DueRule) *time.Time { return nil }); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.Enrol(ctx, p.u.ID, courseID, &due); err != nil {
			t.Fatal(err)
		}
	}
	ware := groups["Warehouse"]

	for i, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		t.Run(vp.name, func(t *testing.T) {
			admin, boss := browser.New(t, 2*time.Minute), browser.New(t, 2*time.Minute)
			for _, b := range []struct {
				ctx   context.Context
				email string
			}{{admin, "admin@example.org"}, {boss, "boss@example.org"}} {
				if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(lec.Link(t, b.email, 0))); err != nil {
					t.Fatal(err)
				}
			}
			check := func(ctx context.Context, shot string) {
				t.Helper()
				got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](pageCheck))
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range got {
					t.Errorf("%s: %s", shot, p)
				}
				browser.Screenshot(t, ctx, "manager-"+shot+"-"+vp.name)
			}
			text := func(ctx context.Context, sel string) string {
				t.Helper()
				s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
				if err != nil {
					t.Fatalf("text of %s: %v", sel, err)
				}
				return s
			}

			// The admin makes Bea a manager of the Warehouse (the second
			// time it says so).
			groupPage := fmt.Sprintf("%s/admin/groups/%d", lec.URL, ware.ID)
			if err := chromedp.Do(admin, chromedp.Navigate(groupPage),
				chromedp.SendKeys(chromedp.CSS("#manager-email"), "boss@example.org"),
				chromedp.Click(chromedp.CSS(`form[action$="/managers"] button`)),
				chromedp.WaitVisible(chromedp.CSS(".ok"))); err != nil {
				t.Fatal(err)
			}
			want := "now manages Warehouse"
			if i > 0 {
				want = "already manages Warehouse"
			}
			if got := text(admin, ".ok"); !strings.Contains(got, want) {
				t.Errorf("notice %q, want %q", got, want)
			}
			check(admin, "admin-group")

			// Bea finds her teams from the menu.
			if err := chromedp.Do(boss, chromedp.Navigate(lec.URL+"/"),
				chromedp.Click(chromedp.CSS(`nav a[href="/manage"]`)),
				chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
				t.Fatal(err)
			}
			main := text(boss, "main")
			if !strings.Contains(main, "Lee Warehouse") || strings.Contains(main, "Ann Office") || !strings.Contains(main, "Warehouse") {
				t.Errorf("teams page shows:\n%s", main)
			}
			check(boss, "teams")

			// The team's course report.
			if err := chromedp.Do(boss, chromedp.Click(chromedp.CSS(`a[href^="/manage/courses/"]`)),
				chromedp.WaitVisible(chromedp.CSS(".filters"))); err != nil {
				t.Fatal(err)
			}
			if main := text(boss, "main"); !strings.Contains(main, "lee@example.org") || strings.Contains(main, "ann@example.org") {
				t.Errorf("team report shows:\n%s", main)
			}
			check(boss, "report")

			// Reminders, after a confirmation page.
			if err := chromedp.Do(boss, chromedp.Navigate(lec.URL+"/manage"),
				chromedp.Click(chromedp.CSS(`form[action$="/remind"] button`)),
				// The confirmation page's own form: a selector the page
				// before also matches would let the next click land on a
				// document that is going away.
				chromedp.WaitVisible(chromedp.CSS(`section.confirm form button[type=submit]`))); err != nil {
				t.Fatal(err)
			}
			check(boss, "remind-confirm")
			if err := chromedp.Do(boss, chromedp.Click(chromedp.CSS(`section.confirm form button[type=submit]`)),
				chromedp.WaitVisible(chromedp.CSS(".ok"))); err != nil {
				t.Fatal(err)
			}
			want = "1 reminder sent to overdue members of Warehouse."
			if i > 0 {
				want = "0 reminders sent to overdue members of Warehouse. 1 had already been reminded."
			}
			if got := text(boss, ".ok"); got != want {
				t.Errorf("reminder notice %q, want %q", got, want)
			}

			// A monthly report to two addresses.
			if err := chromedp.Do(boss, chromedp.Navigate(lec.URL+"/manage/schedules"),
				chromedp.SetValue(chromedp.CSS("#subject"), fmt.Sprintf("group:%d", ware.ID)),
				chromedp.Click(chromedp.CSS(`input[name=period][value=monthly]`)),
				chromedp.SendKeys(chromedp.CSS("#recipients"), "boss@example.org, hr@example.org"),
				chromedp.Click(chromedp.CSS(`form[action="/manage/schedules"] button`)),
				chromedp.WaitVisible(chromedp.CSS(".ok"))); err != nil {
				t.Fatal(err)
			}
			if got := text(boss, ".ok"); !strings.Contains(got, "monthly to 2 addresses") {
				t.Errorf("schedule notice %q", got)
			}
			check(boss, "schedules")

			// Another group's learner by URL, and an admin page: refused.
			for _, p := range []string{fmt.Sprintf("/manage/users/%d", ann.ID), "/admin/users"} {
				if err := chromedp.Do(boss, chromedp.Navigate(lec.URL+p), chromedp.WaitVisible(chromedp.CSS("main"))); err != nil {
					t.Fatal(err)
				}
				if main := text(boss, "main"); strings.Contains(main, "ann@example.org") || !strings.Contains(strings.ToLower(main), "not") && !strings.Contains(main, "administrators") {
					t.Errorf("%s as manager shows:\n%s", p, main)
				}
			}
			check(boss, "refused")
		})
	}
	if rows, err := st.Schedules(ctx, 0); err != nil || len(rows) != 2 {
		t.Errorf("schedules %d (%v), want one per viewport", len(rows), err)
	}
}

// TestLandingByRole: each role signs in on the sign-in page and lands where
// it works: the admin on the dashboard, the manager on "Your teams", the
// learner on their courses. At desktop and at phone width.
func TestLandingByRole(t *testing.T) {
	lec := lecterntest.Start(t, nil)
	ctx := context.Background()
	for _, u := range []struct {
		email, name string
		admin       bool
	}{{"admin@example.org", "Ada Admin", true}, {"boss@example.org", "Bea Boss", false}, {"lee@example.org", "Lee Learner", false}} {
		if _, _, err := lec.App.AddUser(ctx, u.email, u.name, "a-password-123", u.admin); err != nil {
			t.Fatal(err)
		}
	}
	g, err := lec.App.AddGroup(ctx, "Warehouse")
	if err != nil {
		t.Fatal(err)
	}
	boss, err := lec.App.Store.UserByEmail(ctx, "boss@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lec.App.Store.AddManager(ctx, boss.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		t.Run(vp.name, func(t *testing.T) {
			for _, tt := range []struct{ who, email, path, heading string }{
				{"admin", "admin@example.org", "/admin", ""},
				{"manager", "boss@example.org", "/manage", "Your teams"},
				{"learner", "lee@example.org", "/", ""},
			} {
				b := browser.New(t, time.Minute)
				if err := chromedp.Do(b, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(lec.URL+"/login"),
					chromedp.SendKeys(chromedp.CSS("#email"), tt.email),
					chromedp.SendKeys(chromedp.CSS("#password"), "a-password-123"),
					chromedp.Click(chromedp.CSS(`main form button[type=submit]`)),
					chromedp.WaitNotPresent(chromedp.CSS("#password")),
					chromedp.WaitVisible(chromedp.CSS("main h1"))); err != nil {
					t.Fatalf("%s signs in: %v", tt.who, err)
				}
				path, err := chromedp.Run(b, chromedp.Evaluate[string](`location.pathname`))
				if err != nil {
					t.Fatal(err)
				}
				h1, err := chromedp.Run(b, chromedp.Text(chromedp.CSS("main h1")))
				if err != nil {
					t.Fatal(err)
				}
				if path != tt.path {
					t.Errorf("%s landed on %q, want %q", tt.who, path, tt.path)
				}
				if tt.heading != "" && !strings.Contains(h1, tt.heading) {
					t.Errorf("%s landed on a page headed %q, want %q", tt.who, h1, tt.heading)
				}
				browser.Screenshot(t, b, "landing-"+tt.who+"-"+vp.name)
			}
		})
	}
}

// TestDeliveriesInBrowser: a manager opens the deliveries of their
// scheduled reports from the schedules page and reads which went and why
// one did not, at desktop and phone width.
func TestDeliveriesInBrowser(t *testing.T) {
	lec := lecterntest.Start(t, nil)
	ctx := context.Background()
	st := lec.App.Store
	boss, _, err := lec.App.AddUser(ctx, "boss@example.org", "Bea Boss", "a-password-123", false)
	if err != nil {
		t.Fatal(err)
	}
	g, err := lec.App.AddGroup(ctx, "Warehouse with a rather long name for a phone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddManager(ctx, boss.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	r := &store.ReportSchedule{GroupID: &g.ID, Format: "csv", Period: store.PeriodWeekly, Recipients: []string{"boss@example.org", "hr-department-of-warehouse@example.org"}, OwnerID: boss.ID}
	if err := st.CreateSchedule(ctx, r); err != nil {
		t.Fatal(err)
	}
	row, _ := st.ScheduleByID(ctx, r.ID)
	if _, err := st.QueueScheduledReport(ctx, row, "", "2026-W10"); err != nil {
		t.Fatal(err)
	}
	ds, _ := st.UnsentDeliveries(ctx, 0, 10)
	for i := range ds {
		if ds[i].To == "boss@example.org" {
			err = st.MarkDeliverySent(ctx, &ds[i], row)
		} else {
			err = st.MarkDeliveryFailed(ctx, ds[i].ID, "550 5.1.1 <hr-department-of-warehouse@example.org>: Recipient address rejected: User unknown in virtual mailbox table", true)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		t.Run(vp.name, func(t *testing.T) {
			b := browser.New(t, time.Minute)
			if err := chromedp.Do(b, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(lec.Link(t, "boss@example.org", 0)),
				chromedp.Navigate(lec.URL+"/manage/schedules"),
				chromedp.Click(chromedp.CSS(`a[href="/manage/schedules/deliveries"]`)),
				chromedp.WaitVisible(chromedp.CSS(".delivery"))); err != nil {
				t.Fatal(err)
			}
			main, err := chromedp.Run(b, chromedp.Text(chromedp.CSS("main")))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"sent", "failed, will retry", "Recipient address rejected", "To boss@example.org"} {
				if !strings.Contains(main, want) {
					t.Errorf("deliveries page lacks %q:\n%s", want, main)
				}
			}
			problems, err := chromedp.Run(b, chromedp.Evaluate[[]string](pageCheck))
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range problems {
				t.Error(p)
			}
			browser.Screenshot(t, b, "deliveries-"+vp.name)
		})
	}
}
