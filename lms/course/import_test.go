package course_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm"
)

func newImporter(t *testing.T) (*store.Store, *course.Importer) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.OpenSQLite(filepath.Join(dir, "lectern.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, &course.Importer{
		Store:      st,
		ContentDir: filepath.Join(dir, "content"),
		StagingDir: filepath.Join(dir, "staging"),
		Limits:     scorm.DefaultLimits(),
	}
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestImportFixtures(t *testing.T) {
	tests := []struct {
		pkg        string
		edition    string
		scos       int
		launchable int
	}{
		{"scorm12-single", "1.2", 1, 1},
		{"scorm12-multi", "1.2", 3, 6},
		{"scorm2004v3-seq", "2004 3rd Edition", -1, -1},
		{"scorm2004v4-seq", "2004 4th Edition", -1, -1},
		{"scorm12-topfolder", "1.2", -1, -1},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			st, im := newImporter(t)
			zip := fixture.ZipDir(t, fixture.Package(tt.pkg))
			res, err := im.Import(context.Background(), zip, course.Options{})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if res.Version != tt.edition {
				t.Errorf("version %q, want %q", res.Version, tt.edition)
			}
			if tt.scos >= 0 && (res.SCOCount != tt.scos || res.LaunchableCount != tt.launchable) {
				t.Errorf("counts %d SCOs / %d launchable, want %d / %d", res.SCOCount, res.LaunchableCount, tt.scos, tt.launchable)
			}
			if res.SCOCount == 0 || res.LaunchableCount == 0 {
				t.Errorf("counts %d/%d: fixture should launch something", res.SCOCount, res.LaunchableCount)
			}
			v, err := st.VersionByID(context.Background(), 1)
			if err != nil {
				t.Fatal(err)
			}
			items, _ := st.VersionItems(context.Background(), v.ID)
			launchable := 0
			for _, it := range items {
				if it.Launch != "" {
					launchable++
					path := filepath.Join(im.ContentDir, v.ContentDir, filepath.FromSlash(stripQuery(it.Launch)))
					if _, err := os.Stat(path); err != nil {
						t.Errorf("item %s launches %s: %v", it.Identifier, it.Launch, err)
					}
				}
			}
			if launchable != res.LaunchableCount {
				t.Errorf("%d launchable rows stored, result says %d", launchable, res.LaunchableCount)
			}
			if left := entries(t, im.StagingDir); len(left) != 0 {
				t.Errorf("staging not empty: %v", left)
			}
		})
	}
}

func stripQuery(s string) string {
	for i, r := range s {
		if r == '?' || r == '#' {
			return s[:i]
		}
	}
	return s
}

func TestImportCheckOnlyStoresNothing(t *testing.T) {
	st, im := newImporter(t)
	res, err := im.Import(context.Background(), fixture.ZipDir(t, fixture.Package("scorm12-single")), course.Options{CheckOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != nil {
		t.Errorf("check-only result has id %d", *res.ID)
	}
	if cs, _ := st.Courses(context.Background()); len(cs) != 0 {
		t.Errorf("check-only stored %d courses", len(cs))
	}
	if left := entries(t, im.ContentDir); len(left) != 0 {
		t.Errorf("check-only wrote content: %v", left)
	}
}

// A failure while moving content into place rolls the database back and
// leaves no files.
func TestImportInstallFailureLeavesNothing(t *testing.T) {
	st, im := newImporter(t)
	if err := os.MkdirAll(im.ContentDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// A file where the course folder must go makes the move fail.
	if err := os.WriteFile(filepath.Join(im.ContentDir, "1"), []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := im.Import(context.Background(), fixture.ZipDir(t, fixture.Package("scorm12-single")), course.Options{})
	if err == nil {
		t.Fatal("import succeeded although the content folder could not be made")
	}
	var rej *course.RejectedError
	if errors.As(err, &rej) {
		t.Errorf("an I/O failure was reported as a bad package: %v", err)
	}
	if cs, _ := st.Courses(context.Background()); len(cs) != 0 {
		t.Errorf("%d courses stored after a failed install", len(cs))
	}
	if left := entries(t, im.StagingDir); len(left) != 0 {
		t.Errorf("staging not empty: %v", left)
	}
}

func TestImportNewVersion(t *testing.T) {
	st, im := newImporter(t)
	ctx := context.Background()
	zip := fixture.ZipDir(t, fixture.Package("scorm12-single"))
	first, err := im.Import(ctx, zip, course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := im.Import(ctx, fixture.ZipDir(t, fixture.Package("scorm12-multi")), course.Options{CourseID: *first.ID})
	if err != nil {
		t.Fatal(err)
	}
	if *second.ID != *first.ID || second.CourseVersion != 2 {
		t.Errorf("second import: course %d version %d, want course %d version 2", *second.ID, second.CourseVersion, *first.ID)
	}
	vs, _ := st.CourseVersions(ctx, *first.ID)
	if len(vs) != 2 {
		t.Fatalf("%d versions, want 2", len(vs))
	}
	c, _ := st.CourseByID(ctx, *first.ID)
	if c.CurrentVersionID == nil || *c.CurrentVersionID != vs[0].ID {
		t.Errorf("current version %v, want the newest (%d)", c.CurrentVersionID, vs[0].ID)
	}
	for _, v := range vs {
		if _, err := os.Stat(filepath.Join(im.ContentDir, v.ContentDir, "imsmanifest.xml")); err != nil {
			t.Errorf("version %d content: %v", v.Number, err)
		}
	}
	_, err = im.Import(ctx, zip, course.Options{CourseID: 99})
	var rej *course.RejectedError
	if !errors.As(err, &rej) {
		t.Errorf("version of a missing course: %v, want rejected", err)
	}
}
