// Package bench measures Lectern's hot paths on this machine: the run-time
// commit over real HTTP on loopback against a real SQLite file, and, in the
// same run, a raw SQLite upsert of the same payload with the same
// durability settings for comparison.
package bench

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3" // the driver gorm's SQLite dialect uses

	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/web"
	"github.com/lectern/lectern/scorm"
	"github.com/lectern/lectern/scorm/cmi"
)

// Options of a commit load run.
type Options struct {
	Learners int           // concurrent learners, each with its own attempt
	Duration time.Duration // how long to load
	DataDir  string        // a scratch folder
}

// Report is the outcome of a run.
type Report struct {
	Learners   int
	Commits    int
	Errors     int
	Duration   time.Duration
	PerSecond  float64
	P50, P99   time.Duration
	Raw        RawReport // the raw SQLite floor (Run only), same payload and settings
	PayloadLen int
}

func (r Report) String() string {
	if r.Raw.Upserts == 0 { // against a running server: no raw comparison
		return fmt.Sprintf("learners %d: %d commits in %v = %.0f commits/s, p50 %v, p99 %v, errors %d (payload %d bytes)",
			r.Learners, r.Commits, r.Duration.Round(time.Millisecond), r.PerSecond, r.P50.Round(10*time.Microsecond),
			r.P99.Round(10*time.Microsecond), r.Errors, r.PayloadLen)
	}
	return fmt.Sprintf("learners %d: %d commits in %v = %.0f commits/s, p50 %v, p99 %v, errors %d (payload %d bytes)\n%v; commits/raw %.2f",
		r.Learners, r.Commits, r.Duration.Round(time.Millisecond), r.PerSecond, r.P50.Round(10*time.Microsecond),
		r.P99.Round(10*time.Microsecond), r.Errors, r.PayloadLen, r.Raw, r.PerSecond/r.Raw.PerSecond)
}

// Payload is a typical commit: a score, a status, a location, some
// interactions and 4 KB of suspend data, as a quiz SCO sends it.
func Payload(i int) []cmi.Change {
	ch := []cmi.Change{
		{Element: "cmi.location", Value: fmt.Sprintf("slide-%d", i%40)},
		{Element: "cmi.suspend_data", Value: strings.Repeat(fmt.Sprintf("state%04d;", i%10000), 410)[:4096]},
		{Element: "cmi.progress_measure", Value: fmt.Sprintf("%.2f", float64(i%100)/100)},
		{Element: "cmi.score.scaled", Value: fmt.Sprintf("%.2f", float64(i%100)/100)},
		{Element: "cmi.score.raw", Value: fmt.Sprintf("%d", i%100)},
		{Element: "cmi.completion_status", Value: "incomplete"},
		{Element: "cmi.session_time", Value: fmt.Sprintf("PT%dS", i%3600)},
	}
	for q := 0; q < 4; q++ {
		p := fmt.Sprintf("cmi.interactions.%d.", q)
		ch = append(ch,
			cmi.Change{Element: p + "id", Value: fmt.Sprintf("q%d", q)},
			cmi.Change{Element: p + "type", Value: "choice"},
			cmi.Change{Element: p + "learner_response", Value: "b"},
			cmi.Change{Element: p + "result", Value: "correct"},
		)
	}
	return ch
}

const manifest = `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="bench" version="1" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3">
 <metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
 <organizations default="o"><organization identifier="o"><title>Benchmark course</title>
  <item identifier="i1" identifierref="r1"><title>Quiz</title></item></organization></organizations>
 <resources><resource identifier="r1" type="webcontent" adlcp:scormType="sco" href="index.html">
  <file href="index.html"/></resource></resources>
</manifest>`

// Env is a running Lectern with one course and n learners, for load runs and
// Go benchmarks alike.
type Env struct {
	Store      *store.Store
	Runtime    *runtime.Service
	ContentURL string
	Dir        string // the data folder (NewEnv's dir)
	Users      []*store.User
	Course     uint
	close      func()
}

