package course_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lectern/lectern/lms/course"
)

// corpusDir is the shared corpus of real packages written by others. Its path
// comes from LECTERN_TEST_CORPUS; CI sets it, so there the test cannot skip.
func corpusDir(t *testing.T) string {
	dir := os.Getenv("LECTERN_TEST_CORPUS")
	if dir == "" {
		t.Skip("SKIP corpus test: set LECTERN_TEST_CORPUS to ../shared/scorm-corpus to run it")
	}
	if _, err := os.Stat(filepath.Join(dir, "analysis.json")); err != nil {
		t.Fatalf("LECTERN_TEST_CORPUS=%s: %v", dir, err)
	}
	return dir
}

type analysis struct {
	SchemaVersion   *string `json:"schemaversion"`
	SCOCount        *int    `json:"sco_count"`
	LaunchableItems *int    `json:"launchable_items"`
}

// negatives: how each robustness case must be answered (INDEX.md), as words
// the one-line reason must contain.
var negatives = map[string]string{
	// Lectern accepts a zip whose single top folder holds the manifest; this
	// one's manifest is then a bare XML declaration, so it is still rejected.
	"neg-moodle-badscorm-manifest-in-subdir.zip": "imsmanifest.xml",
	"neg-moodle-invalid-no-manifest.zip":         "no imsmanifest.xml",
	"neg-moodle-validaicc-not-scorm.zip":         "AICC",
	"neg-moodle-validscorm-stub-manifest.zip":    "imsmanifest.xml",
	"neg-scorm12-emp-malformed-xml.zip":          "line 27",
	"neg-scorm12-emp-missing-launch-url.zip":     "nothing to launch",
}

// accepted negatives: imported, with a warning containing these words.
var acceptedNegatives = map[string]string{
	"neg-scorm12-emp-item-nonexistent-resource.zip": "non_existent_resource",
	"neg-scorm2004v2-emp-no-schemaversion.zip":      "schemaversion",
}

// launchableReasons lists packages where Lectern's launchable count differs
// from analysis.json on purpose, and why.
var launchableReasons = map[string]struct {
	want   int
	reason string
}{
	"neg-scorm12-emp-item-nonexistent-resource.zip": {1, "analysis.json counts items with an identifierref; one names no resource, so only one item can launch"},
}

func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	raw, err := os.ReadFile(filepath.Join(dir, "analysis.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]analysis
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	zips, _ := filepath.Glob(filepath.Join(dir, "*.zip"))
	if len(zips) != len(all) {
		t.Errorf("%d zips, %d entries in analysis.json", len(zips), len(all))
	}
	st, im := newImporter(t)
	for _, zip := range zips {
		name := filepath.Base(zip)
		t.Run(strings.TrimSuffix(name, ".zip"), func(t *testing.T) {
			res, err := im.Import(context.Background(), zip, course.Options{Filename: name})
			if want, ok := negatives[name]; ok {
				var rej *course.RejectedError
				if !errors.As(err, &rej) {
					t.Fatalf("imported (err %v), want rejected with %q", err, want)
				}
				if !strings.Contains(strings.ToLower(rej.Reason), strings.ToLower(want)) || strings.Contains(rej.Reason, "\n") {
					t.Errorf("reason %q, want one line containing %q", rej.Reason, want)
				}
				return
			}
			if !strings.HasPrefix(name, "neg-") && !strings.HasPrefix(name, "scorm") {
				t.Fatalf("unexpected corpus file %s", name)
			}
			if strings.HasPrefix(name, "neg-") {
				if _, ok := acceptedNegatives[name]; !ok && name != "neg-scorm12-moodle-singlescobasic-missingorg.zip" {
					t.Fatalf("negative case %s has no stated expectation", name)
				}
			}
			if name == "neg-scorm12-moodle-singlescobasic-missingorg.zip" {
				// No organizations: Lectern builds the tree from the resources,
				// but this package's SCO launches a file the zip lacks.
				var rej *course.RejectedError
				if !errors.As(err, &rej) || !strings.Contains(rej.Reason, "sso/launchpage.html") {
					t.Fatalf("err %v: want rejected for the missing launch file", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			a := all[name]
			if a.SCOCount != nil && res.SCOCount != *a.SCOCount {
				t.Errorf("scoCount %d, analysis.json %d", res.SCOCount, *a.SCOCount)
			}
			wantLaunch := -1
			if a.LaunchableItems != nil {
				wantLaunch = *a.LaunchableItems
			}
			if r, ok := launchableReasons[name]; ok {
				wantLaunch = r.want
			}
			if res.LaunchableCount != wantLaunch {
				t.Errorf("launchableCount %d, want %d", res.LaunchableCount, wantLaunch)
			}
			if words, ok := acceptedNegatives[name]; ok && !strings.Contains(strings.Join(res.Warnings, "\n"), words) {
				t.Errorf("warnings %q lack %q", res.Warnings, words)
			}
			if a.SchemaVersion != nil && res.Version == "" {
				t.Errorf("no edition")
			}
		})
	}
	courses, err := st.Courses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of %d corpus packages imported", len(courses), len(zips))
}
