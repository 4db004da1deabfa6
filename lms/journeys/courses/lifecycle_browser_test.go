// Package courses_test runs the course journeys (lifecycle, long titles,
// managers) in headless Chromium against a real Lectern, in a package of
// its own so that its browsers have their own share of go test's time.
package courses_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/internal/lecterntest"
	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/store"
)

// box is an element's size on the page.
type box struct {
	Selector      string
	Width, Height float64
}

// boxesOf measures every element selector matches.
func boxesOf(t *testing.T, ctx context.Context, selector string) []box {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]box](fmt.Sprintf(`[...document.querySelectorAll(%q)].map(e => {
		const r = e.getBoundingClientRect(); return {Selector: %q, Width: r.width, Height: r.height};
	})`, selector, selector)))
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestLongTitlesKeepTheLayout: a course whose title has 4,679 characters
// (stored before imports checked titles) and one whose title the import
// shortened keep every page within the screen and their cards, headings
// and rows at a readable size, at desktop and at phone width.
func TestLongTitlesKeepTheLayout(t *testing.T) {
	lec := lecterntest.Start(t, nil)
	ctx := context.Background()
	long := fixture.LongTitle()
	if n := len([]rune(long)); n != 4679 {
		t.Fatalf("the long title has %d characters", n)
	}
	zip := fixture.Titled(t, fixture.Package("scorm12-single"), long)
	res, err := lec.App.Importer.Import(ctx, zip, course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	shortened := *res.ID
	if n := len([]rune(res.Title)); n > lec.App.Config.CourseTitleMax || len(res.Warnings) == 0 {
		t.Fatalf("imported title has %d characters, warnings %q", n, res.Warnings)
	}
	res, err = lec.App.Importer.Import(ctx, zip, course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	whole := *res.ID
	// As a course from before the check would hold it: one unbroken word
	// makes the worst case for wrapping.
	unbroken := strings.ReplaceAll(long, " ", "")[:2000] + " " + long
	if err := lec.App.Store.UpdateCourseDetails(ctx, whole, store.CourseDetails{Title: unbroken, Description: long}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lec.App.AddUser(ctx, "admin@example.org", "Ada Admin", "admin-password-1", true); err != nil {
		t.Fatal(err)
	}
	learner(t, lec, "lee@example.org")
	if _, _, err := lec.App.EnrolEmail(ctx, shortened, "lee@example.org", lms.DueInput{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lec.App.EnrolEmail(ctx, whole, "admin@example.org", lms.DueInput{}); err != nil {
		t.Fatal(err)
	}
	// Open to every learner: Lee finds it among the other courses, a
	// second card with the longest title.
	if err := lec.App.Store.SetCourseCatalogue(ctx, whole, store.CatalogueOpen, "long titles on the catalogue's cards"); err != nil {
		t.Fatal(err)
	}

	for _, vp := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 390, 844}} {
		t.Run(vp.name, func(t *testing.T) {
			learner, admin := browser.New(t, 2*time.Minute), browser.New(t, 2*time.Minute)
			for _, b := range []struct {
				ctx   context.Context
				email string
			}{{learner, "lee@example.org"}, {admin, "admin@example.org"}} {
				if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(vp.w, vp.h), chromedp.Navigate(lec.Link(t, b.email, 0))); err != nil {
					t.Fatal(err)
				}
			}
			pages := []struct {
				ctx      context.Context
				path     string
				shot     string
				measure  string
				maxH     float64
				minCount int
			}{
				{learner, "/", "learner-dashboard", ".cards li", 420, 2},
				{admin, "/", "admin-own-courses", ".cards li", 420, 1},
				{admin, "/admin/courses", "admin-course-list", "tbody tr", 140, 2},
				{admin, fmt.Sprintf("/admin/courses/%d", whole), "admin-course-page", "main h1", 180, 1},
				{learner, fmt.Sprintf("/courses/%d", shortened), "learner-course-page", "main h1", 180, 1},
				{admin, fmt.Sprintf("/courses/%d", whole), "course-page-4679", "main h1", 180, 1},
			}
			for _, p := range pages {
				if err := chromedp.Do(p.ctx, chromedp.Navigate(lec.URL+p.path), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
					t.Fatalf("%s: %v", p.path, err)
				}
				problems, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](browser.PageCheck))
				if err != nil {
					t.Fatal(err)
				}
				for _, pr := range problems {
					t.Errorf("%s: %s", p.path, pr)
				}
				boxes := boxesOf(t, p.ctx, p.measure)
				if len(boxes) < p.minCount {
					t.Errorf("%s: %d × %s, want at least %d", p.path, len(boxes), p.measure, p.minCount)
				}
				for _, b := range boxes {
					if b.Height > p.maxH || b.Width > float64(vp.w) {
						t.Errorf("%s: %s is %.0f×%.0f px, want at most %.0f px high and within %d px", p.path, p.measure, b.Width, b.Height, p.maxH, vp.w)
					}
				}
				browser.Screenshot(t, p.ctx, "long-title-"+p.shot+"-"+vp.name)
			}
		})
	}
}

