package cmi

import (
	"strings"
	"testing"

	"golang.org/x/text/language"
)

func TestValidLanguage(t *testing.T) {
	for _, c := range []struct {
		tag  string
		want bool
	}{
		// Accepted by the ADL test (DMI): ISO 639-1, ISO 639-2 T and B codes,
		// collective and special codes, withdrawn codes, i- and x- tags, any
		// letter case, ISO 3166 country subtags, longer registered subtags.
		{"en", true}, {"EN", true}, {"eng", true}, {"enG", true}, {"fre", true}, {"fra", true},
		{"ADa", true}, {"afa", true}, {"und", true}, {"mul", true}, {"mo", true}, {"mol", true},
		{"scc", true}, {"scr", true}, {"i-klingon", true}, {"i-default", true}, {"x-anything", true},
		{"en-US", true}, {"an-tt", true}, {"de-AT-1996", true}, {"de-1901", true}, {"sgn-BE-fr", true},
		{"zh-min-nan", true}, {"en-GB-oed", true}, {"az-Latn", true}, {"cel-gaulish", true},
		{"en-UK", true}, {"sr-YU", true},
		// Refused by the ADL test: not ISO 639-1/639-2 (ruq is ISO 639-3).
		{"frl", false}, {"exg", false}, {"sp", false}, {"ruq-JM", false}, {"", false},
		// Syntax and country codes.
		{"xx", false}, {"qaa", false}, {"engl", false}, {"e", false}, {"i", false}, {"x", false},
		{"en-", false}, {"-en", false}, {"en_US", false}, {"en-ZZ", false}, {"en-a1", false},
		{"en-a-bbb", false}, {"en-123456789", false}, {"en--US", false}, {"i-", false},
	} {
		if got := validLanguage(c.tag); got != c.want {
			t.Errorf("validLanguage(%q) = %v, want %v", c.tag, got, c.want)
		}
	}
}

// TestLanguageLists guards the hand-kept code lists against typos: every
// entry is a code that golang.org/x/text knows (it knows ISO 639-3 too, so
// it cannot replace the lists), lower case, sorted by length, then
// alphabetically.
func TestLanguageLists(t *testing.T) {
	// Serbo-Croatian codes withdrawn from ISO 639-2 in 2008; x/text maps
	// only sh.
	unknown := map[string]bool{"scc": true, "scr": true}
	for name, list := range map[string]string{"isoLanguages": isoLanguages, "isoRegions": isoRegions} {
		codes := strings.Fields(list)
		for i, c := range codes {
			if c != strings.ToLower(c) || (i > 0 && len(codes[i-1]) == len(c) && codes[i-1] >= c) || (i > 0 && len(codes[i-1]) > len(c)) {
				t.Errorf("%s: %q is not lower case or out of order", name, c)
			}
			var err error
			if name == "isoLanguages" {
				_, err = language.ParseBase(c)
			} else {
				_, err = language.ParseRegion(c)
			}
			if err != nil && !unknown[c] {
				t.Errorf("%s: %q: %v", name, c, err)
			}
		}
	}
	if n := len(strings.Fields(isoLanguages)); n < 180+480 {
		t.Errorf("isoLanguages has only %d codes", n)
	}
}
