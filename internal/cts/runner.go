package cts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Verdict of one test case.
type Verdict string

const (
	Pass   Verdict = "pass"
	Fail   Verdict = "fail"
	NotRun Verdict = "not run"
)

// Result is the outcome of one test case.
type Result struct {
	ID        string    `json:"id"`
	Packages  []string  `json:"packages"`
	Verdict   Verdict   `json:"verdict"`
	Reason    string    `json:"reason,omitempty"` // the first failure, in one line
	Visits    int       `json:"visits"`
	Reached   int       `json:"reached"` // visits the LMS launched as expected
	Commands  int       `json:"commands"`
	Failed    int       `json:"commandsFailed"`
	Failures  []Failure `json:"failures,omitempty"`
	Seconds   float64   `json:"seconds"`
	Trace     []string  `json:"trace,omitempty"` // the last runner and driver events
	Diagnosis string    `json:"diagnosis,omitempty"`
}

// Failure is one failed check.
type Failure struct {
	Visit   int    `json:"visit"` // 1-based
	Key     string `json:"key,omitempty"`
	Act     string `json:"act,omitempty"`
	Line    int    `json:"line,omitempty"` // in the test case file
	Call    string `json:"call,omitempty"`
	Want    string `json:"want,omitempty"`
	WantErr string `json:"wantErr,omitempty"`
	Got     string `json:"got,omitempty"`
	GotErr  string `json:"gotErr,omitempty"`
	Why     string `json:"why"`
}

func (f Failure) String() string {
	var b strings.Builder
	if f.Visit > 0 {
		fmt.Fprintf(&b, "visit %d (%s, activity %s): ", f.Visit, f.Key, f.Act)
	}
	if f.Line > 0 {
		fmt.Fprintf(&b, "line %d ", f.Line)
	}
	if f.Call != "" {
		b.WriteString(f.Call + ": ")
	}
	b.WriteString(f.Why)
	return b.String()
}

// Options tune a run.
type Options struct {
	// Idle is the longest wait for the next thing to happen (a launch, the
	// end of a visit, the end of the session). Default 30s.
	Idle time.Duration
	// Timeout bounds one test case. Default: 60s + 3s per visit + 5ms per command.
	Timeout time.Duration
	// Logf receives progress lines.
	Logf func(format string, args ...any)
}

// Runner plays the tester for test cases, one at a time.
type Runner struct {
	Suite   *Suite
	LMS     *Lectern
	Browser context.Context // a chromedp context whose browser runs already
	Options
}

const binding = "__ctsEvent"

// playerPath is the player page; the session has ended when the top page
// is anything else (the course's result page, the learner's home).
var playerPath = regexp.MustCompile(`^/courses/[0-9]+(/start|/play)?$`)

// event is a message from driver.js, or one the runner makes from CDP events
// (t = "main": the top page navigated; t = "dialog").
type event struct {
	T                  string    `json:"t"`
	Pos                int       `json:"pos"`
	OK                 bool      `json:"ok"`
	TC                 string    `json:"tc"`
	Act                string    `json:"act"`
	Want               string    `json:"want"`
	Why                string    `json:"why"`
	Msg                string    `json:"msg"`
	URL                string    `json:"url"`
	Answers            string    `json:"answers"`
	NavRequest         string    `json:"navRequest"`
	Count              int       `json:"count"`
	Failed             int       `json:"failed"`
	Failures           []cmdFail `json:"failures"`
	TerminatesOnUnload bool      `json:"terminatesOnUnload"`
	Finished           bool      `json:"finished"`
	Launch             bool      `json:"launch"`
	UI                 bool      `json:"ui"`
	Results            bool      `json:"results"`
	Type               int       `json:"type"`
	Result             string    `json:"result"`
}

type cmdFail struct {
	I       int    `json:"i"`
	Line    int    `json:"line"`
	Call    string `json:"call"`
	Want    string `json:"want"`
	WantErr string `json:"wantErr"`
	Got     string `json:"got"`
	GotErr  string `json:"gotErr"`
	Why     string `json:"why"`
}

func (e *event) String() string {
	switch e.T {
	case "main":
		return "page " + e.URL
	case "evalID":
		if e.OK {
			return fmt.Sprintf("launched visit %d (activity %s)", e.Pos+1, e.Act)
		}
		return "launch check failed: " + e.Why
	case "pre-start":
		return fmt.Sprintf("LMS started activity %s before the one to choose (%s)", e.Act, e.Want)
	case "commands":
		return fmt.Sprintf("visit %d: %d commands, %d failed", e.Pos+1, e.Count, e.Failed)
	case "visit-end":
		return fmt.Sprintf("visit %d ended (nav request %q)", e.Pos+1, e.NavRequest)
	case "terminate":
		return fmt.Sprintf("visit %d: Terminate returned %s", e.Pos+1, e.Result)
	case "completed":
		return fmt.Sprintf("completed() finished=%v", e.Finished)
	case "ui-answers":
		return fmt.Sprintf("visit %d: UI answers %s, want %s", e.Pos+1, e.Answers, e.Want)
	case "alert", "confirm", "dialog", "exception":
		return e.T + ": " + e.Msg
	case "log":
		return fmt.Sprintf("SCO log (%d): %s", e.Type, e.Msg)
	}
	return e.T
}

