// Package journeys_test runs the account journeys (first run, invitations,
// resets, emailed links, the account page, single sign-on) in headless
// Chromium against a real Lectern. It is its own package so that its
// browsers do not share go test's time budget with the lms package's.
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
	"github.com/lectern/lectern/internal/lecterntest"
	"github.com/lectern/lectern/internal/oidctest"
	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/store"
)

// running is a real Lectern (see lecterntest) with the account journeys'
// helpers.
type running struct{ *lecterntest.Running }

// startLectern starts Lectern with settings changed by tweak, until the
// test ends.
func startLectern(t *testing.T, tweak func(*lms.Config)) *running {
	t.Helper()
	return &running{lecterntest.Start(t, tweak)}
}

func (r *running) importZip(t *testing.T, zip string) uint {
	t.Helper()
	res, err := r.App.Importer.Import(context.Background(), zip, course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return *res.ID
}

// Widths the account journeys are checked at.
var widths = []struct {
	name string
	w, h int64
}{{"desktop", 1280, 900}, {"phone", 390, 844}}

// check runs the page check (labels, width, headings) and keeps a screenshot.
func check(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	problems, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](browser.PageCheck))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", name, p)
	}
	browser.Screenshot(t, ctx, name)
}

// setValue sets a form field as a person would leave it.
func setValue(t *testing.T, ctx context.Context, sel, value string) {
	t.Helper()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = %q; return el.value === %q; })()`, sel, value, value))); err != nil {
		t.Fatalf("set %s: %v", sel, err)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func location(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// mailLink is the link of the newest message of kind to email.
func (r *running) mailLink(t *testing.T, kind, email string) string {
	t.Helper()
	rows, err := r.App.Store.Messages(context.Background(), store.MessageFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range rows { // newest first
		if m.Kind == kind && m.To == email && m.Link != "" {
			return m.Link
		}
	}
	t.Fatalf("no %s message with a link to %s", kind, email)
	return ""
}

// TestFirstRunInBrowser: an empty Lectern opens the set-up page (checked
// at both widths); the form creates the admin, who lands on the dashboard;
// the page is closed afterwards.
func TestFirstRunInBrowser(t *testing.T) {
	lec := startLectern(t, nil)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	for _, w := range widths {
		ctx := browser.New(t, time.Minute)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(w.w, w.h), chromedp.Navigate(lec.URL+"/"), chromedp.WaitVisible(css("#organisation"))); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(location(t, ctx), "/setup") {
			t.Errorf("%s: an empty Lectern opened %s, want /setup", w.name, location(t, ctx))
		}
		check(t, ctx, "setup-"+w.name)
	}
	ctx := browser.New(t, time.Minute)
	if err := chromedp.Do(ctx, chromedp.Navigate(lec.URL+"/setup"), chromedp.WaitVisible(css("#organisation"))); err != nil {
		t.Fatal(err)
	}
	setValue(t, ctx, "#organisation", "Acme Safety Ltd")
	setValue(t, ctx, "#timezone", "Europe/London")
	err := chromedp.Do(ctx,
		chromedp.SendKeys(css("#name"), "Ada Admin"), chromedp.SendKeys(css("#email"), "ada@example.org"),
		chromedp.SendKeys(css("#password"), "a long admin password"), chromedp.SendKeys(css("#password2"), "a long admin password"),
		chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css("#courses-h")),
	)
	if err != nil {
		t.Fatalf("set up: %v", err)
	}
	if !strings.HasSuffix(location(t, ctx), "/admin") {
		t.Errorf("after set-up at %s, want the dashboard", location(t, ctx))
	}
	check(t, ctx, "setup-done-dashboard")
	if lec.App.Org.Name() != "Acme Safety Ltd" || lec.App.Org.Location().String() != "Europe/London" {
		t.Errorf("Lectern uses %q in %s", lec.App.Org.Name(), lec.App.Org.Location())
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(lec.URL+"/setup"), chromedp.WaitVisible(css("main"))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, ctx, "main"); !strings.Contains(got, "already set up") {
		t.Errorf("set-up page afterwards says %q", got)
	}
}

// TestAccountJourneysInBrowser: an admin adds a learner with an invitation;
// the learner chooses a password from the email, edits their account,
// forgets the password and resets it; the admin emails sign-in links to a
// selection and deactivates a user through the confirmation page; a
// reminder's link opens the course. Each page at both widths.
func TestAccountJourneysInBrowser(t *testing.T) {
	lec := startLectern(t, nil)
	bg := context.Background()
	if _, _, err := lec.App.AddUser(bg, "admin@example.org", "Ada Admin", "admin-password-1", true); err != nil {
		t.Fatal(err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	admin := browser.New(t, 3*time.Minute)
	err := chromedp.Do(admin,
		chromedp.Navigate(lec.URL+"/login"), chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), "admin@example.org"), chromedp.SendKeys(css("#password"), "admin-password-1"),
		chromedp.Click(css("main form button[type=submit]")), chromedp.WaitVisible(css("#courses-h")),
	)
	if err != nil {
		t.Fatalf("admin sign-in: %v", err)
	}
	if !strings.HasSuffix(location(t, admin), "/admin") {
		t.Errorf("admin landed on %s, want the dashboard", location(t, admin))
	}
	// Add a learner; the invitation is the default.
	err = chromedp.Do(admin,
		chromedp.Navigate(lec.URL+"/admin/users"), chromedp.WaitVisible(css("#new-email")),
		chromedp.SendKeys(css("#new-email"), "lee@example.org"), chromedp.SendKeys(css("#new-name"), "Lee Park"),
		chromedp.Click(css("section[aria-labelledby=add-h] button[type=submit]")), chromedp.WaitVisible(css("p.ok")),
	)
	if err != nil {
		t.Fatalf("add user: %v", err)
	}
	if got := text(t, admin, "p.ok"); !strings.Contains(got, "invitation to choose a password is on its way") {
		t.Errorf("after adding: %q", got)
	}
	check(t, admin, "accounts-user-invited")
	invitation := lec.mailLink(t, store.MessageInvitation, "lee@example.org")

	// The learner, on a phone, chooses a password.
	lee := browser.New(t, 3*time.Minute)
	err = chromedp.Do(lee, chromedp.EmulateViewport(390, 844), chromedp.Navigate(invitation), chromedp.WaitVisible(css("#password")))
	if err != nil {
		t.Fatal(err)
	}
	check(t, lee, "accounts-invitation-phone")
	err = chromedp.Do(lee,
		chromedp.SendKeys(css("#password"), "lee's own password"), chromedp.SendKeys(css("#password2"), "lee's own password"),
		chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css("nav[aria-label=Main]")),
	)
	if err != nil {
		t.Fatalf("choose password: %v", err)
	}
	if !strings.HasSuffix(location(t, lee), "/") {
		t.Errorf("after choosing a password at %s", location(t, lee))
	}
	// The account page at both widths; change the name and language.
	for _, w := range widths {
		if err := chromedp.Do(lee, chromedp.EmulateViewport(w.w, w.h), chromedp.Navigate(lec.URL+"/account"), chromedp.WaitVisible(css("#language"))); err != nil {
			t.Fatal(err)
		}
		check(t, lee, "accounts-account-"+w.name)
	}
	setValue(t, lee, "#name", "Lee J. Park")
	setValue(t, lee, "#language", "fr")
	err = chromedp.Do(lee,
		chromedp.Click(css("section[aria-labelledby=details-h] button[type=submit]")), chromedp.WaitVisible(css("p.ok")),
	)
	if err != nil {
		t.Fatalf("save account: %v", err)
	}
	if u, _ := lec.App.Store.UserByEmail(bg, "lee@example.org"); u.Name != "Lee J. Park" || u.Language != "fr" {
		t.Errorf("after saving: %q %q", u.Name, u.Language)
	}
	// A wrong current password is refused, in words.
	err = chromedp.Do(lee,
		chromedp.SendKeys(css("#current"), "not my password"), chromedp.SendKeys(css("#password"), "a brand new password"),
		chromedp.SendKeys(css("#password2"), "a brand new password"),
		chromedp.Click(css("section[aria-labelledby=password-h] form button[type=submit]")), chromedp.WaitVisible(css("#password-error")),
	)
	if err != nil {
		t.Fatalf("wrong current password: %v", err)
	}
	check(t, lee, "accounts-account-wrong-password")

	// Forgot the password: signed out, on a phone.
	forgot := browser.New(t, 2*time.Minute)
	err = chromedp.Do(forgot, chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(lec.URL+"/login"), chromedp.WaitVisible(css("#email")),
		chromedp.Click(css(`a[href^="/login/forgot"]`)), chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), "lee@example.org"), chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css("p.ok")),
	)
	if err != nil {
		t.Fatalf("forgot: %v", err)
	}
	check(t, forgot, "accounts-forgot-sent-phone")
	var reset string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		rows, _ := lec.App.Store.Messages(bg, store.MessageFilter{})
		for _, m := range rows {
			if m.Kind == store.MessageReset && m.Link != "" {
				reset = m.Link
			}
		}
		if reset != "" || time.Now().After(deadline) {
			break
		}
	}
	if reset == "" {
		t.Fatal("no reset email")
	}
	err = chromedp.Do(forgot, chromedp.Navigate(reset), chromedp.WaitVisible(css("#password")),
		chromedp.SendKeys(css("#password"), "lee's second password"), chromedp.SendKeys(css("#password2"), "lee's second password"),
		chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css("nav[aria-label=Main]")))
	if err != nil {
		t.Fatalf("reset: %v", err)
	}

	// The admin emails sign-in links to a selection, at both widths.
	ann, _, err := lec.App.AddUser(bg, "ann@example.org", "Ann Smith", "", false)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range widths {
		if err := chromedp.Do(admin, chromedp.EmulateViewport(w.w, w.h), chromedp.Navigate(lec.URL+"/admin/users"), chromedp.WaitVisible(css("#bulk"))); err != nil {
			t.Fatal(err)
		}
		check(t, admin, "accounts-users-"+w.name)
	}
	err = chromedp.Do(admin,
		chromedp.Click(css(fmt.Sprintf(`input[name=user][value="%d"]`, ann.ID))),
		chromedp.Click(css(`button[value=sign-in-link]`)), chromedp.WaitVisible(css("#bulk-result")),
	)
	if err != nil {
		t.Fatalf("bulk links: %v", err)
	}
	if got := text(t, admin, "#bulk-result"); !strings.Contains(got, "1 sign-in link is on its way: ann@example.org") {
		t.Errorf("bulk result %q", got)
	}
	check(t, admin, "accounts-users-bulk-sent")
	annCtx := browser.New(t, time.Minute)
	err = chromedp.Do(annCtx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(lec.mailLink(t, store.MessageSignInLink, "ann@example.org")), chromedp.WaitVisible(css("main form button")))
	if err != nil {
		t.Fatal(err)
	}
	check(t, annCtx, "accounts-email-link-phone")
	if err := chromedp.Do(annCtx, chromedp.Click(css("main form button")), chromedp.WaitVisible(css("nav[aria-label=Main]"))); err != nil {
		t.Fatal(err)
	}
	if got := text(t, annCtx, ".who"); got != "Ann Smith" {
		t.Errorf("signed in by link as %q", got)
	}

	// Deactivating asks first, without scripts being needed.
	err = chromedp.Do(admin, chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(fmt.Sprintf("%s/admin/users/%d", lec.URL, ann.ID)), chromedp.WaitVisible(css("button.danger")),
	)
	if err != nil {
		t.Fatal(err)
	}
	check(t, admin, "accounts-user-page")
	err = chromedp.Do(admin,
		chromedp.Click(css(`form[action$="/active"] button.danger`)), chromedp.WaitVisible(css("section.confirm")),
	)
	if err != nil {
		t.Fatalf("deactivate: %v", err)
	}
	if u, _ := lec.App.Store.UserByID(bg, ann.ID); !u.Active {
		t.Fatal("the question deactivated Ann")
	}
	check(t, admin, "accounts-confirm-deactivate")
	if err := chromedp.Do(admin, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	check(t, admin, "accounts-confirm-deactivate-phone")
	if err := chromedp.Do(admin, chromedp.Click(css("section.confirm button.danger")), chromedp.WaitVisible(css("p.ok"))); err != nil {
		t.Fatal(err)
	}
	if u, _ := lec.App.Store.UserByID(bg, ann.ID); u.Active {
		t.Error("Ann is still active after the confirmation")
	}

	// A reminder's link signs in and opens the course.
	courseID := lec.importZip(t, fixture.ZipDir(t, fixture.Package("scorm12-single")))
	leeUser, _ := lec.App.Store.UserByEmail(bg, "lee@example.org")
	if _, _, err := lec.App.Store.Enrol(bg, leeUser.ID, courseID, nil); err != nil {
		t.Fatal(err)
	}
	var reminder string
	for deadline := time.Now().Add(90 * time.Second); reminder == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		rows, _ := lec.App.Store.Messages(bg, store.MessageFilter{UserID: leeUser.ID})
		for _, m := range rows {
			if m.Kind == store.MessageEnrolment && m.Link != "" {
				reminder = m.Link
			}
		}
		if reminder == "" {
			lec.App.Wake()
		}
	}
	if reminder == "" {
		t.Fatal("no enrolment reminder with a link")
	}
	fresh := browser.New(t, time.Minute)
	err = chromedp.Do(fresh, chromedp.EmulateViewport(390, 844), chromedp.Navigate(reminder), chromedp.WaitVisible(css("main form button")))
	if err != nil {
		t.Fatal(err)
	}
	check(t, fresh, "accounts-reminder-link-phone")
	if err := chromedp.Do(fresh, chromedp.Click(css("main form button")), chromedp.WaitVisible(css("#player-frame"))); err != nil {
		t.Fatalf("reminder link into the course: %v", err)
	}
	if !strings.HasSuffix(location(t, fresh), fmt.Sprintf("/courses/%d/play", courseID)) { // the launch POST redirects there
		t.Errorf("reminder link opened %s", location(t, fresh))
	}
}

// TestSSOInBrowser: the sign-in page's single sign-on button goes to a real
// OpenID Provider and back, at both widths.
func TestSSOInBrowser(t *testing.T) {
	idp := oidctest.Start(t, "http://placeholder/", oidctest.User{Subject: "sub-lee", Username: "lee", Email: "lee@example.org",
		EmailVerified: oidctest.Bool(true), Name: "Lee Park"})
	lec := startLectern(t, func(c *lms.Config) {
		c.OIDCIssuer, c.OIDCClientID, c.OIDCClientSecret, c.OIDCLabel = idp.Issuer, idp.ClientID, idp.ClientSecret, "Test IdP"
	})
	idp.SetRedirect(lec.URL + "/login/sso/callback")
	if _, _, err := lec.App.AddUser(context.Background(), "admin@example.org", "Ada Admin", "admin-password-1", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lec.App.AddUser(context.Background(), "lee@example.org", "Lee Park", "", false); err != nil {
		t.Fatal(err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	for _, w := range widths {
		ctx := browser.New(t, time.Minute)
		err := chromedp.Do(ctx, chromedp.EmulateViewport(w.w, w.h),
			chromedp.Navigate(lec.URL+"/account"), chromedp.WaitVisible(css("#sso")))
		if err != nil {
			t.Fatal(err)
		}
		check(t, ctx, "sso-login-"+w.name)
		err = chromedp.Do(ctx, chromedp.Click(css("#sso")), chromedp.WaitVisible(css("#username")),
			chromedp.SendKeys(css("#username"), "lee"), chromedp.Click(css("#idp-submit")), chromedp.WaitVisible(css("#language")))
		if err != nil {
			t.Fatalf("%s: single sign-on: %v", w.name, err)
		}
		if !strings.HasSuffix(location(t, ctx), "/account") {
			t.Errorf("%s: after single sign-on at %s, want back at /account", w.name, location(t, ctx))
		}
		check(t, ctx, "sso-account-"+w.name)
		if got := text(t, ctx, "main"); !strings.Contains(got, "You can sign in with Test IdP") {
			t.Errorf("%s: the account page does not show the link", w.name)
		}
	}
}
