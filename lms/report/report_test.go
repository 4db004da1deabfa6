package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/report"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/store/storetest"
)

// hostile are names a learner or an import could carry into a report.
var hostile = []string{
	`=cmd|' /C calc'!A0`, "+1", "-1", "@SUM(A1:A2)", "<script>alert(1)</script>",
	`"double" and 'single' quotes`, "two\nlines", "\tleading tab", "\rleading cr",
	"bad \xff\xfe utf-8", "ctrl \x01 char", "Zoë Ünicode", "plain",
}

func hostileName(i int) string { return hostile[i%len(hostile)] }

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// newCourse opens a store in a temporary folder with one course.
func newCourse(tb testing.TB, path, title string) (*store.Store, uint, uint) {
	tb.Helper()
	st, err := store.Open(storetest.DSN(tb, path))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	st.SetClock(func() time.Time { return now })
	v := &store.CourseVersion{Title: title, Edition: "1.2", ContentDir: "x"}
	if err := st.CreateCourseVersion(context.Background(), 0, v, nil, func(*store.CourseVersion) error { return nil }); err != nil {
		tb.Fatal(err)
	}
	if err := st.CreateReportIndexes(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return st, v.CourseID, v.ID
}

func seeded(t *testing.T, n int) (*report.Service, uint) {
	st, cid, vid := newCourse(t, filepath.Join(t.TempDir(), "l.db"), `=Fire "safety" <b>`)
	if err := st.SeedReport(context.Background(), cid, vid, n, hostileName); err != nil {
		t.Fatal(err)
	}
	return &report.Service{Store: st, Location: time.UTC}, cid
}

func TestNeutralise(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"=1+2", "'=1+2"}, {"+1", "'+1"}, {"-1", "'-1"}, {"@SUM", "'@SUM"}, {"\tx", "'\tx"}, {"\rx", "'\rx"},
		{"plain", "plain"}, {"", ""}, {"a=b", "a=b"}, {"\xff", "\uFFFD"}, {"'quoted", "'quoted"},
	} {
		if got := report.Neutralise(c.in); got != c.want {
			t.Errorf("Neutralise(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFileName(t *testing.T) {
	at := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct{ subject, kind, ext, want string }{
		{"Fire Safety", "report", "csv", "lectern-fire-safety-report-2026-11-28.csv"},
		{`=cmd|' /C calc'!A0`, "report", "xlsx", "lectern-cmd-c-calc-a0-report-2026-11-28.xlsx"},
		{"<script>", "transcript", "csv", "lectern-script-transcript-2026-11-28.csv"},
		{"ööö", "report", "csv", "lectern-untitled-report-2026-11-28.csv"},
	} {
		if got := report.FileName(c.subject, c.kind, at, c.ext); got != c.want {
			t.Errorf("FileName(%q) = %q, want %q", c.subject, got, c.want)
		}
	}
}

// TestStatusFilterMatchesStatusOf holds the SQL status filter and
// compliance.StatusOf together: every row a status filter returns has that status.
func TestStatusFilterMatchesStatusOf(t *testing.T) {
	svc, cid := seeded(t, 200)
	ctx := context.Background()
	total := 0
	for _, st := range report.Statuses {
		p, err := svc.Page(ctx, cid, report.Query{Status: string(st)}, "", report.MaxPageSize)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Rows {
			if r.Status != st {
				t.Errorf("filter %q returned enrolment %d with status %q", st, r.EnrolmentID, r.Status)
			}
		}
		if len(p.Rows) == 0 {
			t.Errorf("no enrolment with status %q: the seed should cover every status", st)
		}
		n := 0
		if err := svc.Each(ctx, cid, report.Query{Status: string(st)}, func(r report.Row) error {
			n++
			if r.Status != st {
				t.Errorf("export filter %q returned enrolment %d with status %q", st, r.EnrolmentID, r.Status)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if n != len(p.Rows) {
			t.Errorf("status %q: export has %d rows, page %d", st, n, len(p.Rows))
		}
		total += len(p.Rows)
	}
	if total != 200 {
		t.Errorf("statuses cover %d enrolments, want 200", total)
	}
}

// TestPagination walks every sort both ways and checks that the pages
// together are every row once, in order.
func TestPagination(t *testing.T) {
	svc, cid := seeded(t, 230)
	ctx := context.Background()
	for _, sort := range report.Sorts {
		for _, desc := range []bool{false, true} {
			q := report.Query{Sort: sort, Desc: desc}
			seen := map[uint]bool{}
			var order []uint
			after := ""
			var prev *report.Row
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatalf("sort %s desc=%v: too many pages", sort, desc)
				}
				p, err := svc.Page(ctx, cid, q, after, 50)
				if err != nil {
					t.Fatal(err)
				}
				for i := range p.Rows {
					r := &p.Rows[i]
					if seen[r.EnrolmentID] {
						t.Fatalf("sort %s desc=%v: enrolment %d twice", sort, desc, r.EnrolmentID)
					}
					seen[r.EnrolmentID] = true
					order = append(order, r.EnrolmentID)
					if prev != nil && sort == store.SortName && !desc && prev.UserName > r.UserName {
						t.Errorf("sort name: %q before %q", prev.UserName, r.UserName)
					}
					prev = r
				}
				if p.Next == "" {
					break
				}
				after = p.Next
			}
			// The export uses another query: it must give the same order.
			i := 0
			if err := svc.Each(ctx, cid, q, func(r report.Row) error {
				if i < len(order) && order[i] != r.EnrolmentID {
					t.Errorf("sort %s desc=%v: export row %d is enrolment %d, pages have %d", sort, desc, i, r.EnrolmentID, order[i])
				}
				i++
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(seen) != 230 {
				t.Errorf("sort %s desc=%v: %d rows over all pages, want 230", sort, desc, len(seen))
			}
		}
	}
}

func TestFilters(t *testing.T) {
	svc, cid := seeded(t, 120)
	ctx := context.Background()
	count := func(q report.Query) int {
		n := 0
		if err := svc.Each(ctx, cid, q, func(report.Row) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, c := range []struct {
		name string
		q    report.Query
		want int
	}{
		{"all", report.Query{}, 120},
		{"completed today", report.Query{CompletedFrom: "2026-11-28", CompletedTo: "2026-11-28"}, 0}, // seeded completions are before noon today...
		{"completed any time", report.Query{CompletedFrom: "2026-01-01", CompletedTo: "2026-12-31"}, 30},
		{"enrolled today", report.Query{EnrolledFrom: "2026-11-28", EnrolledTo: "2026-11-28"}, 2},
		{"no such group", report.Query{Group: 99}, 0},
	} {
		if c.name == "completed today" {
			// i%4==0 completed (30 of 120), i%30 hours before noon: 0..12 hours is today.
			c.want = 0
			for i := 0; i < 120; i += 4 {
				if i%30 <= 12 { // noon minus 12 hours is still today
					c.want++
				}
			}
		}
		if got := count(c.q); got != c.want {
			t.Errorf("%s: %d rows, want %d", c.name, got, c.want)
		}
	}
	for _, q := range []report.Query{{Status: "bogus"}, {Sort: "email; DROP TABLE users"}, {EnrolledFrom: "28/11/2026"}} {
		if _, err := svc.Page(ctx, cid, q, "", 10); err == nil {
			t.Errorf("query %+v: no error", q)
		}
	}
	if _, err := svc.Page(ctx, cid, report.Query{}, "not-a-token", 10); err == nil {
		t.Error("bad page token: no error")
	}
}

// TestExportsHostile sends hostile names through every format and reads
// the files back.
func TestExportsHostile(t *testing.T) {
	n := len(hostile) * 2
	svc, cid := seeded(t, n)
	ctx := context.Background()
	for _, format := range []string{report.CSV, report.XLSX, report.JSON} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := svc.Export(ctx, &buf, format, cid, report.Query{Sort: store.SortName}); err != nil {
				t.Fatal(err)
			}
			var names []string
			switch format {
			case report.CSV:
				b := buf.Bytes()
				if !bytes.HasPrefix(b, []byte("\uFEFF")) {
					t.Fatal("CSV without a byte order mark")
				}
				recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				if recs[0][0] != "Learner" {
					t.Errorf("header %q", recs[0])
				}
				for _, r := range recs[1:] {
					names = append(names, r[0])
				}
			case report.XLSX:
				f, err := excelize.OpenReader(&buf)
				if err != nil {
					t.Fatal(err)
				}
				rows, err := f.GetRows("Sheet1")
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows[1:] {
					names = append(names, r[0])
				}
			case report.JSON:
				var rows []map[string]any
				if err := json.Unmarshal(buf.Bytes(), &rows); err != nil {
					t.Fatalf("%v\n%s", err, buf.String())
				}
				for _, r := range rows {
					names = append(names, r["learner"].(string))
				}
			}
			if len(names) != n {
				t.Fatalf("%d rows, want %d", len(names), n)
			}
			got := map[string]int{}
			for _, name := range names {
				got[name]++
				if format != report.JSON && name != "" && strings.ContainsRune("=+-@\t\r", rune(name[0])) {
					t.Errorf("%s cell %q starts with a formula character", format, name)
				}
			}
			for _, h := range hostile {
				want := strings.ToValidUTF8(h, "\uFFFD")
				switch format {
				case report.CSV:
					want = report.Neutralise(h)
				case report.XLSX:
					want = strings.ReplaceAll(report.Neutralise(h), "\x01", "")
					want = strings.ReplaceAll(want, "\r", "\n") // XML line-end normalisation
				}
				if got[want] != 2 && !(format == report.XLSX && got[strings.ReplaceAll(want, "\n", "\r")] == 2) {
					t.Errorf("%s: %q appears %d times, want 2 (have %q)", format, want, got[want], names)
				}
			}
		})
	}
	if err := svc.Export(ctx, &bytes.Buffer{}, "pdf", cid, report.Query{}); err == nil {
		t.Error("unknown format: no error")
	}
}

func TestTranscript(t *testing.T) {
	svc, cid := seeded(t, 4)
	ctx := context.Background()
	var first report.Row
	if err := svc.Each(ctx, cid, report.Query{}, func(r report.Row) error {
		if r.AttemptID != nil && first.EnrolmentID == 0 {
			first = r
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var rows []report.TranscriptRow
	if err := svc.EachTranscript(ctx, first.UserID, func(r report.TranscriptRow) error { rows = append(rows, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Fatalf("%d transcript rows, want 1", len(rows))
	}
	if rows[0].Status != first.Status || rows[0].CourseTitle != `=Fire "safety" <b>` {
		t.Errorf("transcript row %+v, want status %q", rows[0], first.Status)
	}
	for _, format := range []string{report.CSV, report.XLSX, report.JSON} {
		var buf bytes.Buffer
		if err := svc.ExportTranscript(ctx, &buf, format, first.UserID); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if format == report.CSV {
			recs, err := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if got := recs[1][0]; got != `'=Fire "safety" <b>` {
				t.Errorf("course cell %q, want neutralised title", got)
			}
		}
	}
	_ = compliance.Completed
}
