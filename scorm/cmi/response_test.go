package cmi

import (
	"strings"
	"testing"
)

func TestCheckResponse(t *testing.T) {
	m := modelFor(V2004)
	ids := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = "c" + itoa(i)
		}
		return strings.Join(parts, sepList)
	}
	for _, c := range []struct {
		itype   string
		pattern bool // correct_responses.n.pattern rather than learner_response
		value   string
		valid   bool
	}{
		{"true-false", true, "true", true},
		{"true-false", false, "false", true},
		{"true-false", false, "True", false},

		{"choice", true, "", true},
		{"choice", true, "a[,]b[,]c", true},
		{"choice", true, ids(37), true}, // more than the SPM of 36 is accepted
		{"choice", true, "a[,]b[,]a", false},
		{"choice", false, "a[,]", false},
		{"choice", false, "[,]", false},
		{"choice", false, "{case_matters=true}a", false},

		{"fill-in", true, "{case_matters=false}{order_matters=false}x[,]y", true},
		{"fill-in", true, "{order_matters=true}x", true},
		{"fill-in", true, "{order_matters=TRUE}x", false},
		{"fill-in", true, "{unknown=true}x", true}, // not a delimiter: plain text
		{"fill-in", true, "{lang=en}x[,]{lang=de}y[,]z", true},
		{"fill-in", false, "[,][,]", true}, // three empty strings
		{"fill-in", false, "{lang=e}x", false},

		{"long-fill-in", true, "{case_matters=true}" + strings.Repeat("x", 4000), true},
		{"long-fill-in", false, strings.Repeat("x", 4001), false},
		{"long-fill-in", false, "{order_matters=true}x", true}, // plain text

		{"likert", true, "agree", true},
		{"likert", false, "", false},

		{"matching", true, "a[.]b", true},
		{"matching", true, "a[.]b[,]c[.]d", true},
		{"matching", true, "", false},
		{"matching", false, "", true},
		{"matching", true, "a[.]b[.]c", false},
		{"matching", true, "a[.]", false},

		{"performance", true, "{order_matters=false}a[.]b", true},
		{"performance", true, "a[.]1[:]2[,][.]free text[,]b[.]", true},
		{"performance", true, "a[.][:]", true},
		{"performance", true, "a[.]2[:]1", false},
		{"performance", true, "[.]", false},
		{"performance", false, "", false},

		{"sequencing", true, "a[,]b[,]a", true},
		{"sequencing", true, "", false},

		{"numeric", true, "1[:]2", true},
		{"numeric", true, "1.5[:]1.5", true},
		{"numeric", true, "[:]-3", true},
		{"numeric", true, "1", false},
		{"numeric", true, "2[:]1", false},
		{"numeric", true, "1e2[:]", false},
		{"numeric", true, "1" + strings.Repeat("0", 400) + "[:]", false},
		{"numeric", false, "1.25", true},
		{"numeric", false, "1[:]", false},

		{"other", true, "", true},
		{"other", false, strings.Repeat("o", 4000), true},
		{"other", false, strings.Repeat("o", 4001), false},
	} {
		f := m.Interactions[c.itype]
		format, what := &f.Response, "learner_response"
		if c.pattern {
			format, what = &f.Pattern, "pattern"
		}
		err := m.checkResponse(format, c.value)
		if (err == nil) != c.valid {
			t.Errorf("%s %s %q: error %v, want valid=%v", c.itype, what, clip(c.value), err, c.valid)
		}
		if err != nil && err.kind != kType {
			t.Errorf("%s %s %q: kind %q, want %q: every response failure is a type mismatch",
				c.itype, what, clip(c.value), err.kind, kType)
		}
	}
}

func TestSamePattern(t *testing.T) {
	for _, c := range []struct {
		rule, a, b string
		want       bool
	}{
		{"set", "a[,]b", "b[,]a", true},
		{"set", "a[,]b", "a[,]b[,]c", false},
		{"set", "", "", true},
		{"set", "", "a", false},
		{"list", "a[,]b", "a[,]b", true},
		{"list", "a[,]b", "b[,]a", false},
		{"", "a", "a", false},
	} {
		if got := samePattern(c.rule, c.a, c.b); got != c.want {
			t.Errorf("samePattern(%q, %q, %q) = %v, want %v", c.rule, c.a, c.b, got, c.want)
		}
	}
}

func TestStripDelimiters(t *testing.T) {
	fill := []string{"case_matters", "order_matters"}
	long := []string{"case_matters", "lang"}
	for _, c := range []struct {
		names []string
		in    string
		want  string // "!" for a bad delimiter value
	}{
		{fill, "{case_matters=true}x", "x"},
		{fill, "{order_matters=false}{case_matters=true}x", "x"},
		{fill, "{case_matters=true}{case_matters=true}x", "{case_matters=true}x"},
		{fill, "{lang=en}x", "{lang=en}x"},
		{fill, "{lang=en}{case_matters=yes}x", "{lang=en}{case_matters=yes}x"},
		{fill, "{case_matters=yes}x", "!"},
		{fill, "{order_matters=true-false}x", "!"},
		{fill, "{case_matters=true", "{case_matters=true"},
		{fill, "x{case_matters=true}", "x{case_matters=true}"},
		{long, "{lang=eng}{case_matters=true}x", "x"},
		{long, "{case_matters=false}{lang=en-US}x", "x"},
		{long, "{lang=en}{lang=fr}x", "{lang=fr}x"},
		{long, "{lang=frl}{case_matters=true}x", "!"},
		{long, "{lang=en}{case_matters=invalid}x", "!"},
		{long, "{order_matters=true}x", "{order_matters=true}x"},
	} {
		got, err := stripDelimiters(c.names, c.in)
		if err != nil {
			got = "!"
		}
		if got != c.want {
			t.Errorf("stripDelimiters(%q, %q) = %q, want %q", c.names, c.in, got, c.want)
		}
	}
}
