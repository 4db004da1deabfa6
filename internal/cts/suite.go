// Package cts runs the ADL SCORM 2004 4th Edition LMS conformance test
// packages against Lectern in headless Chromium: it reads the suite's test
// case files, injects a JavaScript replacement of the suite's Java driver
// applet into every test SCO, and plays the human tester through Lectern's
// player. The file formats and the protocol are described in the suite's
// FORMAT.md (its section numbers are cited as §n below).
//
// The parts: suite.go reads testcases/*.properties; plan.go turns each
// tester instruction (CUI) into steps; driver.js is the applet's
// replacement, judging every API result in the page; runner.go drives one
// test case in a fresh browser context and turns the driver's events into a
// Result; lectern.go serves a real Lectern in-process.
//
// Running (the suite folder is not part of the repository):
//
//	LECTERN_TEST_ADL_CTS=/work/shared/adl-cts go test ./internal/cts/ -run RTE -v
//	LECTERN_TEST_ADL_CTS=... LECTERN_TEST_CTS_BUDGET=10m LECTERN_TEST_CTS_REPORT=cts.json \
//	    go test ./internal/cts/ -run Sequencing -v
//	LECTERN_TEST_CTS_ONLY=CM-06,SX-04b   runs only those sequencing test cases
package cts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"
)

// Suite is the test data of one copy of the suite (the folder with
// testcases/ and zips/).
type Suite struct {
	Dir          string
	Abbrev       map[string]string // commands.properties
	Instructions map[string]string // instructions.properties
	Questions    map[string]string // userinterface.properties
	Cases        []*TestCase       // in the order the suite requires (§6)
}

// TestCase is one testcases/<ID>.properties file.
type TestCase struct {
	ID       string            // the title; equals the file name and the manifests' tc= value
	Header   map[string]string // title, start, TT, end, ...
	Packages []string          // the packages it runs in: its ID, or DDMa and DDMb
	Visits   []*Visit
}

// Visit is one delivery of one SCO (or asset) the test case expects.
type Visit struct {
	Key      string // Act<N>V<V>
	Act      string // the activity name, compared with the act= URL parameter
	Line     int    // first line of the visit in the file
	Commands []*Command
	UIQ      []Question
	UIA      string // expected answers, Y/N joined with ~
	CUI      string // the raw CUI value, "" when the tester has nothing to do
	Text     string // the instruction text the SCO shows (HTML)
}

// Question is one UI inspection question (§5).
type Question struct {
	Key  string // continue.enabled, toc.visible, ...
	Arg  string // the text after @: an item title or the root wording
	Text string // the question with its argument filled in (HTML)
}

// Command is one API command of a visit, with its names already translated
// through the abbreviation table (§2.4–2.6).
type Command struct {
	Line    int    // line in the test case file
	Method  string // I, C, T, GET, SET, GES, GeDi, GLE, COI
	Element string // GET/SET: the data model element; may hold an &id& placeholder
	Value   string // SET: the value
	Arg     string // I, C, GES, GeDi: the argument passed literally
	Expect  string // expected return (translated); for GES/GeDi the literal token
	Error   string // expected GetLastError code
	Hint    string // GET of an interaction response: the interaction type to compare by
	IDs     []string
}

