package scorm

import (
	"bytes"
	"errors"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// fixtureDir holds the package folders the project wrote itself, one unzipped package each.
const fixtureDir = "../testdata/packages"

// parseFixture parses a fixture's manifest and lists its files as the extractor would give them.
func parseFixture(t testing.TB, dir string) (*Package, []string) {
	t.Helper()
	root := filepath.Join(fixtureDir, dir)
	data, err := os.ReadFile(filepath.Join(root, "imsmanifest.xml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse(%s): %v", dir, err)
	}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return p, files
}

// scorm12Manifest wraps body (organizations and resources) in a SCORM 1.2 manifest.
func scorm12Manifest(body string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="test.manifest" version="1"
    xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
` + body + "\n</manifest>\n")
}

const ns2004 = `xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
    xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"
    xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
    xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3"
    xmlns:imsss="http://www.imsglobal.org/xsd/imsss"`

// scorm2004Manifest wraps body in a SCORM 2004 4th Edition manifest.
func scorm2004Manifest(body string) []byte {
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="test.manifest" version="1" ` + ns2004 + `>
  <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
` + body + "\n</manifest>\n")
}

// oneSCO is the smallest course outline: one item launching one SCO.
const oneSCO = `<organizations default="org"><organization identifier="org"><title>Course</title>
  <item identifier="item" identifierref="res"><title>Lesson</title></item>
</organization></organizations>
<resources><resource identifier="res" type="webcontent" adlcp:scormtype="sco" href="index.html"/></resources>`

func mustParse(t *testing.T, data []byte) *Package {
	t.Helper()
	p, err := Parse(data)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return p
}

func findItem(t *testing.T, p *Package, id string) *Item {
	t.Helper()
	for _, org := range p.Organizations {
		stack := slices.Clone(org.Items)
		for len(stack) > 0 {
			it := stack[0]
			stack = append(stack[1:], it.Children...)
			if it.Identifier == id {
				return it
			}
		}
	}
	t.Fatalf("no item %q", id)
	return nil
}

func TestManifestFixtures(t *testing.T) {
	tests := []struct {
		dir                          string
		edition                      Edition
		identifier, title            string
		items, scos, launchable, res int
	}{
		{"scorm12-single", SCORM12, "lectern.fixture.scorm12.single", "Brewing Green Tea", 1, 1, 1, 1},
		{"scorm12-multi", SCORM12, "lectern.fixture.scorm12.multi", "Knots for Sailors", 7, 3, 6, 4},
		{"scorm12-topfolder/course", SCORM12, "lectern.fixture.scorm12.topfolder", "Folding a Paper Crane", 1, 1, 1, 1},
		{"scorm2004v3-seq", SCORM2004v3, "lectern.fixture.scorm2004v3.seq", "Reading the Night Sky", 4, 2, 3, 3},
		{"scorm2004v4-seq", SCORM2004v4, "lectern.fixture.scorm2004v4.seq", "First Aid Basics", 5, 2, 4, 3},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			p, files := parseFixture(t, tt.dir)
			if p.Edition != tt.edition {
				t.Errorf("Edition = %v, want %v", p.Edition, tt.edition)
			}
			if p.Identifier != tt.identifier {
				t.Errorf("Identifier = %q, want %q", p.Identifier, tt.identifier)
			}
			if p.Title != tt.title {
				t.Errorf("Title = %q, want %q", p.Title, tt.title)
			}
			if got := len(p.Items()); got != tt.items {
				t.Errorf("len(Items()) = %d, want %d", got, tt.items)
			}
			if got := p.SCOCount(); got != tt.scos {
				t.Errorf("SCOCount() = %d, want %d", got, tt.scos)
			}
			if got := p.LaunchableCount(); got != tt.launchable {
				t.Errorf("LaunchableCount() = %d, want %d", got, tt.launchable)
			}
			if got := len(p.Resources); got != tt.res {
				t.Errorf("len(Resources) = %d, want %d", got, tt.res)
			}
			if err := Check(p, files); err != nil {
				t.Errorf("Check: %v", err)
			}
			if len(p.Warnings) > 0 {
				t.Errorf("Warnings = %q, want none", p.Warnings)
			}
		})
	}
}

func TestEditionFromSchemaVersion(t *testing.T) {
	tests := []struct {
		schemaversion string
		want          Edition
	}{
		{"1.2", SCORM12},
		{"  1.2\n", SCORM12},
		{"CAM 1.3", SCORM2004v2},
		{"cam 1.3", SCORM2004v2},
		{"2004 2nd Edition", SCORM2004v2},
		{"2004 3rd Edition", SCORM2004v3},
		{"2004 3rd edition", SCORM2004v3},
		{"2004 4th Edition", SCORM2004v4},
		{"SCORM 2004 4th Edition", SCORM2004v4},
		{"2004  4th\tEdition", SCORM2004v4},
	}
	for _, tt := range tests {
		// 1.2 namespaces throughout: the stated schemaversion wins over them.
		data := bytes.Replace(scorm12Manifest(oneSCO), []byte("<schemaversion>1.2<"), []byte("<schemaversion>"+tt.schemaversion+"<"), 1)
		p := mustParse(t, data)
		if p.Edition != tt.want {
			t.Errorf("schemaversion %q: Edition = %v, want %v", tt.schemaversion, p.Edition, tt.want)
		}
		if len(p.Warnings) > 0 {
			t.Errorf("schemaversion %q: Warnings = %q, want none", tt.schemaversion, p.Warnings)
		}
	}
}

