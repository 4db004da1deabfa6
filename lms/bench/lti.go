package bench

// The LTI load generator: the test platform (internal/ltiplatform) in this
// process drives a Lectern server running in another process over loopback,
// as a learning platform full of learners would.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lectern/lectern/internal/ltiplatform"
)

// LTIOptions of an LTI load run against a running Lectern.
type LTIOptions struct {
	Platform     *ltiplatform.Platform
	Tool         *ltiplatform.Tool
	CourseID     uint
	Concurrency  int           // launches in flight at once (phase 1)
	Duration     time.Duration // how long phase 1 runs
	TermLearners int           // learners arriving at the start of term (phase 2)
	TermWindow   time.Duration // over this time
	Scores       int           // scores queued while the platform is down (phase 3)
	Log          io.Writer
}

// LTIReport is what a run measured.
type LTIReport struct {
	Concurrency            int
	Launches, LaunchErrors int
	LaunchRate             float64
	P50, P99               time.Duration
	Term, TermOK           int
	TermP50, TermP99       time.Duration
	TermSpan               time.Duration
	Queued                 int
	Drained                int // learners whose passing result arrived
	DrainTime              time.Duration
	// Duplicates counts the extra posts of a result (a learner and
	// timestamp) that arrived more than once; DuplicatePosts describes
	// each such result (progress, score, timestamp).
	Duplicates, Missing int
	DuplicatePosts      []string
}

func (r LTIReport) String() string {
	return fmt.Sprintf(`launches (OIDC login + id_token verification + session + player) at %d concurrent: %d in total, %.0f/s, p50 %v, p99 %v, errors %d
start of term: %d of %d learners launched within %v (p50 %v, p99 %v)
grade outbox: %d scores queued while the platform was down; %d delivered %v after it came back; %d duplicated, %d missing`,
		r.Concurrency, r.Launches, r.LaunchRate, r.P50.Round(100*time.Microsecond), r.P99.Round(100*time.Microsecond), r.LaunchErrors,
		r.TermOK, r.Term, r.TermSpan.Round(time.Millisecond), r.TermP50.Round(100*time.Microsecond), r.TermP99.Round(100*time.Microsecond),
		r.Queued, r.Drained, r.DrainTime.Round(10*time.Millisecond), r.Duplicates, r.Missing)
}

// playerToken finds the content frame's address in the player page: the
// content origin and the launch token (then, after #, the key the frame
// seals its unsent data with).
var playerToken = regexp.MustCompile(`src="([^"]+)/player/([A-Za-z0-9_-]+)(?:#[^"]*)?"`)

// launchOne runs one learner's launch and returns the player's content URL
// and launch token.
func launchOne(ctx context.Context, o LTIOptions, n int, resource string) (string, string, error) {
	u := ltiplatform.User{ID: fmt.Sprintf("bench-%s-%d", resource, n), Name: fmt.Sprintf("Learner %d", n),
		Email: fmt.Sprintf("learner%d.%s@bench.example", n, resource), Roles: []string{ltiplatform.Learner}}
	l := &ltiplatform.Launch{Tool: o.Tool, User: u, ContextID: "bench", ContextTitle: "Benchmark course", ResourceLink: resource,
		ResourceTitle: "Quiz", AGS: true, LineItem: lineItemOf(o, resource), Custom: map[string]string{"course_id": fmt.Sprint(o.CourseID)}}
	b := ltiplatform.NewBrowser()
	pg, err := o.Platform.Launch(ctx, b, l)
	if err != nil {
		return "", "", err
	}
	m := playerToken.FindStringSubmatch(pg.Body)
	if pg.Status != http.StatusOK || m == nil {
		return "", "", fmt.Errorf("launch: HTTP %d without the player (page %q)", pg.Status, pageTitle(pg.Body))
	}
	return m[1], m[2], nil
}

// lineItems holds the column made for each platform and resource link.
var lineItems sync.Map

func lineItemOf(o LTIOptions, resource string) string {
	// Keyed by platform too: a second run in the same process has a new
	// platform, which knows nothing of the first one's columns.
	key := o.Platform.Issuer + " " + resource
	if v, ok := lineItems.Load(key); ok {
		return v.(string)
	}
	v, _ := lineItems.LoadOrStore(key, o.Platform.AddLineItem("Benchmark "+resource, resource))
	return v.(string)
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(float64(len(ds))*p))]
}