// Close stops the servers and the store.
func (e *Env) Close() { e.close() }

// NewEnv starts a content origin on loopback over a SQLite file in dir.
func NewEnv(dir string, learners int, templates, static fs.FS) (*Env, error) {
	st, err := store.OpenSQLite(filepath.Join(dir, "lectern.db"))
	if err != nil {
		return nil, err
	}
	contentDir := filepath.Join(dir, "content")
	im := &course.Importer{Store: st, ContentDir: contentDir, StagingDir: filepath.Join(dir, "staging"), Limits: scorm.DefaultLimits()}
	zipPath := filepath.Join(dir, "bench.zip")
	if err := writeZip(zipPath, map[string]string{"imsmanifest.xml": manifest, "index.html": "<p>quiz</p>"}); err != nil {
		return nil, err
	}
	ctx := context.Background()
	res, err := im.Import(ctx, zipPath, course.Options{})
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rt := &runtime.Service{Store: st, ContentDir: contentDir, LaunchTTL: time.Hour, SuspendDataMax: 64000, Log: log}
	cs, err := web.NewContent(web.ContentOptions{LMSOrigin: "http://127.0.0.1:1", ContentDir: contentDir, MaxCommitBytes: 4 << 20,
		Templates: templates, Static: static}, rt, st, log)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: cs, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	e := &Env{Store: st, Runtime: rt, ContentURL: "http://" + ln.Addr().String(), Dir: dir, Course: *res.ID}
	e.close = func() { srv.Close(); st.Close() }
	for i := 0; i < learners; i++ {
		u := &store.User{Email: fmt.Sprintf("learner%d@bench.test", i), Name: fmt.Sprintf("Learner %d", i), PasswordHash: "x"}
		if err := st.CreateUser(ctx, u); err != nil {
			e.Close()
			return nil, err
		}
		e.Users = append(e.Users, u)
	}
	return e, nil
}

// Learner is one simulated learner with a started launch.
type Learner struct {
	client *http.Client
	url    string
	token  string
	seq    int64
}

// LaunchAll launches the first n users, sharing one HTTP client.
func (e *Env) LaunchAll(n int) ([]*Learner, error) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n * 2}}
	learners := make([]*Learner, n)
	for i := range learners {
		var err error
		if learners[i], err = e.Launch(i, client); err != nil {
			return nil, err
		}
	}
	return learners, nil
}

// Launch opens the course for user i and starts the SCO over HTTP.
func (e *Env) Launch(i int, client *http.Client) (*Learner, error) {
	c, err := e.Runtime.Open(context.Background(), e.Users[i], e.Course)
	if err != nil {
		return nil, err
	}
	l := &Learner{client: client, url: e.ContentURL, token: c.Token}
	body, _ := json.Marshal(map[string]string{"token": c.Token})
	resp, err := client.Post(l.url+"/rt/start", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("start: %s", resp.Status)
	}
	return l, nil
}

// Commit sends the next commit with payload changes.
func (l *Learner) Commit(changes []cmi.Change) error {
	raw, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	return l.CommitJSON(raw)
}

// CommitJSON sends the next commit with changes already encoded as a JSON
// array, so that a load generator spends its CPU on sending, not encoding.
func (l *Learner) CommitJSON(changes []byte) error {
	l.seq++
	body := make([]byte, 0, len(changes)+128)
	body = fmt.Appendf(body, `{"token":%q,"seq":%d,"changes":`, l.token, l.seq)
	body = append(body, changes...)
	body = append(body, '}')
	resp, err := l.client.Post(l.url+"/rt/commit", "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("commit %d: %s %s", l.seq, resp.Status, msg)
	}
	return nil
}

