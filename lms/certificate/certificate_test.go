package certificate

import (
	"bytes"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"
)

var completed = time.Date(2026, 3, 2, 14, 30, 0, 0, time.UTC)

// sample is a typical certificate; tests change one field at a time.
func sample() Certificate {
	expires := completed.AddDate(1, 0, 0)
	score := 0.873
	return Certificate{
		Organisation: "Acme Safety Ltd",
		LearnerName:  "Zoë Ødegård",
		CourseTitle:  "Fire Safety in the Workplace",
		CompletedAt:  completed,
		ExpiresAt:    &expires,
		Passed:       true,
		Score:        &score,
		Code:         "7K2Q-9XMV-3HTP",
		VerifyURL:    "https://lms.example.org/verify/7K2Q-9XMV-3HTP",
	}
}

func with(change func(*Certificate)) Certificate {
	c := sample()
	change(&c)
	return c
}

// hostile are strings from packages and learners that must never make
// Render fail.
var hostile = []string{
	"",
	" \t\n ",
	"Zoë Ødegård",
	"李雷",
	"שלום עולם",
	"مرحبا بالعالم",
	"\u202eevil\u202c name",
	"👩\u200d💻🔥🎓",
	"Ελένη Παπαδοπούλου / Пётр Чайковский",
	"e\u0301\u0301\u0301 zalgo a\u0336\u0337",
	"<script>alert(1)</script>",
	"%PDF-1.7\n%%EOF",
	")",
	"(",
	"\\",
	`\) Tj ET BT (`,
	"\x00\x01\x07\x1b[31m\r\n\x7f\u0085",
	"\xff\xfe invalid \xc3",
	"\ufeff\ufffe\uffff\U0010ffff\U000e0001",
	"\u0100\u010a\u010d\u0128\u0129\u015c", // UTF-16 bytes that are \n, \r, ( and ) in a PDF string
	strings.Repeat("Supercalifragilistic", 40),
	strings.Repeat("Long course title with words ", 18)[:500],
	strings.Repeat("字", 5000),
}

func TestRender(t *testing.T) {
	type test struct {
		name string
		c    Certificate
	}
	tests := []test{
		{"typical", sample()},
		{"no expiry, score or pass", with(func(c *Certificate) { c.ExpiresAt, c.Score, c.Passed = nil, nil, false })},
		{"score without pass", with(func(c *Certificate) { c.Passed = false })},
		{"NaN score", with(func(c *Certificate) { nan := math.NaN(); c.Score = &nan })},
		{"infinite score", with(func(c *Certificate) { inf := math.Inf(-1); c.Score = &inf })},
		{"zero expiry", with(func(c *Certificate) { c.ExpiresAt = &time.Time{} })},
		{"location", with(func(c *Certificate) { c.Location = time.FixedZone("NZDT", 13*3600) })},
		{"empty strings", with(func(c *Certificate) {
			c.Organisation, c.LearnerName, c.CourseTitle, c.Code, c.VerifyURL = "", "", "", "", ""
		})},
		{"javascript URL", with(func(c *Certificate) { c.VerifyURL = "javascript:alert(1)" })},
	}
	for i, s := range hostile {
		tests = append(tests,
			test{"learner " + strconv.Itoa(i), with(func(c *Certificate) { c.LearnerName = s })},
			test{"course " + strconv.Itoa(i), with(func(c *Certificate) { c.CourseTitle = s })},
			test{"all fields " + strconv.Itoa(i), with(func(c *Certificate) {
				c.Organisation, c.LearnerName, c.CourseTitle, c.Code, c.VerifyURL = s, s, s, s, s
			})},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Render(&buf, tt.c); err != nil {
				t.Fatalf("Render: %v", err)
			}
			checkPDF(t, buf.Bytes())
		})
	}
}