// queue holds the events in arrival order; unread puts one back in front.
type queue struct {
	mu     sync.Mutex
	items  []*event
	back   []*event
	signal chan struct{}
}

var errIdle = errors.New("nothing happened")

func (q *queue) push(e *event) {
	q.mu.Lock()
	q.items = append(q.items, e)
	q.mu.Unlock()
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

func (q *queue) unread(e *event) {
	q.mu.Lock()
	q.back = append(q.back, e)
	q.mu.Unlock()
}

func (q *queue) pop(ctx context.Context, idle time.Duration) (*event, error) {
	timer := time.NewTimer(idle)
	defer timer.Stop()
	for {
		q.mu.Lock()
		var e *event
		if n := len(q.back); n > 0 {
			e, q.back = q.back[n-1], q.back[:n-1]
		} else if len(q.items) > 0 {
			e, q.items = q.items[0], q.items[1:]
		}
		q.mu.Unlock()
		if e != nil {
			return e, nil
		}
		select {
		case <-q.signal:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
			return nil, errIdle
		}
	}
}

func (r *Runner) idle() time.Duration {
	if r.Idle > 0 {
		return r.Idle
	}
	return 30 * time.Second
}

// Run executes one test case as the learner, in a fresh browser context of
// the runner's browser, and returns its verdict.
func (r *Runner) Run(ctx context.Context, tc *TestCase, who *Learner) *Result {
	started := time.Now()
	res := &Result{ID: tc.ID, Packages: tc.Packages, Visits: len(tc.Visits), Commands: tc.Commands()}
	defer func() { res.Seconds = time.Since(started).Seconds() }()
	s := &session{r: r, tc: tc, who: who, res: res, courses: map[string]*Course{}}
	for _, p := range tc.Packages {
		c, err := r.LMS.Import(ctx, r.Suite, p)
		if err != nil {
			res.Verdict, res.Reason = Fail, err.Error()
			return res
		}
		s.courses[p] = c
	}
	timeout := r.Timeout
	if timeout == 0 {
		timeout = 60*time.Second + time.Duration(len(tc.Visits))*3*time.Second + time.Duration(tc.Commands())*5*time.Millisecond
	}
	tab, cancelTab := chromedp.NewContext(r.Browser, chromedp.WithNewBrowserContext())
	defer cancelTab()
	s.tab = tab
	var cancel context.CancelFunc
	s.ctx, cancel = context.WithTimeout(tab, timeout)
	defer cancel()
	context.AfterFunc(ctx, cancel)

	err := s.setup()
	if err == nil {
		err = s.run()
	}
	if err != nil {
		res.Verdict = Fail
		res.Reason = err.Error()
		res.Diagnosis = s.diagnose()
	} else if len(res.Failures) > 0 {
		res.Verdict, res.Reason = Fail, res.Failures[0].String()
	} else {
		res.Verdict = Pass
	}
	if res.Verdict == Fail && res.Reason == "" {
		res.Reason = "failed"
	}
	return res
}

// session is one test case in one tab.
type session struct {
	r        *Runner
	tc       *TestCase
	who      *Learner
	res      *Result
	courses  map[string]*Course
	tab      context.Context // the tab, without the deadline (for diagnostics)
	ctx      context.Context // the tab with the test case's deadline
	q        *queue
	course   *Course // the package opened last
	opened   bool    // signed in already
	active   bool    // the top page is a player page
	pos      int     // the visit in progress, or the next one
	grace    string  // the title to choose if the LMS starts another activity first
	chose    bool
	finished *event // completed() after the last visit
	nav      string // the navigation request the current visit's SCO set
	unloaded bool   // the SCO of the previous visit reported completed()
	topNav   bool   // the top page navigated since the previous visit
	runID    string // the driver's localStorage key is "cts:" + runID
	content  string // the content origin, from the first launch
}

// idleError is a wait that saw nothing happen.
type idleError struct{ error }

func (e *idleError) Unwrap() error { return errIdle }

func (s *session) trace(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	s.res.Trace = append(s.res.Trace, line)
	if n := len(s.res.Trace); n > 60 {
		s.res.Trace = s.res.Trace[n-60:]
	}
}

// fail is an error that ends the test case, with the visit it happened in.
func (s *session) fail(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if s.pos < len(s.tc.Visits) {
		v := s.tc.Visits[s.pos]
		return fmt.Errorf("visit %d (%s, activity %s): %s", s.pos+1, v.Key, v.Act, msg)
	}
	return errors.New(msg)
}

func (s *session) record(f Failure) {
	if f.Visit == 0 && s.pos < len(s.tc.Visits) {
		v := s.tc.Visits[s.pos]
		f.Visit, f.Key, f.Act = s.pos+1, v.Key, v.Act
	}
	if len(s.res.Failures) < 500 {
		s.res.Failures = append(s.res.Failures, f)
	}
}

func (s *session) setup() error {
	s.q = &queue{signal: make(chan struct{}, 1)}
	s.runID = fmt.Sprintf("%s-%d", s.tc.ID, time.Now().UnixNano())
	script, err := DriverScript(s.tc, s.runID, s.who.ID)
	if err != nil {
		return err
	}
	if err := chromedp.Do(s.tab); err != nil { // opens the tab
		return fmt.Errorf("open a tab: %w", err)
	}
	tab := s.tab
	err = chromedp.Listen(tab, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventBindingCalled:
			if e.Name != binding {
				return
			}
			x := &event{}
			if err := json.Unmarshal([]byte(e.Payload), x); err != nil {
				x = &event{T: "bad", Msg: err.Error()}
			}
			s.q.push(x)
		case *page.EventFrameNavigated:
			if e.Frame != nil && e.Frame.ParentID == "" {
				s.q.push(&event{T: "main", URL: e.Frame.URL})
			}
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				msg = d.Exception.Description
			}
			s.q.push(&event{T: "exception", Msg: fmt.Sprintf("%s (%s:%d)", msg, d.URL, d.LineNumber+1)})
		case *page.EventJavascriptDialogOpening:
			s.q.push(&event{T: "dialog", Msg: e.Message})
			go chromedp.Call(tab, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	})
	if err != nil {
		return err
	}
	if _, err := chromedp.Call(s.ctx, runtime.AddBinding, runtime.AddBindingParams{Name: binding}); err != nil {
		return fmt.Errorf("add binding: %w", err)
	}
	if _, err := chromedp.Call(s.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
		return fmt.Errorf("inject the driver: %w", err)
	}
	return nil
}

