package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/store"
)

// The test binary doubles as the lectern binary: with LECTERN_TEST_EXEC set
// it runs the command line instead of the tests, so a test can start a real
// server process and kill it.
func TestMain(m *testing.M) {
	if args := os.Getenv("LECTERN_TEST_EXEC"); args != "" {
		if err := run(context.Background(), strings.Fields(args), os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "lectern:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestAcknowledgedCommitSurvivesKill9: a commit the server acknowledged is on
// disk when the server is killed with SIGKILL right after.
func TestAcknowledgedCommitSurvivesKill9(t *testing.T) {
	data := t.TempDir()
	if _, _, err := lectern(t, data, "import", "--publish", fixture.ZipDir(t, fixture.Package("scorm12-single"))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lectern(t, data, "user", "add", "--email", "lee@example.org", "--name", "Lee", "--password", "learner-password-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lectern(t, data, "enrol", "--course", "1", "--email", "lee@example.org"); err != nil {
		t.Fatal(err)
	}
	lmsAddr, contentAddr := freePort(t), freePort(t)
	server := exec.Command(os.Args[0])
	server.Env = append(os.Environ(), "LECTERN_TEST_EXEC=serve --data "+data+" --addr "+lmsAddr+" --content-addr "+contentAddr+" --log-level warn")
	server.Stderr = os.Stderr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			server.Process.Kill()
			server.Wait()
		}
	}()
	base := "http://" + lmsAddr
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Sign in with a link (made by a second process on the same data folder),
	// open the course, start the SCO.
	link, _, err := lectern(t, data, "login-link", "--email", "lee@example.org", "--course", "1", "--base-url", base)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	resp, err := client.Get(strings.TrimSpace(link))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The course page writes nothing: the launch is its form's POST.
	csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(page)
	if csrf == nil {
		t.Fatalf("no launch form on the course page (%d)", resp.StatusCode)
	}
	resp, err = client.PostForm(resp.Request.URL.String(), url.Values{"_csrf": {string(csrf[1])}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`/player/([A-Za-z0-9_-]{43})`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no player frame on the course page (%d)", resp.StatusCode)
	}
	token := string(m[1])
	post := func(path, body string) int {
		resp, err := http.Post("http://"+contentAddr+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := post("/rt/start", `{"token":"`+token+`"}`); s != http.StatusOK {
		t.Fatalf("start: %d", s)
	}
	body, _ := json.Marshal(map[string]any{"token": token, "seq": 1, "changes": []map[string]string{
		{"element": "cmi.core.lesson_location", "value": "acknowledged"},
		{"element": "cmi.suspend_data", "value": strings.Repeat("s", 4000)},
	}})
	if s := post("/rt/commit", string(body)); s != http.StatusOK {
		t.Fatalf("commit: %d", s)
	}
	// Acknowledged: kill the server at once, without any chance to flush.
	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	server.Wait()
	killed = true

	st, err := store.OpenSQLite(filepath.Join(data, "lectern.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.ScoStates(context.Background(), 1)
	if err != nil || len(rows) != 1 {
		t.Fatalf("states after the kill: %d %v", len(rows), err)
	}
	var state struct{ Values map[string]string }
	json.Unmarshal(rows[0].State, &state)
	if got := state.Values["cmi.core.lesson_location"]; got != "acknowledged" {
		t.Errorf("after kill -9 the location is %q, want the acknowledged value", got)
	}
}
