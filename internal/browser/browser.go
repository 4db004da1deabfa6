// Package browser starts headless Debian Chromium for tests, through chromedp.
// Without Chromium the tests skip with a message; with LECTERN_TEST_BROWSER=require
// (set by CI) they fail instead.
package browser

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path finds the Chromium binary: LECTERN_TEST_CHROMIUM, /usr/bin/chromium, or PATH.
func Path() string {
	if p := os.Getenv("LECTERN_TEST_CHROMIUM"); p != "" {
		return p
	}
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// Option changes how a browser starts.
type Option func(profile string, opts *[]chromedp.ExecAllocatorOption) error

// BlockThirdPartyCookies sets the profile's "Block third-party cookies"
// preference, as a user (or Safari, always) does: sites framed by other
// sites get no cookies. Tests check that it took effect.
func BlockThirdPartyCookies() Option {
	return func(profile string, _ *[]chromedp.ExecAllocatorOption) error {
		if err := os.MkdirAll(filepath.Join(profile, "Default"), 0o755); err != nil {
			return err
		}
		prefs := `{"profile":{"cookie_controls_mode":1,"block_third_party_cookies":true}}`
		return os.WriteFile(filepath.Join(profile, "Default", "Preferences"), []byte(prefs), 0o644)
	}
}

// SameProcessFrames keeps cross-site frames in the page's process, so that
// tests can look inside them (Frame, Eval); it changes no cookie or storage
// rule.
func SameProcessFrames() Option {
	return func(_ string, opts *[]chromedp.ExecAllocatorOption) error {
		*opts = append(*opts, chromedp.Flag("disable-site-isolation-trials", true),
			chromedp.Flag("disable-features", "IsolateOrigins,site-per-process"))
		return nil
	}
}

// New returns a chromedp context for one fresh browser with its own profile,
// closed when the test ends. The timeout bounds the whole test's browsing.
func New(t testing.TB, timeout time.Duration, options ...Option) context.Context {
	t.Helper()
	path := Path()
	if path == "" {
		if os.Getenv("LECTERN_TEST_BROWSER") == "require" {
			t.Fatal("Chromium is required (LECTERN_TEST_BROWSER=require) but was not found; install it with apt-get install chromium")
		}
		t.Skip("SKIP browser test: Chromium not found (install chromium, or set LECTERN_TEST_CHROMIUM)")
	}
	profile := filepath.Join(t.TempDir(), "profile")
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	for _, o := range options {
		if err := o(profile, &opts); err != nil {
			t.Fatal(err)
		}
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium %s: %v", path, err)
	}
	return ctx
}

// Screenshot saves a full-page PNG under LECTERN_TEST_SCREENSHOTS (when set)
// so people can look at the pages the tests visited.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("LECTERN_TEST_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 gives a PNG
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}