// next waits for the next event the flow cares about, handling the others.
func (s *session) next(idle time.Duration, what string, args ...any) (*event, error) {
	for {
		e, err := s.q.pop(s.ctx, idle)
		if err != nil {
			w := fmt.Sprintf(what, args...)
			if errors.Is(err, errIdle) {
				return nil, &idleError{s.fail("nothing happened for %s while waiting for %s", idle, w)}
			}
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, s.fail("the test case timed out while waiting for %s", w)
			}
			return nil, s.fail("stopped while waiting for %s: %v", w, err)
		}
		s.trace("%s", e)
		switch e.T {
		case "main":
			s.topNav = true
			u, _ := url.Parse(e.URL)
			was := s.active
			s.active = u != nil && playerPath.MatchString(u.Path)
			if was == s.active {
				continue
			}
		case "alert", "dialog":
			if strings.Contains(e.Msg, "wrong LMS Test Content Package") || strings.Contains(e.Msg, "API") {
				s.record(Failure{Why: "the SCO said: " + e.Msg})
			}
			continue
		case "confirm", "exception":
			continue
		case "log":
			if e.Type == 3 || e.Type == 4 {
				s.record(Failure{Why: "the SCO logged FAILED: " + e.Msg})
			}
			continue
		case "failed":
			s.record(Failure{Why: "the SCO reported failed()"})
			continue
		case "terminate-test":
			return nil, s.fail("the SCO stopped the test (terminateTest): see the SCO log above")
		case "completed":
			s.unloaded = true
			if e.Finished {
				s.finished = e
			}
		case "ui-answers":
			if !e.OK {
				s.record(Failure{Why: fmt.Sprintf("UI answers %s, want %s", e.Answers, e.Want)})
			}
			continue
		case "bad":
			return nil, s.fail("bad event from the driver: %s", e.Msg)
		}
		return e, nil
	}
}

