package chart

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"testing"
)

// texts decodes svg as XML, failing the test when it is not well formed, and
// returns every character data run and every element name seen.
func texts(t *testing.T, svg string) (chars []string, elems map[string]int) {
	t.Helper()
	elems = map[string]int{}
	d := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return chars, elems
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			elems[v.Name.Local]++
		case xml.CharData:
			chars = append(chars, string(v))
		}
	}
}

var series = []Series{{"Compliant", Green}, {"In progress", Blue}, {"To do", Grey}, {"Overdue", Red}, {"Expired", Purple}}

func TestStackedBars(t *testing.T) {
	hostile := `<script>alert("x")</script> & Co`
	many := make([]Bar, 40)
	for i := range many {
		many[i] = Bar{Label: fmt.Sprintf("Course %d", i), Values: []int{i, 1, 0, 2, i % 3}}
	}
	tests := []struct {
		name     string
		bars     []Bar
		wantRows int // <g> per bar
		wantText []string
	}{
		{"zero data", nil, 0, []string{"No data yet."}},
		{"one bar", []Bar{{Label: "Fire Safety", Values: []int{3, 1, 0, 0, 0}}}, 1, []string{"Fire Safety", "3", "4"}},
		{"all zero", []Bar{{Label: "Empty", Values: []int{0, 0, 0, 0, 0}}}, 1, []string{"Empty", "0"}},
		{"hostile label", []Bar{{Label: hostile, Values: []int{1, 0, 0, 0, 0}}}, 1, []string{"Co"}},
		{"many bars", many, 40, []string{"Course 0", "Course 39"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svg := StackedBars{ID: "by-course", Title: "Status & " + hostile, Desc: "desc", Series: series, Bars: tt.bars}.SVG()
			if strings.Contains(svg, "<script") {
				t.Fatalf("label not escaped: %s", svg)
			}
			chars, elems := texts(t, svg)
			if elems["svg"] != 1 || elems["title"] < 1 || elems["desc"] != 1 {
				t.Errorf("elements %v, want one svg with a title and a desc", elems)
			}
			if got := elems["g"]; got != tt.wantRows {
				t.Errorf("%d rows, want %d", got, tt.wantRows)
			}
			all := strings.Join(chars, "\n")
			for _, w := range append(tt.wantText, "Status & "+hostile, "Compliant", "Expired") {
				if !strings.Contains(all, w) {
					t.Errorf("text lacks %q", w)
				}
			}
		})
	}
}

func TestStackedBarsScale(t *testing.T) {
	svg := StackedBars{Series: series[:1], Bars: []Bar{{"A", []int{10}}, {"B", []int{5}}}}.SVG()
	full := fmt.Sprintf(`width="%.1f"`, float64(width-labelW-totalW))
	half := fmt.Sprintf(`width="%.1f"`, float64(width-labelW-totalW)/2)
	if strings.Count(svg, full) != 3 || !strings.Contains(svg, half) { // two tracks and the longest bar
		t.Errorf("bars not on one scale: %s", svg)
	}
}

func TestColumns(t *testing.T) {
	var twelve []Point
	for i := 0; i < 12; i++ {
		twelve = append(twelve, Point{Label: fmt.Sprintf("W%d", i), Value: i * 3})
	}
	tests := []struct {
		name     string
		points   []Point
		wantRect int
		wantText []string
	}{
		{"zero data", nil, 0, []string{"No data yet."}},
		{"all zero", []Point{{"1 Mar", 0}, {"8 Mar", 0}}, 0, []string{"1 Mar", "8 Mar"}},
		{"one column", []Point{{"1 Mar", 7}}, 1, []string{"1 Mar", "7", "1 Mar: 7 completions"}},
		{"singular", []Point{{"1 Mar", 1}}, 1, []string{"1 Mar: 1 completion"}},
		{"hostile label", []Point{{`<script>&`, 2}}, 1, []string{`<script>&`}},
		{"twelve weeks", twelve, 11, []string{"W0", "W11", "33"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svg := Columns{ID: "weeks", Title: "Completions <per> week", Unit: "completion", Units: "completions", Points: tt.points}.SVG()
			if strings.Contains(svg, "<script") {
				t.Fatalf("label not escaped: %s", svg)
			}
			chars, elems := texts(t, svg)
			if got := elems["rect"]; got != tt.wantRect {
				t.Errorf("%d columns drawn, want %d", got, tt.wantRect)
			}
			all := strings.Join(chars, "\n")
			for _, w := range append(tt.wantText, "Completions <per> week") {
				if !strings.Contains(all, w) {
					t.Errorf("text lacks %q", w)
				}
			}
		})
	}
}

func TestTickStep(t *testing.T) {
	for _, tt := range []struct{ max, want int }{{0, 1}, {5, 1}, {6, 2}, {33, 10}, {1000, 200}} {
		if got := tickStep(tt.max); got != tt.want {
			t.Errorf("tickStep(%d) = %d, want %d", tt.max, got, tt.want)
		}
	}
}
