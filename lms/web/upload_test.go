package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/web"
)

// hostileManifest is a SCORM 1.2 manifest whose titles try to inject markup.
const hostileManifest = `<?xml version="1.0"?>
<manifest identifier="m" version="1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
 <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
 <organizations default="o"><organization identifier="o"><title>&lt;script&gt;alert(1)&lt;/script&gt;</title>
  <item identifier="i" identifierref="r"><title>"&gt;&lt;img src=x onerror=alert(2)&gt;</title></item>
 </organization></organizations>
 <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html"><file href="index.html"/></resource></resources>
</manifest>`

func (e *env) dirEntries(dir string) []string {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	return names
}

func TestUploadCourse(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	token := admin.csrf("/admin/courses")
	zip := fixture.ZipDir(t, fixture.Package("scorm12-multi"))

	r := admin.upload("/admin/courses", zip, token, true)
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var got struct {
		ID  uint   `json:"id"`
		URL string `json:"url"`
	}
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || got.ID == 0 {
		t.Fatalf("upload answer %s: %v", r.body, err)
	}
	if _, err := os.Stat(filepath.Join(e.content, "1", "1", "imsmanifest.xml")); err != nil {
		t.Errorf("content not in place: %v", err)
	}
	if left := e.dirEntries(e.staging); len(left) != 0 {
		t.Errorf("staging not empty after import: %v", left)
	}
	page := admin.get(got.URL)
	if page.status != http.StatusOK || !strings.Contains(page.body, "1.2") {
		t.Fatalf("course page: %d", page.status)
	}

	// A new version of the same course.
	if r := admin.upload("/admin/courses/1/versions", zip, token, false); r.status != http.StatusSeeOther {
		t.Fatalf("new version: %d %s", r.status, r.body)
	}
	versions, _ := e.store.CourseVersions(context.Background(), got.ID)
	if len(versions) != 2 || versions[0].Number != 2 {
		t.Fatalf("versions after second upload: %d, want 2 with newest first", len(versions))
	}
	if _, err := os.Stat(filepath.Join(e.content, "1", "2", "imsmanifest.xml")); err != nil {
		t.Errorf("version 2 content not in place: %v", err)
	}
	if r := admin.upload("/admin/courses/99/versions", zip, token, true); r.status != http.StatusNotFound {
		t.Errorf("version of a missing course: %d, want 404", r.status)
	}
}

func TestUploadRejectsBadPackages(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	token := admin.csrf("/admin/courses")
	notZip := filepath.Join(t.TempDir(), "notes.zip")
	os.WriteFile(notZip, []byte("these are not the bytes of a zip"), 0o644)
	for name, zip := range map[string]string{
		"not a zip":   notZip,
		"no manifest": fixture.ZipFiles(t, map[string]string{"index.html": "<p>hi</p>"}),
		"zip slip":    fixture.ZipFiles(t, map[string]string{"imsmanifest.xml": hostileManifest, "../evil.html": "x"}),
		"bad xml":     fixture.ZipFiles(t, map[string]string{"imsmanifest.xml": "<manifest><item></manifest>", "index.html": "x"}),
		"no launch":   fixture.ZipFiles(t, map[string]string{"imsmanifest.xml": hostileManifest}),
	} {
		t.Run(name, func(t *testing.T) {
			r := admin.upload("/admin/courses", zip, token, true)
			var got struct{ Error string }
			json.Unmarshal([]byte(r.body), &got)
			if r.status != http.StatusUnprocessableEntity || got.Error == "" || strings.Contains(got.Error, "\n") {
				t.Fatalf("status %d, error %q: want 422 and a one-line reason", r.status, got.Error)
			}
			// The plain form shows the reason on the page.
			page := admin.upload("/admin/courses", zip, token, false)
			if page.status != http.StatusUnprocessableEntity || !strings.Contains(page.body, "The package was not imported") {
				t.Errorf("form post: %d, want 422 page with the reason", page.status)
			}
			courses, _ := e.store.Courses(context.Background())
			if len(courses) != 0 {
				t.Errorf("a rejected package created %d courses", len(courses))
			}
			if left := e.dirEntries(e.staging); len(left) != 0 {
				t.Errorf("staging not empty: %v", left)
			}
			if left := e.dirEntries(e.content); len(left) != 0 {
				t.Errorf("content folder not empty: %v", left)
			}
		})
	}
}

func TestUploadLimit(t *testing.T) {
	zip := fixture.ZipDir(t, fixture.Package("scorm12-single"))
	st, _ := os.Stat(zip)
	for _, tt := range []struct {
		limit int64
		want  int
	}{
		{st.Size(), http.StatusCreated},                 // N: a file of exactly the limit
		{st.Size() - 1, http.StatusUnprocessableEntity}, // N+1: one byte over
	} {
		e := newEnv(t, func(o *web.Options) { o.MaxUploadBytes = tt.limit })
		admin := e.signedIn("admin@example.org", true)
		r := admin.upload("/admin/courses", zip, admin.csrf("/admin/courses"), true)
		if r.status != tt.want {
			t.Errorf("file of %d bytes, limit %d: status %d, want %d (%s)", st.Size(), tt.limit, r.status, tt.want, r.body)
		}
		if left := e.dirEntries(e.staging); len(left) != 0 {
			t.Errorf("staging not empty: %v", left)
		}
	}
}

func TestPackageStringsAreEscaped(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	zip := fixture.ZipFiles(t, map[string]string{"imsmanifest.xml": hostileManifest, "index.html": "<p>hi</p>"})
	if r := admin.upload("/admin/courses", zip, admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	e.publish(1)
	e.openCourse(1) // listed on the learner's dashboard, with its title
	learner := e.signedIn("learner@example.org", false)
	for _, page := range []struct {
		b    *browser
		path string
	}{{admin, "/admin/courses"}, {admin, "/admin/courses/1"}, {learner, "/"}, {learner, "/courses/1"}} {
		r := page.b.get(page.path)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", page.path, r.status)
		}
		if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img src=x") {
			t.Errorf("%s renders package markup unescaped", page.path)
		}
		if !strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the escaped title", page.path)
		}
	}
}

// TestUploadErrorShowsNoPath: an upload that fails on the server's side
// (here a staging folder that cannot be made, as with a full disk) tells
// the admin so, without any server path, on the page and in JSON (issue 9,
// finding 15).
func TestUploadErrorShowsNoPath(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	token := admin.csrf("/admin/courses")
	if err := os.WriteFile(e.staging, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	zip := fixture.ZipDir(t, fixture.Package("scorm12-single"))
	for _, asJSON := range []bool{true, false} {
		r := admin.upload("/admin/courses", zip, token, asJSON)
		if r.status < 400 {
			t.Fatalf("upload into a broken staging folder (JSON %v): %d, want a refusal", asJSON, r.status)
		}
		if strings.Contains(r.body, e.dir) || strings.Contains(r.body, os.TempDir()+"/") {
			t.Errorf("the answer (JSON %v) shows a server path:\n%s", asJSON, r.body)
		}
		if !strings.Contains(r.body, "staging folder") {
			t.Errorf("the answer (JSON %v) does not say what failed:\n%s", asJSON, r.body)
		}
	}
}
