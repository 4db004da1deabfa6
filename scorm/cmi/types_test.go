package cmi

import (
	"strings"
	"testing"
)

// typeCase checks one value against a type of a version's model: want is
// "" for valid, or the failure kind.
type typeCase struct {
	typ   string
	value string
	want  kind
}

func runTypeCases(t *testing.T, v Version, cases []typeCase) {
	t.Helper()
	m := modelFor(v)
	for _, c := range cases {
		typ := m.Types[c.typ]
		if typ == nil {
			t.Fatalf("no type %q in %s", c.typ, v)
		}
		var got kind
		if err := checkValue(typ, c.value, nil, nil, 0); err != nil {
			got = err.kind
		}
		if got != c.want {
			t.Errorf("%s %s %q: got %q, want %q", v, c.typ, clip(c.value), got, c.want)
		}
	}
}

func TestTypes2004(t *testing.T) {
	long := strings.Repeat("a", 4000)
	short := strings.Repeat("b", 250)
	runTypeCases(t, V2004, []typeCase{
		// real(10,7)
		{"real", "0", ""},
		{"real", "-12.5", ""},
		{"real", "+.5", ""},
		{"real", "7.", ""},
		{"real", "0.1234567890123", ""},
		{"real", "", kType},
		{"real", "1e3", kType},
		{"real", "1,5", kType},
		{"real", "Infinity", kType},
		{"real", "- 1", kType},
		{"real", "1" + strings.Repeat("0", 400), kRange},

		// long_identifier_type: URI syntax, URN rules, 4000 characters.
		{"long_identifier_type", "q1", ""},
		{"long_identifier_type", "Scene1_Slide3_MultiChoice_0_0", ""},
		{"long_identifier_type", "urn:ADL:interaction-id-0001", ""},
		{"long_identifier_type", "URN:isbn:0451450523", ""},
		{"long_identifier_type", "urn:a:%41%42", ""},
		{"long_identifier_type", "http://example.com/a/b?c=d#e", ""},
		{"long_identifier_type", "a%20b", ""},
		{"long_identifier_type", "Übung-1", ""},
		{"long_identifier_type", long, ""},
		{"long_identifier_type", long + "a", kRange},
		{"long_identifier_type", "", kType},
		{"long_identifier_type", " ", kType},
		{"long_identifier_type", "a b", kType},
		{"long_identifier_type", "a\tb", kType},
		{"long_identifier_type", "a\u00a0b", kType}, // no-break space
		{"long_identifier_type", "a<b>", kType},
		{"long_identifier_type", "a[1]", kType},
		{"long_identifier_type", "a%2", kType},
		{"long_identifier_type", "a%zz", kType},
		{"long_identifier_type", "urn:", kType},
		{"long_identifier_type", "urn:nid", kType},
		{"long_identifier_type", "urn:nid:", kType},
		{"long_identifier_type", "urn::nss", kType},
		{"long_identifier_type", "urn:-nid:nss", kType},
		{"long_identifier_type", "urn:" + strings.Repeat("n", 33) + ":nss", kType},
		{"long_identifier_type", "urn:" + strings.Repeat("n", 32) + ":nss", ""},
		{"long_identifier_type", "urn:nid:a&b", kType}, // & is not an RFC 2141 NSS character
		{"long_identifier_type", "urnx:nid", ""},       // not a URN at all
		{"short_identifier_type", short, ""},
		{"short_identifier_type", short + "b", kRange},

		// localized_string_type: {lang=…} not counted in the length.
		{"localized_string_type", "", ""},
		{"localized_string_type", "{lang=en}Hello", ""},
		{"localized_string_type", "{lang=en-GB}", ""},
		{"localized_string_type", "{lang=i-klingon}Qapla'", ""},
		{"localized_string_type", "{lang=}x", kType},
		{"localized_string_type", "{lang=e}x", kType},
		{"localized_string_type", "{lang=en_GB}x", kType},
		{"localized_string_type", "{lang=en", ""}, // no closing brace: plain text
		{"localized_string_type", "{LANG=xx-}x", ""},
		{"localized_string_type", "x{lang=en}", ""},

		// language_type
		{"language_type", "en", ""},
		{"language_type", "eng", ""},
		{"language_type", "en-US", ""},
		{"language_type", "sgn-be-fr", ""},
		{"language_type", "x-private", ""},
		{"language_type", "", kType},
		{"language_type", "engl", kType},
		{"language_type", "x", kType},
		{"language_type", "en--US", kType},
		{"language_type", "en-123456789", kType},
		{"language_preference", "", ""},
		{"language_preference", "de-CH", ""},

		// time(second,10,0)
		{"time", "1970", ""},
		{"time", "2038-12-31T23:59:59.99", ""},
		{"time", "2036-02-29", ""},
		{"time", "2000-02-29T00", ""},
		{"time", "2100-02-28", kType},
		{"time", "2037-02-29", kType},
		{"time", "2024-06-31", kType},
		{"time", "2024-06-30T12:00:00.5Z", ""},
		{"time", "2024-06-30T12:00:00.5-11", ""},
		{"time", "2024-06-30T12:00:00-11:00", kType},
		{"time", "2024-06-30T12:00:00.5+11:60", kType},
		{"time", "2024-06-30T12:00:00.", kType},
		{"time", "2024-06-30T12:00:00.5Zz", kType},
		{"time", "2024-06-30t12:00", kType},

		// timeinterval(second,10,2)
		{"timeinterval", "PT0H0M0S", ""},
		{"timeinterval", "P1Y", ""},
		{"timeinterval", "P2M", ""},
		{"timeinterval", "P1M2D", ""},
		{"timeinterval", "PT2M", ""},
		{"timeinterval", "PT1H5S", ""},
		{"timeinterval", "P0DT0.01S", ""},
		{"timeinterval", "PT99999999999999999999S", ""},
		{"timeinterval", "P", kType},
		{"timeinterval", "PT", kType},
		{"timeinterval", "P1YT", kType},
		{"timeinterval", "P1D1Y", kType},
		{"timeinterval", "PT1M1H", kType},
		{"timeinterval", "PT1.S", kType},
		{"timeinterval", "PT1.123S", kType},
		{"timeinterval", "-PT1S", kType},

		// vocabularies and unions
		{"result", "correct", ""},
		{"result", "-0.5", ""},
		{"result", "wrong", kType},
		{"nav_request", "{target=a.b}choice", ""},
		{"nav_request", "{target=a}}choice", kType},
		{"exit", "", ""},
		{"entry", "", ""},
		{"time_limit_action", "exit,no message", ""},
		{"time_limit_action", "exit, no message", kType},
	})
}

