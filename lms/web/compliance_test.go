package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/notify"
	"github.com/lectern/lectern/lms/store"
)

func TestEnrolFormAndDashboards(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	e.publish(1)
	learner := e.signedIn("lee@example.org", false)
	e.addUser("late@example.org", false)
	token := admin.csrf("/admin/courses/1/enrolments")
	bad := []struct {
		name string
		form url.Values
		want string
	}{
		{"only unknown users", url.Values{"emails": {"ghost@example.org\nspook@example.org"}}, "Nobody was enrolled. No active user has these addresses: ghost@example.org, spook@example.org."},
		{"nothing", url.Values{}, "Enter email addresses"},
		{"past date", url.Values{"emails": {"lee@example.org"}, "due": {"2020-01-01"}}, "in the past"},
		{"both", url.Values{"emails": {"lee@example.org"}, "due": {"2030-01-01"}, "due_days": {"5"}}, "not both"},
		{"bad days", url.Values{"emails": {"lee@example.org"}, "due_days": {"-3"}}, "between 1 and 3650"},
		{"bad group", url.Values{"group": {"999"}}, "does not exist"},
	}
	for _, tt := range bad {
		r := admin.post("/admin/courses/1/enrolments", tt.form, token)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tt.want) {
			t.Errorf("%s: %d, want 422 with %q", tt.name, r.status, tt.want)
		}
	}
	if rows, _ := e.store.Enrolments(context.Background(), storeFilterAll()); len(rows) != 0 {
		t.Fatalf("bad forms enrolled %d", len(rows))
	}
	// A group enrolment reaches members who join later.
	if r := admin.post("/admin/groups", url.Values{"name": {"Warehouse"}}, token); r.status != http.StatusSeeOther {
		t.Fatalf("create group: %d", r.status)
	}
	if r := admin.post("/admin/groups", url.Values{"name": {"Warehouse"}}, token); r.status != http.StatusUnprocessableEntity {
		t.Errorf("duplicate group: %d, want 422", r.status)
	}
	if r := admin.post("/admin/courses/1/enrolments", url.Values{"emails": {"lee@example.org"}, "group": {"1"}, "due_days": {"30"}}, token); r.status != http.StatusSeeOther {
		t.Fatalf("enrol: %d %s", r.status, r.body)
	}
	if r := admin.post("/admin/groups/1/members", url.Values{"email": {"late@example.org"}}, token); r.status != http.StatusSeeOther {
		t.Fatalf("add member: %d", r.status)
	}
	rows, _ := e.store.Enrolments(context.Background(), storeFilterAll())
	if len(rows) != 2 {
		t.Fatalf("%d enrolments, want lee and the later group member", len(rows))
	}
	for _, r := range rows {
		if r.DueAt == nil {
			t.Errorf("%s has no due date", r.UserEmail)
		}
	}
	for _, page := range []string{"/admin", "/admin/courses/1/enrolments", "/admin/groups", "/admin/groups/1"} {
		if r := admin.get(page); r.status != http.StatusOK {
			t.Errorf("%s: %d", page, r.status)
		}
	}
	if r := admin.get("/admin"); !strings.Contains(r.body, "Compliance dashboard") || !strings.Contains(r.body, "Warehouse") {
		t.Error("dashboard lacks the course or group")
	}
	if r := learner.get("/"); !strings.Contains(r.body, "to do") || !strings.Contains(r.body, "Due ") {
		t.Errorf("learner dashboard lacks the assignment: %d", r.status)
	}
}

func TestCertificatesAndVerification(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	e.publish(1)
	owner := e.signedIn("lee@example.org", false)
	other := e.signedIn("eve@example.org", false)
	ctx := context.Background()
	u, _ := e.store.UserByEmail(ctx, "lee@example.org")
	en, _, err := e.store.Enrol(ctx, u.ID, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	exp := e.now.AddDate(1, 0, 0)
	comp := &store.Completion{EnrolmentID: en.ID, UserID: u.ID, CourseID: 1, AttemptID: ref(99), Cycle: 1, CompletedAt: e.now,
		Passed: true, ExpiresAt: &exp, Code: "7K2Q-9XMV-3HTP", CourseTitle: "Fire <b>Safety</b>", UserName: "Lee Learner"}
	if ok, err := e.store.RecordCompletion(ctx, comp); !ok || err != nil {
		t.Fatalf("record: %v %v", ok, err)
	}
	for _, tt := range []struct {
		who  *browser
		want int
	}{{owner, http.StatusOK}, {admin, http.StatusOK}, {other, http.StatusNotFound}} {
		r := tt.who.get("/certificates/7K2Q-9XMV-3HTP")
		if r.status != tt.want {
			t.Errorf("certificate: %d, want %d", r.status, tt.want)
		}
		if r.status == http.StatusOK && (!strings.HasPrefix(r.body, "%PDF-") || !strings.Contains(r.header.Get("Content-Disposition"), ".pdf")) {
			t.Error("certificate is not a PDF attachment")
		}
	}
	if r := e.browser().get("/certificates/7K2Q-9XMV-3HTP"); r.status != http.StatusSeeOther {
		t.Errorf("anonymous certificate: %d, want sign-in", r.status)
	}
	anon := e.browser()
	r := anon.get("/verify/7k2q-9xmv-3htp")
	if r.status != http.StatusOK || !strings.Contains(r.body, "genuine and valid") || !strings.Contains(r.body, "Lee Learner") {
		t.Errorf("verify: %d", r.status)
	}
	if strings.Contains(r.body, "lee@example.org") || strings.Contains(r.body, "<b>Safety</b>") {
		t.Error("the verification page reveals the email or renders package markup")
	}
	for _, bad := range []string{"/verify/7K2Q-9XMV-3HTX", "/verify?code=<script>", "/verify/../../etc"} {
		if r := anon.get(bad); r.status != http.StatusNotFound || strings.Contains(r.body, "<script>") {
			t.Errorf("%s: %d", bad, r.status)
		}
	}
	e.advance(366 * 24 * time.Hour)
	if r := anon.get("/verify/7K2Q-9XMV-3HTP"); !strings.Contains(r.body, "has expired") {
		t.Error("an expired certificate is shown as valid")
	}
}

func TestOutbox(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	zip := fixture.ZipFiles(t, map[string]string{"imsmanifest.xml": hostileManifest, "index.html": "<p>hi</p>"})
	if r := admin.upload("/admin/courses", zip, admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	e.publish(1)
	e.signedIn("lee@example.org", false)
	u, _ := e.store.UserByEmail(context.Background(), "lee@example.org")
	if _, _, err := e.store.Enrol(context.Background(), u.ID, 1, nil); err != nil {
		t.Fatal(err)
	}
	n := &notify.Notifier{Store: e.store, Location: time.UTC, BaseURL: "http://lectern.test", Organisation: "Acme"}
	if q, err := n.Queue(context.Background()); err != nil || q != 1 {
		t.Fatalf("queue: %d %v", q, err)
	}
	r := admin.get("/admin/outbox")
	if r.status != http.StatusOK || !strings.Contains(r.body, "lee@example.org") || !strings.Contains(r.body, "waiting") {
		t.Fatalf("outbox: %d", r.status)
	}
	if strings.Contains(r.body, "<script>alert") {
		t.Error("the outbox renders a package title unescaped")
	}
	if r := e.signedIn("eve@example.org", false).get("/admin/outbox"); r.status != http.StatusForbidden {
		t.Errorf("learner on the outbox: %d", r.status)
	}
}

func ref(id uint) *uint { return &id }
