package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/web"
	"github.com/lectern/lectern/scorm/cmi"
)

func withCourseLimits(l web.CourseLimits) envOption {
	return func(o *web.Options) { o.CourseLimits = l }
}

// uploadImage posts an image file to a course like the form does.
func (b *browser) uploadImage(courseID uint, data []byte, token string) response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("_csrf", token)
	fw, _ := mw.CreateFormFile("image", "picture.png")
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/admin/courses/%d/image", b.e.http.URL, courseID), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = byte(i)
	}
	img.Set(0, 0, color.NRGBA{0, 0, 0, 0})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var frameToken = regexp.MustCompile(`src="http://content\.test/player/([^"#]+)`)

// TestCourseLifecycleJourney walks a course from upload to archive: a draft
// is invisible to learners and refuses enrolments; an admin's test launch
// records nothing; published, learners see it; retired, only those with
// records do and nobody new is enrolled; archived, it leaves the dashboards
// and its certificate still verifies.
func TestCourseLifecycleJourney(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	ada, _ := e.store.UserByEmail(ctx, "admin@example.org")
	lee := e.signedIn("lee@example.org", false)
	ann := e.signedIn("ann@example.org", false)
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	const title = "Brewing Green Tea"

	// A draft: learners neither see nor open it; nobody can be enrolled.
	if r := lee.get("/"); strings.Contains(r.body, title) {
		t.Error("a draft is listed on a learner's dashboard")
	}
	if r := lee.get("/courses/1"); r.status != http.StatusNotFound {
		t.Errorf("learner opens a draft: %d, want 404", r.status)
	}
	if r := admin.get("/courses/1"); r.status != http.StatusNotFound || !strings.Contains(r.body, "Test launch") {
		t.Errorf("admin opens a draft as a learner: %d, want 404 pointing to the test launch", r.status)
	}
	page := admin.get("/admin/courses/1")
	for _, want := range []string{"course-draft", "Test launch", "Publish", "Delete…"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("course page of a draft lacks %q", want)
		}
	}
	tok := admin.csrf("/admin/courses/1/enrolments")
	if r := admin.post("/admin/courses/1/enrolments", url.Values{"emails": {"lee@example.org"}}, tok); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "draft") {
		t.Errorf("enrol in a draft: %d, want 422 saying it is a draft", r.status)
	}

	// A test launch: the player, marked, on an attempt of no course record,
	// even for an admin who is enrolled as a learner.
	e.wantOneAudit(t, "test launch", "course.test_launch", ada, store.ViaWeb, func() response {
		return admin.post("/admin/courses/1/test", url.Values{}, admin.csrf("/admin/courses/1"))
	}, http.StatusOK)
	r := admin.post("/admin/courses/1/test", url.Values{}, admin.csrf("/admin/courses/1"))
	m := frameToken.FindStringSubmatch(r.body)
	if r.status != http.StatusOK || m == nil || !strings.Contains(r.body, "Test launch: nothing you do here is recorded") || !strings.Contains(r.body, `data-result="/admin/courses/1"`) {
		t.Fatalf("test launch page: %d, token %v\n%s", r.status, m, r.body)
	}
	rt := &runtime.Service{Store: e.store, ContentDir: e.content, LaunchTTL: time.Hour, SuspendDataMax: 64000, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := rt.Start(ctx, m[1]); err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Commit(ctx, runtime.CommitRequest{Token: m[1], Seq: 1, Terminate: true, Changes: []cmi.Change{
		{Element: "cmi.core.score.raw", Value: "95"}, {Element: "cmi.core.lesson_status", Value: "passed"}}}); err != nil {
		t.Fatal(err)
	}

	// Published: learners see it and can be enrolled.
	e.wantOneAudit(t, "publish", "course.publish", ada, store.ViaWeb, func() response {
		return admin.post("/admin/courses/1/status", url.Values{"status": {"published"}}, admin.csrf("/admin/courses/1"))
	}, http.StatusSeeOther)
	// Enrolled learners only (the default): Ann, not enrolled, does not see
	// it; once the admin opens it, she does.
	if r := ann.get("/"); strings.Contains(r.body, title) {
		t.Error("a published enrolled-only course is offered to a learner who is not enrolled")
	}
	e.wantOneAudit(t, "open", "course.catalogue", ada, store.ViaWeb, func() response {
		return admin.post("/admin/courses/1/catalogue", url.Values{"catalogue": {"open"}, "reason": {"Everyone may brew"}}, admin.csrf("/admin/courses/1"))
	}, http.StatusSeeOther)
	if r := ann.get("/"); !strings.Contains(r.body, title) {
		t.Error("a published open course is not offered to a learner")
	}
	tok = admin.csrf("/admin/courses/1/enrolments")
	if r := admin.post("/admin/courses/1/enrolments", url.Values{"emails": {"lee@example.org admin@example.org"}}, tok); r.status != http.StatusSeeOther {
		t.Fatalf("enrol: %d %s", r.status, r.body)
	}
	// The test launch left nothing: no completion, no certificate, no
	// attempt in the report, the admin still "to do".
	if cs, _ := e.store.Completions(ctx, 0); len(cs) != 0 {
		t.Errorf("completions after a passed test launch: %+v", cs)
	}
	report := admin.get("/admin/courses/1/report.csv")
	if !strings.Contains(report.body, "admin@example.org") || strings.Contains(report.body, "passed") || strings.Contains(report.body, "95") {
		t.Errorf("report after the test launch:\n%s", report.body)
	}
	if r := admin.get("/"); !strings.Contains(r.body, "to do") || strings.Contains(r.body, "Certificates") {
		t.Errorf("the admin's own dashboard shows the test launch")
	}
	if r := admin.get("/admin/users/" + fmt.Sprint(ada.ID) + "/transcript.csv"); strings.Contains(r.body, "passed") {
		t.Errorf("transcript shows the test launch:\n%s", r.body)
	}
	// Lee completes the course for real.
	leeUser, _ := e.store.UserByEmail(ctx, "lee@example.org")
	e.playSession(leeUser, []cmi.Change{{Element: "cmi.core.score.raw", Value: "80"}, {Element: "cmi.core.lesson_status", Value: "passed"}})
	if r := lee.get("/"); !strings.Contains(r.body, "Certificates") {
		t.Fatal("Lee has no certificate")
	}
	cs, _ := e.store.Completions(ctx, leeUser.ID)
	if len(cs) != 1 {
		t.Fatalf("Lee's completions: %+v", cs)
	}

	// Retired: asks first; then nobody new is enrolled, Lee still sees it,
	// Ann no longer does.
	tok = admin.csrf("/admin/courses/1")
	r = admin.post("/admin/courses/1/status", url.Values{"status": {"retired"}}, tok)
	if r.status != http.StatusOK || !strings.Contains(r.body, `name="confirm" value="yes"`) || !strings.Contains(r.body, "Retire the course") {
		t.Fatalf("retire without confirmation: %d, want the question\n%s", r.status, r.body)
	}
	if co, _ := e.store.CourseByID(ctx, 1); co.Status != store.CoursePublished {
		t.Fatalf("asking changed the status to %s", co.Status)
	}
	e.wantOneAudit(t, "retire", "course.retire", ada, store.ViaWeb, func() response {
		return admin.post("/admin/courses/1/status", url.Values{"status": {"retired"}, "confirm": {"yes"}}, tok)
	}, http.StatusSeeOther)
	if r := admin.post("/admin/courses/1/enrolments", url.Values{"emails": {"ann@example.org"}}, admin.csrf("/admin/courses/1/enrolments")); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "retired") {
		t.Errorf("enrol in a retired course: %d, want 422 saying it is retired", r.status)
	}
	if r := lee.get("/"); !strings.Contains(r.body, title) {
		t.Error("Lee, who completed it, no longer sees the retired course")
	}
	if r := lee.get("/courses/1"); r.status != http.StatusOK {
		t.Errorf("Lee opens the retired course: %d", r.status)
	}
	if r := ann.get("/"); strings.Contains(r.body, title) {
		t.Error("Ann, without records, still sees the retired course")
	}
	if r := ann.get("/courses/1"); r.status != http.StatusForbidden || !strings.Contains(r.body, "This course is not available to you") {
		t.Errorf("Ann opens the retired course: %d, want 403 and the not-available page", r.status)
	}

	// With records the course cannot be deleted, only archived.
	if r := admin.post("/admin/courses/1/delete", url.Values{"confirm": {"yes"}}, tok); r.status != http.StatusConflict || !strings.Contains(r.body, "Archive it instead") {
		t.Errorf("delete with records: %d, want 409 pointing to archiving", r.status)
	}
	if strings.Contains(admin.get("/admin/courses/1").body, "Delete…") {
		t.Error("the course page offers to delete a course with records")
	}
	e.wantOneAudit(t, "archive", "course.archive", ada, store.ViaWeb, func() response {
		return admin.post("/admin/courses/1/status", url.Values{"status": {"archived"}, "confirm": {"yes"}}, tok)
	}, http.StatusSeeOther)
	home := lee.get("/")
	if strings.Contains(home.body, "/courses/1\"") || !strings.Contains(home.body, cs[0].Code) {
		t.Errorf("Lee's dashboard after archiving: the course still shows, or the certificate is gone\n%s", home.body)
	}
	if r := e.browser().get("/verify/" + cs[0].Code); r.status != http.StatusOK || !strings.Contains(r.body, title) {
		t.Errorf("verify the certificate of an archived course: %d", r.status)
	}
	if r := admin.get("/admin"); strings.Contains(r.body, title) {
		t.Error("the dashboard still counts the archived course")
	}
	if r := admin.get("/admin/courses/1/report.csv"); !strings.Contains(r.body, "lee@example.org") {
		t.Error("the report of the archived course lost its records")
	}
	list := admin.get("/admin/courses").body
	if i := strings.Index(list, "Archived"); i < 0 || !strings.Contains(list[i:], title) {
		t.Error("the course list does not show the course under Archived")
	}
	// Restored: retired again.
	e.wantOneAudit(t, "restore", "course.restore", ada, store.ViaWeb, func() response {
		return admin.post("/admin/courses/1/status", url.Values{"status": {"retired"}}, tok)
	}, http.StatusSeeOther)
	// A move that does not exist changes nothing.
	if r := admin.post("/admin/courses/1/status", url.Values{"status": {"draft"}}, tok); r.status != http.StatusUnprocessableEntity {
		t.Errorf("retired to draft: %d, want 422", r.status)
	}
}

