// Package runtime is the SCORM run-time service: it opens attempts, issues
// launch tokens, starts SCO sessions from the stored state, applies commits
// after validating every value again with scorm/cmi, and navigates with a
// scorm/seq engine. It knows nothing of HTTP.
package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	jsonv2 "github.com/go-json-experiment/json"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm"
	"github.com/lectern/lectern/scorm/cmi"
	"github.com/lectern/lectern/scorm/seq"
)

// Errors callers map to answers.
var (
	ErrNotAllowed = errors.New("navigation not allowed")
	ErrRejected   = errors.New("value refused")
)

// RejectedError is a commit the data model refused: nothing was stored.
type RejectedError struct {
	Index      int // position of the refused change in the batch
	Code       int
	Element    string
	Diagnostic string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("runtime: %s refused (%d): %s", e.Element, e.Code, e.Diagnostic)
}
func (e *RejectedError) Unwrap() error { return ErrRejected }

// Service is the run-time.
type Service struct {
	Store          *store.Store
	ContentDir     string
	LaunchTTL      time.Duration // a launch token lives this long after its last use
	SuspendDataMax int           // characters of cmi.suspend_data accepted
	// AttemptMaxBytes is each attempt's budget of stored run-time data
	// (every SCO's state: interactions, comments, objectives, suspend
	// data); 0: none.
	AttemptMaxBytes int64
	Log             *slog.Logger

	mu       sync.Mutex
	packages map[uint]*scorm.Package // parsed manifests by version id
	versions map[uint]*store.CourseVersion
	items    map[uint][]store.Item // items by version id
	live     map[string]*live      // running launches by token hash
}

// Course is what the player shows: the tree, where the learner is, and what
// navigation is valid.
type Course struct {
	Attempt *store.Attempt
	Version *store.CourseVersion
	Items   []store.Item
	Current *store.Item
	Token   string // launch token of Current; "" when nothing can be launched
	Nav     Nav
	// HideLMSUI lists, per item identifier, the player controls the package
	// asks to hide while that item runs (adlnav:presentation, SCORM 2004).
	HideLMSUI map[string][]string
	// Review: the attempt is shown in review mode (cmi mode "review",
	// no credit); nothing the SCOs send is stored.
	Review bool
	// Outline is the course tree as the player shows it: for SCORM 2004
	// the activity tree from the root, with what may be chosen now.
	Outline []*OutlineItem
	// Single is a course of one launchable item: the player shows no
	// outline and no controls but Exit.
	Single bool
	// Ended: the sequencing session ended when the course was opened
	// (nothing could be delivered); Result is the attempt's result.
	Ended  bool
	Result store.AttemptSummary

	seq *seqState // SCORM 2004: the attempt's activity tree
}

// OutlineItem is one entry of the course outline.
type OutlineItem struct {
	ID       string
	Title    string
	Hidden   bool   // isvisible=false or hidden from choice by a rule
	Enabled  bool   // may be chosen now
	Reason   string // why it cannot be chosen now
	Status   string // "", "completed", "incomplete", "passed", "failed"
	Current  bool
	Children []*OutlineItem
}

// Nav is the navigation validity the player and the SCO see.
type Nav struct {
	Continue bool            `json:"continue"`
	Previous bool            `json:"previous"`
	Choice   map[string]bool `json:"choice"`
	Jump     map[string]bool `json:"jump,omitempty"`
	// For the outline (SCORM 2004): why an activity cannot be chosen,
	// which are hidden, and their status icons.
	Why    map[string]string `json:"why,omitempty"`
	Hidden map[string]bool   `json:"hidden,omitempty"`
	Status map[string]string `json:"status,omitempty"`
	// Course is the course's rolled-up status (SCORM 2004: the root
	// activity's): the player asks before ending a course its rules have
	// not finished, whatever the part on screen says.
	Course *Progress `json:"course,omitempty"`
}

// Progress is a completion and success status pair, as SCORM 2004 words
// them ("unknown" when nothing is known).
type Progress struct {
	Completion string `json:"completion"`
	Success    string `json:"success"`
}