func (s *session) run() error {
	if err := s.launch(s.tc.Packages[0]); err != nil {
		return err
	}
	if st := s.tc.Start(); st != "." && s.tc.ID != "DDM" {
		s.grace = st
	}
	for s.pos < len(s.tc.Visits) {
		v := s.tc.Visits[s.pos]
		e, err := s.next(s.r.idle(), "the LMS to launch visit %d (activity %s)", s.pos+1, v.Act)
		if err != nil {
			return err
		}
		switch e.T {
		case "pre-start":
			if s.grace == "" || s.chose {
				return s.fail("the LMS launched activity %s; want activity %s (after choosing %q)", e.Act, e.Want, s.grace)
			}
			s.chose = true
			if err := s.choose(s.grace); err != nil {
				return err
			}
		case "evalID":
			if !e.OK {
				return s.fail("%s", e.Why)
			}
			if e.Pos != s.pos {
				return s.fail("the driver is at visit %d", e.Pos+1)
			}
			// Within a session one SCO replaces the other in the frame, and
			// its onunload must run (FORMAT.md §3.4). A top-level navigation
			// may drop the report, so only in-session changes are checked.
			if s.pos > 0 && !s.unloaded && !s.topNav {
				s.record(Failure{Why: fmt.Sprintf("the SCO of visit %d was replaced without its onunload handler running (no completed())", s.pos)})
			}
			s.unloaded, s.topNav = false, false
			s.grace, s.chose = "", false
			s.res.Reached = s.pos + 1
			if u, err := url.Parse(e.URL); err == nil && s.content == "" {
				s.content = u.Scheme + "://" + u.Host
			}
			if err := s.visit(); err != nil {
				return err
			}
		case "main":
			if !s.active {
				return s.fail("the session ended (the LMS went to %s) before this visit was launched", e.URL)
			}
		}
	}
	if err := s.waitFinished(); err != nil {
		return err
	}
	if f := s.finished; !f.Launch || !f.UI || !f.Results {
		if len(s.res.Failures) == 0 {
			return s.fail("the driver's flags: launch %v, UI %v, results %v", f.Launch, f.UI, f.Results)
		}
	}
	return nil
}

// waitFinished waits for the completed() of the last visit's SCO. Its
// report can be lost: Chromium runs the unload handlers of the frames when
// the top page navigates away (the player going to "/" at the end of a
// session), but drops binding calls made then. The driver also stores the
// verdict in the content origin's localStorage, which is read from outside.
func (s *session) waitFinished() error {
	end := time.Now().Add(s.r.idle())
	checked := false
	for s.finished == nil {
		e, err := s.next(time.Second, "the last SCO to unload (completed())")
		if errors.Is(err, errIdle) {
			// Look once the session is over, and once more at the end.
			last := time.Now().After(end)
			if (!s.active && !checked) || last {
				checked = true
				if st := s.stored(); st != nil && st.Done {
					s.trace("completed() read from the driver's storage")
					s.finished = &event{T: "completed", Finished: true, Launch: st.Launch, UI: st.UI, Results: st.Results}
					return nil
				}
			}
			if last {
				return s.fail("the last SCO was never unloaded: no completed() within %s", s.r.idle())
			}
			continue
		}
		if err != nil {
			return err
		}
		if e.T == "evalID" || e.T == "pre-start" {
			return s.fail("after the last visit the LMS launched activity %s", e.Act)
		}
	}
	return nil
}

// storedState is the driver's state in localStorage (see driver.js load()).
type storedState struct {
	Pos     int  `json:"pos"`
	Launch  bool `json:"launch"`
	UI      bool `json:"ui"`
	Results bool `json:"results"`
	Done    bool `json:"done"`
}

// stored reads the driver's state in a second tab of the same browser
// context opened on the content origin (DOMStorage needs a frame of that
// origin, and the session's frames may be gone); nil when there is none.
func (s *session) stored() *storedState {
	if s.content == "" {
		return nil
	}
	helper, cancel := chromedp.NewContext(s.tab)
	defer cancel()
	ctx, cancelT := context.WithTimeout(helper, 10*time.Second)
	defer cancelT()
	key, _ := json.Marshal("cts:" + s.runID)
	if err := chromedp.Do(ctx, chromedp.Navigate(s.content+"/cts-storage")); err != nil {
		s.trace("read the driver's storage: %v", err)
		return nil
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`localStorage.getItem(`+string(key)+`) || ""`))
	if err != nil || v == "" {
		s.trace("read the driver's storage: %q %v", v, err)
		return nil
	}
	st := &storedState{}
	if json.Unmarshal([]byte(v), st) != nil {
		return nil
	}
	return st
}

