package web_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/lectern/lectern/internal/dbdump"
	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm/cmi"
)

// snapshot reads the whole database but the audit trail (checked on its
// own) and the tables that reading pages touch.
func (e *env) snapshot() dbdump.Snapshot {
	return dbdump.Take(e.t, e.db, "audit_entries", "sessions", "api_tokens")
}

// postMultipart posts fields (the CSRF token first) and an optional file.
func (b *browser) postMultipart(path string, fields [][2]string, fileField, fileName string, file []byte) response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	if fileName != "" {
		fw, _ := mw.CreateFormFile(fileField, fileName)
		fw.Write(file)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.e.http.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// correctionCheck runs a correction and checks its answer, that it wrote
// exactly one audit entry of action (none when action is "") with the
// reason, and that it changed exactly the tables named.
func (e *env) correctionCheck(t *testing.T, name string, do func() response, status int, action string, tables ...string) store.AuditEntryRow {
	t.Helper()
	before, snap := e.lastAuditID(), e.snapshot()
	r := do()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d\n%s", name, r.status, status, r.body)
	}
	got := e.auditAfter(before)
	changed := dbdump.Changed(snap, e.snapshot())
	slices.Sort(tables)
	if !slices.Equal(changed, tables) {
		t.Errorf("%s: changed tables %v, want %v", name, changed, tables)
	}
	if action == "" {
		if len(got) != 0 {
			t.Errorf("%s: %d audit entries, want none", name, len(got))
		}
		return store.AuditEntryRow{}
	}
	if len(got) != 1 || got[0].Action != action || got[0].Reason == "" {
		var acts []string
		for _, g := range got {
			acts = append(acts, g.Action+"("+g.Reason+")")
		}
		t.Fatalf("%s: audit entries %v, want exactly one %s with a reason", name, acts, action)
	}
	return got[0]
}

