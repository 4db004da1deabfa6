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
	Log            *slog.Logger

	mu       sync.Mutex
	packages map[uint]*scorm.Package // parsed manifests by version id
	items    map[uint][]store.Item   // items by version id
	live     map[string]*live        // running launches by token hash
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
}

// Nav is the navigation validity the player and the SCO see.
type Nav struct {
	Continue bool            `json:"continue"`
	Previous bool            `json:"previous"`
	Choice   map[string]bool `json:"choice"`
}

// Open finds or starts the learner's attempt on a course, decides which item
// to deliver (resume point or start) and issues its launch token.
func (s *Service) Open(ctx context.Context, user *store.User, courseID uint) (*Course, error) {
	a, _, err := s.Store.OpenAttempt(ctx, user.ID, courseID)
	if err != nil {
		return nil, err
	}
	c, engine, err := s.load(ctx, a)
	if err != nil {
		return nil, err
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

// deliver issues a launch of the item with identifier id.
func (s *Service) deliver(ctx context.Context, c *Course, engine seq.Engine, id string) error {
	it := itemByIdent(c.Items, id)
	if it == nil {
		return fmt.Errorf("runtime: no item %q", id)
	}
	token := account.NewToken()
	if _, err := s.Store.CreateLaunch(ctx, account.HashToken(token), c.Attempt, it.ID, s.LaunchTTL); err != nil {
		return err
	}
	c.Current, c.Token = it, token
	c.Nav = navOf(engine.Valid(id))
	return nil
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

func navOf(v seq.Validity) Nav {
	return Nav{Continue: v.Continue, Previous: v.Previous, Choice: v.Choice}
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
	Asset   bool            `json:"asset"` // no API: the item is done once shown
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
	init, err := s.initFor(ctx, c.Version, c.Attempt.ID, it, user)
	if err != nil {
		return nil, err
	}
	v := dataModel(c.Version.Edition)
	asset := it.ScormType != "sco"
	var state *cmi.State
	started, err := s.Store.StartLaunch(ctx, l.ID, s.LaunchTTL, rollup(c.Items), func(_ *store.Launch, prev *store.ScoState) (*store.ScoUpdate, error) {
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
		if asset {
			// An asset has no API; being shown is all it can do.
			st.Values[completionElement(v)] = "completed"
		}
		state = st
		return update(st)
	})
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(state)
	if err != nil {
		return nil, err
	}
	s.remember(l.ID, l.Seq, state, started.StateID, launchable(c.Items) == 1)
	// Navigation validity after the start: the SCO's status may have changed.
	states, err := s.Store.ScoStates(ctx, l.AttemptID)
	if err != nil {
		return nil, err
	}
	engine := newEngine(c.Version, c.Items, states)
	return &Started{
		Version: v, State: raw, Seq: l.Seq, Launch: it.Launch, Asset: asset,
		Item: ItemRef{ID: it.Identifier, Title: it.Title}, Nav: navOf(engine.Valid(it.Identifier)),
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
func (s *Service) initFor(ctx context.Context, v *store.CourseVersion, attemptID uint, it *store.Item, u *store.User) (cmi.Init, error) {
	in := cmi.Init{
		LearnerID:      strconv.FormatUint(uint64(u.ID), 10),
		LearnerName:    u.Name,
		SuspendDataMax: s.SuspendDataMax,
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
	if ct := mi.CompletionThreshold; ct != nil {
		m := ct.MinProgressMeasure
		in.CompletionThreshold = &m
	}
	if len(mi.SharedData) > 0 {
		scope := attemptID
		if sharedGlobal(pkg) {
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
