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
