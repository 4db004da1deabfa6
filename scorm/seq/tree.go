package seq

// The SCORM 2004 activity tree: the sequencing definition of every activity
// (read from the manifest, never changed) and the activity state and tracking
// model of the SN book (changed only by the processes in this package).

import (
	"fmt"
	"time"

	"github.com/lectern/lectern/scorm"
)

// Node is one activity of a Tree.
type Node struct {
	ID, Title  string
	Parent     *Node
	Children   []*Node // as the manifest orders them
	Launchable bool    // a leaf with content to deliver
	Visible    bool    // isvisible
	Def        *scorm.Sequencing
	// Threshold is adlcp:completionThreshold (nil: completion is whatever
	// the content reports).
	Threshold *scorm.CompletionThreshold
	HideLMSUI []string

	index  int // position in Tree.nodes (preorder)
	depth  int // 0 at the root
	objs   []objDef
	writes []string // global objective targets its maps write
}

// objDef is one objective of an activity's sequencing definition.
type objDef struct {
	ID                 string // "" only for a primary objective without objectiveID
	Primary            bool
	SatisfiedByMeasure bool
	MinMeasure         float64
	Maps               []scorm.MapInfo
	ADLMaps            []scorm.ADLMapInfo
}

// IsLeaf reports whether the activity has no children.
func (n *Node) IsLeaf() bool { return len(n.Children) == 0 }

// Objective is the tracking status of one objective (local or global).
// The 4th edition's completion, progress and scores travel only through
// the extended adlseq maps.
type Objective struct {
	ProgressStatus bool    `json:"ps,omitempty"` // satisfaction known
	Satisfied      bool    `json:"s,omitempty"`
	MeasureStatus  bool    `json:"ms,omitempty"`
	Measure        float64 `json:"m,omitempty"`

	CompletionKnown bool     `json:"ck,omitempty"`
	Completed       bool     `json:"c,omitempty"`
	ProgressKnown   bool     `json:"pk,omitempty"`
	Progress        float64  `json:"p,omitempty"`
	Raw             *float64 `json:"raw,omitempty"`
	Min             *float64 `json:"min,omitempty"`
	Max             *float64 `json:"max,omitempty"`
}

// state is the activity state and tracking information of one activity.
type state struct {
	Active    bool `json:"a,omitempty"`
	Suspended bool `json:"su,omitempty"`

	ProgressStatus bool `json:"ap,omitempty"` // activity progress status: an attempt was ever made
	AttemptCount   int  `json:"n,omitempty"`

	AttemptProgressStatus bool    `json:"tp,omitempty"` // completion known
	AttemptCompleted      bool    `json:"tc,omitempty"`
	AmountStatus          bool    `json:"as,omitempty"` // progress measure known
	Amount                float64 `json:"am,omitempty"`

	AttemptAbs  time.Duration `json:"d,omitempty"` // attempt absolute duration reported by content
	ActivityAbs time.Duration `json:"da,omitempty"`

	Obj []Objective `json:"o,omitempty"` // as Node.objs

	// Order is the available children (selection and randomisation), as
	// indices into Node.Children; nil means all, in manifest order.
	Order      []int `json:"or,omitempty"`
	Selected   bool  `json:"sel,omitempty"` // selection done for the current attempt
	Randomized bool  `json:"rnd,omitempty"`

	// Set by content during the current attempt: completion/success
	// reported, so End Attempt does not assume them.
	ContentSetCompletion bool `json:"cc,omitempty"`
	ContentSetSuccess    bool `json:"cs,omitempty"`
	ExitSuspend          bool `json:"xs,omitempty"` // the content's cmi.exit was "suspend"

	// Stale objective (DirtyObj) or progress (DirtyPro) information: it
	// was recorded before the current attempt on the parent began, whose
	// useCurrentAttemptObjectiveInfo / useCurrentAttemptProgressInfo say
	// that rollup uses only what the current attempt recorded. A new
	// attempt on the activity clears them.
	DirtyObj bool `json:"do,omitempty"`
	DirtyPro bool `json:"dp,omitempty"`
}

