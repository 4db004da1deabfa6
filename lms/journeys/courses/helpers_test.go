package courses_test

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
	"github.com/lectern/lectern/internal/lecterntest"
	"github.com/lectern/lectern/lms/store"
)

// pageCheck runs in a page: every form control has a label a screen reader
// can use, nothing is wider than the screen, images have alt text, and
// there is a heading and a language.
const pageCheck = `(() => {
	const problems = [];
	for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button")) {
		const named = (el.labels && el.labels.length > 0) || el.getAttribute("aria-label") ||
			(el.tagName === "BUTTON" && el.textContent.trim() !== "");
		if (!named) problems.push("unlabelled " + el.tagName.toLowerCase() + (el.name ? " " + el.name : ""));
	}
	for (const img of document.querySelectorAll("img:not([alt])")) problems.push("image without alt: " + img.src);
	if (document.documentElement.scrollWidth > window.innerWidth + 1) problems.push("page wider than the screen: " + document.documentElement.scrollWidth + "px");
	if (!document.querySelector("h1")) problems.push("no h1");
	if (!document.documentElement.lang) problems.push("no lang");
	return problems;
})()`

func learner(t *testing.T, lec *lecterntest.Running, email string) *store.User {
	t.Helper()
	u, _, err := lec.App.AddUser(context.Background(), email, "Lee Learner", "learner-password-1", false)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// scoFrame waits until the player page's SCO has loaded.
func scoFrame(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#player-frame"))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := browser.WaitInFrame[bool](ctx, 20*time.Second, `document.readyState === "complete" && location.pathname.startsWith("/c/")`, "#player-frame", "#sco"); err != nil {
		t.Fatalf("timed out waiting for the SCO frame: %v", err)
	}
}