// TestCourseDetailsLimits: title and description at their limit and one
// over; a refused form changes nothing and says why.
func TestCourseDetailsLimits(t *testing.T) {
	e := newEnv(t, withCourseLimits(web.CourseLimits{TitleMax: 40, DescriptionMax: 100}))
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	ada, _ := e.store.UserByEmail(ctx, "admin@example.org")
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	tok := admin.csrf("/admin/courses/1")
	post := func(title, desc string) response {
		return admin.post("/admin/courses/1/details", url.Values{"title": {title}, "description": {desc}}, tok)
	}
	title40, desc100 := strings.Repeat("é", 40), strings.Repeat("d", 98)+"\r\n" // CR LF counts as one line end
	e.wantOneAudit(t, "details at the limits", "course.update", ada, store.ViaWeb, func() response { return post("  "+title40+"  ", desc100+"x") }, http.StatusSeeOther)
	co, _ := e.store.CourseByID(ctx, 1)
	if co.Title != title40 || co.Description != strings.Repeat("d", 98)+"\nx" || !co.Renamed {
		t.Errorf("saved %q / %q (renamed %v)", co.Title, co.Description, co.Renamed)
	}
	for _, tt := range []struct{ name, title, desc, want string }{
		{"title one over", title40 + "a", "", "at most 40"},
		{"description one over", "Tea", strings.Repeat("d", 101), "at most 100"},
		{"empty title", " \t ", "", "needs a title"},
	} {
		before := e.lastAuditID()
		r := post(tt.title, tt.desc)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tt.want) {
			t.Errorf("%s: %d, want 422 saying %q", tt.name, r.status, tt.want)
		}
		if after, _ := e.store.CourseByID(ctx, 1); after.Title != co.Title || after.Description != co.Description || e.lastAuditID() != before {
			t.Errorf("%s changed the course or the audit trail", tt.name)
		}
	}
	// Saving what is already there writes nothing.
	before := e.lastAuditID()
	if r := post(co.Title, co.Description); r.status != http.StatusSeeOther || e.lastAuditID() != before {
		t.Errorf("an unchanged form: %d, audit entries written: %v", r.status, e.lastAuditID() != before)
	}
	// A title with markup is text on every page.
	if r := post(`<img src=x onerror=alert(1)>`, "<b>bold</b>"); r.status != http.StatusSeeOther {
		t.Fatalf("hostile title: %d", r.status)
	}
	e.publish(1)
	e.openCourse(1) // so that Lee's dashboard lists it
	lee := e.signedIn("lee@example.org", false)
	for _, p := range []struct {
		b    *browser
		path string
	}{{admin, "/admin/courses"}, {admin, "/admin/courses/1"}, {lee, "/"}, {lee, "/courses/1"}} {
		if body := p.b.get(p.path).body; strings.Contains(body, "<img src=x") || strings.Contains(body, "<b>bold") {
			t.Errorf("%s shows the title or description as markup", p.path)
		}
	}
}

