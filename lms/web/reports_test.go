package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/lectern/lectern/lms/report"
	"github.com/lectern/lectern/lms/store"
)

var hostileNames = []string{
	`=cmd|' /C calc'!A0`, "+1", "-1", "@SUM(A1:A2)", "<script>alert(1)</script>",
	`"double" and 'single'`, "two\nlines", "\ttab", "bad \xff utf-8",
}

// reportEnv is a course titled with markup and learners with hostile names.
func reportEnv(t *testing.T) (*env, uint) {
	t.Helper()
	e := newEnv(t)
	ctx := context.Background()
	v := &store.CourseVersion{Title: "Fire <b>Safety</b>", Edition: "1.2", ContentDir: "x"}
	if err := e.store.CreateCourseVersion(ctx, 0, v, nil, func(*store.CourseVersion) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := e.store.SeedReport(ctx, v.CourseID, v.ID, len(hostileNames)*3, func(i int) string { return hostileNames[i%len(hostileNames)] }); err != nil {
		t.Fatal(err)
	}
	return e, v.CourseID
}

func TestCourseReportPage(t *testing.T) {
	e, cid := reportEnv(t)
	admin := e.signedIn("admin@example.org", true)
	base := fmt.Sprintf("/admin/courses/%d/report", cid)
	for _, c := range []struct {
		name, query string
		status      int
		rows        int
	}{
		{"all", "", http.StatusOK, 27},
		{"small pages", "?size=10", http.StatusOK, 10},
		{"sorted by score, descending", "?sort=score&dir=desc", http.StatusOK, 27},
		{"status filter", "?status=" + url.QueryEscape("to do"), http.StatusOK, -1},
		{"date range", "?enrolled_from=2020-01-01&enrolled_to=2030-12-31", http.StatusOK, 27},
		{"bad status", "?status=%3Cscript%3E", http.StatusBadRequest, 0},
		{"bad sort", "?sort=email", http.StatusBadRequest, 0},
		{"bad date", "?completed_from=yesterday", http.StatusBadRequest, 0},
		{"bad group", "?group=x", http.StatusBadRequest, 0},
		{"bad page token", "?after=%3Cscript%3E", http.StatusBadRequest, 0},
	} {
		r := admin.get(base + c.query)
		if r.status != c.status {
			t.Errorf("%s: status %d, want %d\n%s", c.name, r.status, c.status, r.body)
			continue
		}
		if strings.Contains(r.body, "<script>") || strings.Contains(r.body, "<b>Safety") {
			t.Errorf("%s: unescaped markup in the page", c.name)
		}
		if c.status != http.StatusOK {
			continue
		}
		if !strings.Contains(r.body, "Fire &lt;b&gt;Safety&lt;/b&gt;") {
			t.Errorf("%s: escaped course title missing", c.name)
		}
		if got := strings.Count(r.body, "/transcript\">"); c.rows >= 0 && got != c.rows {
			t.Errorf("%s: %d rows, want %d", c.name, got, c.rows)
		}
	}
	// Follow the pages to the end.
	seen, next := 0, base+"?size=10"
	for i := 0; next != "" && i < 10; i++ {
		r := admin.get(next)
		seen += strings.Count(r.body, "/transcript\">")
		next = ""
		if m := strings.SplitN(r.body, `rel="next"`, 2); len(m) == 2 {
			href := m[0][strings.LastIndex(m[0], `href="`)+6:]
			next = strings.ReplaceAll(href[:strings.Index(href, `"`)], "&amp;", "&")
		}
	}
	if seen != 27 {
		t.Errorf("pages hold %d rows, want 27", seen)
	}
}

func TestCourseReportDownloads(t *testing.T) {
	e, cid := reportEnv(t)
	admin := e.signedIn("admin@example.org", true)
	for _, format := range []string{"csv", "xlsx"} {
		r := admin.get(fmt.Sprintf("/admin/courses/%d/report.%s?sort=name", cid, format))
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d", format, r.status)
		}
		wantName := fmt.Sprintf(`attachment; filename="lectern-fire-b-safety-b-report-2026-03-02.%s"`, format)
		if got := r.header.Get("Content-Disposition"); got != wantName {
			t.Errorf("%s: Content-Disposition %q, want %q", format, got, wantName)
		}
		var names []string
		if format == "csv" {
			body := strings.TrimPrefix(r.body, "\uFEFF")
			if body == r.body {
				t.Error("CSV without byte order mark")
			}
			recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range recs[1:] {
				names = append(names, rec[0])
			}
		} else {
			f, err := excelize.OpenReader(bytes.NewReader([]byte(r.body)))
			if err != nil {
				t.Fatal(err)
			}
			rows, err := f.GetRows("Sheet1")
			if err != nil {
				t.Fatal(err)
			}
			for _, row := range rows[1:] {
				names = append(names, row[0])
			}
		}
		if len(names) != 27 {
			t.Errorf("%s: %d rows, want 27", format, len(names))
		}
		for _, n := range names {
			if n != "" && strings.ContainsRune("=+-@\t\r", rune(n[0])) {
				t.Errorf("%s: cell %q not neutralised", format, n)
			}
		}
		for _, h := range hostileNames {
			want := report.Neutralise(h)
			found := 0
			for _, n := range names {
				if n == want {
					found++
				}
			}
			if found != 3 {
				t.Errorf("%s: %q found %d times, want 3", format, want, found)
			}
		}
	}
	if r := admin.get(fmt.Sprintf("/admin/courses/%d/report.csv?status=nope", cid)); r.status != http.StatusBadRequest {
		t.Errorf("bad filter download: status %d, want 400", r.status)
	}
}

