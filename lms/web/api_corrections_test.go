package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm/cmi"
)

// TestCorrectionsFromTheAPI: every correction of the API needs a reason,
// writes exactly one audit entry naming the token's user and changes only
// what it corrects; bad input changes nothing at all.
func TestCorrectionsFromTheAPI(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	adminUser, _ := e.store.UserByEmail(context.Background(), "admin@example.org")
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
	rw := e.apiToken(adminUser, store.ScopeReadWrite, nil)
	read := e.apiToken(adminUser, store.ScopeRead, nil)
	kimAPI := fmt.Sprintf("/api/v1/enrolments/%d", kimEn.ID)
	call := func(path, body string) func() response {
		return func() response { return e.api("POST", path, rw, body) }
	}
	sheet := append([]byte("%PDF-1.4 attendance "), bytes.Repeat([]byte("x"), testEvidenceMax-20)...)
	evidence := func(data []byte) string {
		return fmt.Sprintf(`{"date":"2026-03-01","note":"Fire drill","score":85,"reason":"classroom session","evidence":{"filename":"attendance.pdf","data":%q}}`,
			base64.StdEncoding.EncodeToString(data))
	}

	bad := []struct {
		name   string
		do     func() response
		status int
		want   string
	}{
		{"due without a reason", call(kimAPI+"/due", `{"due":"2026-12-31"}`), 422, "Give a reason"},
		{"due in the past", call(kimAPI+"/due", `{"due":"2026-01-01","reason":"x"}`), 422, "in the past"},
		{"due not a date", call(kimAPI+"/due", `{"due":"31/12/2026","reason":"x"}`), 422, "not a date"},
		{"due and none", call(kimAPI+"/due", `{"due":"2026-12-31","none":true,"reason":"x"}`), 422, "not both"},
		{"exempt unsaid", call(kimAPI+"/exempt", `{"reason":"x"}`), 422, `Say \"exempt\"`},
		{"exempt without a reason", call(kimAPI+"/exempt", `{"exempt":true,"reason":"  "}`), 422, "Give a reason"},
		{"lift an exemption not given", call(kimAPI+"/exempt", `{"exempt":false,"reason":"x"}`), 422, "not exempt"},
		{"unenrol without a reason", call(kimAPI+"/unenrol", `{}`), 422, "Give a reason"},
		{"unknown field", call(kimAPI+"/unenrol", `{"reason":"x","learner":"kim"}`), 422, "Unknown field"},
		{"unknown enrolment", call("/api/v1/enrolments/999/unenrol", `{"reason":"x"}`), 404, "No such enrolment"},
		{"offline in the future", call(kimAPI+"/offline", `{"date":"2026-04-01","note":"Drill","reason":"x"}`), 422, "has not happened yet"},
		{"offline without a note", call(kimAPI+"/offline", `{"date":"2026-03-01","reason":"x"}`), 422, "Say what the session was"},
		{"offline score over 100", call(kimAPI+"/offline", `{"date":"2026-03-01","note":"Drill","score":101,"reason":"x"}`), 422, "percentage"},
		{"evidence not base64", call(kimAPI+"/offline", `{"date":"2026-03-01","note":"Drill","reason":"x","evidence":{"filename":"a.pdf","data":"***"}}`), 422, "base64"},
		{"evidence over the limit", call(kimAPI+"/offline", evidence(append(sheet, 'x'))), 413, "larger than the limit"},
		{"revoke without a reason", call("/api/v1/certificates/"+leeCode+"/revoke", `{}`), 422, "Give a reason"},
		{"revoke an unknown certificate", call("/api/v1/certificates/AAAA-BBBB-CCCC/revoke", `{"reason":"x"}`), 404, "No such certificate"},
		{"read token", func() response { return e.api("POST", kimAPI+"/unenrol", read, `{"reason":"x"}`) }, 403, "may only read"},
	}
	for _, b := range bad {
		var body string
		e.correctionCheck(t, b.name, func() response { r := b.do(); body = r.body; return r }, b.status, "")
		if !strings.Contains(body, b.want) {
			t.Errorf("%s: the answer does not say %q: %s", b.name, b.want, body)
		}
	}

	wantVia := func(name string, a store.AuditEntryRow) {
		t.Helper()
		if a.Via != store.ViaAPI || a.ActorID == nil || *a.ActorID != adminUser.ID {
			t.Errorf("%s: entry via %s by %v, want the API by the token's user", name, a.Via, a.ActorID)
		}
	}
	wantVia("due", e.correctionCheck(t, "due", call(kimAPI+"/due", `{"due":"2026-06-30","reason":"on leave in May"}`), 200, "enrolment.due", "enrolments"))
	wantVia("no due date", e.correctionCheck(t, "no due date", call(kimAPI+"/due", `{"none":true,"reason":"no deadline"}`), 200, "enrolment.due", "enrolments"))
	var body string
	a := e.correctionCheck(t, "exempt", func() response {
		r := call(kimAPI+"/exempt", `{"exempt":true,"reason":"external certificate"}`)()
		body = r.body
		return r
	}, 200, "enrolment.exempt", "enrolments")
	wantVia("exempt", a)
	if a.Reason != "external certificate" || !strings.Contains(body, `"exempt":true`) || !strings.Contains(body, `"compliant":true`) {
		t.Errorf("exempt: reason %q, answer %s", a.Reason, body)
	}
	e.correctionCheck(t, "lift", call(kimAPI+"/exempt", `{"exempt":false,"reason":"lapsed"}`), 200, "enrolment.unexempt", "enrolments")
	e.correctionCheck(t, "offline at the evidence limit", func() response { r := call(kimAPI+"/offline", evidence(sheet))(); body = r.body; return r },
		200, "completion.offline", "completions", "enrolments", "evidences")
	if !strings.Contains(body, `"status":"completed"`) || !strings.Contains(body, `"certificate":"`) {
		t.Errorf("offline answer: %s", body)
	}
	e.correctionCheck(t, "offline twice", call(kimAPI+"/offline", `{"date":"2026-03-01","note":"Again","reason":"x"}`), 422, "")

	e.correctionCheck(t, "revoke", call("/api/v1/certificates/"+strings.ToLower(leeCode)+"/revoke", `{"reason":"answers shared"}`), 200, "certificate.revoke", "completions", "enrolments")
	if r := e.browser().get("/verify/" + leeCode); !strings.Contains(r.body, "was revoked on 2 Mar 2026") {
		t.Errorf("verify after an API revocation:\n%s", r.body)
	}
	e.correctionCheck(t, "revoke twice", call("/api/v1/certificates/"+leeCode+"/revoke", `{"reason":"x"}`), 422, "")
	e.correctionCheck(t, "reissue", func() response {
		r := call("/api/v1/certificates/"+leeCode+"/reissue", `{"reason":"by mistake"}`)()
		body = r.body
		return r
	},
		201, "certificate.reissue", "completions", "enrolments")
	if !strings.Contains(body, `"replaces":"`+leeCode+`"`) || !strings.Contains(body, `"revokedAt":null`) {
		t.Errorf("reissue answer: %s", body)
	}
	e.correctionCheck(t, "unenrol", call(fmt.Sprintf("/api/v1/enrolments/%d/unenrol", leeEn.ID), `{"reason":"left"}`), 204, "enrolment.unenrol", "enrolments")
	e.correctionCheck(t, "unenrol twice", call(fmt.Sprintf("/api/v1/enrolments/%d/unenrol", leeEn.ID), `{"reason":"left"}`), 404, "")
}