// checkPDF checks the frame of a rendered certificate: a PDF file of
// exactly one page.
func checkPDF(t *testing.T, pdf []byte) {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("output starts with %q, want %%PDF-", pdf[:min(len(pdf), 8)])
	}
	if !bytes.HasSuffix(bytes.TrimRight(pdf, "\r\n"), []byte("%%EOF")) {
		t.Errorf("output ends with %q, want %%%%EOF", pdf[max(0, len(pdf)-8):])
	}
	if n := len(pageObject.FindAll(pdf, -1)); n != 1 {
		t.Errorf("got %d pages, want 1", n)
	}
}

var pageObject = regexp.MustCompile(`/Type\s*/Page\b`)

func TestRenderContent(t *testing.T) {
	tests := []struct {
		name    string
		c       Certificate
		want    []string // as drawn, after the fonts' fallback
		notWant []string
	}{
		{
			name: "typical",
			c:    sample(),
			want: []string{"Acme Safety Ltd", "Certificate of Completion", "Zoë Ødegård", "Fire Safety in the Workplace",
				"2 March 2026", "Valid until", "2 March 2027", "with a pass and a score of 87%",
				"7K2Q-9XMV-3HTP", "https://lms.example.org/verify/7K2Q-9XMV-3HTP"},
		},
		{
			name:    "no expiry, no result",
			c:       with(func(c *Certificate) { c.ExpiresAt, c.Score, c.Passed = nil, nil, false }),
			want:    []string{"2 March 2026"},
			notWant: []string{"Valid until", "with a"},
		},
		{
			name: "pass only",
			c:    with(func(c *Certificate) { c.Score = nil }),
			want: []string{"with a pass"}, notWant: []string{"score"},
		},
		{
			name: "score only",
			c:    with(func(c *Certificate) { c.Passed = false }),
			want: []string{"with a score of 87%"}, notWant: []string{"pass"},
		},
		{
			name: "PDF string escaping",
			c: with(func(c *Certificate) {
				c.LearnerName, c.CourseTitle, c.Code = `O'Brien (Jr.) \ Smith`, "Safety ) Tj (basics)", `A\B)C(`
			}),
			want: []string{`O'Brien (Jr.) \ Smith`, "Safety ) Tj (basics)", `A\B)C(`},
		},
		{
			name: "uncovered scripts fall back",
			c:    with(func(c *Certificate) { c.LearnerName, c.CourseTitle = "李雷", "\u202eשלום 👩\u200d💻" }),
			want: []string{"??", "???? ??"},
		},
		{
			name: "control characters become spaces",
			c:    with(func(c *Certificate) { c.LearnerName = "Ada\t\n Lovelace\x00" }),
			want: []string{"Ada Lovelace"},
		},
		{
			name: "location moves the date",
			c: with(func(c *Certificate) {
				c.CompletedAt = time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC)
				c.Location = time.FixedZone("CET", 3600)
			}),
			want: []string{"2 March 2026"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := render(&buf, tt.c, options{}); err != nil {
				t.Fatalf("render: %v", err)
			}
			pdf := buf.Bytes()
			checkPDF(t, pdf)
			for _, s := range tt.want {
				if !bytes.Contains(pdf, pdfText(s)) {
					t.Errorf("content lacks %q", s)
				}
			}
			for _, s := range tt.notWant {
				if bytes.Contains(pdf, pdfText(s)) {
					t.Errorf("content has %q, want it absent", s)
				}
			}
		})
	}
}

// pdfText is s as it appears in a content stream drawn with an embedded
// Unicode font: UTF-16BE inside a literal string, with \ ( ) and CR escaped.
func pdfText(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		for _, c := range []byte{byte(u >> 8), byte(u)} {
			switch c {
			case '\\', '(', ')':
				b = append(b, '\\', c)
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, c)
			}
		}
	}
	return b
}

