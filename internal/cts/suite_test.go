package cts

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// suiteDir is the suite folder from LECTERN_TEST_ADL_CTS.
func suiteDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("LECTERN_TEST_ADL_CTS")
	if dir == "" {
		t.Skip("SKIP ADL conformance: set LECTERN_TEST_ADL_CTS=../shared/adl-cts")
	}
	if _, err := os.Stat(filepath.Join(dir, "testcases", "API.properties")); err != nil {
		t.Fatalf("LECTERN_TEST_ADL_CTS=%s is not the ADL suite folder: %v", dir, err)
	}
	return dir
}

var loaded struct {
	s   *Suite
	err error
}

func loadSuite(t *testing.T) *Suite {
	t.Helper()
	dir := suiteDir(t)
	if loaded.s == nil && loaded.err == nil {
		loaded.s, loaded.err = Load(dir)
	}
	if loaded.err != nil {
		t.Fatal(loaded.err)
	}
	return loaded.s
}

// TestSuiteFigures checks the totals README.md gives.
func TestSuiteFigures(t *testing.T) {
	s := loadSuite(t)
	var visits, commands, uiq, cui int
	cuis := map[string]bool{}
	for _, tc := range s.Cases {
		visits += len(tc.Visits)
		commands += tc.Commands()
		for _, v := range tc.Visits {
			if len(v.UIQ) > 0 {
				uiq++
			}
			if v.CUI != "" {
				cui++
				cuis[v.CUI] = true
			}
		}
	}
	for _, c := range []struct {
		what      string
		got, want int
	}{
		{"test cases", len(s.Cases), 188},
		{"visits", visits, 842},
		{"commands", commands, 11869},
		{"visits with UI questions", uiq, 65},
		{"visits with a CUI", cui, 311},
		{"distinct CUI values", len(cuis), 50},
		{"abbreviations", len(s.Abbrev), 115},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.what, c.got, c.want)
		}
	}
	if got := s.Cases[0].ID + "," + s.Cases[1].ID + "," + s.Cases[2].ID + "," + s.Cases[3].ID + "," + s.Cases[4].ID; got != "API,DMI,DMB,DDM,CM-01" {
		t.Errorf("order starts %s, want API,DMI,DMB,DDM,CM-01", got)
	}
}

