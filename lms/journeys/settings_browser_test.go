package journeys_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
)

// TestSettingsInBrowser: after set-up, an admin finds Settings in the menu,
// is told why a time zone is refused, and changes the organisation's name
// and time zone, which Lectern then uses. At both widths.
func TestSettingsInBrowser(t *testing.T) {
	lec := startLectern(t, nil)
	ctx := context.Background()
	if _, _, err := lec.App.AddUser(ctx, "ada@example.org", "Ada Admin", "a long admin password", true); err != nil {
		t.Fatal(err)
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	for i, w := range widths {
		name, zone := []string{"Acme Safety Ltd", "Acme Safety"}[i], []string{"Europe/Paris", "America/New_York"}[i]
		b := browser.New(t, time.Minute)
		link, err := lec.App.LoginLink(ctx, "ada@example.org", 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(b, chromedp.EmulateViewport(w.w, w.h), chromedp.Navigate(link), chromedp.WaitVisible(css("main h1")),
			chromedp.Click(css(`nav a[href="/admin/settings"]`)), chromedp.WaitVisible(css("#timezone"))); err != nil {
			t.Fatalf("%s: open the settings: %v", w.name, err)
		}
		check(t, b, "settings-"+w.name)
		setValue(t, b, "#timezone", "Europe/Londn")
		if err := chromedp.Do(b, chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css(".error"))); err != nil {
			t.Fatal(err)
		}
		if got := text(t, b, ".error"); !strings.Contains(got, "not a time zone") {
			t.Errorf("%s: a misspelt zone says %q", w.name, got)
		}
		check(t, b, "settings-refused-"+w.name)
		setValue(t, b, "#organisation", name)
		setValue(t, b, "#timezone", zone)
		if err := chromedp.Do(b, chromedp.Click(css("main button[type=submit]")), chromedp.WaitVisible(css(".ok"))); err != nil {
			t.Fatal(err)
		}
		if got := text(t, b, ".ok"); !strings.Contains(got, name) || !strings.Contains(got, zone) {
			t.Errorf("%s: notice %q", w.name, got)
		}
		check(t, b, "settings-saved-"+w.name)
		if lec.App.Org.Name() != name || lec.App.Org.Location().String() != zone {
			t.Errorf("%s: Lectern uses %q in %s, want %q in %s", w.name, lec.App.Org.Name(), lec.App.Org.Location(), name, zone)
		}
	}
}