// Open finds or starts the learner's attempt on a course, decides which item
// to deliver (resume point or start) and issues its launch token. A new
// attempt beyond the course's maximum is refused with store.ErrNoAttemptsLeft.
func (s *Service) Open(ctx context.Context, user *store.User, courseID uint) (*Course, error) {
	sit, err := s.Store.AttemptSituation(ctx, user.ID, courseID)
	if err != nil {
		return nil, err
	}
	a, _, err := s.Store.OpenAttemptWithin(ctx, user.ID, courseID, sit.Rules.MaxAttempts, sit.CycleStart)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, a, false)
}

// StartAgain starts a new attempt when the learner's attempt is finished
// (an unfinished open attempt is resumed instead), within the course's
// maximum of attempts (store.ErrNoAttemptsLeft beyond it).
func (s *Service) StartAgain(ctx context.Context, user *store.User, courseID uint) (*Course, error) {
	sit, err := s.Store.AttemptSituation(ctx, user.ID, courseID)
	if err != nil {
		return nil, err
	}
	if sit.Open != nil && sit.Open.Completion == "completed" && !sit.MayStart() {
		return nil, store.ErrNoAttemptsLeft // closing the finished attempt would leave nothing to start
	}
	a, _, err := s.Store.StartNewAttempt(ctx, user.ID, courseID, sit.Rules.MaxAttempts, sit.CycleStart)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, a, false)
}

// Review opens a learner's finished attempt in review mode: the attempt
// that counts, or else the latest finished one. No attempt is started or
// changed. store.ErrNotFound when there is nothing to review.
func (s *Service) Review(ctx context.Context, user *store.User, courseID uint) (*Course, error) {
	sit, err := s.Store.AttemptSituation(ctx, user.ID, courseID)
	if err != nil {
		return nil, err
	}
	a := sit.ReviewAttempt()
	if a == nil {
		return nil, fmt.Errorf("runtime: nothing to review in course %d: %w", courseID, store.ErrNotFound)
	}
	return s.open(ctx, a, true)
}

// ReviewAttempt opens any attempt in review mode, for an admin.
func (s *Service) ReviewAttempt(ctx context.Context, attemptID uint) (*Course, error) {
	a, err := s.Store.AttemptByID(ctx, attemptID)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, a, true)
}

// OpenTest starts an admin's test launch of a course: a fresh attempt on the
// current version that belongs to no course record (see store.Attempt.Test),
// so reports, compliance and certificates never see it.
func (s *Service) OpenTest(ctx context.Context, user *store.User, courseID uint) (*Course, error) {
	a, err := s.Store.StartTestAttempt(ctx, user.ID, courseID)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, a, false)
}

// Reopen shows again a launch the learner already has, for a reload of the
// player page: it reads and writes nothing else, so that a GET may call it.
// The launch must be the user's, of the course, live and not yet ended
// (store.ErrLaunchEnded, ErrLaunchSuperseded, ErrLaunchExpired, ErrNotFound
// otherwise); then the player opens it again and the SCO resumes.
func (s *Service) Reopen(ctx context.Context, userID, courseID uint, token string) (*Course, error) {
	l, err := s.Store.LaunchByToken(ctx, account.HashToken(token))
	if err != nil {
		return nil, err
	}
	if l.Attempt.UserID != userID || l.Attempt.CourseID != courseID || l.Attempt.Test {
		return nil, fmt.Errorf("runtime: reopen: not this learner's launch of course %d: %w", courseID, store.ErrNotFound)
	}
	if l.Terminated {
		return nil, store.ErrLaunchEnded
	}
	c, engine, err := s.load(ctx, &l.Attempt)
	if err != nil {
		return nil, err
	}
	c.Review = l.Review
	it := itemByID(c.Items, l.ItemID)
	if it == nil {
		return nil, fmt.Errorf("runtime: reopen: no item %d: %w", l.ItemID, store.ErrNotFound)
	}
	if c.seq != nil {
		engine = c.seq.tree
	}
	c.Current, c.Token = it, token
	c.Nav = navOf(engine.Valid(it.Identifier))
	s.outline(c)
	return c, nil
}

// open delivers the attempt's resume point (or its start).
func (s *Service) open(ctx context.Context, a *store.Attempt, review bool) (*Course, error) {
	c, engine, err := s.load(ctx, a)
	if err != nil {
		return nil, err
	}
	c.Review = review
	if c.seq != nil {
		return c, s.openSequenced(ctx, c)
	}
	current := ""
	if a.CurrentItemID != nil {
		if it := itemByID(c.Items, *a.CurrentItemID); it != nil {
			current = it.Identifier
		}
	}
	req := seq.Request{Kind: seq.Start}
	if current != "" {
		req.Kind = seq.ResumeAll
	}
	d, err := engine.Navigate(current, req)
	if err != nil {
		return c, nil // nothing launchable: the player shows the tree only
	}
	return c, s.deliver(ctx, c, engine, d.Deliver)
}

