package course_test

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/scorm"
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
	// No <organizations>: Lectern builds the tree from the SCO resources.
	"neg-scorm12-moodle-singlescobasic-missingorg.zip": "organization",
}

// incomplete lists corpus zips that hold the manifest but not the files it
// launches (analysis.json lists them as missing_referenced). Lectern refuses
// a package whose launch file is missing, naming the file; the counts are
// checked on the parsed manifest instead. The complete ADL packages import
// (see the conformance suite).
var incomplete = map[string]string{
	"neg-scorm2004v2-emp-no-schemaversion.zip":          "index.html",
	"scorm2004v4-adlcts-CO-03-completion-threshold.zip": "resources/SequencingTest.htm",
	"scorm2004v4-adlcts-DDMa-shared-data.zip":           "resources/SequencingTest.htm",
	"scorm2004v4-adlcts-T-01b-large-sequencing.zip":     "resources/SequencingTest.htm",
}

// manifestWarnings: what parsing these must warn about, whether or not the
// package imports.
var manifestWarnings = map[string]string{
	"neg-scorm2004v2-emp-no-schemaversion.zip": "schemaversion",
	"scorm12-moodle-complexscorm.zip":          "default organization",
}

// launchableReasons lists packages where Lectern's launchable count differs
// from analysis.json on purpose, and why.
var launchableReasons = map[string]struct {
	want   int
	reason string
}{
	"neg-scorm12-emp-item-nonexistent-resource.zip":    {1, "analysis.json counts items with an identifierref; one names no resource, so only one item can launch"},
	"neg-scorm12-moodle-singlescobasic-missingorg.zip": {1, "analysis.json finds no items without an organization; Lectern builds one item per SCO resource"},
}

// parseZipManifest reads and parses the manifest of a zip directly.
func parseZipManifest(t *testing.T, path string) *scorm.Package {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	f, err := zr.Open("imsmanifest.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := scorm.Parse(data)
	if err != nil {
		t.Fatalf("parse manifest: %v", err)
	}
	return pkg
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
			_, known := acceptedNegatives[name]
			if _, inc := incomplete[name]; strings.HasPrefix(name, "neg-") && !known && !inc {
				t.Fatalf("negative case %s has no stated expectation", name)
			}
			pkg := parseZipManifest(t, zip)
			if words, ok := manifestWarnings[name]; ok && !strings.Contains(strings.Join(pkg.Warnings, "\n"), words) {
				t.Errorf("manifest warnings %q lack %q", pkg.Warnings, words)
			}
			if missing, ok := incomplete[name]; ok {
				var rej *course.RejectedError
				if !errors.As(err, &rej) || !strings.Contains(rej.Reason, missing) {
					t.Fatalf("err %v: want rejected naming the missing %s", err, missing)
				}
				res = &course.Result{SCOCount: pkg.SCOCount(), LaunchableCount: pkg.LaunchableCount()}
				err = nil
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
		})
	}
	courses, err := st.Courses(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d of %d corpus packages imported", len(courses), len(zips))
}
