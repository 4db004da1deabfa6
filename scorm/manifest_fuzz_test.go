package scorm

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds Parse arbitrary bytes. The seed corpus in testdata/fuzz/FuzzParse holds the
// fixture manifests and hostile ones (entities, deep nesting, broken XML, odd paths); the
// fixtures are added here as well so that the seeds follow them when they change.
func FuzzParse(f *testing.F) {
	dirs, _ := filepath.Glob(filepath.Join(fixtureDir, "*", "imsmanifest.xml"))
	nested, _ := filepath.Glob(filepath.Join(fixtureDir, "*", "*", "imsmanifest.xml"))
	for _, name := range append(dirs, nested...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			var me *ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("error %T %q, want *ManifestError", err, err)
			}
			if p != nil {
				t.Fatal("Parse returned a package along with an error")
			}
			return
		}
		checkPackageConsistent(t, p)
	})
}

// checkPackageConsistent asserts what every parsed package promises its users.
func checkPackageConsistent(t *testing.T, p *Package) {
	t.Helper()
	if p.Edition == EditionUnknown {
		t.Error("Edition is unknown on a parsed package")
	}
	if p.DefaultOrg == nil {
		t.Fatal("DefaultOrg is nil")
	}
	found := false
	for _, o := range p.Organizations {
		found = found || o == p.DefaultOrg
	}
	if !found {
		t.Error("DefaultOrg is not one of Organizations")
	}
	resources := map[*Resource]bool{}
	for _, r := range p.Resources {
		resources[r] = true
		if r.Launch != "" && r.LaunchErr != nil {
			t.Errorf("resource %q has both Launch %q and LaunchErr %v", r.Identifier, r.Launch, r.LaunchErr)
		}
		for _, f := range append([]string{LaunchFile(r.Launch)}, r.Files...) {
			if f == ".." || strings.HasPrefix(f, "../") || strings.HasPrefix(f, "/") || strings.Contains(f, "/../") {
				t.Errorf("resource %q names %q, which leaves the package root", r.Identifier, f)
			}
		}
	}
	items := p.Items()
	var files []string
	testable := true
	for _, it := range items {
		switch {
		case it.Resource == nil && it.Launch != "":
			t.Errorf("item %q has Launch %q but no resource", it.Identifier, it.Launch)
		case it.Resource != nil && !resources[it.Resource]:
			t.Errorf("item %q has a resource that is not in Resources", it.Identifier)
		case it.Resource != nil && it.Resource.Identifier != it.IdentifierRef:
			t.Errorf("item %q refers to %q but got resource %q", it.Identifier, it.IdentifierRef, it.Resource.Identifier)
		}
		if f := LaunchFile(it.Launch); f != "" {
			files = append(files, f)
			testable = testable && !strings.HasSuffix(f, "/")
		}
	}
	if s, l := p.SCOCount(), p.LaunchableCount(); s > len(p.Resources) || l > len(items) {
		t.Errorf("SCOCount %d, LaunchableCount %d, resources %d, items %d: want SCOs <= resources, launchable <= items", s, l, len(p.Resources), len(items))
	}

	// With every launch file present, Check fails only when nothing can be launched or a
	// resource href is unusable.
	unusable := false
	for _, it := range items {
		unusable = unusable || it.Resource != nil && it.Resource.LaunchErr != nil
	}
	err := Check(p, files)
	if wantErr := p.LaunchableCount() == 0 || unusable; testable && (err != nil) != wantErr {
		t.Errorf("Check with every launch file = %v; want an error: %t", err, wantErr)
	}
}