func TestTypes12(t *testing.T) {
	runTypeCases(t, V12, []typeCase{
		{"CMIIdentifier", "obj_1", ""},
		{"CMIIdentifier", "a.b:c/d", ""},
		{"CMIIdentifier", "", kType},
		{"CMIIdentifier", "a b", kType},
		{"CMIIdentifier", "a\x7fb", kType},
		{"CMIIdentifier", strings.Repeat("i", 256), kRange},
		{"CMIDecimal", "-1.5", ""},
		{"CMIDecimal", "", kType},
		{"CMIDecimalOrBlank", "", ""},
		{"CMISInteger", "-3", ""},
		{"CMISInteger", "3.0", kType},
		{"CMITime", "00:00:00", ""},
		{"CMITime", "23:59:59.99", ""},
		{"CMITime", "24:00:00", kType},
		{"CMITime", "12:60:00", kType},
		{"CMITime", "1:00:00", kType},
		{"CMITimespan", "00:00:00", ""},
		{"CMITimespan", "9999:59:59.99", ""},
		{"CMITimespan", "00:00:60", ""},
		{"CMITimespan", "0:00:00", kType},
		{"CMITimespan", "00000:00:00", kType},
		{"CMITimespan", "00:00:00.", kType},
		{"CMIFeedback", strings.Repeat("f", 255), ""},
		{"CMIFeedback", strings.Repeat("f", 256), kRange},
		{"CMIStatus", "browsed", ""},
		{"CMIStatus", "not attempted", kType},
		{"CMIObjectiveStatus", "not attempted", ""},
		{"CMIResult", "wrong", ""},
		{"CMIResult", "incorrect", kType},
		{"CMIResult", "12", ""},
		{"CMIExit", "normal", kType},
		{"CMIInteractionType", "other", kType},
		{"CMIString255", strings.Repeat("ü", 255), ""},
		{"CMIString255", strings.Repeat("ü", 256), kRange},
	})
}

func TestCheckValueRange(t *testing.T) {
	realType := modelFor(V2004).Types["real"]
	lo, hi := -1.0, 1.0
	for _, c := range []struct {
		value string
		want  kind
	}{
		{"-1", ""}, {"1", ""}, {"0.9999999", ""}, {"1.0000001", kRange}, {"-1.5", kRange}, {"x", kType},
	} {
		var got kind
		if err := checkValue(realType, c.value, &lo, &hi, 0); err != nil {
			got = err.kind
		}
		if got != c.want {
			t.Errorf("real in [-1,1] %q: got %q, want %q", c.value, got, c.want)
		}
	}
}

func TestSplitLang(t *testing.T) {
	for _, c := range []struct {
		in, lang, text string
		has            bool
	}{
		{"{lang=en}Hi", "en", "Hi", true},
		{"{lang=}Hi", "", "Hi", true},
		{"Hi", "", "Hi", false},
		{"{lang=en Hi", "", "{lang=en Hi", false},
		{"{lang=en}{lang=fr}x", "en", "{lang=fr}x", true},
	} {
		lang, text, has := splitLang(c.in)
		if lang != c.lang || text != c.text || has != c.has {
			t.Errorf("splitLang(%q) = %q, %q, %v; want %q, %q, %v", c.in, lang, text, has, c.lang, c.text, c.has)
		}
	}
}
