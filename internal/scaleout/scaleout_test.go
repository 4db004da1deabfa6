package scaleout

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm"
)

// learners is how many learners commit through the proxy at once.
const learners = 200

// TestThreeInstancesBehindAProxy: three `lectern serve` processes on one
// fresh PostgreSQL database and one content folder, behind a round-robin
// proxy that sends each request to the next instance. 200 learners commit
// (in order, a replay, a commit that overtakes its predecessor, a few
// sequence gaps that are refused) while the instance that runs the
// notifier is killed with SIGKILL half-way; the proxy then skips it, and a
// client sends again what got no answer, as the player does. Afterwards:
// every learner's record is what one instance gives for the same commits
// (so no acknowledged commit is lost), the journal has each commit once
// (none applied twice), and a survivor runs the notifier.
//
// It runs when LECTERN_TEST_POSTGRES is set (as in CI, where an unreachable
// server fails it).
func TestThreeInstancesBehindAProxy(t *testing.T) {
	server := os.Getenv(store.TestPostgresEnv)
	if server == "" {
		t.Skip("needs PostgreSQL: set " + store.TestPostgresEnv)
	}
	if !store.IsPostgres(server) {
		server = store.DefaultTestPostgres
	}
	dsn, drop, err := store.CreateTempDatabase(server, "lectern_scaleout_")
	if err != nil {
		t.Fatalf("PostgreSQL (%s): %v", store.TestPostgresEnv, err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("dropping the test database: %v", err)
		}
	})
	dir := t.TempDir()
	bin := filepath.Join(dir, "lectern")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = fixture.Root()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := filepath.Join(dir, "data") // the shared folder: content, staging, session.key

	// Three instances; the first migrates the fresh database.
	var procs []*instance
	for i := 0; i < 3; i++ {
		p := start(t, bin, dsn, data)
		procs = append(procs, p)
		if i == 0 {
			p.waitReady(t)
		}
	}
	for _, p := range procs {
		p.waitReady(t)
	}

	// The course and the learners' launches are made by a fourth party on
	// the same database and folder (as an admin's import on any instance).
	ctx := context.Background()
	st, err := store.Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	im := &course.Importer{Store: st, ContentDir: filepath.Join(data, "content"), StagingDir: filepath.Join(data, "staging"), Limits: scorm.DefaultLimits()}
	res, err := im.Import(ctx, fixture.ZipDir(t, fixture.Package("scorm12-single")), course.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rt := &runtime.Service{Store: st, ContentDir: im.ContentDir, LaunchTTL: time.Hour, SuspendDataMax: 64000, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	tokens := make([]string, learners)
	for i := range tokens {
		u := &store.User{Email: fmt.Sprintf("learner%d@scaleout.test", i), Name: fmt.Sprintf("Learner %d", i), PasswordHash: "x"}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		c, err := rt.Open(ctx, u, *res.ID)
		if err != nil {
			t.Fatal(err)
		}
		tokens[i] = c.Token
	}

	px := newProxy(procs)
	front := httptest.NewServer(px)
	defer front.Close()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

	// The notifier's holder is killed when half of the learners are done.
	holderPID := func() (string, int) {
		var holder string
		if err := db.QueryRow("SELECT holder FROM leases WHERE name = 'notifier'").Scan(&holder); err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(holder, "/")
		if len(parts) < 3 {
			return holder, 0
		}
		pid, _ := strconv.Atoi(parts[len(parts)-2])
		return holder, pid
	}
	var killedHolder string
	var killOnce sync.Once
	kill := func() {
		killOnce.Do(func() {
			holder, pid := holderPID()
			for _, p := range procs {
				if p.cmd.Process.Pid == pid {
					killedHolder = holder
					p.cmd.Process.Signal(syscall.SIGKILL)
					p.cmd.Wait()
					p.dead.Store(true)
					return
				}
			}
			t.Errorf("the notifier's lease (%q) names none of the instances", holder)
		})
	}

	var finished atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	errs := make(chan error, learners)
	for i := 0; i < learners; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := learn(client, front.URL, tokens[i], i); err != nil {
				errs <- fmt.Errorf("learner %d: %w", i, err)
			}
			if finished.Add(1) == learners/2 {
				kill()
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if killedHolder == "" {
		t.Fatal("no instance was killed")
	}
	if px.skipped.Load() == 0 {
		t.Error("the proxy never met the dead instance: the kill proved nothing")
	}

	// Every record is what one instance gives, and each commit is in the
	// journal once.
	for i := range tokens {
		var r struct {
			State []byte
			Seq   int64
			N, D  int64
		}
		err := db.QueryRow(`SELECT s.state, l.seq,
				(SELECT COUNT(*) FROM commits c WHERE c.launch_id = l.id) AS n,
				(SELECT COUNT(DISTINCT c.seq) FROM commits c WHERE c.launch_id = l.id) AS d
			FROM launches l JOIN sco_states s ON s.attempt_id = l.attempt_id AND s.item_id = l.item_id
			JOIN users u ON u.id = l.user_id WHERE u.email = $1`, fmt.Sprintf("learner%d@scaleout.test", i)).Scan(&r.State, &r.Seq, &r.N, &r.D)
		if err != nil {
			t.Fatal(err)
		}
		var state struct{ Values map[string]string }
		if err := json.Unmarshal(r.State, &state); err != nil {
			t.Fatalf("learner %d: state: %v", i, err)
		}
		if r.Seq != 5 || r.N != 5 || r.D != 5 {
			t.Errorf("learner %d: launch at %d, %d journal rows of %d commits; want 5, 5, 5", i, r.Seq, r.N, r.D)
		}
		for k, want := range expected(i) {
			if got := state.Values[k]; got != want {
				t.Errorf("learner %d: %s = %q, want %q", i, k, got, want)
			}
		}
	}

	// A survivor takes the notifier once the dead one's lease runs out.
	deadline := time.Now().Add(60 * time.Second)
	for {
		holder, pid := holderPID()
		alive := false
		for _, p := range procs {
			alive = alive || (!p.dead.Load() && p.cmd.Process.Pid == pid)
		}
		if holder != killedHolder && alive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the notifier's lease is %q a minute after its holder %q died, want a survivor", holder, killedHolder)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// expected is learner i's record after its commits, as one instance makes it.
func expected(i int) map[string]string {
	want := map[string]string{
		"cmi.core.lesson_location": "p4",
		"cmi.suspend_data":         "d3",
		"cmi.core.score.raw":       strconv.Itoa(50 + i%50),
		"cmi.core.lesson_status":   "completed",
		"cmi.core.session_time":    "00:01:00",
		"cmi.core.total_time":      "",
	}
	if i%10 == 0 { // reloaded after commit 2
		want["cmi.core.session_time"], want["cmi.core.total_time"] = "", "0000:01:00.00"
	}
	return want
}

// learn is one learner's session: start, commits 1 and 2, a replay of 2,
// for some a reload of the window (a new session), 4 sent before 3, for
// some a commit far ahead (refused), then 5.
func learn(c *http.Client, base, token string, i int) error {
	if _, err := send(c, base+"/rt/start", map[string]any{"token": token}); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	commit := func(seq int, kv ...string) (int, error) {
		var ch []map[string]string
		for j := 0; j+1 < len(kv); j += 2 {
			ch = append(ch, map[string]string{"element": kv[j], "value": kv[j+1]})
		}
		return send(c, base+"/rt/commit", map[string]any{"token": token, "seq": seq, "changes": ch})
	}
	ok := func(seq int, kv ...string) error {
		status, err := commit(seq, kv...)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("status %d", status)
		}
		if err != nil {
			return fmt.Errorf("commit %d: %w", seq, err)
		}
		return nil
	}
	if err := ok(1, "cmi.core.lesson_location", "p1", "cmi.core.session_time", "00:01:00"); err != nil {
		return err
	}
	if err := ok(2, "cmi.core.lesson_location", "p2", "cmi.suspend_data", "d2"); err != nil {
		return err
	}
	if err := ok(2, "cmi.core.lesson_location", "p2", "cmi.suspend_data", "d2"); err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if i%10 == 0 {
		// The window reloads (at another instance): a new session of the
		// SCO, whose first session's time goes into the total.
		if status, err := send(c, base+"/rt/start", map[string]any{"token": token}); err != nil || status != http.StatusOK {
			return fmt.Errorf("start again: %d %v", status, err)
		}
	}
	ahead := make(chan error, 1)
	go func() { ahead <- ok(4, "cmi.core.lesson_location", "p4") }()
	time.Sleep(20 * time.Millisecond)
	if err := ok(3, "cmi.suspend_data", "d3", "cmi.core.score.raw", strconv.Itoa(50+i%50)); err != nil {
		return err
	}
	if err := <-ahead; err != nil {
		return fmt.Errorf("ahead of its predecessor: %w", err)
	}
	if i%40 == 0 {
		status, err := commit(9, "cmi.core.lesson_location", "gap")
		if err != nil {
			return err
		}
		if status == http.StatusOK {
			return fmt.Errorf("commit 9 after 4 was accepted, want refused")
		}
	}
	return ok(5, "cmi.core.lesson_status", "completed")
}

// send posts v as JSON and returns the status; what got no answer from an
// instance (the proxy's 502) is sent again, as the player does.
func send(c *http.Client, u string, v any) (int, error) {
	body, _ := json.Marshal(v)
	for try := 0; ; try++ {
		resp, err := c.Post(u, "application/json", bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadGateway || try >= 10 {
			return resp.StatusCode, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// instance is one `lectern serve` process.
type instance struct {
	cmd     *exec.Cmd
	content string // the content origin's address
	dead    atomic.Bool
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

func start(t *testing.T, bin, dsn, data string) *instance {
	t.Helper()
	p := &instance{content: freePort(t)}
	p.cmd = exec.Command(bin, "serve", "--db", dsn, "--data", data, "--addr", freePort(t), "--content-addr", p.content, "--log-level", "error")
	p.cmd.Stderr = os.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !p.dead.Load() {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

func (p *instance) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := http.Get("http://" + p.content + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("an instance did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// proxy sends each request to the next live instance's content origin; an
// instance that fails to answer is marked dead and skipped from then on,
// and the request gets 502.
type proxy struct {
	procs   []*instance
	next    atomic.Int64
	skipped atomic.Int64 // requests that met a dead instance
	rp      *httputil.ReverseProxy
}

type backendKey struct{}

func newProxy(procs []*instance) *proxy {
	px := &proxy{procs: procs}
	px.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			p := r.In.Context().Value(backendKey{}).(*instance)
			r.SetURL(&url.URL{Scheme: "http", Host: p.content})
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			r.Context().Value(backendKey{}).(*instance).dead.Store(true)
			px.skipped.Add(1)
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	return px
}

func (px *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	for range px.procs {
		p := px.procs[int(px.next.Add(1))%len(px.procs)]
		if !p.dead.Load() {
			px.rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), backendKey{}, p)))
			return
		}
	}
	http.Error(w, "no instance", http.StatusBadGateway)
}