// visit follows one visit from its launch to the tester's action.
func (s *session) visit() error {
	v := s.tc.Visits[s.pos]
	var end *event
	terminated := false
	for end == nil {
		e, err := s.next(s.r.idle(), "the SCO of visit %d to finish", s.pos+1)
		if err != nil {
			return err
		}
		switch e.T {
		case "ui-questions":
			if err := s.answer(v); err != nil {
				return err
			}
		case "commands":
			s.res.Failed += e.Failed
			for _, f := range e.Failures {
				s.record(Failure{Line: f.Line, Call: f.Call, Want: f.Want, WantErr: f.WantErr, Got: f.Got, GotErr: f.GotErr, Why: f.Why})
			}
			if e.Failed > len(e.Failures) {
				s.record(Failure{Why: fmt.Sprintf("%d more commands failed", e.Failed-len(e.Failures))})
			}
		case "terminate":
			terminated = true
		case "visit-end":
			end = e
		case "evalID", "pre-start":
			return s.fail("the LMS launched activity %s while the SCO of this visit was still running", e.Act)
		case "main":
			if !s.active {
				return s.fail("the session ended during the visit")
			}
		}
	}
	s.nav = end.NavRequest
	steps, err := Plan(v.CUI)
	if err != nil {
		return err
	}
	// The tester acts after the SCO terminated: the page calls Terminate
	// right after showing the instructions (or, for some CM-09 pages, when
	// it is unloaded — then the action is what unloads it).
	if len(v.Commands) > 0 && !end.TerminatesOnUnload && !terminated {
		for !terminated {
			e, err := s.next(5*time.Second, "the SCO of visit %d to call Terminate", s.pos+1)
			if err != nil {
				s.trace("no Terminate seen: %v", err)
				break
			}
			switch e.T {
			case "terminate":
				terminated = true
			case "evalID", "pre-start", "main":
				s.q.unread(e)
				terminated = true
			}
		}
	}
	s.pos++
	for _, st := range steps {
		s.trace("tester: %s", st)
		if err := s.step(st); err != nil {
			return err
		}
	}
	return nil
}

func (s *session) step(st Step) error {
	switch st.Kind {
	case Settle:
		if s.nav == "" || s.nav == "_none_" {
			return nil
		}
		for {
			e, err := s.next(s.r.idle(), "the LMS to act on the SCO's navigation request %q", s.nav)
			if err != nil {
				return err
			}
			switch e.T {
			case "evalID", "pre-start":
				s.q.unread(e)
				return nil
			case "main":
				if !s.active {
					return nil
				}
			case "completed":
				// abandon takes the SCO away and leaves the session active
				// with nothing delivered (SX-04b).
				if s.nav == "abandon" {
					return nil
				}
			}
		}
	case ExitIfActive:
		if !s.active {
			return nil
		}
		fallthrough
	case Exit:
		if err := s.exit(); err != nil {
			return err
		}
		// After the last visit the verdict is final (FORMAT.md §1, step 7):
		// whatever the LMS launched since does not count.
		return s.ended("the session to end after Exit All", s.pos < len(s.tc.Visits))
	case Ended:
		return s.ended("the LMS to end the session by itself", true)
	case Nav:
		return s.click(st.Arg)
	case Choose:
		return s.choose(st.Arg)
	case Launch:
		if err := s.launch(st.Arg); err != nil {
			return err
		}
		if st.Then != "" {
			s.grace, s.chose = st.Then, false
		}
		return nil
	}
	return fmt.Errorf("unknown step %s", st.Kind)
}

// ended waits until the top page leaves the player: the session is over.
// With strict, a launch before that is a failure.
func (s *session) ended(what string, strict bool) error {
	for s.active {
		e, err := s.next(s.r.idle(), "%s", what)
		if err != nil {
			return err
		}
		if strict && (e.T == "evalID" || e.T == "pre-start") {
			return s.fail("the session did not end: the LMS launched activity %s", e.Act)
		}
	}
	return nil
}

// launch opens a package as the learner, enrolled in it first: the first
// time with a sign-in link, later by going to the course page.
func (s *session) launch(pkg string) error {
	c := s.courses[pkg]
	if c == nil {
		return s.fail("package %s is not part of this test case", pkg)
	}
	s.course = c
	if err := s.r.LMS.Enrol(s.ctx, s.who, c.ID); err != nil {
		return err
	}
	target := fmt.Sprintf("%s/courses/%d", s.r.LMS.URL, c.ID)
	if !s.opened {
		link, err := s.r.LMS.Link(s.ctx, s.who, c.ID)
		if err != nil {
			return err
		}
		target, s.opened = link, true
	}
	s.trace("tester: open %s", pkg)
	s.active = true
	// Page.navigate returns once the navigation starts; what follows comes as events.
	res, err := chromedp.Call(s.ctx, page.Navigate, page.NavigateParams{URL: target})
	if err != nil {
		return s.fail("open %s: %v", pkg, err)
	}
	if res.ErrorText != "" {
		return s.fail("open %s: %s", pkg, res.ErrorText)
	}
	return s.startAgainIfFinished(c)
}

