package runtime

// The binding of SCORM 2004 courses to the sequencing engine: each attempt
// has an activity tree (scorm/seq), stored as JSON with the attempt and
// written in the same transaction as the launch, commit or navigation that
// changed it; the learner's global objectives are stored beside it.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm"
	"github.com/lectern/lectern/scorm/cmi"
	"github.com/lectern/lectern/scorm/seq"
)

// sequenced reports whether a version is run by the SCORM 2004 sequencing
// engine (every 2004 edition; SCORM 1.2 keeps the Flow engine).
func sequenced(v *store.CourseVersion) bool {
	return v.Edition != scorm.SCORM12.String()
}

// seqState is an attempt's activity tree loaded for one request.
type seqState struct {
	tree      *seq.Tree
	attemptID uint
	userID    uint
	scope     uint   // global objectives: 0 across the system, else the attempt
	loaded    []byte // the stored tree as read
	globals   map[string][]byte
}

// seedOf fixes an attempt's random selection and ordering.
func seedOf(attemptID uint) uint64 { return uint64(attemptID)*0x9e3779b97f4a7c15 + 1 }

// buildTree builds the activity tree of a version's default organization
// with an attempt's stored state (raw, nil for a new attempt).
func (s *Service) buildTree(v *store.CourseVersion, attemptID uint, raw []byte) (*seq.Tree, *scorm.Package, error) {
	pkg, err := s.manifest(v)
	if err != nil {
		return nil, nil, err
	}
	if pkg.DefaultOrg == nil {
		return nil, nil, fmt.Errorf("runtime: version %d has no organization", v.ID)
	}
	tr, _ := seq.Build(pkg.DefaultOrg, seedOf(attemptID))
	if raw != nil {
		if err := json.Unmarshal(raw, tr); err != nil {
			return nil, nil, fmt.Errorf("runtime: sequencing state of attempt %d: %w", attemptID, err)
		}
	}
	return tr, pkg, nil
}