// openSequenced opens a sequencing session on a SCORM 2004 attempt.
func (s *Service) openSequenced(ctx context.Context, c *Course) error {
	d, err := c.seq.open()
	if err != nil {
		s.refused(c, "open", err)
	}
	w, werr := c.seq.write()
	if werr != nil {
		return werr
	}
	if err != nil || d.Deliver == "" {
		// Nothing can be delivered: the player shows the outline (and the
		// result when the session ended). A review stores nothing.
		if !c.Review {
			if err := s.Store.SaveSeq(ctx, w); err != nil {
				return err
			}
		}
		c.Ended = c.seq.tree.Ended()
		c.Result = summaryOf(c.seq.tree)
		s.outline(c)
		return nil
	}
	return s.deliver(ctx, c, c.seq.tree, d.Deliver, w)
}

// refused logs why the sequencing engine turned a request down.
func (s *Service) refused(c *Course, what string, err error) {
	if s.Log == nil {
		return
	}
	var r *seq.Refusal
	if errors.As(err, &r) {
		s.Log.Info("navigation refused", "attempt", c.Attempt.ID, "request", what, "code", r.Code, "reason", r.Reason)
		return
	}
	s.Log.Warn("navigation failed", "attempt", c.Attempt.ID, "request", what, "err", err)
}

// deliver issues a launch of the item with identifier id.
func (s *Service) deliver(ctx context.Context, c *Course, engine seq.Engine, id string, w ...*store.SeqWrite) error {
	it := itemByIdent(c.Items, id)
	if it == nil {
		return fmt.Errorf("runtime: no item %q", id)
	}
	token := account.NewToken()
	if _, err := s.Store.CreateLaunch(ctx, account.HashToken(token), c.Attempt, it.ID, s.LaunchTTL, c.Review, w...); err != nil {
		return err
	}
	c.Current, c.Token = it, token
	c.Nav = navOf(engine.Valid(id))
	s.outline(c)
	return nil
}

// outline fills the course's outline and navigation from its engine.
func (s *Service) outline(c *Course) {
	c.Single = launchable(c.Items) == 1
	if c.seq == nil {
		return // SCORM 1.2: the player draws the items (see flowOutline)
	}
	tr := c.seq.tree
	v := tr.Valid("")
	c.Nav = navTree(tr)
	cur := tr.Current()
	var walk func(n *seq.Node) *OutlineItem
	walk = func(n *seq.Node) *OutlineItem {
		it := v.Items[n.ID]
		o := &OutlineItem{ID: n.ID, Title: n.Title, Hidden: it.Hidden, Enabled: it.Enabled, Reason: it.Reason,
			Current: cur != nil && cur == n && !tr.Ended()}
		o.Status = statusIcon(tr.StatusOf(n.ID))
		for _, ch := range tr.Available(n) {
			o.Children = append(o.Children, walk(ch))
		}
		return o
	}
	c.Outline = []*OutlineItem{walk(tr.Root)}
}

// load reads the attempt's version, items and SCO states and builds the
// navigation engine over them.
func (s *Service) load(ctx context.Context, a *store.Attempt) (*Course, seq.Engine, error) {
	v, err := s.Store.VersionByID(ctx, a.VersionID)
	if err != nil {
		return nil, nil, err
	}
	items, err := s.Store.VersionItems(ctx, v.ID)
	if err != nil {
		return nil, nil, err
	}
	states, err := s.Store.ScoStates(ctx, a.ID)
	if err != nil {
		return nil, nil, err
	}
	c := &Course{Attempt: a, Version: v, Items: items, HideLMSUI: map[string][]string{}}
	if pkg, err := s.manifest(v); err == nil {
		for _, it := range pkg.Items() {
			if it.Presentation != nil && len(it.Presentation.HideLMSUI) > 0 {
				c.HideLMSUI[it.Identifier] = it.Presentation.HideLMSUI
			}
		}
	}
	if sequenced(v) {
		if c.seq, err = s.loadSeq(ctx, a, v); err != nil {
			return nil, nil, err
		}
		return c, c.seq.tree, nil
	}
	c.Single = launchable(items) == 1
	return c, newEngine(v, items, states), nil
}

