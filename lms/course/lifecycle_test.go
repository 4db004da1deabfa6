package course_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/store"
)

func TestCheckTitle(t *testing.T) {
	long := fixture.LongTitle()
	tests := []struct {
		name, in  string
		max       int
		want      string
		wantWarn  bool
		wantRunes int // of the result, when want is ""
	}{
		{"fits", "Fire safety", 200, "Fire safety", false, 0},
		{"trimmed", "  Fire \t safety\r\n ", 200, "Fire safety", false, 0},
		{"line breaks become spaces", "Tea\r\nBcc: x@evil.example\u2028more", 200, "Tea Bcc: x@evil.example more", false, 0},
		{"at the limit", strings.Repeat("a", 200), 200, strings.Repeat("a", 200), false, 0},
		{"one over", strings.Repeat("a", 201), 200, "", true, 200},
		{"runes, not bytes", strings.Repeat("é", 200), 200, strings.Repeat("é", 200), false, 0},
		{"the 4,679-character title", long, 200, "", true, 200},
		{"invalid UTF-8", "Tea\xff", 200, "Tea\uFFFD", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warn := course.CheckTitle(tt.in, tt.max)
			if (warn != "") != tt.wantWarn {
				t.Errorf("warning %q, want one: %v", warn, tt.wantWarn)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if tt.wantRunes != 0 {
				if n := utf8.RuneCountInString(got); n > tt.wantRunes || !strings.HasSuffix(got, "…") {
					t.Errorf("got %d characters %q, want at most %d ending with …", n, got, tt.wantRunes)
				}
			}
		})
	}
	_, warn := course.CheckTitle(long, 200)
	if !strings.Contains(warn, "4,679 characters") || !strings.Contains(warn, "at most 200") || !strings.Contains(warn, "Rename") {
		t.Errorf("warning %q does not say what happened and what to do", warn)
	}
}

