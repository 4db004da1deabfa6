package seq

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Report is what a SCO's run-time data says about its activity (the
// mapping of SCORM 2004 RTE 4.2 to the tracking model). An empty
// Completion or Success, or a nil measure, is an element the SCO left
// unset: then the SCO's record of the activity's primary objective in
// cmi.objectives speaks for the activity. A value the SCO set, even
// "unknown", speaks for itself.
type Report struct {
	Completion      string   // cmi.completion_status; "" when the SCO did not set it
	Success         string   // cmi.success_status; "" when the SCO did not set it
	ScoreScaled     *float64 // cmi.score.scaled
	ProgressMeasure *float64 // cmi.progress_measure
	Raw, Min, Max   *float64 // cmi.score.raw, .min, .max
	Objectives      []ReportObjective
	// Exit is cmi.exit: "suspend" leaves the activity suspended when its
	// attempt ends, so it resumes (no new attempt) the next time.
	Exit string
}

// ReportObjective is one cmi.objectives.n record.
type ReportObjective struct {
	ID            string
	Success       string
	ScoreScaled   *float64
	Raw, Min, Max *float64
	Completion    string
	Progress      *float64
}

// Report records a SCO's data in its activity and rolls it up. Activities
// that are not tracked record nothing.
func (t *Tree) Report(id string, r Report) error {
	n := t.byID[id]
	if n == nil {
		return fmt.Errorf("seq: no activity %q", id)
	}
	if !t.tracked(n) {
		return nil
	}
	s := t.s(n)
	s.ExitSuspend = r.Exit == "suspend"
	completion, success, scaled := r.Completion, r.Success, r.ScoreScaled
	var primary *ReportObjective
	for k, o := range r.Objectives {
		i := n.objByID(o.ID)
		if i < 0 || o.ID == "" {
			continue
		}
		if i == 0 {
			// The primary objective's record speaks for the activity where
			// the SCO left the activity's own element unset; its
			// completion and progress are the activity's (written through
			// the primary objective's maps below, with the activity's).
			primary = &r.Objectives[k]
			if success == "" {
				success = o.Success
			}
			if scaled == nil {
				scaled = o.ScoreScaled
			}
			if completion == "" {
				completion = o.Completion
			}
			if r.ProgressMeasure == nil {
				r.ProgressMeasure = o.Progress
			}
			continue
		}
		t.setObjStatus(n, i, o.Success == "passed" || o.Success == "failed", o.Success == "passed")
		t.setObjMeasure(n, i, o.ScoreScaled != nil, deref(o.ScoreScaled))
		e := Extra{Raw: o.Raw, Min: o.Min, Max: o.Max}
		switch o.Completion {
		case "completed":
			e.CompletionKnown, e.Completed = true, true
		case "incomplete", "not attempted":
			e.CompletionKnown = true
		}
		if o.Progress != nil {
			e.ProgressKnown, e.Progress = true, *o.Progress
		}
		t.setObjExtra(n, i, e)
	}
	switch completion {
	case "completed":
		t.setCompletion(n, true, true)
		s.ContentSetCompletion = true
	case "incomplete", "not attempted":
		t.setCompletion(n, true, false)
		s.ContentSetCompletion = true
	case "":
		t.setCompletion(n, false, false)
	default:
		// Set to unknown: the content said so; the end of the attempt
		// does not make it completed.
		t.setCompletion(n, false, false)
		s.ContentSetCompletion = true
	}
	t.setAmount(n, r.ProgressMeasure != nil, deref(r.ProgressMeasure))
	t.setObjMeasure(n, 0, scaled != nil, deref(scaled))
	if !n.objs[0].SatisfiedByMeasure {
		switch success {
		case "passed", "failed":
			t.setObjStatus(n, 0, true, success == "passed")
			s.ContentSetSuccess = true
		case "":
			t.setObjStatus(n, 0, false, false)
		default:
			t.setObjStatus(n, 0, false, false)
			s.ContentSetSuccess = true
		}
	} else if success == "passed" || success == "failed" {
		s.ContentSetSuccess = true
	}
	// The primary objective's 4th edition data: the activity's completion
	// and progress, the record's scores.
	e := Extra{Raw: r.Raw, Min: r.Min, Max: r.Max}
	if primary != nil {
		e.Raw, e.Min, e.Max = cmp.Or(e.Raw, primary.Raw), cmp.Or(e.Min, primary.Min), cmp.Or(e.Max, primary.Max)
	}
	e.CompletionKnown, e.Completed = t.completion(n)
	e.ProgressKnown, e.Progress = t.amount(n)
	t.setObjExtra(n, 0, e)
	t.overallRollup(n)
	return nil
}