// newEngine builds the flow engine over a version's items.
func newEngine(v *store.CourseVersion, items []store.Item, states []store.ScoState) seq.Engine {
	status := map[uint]seq.Status{}
	for _, st := range states {
		status[st.ItemID] = seq.Status{Completion: st.Completion, Success: st.Success, Attempted: st.Sessions > 0}
	}
	idOf := map[string]uint{}
	byID := map[uint]*seq.Activity{}
	var roots []*seq.Activity
	for _, it := range items {
		a := &seq.Activity{ID: it.Identifier, Title: it.Title, Launchable: it.Launch != "", Visible: it.Visible}
		if v.Edition == scorm.SCORM12.String() && it.Prerequisites != "" {
			// A prerequisite Lectern cannot read is ignored rather than
			// locking the learner out; the import warned about it.
			if p, err := seq.ParsePrerequisite(it.Prerequisites); err == nil {
				a.Prerequisites = p
			}
		}
		idOf[it.Identifier] = it.ID
		byID[it.ID] = a
		if it.ParentID != nil && byID[*it.ParentID] != nil {
			p := byID[*it.ParentID]
			p.Children = append(p.Children, a)
		} else {
			roots = append(roots, a)
		}
	}
	return seq.NewFlow(roots, func(ident string) seq.Status { return status[idOf[ident]] })
}

// navTree is the navigation validity of a sequenced attempt, with what the
// outline shows of each activity.
func navTree(tr *seq.Tree) Nav {
	v := tr.Valid("")
	n := navOf(v)
	n.Why, n.Hidden, n.Status = map[string]string{}, map[string]bool{}, map[string]string{}
	for id, it := range v.Items {
		if it.Reason != "" && !it.Enabled {
			n.Why[id] = it.Reason
		}
		if it.Hidden {
			n.Hidden[id] = true
		}
		if st := statusIcon(tr.StatusOf(id)); st != "" {
			n.Status[id] = st
		}
	}
	root := tr.StatusOf(tr.Root.ID)
	n.Course = &Progress{Completion: root.Completion, Success: root.Success}
	return n
}

// statusIcon is the outline's word for an activity's status.
func statusIcon(st seq.ActivityStatus) string {
	switch {
	case st.Success == "passed" || st.Success == "failed":
		return st.Success
	case st.Completion == "completed":
		return "completed"
	case st.Attempted:
		return "incomplete"
	}
	return ""
}

func navOf(v seq.Validity) Nav {
	return Nav{Continue: v.Continue, Previous: v.Previous, Choice: v.Choice, Jump: v.Jump}
}

func itemByID(items []store.Item, id uint) *store.Item {
	for i := range items {
		if items[i].ID == id {
			return &items[i]
		}
	}
	return nil
}

func itemByIdent(items []store.Item, ident string) *store.Item {
	for i := range items {
		if items[i].Identifier == ident {
			return &items[i]
		}
	}
	return nil
}

// Version maps an edition to the data model version.
func dataModel(edition string) cmi.Version {
	if edition == scorm.SCORM12.String() {
		return cmi.V12
	}
	return cmi.V2004
}

// Started is what the player frame needs to run a SCO.
type Started struct {
	Version cmi.Version     `json:"version"`
	State   json.RawMessage `json:"state"`
	Seq     int64           `json:"seq"`
	Launch  string          `json:"launch"` // relative to the package root
	Item    ItemRef         `json:"item"`
	Nav     Nav             `json:"nav"`
	Asset   bool            `json:"asset"`  // no API: the item is done once shown
	Review  bool            `json:"review"` // review mode: nothing is stored
}

// ItemRef names an item.
type ItemRef struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

