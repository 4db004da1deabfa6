// Package certificate renders completion certificates as one-page A4
// landscape PDFs.
//
// Text is set in the Go fonts (golang.org/x/image/font/gofont), embedded and
// subset into each PDF. They cover the WGL4 set: Latin-1 and Latin
// Extended-A (so most European names), Greek and Cyrillic, and common
// punctuation and symbols. A letter they lack is spelt with the accents
// they have ("Nguyễn" prints as "Nguyên") or its compatibility form
// (full-width "Ａ" as "A"). Anything else — CJK, Arabic, Hebrew, Indic and
// other scripts, emoji — prints as '?', one per character, so the layout
// holds and Render never fails on its input. The PDF's metadata (title,
// subject, author) keeps such text as given, for viewers that can show it.
package certificate

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goitalic"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/text/unicode/norm"
)

// Certificate is what one certificate says.
type Certificate struct {
	Organisation string         // issuer, e.g. "Acme Safety Ltd"; omitted when empty
	LearnerName  string         // the largest text on the page
	CourseTitle  string         // wraps and shrinks to fit; cut with "…" past that
	CompletedAt  time.Time      // printed as a date only ("2 March 2026"), in Location
	ExpiresAt    *time.Time     // nil: no "Valid until" date
	Passed       bool           // adds "with a pass"
	Score        *float64       // scaled 0..1, printed as a whole percentage, rounded down
	Code         string         // verification code, e.g. "7K2Q-9XMV-3HTP"
	VerifyURL    string         // printed in the footer; also a link when it is an http(s) URL
	Location     *time.Location // for the dates; nil means UTC
}

// ErrNoCompletion is returned by Render for a certificate whose CompletedAt
// is the zero time: there is nothing to certify.
var ErrNoCompletion = errors.New("certificate: no completion time")

// Render writes c as a one-page PDF to w. Any text in c is accepted; see the
// package documentation for characters the fonts lack. The document is
// complete before the first byte is written, so on an error from Render
// itself (not from w) nothing has been written.
func Render(w io.Writer, c Certificate) error {
	return render(w, c, options{compress: true})
}

// options are the knobs tests need and callers do not.
type options struct {
	compress bool
}

// Page geometry in millimetres (A4 landscape).
const (
	pageW   = 297.0
	pageH   = 210.0
	centreX = pageW / 2
	textW   = 230.0 // widest line of body text
	ptToMM  = 25.4 / 72
	family  = "go"
)

type rgb struct{ r, g, b int }

var (
	ink    = rgb{0x1f, 0x2a, 0x44} // navy: title, name
	accent = rgb{0xa8, 0x84, 0x4c} // muted gold: frame, rules
	muted  = rgb{0x5a, 0x60, 0x6b} // grey: connecting words, labels, footer
)

