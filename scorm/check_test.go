package scorm

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestCheckLaunchFiles(t *testing.T) {
	tests := []struct {
		name    string
		href    string
		files   []string
		wantErr string // "" for success
	}{
		{"present", "index.html", []string{"imsmanifest.xml", "index.html"}, ""},
		{"present in a folder", "a/b.html?x=1", []string{"a/b.html"}, ""},
		{"listed with ./", "index.html", []string{"./index.html"}, ""},
		{"percent-escaped name", "my%20page.html", []string{"my page.html"}, ""},
		{"escaped percent in the name", "100%25.html", []string{"100%.html"}, ""},
		{"file named with what looks like an escape", "a%20b.html", []string{"a%20b.html"}, ""},
		{"hosted elsewhere", "https://cdn.example.com/x.html", nil, ""},
		{"case mismatch", "Index.html", []string{"index.html"},
			`item "item" launches "Index.html", but the package has "index.html" (file names are case-sensitive on the web server)`},
		{"missing", "start.html", []string{"index.html"}, `item "item" launches "start.html", which is not in the package`},
		{"a folder is not a file", "lessons/", []string{"lessons/", "lessons/index.html"}, `item "item" launches "lessons/", which is not in the package`},
		{"outside the package", "../index.html", []string{"index.html"}, `item "item" launches "../index.html", which points outside the package`},
		{"under an xml:base outside the package", `index.html" xml:base="../x`, []string{"index.html"},
			`item "item" launches "index.html", which is under an xml:base ("../x/") that points outside the package`},
		{"scheme other than http", "javascript:go()", nil, `item "item" launches "javascript:go()", which is not a web address or a file in the package`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, scorm12Manifest(strings.Replace(oneSCO, `href="index.html"`, `href="`+tt.href+`"`, 1)))
			err := Check(p, tt.files)
			got := ""
			if err != nil {
				got = err.Error()
				var me *ManifestError
				if !errors.As(err, &me) {
					t.Errorf("error %T, want *ManifestError", err)
				}
			}
			if got != tt.wantErr {
				t.Errorf("Check = %q, want %q", got, tt.wantErr)
			}
		})
	}
}

func TestCheckSummarisesLaunchProblems(t *testing.T) {
	items := ""
	for i := range 3 {
		items += fmt.Sprintf(`<item identifier="i%d" identifierref="res"><title>L</title></item>`, i)
	}
	body := strings.Replace(oneSCO, `<item identifier="item" identifierref="res"><title>Lesson</title></item>`, items, 1)
	p := mustParse(t, scorm12Manifest(body))
	err := Check(p, nil)
	want := `item "i0" launches "index.html", which is not in the package (and 2 more launch problems)`
	if err == nil || err.Error() != want {
		t.Errorf("Check = %v, want %q", err, want)
	}
}

func TestCheckMissingFileWarnings(t *testing.T) {
	var files string
	for i := range 13 {
		files += fmt.Sprintf(`<file href="img/%02d.png"/>`, i)
	}
	files += `<file href="Style.css"/><file href="index.html"/>`
	body := strings.Replace(oneSCO, `href="index.html"/>`, `href="index.html">`+files+`</resource>`, 1)
	p := mustParse(t, scorm12Manifest(body))
	if err := Check(p, []string{"index.html", "style.css", "img/05.png"}); err != nil {
		t.Fatalf("Check: %v", err)
	}
	want := []string{
		`resource "res" lists "img/00.png", which is not in the package`,
		`resource "res" lists "img/01.png", which is not in the package`,
		`resource "res" lists "img/02.png", which is not in the package`,
		`resource "res" lists "img/03.png", which is not in the package`,
		`resource "res" lists "img/04.png", which is not in the package`,
		`resource "res" lists "img/06.png", which is not in the package`,
		`resource "res" lists "img/07.png", which is not in the package`,
		`resource "res" lists "img/08.png", which is not in the package`,
		`resource "res" lists "img/09.png", which is not in the package`,
		`resource "res" lists "img/10.png", which is not in the package`,
		`3 more files listed in the manifest are not in the package`,
	}
	if !slices.Equal(p.Warnings, want) {
		t.Errorf("Warnings =\n%s\nwant\n%s", strings.Join(p.Warnings, "\n"), strings.Join(want, "\n"))
	}

	// A case mismatch among the first ten gets the hint.
	p = mustParse(t, scorm12Manifest(strings.Replace(oneSCO, `href="index.html"/>`, `href="index.html"><file href="Style.css"/></resource>`, 1)))
	if err := Check(p, []string{"index.html", "style.css"}); err != nil {
		t.Fatalf("Check: %v", err)
	}
	hint := `resource "res" lists "Style.css", but the package has "style.css" (file names are case-sensitive on the web server)`
	if !slices.Equal(p.Warnings, []string{hint}) {
		t.Errorf("Warnings = %q, want [%q]", p.Warnings, hint)
	}
}

// An item whose resource does not exist is only a warning while another item can launch.
func TestCheckItemWithoutResource(t *testing.T) {
	body := strings.Replace(oneSCO, `<item identifier="item"`,
		`<item identifier="lost" identifierref="nowhere"><title>Lost</title></item><item identifier="item"`, 1)
	p := mustParse(t, scorm12Manifest(body))
	if err := Check(p, []string{"index.html"}); err != nil {
		t.Fatalf("Check: %v", err)
	}
	want := `item "lost" points at resource "nowhere", which does not exist; the item cannot be launched`
	if !slices.Equal(p.Warnings, []string{want}) {
		t.Errorf("Warnings = %q, want [%q]", p.Warnings, want)
	}
	if got := p.LaunchableCount(); got != 1 {
		t.Errorf("LaunchableCount() = %d, want 1", got)
	}
}

func TestCheckNothingToLaunch(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"SCO without href", strings.Replace(oneSCO, ` href="index.html"`, ``, 1),
			`nothing to launch: item "item" points at resource "res", which has no href`},
		{"item pointing nowhere", strings.Replace(oneSCO, `identifierref="res"`, `identifierref="nope"`, 1),
			`nothing to launch: item "item" points at resource "nope", which does not exist`},
		{"no items", `<organizations><organization identifier="o"><title>Empty</title></organization></organizations><resources/>`,
			`nothing to launch: the course outline has no item that links to a resource`},
		{"no organization and no resource with an href", `<organizations/><resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco"/></resources>`,
			`nothing to launch: the course outline has no item that links to a resource`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, scorm12Manifest(tt.body))
			err := Check(p, []string{"index.html"})
			if err == nil || err.Error() != tt.want {
				t.Errorf("Check = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestCheckNilPackage(t *testing.T) {
	if err := Check(nil, nil); err == nil {
		t.Error("Check(nil) = nil, want an error")
	}
}