// Call renders the command as the API call it makes, for reports.
func (c *Command) Call() string {
	switch c.Method {
	case "GET":
		return fmt.Sprintf("GetValue(%q)", c.Element)
	case "SET":
		return fmt.Sprintf("SetValue(%q, %q)", c.Element, clip(c.Value, 80))
	case "I":
		return fmt.Sprintf("Initialize(%q)", c.Arg)
	case "C":
		return fmt.Sprintf("Commit(%q)", c.Arg)
	case "T":
		return `Terminate("")`
	case "GES":
		return fmt.Sprintf("GetErrorString(%q)", c.Arg)
	case "GeDi":
		return fmt.Sprintf("GetDiagnostic(%q)", c.Arg)
	case "GLE":
		return "GetLastError()"
	case "COI":
		return "objective ids " + strings.Join(c.IDs, ",")
	}
	return c.Method
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Start is the start header: "." for a normal launch, otherwise the title of
// the item to choose when starting (or, for DDM, the package to launch).
func (tc *TestCase) Start() string { return tc.Header["start"] }

// EndsSession reports whether the tester must confirm at the end that the
// LMS ended the sequencing session by itself (§5, the six uInteractionTT cases).
func (tc *TestCase) EndsSession() bool { return tc.Header["end"] == "endUserInter" }

// Commands counts the commands over all visits.
func (tc *TestCase) Commands() int {
	n := 0
	for _, v := range tc.Visits {
		n += len(v.Commands)
	}
	return n
}

// Case returns the test case with the given ID, or nil.
func (s *Suite) Case(id string) *TestCase {
	for _, tc := range s.Cases {
		if tc.ID == id {
			return tc
		}
	}
	return nil
}

// Zip is the path of a package's zip.
func (s *Suite) Zip(pkg string) string { return filepath.Join(s.Dir, "zips", pkg+".zip") }

// rteFirst is the order the suite requires before the others (§6).
var rteFirst = []string{"API", "DMI", "DMB", "DDM"}

// Load reads the suite at dir: the lookup tables and every test case file.
func Load(dir string) (*Suite, error) {
	td := filepath.Join(dir, "testcases")
	s := &Suite{Dir: dir}
	var err error
	if s.Abbrev, err = readTable(filepath.Join(td, "commands.properties")); err != nil {
		return nil, err
	}
	if s.Instructions, err = readTable(filepath.Join(td, "instructions.properties")); err != nil {
		return nil, err
	}
	if s.Questions, err = readTable(filepath.Join(td, "userinterface.properties")); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(td)
	if err != nil {
		return nil, fmt.Errorf("cts: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		// Lower-case names are lookup tables; test cases start upper-case.
		if !strings.HasSuffix(name, ".properties") || name[0] < 'A' || name[0] > 'Z' {
			continue
		}
		b, err := os.ReadFile(filepath.Join(td, name))
		if err != nil {
			return nil, fmt.Errorf("cts: %w", err)
		}
		tc, err := s.ParseTestCase(b)
		if err != nil {
			return nil, fmt.Errorf("cts: %s: %w", name, err)
		}
		if want := strings.TrimSuffix(name, ".properties"); tc.ID != want {
			return nil, fmt.Errorf("cts: %s: title %q differs from the file name", name, tc.ID)
		}
		s.Cases = append(s.Cases, tc)
	}
	rank := func(id string) int {
		for i, f := range rteFirst {
			if f == id {
				return i
			}
		}
		return len(rteFirst)
	}
	sort.SliceStable(s.Cases, func(i, j int) bool {
		a, b := s.Cases[i].ID, s.Cases[j].ID
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra < rb
		}
		return a < b
	})
	return s, nil
}

// line is one logical line of a test case file.
type line struct {
	n          int // physical line where it starts
	key, value string
}

// logicalLines reads a test case file the way the suite's own reader did
// (§2.1): Windows-1252; a trailing backslash joins the next physical line
// unchanged (leading blanks kept); a line containing #### is a comment; the
// key ends at the first '='; nothing is trimmed.
func logicalLines(b []byte) ([]line, error) {
	text, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return nil, err
	}
	phys := strings.Split(string(text), "\n")
	var out []line
	for i := 0; i < len(phys); i++ {
		start := i
		cur := strings.TrimSuffix(phys[i], "\r")
		for strings.HasSuffix(cur, `\`) && i+1 < len(phys) {
			i++
			cur = cur[:len(cur)-1] + strings.TrimSuffix(phys[i], "\r")
		}
		if cur == "" || strings.Contains(cur, "####") {
			continue // the only empty line is the one after the final newline
		}
		k, v, ok := strings.Cut(cur, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: no '=' in %q", start+1, clip(cur, 60))
		}
		out = append(out, line{n: start + 1, key: k, value: v})
	}
	return out, nil
}

// readTable reads one of the lookup tables. They are ordinary properties
// files (blank lines, indented continuations), unlike the test case files.
func readTable(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cts: %w", err)
	}
	m := map[string]string{}
	phys := strings.Split(string(b), "\n")
	for i := 0; i < len(phys); i++ {
		cur := strings.TrimRight(phys[i], "\r")
		if t := strings.TrimSpace(cur); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		cur = strings.TrimLeft(cur, " \t")
		for strings.HasSuffix(cur, `\`) && i+1 < len(phys) {
			i++
			cur = cur[:len(cur)-1] + strings.TrimLeft(strings.TrimRight(phys[i], "\r"), " \t")
		}
		k, v, ok := strings.Cut(cur, "=")
		if !ok {
			continue
		}
		m[strings.TrimSpace(k)] = v
	}
	return m, nil
}

// ParseTestCase parses the bytes of one test case file.
func (s *Suite) ParseTestCase(b []byte) (*TestCase, error) {
	lines, err := logicalLines(b)
	if err != nil {
		return nil, err
	}
	tc := &TestCase{Header: map[string]string{}}
	var cur *Visit
	for _, l := range lines {
		if !strings.HasPrefix(l.key, "Act") {
			tc.Header[l.key] = l.value
			continue
		}
		prefix, field, _ := strings.Cut(l.key, ".")
		if cur == nil || cur.Key != prefix {
			act, _, _ := strings.Cut(prefix[len("Act"):], "V")
			cur = &Visit{Key: prefix, Act: act, Line: l.n}
			tc.Visits = append(tc.Visits, cur)
		}
		switch {
		case strings.Contains(field, "UIQ"):
			cur.UIQ = s.questions(l.value)
		case strings.Contains(field, "UIA"):
			cur.UIA = l.value
		case strings.Contains(field, "CUI"):
			cur.CUI = l.value
			cur.Text = s.Instruction(l.value)
		case strings.Contains(field, "commands"):
			if c := s.parseCommand(unescape(l.value)); c != nil {
				c.Line = l.n
				cur.Commands = append(cur.Commands, c)
			}
		}
	}
	tc.ID = tc.Header["title"]
	if tc.ID == "" {
		return nil, errors.New("no title")
	}
	tc.Packages = []string{tc.ID}
	if tc.ID == "DDM" {
		tc.Packages = []string{"DDMa", "DDMb"}
	}
	for _, v := range tc.Visits {
		if len(v.UIQ) > 0 && len(strings.Split(v.UIA, "~")) != len(v.UIQ) {
			return nil, fmt.Errorf("%s: %d questions but answers %q", v.Key, len(v.UIQ), v.UIA)
		}
	}
	return tc, nil
}

// Instruction resolves a CUI value "key~arg~arg" to its text (HTML).
func (s *Suite) Instruction(cui string) string {
	if cui == "" {
		return ""
	}
	parts := strings.Split(cui, "~")
	return fill(s.Instructions[parts[0]], parts[1:])
}

// fill replaces each %s in order, like Java's String.format with strings.
func fill(format string, args []string) string {
	var b strings.Builder
	for {
		i := strings.Index(format, "%s")
		if i < 0 || len(args) == 0 {
			b.WriteString(format)
			return b.String()
		}
		b.WriteString(format[:i])
		b.WriteString(args[0])
		format, args = format[i+2:], args[1:]
	}
}

func (s *Suite) questions(v string) []Question {
	if v == "" {
		return nil
	}
	var qs []Question
	for _, part := range strings.Split(v, "~") {
		key, arg, _ := strings.Cut(part, "@")
		text := s.Questions[key]
		if arg != "" {
			text = fill(text, []string{arg})
		}
		qs = append(qs, Question{Key: key, Arg: arg, Text: text})
	}
	return qs
}

// unescape replaces \uXXXX (exactly four hex digits) by that character; every
// other backslash stays (§2.1).
func unescape(s string) string {
	if !strings.Contains(s, `\u`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+6 <= len(s) && s[i+1] == 'u' && isHex4(s[i+2:i+6]) {
			if n, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
				b.WriteRune(rune(n))
				i += 5
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex4(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return len(s) == 4
}

// javaSplit splits like Java's String.split: trailing empty fields are dropped.
func javaSplit(s, sep string) []string {
	f := strings.Split(s, sep)
	for len(f) > 0 && f[len(f)-1] == "" {
		f = f[:len(f)-1]
	}
	return f
}

// lookup translates a token through the abbreviation table; a token that is
// not a key, or whose value is empty (es), stays as it is.
func (s *Suite) lookup(tok string) string {
	if v, ok := s.Abbrev[tok]; ok && v != "" {
		return v
	}
	return tok
}

// parseCommand reads one command value (§2.4); nil for a line the original
// ignored (an unknown method).
func (s *Suite) parseCommand(v string) *Command {
	f := javaSplit(v, "->")
	if len(f) == 0 {
		return nil
	}
	field := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return ""
	}
	c := &Command{Method: f[0]}
	// I, C, GET, SET: argument, expected values (the last wins), error last.
	middle := func() {
		c.Error = f[len(f)-1]
		if len(f) > 3 {
			c.Expect = f[len(f)-2]
		}
	}
	switch c.Method {
	case "I", "C":
		c.Arg = field(1)
		middle()
		c.Expect = s.lookup(c.Expect)
	case "T":
		c.Error = field(3)
	case "GET":
		middle()
		c.Element, c.Hint = s.getElement(field(1))
		c.Expect = s.lookup(c.Expect)
	case "SET":
		middle()
		c.Element, c.Value = s.setElement(field(1))
		c.Expect = s.lookup(c.Expect)
	case "GES", "GeDi":
		c.Arg, c.Expect, c.Error = field(1), field(2), field(3)
	case "GLE":
		c.Expect, c.Error = field(2), field(3)
	case "COI":
		c.IDs = strings.Split(field(1), ",")
	default:
		return nil
	}
	return c
}

// getElement translates a GET argument (§2.5): tokens joined with '.', a
// {target=%s} template filled with the next token, and for interactions an
// !type hint that is cut off and returned apart.
func (s *Suite) getElement(arg string) (elem, hint string) {
	if !strings.Contains(arg, "~") {
		return arg, ""
	}
	toks := strings.Split(arg, "~")
	intr := len(toks) > 1 && toks[1] == "INTR"
	var out []string
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if intr {
			if before, after, ok := strings.Cut(t, "!"); ok {
				t, hint = before, s.lookup(after)
			}
		}
		if t == "tar" && i+1 < len(toks) {
			out = append(out, fill(s.Abbrev["tar"], []string{toks[i+1]}))
			i++
			continue
		}
		out = append(out, s.lookup(t))
	}
	return strings.Join(out, "."), hint
}

// setElement translates a SET argument element!value (§2.5).
func (s *Suite) setElement(arg string) (elem, value string) {
	if !strings.Contains(arg, "~") {
		e, v, _ := strings.Cut(s.lookup(arg), "!")
		return e, v
	}
	toks := strings.Split(arg, "~")
	k := len(toks) - 1
	for i, t := range toks {
		if strings.Contains(t, "!") {
			k = i
			break
		}
	}
	last, rest, _ := strings.Cut(toks[k], "!")
	var names []string
	for _, t := range toks[:k] {
		names = append(names, s.lookup(t))
	}
	names = append(names, s.lookup(last))
	if k == len(toks)-1 {
		return strings.Join(names, "."), s.lookup(rest)
	}
	// A navigation request with a target: r!tar~<target>~<request>.
	var b strings.Builder
	more := append([]string{rest}, toks[k+1:]...)
	for i := 0; i < len(more); i++ {
		if more[i] == "tar" && i+1 < len(more) {
			b.WriteString(fill(s.Abbrev["tar"], []string{more[i+1]}))
			i++
			continue
		}
		b.WriteString(s.lookup(more[i]))
	}
	return strings.Join(names, "."), b.String()
}