func render(w io.Writer, c Certificate, o options) error {
	if c.CompletedAt.IsZero() {
		return ErrNoCompletion
	}
	loc := location(c)

	pdf := fpdf.NewCustom(&fpdf.InitType{
		OrientationStr: "L",
		UnitStr:        "mm",
		SizeStr:        "A4",
	})
	pdf.SetCompression(o.compress)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.AddUTF8FontFromBytes(family, "", goregular.TTF)
	pdf.AddUTF8FontFromBytes(family, "B", gobold.TTF)
	pdf.AddUTF8FontFromBytes(family, "I", goitalic.TTF)

	title := "Certificate of Completion"
	pdf.SetTitle(metadata(title+": "+c.CourseTitle), true)
	pdf.SetSubject(metadata(c.LearnerName), true)
	pdf.SetAuthor(metadata(c.Organisation), true)
	pdf.SetCreator("Lectern", false)
	pdf.SetProducer("Lectern", false)
	pdf.SetLang("en")
	// A fixed date and sorted resources make the same certificate the same
	// bytes on every download, so caches and checksums agree.
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(c.CompletedAt.In(loc))
	pdf.SetModificationDate(c.CompletedAt.In(loc))
	pdf.AddPage()

	d := drawer{pdf}
	d.frame()

	// Header, anchored to the top.
	if org := printable(c.Organisation); org != "" {
		b := d.fit(org, "B", 15, 9, textW, 1)
		d.block(b, 27, muted)
	}
	d.block(d.fit(title, "", 34, 34, textW, 1), 38, ink)
	d.rule(centreX-22, 56, centreX+22, 56, accent, 0.6)

	// Body: name, course and result, centred between the header and the
	// dates. The course title gets whatever height the rest leaves and
	// shrinks and wraps into it, so the page never overflows.
	const bodyTop, bodyBottom = 62.0, 150.0
	intro := d.fit("This is to certify that", "I", 13, 13, textW, 1)
	name := d.fit(printable(c.LearnerName), "B", 34, 16, textW, 2)
	done := d.fit("has completed the course", "I", 13, 13, textW, 1)
	var result block
	if r := resultLine(c); r != "" {
		result = d.fit(r, "I", 13, 13, textW, 1)
	}
	const introGap, nameGap, doneGap, courseGap = 4.0, 6.0, 3.0, 3.0
	fixed := intro.height() + introGap + name.height() + nameGap + done.height() + doneGap
	if len(result.lines) > 0 {
		fixed += courseGap + result.height()
	}
	course := d.fitHeight(printable(c.CourseTitle), "B", 22, 9, textW, bodyBottom-bodyTop-fixed)
	y := bodyTop + (bodyBottom-bodyTop-fixed-course.height())/2
	y = d.block(intro, y, muted) + introGap
	y = d.block(name, y, ink)
	half := math.Min(textW, math.Max(120, d.widest(name)+24)) / 2
	d.rule(centreX-half, y+1, centreX+half, y+1, accent, 0.3)
	y = d.block(done, y+nameGap, muted) + doneGap
	y = d.block(course, y, ink) + courseGap
	if len(result.lines) > 0 {
		d.block(result, y, muted)
	}

	// Dates, anchored to the bottom.
	cols := []column{{"Date of completion", longDate(c.CompletedAt.In(loc))}}
	if c.ExpiresAt != nil && !c.ExpiresAt.IsZero() {
		cols = append(cols, column{"Valid until", longDate(c.ExpiresAt.In(loc))})
	}
	d.columns(cols, 163)

	d.footer(printable(c.Code), printable(c.VerifyURL), c.VerifyURL)

	if n := pdf.PageCount(); n != 1 {
		return fmt.Errorf("certificate: render: %d pages, want 1", n)
	}
	pdf.Close()
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("certificate: render: %w", err)
	}
	if err := pdf.Output(w); err != nil {
		return fmt.Errorf("certificate: write: %w", err)
	}
	return nil
}

// location is where dates are read; nil means UTC.
func location(c Certificate) *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

func longDate(t time.Time) string {
	return t.Format("2 January 2006")
}

// resultLine says how the course was completed, or nothing.
func resultLine(c Certificate) string {
	var parts []string
	if c.Passed {
		parts = append(parts, "a pass")
	}
	if c.Score != nil && !math.IsNaN(*c.Score) {
		parts = append(parts, "a score of "+percent(*c.Score))
	}
	if len(parts) == 0 {
		return ""
	}
	return "with " + strings.Join(parts, " and ")
}

// percent prints a scaled score as a whole percentage. It rounds down, so a
// score just under a pass mark never prints as the pass mark itself.
func percent(scaled float64) string {
	scaled = max(0, min(1, scaled))
	p := math.Floor(scaled*100 + 1e-9)
	return strconv.Itoa(int(p)) + "%"
}

// block is text fitted to a size: lines drawn centred, one under another.
type block struct {
	style string
	size  float64 // points
	lines []string
}

// lineHeight is the distance between baselines in millimetres.
func (b block) lineHeight() float64 { return b.size * ptToMM * 1.22 }

// height is the vertical space the block takes in millimetres.
func (b block) height() float64 { return float64(len(b.lines)) * b.lineHeight() }

type drawer struct{ pdf *fpdf.Fpdf }

// maxRunes bounds the text fitted on the page; even at the smallest size
// no block shows this much, and it keeps fitting fast on huge input.
const maxRunes = 2000

// fit finds the largest size from maxSize down to minSize at which text wraps into
// at most maxLines lines of width; at minSize it cuts the last line with an
// ellipsis.
func (d drawer) fit(text, style string, maxSize, minSize, width float64, maxLines int) block {
	return d.fitBox(text, style, maxSize, minSize, width, maxLines, math.Inf(1))
}