// Start begins the SCO session of a launch: the launch takes over from any
// other window, and the state is the previous one carried into a new session
// (resume or new attempt, as cmi decides), with the manifest's values.
func (s *Service) Start(ctx context.Context, token string) (*Started, error) {
	l, err := s.Store.LaunchByToken(ctx, account.HashToken(token))
	if err != nil {
		return nil, err
	}
	c, _, err := s.load(ctx, &l.Attempt)
	if err != nil {
		return nil, err
	}
	it := itemByID(c.Items, l.ItemID)
	if it == nil {
		return nil, fmt.Errorf("runtime: launch names item %d: %w", l.ItemID, store.ErrNotFound)
	}
	user, err := s.Store.UserByID(ctx, l.UserID)
	if err != nil {
		return nil, err
	}
	init, err := s.initFor(ctx, c.Version, c.Attempt, it, user)
	if err != nil {
		return nil, err
	}
	if l.Review {
		init.Mode, init.Credit = "review", "no-credit"
	}
	if c.seq != nil {
		init.Objectives, init.ObjectiveIDs = objectivesInit(c.seq.tree, it.Identifier), nil
	}
	v := dataModel(c.Version.Edition)
	asset := it.ScormType != "sco"
	var state *cmi.State
	var stored []byte // state as StartLaunch saved it
	roll := rollup(c.Items)
	seqw := &store.SeqWrite{} // filled by begin, written in its transaction
	if c.seq != nil {
		roll = seqRollup(c.Items, c.seq.tree)
	}
	started, err := s.Store.StartLaunch(ctx, l.ID, s.LaunchTTL, roll, func(_ *store.Launch, prev *store.ScoState) (*store.ScoUpdate, error) {
		var before *cmi.State
		if prev != nil && len(prev.State) > 0 {
			before = &cmi.State{}
			if err := json.Unmarshal(prev.State, before); err != nil {
				return nil, fmt.Errorf("stored state of item %s: %w", it.Identifier, err)
			}
		}
		st, err := cmi.NewState(v, init, before)
		if err != nil {
			return nil, err
		}
		if asset && !l.Review {
			// An asset has no API; being shown is all it can do.
			st.Values[completionElement(v)] = "completed"
		}
		state = st
		up, err := update(st)
		if up != nil {
			stored = up.State
		}
		if err != nil || c.seq == nil {
			return up, err
		}
		// A new session of the SCO reports where it starts from (a resumed
		// attempt its data, a new one nothing yet).
		if err := c.seq.tree.Report(it.Identifier, reportOf(st, up)); err != nil {
			return nil, err
		}
		w, err := c.seq.write()
		if err != nil {
			return nil, err
		}
		*seqw = *w
		return up, nil
	}, seqw)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(state)
	if err != nil {
		return nil, err
	}
	s.remember(l.ID, l.Seq, state, stored, started.StateID, launchable(c.Items) == 1)
	var nav Nav
	if c.seq != nil {
		nav = navTree(c.seq.tree)
	} else {
		// Navigation validity after the start: the SCO's status may have changed.
		states, err := s.Store.ScoStates(ctx, l.AttemptID)
		if err != nil {
			return nil, err
		}
		nav = navOf(newEngine(c.Version, c.Items, states).Valid(it.Identifier))
	}
	return &Started{
		Version: v, State: raw, Seq: l.Seq, Launch: it.Launch, Asset: asset, Review: l.Review,
		Item: ItemRef{ID: it.Identifier, Title: it.Title}, Nav: nav,
	}, nil
}

func completionElement(v cmi.Version) string {
	if v == cmi.V12 {
		return "cmi.core.lesson_status"
	}
	return "cmi.completion_status"
}

// update turns a state into the row's columns.
func update(st *cmi.State) (*store.ScoUpdate, error) {
	raw, err := jsonv2.Marshal(st) // the commit path: v2 encodes a state in a quarter of the time
	if err != nil {
		return nil, err
	}
	sum := st.Summary()
	return &store.ScoUpdate{
		State: raw, Completion: sum.Completion, Success: sum.Success,
		ScoreScaled: sum.ScoreScaled, ScoreRaw: sum.ScoreRaw, ProgressMeasure: sum.ProgressMeasure,
		TotalSeconds: sum.TotalTime.Seconds(),
	}, nil
}

