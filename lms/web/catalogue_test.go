package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lectern/lectern/internal/dbdump"
	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/store"
)

// catalogueEnv is a published course 1 (enrolled learners only, as every
// new course) with an admin and two learners, Ann and Bob, neither
// enrolled.
func catalogueEnv(t *testing.T) (e *env, admin, ann, bob *browser) {
	t.Helper()
	e = newEnv(t)
	admin = e.signedIn("admin@example.org", true)
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	e.publish(1)
	return e, admin, e.signedIn("ann@example.org", false), e.signedIn("bob@example.org", false)
}

// TestCatalogueRefusesWithoutWriting: every way a learner not enrolled in an
// enrolled-only course can try to open it is refused with the "not
// available" page (403) or as not found, and writes nothing: no enrolment,
// attempt, launch or audit entry.
func TestCatalogueRefusesWithoutWriting(t *testing.T) {
	e, admin, ann, _ := catalogueEnv(t)
	const title = "Brewing Green Tea"
	if r := ann.get("/"); strings.Contains(r.body, title) {
		t.Error("the dashboard lists an enrolled-only course to a learner not enrolled")
	}
	tok := ann.csrf("/account")
	for _, tt := range []struct {
		name   string
		do     func() response
		status int
	}{
		{"course page", func() response { return ann.get("/courses/1") }, http.StatusForbidden},
		{"launch", func() response { return ann.post("/courses/1", url.Values{}, tok) }, http.StatusForbidden},
		{"start again", func() response { return ann.post("/courses/1/start", url.Values{}, tok) }, http.StatusForbidden},
		{"review", func() response { return ann.post("/courses/1/review", url.Values{}, tok) }, http.StatusForbidden},
		{"result page", func() response { return ann.get("/courses/1/result") }, http.StatusForbidden},
		{"image", func() response { return ann.get("/courses/1/image") }, http.StatusNotFound},
	} {
		before, snap := e.lastAuditID(), e.snapshot()
		r := tt.do()
		if r.status != tt.status {
			t.Errorf("%s: %d, want %d", tt.name, r.status, tt.status)
		}
		if tt.status == http.StatusForbidden && (!strings.Contains(r.body, "This course is not available to you") ||
			!strings.Contains(r.body, "ask your administrator to enrol you") || !strings.Contains(r.body, title)) {
			t.Errorf("%s: the page does not say the course is not available and what to do:\n%s", tt.name, r.body)
		}
		if changed := dbdump.Changed(snap, e.snapshot()); len(changed) != 0 || e.lastAuditID() != before {
			t.Errorf("%s: the refusal wrote (tables %v, audit entries: %v)", tt.name, changed, e.lastAuditID() != before)
		}
	}
	// A client asking for JSON gets the refusal as JSON.
	req, _ := http.NewRequest(http.MethodGet, e.http.URL+"/courses/1", nil)
	req.Header.Set("Accept", "application/json")
	if r := ann.do(req); r.status != http.StatusForbidden || !strings.Contains(r.body, `"error":"This course is not available to you`) {
		t.Errorf("JSON refusal: %d %s", r.status, r.body)
	}
	// Enrolled, Ann opens it at once (the page launches by itself).
	e.enrol("ann@example.org", 1)
	if r := ann.get("/courses/1"); r.status != http.StatusOK || !strings.Contains(r.body, "data-auto-launch") {
		t.Errorf("enrolled: course page %d, want 200 launching by itself", r.status)
	}
	// The launch answers with a redirect to the player (POST, then GET).
	if r := ann.post("/courses/1", url.Values{}, tok); r.status != http.StatusSeeOther {
		t.Errorf("enrolled: launch %d, want 303 to the player", r.status)
	}
	// An admin's test launch works on any course, enrolled-only included.
	if r := admin.post("/admin/courses/1/test", url.Values{}, admin.csrf("/admin/courses/1")); r.status != http.StatusOK || !frameToken.MatchString(r.body) {
		t.Errorf("admin's test launch: %d, want the player", r.status)
	}
}