// fitHeight is fit with the line budget set by a height in millimetres.
func (d drawer) fitHeight(text, style string, maxSize, minSize, width, height float64) block {
	return d.fitBox(text, style, maxSize, minSize, width, math.MaxInt, height)
}

func (d drawer) fitBox(text, style string, maxSize, minSize, width float64, maxLines int, height float64) block {
	if utf8.RuneCountInString(text) > maxRunes {
		text = cutAfter(text, maxRunes) + "…"
	}
	for size := maxSize; ; size -= 0.5 {
		size = math.Max(size, minSize)
		b := block{style: style, size: size}
		n := maxLines
		if byHeight := height / b.lineHeight(); byHeight < float64(n) {
			n = int(math.Max(1, byHeight))
		}
		d.pdf.SetFont(family, style, size)
		b.lines = wrap(d.pdf, text, width)
		if len(b.lines) <= n {
			return b
		}
		if size == minSize {
			rest := strings.Join(b.lines[n-1:], " ")
			b.lines = append(b.lines[:n-1], ellipsize(d.pdf, cutAfter(rest, 400), width))
			return b
		}
	}
}

// cutAfter keeps at most n runes of s.
func cutAfter(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// block draws b centred with its first line's top at y and returns the y
// just below it.
func (d drawer) block(b block, top float64, c rgb) float64 {
	d.pdf.SetFont(family, b.style, b.size)
	d.pdf.SetTextColor(c.r, c.g, c.b)
	lh := b.lineHeight()
	for i, line := range b.lines {
		// The Go fonts' cap height is about 0.72 em; placing the baseline
		// there puts the visible top of the capitals at the line's top.
		base := top + float64(i)*lh + b.size*ptToMM*0.8
		d.pdf.Text(centreX-d.pdf.GetStringWidth(line)/2, base, line)
	}
	return top + b.height()
}

// widest is the width of b's longest line in millimetres.
func (d drawer) widest(b block) float64 {
	d.pdf.SetFont(family, b.style, b.size)
	w := 0.0
	for _, l := range b.lines {
		w = math.Max(w, d.pdf.GetStringWidth(l))
	}
	return w
}

func (d drawer) rule(x1, y1, x2, y2 float64, c rgb, width float64) {
	d.pdf.SetDrawColor(c.r, c.g, c.b)
	d.pdf.SetLineWidth(width)
	d.pdf.Line(x1, y1, x2, y2)
}

// frame draws a double border with small corner squares.
func (d drawer) frame() {
	d.pdf.SetDrawColor(accent.r, accent.g, accent.b)
	d.pdf.SetLineWidth(1.2)
	d.pdf.Rect(10, 10, pageW-20, pageH-20, "D")
	d.pdf.SetLineWidth(0.3)
	d.pdf.Rect(13.5, 13.5, pageW-27, pageH-27, "D")
	d.pdf.SetFillColor(accent.r, accent.g, accent.b)
	for _, p := range [][2]float64{{13.5, 13.5}, {pageW - 13.5, 13.5}, {13.5, pageH - 13.5}, {pageW - 13.5, pageH - 13.5}} {
		d.pdf.Rect(p[0]-1.5, p[1]-1.5, 3, 3, "F")
	}
}

type column struct{ label, value string }

// columns draws each value over a short rule with its label beneath,
// spread evenly across the page at baseline y.
func (d drawer) columns(cols []column, y float64) {
	const colW = 70.0
	gap := 40.0
	total := float64(len(cols))*colW + float64(len(cols)-1)*gap
	x := centreX - total/2
	for _, col := range cols {
		mid := x + colW/2
		d.pdf.SetFont(family, "", 14)
		d.pdf.SetTextColor(ink.r, ink.g, ink.b)
		d.pdf.Text(mid-d.pdf.GetStringWidth(col.value)/2, y, col.value)
		d.rule(x, y+3, x+colW, y+3, accent, 0.3)
		d.pdf.SetFont(family, "", 9.5)
		d.pdf.SetTextColor(muted.r, muted.g, muted.b)
		d.pdf.Text(mid-d.pdf.GetStringWidth(col.label)/2, y+8, col.label)
		x += colW + gap
	}
}

// footer prints the verification code and URL on one line at the bottom of
// the frame, shrinking (and at worst cutting) them to fit. raw is the URL as
// given, used for the link when it is a plain web address.
func (d drawer) footer(code, shown, raw string) {
	const (
		y     = 188.0
		avail = textW + 20
	)
	type run struct {
		style, text string
		link        bool
	}
	var runs []run
	if code != "" {
		runs = append(runs, run{"", "Verification code  ", false}, run{"B", cutAfter(code, 100), false})
	}
	if shown != "" {
		if len(runs) > 0 {
			runs = append(runs, run{"", "     ", false})
		}
		runs = append(runs, run{"", "Verify at  ", false}, run{"B", cutAfter(shown, 400), isWebURL(raw)})
	}
	if len(runs) == 0 {
		return
	}
	width := func(size float64) float64 {
		w := 0.0
		for _, r := range runs {
			d.pdf.SetFont(family, r.style, size)
			w += d.pdf.GetStringWidth(r.text)
		}
		return w
	}
	size := 9.5
	for size > 6 && width(size) > avail {
		size -= 0.5
	}
	// Still too wide: cut the code to a third of the line, then the URL to
	// what is left, so that both stay visible.
	for i := range runs {
		over := width(size) - avail
		if runs[i].style != "B" || over <= 0 {
			continue
		}
		d.pdf.SetFont(family, "B", size)
		w := d.pdf.GetStringWidth(runs[i].text)
		target := w - over
		if !runs[i].link {
			target = math.Max(target, avail/3)
		}
		runs[i].text = ellipsize(d.pdf, runs[i].text, target)
	}
	x := centreX - width(size)/2
	d.pdf.SetTextColor(muted.r, muted.g, muted.b)
	for _, r := range runs {
		d.pdf.SetFont(family, r.style, size)
		w := d.pdf.GetStringWidth(r.text)
		d.pdf.Text(x, y, r.text)
		if r.link {
			d.pdf.LinkString(x, y-size*ptToMM, w, size*ptToMM*1.3, raw)
		}
		x += w
	}
}

// isWebURL reports whether s is safe to make clickable: an absolute http or
// https URL, nothing a viewer would run.
func isWebURL(s string) bool {
	if len(s) > 2000 || strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// Filename is a download name for c, e.g.
// "certificate-fire-safety-2026-03-02.pdf": an ASCII slug of the course
// title and the completion date, safe to put in Content-Disposition without
// quoting or encoding.
func Filename(c Certificate) string {
	parts := []string{"certificate"}
	if s := slug(c.CourseTitle, 60); s != "" {
		parts = append(parts, s)
	}
	if !c.CompletedAt.IsZero() {
		parts = append(parts, c.CompletedAt.In(location(c)).Format("2006-01-02"))
	}
	return strings.Join(parts, "-") + ".pdf"
}

// letters are Latin letters that do not decompose into ASCII under NFKD.
var letters = map[rune]string{
	'ß': "ss", 'æ': "ae", 'Æ': "ae", 'ø': "o", 'Ø': "o", 'œ': "oe", 'Œ': "oe",
	'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'ð': "d", 'Ð': "d", 'þ': "th", 'Þ': "th",
	'ı': "i", 'ŀ': "l", 'Ŀ': "l", 'ħ': "h", 'Ħ': "h",
}

// slug keeps the ASCII letters and digits of s (accents stripped), joined by
// single hyphens, at most limit bytes long and cut at a hyphen where it can.
func slug(s string, limit int) string {
	var b strings.Builder
	hyphen := false
	for _, r := range norm.NFKD.String(strings.ToValidUTF8(s, "")) {
		var out string
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			out = string(r)
		case r >= 'A' && r <= 'Z':
			out = string(r + 'a' - 'A')
		case letters[r] != "":
			out = letters[r]
		case r >= 0x300 && r < 0x370: // combining accents left by NFKD
			continue
		default:
			hyphen = b.Len() > 0
			continue
		}
		if hyphen {
			b.WriteByte('-')
			hyphen = false
		}
		b.WriteString(out)
	}
	out := b.String()
	if len(out) > limit {
		whole := out[limit] == '-' // the cut falls between two words
		out = out[:limit]
		if i := strings.LastIndexByte(out, '-'); !whole && i > limit/2 {
			out = out[:i]
		}
		out = strings.TrimRight(out, "-")
	}
	return out
}