// TestImportLongTitle: a package with a 4,679-character title is imported
// with a shortened title and a warning, as a draft when asked; a rename
// survives new versions.
func TestImportLongTitle(t *testing.T) {
	st, im := newImporter(t)
	im.TitleMax = 120
	ctx := context.Background()
	zip := fixture.Titled(t, fixture.Package("scorm12-single"), fixture.LongTitle())
	res, err := im.Import(ctx, zip, course.Options{Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	co, err := st.CourseByID(ctx, *res.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := utf8.RuneCountInString(co.Title); n > 120 || co.Title != res.Title {
		t.Errorf("course title has %d characters (%q), result %q; want at most 120, the same", n, co.Title, res.Title)
	}
	if co.Status != store.CourseDraft {
		t.Errorf("status %q, want draft", co.Status)
	}
	v, _ := st.VersionByID(ctx, *co.CurrentVersionID)
	if len(v.Warnings) == 0 || !strings.Contains(v.Warnings[len(v.Warnings)-1], "4,679") {
		t.Errorf("version warnings %q lack the title warning", v.Warnings)
	}
	// A new version takes its package's title until an admin renames the
	// course; after that, the admin's title stays.
	if _, err := im.Import(ctx, fixture.Titled(t, fixture.Package("scorm12-single"), "Second"), course.Options{CourseID: co.ID}); err != nil {
		t.Fatal(err)
	}
	if co, _ = st.CourseByID(ctx, co.ID); co.Title != "Second" {
		t.Errorf("after a new version the title is %q, want the package's", co.Title)
	}
	if err := st.UpdateCourseDetails(ctx, co.ID, store.CourseDetails{Title: "Workplace hazards"}); err != nil {
		t.Fatal(err)
	}
	if _, err := im.Import(ctx, fixture.Titled(t, fixture.Package("scorm12-single"), "Third"), course.Options{CourseID: co.ID}); err != nil {
		t.Fatal(err)
	}
	if co, _ = st.CourseByID(ctx, co.ID); co.Title != "Workplace hazards" || co.Status != store.CourseDraft {
		t.Errorf("after a rename and a new version: %q %s, want the admin's title, still a draft", co.Title, co.Status)
	}
	// Without Draft (the Go API's default) a course is published.
	res, err = im.Import(ctx, fixture.ZipDir(t, fixture.Package("scorm12-single")), course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if co, _ = st.CourseByID(ctx, *res.ID); co.Status != store.CoursePublished {
		t.Errorf("status %q, want published", co.Status)
	}
}

func pngOf(t *testing.T, w, h int, alpha uint8) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), 90, alpha})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestProcessImage(t *testing.T) {
	photo := func(w, h int) []byte {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = byte(i * 7)
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, nil); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	var gifBuf bytes.Buffer
	pal := image.NewPaletted(image.Rect(0, 0, 40, 30), []color.Color{color.White, color.Black})
	if err := gif.Encode(&gifBuf, pal, nil); err != nil {
		t.Fatal(err)
	}
	small := pngOf(t, 64, 48, 200)
	// A real image with a script after it: the bytes served are Lectern's
	// own encoding, so the tail is gone.
	polyglot := append(append([]byte{}, small...), []byte("<script>alert(document.cookie)</script>")...)
	// 1×1 WebP (lossless), as browsers and phones make them.
	webp := []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")

	tests := []struct {
		name     string
		data     []byte
		lim      course.ImageLimits
		wantType string
		wantW    int
		wantErr  string
	}{
		{"png with alpha", small, course.ImageLimits{}, "image/png", 64, ""},
		{"jpeg photo, scaled down", photo(1600, 400), course.ImageLimits{}, "image/jpeg", course.ImageMaxSide, ""},
		{"gif", gifBuf.Bytes(), course.ImageLimits{}, "image/png", 40, ""},
		{"webp", webp, course.ImageLimits{}, "image/png", 1, ""},
		{"polyglot", polyglot, course.ImageLimits{}, "image/png", 64, ""},
		{"size at the limit", small, course.ImageLimits{MaxBytes: int64(len(small))}, "image/png", 64, ""},
		{"size one over", small, course.ImageLimits{MaxBytes: int64(len(small)) - 1}, "", 0, "larger than the limit"},
		{"pixels at the limit", small, course.ImageLimits{MaxPixels: 64 * 48}, "image/png", 64, ""},
		{"pixels one over", small, course.ImageLimits{MaxPixels: 64*48 - 1}, "", 0, "64 × 48 pixels"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>`), course.ImageLimits{}, "", 0, "not a PNG, JPEG, GIF or WebP"},
		{"html named .png", []byte("<!doctype html><script>alert(1)</script>"), course.ImageLimits{}, "", 0, "not a PNG"},
		{"empty", nil, course.ImageLimits{}, "", 0, "empty"},
		{"truncated png", small[:60], course.ImageLimits{}, "", 0, "cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := course.ProcessImage(bytes.NewReader(tt.data), tt.lim)
			if tt.wantErr != "" {
				if !errors.Is(err, course.ErrImage) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want ErrImage saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if img.ContentType != tt.wantType || img.Width != tt.wantW {
				t.Errorf("got %s %d×%d, want %s %d wide", img.ContentType, img.Width, img.Height, tt.wantType, tt.wantW)
			}
			// What is stored decodes as what it says it is, and is not the upload.
			cfg, format, err := image.DecodeConfig(bytes.NewReader(img.Data))
			if err != nil || "image/"+format != img.ContentType || cfg.Width != img.Width {
				t.Errorf("stored image: %v %s %d, want a %s %d wide", err, format, cfg.Width, img.ContentType, img.Width)
			}
			if bytes.Contains(img.Data, []byte("<script")) {
				t.Error("the stored image still holds the script")
			}
			if len(img.Hash) != 16 {
				t.Errorf("hash %q", img.Hash)
			}
		})
	}
}

// TestDeleteCourseContent: deleting a course without records removes its
// content folders; one with records is refused and keeps everything.
func TestDeleteCourseContent(t *testing.T) {
	st, im := newImporter(t)
	ctx := context.Background()
	res, err := im.Import(ctx, fixture.ZipDir(t, fixture.Package("scorm12-single")), course.Options{Draft: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := im.Import(ctx, fixture.ZipDir(t, fixture.Package("scorm12-single")), course.Options{CourseID: *res.ID}); err != nil {
		t.Fatal(err)
	}
	kept, err := im.Import(ctx, fixture.ZipDir(t, fixture.Package("scorm12-single")), course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	u := &store.User{Email: "lee@example.org", Name: "Lee", PasswordHash: "x"}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Enrol(ctx, u.ID, *kept.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := im.Delete(ctx, *kept.ID); !errors.Is(err, store.ErrHasRecords) {
		t.Fatalf("deleting a course with an enrolment: %v, want ErrHasRecords", err)
	}
	if err := im.Delete(ctx, *res.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(im.ContentDir, "1")); !os.IsNotExist(err) {
		t.Errorf("content of the deleted course: %v, want gone", err)
	}
	if got := entries(t, im.ContentDir); len(got) != 1 || got[0] != "2" {
		t.Errorf("content folder holds %v, want only the kept course's", got)
	}
	if _, err := st.CourseByID(ctx, *res.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted course: %v, want not found", err)
	}
}