// TestCatalogueOpenSelfEnrols: the admin opens the course with a reason;
// a learner then finds it on the dashboard, is told that starting enrols
// them, and starting writes one enrolment (no due date) with one
// "self-enrolled" audit entry, so the learner appears in the course's
// report. Closing the course again keeps enrolled learners and refuses the
// others.
func TestCatalogueOpenSelfEnrols(t *testing.T) {
	e, admin, ann, bob := catalogueEnv(t)
	ctx := context.Background()
	const title = "Brewing Green Tea"
	adminUser, _ := e.store.UserByEmail(ctx, "admin@example.org")
	annUser, _ := e.store.UserByEmail(ctx, "ann@example.org")

	// The setting on the course page, with its explanation; a change without
	// a reason or to an unknown setting changes nothing.
	page := admin.get("/admin/courses/1")
	for _, want := range []string{"Who may take this course", `value="enrolled" checked`, "Enrolled learners only", "Open to every learner", "self-enrolment", `name="reason"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("course page lacks %q", want)
		}
	}
	tok := admin.csrf("/admin/courses/1")
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no reason", url.Values{"catalogue": {"open"}, "reason": {"  "}}, "give a reason"},
		{"unknown setting", url.Values{"catalogue": {"everyone"}, "reason": {"x"}}, "Choose who may take the course"},
		{"reason too long", url.Values{"catalogue": {"open"}, "reason": {strings.Repeat("x", store.MaxReasonLength+1)}}, "longer than"},
	} {
		before, snap := e.lastAuditID(), e.snapshot()
		r := admin.post("/admin/courses/1/catalogue", tt.form, tok)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tt.want) {
			t.Errorf("%s: %d, want 422 saying %q", tt.name, r.status, tt.want)
		}
		if changed := dbdump.Changed(snap, e.snapshot()); len(changed) != 0 || e.lastAuditID() != before {
			t.Errorf("%s: changed %v", tt.name, changed)
		}
	}
	a := e.wantOneAudit(t, "open", "course.catalogue", adminUser, store.ViaWeb, func() response {
		return admin.post("/admin/courses/1/catalogue", url.Values{"catalogue": {"open"}, "reason": {"Open to all staff"}}, tok)
	}, http.StatusSeeOther)
	if a.Reason != "Open to all staff" || a.Detail["from"] != "enrolled" || a.Detail["to"] != "open" {
		t.Errorf("audit entry: reason %q, detail %v", a.Reason, a.Detail)
	}
	if r := admin.get("/admin/courses/1"); !strings.Contains(r.body, `value="open" checked`) || !strings.Contains(r.body, "now: open to every learner") {
		t.Error("the course page does not show the course as open")
	}

	// Ann sees it among the other courses, and the course page asks her to
	// start it herself, writing nothing.
	if r := ann.get("/"); !strings.Contains(r.body, title) || !strings.Contains(r.body, "Starting one enrols you") {
		t.Error("the dashboard does not offer the open course")
	}
	snap := e.snapshot()
	r := ann.get("/courses/1")
	if r.status != http.StatusOK || strings.Contains(r.body, "data-auto-launch") || !strings.Contains(r.body, "Starting it enrols you") || !strings.Contains(r.body, "Enrol and start") {
		t.Errorf("course page of an open course: %d, want the enrol explanation and no automatic launch\n%s", r.status, r.body)
	}
	if changed := dbdump.Changed(snap, e.snapshot()); len(changed) != 0 {
		t.Errorf("GET of an open course wrote %v", changed)
	}
	// Starting it enrols her: one enrolment and one audit entry.
	tokAnn := ann.csrf("/courses/1")
	self := e.wantOneAudit(t, "self-enrol", "enrolment.self", annUser, store.ViaWeb, func() response {
		return ann.post("/courses/1", url.Values{}, tokAnn)
	}, http.StatusSeeOther)
	if self.Reason != "self-enrolled" || self.SubjectUserID == nil || *self.SubjectUserID != annUser.ID {
		t.Errorf("self-enrolment audit: %+v", self.AuditEntry)
	}
	en, err := e.store.EnrolmentOf(ctx, annUser.ID, 1)
	if err != nil || en.Source != store.SourceSelf || en.DueAt != nil {
		t.Fatalf("Ann's enrolment %+v, %v: want source self, no due date", en, err)
	}
	// A second launch resumes: no second enrolment, no audit entry.
	before := e.lastAuditID()
	if r := ann.post("/courses/1", url.Values{}, tokAnn); r.status != http.StatusSeeOther || e.lastAuditID() != before {
		t.Errorf("second launch: %d, audit written %v", r.status, e.lastAuditID() != before)
	}
	if rows, _ := e.store.Enrolments(ctx, store.EnrolmentFilter{CourseID: 1}); len(rows) != 1 {
		t.Errorf("enrolments of the course: %d, want 1", len(rows))
	}
	// Like any enrolment: in the course's report and enrolment list, and on
	// her dashboard among her courses, no longer among the others.
	if r := admin.get("/admin/courses/1/report.csv"); !strings.Contains(r.body, "ann@example.org") {
		t.Errorf("report without Ann:\n%s", r.body)
	}
	if r := admin.get("/admin/courses/1/enrolments"); !strings.Contains(r.body, "data-source>self") {
		t.Error("the enrolment list does not say Ann enrolled herself")
	}
	if r := ann.get("/"); strings.Contains(r.body, "Other courses") || !strings.Contains(r.body, title) {
		t.Error("Ann's dashboard: want the course among her enrolments, and no other courses")
	}

	// Enrolled learners only again: Ann keeps it, Bob is refused.
	e.wantOneAudit(t, "close", "course.catalogue", adminUser, store.ViaWeb, func() response {
		return admin.post("/admin/courses/1/catalogue", url.Values{"catalogue": {"enrolled"}, "reason": {"Assigned only from June"}}, tok)
	}, http.StatusSeeOther)
	if r := ann.post("/courses/1", url.Values{}, tokAnn); r.status != http.StatusSeeOther {
		t.Errorf("Ann, enrolled, after closing: %d", r.status)
	}
	snap = e.snapshot()
	if r := bob.post("/courses/1", url.Values{}, bob.csrf("/account")); r.status != http.StatusForbidden {
		t.Errorf("Bob after closing: %d, want 403", r.status)
	}
	if changed := dbdump.Changed(snap, e.snapshot()); len(changed) != 0 {
		t.Errorf("Bob's refused launch wrote %v", changed)
	}
	// Saving the setting it has changes nothing.
	before = e.lastAuditID()
	if r := admin.post("/admin/courses/1/catalogue", url.Values{"catalogue": {"enrolled"}, "reason": {"again"}}, tok); r.status != http.StatusSeeOther || e.lastAuditID() != before {
		t.Errorf("unchanged setting: %d, audit written %v", r.status, e.lastAuditID() != before)
	}
}

// TestCatalogueAPI: the API shows the setting and changes it with a reason.
func TestCatalogueAPI(t *testing.T) {
	e, _, ann, _ := catalogueEnv(t)
	adminUser, _ := e.store.UserByEmail(context.Background(), "admin@example.org")
	rw := e.apiToken(adminUser, store.ScopeReadWrite, nil)
	var co struct{ Catalogue string }
	r := e.api("GET", "/api/v1/courses/1", rw, "")
	if err := json.Unmarshal([]byte(r.body), &co); err != nil || co.Catalogue != "enrolled" {
		t.Fatalf("GET course: %s (%v), want catalogue enrolled", r.body, err)
	}
	before, snap := e.lastAuditID(), e.snapshot()
	wantAPIError(t, "no reason", e.api("PATCH", "/api/v1/courses/1", rw, `{"catalogue": "open"}`), http.StatusUnprocessableEntity, "invalid", "needs a reason")
	wantAPIError(t, "unknown setting", e.api("PATCH", "/api/v1/courses/1", rw, `{"catalogue": "all", "reason": "x"}`), http.StatusUnprocessableEntity, "invalid", "enrolled or open")
	if changed := dbdump.Changed(snap, e.snapshot()); len(changed) != 0 || e.lastAuditID() != before {
		t.Errorf("refused PATCHes changed %v", changed)
	}
	a := e.wantOneAudit(t, "PATCH catalogue", "course.catalogue", adminUser, store.ViaAPI, func() response {
		return e.api("PATCH", "/api/v1/courses/1", rw, `{"catalogue": "open", "reason": "Open to all staff"}`)
	}, http.StatusOK)
	if a.Reason != "Open to all staff" {
		t.Errorf("reason %q", a.Reason)
	}
	r = e.api("GET", "/api/v1/courses/1", rw, "")
	if err := json.Unmarshal([]byte(r.body), &co); err != nil || co.Catalogue != "open" {
		t.Errorf("after PATCH: %s, want catalogue open", r.body)
	}
	if r := ann.get("/"); !strings.Contains(r.body, "Brewing Green Tea") {
		t.Error("the course opened through the API is not offered to learners")
	}
}