// TestSuiteIndex compares every test case with its row in INDEX.md.
func TestSuiteIndex(t *testing.T) {
	s := loadSuite(t)
	f, err := os.Open(filepath.Join(s.Dir, "INDEX.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "|")
		if len(cols) < 8 {
			continue
		}
		id := strings.TrimSpace(cols[1])
		tc := s.Case(id)
		if tc == nil {
			continue // header and total rows
		}
		rows++
		visits, _ := strconv.Atoi(strings.TrimSpace(cols[3]))
		commands, _ := strconv.Atoi(strings.TrimSpace(cols[4]))
		uiq, _ := strconv.Atoi(strings.TrimSpace(cols[5]))
		gotUIQ := 0
		for _, v := range tc.Visits {
			if len(v.UIQ) > 0 {
				gotUIQ++
			}
		}
		if len(tc.Visits) != visits || tc.Commands() != commands || gotUIQ != uiq {
			t.Errorf("%s: %d visits, %d commands, %d UIQ visits; INDEX.md says %d, %d, %d",
				id, len(tc.Visits), tc.Commands(), gotUIQ, visits, commands, uiq)
		}
		if start := strings.TrimSpace(cols[6]); tc.Start() != start {
			t.Errorf("%s: start %q, INDEX.md says %q", id, tc.Start(), start)
		}
		if pk := strings.TrimSpace(cols[2]); strings.Join(tc.Packages, ", ") != pk {
			t.Errorf("%s: packages %v, INDEX.md says %s", id, tc.Packages, pk)
		}
	}
	if rows != 188 {
		t.Errorf("INDEX.md rows matched: %d, want 188", rows)
	}
}

// TestParseAPI checks the worked example of FORMAT.md §7.
func TestParseAPI(t *testing.T) {
	s := loadSuite(t)
	tc := s.Case("API")
	if tc.Start() != "Asset Launch Test" || len(tc.Visits) != 3 {
		t.Fatalf("API: start %q, %d visits", tc.Start(), len(tc.Visits))
	}
	v1, v3 := tc.Visits[0], tc.Visits[2]
	if v1.Act != "1" || len(v1.Commands) != 0 || v1.CUI != "APIt1" ||
		v1.Text != `After the Status shows "Test Completed", please launch <b>API Implementation Test 1</b>.` {
		t.Errorf("visit 1: %+v", v1)
	}
	if len(v3.Commands) != 29 || v3.CUI != "Exit" {
		t.Fatalf("visit 3: %d commands, CUI %q", len(v3.Commands), v3.CUI)
	}
	want := []Command{
		{Method: "GLE", Expect: "0", Error: "0"},
		{Method: "GES", Arg: "0", Expect: "less255", Error: "0"},
		{Method: "GES", Arg: "0", Expect: "less255", Error: "0"},
		{Method: "GeDi", Arg: "0", Expect: "less255", Error: "0"},
		{Method: "GES", Arg: "0", Expect: "less255", Error: "0"},
		{Method: "C", Expect: "false", Error: "142"},
		{Method: "SET", Element: "cmi.location", Value: "test", Expect: "false", Error: "132"},
		{Method: "GET", Element: "cmi.location", Error: "122"},
		{Method: "I", Arg: "illegal", Expect: "false", Error: "201"},
	}
	for i, w := range want {
		c := *v3.Commands[i]
		c.Line = 0
		if c.Method != w.Method || c.Element != w.Element || c.Value != w.Value || c.Arg != w.Arg || c.Expect != w.Expect || c.Error != w.Error {
			t.Errorf("command %d: got %+v, want %+v", i, c, w)
		}
	}
	if c := v3.Commands[16]; c.Element != "" || c.Value != "test" || c.Error != "351" {
		t.Errorf(`SET->!test: got %+v, want SetValue("", "test") with error 351`, c)
	}
	if c := v3.Commands[18]; c.Method != "GET" || c.Element != "" || c.Expect != "" || c.Error != "301" {
		t.Errorf("GET->->->301: got %+v", c)
	}
	if c := v3.Commands[12]; c.Method != "GES" || c.Arg != "" || c.Expect != "emptyCS" || c.Error != "201" {
		t.Errorf("GES->->emptyCS->201: got %+v", c)
	}
}

// TestParseFinePrint covers the irregular lines FORMAT.md §2 and §8 list.
func TestParseFinePrint(t *testing.T) {
	s := loadSuite(t)
	find := func(id string, line int) *Command {
		t.Helper()
		for _, v := range s.Case(id).Visits {
			for _, c := range v.Commands {
				if c.Line == line {
					return c
				}
			}
		}
		t.Fatalf("%s: no command on line %d", id, line)
		return nil
	}
	// \uXXXX escapes in values.
	if c := find("DMI", 58); c.Expect != "Welcome to Unicode" || c.Element != "cmi.location" {
		t.Errorf("DMI line 58: got %+v", c)
	}
	if c := find("DMI", 59); c.Value != "欢迎使用  Unicode" {
		t.Errorf("DMI line 59: value %q", c.Value)
	}
	// SetValue("cmi", "illegal") and GetValue("cmi").
	if c := find("DMI", 11); c.Element != "cmi" || c.Value != "illegal" || c.Expect != "false" || c.Error != "401" {
		t.Errorf("DMI line 11: got %+v", c)
	}
	if c := find("DMI", 12); c.Element != "cmi" || c.Error != "401" {
		t.Errorf("DMI line 12: got %+v", c)
	}
	// A navigation request with a target.
	if c := find("CM-09aa", 11); c.Element != "adl.nav.request" || c.Value != "{target=activity_3}choice" {
		t.Errorf("CM-09aa line 11: got %+v", c)
	}
	// The DDM line with an extra ->0 field: the last middle field is expected.
	ddm := s.Case("DDM")
	c := ddm.Visits[0].Commands[3]
	if c.Method != "SET" || c.Expect != "true" || c.Error != "0" || c.Element != "adl.data.&tarID_2&.store" {
		t.Errorf("DDM Act1aV1.commands.3: got %s expect %q error %q", c.Element, c.Expect, c.Error)
	}
	if !strings.HasPrefix(c.Value, `Checked In Version, Time Checked In, M:\ADLadli_tech\software_development\src\org`) {
		t.Errorf("DDM Act1aV1.commands.3: backslashes not kept: %q", clip(c.Value, 100))
	}
	if ddm.Visits[0].Act != "1a" || ddm.Start() != "DDMa" {
		t.Errorf("DDM: first activity %q, start %q", ddm.Visits[0].Act, ddm.Start())
	}
	// Windows-1252: 0x92 is U+2019.
	quote := false
	for _, v := range ddm.Visits {
		for _, c := range v.Commands {
			quote = quote || strings.ContainsRune(c.Value, '\u2019')
		}
	}
	if !quote {
		t.Error("DDM: no U+2019 found; the file was not read as Windows-1252")
	}
	// Two separate Act1V1 groups make two visits.
	cm := s.Case("CM-09aa")
	n := 0
	for _, v := range cm.Visits {
		if v.Key == "Act1V1" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("CM-09aa: %d visits keyed Act1V1, want 2", n)
	}
	// Out-of-order indices run in file order.
	sx := s.Case("SX-11a").Visits[1].Commands
	if sx[len(sx)-3].Value != "hello" || sx[len(sx)-2].Value != "previous" || sx[len(sx)-1].Value != "suspend" {
		t.Errorf("SX-11a Act2V1: file order lost: %q %q %q", sx[len(sx)-3].Value, sx[len(sx)-2].Value, sx[len(sx)-1].Value)
	}
	// The interaction type hint is cut off the element.
	var hinted *Command
	for _, v := range s.Case("DMI").Visits {
		for _, c := range v.Commands {
			if c.Method == "GET" && c.Hint == "matching" && c.Element == "cmi.interactions.6.correct_responses.0.pattern" {
				hinted = c
			}
		}
	}
	if hinted == nil {
		t.Error("DMI: no GET of cmi.interactions.6.correct_responses.0.pattern with the hint matching")
	}
	// request_valid with a target.
	for _, v := range s.Cases {
		for _, vis := range v.Visits {
			for _, c := range vis.Commands {
				if strings.Contains(c.Element, "~") || strings.Contains(c.Element, "!") {
					t.Fatalf("%s line %d: untranslated element %q", v.ID, c.Line, c.Element)
				}
			}
		}
	}
	found := false
	for _, vis := range s.Case("CM-04b").Visits {
		for _, c := range vis.Commands {
			found = found || c.Element == "adl.nav.request_valid.choice.{target=activity_2}"
		}
	}
	if !found {
		t.Error("CM-04b: no GET adl.nav.request_valid.choice.{target=activity_2}")
	}
}

// TestQuestionsAndInstructions checks UIQ texts and CUI texts.
func TestQuestionsAndInstructions(t *testing.T) {
	s := loadSuite(t)
	var v *Visit
	for _, x := range s.Case("CM-07a").Visits {
		if len(x.UIQ) == 6 {
			v = x
		}
	}
	if v == nil {
		t.Fatal("CM-07a: no visit with six questions")
	}
	q := v.UIQ[5]
	if q.Key != "toc.enabled.selectable" || q.Arg != `the activity that corresponds to the root of "LMS Test Content Package CM-07a"` ||
		!strings.Contains(q.Text, `includes <b>the activity that corresponds to the root of "LMS Test Content Package CM-07a"</b> as selectable?`) {
		t.Errorf("question: %+v", q)
	}
	if got := s.Instruction("Choice~Activity 3"); got != "This SCO has completed. To proceed with the tests, please target <b>Activity 3</b> for a Choice Navigation Event." {
		t.Errorf("Choice~Activity 3: %q", got)
	}
	for _, tc := range s.Cases {
		for _, v := range tc.Visits {
			if v.CUI != "" && v.Text == "" {
				t.Errorf("%s %s: CUI %q has no text", tc.ID, v.Key, v.CUI)
			}
			for _, q := range v.UIQ {
				if q.Text == "" || strings.Contains(q.Text, "%s") {
					t.Errorf("%s %s: question %q has text %q", tc.ID, v.Key, q.Key, q.Text)
				}
			}
		}
	}
}

// TestPlans checks that every tester instruction of the suite has a plan and
// that every package a plan relaunches exists.
func TestPlans(t *testing.T) {
	s := loadSuite(t)
	for _, tc := range s.Cases {
		for _, v := range tc.Visits {
			steps, err := Plan(v.CUI)
			if err != nil {
				t.Errorf("%s %s: %v", tc.ID, v.Key, err)
			}
			for _, st := range steps {
				if st.Kind != Launch {
					continue
				}
				if _, err := os.Stat(s.Zip(st.Arg)); err != nil {
					t.Errorf("%s %s: %s relaunches a package without a zip: %v", tc.ID, v.Key, v.CUI, err)
				}
				found := false
				for _, p := range tc.Packages {
					found = found || p == st.Arg
				}
				if !found {
					t.Errorf("%s %s: %s launches %s, not a package of the test case", tc.ID, v.Key, v.CUI, st.Arg)
				}
			}
		}
	}
	if p, _ := Plan("RelaunchOB3b"); p[2].Arg != "OB-03b" {
		t.Errorf("RelaunchOB3b launches %q", p[2].Arg)
	}
}

// TestChains: the test cases that share global objectives run in suite
// order as one learner; a package whose objectives stay in its attempt
// (objectivesGlobalToSystem="false", OB-03b, SX-11b) joins no chain.
func TestChains(t *testing.T) {
	s := loadSuite(t)
	var cases []*TestCase
	for _, tc := range s.Cases {
		if !isRTE(tc.ID) {
			cases = append(cases, tc)
		}
	}
	chains, err := s.Chains(cases)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	n := 0
	for _, c := range chains {
		n += len(c)
		if len(c) > 1 {
			got[ids(c)] = true
		}
	}
	if n != len(cases) {
		t.Errorf("chains hold %d test cases, want %d", n, len(cases))
	}
	want := []string{"CO-07a CO-07b", "OB-03a OB-03c", "OB-08a OB-08b", "OB-09a OB-09b", "SX-11a SX-11c"}
	for _, w := range want {
		if !got[w] {
			t.Errorf("no chain %q; chains %v", w, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("chains %v, want %v", got, want)
	}
}
