package lms_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
	"github.com/lectern/lectern/internal/ltiplatform"
	"github.com/lectern/lectern/scorm/cmi"
)

// cookiesOf lists the browser's cookies for a host.
func cookiesOf(t *testing.T, ctx context.Context, host string) []string {
	t.Helper()
	res, err := chromedp.CallBrowser(ctx, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range res.Cookies {
		if c.Domain == host {
			out = append(out, c.Name)
		}
	}
	return out
}

// TestLTIInBrowser: Lectern inside a platform's page on another site, in a
// browser that blocks third-party cookies. The state is kept in the
// platform's storage, the course runs and saves without any Lectern cookie,
// the grade reaches the platform, and leaving shows Lectern's end page. A
// platform without storage gets the "open in a new window" fallback.
func TestLTIInBrowser(t *testing.T) {
	e := startLTI(t, "name,email")
	ctx := browser.New(t, 3*time.Minute, browser.BlockThirdPartyCookies(), browser.SameProcessFrames())
	bg := context.Background()
	// The instructor picks the course (over HTTP).
	b := ltiplatform.NewBrowser()
	pg := e.run(t, b, e.launch(grace, "rl-b"))
	if _, err := b.Submit(bg, pg, ltiplatform.FormByAction(pg.Body, "/lti/choose", "course", fmt.Sprint(e.course)), nil); err != nil {
		t.Fatal(err)
	}

	// Control: first-party, Lectern's login page sets its cookie.
	l := e.launch(ada, "rl-b")
	if err := chromedp.Do(ctx, chromedp.Navigate(e.tool.LoginURL+"?"+e.p.LoginParams(l).Encode())); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first-party cookie", 10*time.Second, func() bool { return len(cookiesOf(t, ctx, "127.0.0.1")) > 0 })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.CallBrowser(ctx, storage.ClearCookies, storage.ClearCookiesParams{}); err != nil {
		t.Fatal(err)
	}

	// A platform that offers no storage: inside its frame the cookie is
	// blocked, and Lectern offers a new window.
	if err := chromedp.Do(ctx, chromedp.Navigate(e.p.CoursePage(l))); err != nil {
		t.Fatal(err)
	}
	var tool = func() *chromedp.Node {
		var f *chromedp.Node
		waitFor(t, "Lectern's frame", 20*time.Second, func() bool {
			var err error
			f, err = browser.Frame(ctx, "#tool")
			return err == nil
		})
		return f
	}
	if _, err := browser.Eval[bool](ctx, tool(), `!!document.getElementById("lti-fallback") && !document.getElementById("lti-fallback").hidden`); err != nil {
		t.Fatalf("no new-window fallback in the blocked frame: %v", err)
	}
	if c := cookiesOf(t, ctx, "127.0.0.1"); len(c) > 0 {
		t.Fatalf("the browser kept Lectern's cookies %v in a third-party frame: third-party cookies are not blocked", c)
	}
	href, _ := browser.Eval[string](ctx, tool(), `document.querySelector("#lti-fallback a").href`)
	if !strings.HasPrefix(href, e.tool.LoginURL+"?") {
		t.Errorf("the new-window link is %q", href)
	}
	browser.Screenshot(t, ctx, "lti-cookie-blocked-fallback")

	// With the platform's storage, the launch works without cookies.
	l = e.launch(ada, "rl-b")
	l.Storage = true
	if err := chromedp.Do(ctx, chromedp.Navigate(e.p.CoursePage(l))); err != nil {
		t.Fatal(err)
	}
	var sco *chromedp.Node
	waitFor(t, "the SCO inside the platform's page", 30*time.Second, func() bool {
		var err error
		sco, err = browser.Frame(ctx, "#tool", "#player-frame", "#sco")
		if err != nil {
			return false
		}
		_, err = browser.Eval[bool](ctx, sco, `document.readyState === "complete" && !!document.getElementById("done")`)
		return err == nil
	})
	browser.Screenshot(t, ctx, "lti-player-in-platform")
	if _, err := browser.Eval[bool](ctx, sco, `(document.getElementById("done").click(), true)`); err != nil {
		t.Fatal(err)
	}
	var u uint
	waitFor(t, "the completion saved", 20*time.Second, func() bool {
		users, _ := e.lec.App.Store.Users(bg)
		for _, x := range users {
			if x.Email == ada.Email {
				u = x.ID
				_, v := e.lec.scoState(t, &x, e.course)
				return v["cmi.core.lesson_status"] == "completed"
			}
		}
		return false
	})
	if c := cookiesOf(t, ctx, "127.0.0.1"); len(c) > 0 {
		t.Errorf("Lectern set cookies %v: the launch must run without them", c)
	}
	// The result reaches the gradebook.
	if _, err := e.lec.App.LTI.DeliverScores(bg); err != nil {
		t.Fatal(err)
	}
	scores := e.p.Scores()
	if len(scores) == 0 || scores[len(scores)-1].ActivityProgress != "Completed" || scores[len(scores)-1].UserID != ada.ID {
		t.Errorf("scores at the platform: %+v", scores)
	}
	// Leaving the course (one SCO: its Exit, finished, so no question)
	// shows Lectern's end page in the frame.
	if _, err := browser.Eval[bool](ctx, tool(), `(document.querySelector("[data-exit]").click(), true)`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the end page", 20*time.Second, func() bool {
		h, err := browser.Eval[string](ctx, tool(), `document.querySelector("h1") ? document.querySelector("h1").textContent : ""`)
		return err == nil && h == "Your progress is saved"
	})
	browser.Screenshot(t, ctx, "lti-left-course")
	_ = u
	_ = cmi.V12
}
