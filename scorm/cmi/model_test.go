package cmi

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// names returns concrete names for a template: indices 0, 7 and 12 and a
// dotted target, plus near misses that must not resolve.
func names(tmpl string) (good, bad []string) {
	fill := func(idx, target string) string {
		s := strings.ReplaceAll(tmpl, ".n.", "."+idx+".")
		s = strings.ReplaceAll(s, ".n.", "."+idx+".") // second level
		return strings.ReplaceAll(s, "{target=ID}", "{target="+target+"}")
	}
	good = []string{fill("0", "a"), fill("7", "x.y.z"), fill("12", "a{b")}
	if strings.Contains(tmpl, ".n.") {
		// A leading zero is a well-formed index that is always out of range.
		good = append(good, fill("01", "a"))
		bad = append(bad, fill("-1", "a"), fill("1a", "a"), fill("", "a"), fill("n", "a"))
	}
	if strings.Contains(tmpl, "{target=") {
		bad = append(bad, fill("0", ""), fill("0", "a}b"))
	}
	bad = append(bad, tmpl+"x", "x"+tmpl, strings.ToUpper(tmpl), tmpl+".")
	return good, bad
}

// TestResolveMatchesPatterns proves that the fast lookup used in Go and the
// exported patterns the shim uses agree on every element.
func TestResolveMatchesPatterns(t *testing.T) {
	for _, v := range []Version{V12, V2004} {
		m := modelFor(v)
		byPattern := func(name string) *Element {
			for _, el := range m.Elements {
				if el.re.MatchString(name) {
					return el
				}
			}
			return nil
		}
		for _, el := range m.Elements {
			good, bad := names(el.Name)
			for _, n := range append(good, bad...) {
				r, ok := m.resolve(n)
				var got *Element
				if ok {
					got = r.el
				}
				if want := byPattern(n); got != want {
					t.Errorf("%s: resolve(%q) = %v, patterns say %v", v, n, elName(got), elName(want))
				}
			}
			for _, n := range good {
				if r, ok := m.resolve(n); !ok || r.el != el {
					t.Errorf("%s: %q does not resolve to %s", v, n, el.Name)
				}
			}
		}
	}
}

func elName(e *Element) string {
	if e == nil {
		return "<none>"
	}
	return e.Name
}

func TestModelConsistency(t *testing.T) {
	for _, v := range []Version{V12, V2004} {
		m := modelFor(v)
		for _, el := range m.Elements {
			if el.Type != "response" && el.Type != "pattern" && m.Types[el.Type] == nil {
				t.Errorf("%s %s: unknown type %q", v, el.Name, el.Type)
			}
			if el.Default != nil && el.Evaluate == "" && el.typ != nil {
				if err := checkValue(el.typ, *el.Default, el.Min, el.Max, el.MaxLen); err != nil && v == V2004 {
					t.Errorf("%s %s: default %q is not a valid value: %v", v, el.Name, *el.Default, err)
				}
			}
			// Every index level is a collection.
			parts := strings.Split(el.Name, ".")
			for i, p := range parts {
				if p == "n" && !m.isCollection(strings.Join(parts[:i], ".")) {
					t.Errorf("%s %s: %s is not a collection", v, el.Name, strings.Join(parts[:i], "."))
				}
			}
			if el.DependsOn != "" && m.element(el.DependsOn) == nil {
				t.Errorf("%s %s: dependsOn %s is not an element", v, el.Name, el.DependsOn)
			}
			for _, c := range el.Clears {
				if m.element(c) == nil && !m.isCollection(c) {
					t.Errorf("%s %s: clears %s, which does not exist", v, el.Name, c)
				}
			}
		}
		for path, children := range m.Containers {
			for _, c := range strings.Split(children, ",") {
				if c == "" {
					continue
				}
				child := path + "." + c
				if m.isCollection(path) {
					child = path + ".n." + c
				}
				if !m.known(child) {
					t.Errorf("%s %s._children lists %s, which does not exist", v, path, c)
				}
			}
		}
	}
}

// portableEscape lists the only backslash escapes our regular expressions
// may use: each means the same in Go RE2 and in JavaScript with the "u"
// flag, where an unnecessary escape is a syntax error.
var portableEscape = regexp.MustCompile(`^\\(?:[.{}\[\]()+*?|^$\\/-]|x[0-9A-Fa-f]{2}|u\{[0-9A-Fa-f]{1,6}\})`)