func TestEditionInferred(t *testing.T) {
	tests := []struct {
		name          string
		schemaversion string // "" leaves <metadata> out
		namespaces    string
		extra         string // inside the item
		want          Edition
		wantWarning   string
	}{
		{"1.2 namespace", "", `xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"`,
			"", SCORM12, "no <schemaversion>; treating it as SCORM 1.2 because it uses the SCORM 1.2 namespace adlcp_rootv1p2"},
		{"adlcp_v1p3", "", `xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3"`,
			"", SCORM2004v3, "treating it as SCORM 2004 3rd Edition because it uses the SCORM 2004 namespaces (adlcp_v1p3)"},
		{"imsss only", "", `xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:imsss="http://www.imsglobal.org/xsd/imsss"`,
			"", SCORM2004v3, "(imsss)"},
		{"2nd edition manifest with an odd adlcp namespace", "",
			`xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p2" xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss"`,
			"", SCORM2004v3, "(adlnav_v1p3, imsss)"},
		{"shared data is 4th edition", "", ns2004,
			`<adlcp:data><adlcp:map targetID="t"/></adlcp:data>`, SCORM2004v4, "shared data (adlcp:data), which only the 4th edition has"},
		{"completionThreshold attributes are 4th edition", "", ns2004,
			`<adlcp:completionThreshold minProgressMeasure="0.5"/>`, SCORM2004v4, "completionThreshold attributes"},
		{"adlseq objectives are 4th edition", "", ns2004,
			`<imsss:sequencing><adlseq:objectives><adlseq:objective objectiveID="o"/></adlseq:objectives></imsss:sequencing>`, SCORM2004v4, "adlseq:objectives"},
		{"unknown schemaversion", "SCORM 2005", `xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2"`,
			"", SCORM12, `<schemaversion> "SCORM 2005" is not a SCORM version; treating it as SCORM 1.2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			meta := ""
			if tt.schemaversion != "" {
				meta = "<metadata><schemaversion>" + tt.schemaversion + "</schemaversion></metadata>"
			}
			data := `<manifest identifier="m" ` + tt.namespaces + `>` + meta + `
<organizations default="o"><organization identifier="o"><title>T</title>
<item identifier="i" identifierref="r"><title>I</title>` + tt.extra + `</item></organization></organizations>
<resources><resource identifier="r" type="webcontent" adlcp:scormType="sco" href="a.html"/></resources></manifest>`
			p := mustParse(t, []byte(data))
			if p.Edition != tt.want {
				t.Errorf("Edition = %v, want %v", p.Edition, tt.want)
			}
			if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], tt.wantWarning) {
				t.Errorf("Warnings = %q, want one containing %q", p.Warnings, tt.wantWarning)
			}
		})
	}
}

func TestEditionString(t *testing.T) {
	tests := []struct {
		e      Edition
		want   string
		is2004 bool
	}{
		{EditionUnknown, "unknown", false},
		{SCORM12, "1.2", false},
		{SCORM2004v2, "2004 2nd Edition", true},
		{SCORM2004v3, "2004 3rd Edition", true},
		{SCORM2004v4, "2004 4th Edition", true},
	}
	for _, tt := range tests {
		if got := tt.e.String(); got != tt.want {
			t.Errorf("Edition(%d).String() = %q, want %q", tt.e, got, tt.want)
		}
		if got := tt.e.Is2004(); got != tt.is2004 {
			t.Errorf("%v.Is2004() = %t, want %t", tt.e, got, tt.is2004)
		}
	}
}

func TestManifestDefaultOrganization(t *testing.T) {
	orgs := func(def, title1, title2 string) string {
		return `<organizations` + def + `>
<organization identifier="o1"><title>` + title1 + `</title><item identifier="i1" identifierref="r"><title>A</title></item></organization>
<organization identifier="o2"><title>` + title2 + `</title><item identifier="i2" identifierref="r"><title>B</title></item></organization>
</organizations><resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="a.html"/></resources>`
	}
	tests := []struct {
		name, body     string
		wantOrg, title string
		wantWarnings   []string
	}{
		{"default names the second", orgs(` default="o2"`, "First", "Second"), "o2", "Second", nil},
		{"no default attribute", orgs(``, "First", "Second"), "o1", "First", nil},
		{"default names nothing", orgs(` default="gone"`, "First", "Second"), "o1", "First",
			[]string{`the default organization "gone" does not exist; using "o1"`}},
		{"untitled default falls back to the first title", orgs(` default="o2"`, "First", ""), "o2", "First", nil},
		{"no titles at all give the manifest identifier", orgs(` default="o2"`, "", ""), "o2", "test.manifest", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, scorm12Manifest(tt.body))
			if p.DefaultOrg.Identifier != tt.wantOrg {
				t.Errorf("DefaultOrg = %q, want %q", p.DefaultOrg.Identifier, tt.wantOrg)
			}
			if p.Title != tt.title {
				t.Errorf("Title = %q, want %q", p.Title, tt.title)
			}
			if !slices.Equal(p.Warnings, tt.wantWarnings) {
				t.Errorf("Warnings = %q, want %q", p.Warnings, tt.wantWarnings)
			}
			if len(p.Organizations) != 2 {
				t.Errorf("len(Organizations) = %d, want 2", len(p.Organizations))
			}
		})
	}
}

// A manifest without organizations gets an outline built from its resources, so that the
// package can still be used (the decision for the missing-organization corpus case).
func TestManifestWithoutOrganizations(t *testing.T) {
	resources := `<resources>
<resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="one.html"/>
<resource identifier="common" type="webcontent" adlcp:scormtype="asset"><file href="style.css"/></resource>
<resource identifier="r2" type="webcontent" adlcp:scormtype="sco" href="two/index.html"/>
</resources>`
	tests := []struct {
		name, body  string
		wantItems   []string
		wantLaunch  []string
		wantWarning string
	}{
		{"empty organizations", `<organizations/>` + resources, []string{"r1", "r2"}, []string{"one.html", "two/index.html"},
			"the manifest has no organization; the course outline was built from its 2 SCO resource(s)"},
		{"no organizations element", resources, []string{"r1", "r2"}, []string{"one.html", "two/index.html"},
			"the manifest has no organization; the course outline was built from its 2 SCO resource(s)"},
		{"only assets", `<organizations/><resources><resource identifier="a" type="webcontent" adlcp:scormtype="asset" href="page.html"/></resources>`,
			[]string{"a"}, []string{"page.html"}, "built from its 1 launchable resource(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, scorm12Manifest(tt.body))
			var ids, launches []string
			for _, it := range p.Items() {
				ids = append(ids, it.Identifier)
				launches = append(launches, it.Launch)
			}
			if !slices.Equal(ids, tt.wantItems) {
				t.Errorf("items = %q, want %q", ids, tt.wantItems)
			}
			if !slices.Equal(launches, tt.wantLaunch) {
				t.Errorf("launches = %q, want %q", launches, tt.wantLaunch)
			}
			if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], tt.wantWarning) {
				t.Errorf("Warnings = %q, want one containing %q", p.Warnings, tt.wantWarning)
			}
			if p.DefaultOrg == nil || len(p.Organizations) != 1 || p.Organizations[0] != p.DefaultOrg {
				t.Errorf("the built organization must be the default and the only one")
			}
		})
	}
}

func TestManifestItemTree(t *testing.T) {
	p, _ := parseFixture(t, "scorm12-multi")
	type node struct {
		id      string
		depth   int
		visible bool
		launch  string
	}
	var got []node
	var add func([]*Item, int)
	add = func(items []*Item, depth int) {
		for _, it := range items {
			got = append(got, node{it.Identifier, depth, it.Visible, it.Launch})
			add(it.Children, depth+1)
		}
	}
	add(p.DefaultOrg.Items, 0)
	want := []node{
		{"sec_basics", 0, true, ""},
		{"itm_intro", 1, true, "intro/index.html?lang=en"},
		{"itm_bowline", 1, true, "knots/knots.html?knot=bowline"},
		{"itm_cleat", 1, true, "knots/knots.html?knot=cleat#step1"},
		{"itm_glossary", 0, true, "glossary.html"},
		{"itm_quiz", 0, true, "quiz/quiz.html?set=a&attempt=final"},
		{"itm_answers", 0, false, "quiz/quiz.html?set=a#answers"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("tree =\n%v\nwant\n%v", got, want)
	}
	var flat []string
	for _, it := range p.Items() {
		flat = append(flat, it.Identifier)
	}
	if want := []string{"sec_basics", "itm_intro", "itm_bowline", "itm_cleat", "itm_glossary", "itm_quiz", "itm_answers"}; !slices.Equal(flat, want) {
		t.Errorf("Items() = %q, want %q (depth first)", flat, want)
	}
	quiz := findItem(t, p, "itm_quiz")
	if quiz.Resource == nil || quiz.Resource.Identifier != "res_quiz" || !slices.Equal(quiz.Resource.Dependencies, []string{"res_glossary"}) {
		t.Errorf("itm_quiz resource = %+v, want res_quiz depending on res_glossary", quiz.Resource)
	}
}

func TestManifestDeepItemTree(t *testing.T) {
	const depth = 40 // well past real courses, within MaxManifestDepth
	body := strings.Repeat(`<item identifier="x"><title>Level</title>`, depth) + strings.Repeat(`</item>`, depth)
	body = strings.Replace(body, `<item identifier="x">`, `<item identifier="top">`, 1)
	p := mustParse(t, scorm12Manifest(`<organizations><organization identifier="o"><title>T</title>`+body+`</organization></organizations>`))
	if got := len(p.Items()); got != depth {
		t.Errorf("len(Items()) = %d, want %d", got, depth)
	}
}

func TestManifestSCORM12Extensions(t *testing.T) {
	score := func(f float64) *float64 { return &f }
	type ext struct {
		mastery                                       *float64
		maxTime, timeLimitAction, dataFromLMS, prereq string
	}
	tests := []struct {
		name        string
		item        string // the item's extension elements
		want        ext
		wantWarning string
	}{
		{"lower case as in the schema", `<adlcp:prerequisites type="aicc_script">a &amp; b</adlcp:prerequisites>
			<adlcp:maxtimeallowed>00:20:00</adlcp:maxtimeallowed><adlcp:timelimitaction>exit,message</adlcp:timelimitaction>
			<adlcp:datafromlms> level=2 </adlcp:datafromlms><adlcp:masteryscore>75</adlcp:masteryscore>`,
			ext{score(75), "00:20:00", "exit,message", "level=2", "a & b"}, ""},
		{"camel case as some tools write it", `<adlcp:masteryScore>80.5</adlcp:masteryScore><adlcp:maxTimeAllowed>01:00:00</adlcp:maxTimeAllowed>
			<adlcp:timeLimitAction>continue,no message</adlcp:timeLimitAction><adlcp:dataFromLMS>x</adlcp:dataFromLMS>`,
			ext{score(80.5), "01:00:00", "continue,no message", "x", ""}, ""},
		{"mastery score that is not a number", `<adlcp:masteryscore>eighty</adlcp:masteryscore>`,
			ext{}, `item "item": masteryscore "eighty" is not a number; ignoring it`},
		{"empty mastery score", `<adlcp:masteryscore> </adlcp:masteryscore>`, ext{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(oneSCO, `<title>Lesson</title>`, `<title>Lesson</title>`+tt.item, 1)
			p := mustParse(t, scorm12Manifest(body))
			it := findItem(t, p, "item")
			got := ext{it.MasteryScore, it.MaxTimeAllowed, it.TimeLimitAction, it.DataFromLMS, it.Prerequisites}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("extensions = %+v, want %+v", got, tt.want)
			}
			if tt.wantWarning == "" && len(p.Warnings) > 0 || tt.wantWarning != "" && !slices.Contains(p.Warnings, tt.wantWarning) {
				t.Errorf("Warnings = %q, want %q", p.Warnings, tt.wantWarning)
			}
		})
	}

	p, _ := parseFixture(t, "scorm12-single")
	it := findItem(t, p, "item_brew")
	want := ext{score(75), "00:20:00", "continue,message", "lang=en;level=beginner", ""}
	if got := (ext{it.MasteryScore, it.MaxTimeAllowed, it.TimeLimitAction, it.DataFromLMS, it.Prerequisites}); !reflect.DeepEqual(got, want) {
		t.Errorf("fixture item_brew extensions = %+v, want %+v", got, want)
	}
}

func TestManifestSCORM2004Extensions(t *testing.T) {
	v4, _ := parseFixture(t, "scorm2004v4-seq")
	v3, _ := parseFixture(t, "scorm2004v3-seq")
	tests := []struct {
		name      string
		item      *Item
		threshold *CompletionThreshold
		shared    []SharedData
		hide      []string
	}{
		{"4th edition threshold, shared data, presentation", findItem(t, v4, "itm_scene"),
			&CompletionThreshold{CompletedByMeasure: true, MinProgressMeasure: 0.8, ProgressWeight: 2},
			[]SharedData{{TargetID: "lectern.fixture.aid.notes", ReadSharedData: true, WriteSharedData: true}},
			[]string{"continue", "previous"}},
		{"shared data defaults", findItem(t, v4, "itm_cpr"), nil,
			[]SharedData{{TargetID: "lectern.fixture.aid.notes", ReadSharedData: true, WriteSharedData: false}}, nil},
		{"3rd edition threshold as text", findItem(t, v3, "itm_moon"),
			&CompletionThreshold{CompletedByMeasure: true, MinProgressMeasure: 0.75, ProgressWeight: 1}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.item.CompletionThreshold, tt.threshold) {
				t.Errorf("CompletionThreshold = %+v, want %+v", tt.item.CompletionThreshold, tt.threshold)
			}
			if !slices.Equal(tt.item.SharedData, tt.shared) {
				t.Errorf("SharedData = %+v, want %+v", tt.item.SharedData, tt.shared)
			}
			var hide []string
			if tt.item.Presentation != nil {
				hide = tt.item.Presentation.HideLMSUI
			}
			if !slices.Equal(hide, tt.hide) {
				t.Errorf("HideLMSUI = %q, want %q", hide, tt.hide)
			}
		})
	}
	if org := v4.DefaultOrg; org.ObjectivesGlobalToSystem || org.SharedDataGlobalToSystem {
		t.Errorf("org_aid globals = %t, %t; want false, false", org.ObjectivesGlobalToSystem, org.SharedDataGlobalToSystem)
	}
	if org := findOrg(v3.Organizations, "org_sky"); org.ObjectivesGlobalToSystem || !org.SharedDataGlobalToSystem {
		t.Errorf("org_sky globals = %t, %t; want false, true", org.ObjectivesGlobalToSystem, org.SharedDataGlobalToSystem)
	}
	if it := findItem(t, v4, "itm_test_a"); it.Visible {
		t.Errorf("itm_test_a Visible = true, want false")
	}

	empty := mustParse(t, scorm2004Manifest(strings.Replace(oneSCO, `<title>Lesson</title>`, `<title>Lesson</title><adlcp:completionThreshold/>`, 1)))
	want := &CompletionThreshold{MinProgressMeasure: 1, ProgressWeight: 1}
	if got := findItem(t, empty, "item").CompletionThreshold; !reflect.DeepEqual(got, want) {
		t.Errorf("empty completionThreshold = %+v, want the defaults %+v", got, want)
	}
}

func TestManifestScormTypeSpellings(t *testing.T) {
	tests := []struct {
		attr, want, wantWarning string
	}{
		{`adlcp:scormtype="sco"`, "sco", ""},
		{`adlcp:scormType="sco"`, "sco", ""},
		{`adlcp:SCORMTYPE="SCO"`, "sco", ""},
		{`adlcp:scormtype=" Asset "`, "asset", ""},
		{`xmlns:a="http://www.adlnet.org/xsd/adlcp_rootv1p2" a:scormType="asset"`, "asset", ""},
		{`adlcp:scormtype="lesson"`, "", `resource "res" has adlcp:scormType "lesson"; expected "sco" or "asset"`},
		{``, "", ""},
	}
	for _, tt := range tests {
		body := strings.Replace(oneSCO, `adlcp:scormtype="sco"`, tt.attr, 1)
		p := mustParse(t, scorm12Manifest(body))
		if got := p.Resources[0].ScormType; got != tt.want {
			t.Errorf("%s: ScormType = %q, want %q", tt.attr, got, tt.want)
		}
		var want []string
		if tt.wantWarning != "" {
			want = []string{tt.wantWarning}
		}
		if !slices.Equal(p.Warnings, want) {
			t.Errorf("%s: Warnings = %q, want %q", tt.attr, p.Warnings, want)
		}
	}
}

func TestManifestResourceFields(t *testing.T) {
	p, _ := parseFixture(t, "scorm2004v3-seq")
	var lesson *Resource
	for _, r := range p.Resources {
		if r.Identifier == "res_lesson" {
			lesson = r
		}
	}
	if lesson == nil {
		t.Fatal("no res_lesson")
	}
	want := Resource{
		Identifier: "res_lesson", Type: "webcontent", ScormType: "sco", Href: "lesson.html",
		Base:         "content/lessons/",
		Files:        []string{"content/lessons/lesson.html", "content/lessons/moon.svg"},
		Dependencies: []string{"res_common"},
		Launch:       "content/lessons/lesson.html",
	}
	if !reflect.DeepEqual(*lesson, want) {
		t.Errorf("res_lesson =\n%+v\nwant\n%+v", *lesson, want)
	}
}

// TestItemLaunch joins xml:base on manifest, resources and resource with the resource href and
// the item parameters.
func TestItemLaunch(t *testing.T) {
	tests := []struct {
		name                                 string
		manifestBase, resourcesBase, resBase string
		href, params                         string
		want                                 string
		wantErr                              bool
	}{
		{name: "plain", href: "index.html", want: "index.html"},
		{name: "parameters with ?", href: "index.html", params: "?a=1", want: "index.html?a=1"},
		{name: "parameters with &", href: "index.html", params: "&a=1&b=2", want: "index.html?a=1&b=2"},
		{name: "bare parameters", href: "index.html", params: "a=1", want: "index.html?a=1"},
		{name: "href with a query", href: "index.html?b=2", params: "?a=1", want: "index.html?b=2&a=1"},
		{name: "fragment parameters", href: "index.html", params: "#part2", want: "index.html#part2"},
		{name: "fragment parameters when href has one", href: "index.html#top", params: "#part2", want: "index.html#top"},
		{name: "query goes before the href's fragment", href: "index.html#top", params: "a=1", want: "index.html?a=1#top"},
		{name: "blank parameters", href: "index.html", params: "  ?  ", want: "index.html"},
		{name: "all three bases", manifestBase: "course/", resourcesBase: "content/", resBase: "lessons/", href: "one.html",
			want: "course/content/lessons/one.html"},
		{name: "base without a slash names a folder", resBase: "lessons", href: "one.html", want: "lessons/one.html"},
		{name: "dot segments", resourcesBase: "./content/", href: "./a/./b.html", want: "content/a/b.html"},
		{name: "dot-dot inside the package", resBase: "lessons/", href: "../shared/a.html", want: "shared/a.html"},
		{name: "root-relative href", resBase: "lessons/", href: "/start.html", want: "start.html"},
		{name: "backslashes", href: `lessons\one.html`, want: "lessons/one.html"},
		{name: "percent escapes kept", href: "my%20page.html", params: "a=1", want: "my%20page.html?a=1"},
		{name: "absolute URL", href: "https://cdn.example.com/course/x.html", params: "a=1", want: "https://cdn.example.com/course/x.html?a=1"},
		{name: "absolute base", manifestBase: "https://cdn.example.com/c/", href: "x.html", want: "https://cdn.example.com/c/x.html"},
		{name: "href escaping the root", href: "../../etc/passwd", wantErr: true},
		{name: "base escaping the root", resBase: "../", href: "index.html", wantErr: true},
		{name: "javascript href", href: "javascript:alert(1)", wantErr: true},
		{name: "file URL", href: "file:///etc/passwd", wantErr: true},
	}
	base := func(v string) string {
		if v == "" {
			return ""
		}
		return ` xml:base="` + v + `"`
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := `<manifest identifier="m"` + base(tt.manifestBase) + ` xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
<metadata><schemaversion>1.2</schemaversion></metadata>
<organizations><organization identifier="o"><title>T</title>
<item identifier="i" identifierref="r" parameters="` + html.EscapeString(tt.params) + `"><title>I</title></item></organization></organizations>
<resources` + base(tt.resourcesBase) + `><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="` + tt.href + `"` + base(tt.resBase) + `/></resources></manifest>`
			p := mustParse(t, []byte(data))
			it := p.Items()[0]
			if it.Launch != tt.want {
				t.Errorf("Launch = %q, want %q", it.Launch, tt.want)
			}
			if gotErr := it.Resource.LaunchErr != nil; gotErr != tt.wantErr {
				t.Errorf("LaunchErr = %v, want error: %t", it.Resource.LaunchErr, tt.wantErr)
			}
		})
	}
}

func TestManifestSequencing(t *testing.T) {
	v3, _ := parseFixture(t, "scorm2004v3-seq")
	v4, _ := parseFixture(t, "scorm2004v4-seq")
	org := v3.DefaultOrg.Sequencing
	lessons := findItem(t, v3, "itm_lessons").Sequencing
	quiz := findItem(t, v3, "itm_quiz").Sequencing
	moon := findItem(t, v3, "itm_moon").Sequencing
	planets := findItem(t, v3, "itm_planets").Sequencing
	test := findItem(t, v4, "itm_test").Sequencing
	scene := findItem(t, v4, "itm_scene").Sequencing
	one := 1

	tests := []struct {
		name      string
		got, want any
	}{
		{"org controlMode", org.ControlMode, ControlMode{Choice: false, ChoiceExit: true, Flow: true, ForwardOnly: true,
			UseCurrentAttemptObjectiveInfo: true, UseCurrentAttemptProgressInfo: true}},
		{"org rollup rules", org.RollupRules.Rules, []RollupRule{{
			ChildActivitySet: "atLeastCount", MinimumCount: 1, ConditionCombination: "all",
			Conditions: []RollupCondition{{"noOp", "satisfied"}, {"not", "attemptLimitExceeded"}}, Action: "completed"}}},
		{"lessons rollup attributes", [3]any{lessons.RollupRules.RollupObjectiveSatisfied, lessons.RollupRules.RollupProgressCompletion,
			lessons.RollupRules.ObjectiveMeasureWeight}, [3]any{true, true, 0.5}},
		{"lessons rollup rule defaults", lessons.RollupRules.Rules, []RollupRule{{ChildActivitySet: "all", ConditionCombination: "any",
			Conditions: []RollupCondition{{"noOp", "completed"}}, Action: "satisfied"}}},
		{"lessons primary objective", lessons.PrimaryObjective, &Objective{ID: "lessons_done", MinNormalizedMeasure: 1,
			MapInfo: []MapInfo{{TargetObjectiveID: "lectern.fixture.sky.lessons_done", ReadSatisfiedStatus: true,
				ReadNormalizedMeasure: true, WriteSatisfiedStatus: true}}}},
		{"quiz precondition", quiz.PreConditionRules, []SequencingRule{{ConditionCombination: "any", Conditions: []RuleCondition{
			{ReferencedObjective: "lessons_done", Operator: "not", Condition: "satisfied"},
			{ReferencedObjective: "lessons_done", Operator: "not", Condition: "objectiveStatusKnown"}}, Action: "disabled"}}},
		{"quiz postcondition", quiz.PostConditionRules, []SequencingRule{{ConditionCombination: "all", Conditions: []RuleCondition{
			{MeasureThreshold: 0.7, Operator: "noOp", Condition: "objectiveMeasureLessThan"},
			{Operator: "not", Condition: "attemptLimitExceeded"}}, Action: "retry"}}},
		{"quiz limits", quiz.LimitConditions, LimitConditions{AttemptLimit: 3, AttemptAbsoluteDurationLimit: "PT1H"}},
		{"quiz primary objective", quiz.PrimaryObjective, &Objective{ID: "quiz_passed", SatisfiedByMeasure: true, MinNormalizedMeasure: 0.7}},
		{"quiz objectives", quiz.Objectives, []Objective{{ID: "lessons_done", MinNormalizedMeasure: 1, MapInfo: []MapInfo{
			{TargetObjectiveID: "lectern.fixture.sky.lessons_done", ReadSatisfiedStatus: true}}}}},
		{"quiz delivery", quiz.DeliveryControls, DeliveryControls{Tracked: true, CompletionSetByContent: true, ObjectiveSetByContent: true}},
		{"IDRef brings the collection set", [3]any{moon.IDRef, moon.RollupRules.RollupObjectiveSatisfied, moon.PrimaryObjective.ID},
			[3]any{"seq_lesson", false, "lesson_seen"}},
		{"IDRef set delivery", moon.DeliveryControls, DeliveryControls{Tracked: true, CompletionSetByContent: true, ObjectiveSetByContent: true}},
		{"local element overrides the IDRef set", planets.DeliveryControls, DeliveryControls{Tracked: true, CompletionSetByContent: true}},
		{"and keeps the rest of it", [2]any{planets.RollupRules.RollupObjectiveSatisfied, planets.PrimaryObjective.ID}, [2]any{false, "lesson_seen"}},
		{"collection", [2]any{len(v3.SequencingCollection), v3.SequencingCollection[0].ID}, [2]any{1, "seq_lesson"}},
		{"exit condition rule", test.ExitConditionRules, []SequencingRule{{ConditionCombination: "all",
			Conditions: []RuleCondition{{Operator: "noOp", Condition: "satisfied"}}, Action: "exit"}}},
		{"randomization", test.RandomizationControls, RandomizationControls{RandomizationTiming: "onEachNewAttempt", SelectCount: &one,
			ReorderChildren: true, SelectionTiming: "onEachNewAttempt"}},
		{"constrained choice", test.ConstrainedChoiceConsiderations, ConstrainedChoiceConsiderations{PreventActivation: true, ConstrainChoice: true}},
		{"rollup considerations", test.RollupConsiderations, RollupConsiderations{RequiredForSatisfied: "ifAttempted",
			RequiredForNotSatisfied: "always", RequiredForCompleted: "ifNotSkipped", RequiredForIncomplete: "always"}},
		{"adlseq objectives", scene.ADLObjectives, []ADLObjective{{ObjectiveID: "scene_obj", MapInfo: []ADLMapInfo{{
			TargetObjectiveID: "lectern.fixture.aid.scene", ReadMinScore: true, ReadMaxScore: true, ReadCompletionStatus: true,
			ReadProgressMeasure: true, WriteCompletionStatus: true, WriteProgressMeasure: true}}}}},
		{"imsss objectives next to adlseq ones", scene.PrimaryObjective.ID, "scene_obj"},
	}
	for _, tt := range tests {
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, tt.got, tt.want)
		}
	}
}

func TestManifestSequencingDefaults(t *testing.T) {
	body := strings.Replace(oneSCO, `<title>Lesson</title>`, `<title>Lesson</title><imsss:sequencing/>`, 1)
	p := mustParse(t, scorm2004Manifest(strings.ReplaceAll(body, "scormtype", "scormType")))
	got := *findItem(t, p, "item").Sequencing
	want := *DefaultSequencing()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("empty <sequencing> =\n%+v\nwant the defaults\n%+v", got, want)
	}
	if cm := want.ControlMode; !cm.Choice || !cm.ChoiceExit || cm.Flow || cm.ForwardOnly {
		t.Errorf("default controlMode = %+v, want choice and choiceExit only", cm)
	}
	if !want.DeliveryControls.Tracked || want.RollupRules.ObjectiveMeasureWeight != 1 || !want.RollupConsiderations.MeasureSatisfactionIfActive {
		t.Errorf("defaults = %+v, want tracked, weight 1, measureSatisfactionIfActive", want)
	}
}

func TestManifestSequencingWarnings(t *testing.T) {
	tests := []struct {
		name, seq   string
		wantWarning string
	}{
		{"letter case is forgiven", `<imsss:sequencing><imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions>
			<imsss:ruleCondition condition="Satisfied"/></imsss:ruleConditions><imsss:ruleAction action="SKIP"/></imsss:preConditionRule>
			</imsss:sequencingRules></imsss:sequencing>`, ""},
		{"unknown condition", `<imsss:sequencing><imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions>
			<imsss:ruleCondition condition="happy"/></imsss:ruleConditions><imsss:ruleAction action="skip"/></imsss:preConditionRule>
			</imsss:sequencingRules></imsss:sequencing>`, `item "item": <ruleCondition condition="happy"> is not one of`},
		{"post action on a precondition", `<imsss:sequencing><imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions>
			<imsss:ruleCondition condition="always"/></imsss:ruleConditions><imsss:ruleAction action="exitAll"/></imsss:preConditionRule>
			</imsss:sequencingRules></imsss:sequencing>`, `<ruleAction action="exitAll"> is not one of skip, disabled`},
		{"bad boolean", `<imsss:sequencing><imsss:controlMode flow="yes"/></imsss:sequencing>`,
			`item "item": <controlMode flow="yes"> is not true or false; using false`},
		{"IDRef to nothing", `<imsss:sequencing IDRef="missing"/>`,
			`item "item": its sequencing refers to "missing", which the sequencing collection does not have`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(oneSCO, `<title>Lesson</title>`, `<title>Lesson</title>`+tt.seq, 1)
			p := mustParse(t, scorm2004Manifest(strings.ReplaceAll(body, "scormtype", "scormType")))
			switch {
			case tt.wantWarning == "" && len(p.Warnings) > 0:
				t.Errorf("Warnings = %q, want none", p.Warnings)
			case tt.wantWarning != "" && (len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], tt.wantWarning)):
				t.Errorf("Warnings = %q, want one containing %q", p.Warnings, tt.wantWarning)
			}
		})
	}
	p := mustParse(t, scorm2004Manifest(strings.Replace(oneSCO, `<title>Lesson</title>`, `<title>Lesson</title>`+tests[0].seq, 1)))
	s := findItem(t, p, "item").Sequencing.PreConditionRules[0]
	if s.Conditions[0].Condition != "satisfied" || s.Action != "skip" {
		t.Errorf("rule = %+v, want condition and action in the spelling of the specification", s)
	}
}

func TestManifestRejects(t *testing.T) {
	deep := func(n int) []byte {
		return []byte(`<?xml version="1.0"?>` + strings.Repeat("<item>", n) + strings.Repeat("</item>", n))
	}
	tests := []struct {
		name      string
		data      []byte
		wantMsg   string
		wantLine  int
		wantCol   int // checked when wantLine > 0
		wantNoPos bool
	}{
		{name: "billion laughs", data: []byte(`<?xml version="1.0"?>
<!DOCTYPE manifest [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<manifest identifier="&lol3;"/>`), wantMsg: "the manifest declares a DTD/entities, which SCORM manifests never need", wantLine: 6, wantCol: 3},
		{name: "external entity", data: []byte(`<?xml version="1.0"?>
<!DOCTYPE manifest [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<manifest identifier="x"><metadata><schemaversion>&xxe;</schemaversion></metadata></manifest>`),
			wantMsg: "declares a DTD/entities", wantLine: 2},
		{name: "external DTD", data: []byte(`<!DOCTYPE manifest SYSTEM "http://example.com/evil.dtd"><manifest/>`),
			wantMsg: "declares a DTD/entities", wantLine: 1},
		{name: "undeclared entity", data: []byte("<manifest>\n<title>&nbsp;</title></manifest>"),
			wantMsg: "not well-formed XML: invalid character entity &nbsp;", wantLine: 2},
		{name: "50 MB", data: append([]byte("<manifest>"), bytes.Repeat([]byte(" "), 50<<20)...),
			wantMsg: "imsmanifest.xml is 50.0 MB; a manifest may be at most 8.0 MB", wantNoPos: true},
		// The error position proves the scan stopped at the limit instead of reading on.
		{name: "100,000 levels deep", data: deep(100_000),
			wantMsg: "elements are nested more than 64 deep", wantLine: 1, wantCol: len(`<?xml version="1.0"?>`) + 65*len("<item>") + 1},
		{name: "unclosed item", data: []byte(`<?xml version="1.0"?>
<manifest identifier="m" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <organizations>
    <organization identifier="o">
      <item identifier="i">
      <title>T</title>
    </organization>
  </organizations>
</manifest>`), wantMsg: "not well-formed XML: element <item> closed by </organization>", wantLine: 7, wantCol: 20},
		{name: "stub manifest", data: []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n"),
			wantMsg: "imsmanifest.xml is not well-formed XML: it has no elements at all (no <manifest>)", wantNoPos: true},
		{name: "empty file", data: nil, wantMsg: "it has no elements at all", wantNoPos: true},
		{name: "two roots", data: []byte("<manifest/>\n<manifest/>"), wantMsg: "a second top-level element <manifest>", wantLine: 2},
		{name: "not a manifest", data: []byte(`<html><body>hello</body></html>`),
			wantMsg: "not a SCORM manifest: the root element is <html>, not <manifest>", wantNoPos: true},
		{name: "plain IMS content package", data: []byte(`<manifest identifier="cp" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1">
<organizations/><resources><resource identifier="r" type="webcontent" href="a.html"/></resources></manifest>`),
			wantMsg: "not a SCORM manifest: it has no <schemaversion> and uses no SCORM (ADL) namespace", wantNoPos: true},
		{name: "unknown schemaversion and no ADL namespace", data: []byte(`<manifest><metadata><schemaversion>CP 1.1.4</schemaversion></metadata></manifest>`),
			wantMsg: `not a SCORM manifest: its <schemaversion> is "CP 1.1.4"`, wantNoPos: true},
		{name: "unknown encoding", data: []byte(`<?xml version="1.0" encoding="x-klingon"?><manifest/>`),
			wantMsg: `declares the character encoding "x-klingon", which Lectern cannot read`, wantNoPos: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.data)
			if err == nil {
				t.Fatalf("Parse succeeded (title %q), want an error", p.Title)
			}
			if p != nil {
				t.Errorf("Parse returned a package with its error")
			}
			var me *ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("error %T %q, want *ManifestError", err, err)
			}
			if !strings.Contains(me.Msg, tt.wantMsg) {
				t.Errorf("Msg = %q, want it to contain %q", me.Msg, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Error() = %q, want one line", err)
			}
			switch {
			case tt.wantNoPos && me.Line != 0:
				t.Errorf("position = %d:%d, want none", me.Line, me.Col)
			case tt.wantLine > 0 && me.Line != tt.wantLine:
				t.Errorf("Line = %d, want %d", me.Line, tt.wantLine)
			case tt.wantCol > 0 && me.Col != tt.wantCol:
				t.Errorf("Col = %d, want %d", me.Col, tt.wantCol)
			}
		})
	}
}

func TestManifestErrorText(t *testing.T) {
	tests := []struct {
		err  *ManifestError
		want string
	}{
		{&ManifestError{Msg: "not well-formed XML: element <item> closed by </organization>", Line: 27, Col: 20},
			"imsmanifest.xml line 27, column 20: not well-formed XML: element <item> closed by </organization>"},
		{&ManifestError{Msg: "nothing to launch: the course outline has no item that links to a resource"},
			"nothing to launch: the course outline has no item that links to a resource"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestManifestEncodings(t *testing.T) {
	const title = "Café Crème"
	body := strings.Replace(oneSCO, "<title>Course</title>", "<title>"+title+"</title>", 1)
	utf8Manifest := scorm12Manifest(body)
	utf16le := func(s string) []byte {
		out := []byte{0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(s)) {
			out = append(out, byte(u), byte(u>>8))
		}
		return out
	}
	latin1 := bytes.Replace(bytes.Replace(utf8Manifest, []byte(`encoding="UTF-8"`), []byte(`encoding="ISO-8859-1"`), 1),
		[]byte(title), []byte("Caf\xe9 Cr\xe8me"), 1)
	tests := []struct {
		name string
		data []byte
	}{
		{"UTF-8", utf8Manifest},
		{"UTF-8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, utf8Manifest...)},
		{"CRLF line ends", bytes.ReplaceAll(utf8Manifest, []byte("\n"), []byte("\r\n"))},
		{"UTF-16 with BOM", utf16le(strings.Replace(string(utf8Manifest), "UTF-8", "UTF-16", 1))},
		{"ISO-8859-1", latin1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.data)
			if p.Title != title {
				t.Errorf("Title = %q, want %q", p.Title, title)
			}
			if got := p.Items()[0].Launch; got != "index.html" {
				t.Errorf("Launch = %q, want %q", got, "index.html")
			}
			if len(p.Warnings) > 0 {
				t.Errorf("Warnings = %q, want none", p.Warnings)
			}
		})
	}
}

func TestManifestItemWarnings(t *testing.T) {
	tests := []struct {
		name, body  string
		wantWarning string
	}{
		{"identifierref names no resource", strings.Replace(oneSCO, `identifierref="res"`, `identifierref="nope"`, 1),
			`item "item" points at resource "nope", which does not exist; the item cannot be launched`},
		{"resource without href", strings.Replace(oneSCO, ` href="index.html"`, ``, 1),
			`item "item" points at resource "res", which has no href; the item cannot be launched`},
		{"duplicate item identifiers", strings.Replace(oneSCO, `</item>`, `</item><item identifier="item" identifierref="res"><title>Again</title></item>`, 1),
			`two items have the identifier "item"; progress would be mixed up between them`},
		{"dependency on nothing", strings.Replace(oneSCO, `href="index.html"/>`, `href="index.html"><dependency identifierref="gone"/></resource>`, 1),
			`resource "res" depends on resource "gone", which does not exist`},
		{"xml:base outside the package", strings.Replace(oneSCO, `href="index.html"/>`, `href="index.html" xml:base="../up"/>`, 1),
			`resource "res" is under an xml:base ("../up/") that points outside the package; its files are ignored`},
		{"file outside the package", strings.Replace(oneSCO, `href="index.html"/>`, `href="index.html"><file href="../../secret.txt"/></resource>`, 1),
			`resource "res" lists the file "../../secret.txt", which points outside the package; ignoring it`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, scorm12Manifest(tt.body))
			if !slices.Equal(p.Warnings, []string{tt.wantWarning}) {
				t.Errorf("Warnings = %q, want [%q]", p.Warnings, tt.wantWarning)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(fixtureDir, "scorm2004v4-seq", "imsmanifest.xml"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}
