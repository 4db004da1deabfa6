package web_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/store"
)

// entryIDs are the entries a page of the audit trail shows, in order.
func entryIDs(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`data-entry="(\d+)"`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestAuditTrailPage: the admins' audit trail shows every admin action,
// filters by person, learner, course, kind and dates, pages by keyset,
// downloads what it shows as CSV and XLSX, escapes what people wrote and
// refuses filters it cannot read.
func TestAuditTrailPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	adminUser, _ := e.store.UserByEmail(ctx, "admin@example.org")
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	e.publish(1)
	lee, kim := e.addUser("lee@example.org", false), e.addUser("kim@example.org", false)
	leeEn, _, _ := e.store.Enrol(ctx, lee.ID, 1, nil)
	kimEn, _, _ := e.store.Enrol(ctx, kim.ID, 1, nil)
	// A day later, corrections with reasons, one of them hostile.
	e.advance(24 * time.Hour)
	admin.login("admin@example.org", "password-123") // the session is idle by now
	tok := admin.csrf("/admin/audit")
	if r := admin.post(fmt.Sprintf("/admin/enrolments/%d/exempt", kimEn.ID), url.Values{"exempt": {"true"}, "reason": {`<script>alert("x")</script> =cmd`}}, tok); r.status != http.StatusSeeOther {
		t.Fatalf("exempt: %d %s", r.status, r.body)
	}
	e.advance(24 * time.Hour)
	admin.login("admin@example.org", "password-123") // the session is idle by now
	tok = admin.csrf("/admin/audit")
	if r := admin.post(fmt.Sprintf("/admin/enrolments/%d/due", leeEn.ID), url.Values{"due": {"2026-06-30"}, "reason": {"on leave"}}, tok); r.status != http.StatusSeeOther {
		t.Fatalf("due: %d %s", r.status, r.body)
	}
	// An operator on the command line.
	cli := store.WithActor(ctx, store.Actor{Name: "command line (ops)", Via: store.ViaCLI})
	if err := e.store.SetCourseStatus(cli, 1, store.CourseRetired); err != nil {
		t.Fatal(err)
	}

	all := admin.get("/admin/audit")
	if all.status != http.StatusOK {
		t.Fatalf("audit trail: %d", all.status)
	}
	total, _ := e.store.CountAudit(ctx, store.AuditFilter{})
	if ids := entryIDs(all.body); len(ids) != int(total) || total < 6 {
		t.Fatalf("the page shows %d of %d entries", len(ids), total)
	}
	if strings.Contains(all.body, `<script>alert`) || !strings.Contains(all.body, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`) {
		t.Error("a reason is not escaped")
	}
	if !strings.Contains(admin.get("/admin").body, `href="/admin/audit"`) {
		t.Error("the admin navigation has no link to the audit trail")
	}

	count := func(q string) int {
		t.Helper()
		r := admin.get("/admin/audit?" + q)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", q, r.status)
		}
		return len(entryIDs(r.body))
	}
	for _, c := range []struct {
		query string
		f     store.AuditFilter
	}{
		{"actor=ops", store.AuditFilter{Actor: "ops"}},
		{"actor=admin%40example.org", store.AuditFilter{ActorID: adminUser.ID}},
		{"learner=KIM%40example.org", store.AuditFilter{Learner: kim.ID}},
		{"course=1", store.AuditFilter{CourseID: 1}},
		{"action=enrolment.", store.AuditFilter{Action: "enrolment."}},
		{"from=2026-03-03&to=2026-03-03", store.AuditFilter{From: time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)}},
		{"learner=lee%40example.org&from=2026-03-04", store.AuditFilter{Learner: lee.ID, From: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)}},
	} {
		want, _ := e.store.CountAudit(ctx, c.f)
		if got := count(c.query); got != int(want) || want == 0 {
			t.Errorf("%s: %d entries, want %d (not none)", c.query, got, want)
		}
	}
	if got := count("actor=nobody"); got != 0 {
		t.Errorf("an actor nobody is shows %d entries", got)
	}

	// Bad filters say what is wrong and show nothing.
	for q, want := range map[string]string{
		"learner=nobody%40example.org":      "No user has the email nobody@example.org",
		"course=99":                         "There is no course with id 99",
		"course=x":                          "is not a course id",
		"from=3%2F3%2F2026":                 "is not a date like",
		"from=2026-03-05&to=2026-03-01":     "the from date is after the to date",
		"action=drop":                       "is not a kind of action",
		"before=-1":                         "Before must be the id",
		"actor=" + strings.Repeat("a", 201): "longer than 200 characters",
	} {
		r := admin.get("/admin/audit?" + q)
		if r.status != http.StatusBadRequest || !strings.Contains(strings.ToLower(r.body), strings.ToLower(want)) || len(entryIDs(r.body)) != 0 {
			t.Errorf("%s: %d, want 400 saying %q", q, r.status, want)
		}
	}

	// Keyset pages of 50: more entries than a page.
	for i := 0; i < 60; i++ {
		if err := e.store.RecordAudit(cli, &store.AuditEntry{Action: "user.login_link", SubjectUserID: &lee.ID, Target: fmt.Sprint("link ", i)}); err != nil {
			t.Fatal(err)
		}
	}
	total, _ = e.store.CountAudit(ctx, store.AuditFilter{})
	var seen []string
	next := "/admin/audit?learner=lee%40example.org"
	leeTotal, _ := e.store.CountAudit(ctx, store.AuditFilter{Learner: lee.ID})
	for pages := 0; next != ""; pages++ {
		if pages > 5 {
			t.Fatal("the pages do not end")
		}
		r := admin.get(next)
		ids := entryIDs(r.body)
		if len(ids) > 50 {
			t.Fatalf("a page of %d entries", len(ids))
		}
		seen = append(seen, ids...)
		next = ""
		if m := regexp.MustCompile(`href="([^"]+)">Older<`).FindStringSubmatch(r.body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
			if !strings.Contains(next, "learner=") {
				t.Errorf("the next page drops the filter: %s", next)
			}
		}
	}
	if len(seen) != int(leeTotal) || leeTotal <= 50 {
		t.Errorf("the pages showed %d entries, want %d (more than a page)", len(seen), leeTotal)
	}
	for i := 1; i < len(seen); i++ {
		if len(seen[i]) == len(seen[i-1]) && seen[i] >= seen[i-1] || len(seen[i]) > len(seen[i-1]) {
			t.Fatalf("entries out of order or repeated: %v", seen)
		}
	}

	// Downloads carry the filter and every page of it.
	r := admin.get("/admin/audit.csv?learner=kim%40example.org")
	if r.status != http.StatusOK || !strings.Contains(r.header.Get("Content-Disposition"), "lectern-audit-trail-") {
		t.Fatalf("csv: %d %q", r.status, r.header.Get("Content-Disposition"))
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	kimTotal, _ := e.store.CountAudit(ctx, store.AuditFilter{Learner: kim.ID})
	if len(recs) != int(kimTotal)+1 || recs[0][0] != "When (UTC)" {
		t.Fatalf("csv: %d rows for %d entries, header %v", len(recs)-1, kimTotal, recs[0])
	}
	found := false
	for _, rec := range recs[1:] {
		if rec[3] == "enrolment.exempt" {
			found = true
			if rec[9] != `<script>alert("x")</script> =cmd` || rec[5] != "kim@example.org" || rec[1] != "User admin@example.org <admin@example.org>" || rec[2] != "web" {
				t.Errorf("csv row: %q", rec)
			}
		}
	}
	if !found {
		t.Error("the csv lacks the exemption")
	}
	r = admin.get("/admin/audit.csv?actor=ops")
	if n := strings.Count(r.body, "\n") - 1; n != 61 {
		t.Errorf("the csv of every page has %d rows, want 61", n)
	}
	r = admin.get("/admin/audit.xlsx?learner=kim%40example.org")
	f, err := excelize.OpenReader(bytes.NewReader([]byte(r.body)))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	rows, _ := f.GetRows("Sheet1")
	if len(rows) != int(kimTotal)+1 {
		t.Errorf("xlsx: %d rows, want %d", len(rows)-1, kimTotal)
	}
	if r := admin.get("/admin/audit.csv?course=99"); r.status != http.StatusBadRequest {
		t.Errorf("csv with a bad filter: %d", r.status)
	}
	learner := e.browser()
	learner.login("lee@example.org", "password-123")
	for _, p := range []string{"/admin/audit", "/admin/audit.csv"} {
		if r := learner.get(p); r.status != http.StatusForbidden {
			t.Errorf("a learner gets %s: %d", p, r.status)
		}
	}
	_ = total

	// The API: the same filters, keyset pages and a CSV.
	read := e.apiToken(adminUser, store.ScopeRead, nil)
	type page struct {
		Data []struct {
			ID     uint
			Action string
			Reason string
		}
		Next *string
	}
	var apiSeen int
	nextURL := "/api/v1/audit?learner=lee@example.org&limit=40"
	for nextURL != "" {
		p := apiDecode[page](t, "audit", e.api("GET", nextURL, read, ""))
		apiSeen += len(p.Data)
		nextURL = ""
		if p.Next != nil {
			nextURL = *p.Next
		}
	}
	if apiSeen != int(leeTotal) {
		t.Errorf("the API pages list %d entries, want %d", apiSeen, leeTotal)
	}
	p := apiDecode[page](t, "audit", e.api("GET", "/api/v1/audit?action=enrolment.&learner=kim@example.org", read, ""))
	if len(p.Data) != 2 || p.Data[1].Action != "enrolment.create" || p.Data[0].Action != "enrolment.exempt" || p.Data[0].Reason != `<script>alert("x")</script> =cmd` {
		t.Errorf("API audit: %+v", p.Data)
	}
	wantAPIError(t, "audit bad filter", e.api("GET", "/api/v1/audit?course=99", read, ""), 422, "invalid", "There is no course with id 99")
	wantAPIError(t, "audit bad limit", e.api("GET", "/api/v1/audit?limit=0", read, ""), 400, "bad_request", "limit")
	if r := e.api("GET", "/api/v1/audit.csv?learner=kim@example.org", read, ""); r.status != 200 || strings.Count(r.body, "\n") != int(kimTotal)+1 {
		t.Errorf("API audit.csv: %d\n%s", r.status, r.body)
	}
}