// Tree is an activity tree with its state: the whole sequencing state of one
// attempt on a course.
type Tree struct {
	Root  *Node
	nodes []*Node
	byID  map[string]*Node

	st        []state
	current   *Node
	suspended *Node
	// Globals are the shared global objectives by target id; the caller
	// scopes them (the learner's across the system, or this attempt's).
	globals map[string]*Objective
	// globalToSystem is the organization's objectivesGlobalToSystem:
	// false scopes global objectives to one attempt on the root, so a
	// new attempt on the root (a retry) starts them afresh.
	globalToSystem bool
	ended          bool // the sequencing session ended
	rolling        bool // rollup is evaluating children's conditions (stale information is unknown)
	// readers are, by global objective target, the parents of the
	// activities whose maps read it: a write rolls them up too.
	readers map[string][]*Node
	seed    uint64
	draws   uint64 // random numbers drawn so far: the next one is a function of seed and draws
}

// Warning is a problem found while building a tree from a manifest; the
// tree still works (the offending part is ignored).
type Warning string

// Build makes the activity tree of an organization. Items without
// sequencing get the defaults; seed fixes the random selection and
// ordering so that a stored tree replays the same way.
func Build(org *scorm.Organization, seed uint64) (*Tree, []Warning) {
	t := &Tree{byID: map[string]*Node{}, globals: map[string]*Objective{}, seed: seed,
		globalToSystem: org.ObjectivesGlobalToSystem}
	var warns []Warning
	warn := func(f string, a ...any) { warns = append(warns, Warning(fmt.Sprintf(f, a...))) }
	root := &Node{ID: org.Identifier, Title: org.Title, Visible: true, Def: org.Sequencing}
	var add func(parent *Node, items []*scorm.Item, depth int)
	t.add(root, warn)
	add = func(parent *Node, items []*scorm.Item, depth int) {
		for _, it := range items {
			if depth > scorm.MaxManifestDepth {
				warn("item %q is nested too deep; ignoring it", it.Identifier)
				continue
			}
			if t.byID[it.Identifier] != nil {
				warn("item identifier %q is used twice; ignoring the second", it.Identifier)
				continue
			}
			n := &Node{ID: it.Identifier, Title: it.Title, Parent: parent, Visible: it.Visible,
				Def: it.Sequencing, Threshold: it.CompletionThreshold}
			if it.Presentation != nil {
				n.HideLMSUI = it.Presentation.HideLMSUI
			}
			parent.Children = append(parent.Children, n)
			t.add(n, warn)
			add(n, it.Children, depth+1)
			n.Launchable = len(n.Children) == 0 && it.Launch != ""
			if len(n.Children) > 0 && it.Launch != "" {
				warn("item %q has children and content; the content is never delivered", it.Identifier)
			}
		}
	}
	add(root, org.Items, 1)
	t.Root = root
	t.st = make([]state, len(t.nodes))
	t.readers = map[string][]*Node{}
	for _, n := range t.nodes {
		if n.Parent != nil {
			n.depth = n.Parent.depth + 1
		}
		t.indexMaps(n)
	}
	for _, n := range t.nodes {
		t.check(n, warn)
		s := &t.st[n.index]
		s.Obj = make([]Objective, len(n.objs))
	}
	// Selection and randomisation happen before the first attempt (SR.1,
	// SR.2): "once" now, "onEachNewAttempt" now and at each new attempt.
	for _, n := range t.nodes {
		t.selectChildren(n)
		t.randomizeChildren(n)
	}
	return t, warns
}

func (t *Tree) add(n *Node, warn func(string, ...any)) {
	if n.Def == nil {
		n.Def = scorm.DefaultSequencing()
	}
	n.index = len(t.nodes)
	t.nodes = append(t.nodes, n)
	t.byID[n.ID] = n
	// Objectives: the primary first (one exists even when the manifest
	// has none), then the others.
	p := objDef{Primary: true, MinMeasure: 1}
	if po := n.Def.PrimaryObjective; po != nil {
		p = objDef{ID: po.ID, Primary: true, SatisfiedByMeasure: po.SatisfiedByMeasure, MinMeasure: po.MinNormalizedMeasure, Maps: po.MapInfo}
	}
	n.objs = append(n.objs, p)
	seen := map[string]bool{p.ID: p.ID != ""}
	for _, o := range n.Def.Objectives {
		if seen[o.ID] {
			warn("activity %q defines objective %q twice; using the first", n.ID, o.ID)
			continue
		}
		seen[o.ID] = true
		n.objs = append(n.objs, objDef{ID: o.ID, SatisfiedByMeasure: o.SatisfiedByMeasure, MinMeasure: o.MinNormalizedMeasure, Maps: o.MapInfo})
	}
	for _, a := range n.Def.ADLObjectives {
		found := false
		for i := range n.objs {
			if n.objs[i].ID == a.ObjectiveID && a.ObjectiveID != "" {
				n.objs[i].ADLMaps = append(n.objs[i].ADLMaps, a.MapInfo...)
				found = true
			}
		}
		if !found {
			warn("activity %q: adlseq:objective %q names no objective of the activity; its maps are ignored", n.ID, a.ObjectiveID)
		}
	}
}