// TestCourseImage: an image at the size limit is saved and served as an
// inert file; one byte more, or something that is not an image, is refused;
// learners see it only once the course is published.
func TestCourseImage(t *testing.T) {
	pic := testPNG(t, 300, 200)
	e := newEnv(t, withCourseLimits(web.CourseLimits{Image: course.ImageLimits{MaxBytes: int64(len(pic))}}))
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	ada, _ := e.store.UserByEmail(ctx, "admin@example.org")
	lee := e.signedIn("lee@example.org", false)
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	tok := admin.csrf("/admin/courses/1")
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"one byte over", append(append([]byte{}, pic...), 0), "larger than the limit"},
		{"html", []byte("<!doctype html><script>alert(document.cookie)</script>"), "not a PNG, JPEG, GIF or WebP"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "not a PNG"},
		{"empty", nil, "The file is empty"},
	} {
		before := e.lastAuditID()
		r := admin.uploadImage(1, tt.data, tok)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tt.want) {
			t.Errorf("%s: %d, want 422 saying %q", tt.name, r.status, tt.want)
		}
		if co, _ := e.store.CourseByID(ctx, 1); co.ImageHash != "" || e.lastAuditID() != before {
			t.Errorf("%s: the refused image was stored or audited", tt.name)
		}
	}
	e.wantOneAudit(t, "image at the limit", "course.image", ada, store.ViaWeb, func() response { return admin.uploadImage(1, pic, tok) }, http.StatusSeeOther)
	co, _ := e.store.CourseByID(ctx, 1)
	src := fmt.Sprintf("/courses/1/image?v=%s", co.ImageHash)
	if co.ImageHash == "" || !strings.Contains(admin.get("/admin/courses/1").body, src) {
		t.Fatalf("the course page does not show the image %q", src)
	}
	r := admin.get(src)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/png" || r.header.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(r.header.Get("Content-Security-Policy"), "sandbox") || !strings.HasPrefix(r.header.Get("Content-Disposition"), "inline") ||
		!strings.Contains(r.header.Get("Cache-Control"), "private") {
		t.Errorf("image: %d %v", r.status, r.header)
	}
	if cfg, format, err := image.DecodeConfig(strings.NewReader(r.body)); err != nil || format != "png" || cfg.Width != 300 {
		t.Errorf("served image: %v %s %d", err, format, cfg.Width)
	}
	// A draft's image is the admins' only.
	if r := lee.get(src); r.status != http.StatusNotFound {
		t.Errorf("learner gets a draft's image: %d", r.status)
	}
	e.publish(1)
	// Published for enrolled learners only: Lee gets the image once enrolled.
	if r := lee.get(src); r.status != http.StatusNotFound {
		t.Errorf("learner not enrolled gets an enrolled-only course's image: %d, want 404", r.status)
	}
	e.enrol("lee@example.org", 1)
	if r := lee.get(src); r.status != http.StatusOK {
		t.Errorf("learner gets a published course's image: %d", r.status)
	}
	if !strings.Contains(lee.get("/").body, src) {
		t.Error("the learner's dashboard does not show the image")
	}
	if r := e.browser().get(src); r.status == http.StatusOK {
		t.Error("an anonymous visitor gets the image")
	}
	e.wantOneAudit(t, "remove image", "course.image_remove", ada, store.ViaWeb, func() response {
		return admin.post("/admin/courses/1/image/remove", url.Values{}, tok)
	}, http.StatusSeeOther)
	if r := lee.get(src); r.status != http.StatusNotFound {
		t.Errorf("removed image: %d, want 404", r.status)
	}
}