// Clone returns a copy of t with state of its own; the structure built
// from the manifest, which never changes, is shared.
func (t *Tree) Clone() *Tree {
	c := *t
	c.restore(t.save())
	return &c
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

// ObjectiveInit is an objective of an activity as the SCO first sees it in
// cmi.objectives: its id and what is known of it (read from global
// objectives where the manifest maps them).
type ObjectiveInit struct {
	ID            string
	Success       string // passed, failed, unknown
	ScoreScaled   *float64
	Completion    string // completed, incomplete, unknown
	Progress      *float64
	Raw, Min, Max *float64
}

// Objectives lists an activity's objectives that have an id, the primary
// first, with their current status.
func (t *Tree) Objectives(id string) []ObjectiveInit {
	n := t.byID[id]
	if n == nil {
		return nil
	}
	var out []ObjectiveInit
	for i, d := range n.objs {
		if d.ID == "" {
			continue
		}
		o := ObjectiveInit{ID: d.ID, Success: "unknown", Completion: "unknown"}
		if k, sat := t.objStatus(n, i); k {
			o.Success = "failed"
			if sat {
				o.Success = "passed"
			}
		}
		if k, m := t.objMeasure(n, i); k {
			o.ScoreScaled = &m
		}
		e := t.objExtra(n, i)
		if e.CompletionKnown {
			o.Completion = "incomplete"
			if e.Completed {
				o.Completion = "completed"
			}
		}
		if e.ProgressKnown {
			p := e.Progress
			o.Progress = &p
		}
		o.Raw, o.Min, o.Max = e.Raw, e.Min, e.Max
		out = append(out, o)
	}
	return out
}

// ActivityStatus is the rolled-up state of an activity, for the outline and the
// course's summary.
type ActivityStatus struct {
	Completion string   // completed, incomplete, unknown
	Success    string   // passed, failed, unknown
	Measure    *float64 // normalized measure of the primary objective
	Progress   *float64
	Attempts   int
	Attempted  bool
	Active     bool
	Suspended  bool
}

// StatusOf returns an activity's rolled-up status.
func (t *Tree) StatusOf(id string) ActivityStatus {
	n := t.byID[id]
	if n == nil {
		return ActivityStatus{Completion: "unknown", Success: "unknown"}
	}
	s := t.s(n)
	st := ActivityStatus{Completion: "unknown", Success: "unknown", Attempts: s.AttemptCount, Attempted: s.ProgressStatus && s.AttemptCount > 0,
		Active: s.Active, Suspended: s.Suspended}
	if k, done := t.completion(n); k {
		st.Completion = "incomplete"
		if done {
			st.Completion = "completed"
		}
	}
	k, sat := t.objStatus(n, 0)
	if o := &s.Obj[0]; !k && o.ProgressStatus {
		// A global objective nobody wrote yet keeps the rules from seeing
		// the activity's own status, not the learner's result.
		k, sat = true, o.Satisfied
	}
	if k {
		st.Success = "failed"
		if sat {
			st.Success = "passed"
		}
	}
	if k, m := t.objMeasure(n, 0); k {
		st.Measure = &m
	}
	if k, p := t.amount(n); k {
		st.Progress = &p
	}
	return st
}

// BeginSession prepares a stored tree for a new sequencing session. A
// session the learner left without exiting (the window closed) is
// suspended first, so that nothing is lost and the next session resumes.
func (t *Tree) BeginSession() {
	if t.current != nil && !t.ended && t.s(t.current).Active {
		_, _ = t.termination("suspendAll")
	}
	t.current, t.ended = nil, false
}

// OpeningRequest is the request that opens a session: resumeAll when an
// attempt is suspended, else start.
func (t *Tree) OpeningRequest() Request {
	if t.suspended != nil {
		return Request{Kind: ResumeAll}
	}
	return Request{Kind: Start}
}

// Item is what the outline shows of one activity.
type Item struct {
	Enabled bool   `json:"enabled"`          // a choice of it is valid now
	Hidden  bool   `json:"hidden,omitempty"` // isvisible=false or hiddenFromChoice
	Reason  string `json:"reason,omitempty"` // why it cannot be chosen
}

// Valid implements Engine: what the player may offer now. The current
// argument is ignored: the tree knows where the learner is.
func (t *Tree) Valid(_ string) Validity {
	v := Validity{Choice: map[string]bool{}, Jump: map[string]bool{}, Items: map[string]Item{}}
	cur := t.current
	if t.ended {
		for _, n := range t.nodes {
			v.Choice[n.ID] = false
			v.Items[n.ID] = Item{Hidden: !n.Visible, Reason: "the course has ended"}
		}
		return v
	}
	if cur != nil {
		_, err := t.navRequest(Request{Kind: Continue})
		v.Continue = err == nil
		if _, err := t.navRequest(Request{Kind: Previous}); err == nil {
			if next, _, err := t.previousRequest(true); err == nil && next != nil {
				v.Previous = t.deliveryRequest(next) == nil
			}
		}
		v.SuspendAll, v.ExitAll, v.AbandonAll = true, true, true
		v.Exit = t.s(cur).Active
		v.Abandon = v.Exit
	}
	for _, n := range t.nodes {
		it := t.item(n)
		v.Items[n.ID] = it
		v.Choice[n.ID] = it.Enabled
		if cur != nil && n.IsLeaf() && t.inTree(n) {
			v.Jump[n.ID] = t.deliveryRequest(n) == nil
		}
	}
	return v
}

// item decides whether a choice of n is valid now, without changing
// anything, and why not.
func (t *Tree) item(n *Node) Item {
	it := Item{Hidden: !n.Visible}
	if !t.inTree(n) {
		return Item{Hidden: true, Reason: "not selected for this attempt"}
	}
	for a := n; a != nil; a = a.Parent {
		if t.preRule(a, "hiddenFromChoice") != "" {
			it.Hidden = true
			break
		}
	}
	if _, err := t.navRequest(Request{Kind: Choice, Target: n.ID}); err != nil {
		it.Reason = reasonOf(err)
		return it
	}
	next, _, err := t.choiceRequest(n, true)
	if err != nil {
		it.Reason = reasonOf(err)
		return it
	}
	if next == nil {
		it.Reason = "nothing can be delivered"
		return it
	}
	if err := t.deliveryRequest(next); err != nil {
		it.Reason = reasonOf(err)
		return it
	}
	it.Enabled = true
	return it
}

func reasonOf(err error) string {
	var r *Refusal
	if errors.As(err, &r) {
		return r.Reason
	}
	return err.Error()
}

// stored is the persisted form of a tree's state.
type stored struct {
	V         int              `json:"v"`
	Seed      uint64           `json:"seed"`
	Draws     uint64           `json:"draws,omitempty"`
	Current   string           `json:"current,omitempty"`
	Suspended string           `json:"suspended,omitempty"`
	Ended     bool             `json:"ended,omitempty"`
	States    map[string]state `json:"states"`
}

// MarshalJSON stores the tree's state (not its definition, which the
// manifest gives, nor the global objectives, which the caller keeps).
func (t *Tree) MarshalJSON() ([]byte, error) {
	st := stored{V: 1, Seed: t.seed, Draws: t.draws, Ended: t.ended, States: make(map[string]state, len(t.nodes))}
	if t.current != nil {
		st.Current = t.current.ID
	}
	if t.suspended != nil {
		st.Suspended = t.suspended.ID
	}
	for _, n := range t.nodes {
		s := t.st[n.index]
		if s.isZero() {
			continue
		}
		st.States[n.ID] = s
	}
	return json.Marshal(st)
}

func (s *state) isZero() bool {
	if s.Active || s.Suspended || s.ProgressStatus || s.AttemptCount > 0 || s.AttemptProgressStatus || s.AmountStatus ||
		s.Order != nil || s.Selected || s.Randomized || s.ContentSetCompletion || s.ContentSetSuccess || s.AttemptAbs != 0 || s.ExitSuspend ||
		s.DirtyObj || s.DirtyPro {
		return false
	}
	for _, o := range s.Obj {
		if o != (Objective{}) {
			return false
		}
	}
	return true
}

// UnmarshalJSON restores a state stored by MarshalJSON onto a tree built
// from the same manifest. Activities the state does not name keep their
// initial state; names the tree does not have are an error.
func (t *Tree) UnmarshalJSON(data []byte) error {
	var st stored
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("seq: stored tree: %w", err)
	}
	if st.V != 1 {
		return fmt.Errorf("seq: stored tree: version %d", st.V)
	}
	var unknown []string
	fresh := make([]state, len(t.nodes))
	for i, n := range t.nodes {
		fresh[i] = t.st[i]
		fresh[i].Obj = make([]Objective, len(n.objs))
		if s, ok := st.States[n.ID]; ok {
			objs := fresh[i].Obj
			copy(objs, s.Obj)
			s.Obj = objs
			for _, k := range s.Order {
				if k < 0 || k >= len(n.Children) {
					return fmt.Errorf("seq: stored tree: activity %q orders a child %d it does not have", n.ID, k)
				}
			}
			fresh[i] = s
		}
	}
	for id := range st.States {
		if t.byID[id] == nil {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("seq: stored tree names activities the course does not have: %s", strings.Join(unknown, ", "))
	}
	resolve := func(id string) (*Node, error) {
		if id == "" {
			return nil, nil
		}
		if n := t.byID[id]; n != nil {
			return n, nil
		}
		return nil, fmt.Errorf("seq: stored tree: no activity %q", id)
	}
	cur, err := resolve(st.Current)
	if err != nil {
		return err
	}
	sus, err := resolve(st.Suspended)
	if err != nil {
		return err
	}
	t.st, t.current, t.suspended, t.ended, t.seed, t.draws = fresh, cur, sus, st.Ended, st.Seed, st.Draws
	return nil
}