// startAgainIfFinished: a course whose attempt is finished opens a page
// that offers to review it or start again; relaunching a package is
// starting again, as a tester would choose there.
func (s *session) startAgainIfFinished(c *Course) error {
	sel, _ := json.Marshal(fmt.Sprintf(`form[action="/courses/%d/start"]`, c.ID))
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		got, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`(() => {
  if (document.readyState !== "complete") return "wait";
  if (document.querySelector("form[data-auto-launch]")) return "wait"; // the course page POSTs the launch
  if (document.getElementById("player")) return "player";
  if (document.querySelector("form[data-auto-launch]")) return "wait"; // the course page, posting itself to open the course
  const f = document.querySelector(`+string(sel)+`);
  if (f) { f.submit(); return "started"; }
  return "other";
})()`))
		if err == nil && got != "wait" {
			if got == "started" {
				s.trace("tester: the attempt was finished; start again")
			}
			return nil
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-s.ctx.Done():
			return s.fail("stopped while opening %s", c.Package)
		}
	}
	return nil
}

// uiState is what the player page shows: the navigation controls and the outline.
type uiState struct {
	Continue control  `json:"continue"`
	Previous control  `json:"previous"`
	TOC      bool     `json:"toc"`
	Items    []uiItem `json:"items"`
	Status   string   `json:"status"`
	Current  string   `json:"current"`
}

type control struct {
	Present bool `json:"present"`
	Visible bool `json:"visible"`
	Enabled bool `json:"enabled"`
}

type uiItem struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Visible bool   `json:"visible"`
	Enabled bool   `json:"enabled"`
}

// uiStateJS waits until the page has loaded and rendered once: the SCO asks
// its questions from its onload, which can come before the player's first
// layout (controls without boxes would read as hidden).
const uiStateJS = `(async () => {
  for (let i = 0; i < 150 && document.readyState !== "complete"; i++) await new Promise((r) => setTimeout(r, 20));
  await Promise.race([new Promise((r) => requestAnimationFrame(() => r())), new Promise((r) => setTimeout(r, 200))]);
  const vis = (el) => !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const ctl = (k) => { const b = document.querySelector('[data-nav="' + k + '"]'); return { present: !!b, visible: vis(b), enabled: vis(b) && !b.disabled }; };
  const items = [...document.querySelectorAll("[data-nav-choice]")].map((b) => ({ id: b.dataset.navChoice, title: b.textContent.trim(), visible: vis(b), enabled: vis(b) && !b.disabled }));
  const status = document.getElementById("player-status");
  const player = document.getElementById("player");
  return { continue: ctl("continue"), previous: ctl("previous"), toc: vis(document.querySelector(".outline")), items,
    status: status ? status.textContent : "", current: player ? player.dataset.current || "" : "" };
})()`

func awaitPromise(p *runtime.EvaluateParams) { p.AwaitPromise = new(true) }

func (s *session) ui() (*uiState, error) {
	st, err := chromedp.Run(s.ctx, chromedp.Evaluate[uiState](uiStateJS, awaitPromise))
	if err != nil {
		return nil, s.fail("read the player page: %v", err)
	}
	return &st, nil
}

// item finds the outline entry for a title, or the root.
func (st *uiState) item(c *Course, title string) *uiItem {
	id := ""
	if title == Root || strings.HasPrefix(title, rootWording) {
		id = c.Root
	} else if it := c.ByTitle(title); it != nil {
		id = it.Identifier
	}
	for i := range st.Items {
		if id != "" && st.Items[i].ID == id || id == "" && st.Items[i].Title == title {
			return &st.Items[i]
		}
	}
	return nil
}

// answers computes the answers to a visit's UI questions from the player (§5).
func (s *session) answers(v *Visit, st *uiState) string {
	yn := func(b bool) string {
		if b {
			return "Y"
		}
		return "N"
	}
	var out []string
	for _, q := range v.UIQ {
		it := st.item(s.course, q.Arg)
		switch q.Key {
		case "continue.enabled":
			out = append(out, yn(st.Continue.Enabled))
		case "continue.disabled":
			out = append(out, yn(!st.Continue.Enabled))
		case "previous.enabled":
			out = append(out, yn(st.Previous.Enabled))
		case "previous.disabled":
			out = append(out, yn(!st.Previous.Enabled))
		case "toc.enabled":
			any := false
			for _, i := range st.Items {
				any = any || i.Enabled
			}
			out = append(out, yn(st.TOC && any))
		case "toc.enabled.selectable":
			out = append(out, yn(st.TOC && it != nil && it.Enabled))
		case "toc.visible":
			out = append(out, yn(st.TOC && it != nil && it.Visible))
		default:
			out = append(out, "Y")
		}
	}
	return strings.Join(out, "~")
}