// TestCorrectionsFromTheWeb: every correction of the enrolment page needs a
// reason, writes exactly one audit entry and changes nothing else; bad input
// changes nothing at all.
func TestCorrectionsFromTheWeb(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	e.publish(1)
	ctx := context.Background()
	lee, kim := e.addUser("lee@example.org", false), e.addUser("kim@example.org", false)
	leeEn, _, _ := e.store.Enrol(ctx, lee.ID, 1, nil)
	kimEn, _, _ := e.store.Enrol(ctx, kim.ID, 1, nil)
	e.playSession(lee, []cmi.Change{{Element: "cmi.core.score.raw", Value: "90"}, {Element: "cmi.core.lesson_status", Value: "passed"}})
	admin.get("/admin/courses/1/enrolments") // records Lee's completion
	comps, _ := e.store.Completions(ctx, lee.ID)
	if len(comps) != 1 {
		t.Fatalf("Lee's completion: %d", len(comps))
	}
	leeCode := comps[0].Code
	kimPage := fmt.Sprintf("/admin/enrolments/%d", kimEn.ID)
	if r := admin.get(kimPage); r.status != http.StatusOK || !strings.Contains(r.body, "Record an offline completion") {
		t.Fatalf("enrolment page: %d", r.status)
	}
	tok := admin.csrf(kimPage)
	post := func(path string, form url.Values) func() response {
		return func() response { return admin.post(path, form, tok) }
	}

	bad := []struct {
		name string
		do   func() response
		want string
	}{
		{"due without a reason", post(kimPage+"/due", url.Values{"due": {"2026-12-31"}}), "Give a reason"},
		{"due in the past", post(kimPage+"/due", url.Values{"due": {"2026-01-01"}, "reason": {"x"}}), "in the past"},
		{"exempt without a reason", post(kimPage+"/exempt", url.Values{"exempt": {"true"}, "reason": {"  "}}), "Give a reason"},
		{"lift an exemption not given", post(kimPage+"/exempt", url.Values{"exempt": {"false"}, "reason": {"x"}}), "not exempt"},
		{"unenrol without a reason", post(kimPage+"/unenrol", url.Values{}), "Give a reason"},
		{"offline session in the future", func() response {
			return admin.postMultipart(kimPage+"/offline", [][2]string{{"_csrf", tok}, {"date", "2026-04-01"}, {"note", "Drill"}, {"reason", "x"}}, "", "", nil)
		}, "has not happened yet"},
		{"offline without a note", func() response {
			return admin.postMultipart(kimPage+"/offline", [][2]string{{"_csrf", tok}, {"date", "2026-03-01"}, {"reason", "x"}}, "", "", nil)
		}, "say what the session was"},
		{"revoke without a reason", post("/admin/certificates/"+leeCode+"/revoke", url.Values{}), "Give a reason"},
	}
	for _, b := range bad {
		r := e.correctionCheck(t, b.name, b.do, http.StatusUnprocessableEntity, "")
		_ = r
		if got := b.do(); !strings.Contains(strings.ToLower(got.body), strings.ToLower(b.want)) {
			t.Errorf("%s: the page does not say %q", b.name, b.want)
		}
	}
	e.correctionCheck(t, "evidence over the limit", func() response {
		return admin.postMultipart(kimPage+"/offline", [][2]string{{"_csrf", tok}, {"date", "2026-03-01"}, {"note", "Drill"}, {"reason", "x"}},
			"evidence", "sheet.pdf", bytes.Repeat([]byte("x"), testEvidenceMax+1))
	}, http.StatusRequestEntityTooLarge, "")
	e.correctionCheck(t, "forged request", func() response { return admin.post(kimPage+"/unenrol", url.Values{"reason": {"x"}}, "") }, http.StatusForbidden, "")
	e.correctionCheck(t, "no such enrolment", post("/admin/enrolments/999/unenrol", url.Values{"reason": {"x"}}), http.StatusNotFound, "")

	e.correctionCheck(t, "due date", post(kimPage+"/due", url.Values{"due": {"2026-06-30"}, "reason": {"on leave in May"}}), http.StatusSeeOther, "enrolment.due", "enrolments")
	a := e.correctionCheck(t, "exempt", post(kimPage+"/exempt", url.Values{"exempt": {"true"}, "reason": {"holds the external certificate"}}), http.StatusSeeOther, "enrolment.exempt", "enrolments")
	if a.SubjectUserID == nil || *a.SubjectUserID != kim.ID || a.ActorName == "" || a.Via != store.ViaWeb {
		t.Errorf("exempt entry: %+v", a)
	}
	if r := admin.get(kimPage); !strings.Contains(r.body, `data-status>exempt<`) {
		t.Error("the exempt learner is not shown as exempt")
	}
	e.correctionCheck(t, "lift the exemption", post(kimPage+"/exempt", url.Values{"exempt": {"false"}, "reason": {"certificate lapsed"}}), http.StatusSeeOther, "enrolment.unexempt", "enrolments")
	sheet := append([]byte("%PDF-1.4 attendance "), bytes.Repeat([]byte("x"), testEvidenceMax-20)...)
	e.correctionCheck(t, "offline completion with evidence at the limit", func() response {
		return admin.postMultipart(kimPage+"/offline", [][2]string{{"_csrf", tok}, {"date", "2026-03-01"}, {"note", "Fire drill with the warden"}, {"score", "85"}, {"reason", "classroom session"}},
			"evidence", "attendance.pdf", sheet)
	}, http.StatusSeeOther, "completion.offline", "completions", "enrolments", "evidences")
	r := admin.get(kimPage)
	if !strings.Contains(r.body, `data-status>completed<`) || !strings.Contains(r.body, "attendance.pdf") || !strings.Contains(r.body, "offline: Fire drill") {
		t.Fatalf("after the offline completion:\n%s", r.body)
	}
	kimComps, _ := e.store.Completions(ctx, kim.ID)
	if len(kimComps) != 1 || kimComps[0].AttemptID != nil || kimComps[0].Source != store.CompletionOffline {
		t.Fatalf("Kim's completions: %+v", kimComps)
	}
	if r := e.browser().get("/verify/" + kimComps[0].Code); !strings.Contains(r.body, "genuine and valid") {
		t.Error("the offline certificate does not verify")
	}
	e.correctionCheck(t, "a second offline completion", func() response {
		return admin.postMultipart(kimPage+"/offline", [][2]string{{"_csrf", tok}, {"date", "2026-03-01"}, {"note", "Again"}, {"reason", "x"}}, "", "", nil)
	}, http.StatusUnprocessableEntity, "")

	leePage := fmt.Sprintf("/admin/enrolments/%d", leeEn.ID)
	e.correctionCheck(t, "revoke", post("/admin/certificates/"+leeCode+"/revoke", url.Values{"reason": {"answers shared"}}), http.StatusSeeOther, "certificate.revoke", "completions", "enrolments")
	if r := e.browser().get("/verify/" + leeCode); !strings.Contains(r.body, "was revoked on 2 Mar 2026") || strings.Contains(r.body, "genuine and valid") {
		t.Errorf("verify of a revoked certificate:\n%s", r.body)
	}
	// Pages that reconcile the records do not bring the revoked completion back.
	admin.get("/admin")
	if r := admin.get(leePage); strings.Contains(r.body, `data-status>completed<`) {
		t.Error("the revoked completion still counts")
	}
	if cs, _ := e.store.Completions(ctx, lee.ID); len(cs) != 1 {
		t.Errorf("reconciling after a revocation recorded %d completions", len(cs))
	}
	e.correctionCheck(t, "revoke twice", post("/admin/certificates/"+leeCode+"/revoke", url.Values{"reason": {"x"}}), http.StatusUnprocessableEntity, "")
	e.correctionCheck(t, "reissue", post("/admin/certificates/"+leeCode+"/reissue", url.Values{"reason": {"revoked by mistake"}}), http.StatusSeeOther, "certificate.reissue", "completions", "enrolments")
	if r := admin.get(leePage); !strings.Contains(r.body, `data-status>completed<`) {
		t.Error("the reissued certificate does not count")
	}
	if r := e.browser().get("/verify/" + leeCode); !strings.Contains(r.body, "a newer certificate replaced it") {
		t.Error("the replaced certificate does not say so")
	}
	e.correctionCheck(t, "unenrol", post(kimPage+"/unenrol", url.Values{"reason": {"left the company"}}), http.StatusSeeOther, "enrolment.unenrol", "enrolments")
	if r := e.browser().get("/verify/" + kimComps[0].Code); !strings.Contains(r.body, "genuine and valid") {
		t.Error("unenrolling revoked the certificate")
	}
	if r := admin.get("/admin/evidence/1"); r.status != http.StatusOK || !bytes.Equal([]byte(r.body), sheet) || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("evidence download: %d %q", r.status, r.header.Get("Content-Disposition"))
	}
	learner := e.browser()
	learner.login("lee@example.org", "password-123")
	if r := learner.get("/admin/evidence/1"); r.status != http.StatusForbidden {
		t.Errorf("a learner downloads evidence: %d", r.status)
	}
}
