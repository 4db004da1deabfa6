package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestBenchCommitAgainstServer: `lectern bench commit --target` loads a
// server running in another process (here a `lectern serve` child) and
// reports what it measured, with no errors; a target without its data
// folder, or a bad URL, is refused before anything runs.
func TestBenchCommitAgainstServer(t *testing.T) {
	for _, args := range [][]string{
		{"--target", "http://127.0.0.1:1"},
		{"--target", "ftp://x", "--data", t.TempDir()},
		{"--data", t.TempDir()},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"bench", "commit"}, args...), &out, &errb)
		var ue usageError
		if err == nil || !errors.As(err, &ue) {
			t.Errorf("bench commit %v: %v, want a usage error", args, err)
		}
	}

	data := t.TempDir()
	lmsAddr, contentAddr := freePort(t), freePort(t)
	server := exec.Command(os.Args[0])
	server.Env = append(os.Environ(), "LECTERN_TEST_EXEC=serve --data "+data+" --addr "+lmsAddr+" --content-addr "+contentAddr+" --log-level warn")
	server.Stderr = os.Stderr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		server.Process.Kill()
		server.Wait()
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get("http://" + contentAddr + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the server did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"bench", "commit", "--target", "http://" + contentAddr, "--data", data,
		"--learners", "2", "--duration", "300ms"}, &out, &errb)
	if err != nil {
		t.Fatalf("bench commit --target: %v\n%s", err, errb.String())
	}
	m := regexp.MustCompile(`(\d+) commits in .* errors (\d+)`).FindStringSubmatch(out.String())
	if m == nil || m[1] == "0" || m[2] != "0" || strings.Contains(out.String(), "raw SQLite") {
		t.Errorf("bench commit --target printed %q, want commits, no errors and no in-process comparison", out.String())
	}
}

// TestBenchRaw: `lectern bench raw` measures the raw upsert in its own
// folder under --data and removes it; bad figures are refused.
func TestBenchRaw(t *testing.T) {
	for _, args := range [][]string{{"--writers", "0"}, {"--duration", "0s"}} {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"bench", "raw"}, args...), &out, &errb)
		var ue usageError
		if err == nil || !errors.As(err, &ue) {
			t.Errorf("bench raw %v: %v, want a usage error", args, err)
		}
	}
	var out, errb bytes.Buffer
	missing := filepath.Join(t.TempDir(), "missing")
	if err := run(context.Background(), []string{"bench", "raw", "--duration", "1ms", "--data", missing}, &out, &errb); err == nil ||
		!strings.Contains(err.Error(), "--data") {
		t.Errorf("bench raw into a missing folder: %v, want an error naming --data", err)
	}
	data := t.TempDir()
	if err := run(context.Background(), []string{"bench", "raw", "--writers", "2", "--duration", "200ms", "--data", data}, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	if !regexp.MustCompile(`2 writers: [1-9][0-9]* upserts = [0-9]+/s, p50 .*, p99 `).MatchString(out.String()) {
		t.Errorf("output %q", out.String())
	}
	if left, _ := os.ReadDir(data); len(left) != 0 {
		t.Errorf("left behind in --data: %v", left)
	}
}