func TestRenderStaysOnPage(t *testing.T) {
	long := strings.Repeat("Mmmmmmmmmm ", 200)
	tests := []struct {
		name string
		c    Certificate
	}{
		{"typical", sample()},
		{"everything long", with(func(c *Certificate) {
			c.Organisation, c.LearnerName, c.CourseTitle, c.Code, c.VerifyURL = long, long, long, long, "https://x.example/"+long
		})},
		{"one long word", with(func(c *Certificate) { c.LearnerName = strings.Repeat("W", 3000) })},
	}
	// Every line is placed with "x y Td"; lines are centred, so a left edge
	// inside the frame means the whole line is.
	td := regexp.MustCompile(`BT (-?[0-9.]+) (-?[0-9.]+) Td`)
	const mm = 72 / 25.4
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := render(&buf, tt.c, options{}); err != nil {
				t.Fatalf("render: %v", err)
			}
			checkPDF(t, buf.Bytes())
			for _, m := range td.FindAllSubmatch(buf.Bytes(), -1) {
				x, _ := strconv.ParseFloat(string(m[1]), 64)
				y, _ := strconv.ParseFloat(string(m[2]), 64)
				if x < 15*mm || x > (pageW-15)*mm || y < 15*mm || y > (pageH-15)*mm {
					t.Errorf("text at (%.1f, %.1f) mm, outside the frame", x/mm, pageH-y/mm)
				}
			}
		})
	}
}

func TestRenderLink(t *testing.T) {
	tests := []struct {
		url  string
		link bool
	}{
		{"https://lms.example.org/verify/7K2Q-9XMV-3HTP", true},
		{"http://localhost:8080/verify/ABC", true},
		{"javascript:alert(1)", false},
		{"file:///etc/passwd", false},
		{"https://lms.example.org/verify/a b", false},
		{"/verify/ABC", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			var buf bytes.Buffer
			if err := render(&buf, with(func(c *Certificate) { c.VerifyURL = tt.url }), options{}); err != nil {
				t.Fatalf("render: %v", err)
			}
			got := bytes.Contains(buf.Bytes(), []byte("/URI"))
			if got != tt.link {
				t.Errorf("link annotation: got %v, want %v", got, tt.link)
			}
		})
	}
}

func TestRenderNoCompletion(t *testing.T) {
	var buf bytes.Buffer
	err := Render(&buf, with(func(c *Certificate) { c.CompletedAt = time.Time{} }))
	if !errors.Is(err, ErrNoCompletion) {
		t.Errorf("got %v, want ErrNoCompletion", err)
	}
}

func TestRenderDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := Render(&a, sample()); err != nil {
		t.Fatal(err)
	}
	if err := Render(&b, sample()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renders of one certificate differ")
	}
}

func TestRenderConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			var buf bytes.Buffer
			errs <- Render(&buf, sample())
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Zoë Ødegård", "Zoë Ødegård"},
		{"Zoe\u0308", "Zoë"}, // decomposed input is composed
		{"Ελένη Пётр", "Ελένη Пётр"},
		{"  Ada\t\n\r Lovelace  ", "Ada Lovelace"},
		{"a\u00a0b\u2028c\u3000d", "a b c d"},
		{"\u202eevil\u202c", "evil"},
		{"李雷", "??"},
		{"שלום", "????"},
		{"👩\u200d💻", "??"},
		{"❤\ufe0f", "?"},
		{"\xff", "?"},
		{"a\x00b", "a b"},
		{"€ – “quotes” …", "€ – “quotes” …"},
		{"Nguyễn Thị", "Nguyên Thi"}, // letters the fonts lack lose the accents they lack
		{"ＡＢＣ ①", "ABC 1"},           // compatibility forms
		{"ǅ ﬁ", "Dž ﬁ"},
	}
	for _, tt := range tests {
		if got := printable(tt.in); got != tt.want {
			t.Errorf("printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestResultLine(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	tests := []struct {
		passed bool
		score  *float64
		want   string
	}{
		{false, nil, ""},
		{true, nil, "with a pass"},
		{false, f(0.5), "with a score of 50%"},
		{true, f(0.873), "with a pass and a score of 87%"},
		{true, f(0.29), "with a pass and a score of 29%"}, // 0.29*100 is 28.999…
		{true, f(0.7999), "with a pass and a score of 79%"},
		{true, f(1), "with a pass and a score of 100%"},
		{true, f(1.7), "with a pass and a score of 100%"},
		{false, f(-0.3), "with a score of 0%"},
		{false, f(math.NaN()), ""},
		{false, f(math.Inf(1)), "with a score of 100%"},
	}
	for _, tt := range tests {
		got := resultLine(Certificate{Passed: tt.passed, Score: tt.score})
		if got != tt.want {
			t.Errorf("passed %v, score %v: got %q, want %q", tt.passed, tt.score, got, tt.want)
		}
	}
}

func TestFilename(t *testing.T) {
	tests := []struct {
		name string
		c    Certificate
		want string
	}{
		{"typical", with(func(c *Certificate) { c.CourseTitle = "Fire Safety" }), "certificate-fire-safety-2026-03-02.pdf"},
		{"accents", with(func(c *Certificate) { c.CourseTitle = "Ødegård's Crème Brûlée — Straße" }),
			"certificate-odegard-s-creme-brulee-strasse-2026-03-02.pdf"},
		{"punctuation", with(func(c *Certificate) { c.CourseTitle = `  "GDPR" / Data-Protection: 101!  ` }),
			"certificate-gdpr-data-protection-101-2026-03-02.pdf"},
		{"no Latin", with(func(c *Certificate) { c.CourseTitle = "消防安全" }), "certificate-2026-03-02.pdf"},
		{"empty", with(func(c *Certificate) { c.CourseTitle = "" }), "certificate-2026-03-02.pdf"},
		{"header injection", with(func(c *Certificate) { c.CourseTitle = "a\r\nContent-Type: text/html\";x=\\" }),
			"certificate-a-content-type-text-html-x-2026-03-02.pdf"},
		{"location", with(func(c *Certificate) {
			c.CourseTitle = "Fire Safety"
			c.CompletedAt = time.Date(2026, 3, 1, 23, 30, 0, 0, time.UTC)
			c.Location = time.FixedZone("CET", 3600)
		}), "certificate-fire-safety-2026-03-02.pdf"},
		{"no date", with(func(c *Certificate) { c.CourseTitle = "Fire Safety"; c.CompletedAt = time.Time{} }),
			"certificate-fire-safety.pdf"},
		{"long", with(func(c *Certificate) { c.CourseTitle = strings.Repeat("health and safety ", 20) }),
			"certificate-health-and-safety-health-and-safety-health-and-safety-health-2026-03-02.pdf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Filename(tt.c); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFilenameSafe(t *testing.T) {
	safe := regexp.MustCompile(`^[a-z0-9.-]+\.pdf$`)
	for _, s := range hostile {
		got := Filename(with(func(c *Certificate) { c.CourseTitle = s }))
		if !safe.MatchString(got) || strings.Contains(got, "--") || len(got) > 100 {
			t.Errorf("Filename(%q) = %q, want [a-z0-9.-] ending in .pdf", s, got)
		}
	}
}

func FuzzRender(f *testing.F) {
	for _, s := range hostile {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, name, title string) {
		c := with(func(c *Certificate) {
			c.LearnerName, c.CourseTitle, c.Organisation, c.Code, c.VerifyURL = name, title, name, title, name
		})
		var buf bytes.Buffer
		if err := Render(&buf, c); err != nil {
			t.Fatalf("Render: %v", err)
		}
		checkPDF(t, buf.Bytes())
		for _, r := range printable(name) {
			if !covered(r) {
				t.Errorf("printable(%q) keeps %U, which the fonts lack", name, r)
			}
		}
		if !regexp.MustCompile(`^[a-z0-9.-]+\.pdf$`).MatchString(Filename(c)) {
			t.Errorf("Filename = %q", Filename(c))
		}
	})
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderWriteError(t *testing.T) {
	err := Render(failWriter{}, sample())
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("got %v, want the writer's error", err)
	}
}