func TestTranscriptPage(t *testing.T) {
	e, cid := reportEnv(t)
	admin := e.signedIn("admin@example.org", true)
	u, err := e.store.UserByEmail(context.Background(), fmt.Sprintf("seed-%d-4@example.org", cid)) // <script> learner, with an attempt
	if err != nil {
		t.Fatal(err)
	}
	r := admin.get(fmt.Sprintf("/admin/users/%d/transcript", u.ID))
	if r.status != http.StatusOK {
		t.Fatalf("transcript: %d", r.status)
	}
	if strings.Contains(r.body, "<script>alert") || !strings.Contains(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("learner name not escaped on the transcript")
	}
	if !strings.Contains(r.body, fmt.Sprintf("/admin/courses/%d/report", cid)) {
		t.Error("transcript does not list the course")
	}
	r = admin.get(fmt.Sprintf("/admin/users/%d/transcript.csv", u.ID))
	if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Disposition"), "lectern-script-alert-1-script-transcript-2026-03-02.csv") {
		t.Errorf("transcript CSV: %d %q", r.status, r.header.Get("Content-Disposition"))
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\uFEFF"))).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != "Fire <b>Safety</b>" {
		t.Errorf("transcript CSV rows %q, err %v", recs, err)
	}
	if r := admin.get(fmt.Sprintf("/admin/users/%d/transcript.xlsx", u.ID)); r.status != http.StatusOK {
		t.Errorf("transcript XLSX: %d", r.status)
	}
}

// TestReportsForbiddenToLearners checks every report route by name, beside
// the automatic authorisation matrix.
func TestReportsForbiddenToLearners(t *testing.T) {
	e, cid := reportEnv(t)
	learner := e.signedIn("learner@example.org", false)
	anon := e.browser()
	u, _ := e.store.UserByEmail(context.Background(), "learner@example.org")
	for _, p := range []string{"/report", "/report.csv", "/report.xlsx"} {
		path := fmt.Sprintf("/admin/courses/%d%s", cid, p)
		if r := learner.get(path); r.status != http.StatusForbidden {
			t.Errorf("learner GET %s: %d, want 403", path, r.status)
		}
		if r := anon.get(path); r.status == http.StatusOK {
			t.Errorf("anonymous GET %s: 200", path)
		}
	}
	for _, p := range []string{"/transcript", "/transcript.csv", "/transcript.xlsx"} {
		path := fmt.Sprintf("/admin/users/%d%s", u.ID, p)
		if r := learner.get(path); r.status != http.StatusForbidden {
			t.Errorf("learner GET %s (own transcript): %d, want 403", path, r.status)
		}
	}
}
