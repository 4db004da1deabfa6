package web_test

import (
	"bufio"
	"bytes"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/web"
)

// hugeBody is a body of size bytes generated as it is read: head, then
// filler. It counts what the client sent.
type hugeBody struct {
	head []byte
	left int64
	sent atomic.Int64
}

func newHugeBody(head string, size int64) *hugeBody {
	return &hugeBody{head: []byte(head), left: size}
}

func (b *hugeBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	n := copy(p, b.head)
	b.head = b.head[n:]
	for n < len(p) && int64(n) < b.left {
		p[n] = 'a'
		n++
	}
	b.left -= int64(n)
	b.sent.Add(int64(n))
	return n, nil
}

// sendBody posts body to path and returns the status and how many bytes the
// server read while answering. length < 0 sends it chunked. It writes and
// reads on a raw connection, so that an answer the server gives before
// reading the body is seen even when the rest of the body can no longer be
// written.
func (e *env) sendBody(b *browser, path, contentType string, body io.Reader, length int64, header map[string]string) (int, int64) {
	e.t.Helper()
	before := e.read.Load()
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+path, body)
	req.ContentLength = length
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	u, _ := url.Parse(e.http.URL)
	for _, c := range b.jar.Cookies(u) {
		req.AddCookie(c)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		e.t.Fatal(err)
	}
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		req.Write(conn) // fails once the server has answered and closed
	}()
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		e.t.Fatalf("POST %s: %v", path, err)
	}
	resp.Body.Close()
	conn.Close()
	<-wrote
	return resp.StatusCode, e.read.Load() - before
}

// readSlack is what the server may read beyond a limit: its buffers, and
// what net/http drains after an answer to keep a connection (256 KiB, at
// times twice). The bodies refused are far larger.
const readSlack = 1 << 20

// TestBodiesAreBoundedBeforeReading: no request makes the server read more
// than its route's limit, and the upload limit applies only to an admin on
// the upload routes. Before, the CSRF check parsed whole multipart bodies of
// anonymous requests, and an admin upload over the limit was read whole
// before being refused.
func TestBodiesAreBoundedBeforeReading(t *testing.T) {
	e := newEnv(t)
	anon := e.browser()
	learner := e.signedIn("learner@example.org", false)
	admin := e.signedIn("admin@example.org", true)
	formLimit := e.opt.MaxFormBytes
	multipartHead := func(field string) string {
		return "--XX\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\"x.zip\"\r\n\r\n"
	}
	tests := []struct {
		name        string
		who         *browser
		path, ctype string
		body        *hugeBody
		declared    bool
		header      map[string]string
		want        int
		maxRead     int64
	}{
		{"anonymous multipart sign-in, 600 MB streamed", anon, "/login", "multipart/form-data; boundary=XX",
			newHugeBody(multipartHead("email"), 600<<20), false, nil, http.StatusForbidden, formLimit + readSlack},
		{"anonymous form sign-in, 30 MB declared", anon, "/login", "application/x-www-form-urlencoded",
			newHugeBody("email=a&password=", 30<<20), true, nil, http.StatusRequestEntityTooLarge, readSlack},
		{"anonymous form sign-in, 30 MB streamed", anon, "/login", "application/x-www-form-urlencoded",
			newHugeBody("email=a&password=", 30<<20), false, nil, http.StatusRequestEntityTooLarge, formLimit + readSlack},
		{"learner posts a 50 MB package, token first", learner, "/admin/courses", "multipart/form-data; boundary=XX",
			newHugeBody(multipartHead("package"), 50<<20), false, map[string]string{"X-CSRF-Token": learner.formToken()}, http.StatusForbidden, formLimit + readSlack},
		{"learner posts a 50 MB package, no token", learner, "/admin/courses", "multipart/form-data; boundary=XX",
			newHugeBody(multipartHead("package"), 50<<20), false, nil, http.StatusForbidden, formLimit + readSlack},
		{"admin uploads over the limit, declared", admin, "/admin/courses", "multipart/form-data; boundary=XX",
			newHugeBody(multipartHead("package"), 3*e.opt.MaxUploadBytes), true, map[string]string{"X-CSRF-Token": admin.formToken()}, http.StatusRequestEntityTooLarge, readSlack},
		{"admin's file before the token", admin, "/admin/courses", "multipart/form-data; boundary=XX",
			newHugeBody(multipartHead("package"), 8<<20), false, nil, http.StatusForbidden, formLimit + readSlack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			length := int64(-1)
			if tt.declared {
				length = tt.body.left
			}
			status, read := e.sendBody(tt.who, tt.path, tt.ctype, tt.body, length, tt.header)
			if status != tt.want {
				t.Errorf("status %d, want %d", status, tt.want)
			}
			if read > tt.maxRead {
				t.Errorf("the server read %d KiB, want at most %d KiB", read>>10, tt.maxRead>>10)
			}
		})
	}
	if r := admin.get("/admin/courses"); !strings.Contains(r.body, "No courses yet") {
		t.Error("a refused upload created a course")
	}
}

