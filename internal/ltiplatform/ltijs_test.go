package ltiplatform_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/ltiplatform"
)

// TestLtijsAcceptsLaunches checks the test platform against an independent,
// certified implementation: ltijs, run as a tool, must accept the platform's
// resource-link launches and deep-linking requests (and refuse a forged
// one). It needs Node with ltijs installed in ltijs/node_modules (.ci/run
// does it) and PostgreSQL on 127.0.0.1:5432 (user postgres, trust); with
// LECTERN_TEST_LTIJS=require it fails when they are missing, else it skips.
func TestLtijsAcceptsLaunches(t *testing.T) {
	need := func(format string, args ...any) {
		t.Helper()
		msg := fmt.Sprintf(format, args...)
		if os.Getenv("LECTERN_TEST_LTIJS") == "require" {
			t.Fatal(msg)
		}
		t.Skip("SKIP ltijs check: " + msg + " (set LECTERN_TEST_LTIJS=require to make it fail)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		need("node is not installed")
	}
	dir, _ := filepath.Abs("ltijs")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "ltijs")); err != nil {
		need("ltijs is not installed: run npm install in %s", dir)
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		need("psql is not installed")
	}
	db := fmt.Sprintf("lectern_ltijs_%d", time.Now().UnixNano())
	sql := func(q string) error {
		out, err := exec.Command(psql, "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", q).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v: %s", q, err, out)
		}
		return nil
	}
	if err := sql("CREATE DATABASE " + db); err != nil {
		need("PostgreSQL on 127.0.0.1:5432 is not usable: %v", err)
	}
	t.Cleanup(func() {
		if err := sql("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)"); err != nil {
			t.Error(err)
		}
	})

	p, err := ltiplatform.Start("localhost")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	tool := &ltiplatform.Tool{ClientID: "ltijs-client", DeploymentID: "dep-ltijs",
		LoginURL:  fmt.Sprintf("http://127.0.0.1:%d/login", port),
		LaunchURL: fmt.Sprintf("http://127.0.0.1:%d/", port), JWKSURL: fmt.Sprintf("http://127.0.0.1:%d/keys", port)}
	p.AddTool(tool)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "tool.js")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "LTIJS_DB="+db, "LTIJS_KEY=lectern-test-key", fmt.Sprintf("LTIJS_PORT=%d", port),
		"PLATFORM_ISSUER="+p.Issuer, "PLATFORM_CLIENT_ID="+tool.ClientID, "PLATFORM_AUTH_URL="+p.AuthURL(),
		"PLATFORM_TOKEN_URL="+p.TokenURL(), "PLATFORM_JWKS_URL="+p.JWKSURL())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	ready := make(chan bool, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if s.Text() == "READY" {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("ltijs did not start: %s", stderr.String())
		}
	case <-ctx.Done():
		t.Fatalf("ltijs did not start in time: %s", stderr.String())
	}

	learner := ltiplatform.User{ID: "u-ltijs", Name: "Lin Learner", Email: "lin@uni.example", Roles: []string{ltiplatform.Learner}}
	teacher := ltiplatform.User{ID: "u-teach", Name: "Tess Teacher", Email: "tess@uni.example", Roles: []string{ltiplatform.Instructor}}
	cases := []struct {
		name string
		l    *ltiplatform.Launch
		want string
	}{
		{"resource link", &ltiplatform.Launch{Tool: tool, User: learner, ContextID: "ctx-1", ContextTitle: "Course", ResourceLink: "rl-1", ResourceTitle: "Quiz", AGS: true, NRPS: true},
			"LTIJS-LAUNCH-OK user=u-ltijs resource=rl-1 context=ctx-1"},
		{"deep linking", &ltiplatform.Launch{Tool: tool, User: teacher, ContextID: "ctx-1", ContextTitle: "Course", DeepLinking: true, DeepLinkData: "d"},
			"LTIJS-DEEPLINK-OK user=u-teach return=" + p.URL + "/deeplink-return"},
	}
	for _, tc := range cases {
		pg, err := p.Launch(ctx, ltiplatform.NewBrowser(), tc.l)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if pg.Status != 200 || !strings.Contains(pg.Body, tc.want) {
			t.Errorf("%s: ltijs answered %d %q, want %q\n%s", tc.name, pg.Status, pg.Body, tc.want, stderr.String())
		}
	}
	// ltijs is a real check: it refuses what the platform signs wrongly.
	bad := *cases[0].l
	bad.Mutate = func(c, h map[string]any) { c["aud"] = "someone-else" }
	if pg, err := p.Launch(ctx, ltiplatform.NewBrowser(), &bad); err == nil && strings.Contains(pg.Body, "LTIJS-LAUNCH-OK") {
		t.Error("ltijs accepted a launch for another audience")
	}
}