// writePNG writes a picture to a file for an upload field.
func writePNG(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(40 + x/8), uint8(120 + y/8), 160, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "cover.png")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCourseLifecycleInBrowser: an admin uploads a course (a draft), gives
// it a description and an image, tries it with a test launch, publishes
// it, retires it after the question, and deletes an unused course after
// the question; all without writing a record. The questions work at phone
// width too.
func TestCourseLifecycleInBrowser(t *testing.T) {
	lec := lecterntest.Start(t, nil)
	bg := context.Background()
	if _, _, err := lec.App.AddUser(bg, "admin@example.org", "Ada Admin", "admin-password-1", true); err != nil {
		t.Fatal(err)
	}
	lee := learner(t, lec, "lee@example.org")
	ctx := browser.New(t, 3*time.Minute)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(lec.Link(t, "admin@example.org", 0)),
		chromedp.Navigate(lec.URL+"/admin/courses"),
		chromedp.SetUploadFiles(css("#package"), []string{fixture.ZipDir(t, fixture.Package("scorm12-single"))}),
		chromedp.Click(css("form[data-upload] button[type=submit]")),
		chromedp.WaitVisible(css(".badge.course-draft")),
	)
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if s := text("main"); !strings.Contains(s, "The course is a draft") {
		t.Errorf("after the upload the page does not say the course is a draft:\n%s", s)
	}
	// Details and image.
	err = chromedp.Do(ctx,
		chromedp.SetValue(css("#description"), "How to brew green tea well.\nTen minutes."),
		chromedp.Click(css(`form[action$="/details"] button`)),
		chromedp.WaitVisible(css("p.description")),
		chromedp.SetUploadFiles(css("#image"), []string{writePNG(t, 1600, 900)}),
		chromedp.Click(css(`form[action$="/image"] button`)),
		chromedp.WaitVisible(css("img.course-image")),
	)
	if err != nil {
		t.Fatalf("details and image: %v", err)
	}
	if ok, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("img.course-image").naturalWidth === 1200`)); !ok {
		t.Error("the course image was not scaled to 1200 px")
	}
	browser.Screenshot(t, ctx, "lifecycle-draft-with-image")

	// Test launch: the player says nothing is recorded, the SCO runs.
	if err := chromedp.Do(ctx, chromedp.Click(css(`form[action$="/test"] button`)), chromedp.WaitVisible(css(".test-banner"))); err != nil {
		t.Fatalf("test launch: %v", err)
	}
	scoFrame(t, ctx)
	browser.Screenshot(t, ctx, "lifecycle-test-launch")
	if has, err := lec.App.Store.CourseHasRecords(bg, 1); err != nil || has {
		t.Errorf("the test launch made records: %v %v", has, err)
	}

	// Publish, then retire after the question.
	err = chromedp.Do(ctx,
		chromedp.Navigate(lec.URL+"/admin/courses/1"),
		chromedp.Click(css(`form[action$="/status"] button:not(.danger)`)),
		chromedp.WaitVisible(css(".badge.course-published")),
	)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	if _, _, err := lec.App.EnrolEmail(bg, 1, lee.Email, lms.DueInput{}); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(lec.URL+"/admin/courses/1"),
		chromedp.Click(css(`.danger-zone button.danger`)), // "Retire…": the first destructive step
		chromedp.WaitVisible(css(".confirm button.danger")),
	)
	if err != nil {
		t.Fatalf("retire: %v", err)
	}
	if h := text("h1"); !strings.HasPrefix(h, "Retire ") {
		t.Errorf("question %q, want Retire …?", h)
	}
	if co, _ := lec.App.Store.CourseByID(bg, 1); co.Status != store.CoursePublished {
		t.Fatalf("the question alone retired the course")
	}
	// Destructive buttons look destructive.
	if bg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".confirm button.danger")).backgroundColor`)); bg != "rgb(164, 22, 26)" {
		t.Errorf("the confirming button's colour is %s, want the danger red", bg)
	}
	browser.Screenshot(t, ctx, "lifecycle-retire-question")
	if err := chromedp.Do(ctx, chromedp.Click(css(".confirm button.danger")), chromedp.WaitVisible(css(".badge.course-retired"))); err != nil {
		t.Fatalf("confirm retire: %v", err)
	}
	browser.Screenshot(t, ctx, "lifecycle-retired")

	// An unused draft is deleted after the question, at phone width.
	if _, err := lec.App.Importer.Import(bg, fixture.ZipDir(t, fixture.Package("scorm12-single")), course.Options{Draft: true}); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(lec.URL+"/admin/courses/2"),
		chromedp.Click(css(`form[action$="/delete"] button`)),
		chromedp.WaitVisible(css(".confirm button.danger")),
	)
	if err != nil {
		t.Fatalf("delete: %v", err)
	}
	if problems, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](browser.PageCheck)); len(problems) > 0 {
		t.Errorf("the question at phone width: %v", problems)
	}
	browser.Screenshot(t, ctx, "lifecycle-delete-question-phone")
	if err := chromedp.Do(ctx, chromedp.Click(css(".confirm button.danger")), chromedp.WaitVisible(css("main p.ok"))); err != nil {
		t.Fatalf("confirm delete: %v", err)
	}
	if s := text("main p.ok"); !strings.Contains(s, "was deleted") {
		t.Errorf("after deleting: %q", s)
	}
	browser.Screenshot(t, ctx, "lifecycle-deleted-phone")
	if _, err := lec.App.Store.CourseByID(bg, 2); err == nil {
		t.Error("course 2 still exists")
	}
	// The learner sees the retired course he is enrolled in, with its image.
	lctx := browser.New(t, time.Minute)
	if err := chromedp.Do(lctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(lec.Link(t, lee.Email, 0)), chromedp.WaitVisible(css(".cards img.card-image"))); err != nil {
		t.Fatalf("learner: %v", err)
	}
	browser.Screenshot(t, lctx, "lifecycle-learner-phone")
}