// loadSeq reads an attempt's tree and the learner's global objectives.
func (s *Service) loadSeq(ctx context.Context, a *store.Attempt, v *store.CourseVersion) (*seqState, error) {
	raw, err := s.Store.SeqTreeOf(ctx, a.ID)
	if errors.Is(err, store.ErrNotFound) {
		raw, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	tr, pkg, err := s.buildTree(v, a.ID, raw)
	if err != nil {
		return nil, err
	}
	st := &seqState{tree: tr, attemptID: a.ID, userID: a.UserID, loaded: raw}
	// A test launch keeps even global objectives to itself (store.Attempt.Test).
	if !pkg.DefaultOrg.ObjectivesGlobalToSystem || a.Test {
		st.scope = a.ID
	}
	if len(tr.GlobalIDs()) > 0 {
		if st.globals, err = s.Store.GlobalObjectives(ctx, a.UserID, st.scope); err != nil {
			return nil, err
		}
		if err := setGlobals(tr, st.globals); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func setGlobals(tr *seq.Tree, raw map[string][]byte) error {
	g := make(map[string]seq.Objective, len(raw))
	for id, b := range raw {
		var o seq.Objective
		if err := json.Unmarshal(b, &o); err != nil {
			return fmt.Errorf("runtime: global objective %q: %w", id, err)
		}
		g[id] = o
	}
	tr.SetGlobals(g)
	return nil
}

// write is what changed since the state was loaded, for the store.
func (st *seqState) write() (*store.SeqWrite, error) {
	raw, err := json.Marshal(st.tree)
	if err != nil {
		return nil, err
	}
	w := &store.SeqWrite{AttemptID: st.attemptID, UserID: st.userID, ScopeID: st.scope}
	if !bytes.Equal(raw, st.loaded) {
		w.Tree = raw
	}
	for id, o := range st.tree.Globals() {
		b, err := json.Marshal(o)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(b, st.globals[id]) {
			if w.Globals == nil {
				w.Globals = map[string][]byte{}
			}
			w.Globals[id] = b
		}
	}
	return w, nil
}

// summaryOf is the attempt's result: the root activity's rolled-up
// completion, success and measure.
func summaryOf(tr *seq.Tree) store.AttemptSummary {
	r := tr.StatusOf(tr.Root.ID)
	sum := store.AttemptSummary{Completion: r.Completion, Success: r.Success, ScoreScaled: r.Measure, ProgressMeasure: r.Progress}
	if sum.Completion == "unknown" {
		sum.Completion = "not attempted"
		if r.Attempted {
			sum.Completion = "incomplete"
		}
	}
	return sum
}

// seqRollup rolls an attempt up from its tree: the result of the root,
// the time of the SCOs (and a single SCO's raw score).
func seqRollup(items []store.Item, tr *seq.Tree) store.AttemptRollup {
	rows := rollup(items)
	return func(versionID uint, states []store.ScoState) store.AttemptSummary {
		r := rows(versionID, states)
		sum := summaryOf(tr)
		sum.TotalSeconds = r.TotalSeconds
		if len(states) == 1 && launchable(items) == 1 {
			sum.ScoreRaw = r.ScoreRaw
		}
		return sum
	}
}

// reportOf maps a SCO's run-time data to its activity (SCORM 2004 RTE 4.2).
func reportOf(st *cmi.State, up *store.ScoUpdate) seq.Report {
	r := seq.Report{ScoreScaled: up.ScoreScaled, ProgressMeasure: up.ProgressMeasure, Exit: st.Values["cmi.exit"]}
	set := func(names ...string) bool {
		for _, n := range names {
			if _, ok := st.Values[n]; ok {
				return true
			}
		}
		return false
	}
	// An element the SCO left unset leaves the word to its record of the
	// primary objective (seq.Report). The evaluated status counts once the
	// SCO set it, or what it is evaluated from: progress_measure where a
	// completion threshold applies, score.scaled where a scaled passing
	// score does.
	if set("cmi.completion_status") || set("cmi.completion_threshold") && set("cmi.progress_measure") {
		r.Completion = up.Completion
	}
	if set("cmi.success_status") || set("cmi.scaled_passing_score") && set("cmi.score.scaled") {
		r.Success = up.Success
	}
	num := func(name string) *float64 {
		v, ok := st.Values[name]
		if !ok || v == "" {
			return nil
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil
		}
		return &f
	}
	r.Raw, r.Min, r.Max = num("cmi.score.raw"), num("cmi.score.min"), num("cmi.score.max")
	for i := range st.Counts["cmi.objectives"] {
		p := "cmi.objectives." + strconv.Itoa(i) + "."
		o := seq.ReportObjective{ID: st.Values[p+"id"], Success: st.Values[p+"success_status"], Completion: st.Values[p+"completion_status"],
			ScoreScaled: num(p + "score.scaled"), Raw: num(p + "score.raw"), Min: num(p + "score.min"), Max: num(p + "score.max"),
			Progress: num(p + "progress_measure")}
		r.Objectives = append(r.Objectives, o)
	}
	return r
}

// objectivesInit gives cmi.objectives what sequencing knows of a SCO's
// objectives (read from global objectives where the manifest maps them).
func objectivesInit(tr *seq.Tree, id string) []cmi.ObjectiveInit {
	var out []cmi.ObjectiveInit
	for _, o := range tr.Objectives(id) {
		oi := cmi.ObjectiveInit{ID: o.ID, ScoreScaled: o.ScoreScaled, Raw: o.Raw, Min: o.Min, Max: o.Max, Progress: o.Progress}
		if o.Success == "passed" || o.Success == "failed" {
			oi.Success = o.Success
		}
		if o.Completion == "completed" || o.Completion == "incomplete" {
			oi.Completion = o.Completion
		}
		out = append(out, oi)
	}
	return out
}

// open starts a sequencing session on an attempt and decides what to
// deliver first: the suspended activity, else the start of the course;
// where the course cannot be started by flow (its root's flow is off, as in
// most single-SCO courses), the first activity that may be chosen.
func (st *seqState) open() (seq.Decision, error) {
	tr := st.tree
	tr.BeginSession()
	req := tr.OpeningRequest()
	d, err := tr.Navigate("", req)
	if err == nil {
		return d, nil
	}
	if req.Kind == seq.ResumeAll {
		// The suspended activity cannot be delivered any more (its rules
		// changed their answer): start over from the beginning.
		if d, err = tr.Navigate("", seq.Request{Kind: seq.Start}); err == nil {
			return d, nil
		}
	}
	v := tr.Valid("")
	for _, n := range tr.Nodes() {
		if n.Launchable && v.Items[n.ID].Enabled {
			return tr.Navigate("", seq.Request{Kind: seq.Choice, Target: n.ID})
		}
	}
	return d, err
}