// answer inspects the player and answers the SCO's questions on its page.
func (s *session) answer(v *Visit) error {
	if len(v.UIQ) == 1 && v.UIQ[0].Key == "click.button" {
		return s.inSCO(`(() => { const b = document.getElementById("continue"); if (!b) return "wait"; b.click(); return "ok"; })()`)
	}
	st, err := s.ui()
	if err != nil {
		return err
	}
	a := s.answers(v, st)
	s.trace("tester: UI answers %s (continue %+v, previous %+v, toc %v)", a, st.Continue, st.Previous, st.TOC)
	list, _ := json.Marshal(strings.Split(a, "~"))
	return s.inSCO(`((answers) => {
  if (!document.getElementById("submit")) return "wait";
  answers.forEach((a, i) => document.getElementById((a === "Y" ? "tRadio" : "fRadio") + i).click());
  document.getElementById("submit").click();
  return "ok";
})(` + string(list) + `)`)
}

// inSCO evaluates expr in the test SCO's frame (an isolated world sharing its
// DOM), again while it returns "wait".
func (s *session) inSCO(expr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		tree, err := chromedp.Call(s.ctx, page.GetFrameTree, cdp.Empty{})
		if err != nil {
			return s.fail("frame tree: %v", err)
		}
		frame := scoFrame(tree.FrameTree)
		if frame != nil {
			world, err := chromedp.Call(s.ctx, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: frame.ID, WorldName: "cts-tester"})
			if err == nil {
				got, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](expr, func(p *runtime.EvaluateParams) { p.ContextID = world.ExecutionContextID }))
				if err == nil && got == "ok" {
					return nil
				}
				if err != nil && time.Now().After(deadline) {
					return s.fail("act in the SCO page: %v", err)
				}
			}
		}
		if time.Now().After(deadline) {
			return s.fail("the SCO page never showed its questions")
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-s.ctx.Done():
			return s.fail("stopped while answering the SCO's questions")
		}
	}
}

// scoFrame finds the frame of the test SCO (its URL carries tc= and act=).
func scoFrame(t *page.FrameTree) *cdp.Frame {
	return findFrame(t, func(u string) bool { return strings.Contains(u, "tc=") && strings.Contains(u, "act=") })
}

// findFrame finds the deepest frame whose URL matches.
func findFrame(t *page.FrameTree, match func(string) bool) *cdp.Frame {
	if t == nil || t.Frame == nil {
		return nil
	}
	for _, c := range t.ChildFrames {
		if f := findFrame(c, match); f != nil {
			return f
		}
	}
	if match(t.Frame.URL) {
		return t.Frame
	}
	return nil
}

// click presses a navigation control of the player page.
func (s *session) click(kind string) error {
	k, _ := json.Marshal(kind)
	got, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`((k) => {
  const b = document.querySelector('[data-nav="' + k + '"]');
  if (!b) return "missing";
  if (b.disabled) return "disabled";
  if (!b.getClientRects().length) return "hidden";
  b.click();
  return "ok";
})(`+string(k)+`)`))
	if err != nil {
		return s.fail("press %s: %v", kind, err)
	}
	if got != "ok" {
		return s.fail("the tester cannot trigger %s: the player's control is %s", kind, got)
	}
	// The player asks before a request that ends the course while it is
	// not finished; the tester means the request, so it goes on.
	switch a := s.answerQuestion(false); a {
	case "":
	case "deciding", "the question offers no way out":
		return s.fail("the tester pressed %s, and %s", kind, a)
	default:
		s.trace("tester: pressed %s, %s", kind, a)
	}
	return nil
}