// TestFormLimit: a form of exactly --max-form-bytes is read, one byte more is
// refused, declared or not.
func TestFormLimit(t *testing.T) {
	const limit = 4096
	e := newEnv(t, func(o *web.Options) { o.MaxFormBytes = limit })
	b := e.browser()
	token := b.csrf("/login")
	form := func(size int) string {
		s := url.Values{"email": {"nobody@example.org"}, "password": {"wrong"}, "_csrf": {token}}.Encode() + "&pad="
		return s + strings.Repeat("x", size-len(s))
	}
	for _, tt := range []struct {
		size     int
		declared bool
		want     int
	}{
		{limit, true, http.StatusUnauthorized},
		{limit + 1, true, http.StatusRequestEntityTooLarge},
		{limit, false, http.StatusUnauthorized},
		{limit + 1, false, http.StatusRequestEntityTooLarge},
	} {
		body := form(tt.size)
		length := int64(len(body))
		if !tt.declared {
			length = -1
		}
		status, _ := e.sendBody(b, "/login", "application/x-www-form-urlencoded", strings.NewReader(body), length, nil)
		if status != tt.want {
			t.Errorf("form of %d bytes (declared %v): %d, want %d", tt.size, tt.declared, status, tt.want)
		}
	}
}

// TestCSRFTokenFromFirstPart: a client without fetch metadata may put the
// token in the first part of an upload; anywhere else it is not looked for.
func TestCSRFTokenFromFirstPart(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	token := admin.formToken()
	zip := fixture.ZipDir(t, fixture.Package("scorm12-single"))
	post := func(tokenFirst bool) int {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		if tokenFirst {
			mw.WriteField("_csrf", token)
		}
		fw, _ := mw.CreateFormFile("package", "course.zip")
		fw.Write(readFile(t, zip))
		if !tokenFirst {
			mw.WriteField("_csrf", token)
		}
		mw.Close()
		status, _ := e.sendBody(admin, "/admin/courses", mw.FormDataContentType(), &body, int64(body.Len()), map[string]string{"Accept": "application/json"})
		return status
	}
	if s := post(false); s != http.StatusForbidden {
		t.Errorf("token after the file: %d, want 403", s)
	}
	if s := post(true); s != http.StatusCreated {
		t.Errorf("token as the first part: %d, want 201", s)
	}
}

// TestPlantedCSRFCookieNeverMatches: the content origin can set cookies for
// the LMS's host (cookies ignore ports), but a signed-in user's token is bound
// to the session on the server, so a planted cookie and its value are no
// token.
func TestPlantedCSRFCookieNeverMatches(t *testing.T) {
	e := newEnv(t)
	learner := e.signedIn("learner@example.org", false)
	u, _ := url.Parse(e.http.URL)
	for _, name := range []string{"_csrf", "__Host-csrf"} {
		learner.jar.SetCookies(u, []*http.Cookie{{Name: name, Value: "planted-by-the-content-origin-0123456789abc", Path: "/"}})
		r := learner.post("/logout", url.Values{}, "planted-by-the-content-origin-0123456789abc")
		if r.status != http.StatusForbidden {
			t.Errorf("logout with planted cookie %s: %d, want 403", name, r.status)
		}
		if r := learner.get("/"); r.status != http.StatusOK {
			t.Fatalf("after the forged logout the learner is signed out (%d)", r.status)
		}
	}
	// The session's own token still works.
	if r := learner.post("/logout", url.Values{}, learner.formToken()); r.status != http.StatusSeeOther {
		t.Errorf("logout with the session's token: %d, want 303", r.status)
	}
	if r := learner.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("after logging out: %d, want a redirect to sign in", r.status)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