// indexMaps records the global objectives n writes and, for those it
// reads, its parent as a reader.
func (t *Tree) indexMaps(n *Node) {
	seen := map[string]bool{}
	read := map[string]bool{}
	for _, d := range n.objs {
		for _, m := range d.Maps {
			if (m.WriteSatisfiedStatus || m.WriteNormalizedMeasure) && !seen[m.TargetObjectiveID] {
				seen[m.TargetObjectiveID] = true
				n.writes = append(n.writes, m.TargetObjectiveID)
			}
			if m.ReadSatisfiedStatus || m.ReadNormalizedMeasure {
				read[m.TargetObjectiveID] = true
			}
		}
		for _, m := range d.ADLMaps {
			if (m.WriteCompletionStatus || m.WriteProgressMeasure || m.WriteRawScore || m.WriteMinScore || m.WriteMaxScore) && !seen[m.TargetObjectiveID] {
				seen[m.TargetObjectiveID] = true
				n.writes = append(n.writes, m.TargetObjectiveID)
			}
			if m.ReadCompletionStatus || m.ReadProgressMeasure || m.ReadRawScore || m.ReadMinScore || m.ReadMaxScore {
				read[m.TargetObjectiveID] = true
			}
		}
	}
	if n.Parent == nil {
		return
	}
	for id := range read {
		t.readers[id] = append(t.readers[id], n.Parent)
	}
}

// check warns about definitions the engine cannot honour as written.
func (t *Tree) check(n *Node, warn func(string, ...any)) {
	d := n.Def
	if sc := d.RandomizationControls.SelectCount; sc != nil && len(n.Children) > 0 && *sc > len(n.Children) {
		warn("activity %q selects %d children but has %d; all are used", n.ID, *sc, len(n.Children))
	}
	rules := [][]scorm.SequencingRule{d.PreConditionRules, d.ExitConditionRules, d.PostConditionRules}
	for _, rs := range rules {
		for _, r := range rs {
			if r.Action == "" {
				warn("activity %q has a sequencing rule without a known action; it never applies", n.ID)
			}
			for _, c := range r.Conditions {
				if !knownCondition(c.Condition) {
					warn("activity %q has a rule condition %q Lectern does not know; it is never true", n.ID, c.Condition)
				}
				if c.ReferencedObjective != "" && n.objByID(c.ReferencedObjective) < 0 {
					warn("activity %q has a rule that refers to objective %q, which the activity does not define; the primary objective is used", n.ID, c.ReferencedObjective)
				}
			}
		}
	}
	for _, r := range d.RollupRules.Rules {
		if r.Action == "" {
			warn("activity %q has a rollup rule without a known action; it never applies", n.ID)
		}
		for _, c := range r.Conditions {
			if !knownCondition(c.Condition) {
				warn("activity %q has a rollup condition %q Lectern does not know; it is never true", n.ID, c.Condition)
			}
		}
	}
}

func (n *Node) objByID(id string) int {
	for i, o := range n.objs {
		if o.ID == id {
			return i
		}
	}
	return -1
}

// Node returns the activity with an identifier, or nil.
func (t *Tree) Node(id string) *Node { return t.byID[id] }

// Nodes lists every activity, root first, depth first.
func (t *Tree) Nodes() []*Node { return t.nodes }

// Current is the current activity, or nil.
func (t *Tree) Current() *Node { return t.current }

// SuspendedActivity is the activity a suspendAll left, or nil.
func (t *Tree) SuspendedActivity() *Node { return t.suspended }

// Ended reports whether the sequencing session ended.
func (t *Tree) Ended() bool { return t.ended }

func (t *Tree) s(n *Node) *state { return &t.st[n.index] }

