// Package chart draws small charts as SVG markup on the server, so that
// report pages need no script. Every chart carries a <title> and <desc> for
// screen readers, each mark its own <title>, and every label is XML-escaped.
// Colours are set with presentation attributes (fill=""), which the
// Content-Security-Policy allows where style="" is not.
package chart

import (
	"encoding/xml"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Colours with at least 4.5:1 contrast against the text drawn on them
// (white, or Ink on the light ones) and 3:1 against the white page.
const (
	Ink    = "#1d2433"
	Green  = "#1b7f3b"
	Blue   = "#1f5fbf"
	Grey   = "#6b7385"
	Red    = "#a4161a"
	Purple = "#5b2a86"
)

// Series is one kind of value in a stacked chart: a legend entry.
type Series struct {
	Name   string
	Colour string // a dark fill: labels on it are white
}

// Bar is one row of a stacked bar chart: one value per series.
type Bar struct {
	Label  string
	Values []int
}

// StackedBars is a horizontal stacked bar chart; bars share one scale, so
// their lengths compare totals.
type StackedBars struct {
	ID          string // unique in the page: the ids of title and desc derive from it
	Title, Desc string
	Series      []Series
	Bars        []Bar
}

// Point is one column of a column chart.
type Point struct {
	Label string
	Value int
}

// Columns is a vertical column chart, for values over time.
type Columns struct {
	ID          string
	Title, Desc string
	Unit, Units string // what a value counts, for each column's title: "completion", "completions"
	Colour      string
	Points      []Point
}

const (
	width     = 720
	labelW    = 200 // left column for bar labels
	totalW    = 50  // right column for bar totals
	barH      = 26
	rowGap    = 10
	legendH   = 30
	fontSize  = 13
	maxLabel  = 28 // runes shown before an ellipsis; the full label is in the <title>
	minInside = 24 // a segment narrower than this has no number drawn on it
)

// SVG renders the chart.
func (c StackedBars) SVG() string {
	var b svgBuilder
	rows := len(c.Bars)
	height := legendH + rows*(barH+rowGap) + rowGap
	if rows == 0 {
		height = legendH + 40
	}
	b.open(c.ID, c.Title, c.Desc, height)
	c.legend(&b)
	max := 0
	for _, bar := range c.Bars {
		if t := sum(bar.Values); t > max {
			max = t
		}
	}
	if rows == 0 {
		b.text(width/2, legendH+24, "middle", Ink, "No data yet.")
	}
	plotW := float64(width - labelW - totalW)
	for i, bar := range c.Bars {
		y := legendH + rowGap + i*(barH+rowGap)
		total := sum(bar.Values)
		fmt.Fprintf(&b, `<g><title>%s</title>`, esc(bar.Label+": "+c.breakdown(bar)))
		b.text(labelW-8, y+barH/2+fontSize/2-2, "end", Ink, shorten(bar.Label))
		// The empty track shows where a bar would be, so a row with no
		// enrolments still reads as a row.
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="#eef0f4"/>`, labelW, y, plotW, barH)
		x := float64(labelW)
		for j, v := range bar.Values {
			if v <= 0 || max == 0 || j >= len(c.Series) {
				continue
			}
			w := plotW * float64(v) / float64(max)
			s := c.Series[j]
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s</title></rect>`,
				x, y, w, barH, esc(s.Colour), esc(fmt.Sprintf("%s: %s %d of %d", bar.Label, s.Name, v, total)))
			if w >= minInside {
				b.text(int(x+w/2), y+barH/2+fontSize/2-2, "middle", "#ffffff", fmt.Sprint(v))
			}
			x += w
		}
		b.text(width-totalW+6, y+barH/2+fontSize/2-2, "start", Ink, fmt.Sprint(total))
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func (c StackedBars) legend(b *svgBuilder) {
	x := 0
	for _, s := range c.Series {
		fmt.Fprintf(b, `<rect x="%d" y="6" width="14" height="14" fill="%s"/>`, x, esc(s.Colour))
		b.text(x+20, 18, "start", Ink, s.Name)
		x += 20 + 7*utf8.RuneCountInString(s.Name) + 28
	}
}

func (c StackedBars) breakdown(bar Bar) string {
	var parts []string
	for j, v := range bar.Values {
		if j < len(c.Series) {
			parts = append(parts, fmt.Sprintf("%s %d", c.Series[j].Name, v))
		}
	}
	return strings.Join(parts, ", ")
}

// SVG renders the chart.
func (c Columns) SVG() string {
	const (
		top, bottom, left, right = 20, 36, 40, 10
		height                   = 240
	)
	var b svgBuilder
	b.open(c.ID, c.Title, c.Desc, height)
	colour := c.Colour
	if colour == "" {
		colour = Blue
	}
	max := 0
	for _, p := range c.Points {
		if p.Value > max {
			max = p.Value
		}
	}
	step := tickStep(max)
	top2 := step * ((max + step - 1) / step)
	if top2 == 0 {
		top2 = step
	}
	plotH := float64(height - top - bottom)
	plotW := float64(width - left - right)
	// Gridlines with their values on the y axis.
	for v := 0; v <= top2; v += step {
		y := float64(top) + plotH - plotH*float64(v)/float64(top2)
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#d9dde5" stroke-width="1"/>`, left, y, width-right, y)
		b.text(left-6, int(y)+4, "end", Ink, fmt.Sprint(v))
	}
	if len(c.Points) == 0 {
		b.text(width/2, height/2, "middle", Ink, "No data yet.")
	}
	n := len(c.Points)
	for i, p := range c.Points {
		slot := plotW / float64(n)
		w := slot * 0.6
		x := float64(left) + slot*float64(i) + (slot-w)/2
		h := plotH * float64(p.Value) / float64(top2)
		y := float64(top) + plotH - h
		fmt.Fprintf(&b, `<g><title>%s</title>`, esc(fmt.Sprintf("%s: %d %s", p.Label, p.Value, c.unit(p.Value))))
		if p.Value > 0 {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x, y, w, h, esc(colour))
			b.text(int(x+w/2), int(y)-4, "middle", Ink, fmt.Sprint(p.Value))
		}
		// Every label when they fit, else every other one.
		if n <= 12 || i%2 == 0 {
			b.text(int(x+w/2), height-bottom+18, "middle", Ink, shorten(p.Label))
		}
		b.WriteString(`</g>`)
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="1"/>`, left, height-bottom, width-right, height-bottom, Ink)
	b.WriteString(`</svg>`)
	return b.String()
}

func (c Columns) unit(n int) string {
	if n == 1 {
		return c.Unit
	}
	return c.Units
}

// tickStep picks a gridline spacing giving at most about five lines.
func tickStep(max int) int {
	for _, s := range []int{1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000} {
		if max/s <= 5 {
			return s
		}
	}
	return max/5 + 1
}

type svgBuilder struct{ strings.Builder }

// open starts the root element. role="img" with aria-labelledby makes screen
// readers announce the title and description rather than every mark.
func (b *svgBuilder) open(id, title, desc string, height int) {
	if id == "" {
		id = "chart"
	}
	id = esc(id)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="100%%" role="img" aria-labelledby="%s-title %s-desc" font-family="system-ui, sans-serif" font-size="%d">`,
		width, height, id, id, fontSize)
	fmt.Fprintf(b, `<title id="%s-title">%s</title><desc id="%s-desc">%s</desc>`, id, esc(title), id, esc(desc))
}

func (b *svgBuilder) text(x, y int, anchor, fill, s string) {
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="%s" fill="%s">%s</text>`, x, y, anchor, fill, esc(s))
}

// esc escapes text and attribute values.
func esc(s string) string {
	var sb strings.Builder
	_ = xml.EscapeText(&sb, []byte(s)) // writes to a strings.Builder never fail
	return sb.String()
}

func shorten(s string) string {
	if utf8.RuneCountInString(s) <= maxLabel {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:maxLabel-1])) + "…"
}

func sum(vs []int) int {
	t := 0
	for _, v := range vs {
		t += v
	}
	return t
}