// Run loads the commit endpoint with opt.Learners concurrent learners for
// opt.Duration, then measures the raw SQLite rate.
func Run(ctx context.Context, opt Options, templates, static fs.FS) (Report, error) {
	e, err := NewEnv(opt.DataDir, opt.Learners, templates, static)
	if err != nil {
		return Report{}, err
	}
	defer e.Close()
	learners, err := e.LaunchAll(opt.Learners)
	if err != nil {
		return Report{}, err
	}
	r, err := load(ctx, learners, opt.Duration)
	if err != nil {
		return r, err
	}
	r.Raw, err = RawUpserts(ctx, filepath.Join(opt.DataDir, "raw.db"), RawPayload(), min(opt.Duration, 5*time.Second), opt.Learners)
	return r, err
}

// Target is a running Lectern that a load generator in another process
// drives: its content origin (or a proxy in front of several instances),
// and its database and data folder, where the generator puts the bench
// course and its learners and opens their launches before it loads.
type Target struct {
	ContentURL string // e.g. http://127.0.0.1:8081
	DB         string // the server's --db: a postgres:// URL or an SQLite file
	DataDir    string // the server's --data: the course goes into its content folder
}

// RunAgainst loads a running Lectern (see Target) with opt.Learners
// concurrent learners for opt.Duration. The generator shares no process
// with the server, so its figures are the server's, not the server's
// minus the generator's share of the processors. New learners are made
// for each run (their emails carry the time); nothing is removed after.
func RunAgainst(ctx context.Context, t Target, opt Options) (Report, error) {
	st, err := store.Open(t.DB)
	if err != nil {
		return Report{}, err
	}
	defer st.Close()
	contentDir := filepath.Join(t.DataDir, "content")
	im := &course.Importer{Store: st, ContentDir: contentDir, StagingDir: filepath.Join(t.DataDir, "staging"), Limits: scorm.DefaultLimits()}
	zipDir, err := os.MkdirTemp("", "lectern-bench-")
	if err != nil {
		return Report{}, err
	}
	defer os.RemoveAll(zipDir)
	zipPath := filepath.Join(zipDir, "bench.zip")
	if err := writeZip(zipPath, map[string]string{"imsmanifest.xml": manifest, "index.html": "<p>quiz</p>"}); err != nil {
		return Report{}, err
	}
	res, err := im.Import(ctx, zipPath, course.Options{})
	if err != nil {
		return Report{}, err
	}
	rt := &runtime.Service{Store: st, ContentDir: contentDir, LaunchTTL: time.Hour, SuspendDataMax: 64000,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e := &Env{Store: st, Runtime: rt, ContentURL: strings.TrimRight(t.ContentURL, "/"), Course: *res.ID}
	run := time.Now().UnixNano()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: opt.Learners * 2}}
	learners := make([]*Learner, opt.Learners)
	for i := range learners {
		u := &store.User{Email: fmt.Sprintf("learner%d-%d@bench.test", i, run), Name: fmt.Sprintf("Learner %d", i), PasswordHash: "x"}
		if err := st.CreateUser(ctx, u); err != nil {
			return Report{}, err
		}
		e.Users = append(e.Users, u)
		if learners[i], err = e.Launch(i, client); err != nil {
			return Report{}, fmt.Errorf("bench: launching at %s: %w", e.ContentURL, err)
		}
	}
	return load(ctx, learners, opt.Duration)
}