// answerQuestion waits while the player decides whether to ask before a
// control's request (it may first have the frame send the content's
// latest data) and, when it asks, goes on; withSave: or saves and leaves
// when going on is not offered. It says what it answered, "" when nothing
// was asked (or the page went away meanwhile).
func (s *session) answerQuestion(withSave bool) string {
	deadline := time.Now().Add(15 * time.Second)
	for {
		got, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
  const p = document.getElementById("player");
  if (!p) return "";
  if ("deciding" in p.dataset) return "deciding";
  const d = document.getElementById("player-confirm");
  if (!d || !d.open) return "";
  const go = document.getElementById("confirm-go"), save = document.getElementById("confirm-save");
  if (go && !go.hidden) { go.click(); return "answered " + go.textContent; }
  if (%t && save && !save.hidden) { save.click(); return "answered " + save.textContent; }
  return "the question offers no way out";
})()`, withSave)))
		if err != nil {
			return "" // the page navigated away: the request is on its way
		}
		if got != "deciding" || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exit leaves the course as a learner would, to end the session (an Exit
// All event). A course of several SCOs has a Finish control (exitAll); a
// course of one SCO shows only Exit, which ends the course when the content
// has finished and otherwise asks first, offering to save and leave
// (suspendAll) or stay: the tester leaves. The player may already be
// leaving by itself (the one SCO terminated without a request): then the
// page is gone or busy, and ended waits for the end as strictly as ever.
func (s *session) exit() error {
	got, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`(() => {
  if (!document.getElementById("player")) return "gone";
  const all = document.querySelector('[data-nav="exitAll"]');
  if (all) {
    if (all.disabled) return "disabled";
    if (!all.getClientRects().length) return "hidden";
    all.click();
    return "pressed " + all.textContent;
  }
  const one = document.querySelector("[data-exit]");
  if (!one) return "missing";
  if (one.disabled) return "disabled";
  if (!one.getClientRects().length) return "hidden";
  one.click();
  return "pressed " + one.textContent;
})()`))
	if err != nil {
		// The page navigated away while the tester pressed: the session is
		// ending; ended decides.
		s.trace("tester: exit: %v", err)
		return nil
	}
	if got == "gone" {
		s.trace("tester: the player is gone")
		return nil
	}
	if !strings.HasPrefix(got, "pressed ") {
		return s.fail("the tester cannot exit the course: the player's exit control is %s", got)
	}
	a := s.answerQuestion(true)
	if a == "the question offers no way out" || a == "deciding" {
		return s.fail("the tester cannot exit the course: %s, and %s", got, a)
	}
	if a != "" {
		got += ", " + a
	}
	s.trace("tester: %s", got)
	return nil
}

// choose makes a choice navigation request through the outline.
func (s *session) choose(title string) error {
	st, err := s.ui()
	if err != nil {
		return err
	}
	it := st.item(s.course, title)
	name := title
	if title == Root {
		name = fmt.Sprintf("the root activity %q (%s)", s.course.RootTitle, s.course.Root)
	}
	if it == nil {
		return s.fail("the tester cannot choose %s: the player's outline has no entry for it", name)
	}
	if !it.Visible || !it.Enabled {
		return s.fail("the tester cannot choose %s: its outline entry is disabled or hidden", name)
	}
	id, _ := json.Marshal(it.ID)
	got, err := chromedp.Run(s.ctx, chromedp.Evaluate[string](`((id) => {
  const b = [...document.querySelectorAll("[data-nav-choice]")].find((b) => b.dataset.navChoice === id);
  if (!b || b.disabled) return "gone";
  b.click();
  return "ok";
})(`+string(id)+`)`))
	if err != nil || got != "ok" {
		return s.fail("choose %s: %v %s", name, err, got)
	}
	return nil
}

// diagnose describes where the player and the SCO are, for a failure report.
func (s *session) diagnose() string {
	if s.tab == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(s.tab, 5*time.Second)
	defer cancel()
	var parts []string
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		parts = append(parts, "page "+loc)
	}
	if st, err := chromedp.Run(ctx, chromedp.Evaluate[uiState](uiStateJS, awaitPromise)); err == nil {
		if st.Status != "" {
			parts = append(parts, fmt.Sprintf("player status %q", st.Status))
		}
		if st.Current != "" {
			parts = append(parts, "current item "+st.Current)
		}
	}
	if tree, err := chromedp.Call(ctx, page.GetFrameTree, cdp.Empty{}); err == nil {
		var frames []string
		var walk func(t *page.FrameTree, depth int)
		walk = func(t *page.FrameTree, depth int) {
			if t == nil || t.Frame == nil {
				return
			}
			if depth > 0 {
				frames = append(frames, t.Frame.URL)
			}
			for _, c := range t.ChildFrames {
				walk(c, depth+1)
			}
		}
		walk(tree.FrameTree, 0)
		if len(frames) > 0 {
			parts = append(parts, "frames "+strings.Join(frames, " > "))
		}
		inFrame := func(f *cdp.Frame, expr string) string {
			w, err := chromedp.Call(ctx, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: f.ID, WorldName: "cts-tester"})
			if err != nil {
				return ""
			}
			txt, _ := chromedp.Run(ctx, chromedp.Evaluate[string](expr, func(p *runtime.EvaluateParams) { p.ContextID = w.ExecutionContextID }))
			return strings.Join(strings.Fields(txt), " ")
		}
		if f := findFrame(tree.FrameTree, func(u string) bool { return strings.Contains(u, "/player/") }); f != nil {
			if txt := inFrame(f, `(document.getElementById("lectern-status")||{}).textContent||""`); txt != "" {
				parts = append(parts, fmt.Sprintf("player frame says %q", txt))
			}
		}
		if f := scoFrame(tree.FrameTree); f != nil {
			if txt := inFrame(f, `(document.getElementById("teststatus")||{}).textContent||""`); txt != "" {
				parts = append(parts, fmt.Sprintf("SCO says %q", txt))
			}
		}
	}
	return strings.Join(parts, "; ")
}