// available is the activity's available children, in order.
func (t *Tree) available(n *Node) []*Node {
	s := t.s(n)
	if s.Order == nil {
		return n.Children
	}
	out := make([]*Node, 0, len(s.Order))
	for _, i := range s.Order {
		if i >= 0 && i < len(n.Children) {
			out = append(out, n.Children[i])
		}
	}
	return out
}

// Available lists an activity's available children in delivery order.
func (t *Tree) Available(n *Node) []*Node { return t.available(n) }

// isAvailable reports whether n is in its parent's available children.
func (t *Tree) isAvailable(n *Node) bool {
	if n.Parent == nil {
		return true
	}
	s := t.s(n.Parent)
	if s.Order == nil {
		return true
	}
	for _, i := range s.Order {
		if i < len(n.Parent.Children) && n.Parent.Children[i] == n {
			return true
		}
	}
	return false
}

// inTree reports whether n is reachable through available children.
func (t *Tree) inTree(n *Node) bool {
	for ; n != nil; n = n.Parent {
		if !t.isAvailable(n) {
			return false
		}
	}
	return true
}

// intn draws a number in [0, n): splitmix64 of the seed and the count of
// draws, so that a stored tree (seed and count) continues the same sequence.
func (t *Tree) intn(n int) int {
	t.draws++
	z := t.seed + t.draws*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return int(z % uint64(n))
}

// selectChildren is the Select Children Process (SR.1).
func (t *Tree) selectChildren(n *Node) {
	s := t.s(n)
	rc := n.Def.RandomizationControls
	if len(n.Children) == 0 || s.Active || s.Suspended || rc.SelectCount == nil {
		return
	}
	switch rc.SelectionTiming {
	case "once":
		if s.ProgressStatus || s.Selected {
			return
		}
	case "onEachNewAttempt":
	default:
		return
	}
	k := *rc.SelectCount
	if k < 0 || k >= len(n.Children) {
		s.Selected = true
		return
	}
	// Pick k children at random, keep the manifest's order among them.
	pick := make([]bool, len(n.Children))
	for c := 0; c < k; {
		i := t.intn(len(n.Children))
		if !pick[i] {
			pick[i] = true
			c++
		}
	}
	order := make([]int, 0, k)
	for i, p := range pick {
		if p {
			order = append(order, i)
		}
	}
	s.Order, s.Selected = order, true
}

// randomizeChildren is the Randomize Children Process (SR.2).
func (t *Tree) randomizeChildren(n *Node) {
	s := t.s(n)
	rc := n.Def.RandomizationControls
	if len(n.Children) == 0 || s.Active || s.Suspended || !rc.ReorderChildren {
		return
	}
	switch rc.RandomizationTiming {
	case "once":
		if s.ProgressStatus || s.Randomized {
			return
		}
	case "onEachNewAttempt":
	default:
		return
	}
	order := s.Order
	if order == nil {
		order = make([]int, len(n.Children))
		for i := range order {
			order[i] = i
		}
	} else {
		order = append([]int(nil), order...)
	}
	for i := len(order) - 1; i > 0; i-- {
		j := t.intn(i + 1)
		order[i], order[j] = order[j], order[i]
	}
	s.Order, s.Randomized = order, true
}

// snapshot is a copy of the whole mutable state.
type snapshot struct {
	st                 []state
	current, suspended *Node
	globals            map[string]Objective
	ended              bool
	draws              uint64
}

func (t *Tree) save() snapshot {
	sn := snapshot{st: make([]state, len(t.st)), current: t.current, suspended: t.suspended, ended: t.ended, draws: t.draws,
		globals: make(map[string]Objective, len(t.globals))}
	for i, s := range t.st {
		sn.st[i] = s
		sn.st[i].Obj = append([]Objective(nil), s.Obj...)
		if s.Order != nil {
			sn.st[i].Order = append([]int(nil), s.Order...)
		}
	}
	for k, v := range t.globals {
		sn.globals[k] = *v
	}
	return sn
}

func (t *Tree) restore(sn snapshot) {
	t.st, t.current, t.suspended, t.ended = sn.st, sn.current, sn.suspended, sn.ended
	t.globals = make(map[string]*Objective, len(sn.globals))
	for k, v := range sn.globals {
		v := v
		t.globals[k] = &v
	}
	t.draws = sn.draws
}
