package lms_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms"
)

// hostOf is the host:port of a URL.
func hostOf(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

// cutOff reports whether the server ends conn (EOF, reset, or an answer
// followed by EOF) before the client gives up after wait.
func cutOff(conn net.Conn, wait time.Duration) bool {
	conn.SetReadDeadline(time.Now().Add(wait))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestSlowClientsAreCutOff: a client that drips a request body a byte at a
// time is disconnected after --read-timeout, on both listeners. Before,
// connections dripping a byte every 5 s stayed open indefinitely.
func TestSlowClientsAreCutOff(t *testing.T) {
	lec := startLectern(t, func(c *lms.Config) { c.ReadTimeout = time.Second })
	for name, target := range map[string]struct{ host, path string }{
		"LMS sign-in":       {hostOf(t, lec.URL), "/login"},
		"content run-time":  {hostOf(t, lec.App.Config.ContentURL), "/rt/commit"},
		"LMS admin upload":  {hostOf(t, lec.URL), "/admin/courses"},
		"content file path": {hostOf(t, lec.App.Config.ContentURL), "/rt/start"},
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", target.host)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n", target.path, target.host)
			stop := make(chan struct{})
			defer close(stop)
			go func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(100 * time.Millisecond):
					}
					if _, err := conn.Write([]byte("a")); err != nil {
						return
					}
				}
			}()
			if !cutOff(conn, 20*time.Second) {
				t.Error("the server kept a dripping connection open")
			}
		})
	}
}

// TestConnectionsPerClient: one client address may hold --max-conns-per-client
// connections open; the next is closed at once. Trusted proxies are exempt.
func TestConnectionsPerClient(t *testing.T) {
	const max = 3
	open := func(t *testing.T, host string) (net.Conn, bool) {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", host)
		conn.SetReadDeadline(time.Now().Add(20 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			return conn, false
		}
		resp.Body.Close()
		return conn, resp.StatusCode == http.StatusOK
	}
	lec := startLectern(t, func(c *lms.Config) { c.MaxConnsPerClient = max })
	for _, host := range []string{hostOf(t, lec.URL), hostOf(t, lec.App.Config.ContentURL)} {
		var conns []net.Conn
		for i := range max {
			c, ok := open(t, host)
			if !ok {
				t.Fatalf("%s: connection %d of %d refused", host, i+1, max)
			}
			conns = append(conns, c)
		}
		c, ok := open(t, host)
		c.Close()
		if ok {
			t.Errorf("%s: connection %d of %d answered, want it closed", host, max+1, max)
		}
		// A closed connection frees its place.
		conns[0].Close()
		freed := false
		for deadline := time.Now().Add(20 * time.Second); !freed && time.Now().Before(deadline); {
			c, ok := open(t, host)
			c.Close()
			freed = ok
			if !ok {
				time.Sleep(50 * time.Millisecond)
			}
		}
		if !freed {
			t.Errorf("%s: no connection accepted after one was closed", host)
		}
		for _, c := range conns[1:] {
			c.Close()
		}
	}

	proxied := startLectern(t, func(c *lms.Config) { c.MaxConnsPerClient = 1; c.TrustedProxies = "127.0.0.1" })
	var conns []net.Conn
	for i := range max {
		c, ok := open(t, hostOf(t, proxied.URL))
		conns = append(conns, c)
		if !ok {
			t.Errorf("from a trusted proxy, connection %d was refused", i+1)
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

// slowBody sends data in pieces with pauses in between.
type slowBody struct {
	data  []byte
	piece int
	pause time.Duration
}

func (b *slowBody) Read(p []byte) (int, error) {
	if len(b.data) == 0 {
		return 0, io.EOF
	}
	time.Sleep(b.pause)
	n := copy(p[:min(len(p), b.piece)], b.data)
	b.data = b.data[n:]
	return n, nil
}

// TestUploadOutlastsReadTimeout: a package upload by an admin has its own
// deadline (--transfer-timeout), so a large upload on a slow line is not cut
// at --read-timeout.
func TestUploadOutlastsReadTimeout(t *testing.T) {
	lec := startLectern(t, func(c *lms.Config) { c.ReadTimeout = time.Second; c.TransferTimeout = time.Minute })
	if _, _, err := lec.App.AddUser(t.Context(), "admin@example.org", "Ada Admin", "admin-password-1", true); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	token := func(path string) string {
		resp, err := client.Get(lec.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no form token on %s", path)
		}
		return string(m[1])
	}
	form := url.Values{"email": {"admin@example.org"}, "password": {"admin-password-1"}, "_csrf": {token("/login")}}
	if resp, err := client.PostForm(lec.URL+"/login", form); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %v %v", resp, err)
	}
	zip, err := os.ReadFile(fixture.ZipDir(t, fixture.Package("scorm12-single")))
	if err != nil {
		t.Fatal(err)
	}
	boundary := "XXboundaryXX"
	var body strings.Builder
	fmt.Fprintf(&body, "--%s\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n%s\r\n", boundary, token("/admin/courses"))
	fmt.Fprintf(&body, "--%s\r\nContent-Disposition: form-data; name=\"package\"; filename=\"c.zip\"\r\nContent-Type: application/zip\r\n\r\n", boundary)
	body.Write(zip)
	fmt.Fprintf(&body, "\r\n--%s--\r\n", boundary)
	data := []byte(body.String())
	// About 2.5 s in all: well past the read timeout.
	req, _ := http.NewRequest(http.MethodPost, lec.URL+"/admin/courses", &slowBody{data: data, piece: len(data)/8 + 1, pause: 300 * time.Millisecond})
	req.ContentLength = int64(len(data))
	req.Header.Set("Content-Type", "multipart/form-data; boundary="+boundary)
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("slow upload: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("slow upload: %d %s, want 201", resp.StatusCode, b)
	}
}