// TestDeleteCourse: a course nobody has records of is deleted after the
// question, with its content; the question alone deletes nothing.
func TestDeleteCourse(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	ada, _ := e.store.UserByEmail(ctx, "admin@example.org")
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	// Tried by a test launch only: still no records.
	tok := admin.csrf("/admin/courses/1")
	if r := admin.post("/admin/courses/1/test", url.Values{}, tok); r.status != http.StatusOK {
		t.Fatalf("test launch: %d", r.status)
	}
	r := admin.post("/admin/courses/1/delete", url.Values{}, tok)
	if r.status != http.StatusOK || !strings.Contains(r.body, "Delete the course") || !strings.Contains(r.body, `class="danger"`) || !strings.Contains(r.body, `href="/admin/courses/1"`) {
		t.Fatalf("delete without confirmation: %d, want the question with a cancel link\n%s", r.status, r.body)
	}
	if _, err := e.store.CourseByID(ctx, 1); err != nil {
		t.Fatalf("asking deleted the course: %v", err)
	}
	e.wantOneAudit(t, "delete", "course.delete", ada, store.ViaWeb, func() response {
		return admin.post("/admin/courses/1/delete", url.Values{"confirm": {"yes"}}, tok)
	}, http.StatusSeeOther)
	if r := admin.get("/admin/courses/1"); r.status != http.StatusNotFound {
		t.Errorf("deleted course page: %d", r.status)
	}
	if _, err := os.Stat(filepath.Join(e.content, "1")); !os.IsNotExist(err) {
		t.Errorf("content of the deleted course: %v, want gone", err)
	}
	// A forged request without a CSRF token deletes nothing.
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	if r := admin.post("/admin/courses/2/delete", url.Values{"confirm": {"yes"}}, ""); r.status != http.StatusForbidden {
		t.Errorf("delete without a CSRF token: %d, want 403", r.status)
	}
	if _, err := e.store.CourseByID(ctx, 2); err != nil {
		t.Errorf("a forged request deleted the course: %v", err)
	}
}

