package course_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/course"
)

// TestImportErrorsShowNoPaths: an import that fails on the server's side (a
// staging folder that cannot be made, a content folder that cannot be
// written) says so without showing any server path (issue 9, finding 15).
func TestImportErrorsShowNoPaths(t *testing.T) {
	zip := fixture.ZipDir(t, fixture.Package("scorm12-single"))
	for _, tc := range []struct {
		name    string
		breakIt func(im *course.Importer)
	}{
		{"staging folder is a file", func(im *course.Importer) {
			if err := os.WriteFile(im.StagingDir, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"staging folder inside a file", func(im *course.Importer) {
			if err := os.WriteFile(im.StagingDir, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			im.StagingDir = filepath.Join(im.StagingDir, "deeper")
		}},
		{"content folder is a file", func(im *course.Importer) {
			if err := os.WriteFile(im.ContentDir, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, im := newImporter(t)
			tc.breakIt(im)
			_, err := im.Import(context.Background(), zip, course.Options{})
			if err == nil {
				t.Fatal("the import succeeded")
			}
			root := filepath.Dir(filepath.Dir(im.StagingDir))
			if msg := err.Error(); strings.Contains(msg, root) || strings.Contains(msg, os.TempDir()) || strings.Contains(msg, zip) {
				t.Errorf("error %q shows a server path", msg)
			}
		})
	}
}

// TestHidePaths: the folder a path lies in becomes its name, a package file
// its name in the package, any other absolute path its last element.
func TestHidePaths(t *testing.T) {
	staging, content := "/var/lib/lectern/staging", "/var/lib/lectern/content"
	folders := []course.Folder{{staging + "/import-123/package", "the package:"}, {staging + "/import-123", "the staging folder"},
		{staging, "the staging folder"}, {content, "the content folder"}, {"relative", "never"}}
	for _, tc := range []struct{ in, want string }{
		{"import: write /var/lib/lectern/staging/import-123/package/media/v.mp4: no space left on device",
			"import: write the package: media/v.mp4: no space left on device"},
		{"import: mkdir /var/lib/lectern/staging: not a directory", "import: mkdir the staging folder: not a directory"},
		{`rename "/var/lib/lectern/staging/import-123/x" /var/lib/lectern/content/1/2: file exists`,
			`rename "the staging folder x" the content folder 1/2: file exists`},
		{"open /home/admin/upload-77.zip: permission denied", "open upload-77.zip: permission denied"},
		{`create "C:\data\lectern\a.html": denied`, `create "a.html": denied`},
		{"SCORM 1.2/2004 and relative/path stay", "SCORM 1.2/2004 and relative/path stay"},
	} {
		if got := course.HidePaths(tc.in, folders...); got != tc.want {
			t.Errorf("HidePaths(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}