// initFor collects what the LMS and the manifest say about a SCO.
func (s *Service) initFor(ctx context.Context, v *store.CourseVersion, a *store.Attempt, it *store.Item, u *store.User) (cmi.Init, error) {
	in := cmi.Init{
		LearnerID:      strconv.FormatUint(uint64(u.ID), 10),
		LearnerName:    u.Name,
		SuspendDataMax: s.SuspendDataMax,
	}
	if u.Language != "" { // chosen on the account page; a new attempt starts with it
		in.Preferences = map[string]string{"language": u.Language}
	}
	pkg, err := s.manifest(v)
	if err != nil {
		return in, err
	}
	var mi *scorm.Item
	for _, x := range pkg.Items() {
		if x.Identifier == it.Identifier {
			mi = x
			break
		}
	}
	if mi == nil {
		return in, nil
	}
	if mi.DataFromLMS != "" {
		d := mi.DataFromLMS
		in.LaunchData = &d
	}
	in.MasteryScore = mi.MasteryScore
	in.TimeLimitAction = mi.TimeLimitAction
	if mi.MaxTimeAllowed != "" {
		if d, err := parseTimeAllowed(mi.MaxTimeAllowed); err == nil {
			in.MaxTimeAllowed = &d
		}
	}
	if sq := mi.Sequencing; sq != nil && sq.LimitConditions.AttemptAbsoluteDurationLimit != "" && in.MaxTimeAllowed == nil {
		if _, err := cmi.ParseDuration(sq.LimitConditions.AttemptAbsoluteDurationLimit); err == nil {
			in.MaxTimeAllowedText = sq.LimitConditions.AttemptAbsoluteDurationLimit // as the manifest wrote it
		}
	}
	if ct := mi.CompletionThreshold; ct != nil {
		m := ct.MinProgressMeasure
		in.CompletionThreshold = &m
	}
	if len(mi.SharedData) > 0 {
		scope := a.ID
		// A test launch keeps even global shared data to itself: the
		// admin's own data as a learner stays untouched.
		if sharedGlobal(pkg) && !a.Test {
			scope = 0
		}
		values, err := s.Store.SharedValues(ctx, u.ID, scope)
		if err != nil {
			return in, err
		}
		in.SharedData = sharedDataOf(mi, values)
	}
	if sq := mi.Sequencing; sq != nil {
		in.ScaledPassingScore, in.ObjectiveIDs = objectivesOf(sq)
		if d := attemptDurationLimit(sq); d != nil && in.MaxTimeAllowed == nil {
			in.MaxTimeAllowed = d
		}
	}
	return in, nil
}

// manifest returns the parsed manifest of a version, parsing it once.
func (s *Service) manifest(v *store.CourseVersion) (*scorm.Package, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.packages[v.ID]; p != nil {
		return p, nil
	}
	data, err := os.ReadFile(filepath.Join(s.ContentDir, filepath.FromSlash(v.ContentDir), "imsmanifest.xml"))
	if err != nil {
		return nil, fmt.Errorf("runtime: manifest of version %d: %w", v.ID, err)
	}
	p, err := scorm.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("runtime: manifest of version %d: %w", v.ID, err)
	}
	if s.packages == nil {
		s.packages = map[uint]*scorm.Package{}
	}
	s.packages[v.ID] = p
	return p, nil
}

// parseTimeAllowed reads adlcp:maxtimeallowed, written as a CMITimespan in
// 1.2 and sometimes as an ISO duration.
func parseTimeAllowed(s string) (time.Duration, error) {
	if d, err := cmi.ParseTimespan(s); err == nil {
		return d, nil
	}
	return cmi.ParseDuration(s)
}

// DataModelOf tells which data model a launch token speaks, even when the
// launch is no longer live (to word its errors).
func (s *Service) DataModelOf(ctx context.Context, token string) (cmi.Version, error) {
	v, err := s.Store.VersionOfLaunch(ctx, account.HashToken(token))
	if err != nil {
		return "", err
	}
	return dataModel(v.Edition), nil
}

// sharedGlobal tells whether a package's shared data belongs to the learner
// across the whole system (adlcp:sharedDataGlobalToSystem, default true).
func sharedGlobal(pkg *scorm.Package) bool {
	return pkg.DefaultOrg == nil || pkg.DefaultOrg.SharedDataGlobalToSystem
}

// sharedGlobalOf answers sharedGlobal for a version id, for the commit path.
func (s *Service) sharedGlobalOf(ctx context.Context, versionID uint) bool {
	s.mu.Lock()
	p := s.packages[versionID]
	s.mu.Unlock()
	if p == nil {
		v, err := s.Store.VersionByID(ctx, versionID)
		if err != nil {
			return true
		}
		if p, err = s.manifest(v); err != nil {
			return true
		}
	}
	return sharedGlobal(p)
}

// launchable counts the items that launch something.
func launchable(items []store.Item) int {
	n := 0
	for _, it := range items {
		if it.Launch != "" {
			n++
		}
	}
	return n
}