// TestCourseAPI: the lifecycle through the API: status in every answer,
// PATCH with its checks, DELETE refused with records.
func TestCourseAPI(t *testing.T) {
	e := newEnv(t, withCourseLimits(web.CourseLimits{TitleMax: 20, DescriptionMax: 50}))
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	ada, _ := e.store.UserByEmail(ctx, "admin@example.org")
	for range 2 {
		if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
			t.Fatalf("upload: %d", r.status)
		}
	}
	rw, read := e.apiToken(ada, store.ScopeReadWrite, nil), e.apiToken(ada, store.ScopeRead, nil)
	if r := e.api("GET", "/api/v1/courses/1", read, ""); r.status != 200 || !strings.Contains(r.body, `"status":"draft"`) || !strings.Contains(r.body, `"published":false`) {
		t.Errorf("GET course: %d %s", r.status, r.body)
	}
	for _, tt := range []struct {
		name, token, body string
		status            int
		want              string
	}{
		{"read token", read, `{"status":"published"}`, 403, "forbidden"},
		{"title one over", rw, `{"title":"` + strings.Repeat("t", 21) + `"}`, 422, "at most 20"},
		{"description one over", rw, `{"description":"` + strings.Repeat("d", 51) + `"}`, 422, "at most 50"},
		{"unknown status", rw, `{"status":"gone"}`, 422, "status must be"},
		{"draft to retired", rw, `{"status":"retired"}`, 409, "cannot become retired"},
		{"unknown field", rw, `{"colour":"red"}`, 422, "colour"},
	} {
		r := e.api("PATCH", "/api/v1/courses/1", tt.token, tt.body)
		if r.status != tt.status || !strings.Contains(r.body, tt.want) {
			t.Errorf("%s: %d %s, want %d with %q", tt.name, r.status, r.body, tt.status, tt.want)
		}
	}
	e.wantOneAudit(t, "API publish", "course.publish", ada, store.ViaAPI, func() response {
		return e.api("PATCH", "/api/v1/courses/1", rw, `{"status":"published"}`)
	}, 200)
	r := e.api("PATCH", "/api/v1/courses/1", rw, `{"title":"`+strings.Repeat("t", 20)+`","description":"For everyone"}`)
	if r.status != 200 || !strings.Contains(r.body, `"title":"`+strings.Repeat("t", 20)+`"`) || !strings.Contains(r.body, `"published":true`) {
		t.Errorf("PATCH details: %d %s", r.status, r.body)
	}
	if r := e.api("GET", "/api/v1/courses?status=draft", read, ""); !strings.Contains(r.body, `"id":2`) || strings.Contains(r.body, `"id":1`) {
		t.Errorf("courses?status=draft: %s", r.body)
	}
	if r := e.api("POST", "/api/v1/enrolments", rw, `{"course":2,"email":"admin@example.org"}`); r.status != 422 || !strings.Contains(r.body, "draft") {
		t.Errorf("enrol in a draft: %d %s", r.status, r.body)
	}
	if r := e.api("POST", "/api/v1/enrolments", rw, `{"course":1,"email":"admin@example.org"}`); r.status != 201 {
		t.Fatalf("enrol: %d %s", r.status, r.body)
	}
	if r := e.api("DELETE", "/api/v1/courses/1", rw, ""); r.status != 409 || !strings.Contains(r.body, "has_records") {
		t.Errorf("DELETE with records: %d %s", r.status, r.body)
	}
	if r := e.api("DELETE", "/api/v1/courses/2", read, ""); r.status != 403 {
		t.Errorf("DELETE with a read token: %d", r.status)
	}
	e.wantOneAudit(t, "API delete", "course.delete", ada, store.ViaAPI, func() response { return e.api("DELETE", "/api/v1/courses/2", rw, "") }, 204)
	if r := e.api("GET", "/api/v1/courses/2", read, ""); r.status != 404 {
		t.Errorf("deleted course: %d", r.status)
	}
}