// RunLTI runs the three phases against the Lectern that o.Tool points at.
func RunLTI(ctx context.Context, o LTIOptions) (*LTIReport, error) {
	r := &LTIReport{Concurrency: o.Concurrency}
	say := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}

	// Phase 1: launches per second at o.Concurrency.
	say("phase 1: launches at %d concurrent for %v ...", o.Concurrency, o.Duration)
	var (
		mu   sync.Mutex
		lats []time.Duration
		n    atomic.Int64
		errs atomic.Int64
		wg   sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(o.Duration)
	for w := 0; w < o.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				i := int(n.Add(1))
				t0 := time.Now()
				if _, _, err := launchOne(ctx, o, i, "p1"); err != nil {
					errs.Add(1)
					continue
				}
				d := time.Since(t0)
				mu.Lock()
				lats = append(lats, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	r.Launches, r.LaunchErrors = len(lats), int(errs.Load())
	r.LaunchRate = float64(len(lats)) / elapsed.Seconds()
	r.P50, r.P99 = percentile(lats, .5), percentile(lats, .99)

	// Phase 2: the start of term, TermLearners arriving at random moments
	// within TermWindow.
	say("phase 2: %d learners launching within %v ...", o.TermLearners, o.TermWindow)
	r.Term = o.TermLearners
	var termLats []time.Duration
	var ok atomic.Int64
	start = time.Now()
	for i := 0; i < o.TermLearners; i++ {
		wg.Add(1)
		at := time.Duration(rand.Int64N(int64(o.TermWindow)))
		go func(i int) {
			defer wg.Done()
			select {
			case <-time.After(at):
			case <-ctx.Done():
				return
			}
			t0 := time.Now()
			if _, _, err := launchOne(ctx, o, i, "term"); err != nil {
				say("  learner %d: %v", i, err)
				return
			}
			ok.Add(1)
			mu.Lock()
			termLats = append(termLats, time.Since(t0))
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	r.TermSpan = time.Since(start)
	r.TermOK = int(ok.Load())
	r.TermP50, r.TermP99 = percentile(termLats, .5), percentile(termLats, .99)

	// Phase 3: the platform is down while Scores learners finish the quiz;
	// then it comes back and the outbox drains.
	say("phase 3: %d learners pass while the platform is down ...", o.Scores)
	o.Platform.SetDown(true)
	var queued atomic.Int64
	jobs := make(chan int)
	for w := 0; w < o.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				content, token, err := launchOne(ctx, o, i, "drain")
				if err == nil {
					err = passQuiz(ctx, content, token, i)
				}
				if err != nil {
					say("  learner %d: %v", i, err)
					continue
				}
				queued.Add(1)
			}
		}()
	}
	for i := 0; i < o.Scores && ctx.Err() == nil; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	r.Queued = int(queued.Load())
	say("  %d scores wait; the platform comes back", r.Queued)
	o.Platform.SetDown(false)
	start = time.Now()
	// Each learner's last result (completed) must arrive. A result queued
	// earlier (the launch's start) may arrive before it, and is not a
	// duplicate: an outbox round that picked it while the platform was
	// down can send it just after it comes back, and the passing result
	// follows in the next round. A duplicate is one result (one
	// timestamp) posted twice.
	final := func() map[string]bool {
		got := map[string]bool{}
		for _, s := range o.Platform.Scores() {
			if strings.HasPrefix(s.UserID, "bench-drain-") && s.ActivityProgress == "Completed" {
				got[s.UserID] = true
			}
		}
		return got
	}
	for time.Since(start) < 10*time.Minute && ctx.Err() == nil && len(final()) < r.Queued {
		time.Sleep(20 * time.Millisecond)
	}
	r.DrainTime = time.Since(start)
	// Anything still in flight would show as a duplicate: wait a moment.
	time.Sleep(2 * time.Second)
	got := final()
	posts := map[string]int{}   // a learner's result (its timestamp): how often posted
	what := map[string]string{} // the result, described
	for _, s := range o.Platform.Scores() {
		if !strings.HasPrefix(s.UserID, "bench-drain-") {
			continue
		}
		k := s.UserID + " at " + s.Timestamp
		posts[k]++
		given := "-"
		if s.ScoreGiven != nil {
			given = strconv.FormatFloat(*s.ScoreGiven, 'g', -1, 64)
		}
		what[k] = fmt.Sprintf("%s/%s %s", s.ActivityProgress, s.GradingProgress, given)
	}
	for i := 0; i < r.Queued; i++ {
		if got[fmt.Sprintf("bench-drain-%d", i)] {
			r.Drained++
		} else {
			r.Missing++
		}
	}
	for k, n := range posts {
		if n > 1 {
			r.Duplicates += n - 1
			r.DuplicatePosts = append(r.DuplicatePosts, fmt.Sprintf("%s (%s) posted %d times", k, what[k], n))
		}
	}
	return r, nil
}

// passQuiz starts the SCO and commits a passing score, over the content
// origin's run-time API, as the player frame does.
func passQuiz(ctx context.Context, content, token string, i int) error {
	post := func(path string, body any) error {
		b, _ := json.Marshal(body)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, content+path, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: HTTP %d", path, resp.StatusCode)
		}
		return nil
	}
	if err := post("/rt/start", map[string]string{"token": token}); err != nil {
		return err
	}
	return post("/rt/commit", map[string]any{"token": token, "seq": 1, "terminate": true, "changes": []map[string]string{
		{"element": "cmi.score.scaled", "value": fmt.Sprintf("0.%02d", 50+i%50)},
		{"element": "cmi.success_status", "value": "passed"},
		{"element": "cmi.completion_status", "value": "completed"},
	}})
}

// BenchCourse writes the benchmark's one-SCO SCORM 2004 package.
func BenchCourse(path string) error {
	return writeZip(path, map[string]string{"imsmanifest.xml": manifest, "index.html": "<p>quiz</p>"})
}

// pageTitle is what a page's <title> says, for an error message.
func pageTitle(body string) string {
	_, t, _ := strings.Cut(body, "<title>")
	t, _, _ = strings.Cut(t, "</title>")
	return strings.TrimSpace(t)
}
