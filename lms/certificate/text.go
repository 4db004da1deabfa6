package certificate

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/text/unicode/norm"
)

// fallback stands in for a character the embedded fonts cannot draw.
const fallback = '?'

// coverage is the set of BMP runes that every embedded Go font has a glyph
// for: Latin, Greek, Cyrillic and common punctuation (the WGL4 set). fpdf's
// UTF-8 text path handles only the BMP and panics on some runes it has no
// width for, so nothing outside this set ever reaches it.
var coverage = sync.OnceValue(func() *[1 << 16]bool {
	var set [1 << 16]bool
	var fonts []*sfnt.Font
	for _, ttf := range [][]byte{goregular.TTF, gobold.TTF, goitalic.TTF} {
		f, err := sfnt.Parse(ttf)
		if err != nil {
			// The fonts are compiled in; a parse failure is a broken build.
			panic("certificate: parse embedded font: " + err.Error())
		}
		fonts = append(fonts, f)
	}
	var buf sfnt.Buffer
	for r := rune(0x20); r < 1<<16; r++ {
		if !unicode.IsPrint(r) && r != ' ' {
			continue
		}
		ok := true
		for _, f := range fonts {
			if i, err := f.GlyphIndex(&buf, r); err != nil || i == 0 {
				ok = false
				break
			}
		}
		set[r] = ok
	}
	return &set
})

// covered reports whether the embedded fonts can draw r.
func covered(r rune) bool {
	return r >= 0 && r < 1<<16 && coverage()[r]
}

// printable turns a string from a package or a learner into one line of
// text the embedded fonts can draw. Text is NFC-composed first, since the
// fonts have precomposed accented letters but no combining marks. A letter
// without a glyph is spelt with fewer accents or its compatibility form
// where the fonts have that (see substitute), and is '?' otherwise, as is
// invalid UTF-8; combining marks the fonts lack are dropped; control and
// format characters (including bidi overrides and zero-width joiners) are
// removed; and any run of white space becomes one space.
func printable(s string) string {
	return clean(s, covered)
}

// metadata cleans a string for the document information dictionary, which a
// viewer draws with its own fonts, so any BMP character may stay. fpdf's
// UTF-16 encoder mangles characters beyond the BMP and panics on invalid
// UTF-8, so those are replaced.
func metadata(s string) string {
	return clean(s, func(r rune) bool { return r < 1<<16 })
}

func clean(s string, keep func(rune) bool) string {
	s = strings.ToValidUTF8(s, string(fallback))
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Co, r), unicode.Is(unicode.Cs, r),
			unicode.Is(unicode.Variation_Selector, r):
			continue
		case !keep(r):
			if unicode.In(r, unicode.Mn, unicode.Me) {
				continue
			}
			if sub, ok := substitute(r, keep); ok {
				if space {
					b.WriteByte(' ')
					space = false
				}
				b.WriteString(sub)
				continue
			}
			r = fallback
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// substitute finds a near spelling of r from characters keep accepts: its
// compatibility decomposition with as many of its accents as have a
// precomposed form, so Vietnamese "ễ" becomes "ê" and full-width "Ａ"
// becomes "A". It fails when a base character is not accepted either.
func substitute(r rune, keep func(rune) bool) (string, bool) {
	d := []rune(norm.NFKD.String(string(r)))
	if len(d) == 1 && d[0] == r {
		return "", false
	}
	var out []rune
	for _, x := range d {
		if unicode.In(x, unicode.Mn, unicode.Me) {
			if n := len(out); n > 0 {
				if c := []rune(norm.NFC.String(string([]rune{out[n-1], x}))); len(c) == 1 && keep(c[0]) {
					out[n-1] = c[0]
				}
			}
			continue
		}
		if !keep(x) {
			return "", false
		}
		out = append(out, x)
	}
	return string(out), len(out) > 0
}

// measurer gives the width of s in millimetres in the current font.
type measurer interface {
	GetStringWidth(s string) float64
}

// wrap breaks text (already cleaned: single spaces) into lines no wider than
// width, breaking inside a word only when the word alone is too wide.
func wrap(m measurer, text string, width float64) []string {
	var lines []string
	line := ""
	for _, word := range strings.Split(text, " ") {
		if word == "" {
			continue
		}
		if line != "" {
			if m.GetStringWidth(line+" "+word) <= width {
				line += " " + word
				continue
			}
			lines = append(lines, line)
			line = ""
		}
		for m.GetStringWidth(word) > width {
			head, rest := splitWidth(m, word, width)
			lines = append(lines, head)
			word = rest
		}
		line = word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// splitWidth cuts s after the longest prefix no wider than width; the prefix
// always holds at least one rune so that wrapping makes progress.
func splitWidth(m measurer, s string, width float64) (head, rest string) {
	cut := 0
	for i, r := range s {
		next := i + utf8.RuneLen(r)
		if cut > 0 && m.GetStringWidth(s[:next]) > width {
			break
		}
		cut = next
	}
	return s[:cut], s[cut:]
}

// ellipsize shortens s until s followed by an ellipsis fits in width.
func ellipsize(m measurer, s string, width float64) string {
	const dots = "…"
	if m.GetStringWidth(s) <= width {
		return s
	}
	for s != "" && m.GetStringWidth(s+dots) > width {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return strings.TrimRight(s, " ") + dots
}