func TestSchemaRegexesArePortable(t *testing.T) {
	for _, v := range []Version{V12, V2004} {
		d, err := schemaFor(v)
		if err != nil {
			t.Fatal(err)
		}
		var all []string
		for name, ty := range d.Types {
			all = append(all, name+"\x00"+ty.Regex, name+"\x00"+ty.URN)
		}
		for _, el := range d.Elements {
			all = append(all, el.Name+"\x00"+el.Pattern)
		}
		all = append(all, "languageRegex\x00"+d.LanguageRegex)
		for _, entry := range all {
			name, re, _ := strings.Cut(entry, "\x00")
			if re == "" {
				continue
			}
			if !strings.HasPrefix(re, "^") || !strings.HasSuffix(re, "$") {
				t.Errorf("%s %s: %q is not anchored", v, name, re)
			}
			inClass := false
			for i := 0; i < len(re); i++ {
				switch {
				case re[i] == '[' && !inClass:
					inClass = true
				case re[i] == ']' && inClass:
					inClass = false
				case re[i] == '.' && !inClass:
					// "." excludes different line terminators in Go and JS.
					t.Errorf("%s %s: unescaped . in %q is not portable", v, name, re)
				case re[i] == '\\':
					m := portableEscape.FindString(re[i:])
					if m == "" {
						t.Errorf("%s %s: escape at %d in %q is not portable", v, name, i, re)
						break
					}
					i += len(m) - 1
				case strings.HasPrefix(re[i:], "(?") && !strings.HasPrefix(re[i:], "(?:"):
					t.Errorf("%s %s: group flag in %q is not portable", v, name, re)
				case strings.HasPrefix(re[i:], "[["):
					t.Errorf("%s %s: nested class in %q is not portable", v, name, re)
				}
			}
			// The JS form must be the Go form with \u{…} for \x{…}.
			if goRe := strings.ReplaceAll(re, `\u{`, `\x{`); regexp.MustCompile(goRe) == nil {
				t.Errorf("%s %s: does not compile in Go", v, name)
			}
		}
	}
}

func TestSchemaJSON(t *testing.T) {
	for _, v := range []Version{V12, V2004} {
		data, err := Schema(v)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Version    string            `json:"version"`
			APIName    string            `json:"apiName"`
			Errors     map[string]string `json:"errors"`
			Codes      map[string]int    `json:"codes"`
			CallCodes  map[string][3]int `json:"callCodes"`
			Elements   []map[string]any  `json:"elements"`
			Types      map[string]any    `json:"types"`
			Containers map[string]string `json:"containers"`
		}
		if err := json.Unmarshal(data, &d); err != nil {
			t.Fatalf("%s schema is not valid JSON: %v", v, err)
		}
		wantAPI := map[Version]string{V12: "API", V2004: "API_1484_11"}[v]
		if d.Version != string(v) || d.APIName != wantAPI || len(d.Elements) != len(modelFor(v).Elements) {
			t.Errorf("%s schema: version %q api %q, %d elements", v, d.Version, d.APIName, len(d.Elements))
		}
		for _, k := range []string{"undefined", "readOnly", "writeOnly", "type", "range", "dependency", "setIndex"} {
			if _, ok := d.Codes[k]; !ok {
				t.Errorf("%s schema: no code for %q", v, k)
			}
		}
		if d.CallCodes["GetValue"][0] == 0 || d.Errors["0"] == "" || d.Containers["cmi"] != "" {
			t.Errorf("%s schema: incomplete call codes or errors", v)
		}
		for _, el := range d.Elements {
			for _, k := range []string{"name", "pattern", "access", "type"} {
				if el[k] == nil || el[k] == "" {
					t.Errorf("%s schema element %v lacks %s", v, el["name"], k)
				}
			}
		}
	}
	if _, err := Schema("9.9"); err == nil {
		t.Error("Schema of an unknown version succeeded")
	}
}

// TestVectorsCoverEveryElement keeps the shared vectors honest: every
// element of both tables is called at least once, by GetValue and SetValue.
func TestVectorsCoverEveryElement(t *testing.T) {
	seen := map[Version]map[string][]string{V12: {}, V2004: {}}
	for _, vc := range loadVectors(t) {
		m := modelFor(vc.Version)
		for _, c := range vc.Calls {
			call := strings.TrimPrefix(c.Call, "LMS")
			if (call != "GetValue" && call != "SetValue") || len(c.Args) == 0 {
				continue
			}
			if r, ok := m.resolve(c.Args[0]); ok && !slices.Contains(seen[vc.Version][r.el.Name], call) {
				seen[vc.Version][r.el.Name] = append(seen[vc.Version][r.el.Name], call)
			}
		}
	}
	for _, v := range []Version{V12, V2004} {
		for _, el := range modelFor(v).Elements {
			calls := seen[v][el.Name]
			if !slices.Contains(calls, "SetValue") || !slices.Contains(calls, "GetValue") {
				t.Errorf("%s %s: vectors call it only with %v", v, el.Name, calls)
			}
		}
	}
}