// load has every learner commit back to back for d and measures.
func load(ctx context.Context, learners []*Learner, d time.Duration) (Report, error) {
	var (
		mu        sync.Mutex
		latencies []time.Duration
		errs      atomic.Int64
		wg        sync.WaitGroup
		err       error
	)
	// A hundred distinct commits, encoded once.
	payloads := make([][]byte, 100)
	for i := range payloads {
		if payloads[i], err = json.Marshal(Payload(i)); err != nil {
			return Report{}, err
		}
	}
	deadline := time.Now().Add(d)
	start := time.Now()
	for _, l := range learners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for i := 0; time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				t0 := time.Now()
				if err := l.CommitJSON(payloads[i%len(payloads)]); err != nil {
					errs.Add(1)
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			latencies = append(latencies, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := Report{Learners: len(learners), Commits: len(latencies), Errors: int(errs.Load()), Duration: elapsed}
	r.PerSecond = float64(r.Commits) / elapsed.Seconds()
	slices.Sort(latencies)
	if n := len(latencies); n > 0 {
		r.P50, r.P99 = latencies[n/2], latencies[n*99/100]
	}
	payload, _ := json.Marshal(Payload(1))
	r.PayloadLen = len(payload)
	return r, nil
}

// RawPayload is what the raw upsert stores: a commit's request body (see
// Payload), about the size of the state a commit stores.
func RawPayload() []byte {
	b, _ := json.Marshal(Payload(1))
	return b
}

// RawReport is the floor a commit is measured against: a raw SQLite upsert
// of one row per durable transaction.
type RawReport struct {
	Workers   int
	Upserts   int
	PerSecond float64
	P50, P99  time.Duration
}

func (r RawReport) String() string {
	return fmt.Sprintf("raw SQLite upsert (one row per transaction, WAL, synchronous=FULL, one connection), %d writers: %d upserts = %.0f/s, p50 %v, p99 %v",
		r.Workers, r.Upserts, r.PerSecond, r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond))
}

// RawUpserts measures a raw SQLite upsert of one row per transaction, with
// Lectern's durability settings, from `workers` goroutines on one
// connection, each upserting its own row. Every upsert stores different
// bytes, as a commit does: SQLite writes nothing for a row updated to the
// bytes it already holds, so the same payload each time would measure
// empty transactions. The last 8 bytes of the payload (at least 8 long)
// count the worker's upserts.
func RawUpserts(ctx context.Context, path string, payload []byte, d time.Duration, workers int) (RawReport, error) {
	if len(payload) < 8 {
		return RawReport{}, errors.New("bench: the raw payload must be at least 8 bytes")
	}
	q := url.Values{}
	for k, v := range map[string]string{"_journal_mode": "WAL", "_synchronous": "FULL", "_busy_timeout": "10000", "_txlock": "immediate"} {
		q.Set(k, v)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return RawReport{}, err
	}
	defer db.Close()
	// One connection, as Lectern's writer has: the writers queue for it in
	// Go instead of polling SQLite's lock, which starves some of them past
	// any busy timeout in a long run ("database is locked").
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS state (id INTEGER PRIMARY KEY, body BLOB NOT NULL)`); err != nil {
		return RawReport{}, err
	}
	var (
		mu        sync.Mutex
		latencies []time.Duration
		wg        sync.WaitGroup
		firstErr  atomic.Value
	)
	deadline := time.Now().Add(d)
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := slices.Clone(payload)
			var mine []time.Duration
			defer func() {
				mu.Lock()
				latencies = append(latencies, mine...)
				mu.Unlock()
			}()
			for i := uint64(1); time.Now().Before(deadline) && ctx.Err() == nil; i++ {
				binary.BigEndian.PutUint64(body[len(body)-8:], i)
				t0 := time.Now()
				tx, err := db.Begin()
				if err == nil {
					_, err = tx.Exec(`INSERT INTO state (id, body) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body`, w, body)
					if err == nil {
						err = tx.Commit()
					} else {
						tx.Rollback()
					}
				}
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return RawReport{}, err
	}
	r := RawReport{Workers: workers, Upserts: len(latencies), PerSecond: float64(len(latencies)) / time.Since(start).Seconds()}
	slices.Sort(latencies)
	if n := len(latencies); n > 0 {
		r.P50, r.P99 = latencies[n/2], latencies[n*99/100]
	}
	return r, nil
}

func writeZip(path string, files map[string]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(w, body); err != nil {
			return err
		}
	}
	return zw.Close()
}
