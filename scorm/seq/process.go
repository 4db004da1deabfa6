package seq

// The sequencing processes of the SCORM 2004 4th Edition SN book: the
// overall sequencing process (OP.1) and the navigation (NB), termination
// (TB), sequencing (SB) and delivery (DB) behaviours it calls, with the
// utility processes (UP). Codes such as "SB.2.9-7" are the book's
// exception codes; they travel in a Refusal so a refused request can be
// explained.

import (
	"errors"
	"fmt"
)

// Refusal is a navigation request the engine turned down: nothing changed.
type Refusal struct {
	Code   string // the SN book's exception code, e.g. "NB.2.1-10"
	Reason string // in plain words
}

func (r *Refusal) Error() string { return fmt.Sprintf("%s (%s)", r.Reason, r.Code) }
func (r *Refusal) Unwrap() error { return ErrNotAllowed }

func refuse(code, format string, args ...any) *Refusal {
	return &Refusal{Code: code, Reason: fmt.Sprintf(format, args...)}
}

// Navigate is the Overall Sequencing Process (OP.1) for one navigation
// request. A refused request returns a *Refusal and leaves the tree exactly
// as it was. The current argument is ignored: the tree knows where the
// learner is.
func (t *Tree) Navigate(_ string, req Request) (Decision, error) {
	before := t.save()
	d, err := t.navigate(req)
	if err != nil {
		t.restore(before)
		return Decision{}, err
	}
	return d, nil
}

func (t *Tree) navigate(req Request) (Decision, error) {
	if t.ended && req.Kind != Start && req.Kind != ResumeAll {
		return Decision{}, refuse("NB.2.1-2", "the sequencing session has ended")
	}
	nr, err := t.navRequest(req)
	if err != nil {
		return Decision{}, err
	}
	seqReq, target := nr.seq, nr.target
	if nr.term != "" {
		next, err := t.termination(nr.term)
		if err != nil {
			return Decision{}, err
		}
		if next != "" {
			seqReq, target = next, nil
		}
	}
	if seqReq == "" {
		return Decision{}, nil
	}
	deliver, end, err := t.sequencing(seqReq, target)
	var nothing *deliveredNothing
	if errors.As(err, &nothing) {
		return Decision{}, nil // attempts ended, nothing to deliver: the session goes on
	}
	if err != nil {
		return Decision{}, err
	}
	if end {
		// Walking off the end of the tree ends the attempts still open
		// (SB.2.1 3.1); after an exit of the root they are already ended.
		if t.current != nil {
			t.terminateDescendentAttempts(t.Root)
			if t.s(t.Root).Active {
				t.endAttempt(t.Root)
			}
			t.current = t.Root
		}
		t.ended = true
		return Decision{End: true, Suspend: t.suspended != nil}, nil
	}
	if deliver == nil {
		return Decision{}, nil
	}
	if err := t.deliveryRequest(deliver); err != nil {
		return Decision{}, err
	}
	if err := t.contentDelivery(deliver); err != nil {
		return Decision{}, err
	}
	return Decision{Deliver: deliver.ID}, nil
}

type navResult struct {
	term, seq string
	target    *Node
}

// navRequest is the Navigation Request Process (NB.2.1).
func (t *Tree) navRequest(req Request) (navResult, error) {
	cur := t.current
	active := cur != nil && t.s(cur).Active
	exitIfActive := ""
	if active {
		exitIfActive = "exit"
	}
	switch req.Kind {
	case Start:
		if cur != nil {
			return navResult{}, refuse("NB.2.1-1", "the course has already started")
		}
		return navResult{seq: "start"}, nil
	case ResumeAll:
		if cur != nil {
			return navResult{}, refuse("NB.2.1-1", "the course has already started")
		}
		if t.suspended == nil {
			return navResult{}, refuse("NB.2.1-3", "there is no suspended attempt to resume")
		}
		return navResult{seq: "resumeAll"}, nil
	case Continue:
		if cur == nil {
			return navResult{}, refuse("NB.2.1-2", "nothing has been started yet")
		}
		if cur.Parent == nil || !cur.Parent.Def.ControlMode.Flow {
			return navResult{}, refuse("NB.2.1-4", "this course does not let you move on with Continue here (flow is off)")
		}
		return navResult{term: exitIfActive, seq: "continue"}, nil
	case Previous:
		if cur == nil {
			return navResult{}, refuse("NB.2.1-2", "nothing has been started yet")
		}
		if cur.Parent == nil {
			return navResult{}, refuse("NB.2.1-6", "there is nothing before the course itself")
		}
		if !cur.Parent.Def.ControlMode.Flow || cur.Parent.Def.ControlMode.ForwardOnly {
			return navResult{}, refuse("NB.2.1-5", "this part of the course only goes forward")
		}
		return navResult{term: exitIfActive, seq: "previous"}, nil
	case Choice:
		target := t.byID[req.Target]
		if target == nil || !t.inTree(target) {
			return navResult{}, refuse("NB.2.1-11", "there is no activity %q", req.Target)
		}
		if target.Parent != nil && !target.Parent.Def.ControlMode.Choice {
			return navResult{}, refuse("NB.2.1-10", "%q cannot be chosen: its part of the course must be taken in order", target.Title)
		}
		if cur != nil {
			if a := t.noChoiceExit(cur, target); a != nil {
				return navResult{}, refuse("NB.2.1-8", "you cannot leave %q before it is finished", a.Title)
			}
		}
		return navResult{term: exitIfActive, seq: "choice", target: target}, nil
	case Jump:
		target := t.byID[req.Target]
		if target == nil || !t.inTree(target) {
			return navResult{}, refuse("NB.2.1-11", "there is no activity %q", req.Target)
		}
		if cur == nil {
			return navResult{}, refuse("NB.2.1-2", "nothing has been started yet")
		}
		return navResult{term: exitIfActive, seq: "jump", target: target}, nil
	case Exit, Abandon:
		if cur == nil {
			return navResult{}, refuse("NB.2.1-2", "nothing has been started yet")
		}
		if !active {
			return navResult{}, refuse("NB.2.1-12", "the current activity has already ended")
		}
		if req.Kind == Exit {
			return navResult{term: "exit", seq: "exit"}, nil
		}
		return navResult{term: "abandon", seq: "exit"}, nil
	case ExitAll, SuspendAll, AbandonAll:
		if cur == nil {
			return navResult{}, refuse("NB.2.1-2", "nothing has been started yet")
		}
		return navResult{term: req.Kind, seq: "exit"}, nil
	}
	return navResult{}, refuse("NB.2.1-13", "unknown navigation request %q", req.Kind)
}

// noChoiceExit finds an active activity on the path from cur up to the
// common ancestor with target (exclusive) that forbids leaving by choice.
// Choosing the current activity again ends its attempt too.
func (t *Tree) noChoiceExit(cur, target *Node) *Node {
	common := commonAncestor(cur, target)
	if target == cur {
		common = cur.Parent
	}
	for a := cur; a != nil && a != common; a = a.Parent {
		if t.s(a).Active && !a.Def.ControlMode.ChoiceExit {
			return a
		}
	}
	return nil
}

// termination is the Termination Request Process (TB.2.3). It returns the
// sequencing request that replaces the pending one, if any.
func (t *Tree) termination(kind string) (string, error) {
	cur := t.current
	if cur == nil {
		return "", refuse("TB.2.3-1", "nothing is running")
	}
	if (kind == "exit" || kind == "abandon") && !t.s(cur).Active {
		return "", refuse("TB.2.3-2", "the current activity has already ended")
	}
	switch kind {
	case "exit":
		t.endAttempt(cur)
		t.exitActionRules()
		for {
			term, seqReq := t.postConditionRules()
			switch term {
			case "exitAll":
				next, err := t.termination("exitAll")
				if err == nil && seqReq == "retry" {
					next = "retry" // retryAll: a new attempt on the whole course
				}
				return next, err
			case "exitParent":
				if t.current.Parent == nil {
					return "", refuse("TB.2.3-4", "the course itself has no parent to exit to")
				}
				t.current = t.current.Parent
				t.endAttempt(t.current)
				continue
			}
			if t.current.Parent == nil && seqReq != "retry" {
				return "exit", nil
			}
			return seqReq, nil
		}
	case "exitAll":
		// Exit All ends every attempt, the course's too: the content's
		// cmi.exit "suspend" leaves nothing to resume (the next session
		// starts the activities afresh, as after any ended attempt).
		cs := t.s(cur)
		cs.ExitSuspend = false
		if cs.Active {
			t.endAttempt(cur)
		} else if cur.IsLeaf() && cs.Suspended {
			cs.Suspended = false
			t.overallRollup(cur)
		}
		t.terminateDescendentAttempts(t.Root)
		t.endAttempt(t.Root)
		t.current = t.Root
		return "exit", nil
	case "suspendAll":
		s := t.s(cur)
		if s.Active || s.Suspended {
			t.overallRollup(cur)
			t.suspended = cur
		} else {
			if cur.Parent == nil {
				return "", refuse("TB.2.3-3", "there is nothing to suspend")
			}
			t.suspended = cur.Parent
		}
		for a := t.suspended; a != nil; a = a.Parent {
			as := t.s(a)
			as.Active, as.Suspended = false, true
		}
		t.current = t.Root
		return "exit", nil
	case "abandon":
		t.discardReported(cur)
		t.s(cur).Active = false
		return "", nil
	case "abandonAll":
		t.discardReported(cur)
		for a := cur; a != nil; a = a.Parent {
			t.s(a).Active = false
		}
		t.current = t.Root
		return "exit", nil
	}
	return "", refuse("TB.2.3-7", "unknown termination request %q", kind)
}

// discardReported forgets what the content of an abandoned activity
// reported in this attempt: its completion, satisfaction and measure are
// unknown again (also in the global objectives it writes), as in the ADL
// reference implementation.
func (t *Tree) discardReported(n *Node) {
	if !t.tracked(n) {
		return
	}
	t.setCompletion(n, false, false)
	t.setObjMeasure(n, 0, false, 0)
	t.setObjStatus(n, 0, false, false)
}

// exitActionRules is the Sequencing Exit Action Rules Subprocess (TB.2.1).
func (t *Tree) exitActionRules() {
	var path []*Node
	for a := t.current.Parent; a != nil; a = a.Parent {
		path = append([]*Node{a}, path...)
	}
	for _, a := range path {
		if t.ruleAction(a, a.Def.ExitConditionRules, "exit") != "" {
			t.terminateDescendentAttempts(a)
			t.endAttempt(a)
			t.current = a
			return
		}
	}
}

// postConditionRules is the Sequencing Post Condition Rules Subprocess
// (TB.2.2): a termination request and a sequencing request.
func (t *Tree) postConditionRules() (term, seqReq string) {
	cur := t.current
	if t.s(cur).Suspended {
		return "", ""
	}
	switch a := t.ruleAction(cur, cur.Def.PostConditionRules, "exitParent", "exitAll", "retry", "retryAll", "continue", "previous"); a {
	case "retry", "continue", "previous":
		return "", a
	case "exitParent", "exitAll":
		return a, ""
	case "retryAll":
		return "exitAll", "retry"
	}
	return "", ""
}

// endAttempt is the End Attempt Process (UP.4).
func (t *Tree) endAttempt(n *Node) {
	s := t.s(n)
	if n.IsLeaf() {
		if s.ExitSuspend {
			s.Suspended = true
		}
		if t.tracked(n) && !s.Suspended {
			if !n.Def.DeliveryControls.CompletionSetByContent && !s.ContentSetCompletion {
				if k, _ := t.completion(n); !k {
					t.setCompletion(n, true, true)
				}
			}
			if !n.Def.DeliveryControls.ObjectiveSetByContent && !s.ContentSetSuccess {
				if k, _ := t.objStatus(n, 0); !k {
					t.setObjStatus(n, 0, true, true)
				}
			}
		}
	} else {
		s.Suspended = false
		for _, c := range t.available(n) {
			if t.s(c).Suspended {
				s.Suspended = true
				break
			}
		}
	}
	s.Active = false
	if !n.IsLeaf() && !s.Suspended {
		// Selection and randomisation "on each new attempt" prepare the
		// next attempt now, as the ADL reference does.
		if n.Def.RandomizationControls.SelectionTiming == "onEachNewAttempt" {
			t.selectChildren(n)
		}
		if n.Def.RandomizationControls.RandomizationTiming == "onEachNewAttempt" {
			t.randomizeChildren(n)
		}
	}
	t.overallRollup(n)
}

// terminateDescendentAttempts is the Terminate Descendent Attempts
// Process (UP.3): ends the attempts from the current activity up to the
// common ancestor with n, exclusive.
func (t *Tree) terminateDescendentAttempts(n *Node) {
	if t.current == nil {
		return
	}
	common := commonAncestor(t.current, n)
	for a := t.current; a != nil && a != common; a = a.Parent {
		t.endAttempt(a)
	}
}

func commonAncestor(a, b *Node) *Node {
	seen := map[*Node]bool{}
	for x := a; x != nil; x = x.Parent {
		seen[x] = true
	}
	for y := b; y != nil; y = y.Parent {
		if seen[y] {
			return y
		}
	}
	return nil
}

func isAncestor(a, n *Node) bool { // a is n or above n
	for x := n; x != nil; x = x.Parent {
		if x == a {
			return true
		}
	}
	return false
}

// sequencing is the Sequencing Request Process (SB.2.12).
func (t *Tree) sequencing(kind string, target *Node) (deliver *Node, end bool, err error) {
	switch kind {
	case "start":
		return t.startRequest(false)
	case "resumeAll":
		if t.current != nil {
			return nil, false, refuse("SB.2.6-1", "the course has already started")
		}
		if t.suspended == nil {
			return nil, false, refuse("SB.2.6-2", "there is no suspended attempt to resume")
		}
		return t.suspended, false, nil
	case "continue":
		return t.continueRequest(false)
	case "previous":
		return t.previousRequest(false)
	case "exit":
		cur := t.current
		if cur == nil {
			return nil, false, refuse("SB.2.11-1", "nothing is running")
		}
		if t.s(cur).Active {
			return nil, false, refuse("SB.2.11-2", "the current activity is still running")
		}
		if cur.Parent == nil {
			return nil, true, nil
		}
		return nil, false, nil
	case "retry":
		cur := t.current
		if cur == nil {
			return nil, false, refuse("SB.2.10-1", "nothing is running")
		}
		if s := t.s(cur); s.Active || s.Suspended {
			return nil, false, refuse("SB.2.10-2", "the current activity is still running")
		}
		if cur == t.Root && !t.globalToSystem {
			// Global objectives scoped to the attempt on the activity
			// tree (objectivesGlobalToSystem="false") belong to the
			// attempt that has just ended: the retry's rules, and the
			// new attempt, see them unknown.
			for _, g := range t.globals {
				*g = Objective{}
			}
		}
		if !cur.IsLeaf() {
			ok, next, _, err := t.flow(cur, forward, true, false)
			if !ok {
				if err == nil {
					err = refuse("SB.2.10-3", "%q has nothing that can be delivered again", cur.Title)
				}
				return nil, false, err
			}
			return next, false, nil
		}
		return cur, false, nil
	case "choice":
		return t.choiceRequest(target, false)
	case "jump":
		if t.current == nil {
			return nil, false, refuse("SB.2.13-1", "nothing has been started yet")
		}
		return target, false, nil
	}
	return nil, false, refuse("SB.2.12-1", "unknown sequencing request %q", kind)
}

// startRequest is the Start Sequencing Request Process (SB.2.5).
func (t *Tree) startRequest(dry bool) (*Node, bool, error) {
	if t.current != nil {
		return nil, false, refuse("SB.2.5-1", "the course has already started")
	}
	if t.Root.IsLeaf() {
		return t.Root, false, nil
	}
	ok, next, end, err := t.flow(t.Root, forward, true, dry)
	if !ok {
		if err == nil && !end {
			err = refuse("SB.2.5-2", "nothing in this course can be started")
		}
		return nil, end, err
	}
	return next, false, nil
}

// continueRequest is the Continue Sequencing Request Process (SB.2.7).
func (t *Tree) continueRequest(dry bool) (*Node, bool, error) {
	cur := t.current
	if cur == nil {
		return nil, false, refuse("SB.2.7-1", "nothing has been started yet")
	}
	if cur.Parent != nil && !cur.Parent.Def.ControlMode.Flow {
		return nil, false, refuse("SB.2.7-2", "this course does not let you move on with Continue here (flow is off)")
	}
	ok, next, end, err := t.flow(cur, forward, false, dry)
	if !ok {
		return nil, end, err
	}
	return next, false, nil
}

// previousRequest is the Previous Sequencing Request Process (SB.2.8).
func (t *Tree) previousRequest(dry bool) (*Node, bool, error) {
	cur := t.current
	if cur == nil {
		return nil, false, refuse("SB.2.8-1", "nothing has been started yet")
	}
	if cur.Parent != nil && !cur.Parent.Def.ControlMode.Flow {
		return nil, false, refuse("SB.2.8-2", "this course does not let you go back here (flow is off)")
	}
	ok, next, _, err := t.flow(cur, backward, false, dry)
	if !ok {
		if err == nil {
			err = refuse("SB.2.1-3", "there is nothing before this activity")
		}
		return nil, false, err
	}
	return next, false, nil
}

type direction int8

const (
	forward direction = iota + 1
	backward
)

// flowTree is the Flow Tree Traversal Subprocess (SB.2.1). It returns the
// next activity and the direction used, or end (walked off the end of the
// tree), or an error.
func (t *Tree) flowTree(n *Node, dir direction, considerChildren bool, prevDir direction) (*Node, direction, bool, error) {
	reversed := false
	if prevDir == backward && n.Parent != nil {
		sib := t.available(n.Parent)
		if len(sib) > 0 && sib[len(sib)-1] == n {
			dir, n, reversed = backward, sib[0], true
		}
	}
	if dir == forward {
		if t.lastInPreorder(n) || (n.Parent == nil && !considerChildren) {
			return nil, dir, true, nil
		}
		if n.IsLeaf() || !considerChildren {
			sib := t.available(n.Parent)
			i := indexOf(sib, n)
			if i < 0 || i == len(sib)-1 {
				return t.flowTree(n.Parent, forward, false, 0)
			}
			return sib[i+1], forward, false, nil
		}
		kids := t.available(n)
		if len(kids) == 0 {
			return nil, dir, false, refuse("SB.2.1-2", "%q has no activities to deliver", n.Title)
		}
		return kids[0], forward, false, nil
	}
	if n.Parent == nil {
		return nil, dir, false, refuse("SB.2.1-3", "there is nothing before this activity")
	}
	if n.IsLeaf() || !considerChildren {
		if !reversed && n.Parent.Def.ControlMode.ForwardOnly {
			return nil, dir, false, refuse("SB.2.1-4", "%q can only be taken forward", n.Parent.Title)
		}
		sib := t.available(n.Parent)
		i := indexOf(sib, n)
		if i <= 0 {
			return t.flowTree(n.Parent, backward, false, 0)
		}
		return sib[i-1], backward, false, nil
	}
	kids := t.available(n)
	if len(kids) == 0 {
		return nil, dir, false, refuse("SB.2.1-2", "%q has no activities to deliver", n.Title)
	}
	if n.Def.ControlMode.ForwardOnly {
		return kids[0], forward, false, nil
	}
	return kids[len(kids)-1], backward, false, nil
}

func indexOf(list []*Node, n *Node) int {
	for i, x := range list {
		if x == n {
			return i
		}
	}
	return -1
}

// lastInPreorder reports whether n is the last activity of a forward
// preorder traversal of the available tree.
func (t *Tree) lastInPreorder(n *Node) bool {
	if kids := t.available(n); len(kids) > 0 {
		return false
	}
	for a := n; a.Parent != nil; a = a.Parent {
		sib := t.available(a.Parent)
		if len(sib) == 0 || sib[len(sib)-1] != a {
			return false
		}
	}
	return true
}

// flowActivity is the Flow Activity Traversal Subprocess (SB.2.2).
func (t *Tree) flowActivity(n *Node, dir, prevDir direction, depth int) (bool, *Node, bool, error) {
	if depth > 4*len(t.nodes)+8 {
		return false, n, false, refuse("SB.2.2-1", "the course's rules make it loop")
	}
	if n.Parent != nil && !n.Parent.Def.ControlMode.Flow {
		return false, n, false, refuse("SB.2.2-1", "%q cannot be entered by Continue or Previous (flow is off)", n.Parent.Title)
	}
	if t.preRule(n, "skip") != "" {
		next, d, end, err := t.flowTree(n, dir, false, prevDir)
		if next == nil {
			return false, n, end, err
		}
		if prevDir == backward && d == backward {
			return t.flowActivity(next, d, 0, depth+1)
		}
		return t.flowActivity(next, d, prevDir, depth+1)
	}
	if bad, why := t.checkActivity(n); bad {
		return false, n, false, refuse("SB.2.2-2", "%q is not available: %s", n.Title, why)
	}
	if !n.IsLeaf() {
		next, d, end, err := t.flowTree(n, dir, true, 0)
		if next == nil {
			return false, n, end, err
		}
		if dir == backward && d == forward {
			return t.flowActivity(next, forward, backward, depth+1)
		}
		return t.flowActivity(next, dir, 0, depth+1)
	}
	return true, n, false, nil
}

// flow is the Flow Subprocess (SB.2.3). dry is accepted for symmetry: flow
// changes nothing.
func (t *Tree) flow(n *Node, dir direction, considerChildren bool, _ bool) (bool, *Node, bool, error) {
	next, d, end, err := t.flowTree(n, dir, considerChildren, 0)
	if next == nil {
		return false, n, end, err
	}
	_ = d
	return t.flowActivity(next, dir, 0, 0)
}

// choiceTraversal is the Choice Activity Traversal Subprocess (SB.2.4).
func (t *Tree) choiceTraversal(n *Node, dir direction) error {
	if dir == forward {
		if t.preRule(n, "stopForwardTraversal") != "" {
			return refuse("SB.2.4-1", "%q cannot be passed yet", n.Title)
		}
		return nil
	}
	if n.Parent == nil {
		return refuse("SB.2.4-3", "there is nothing before the course itself")
	}
	if n.Parent.Def.ControlMode.ForwardOnly {
		return refuse("SB.2.4-2", "%q can only be taken forward", n.Parent.Title)
	}
	return nil
}

// choiceFlowTree is the Choice Flow Tree Traversal Subprocess (SB.2.9.2).
func (t *Tree) choiceFlowTree(n *Node, dir direction) *Node {
	if n.Parent == nil {
		return nil
	}
	sib := t.available(n.Parent)
	i := indexOf(sib, n)
	if dir == forward {
		if t.lastInPreorder(n) {
			return nil
		}
		if i < 0 || i == len(sib)-1 {
			return t.choiceFlowTree(n.Parent, forward)
		}
		return sib[i+1]
	}
	if i <= 0 {
		return t.choiceFlowTree(n.Parent, backward)
	}
	return sib[i-1]
}

// choiceFlow is the Choice Flow Subprocess (SB.2.9.1).
func (t *Tree) choiceFlow(n *Node, dir direction) *Node {
	if next := t.choiceFlowTree(n, dir); next != nil {
		return next
	}
	return n
}

// before reports whether a comes before b in a preorder traversal.
func (t *Tree) before(a, b *Node) bool { return a.index < b.index }

// choiceRequest is the Choice Sequencing Request Process (SB.2.9). With
// dry it only checks (for the outline and adl.nav.request_valid).
func (t *Tree) choiceRequest(target *Node, dry bool) (*Node, bool, error) {
	if target == nil {
		return nil, false, refuse("SB.2.9-1", "there is no such activity")
	}
	var path []*Node // root to target
	for a := target; a != nil; a = a.Parent {
		path = append([]*Node{a}, path...)
	}
	for _, a := range path {
		if a.Parent != nil && !t.isAvailable(a) {
			return nil, false, refuse("SB.2.9-2", "%q is not part of this attempt", a.Title)
		}
	}
	for _, a := range path {
		if t.preRule(a, "hiddenFromChoice") != "" {
			return nil, false, refuse("SB.2.9-3", "%q cannot be chosen now (hidden by a sequencing rule)", a.Title)
		}
	}
	if target.Parent != nil && !target.Parent.Def.ControlMode.Choice {
		return nil, false, refuse("SB.2.9-4", "%q cannot be chosen: its part of the course must be taken in order", target.Title)
	}
	cur := t.current
	common := t.Root
	if cur != nil {
		common = commonAncestor(cur, target)
	}
	switch {
	case cur == target:
		// Nothing to check.
	case cur != nil && cur.Parent == target.Parent:
		sib := t.available(cur.Parent)
		i, j := indexOf(sib, cur), indexOf(sib, target)
		if i < 0 || j < 0 {
			return nil, false, refuse("SB.2.9-5", "%q cannot be reached from here", target.Title)
		}
		if j > i {
			for _, a := range sib[i:j] {
				if err := t.choiceTraversal(a, forward); err != nil {
					return nil, false, err
				}
			}
		} else {
			for k := i; k > j; k-- {
				if err := t.choiceTraversal(sib[k], backward); err != nil {
					return nil, false, err
				}
			}
		}
	case cur == nil || cur == common:
		// The target is below the current activity (or nothing runs):
		// from the common ancestor down to the target.
		var down []*Node
		for a := target; a != nil && a != common; a = a.Parent {
			down = append([]*Node{a}, down...)
		}
		if cur != nil && len(down) == 0 {
			return nil, false, refuse("SB.2.9-5", "%q cannot be reached from here", target.Title)
		}
		for i, a := range down {
			if i < len(down)-1 {
				if err := t.choiceTraversal(a, forward); err != nil {
					return nil, false, err
				}
			}
			if !t.s(a).Active && a != common && a.Def.ConstrainedChoiceConsiderations.PreventActivation {
				return nil, false, refuse("SB.2.9-6", "%q must be started from its beginning", a.Title)
			}
		}
	case target == common:
		// The target is above the current activity.
		for a := cur; a != nil && a != target; a = a.Parent {
			if !a.Def.ControlMode.ChoiceExit && t.s(a).Active {
				return nil, false, refuse("SB.2.9-7", "you cannot leave %q before it is finished", a.Title)
			}
		}
	default:
		var constrained *Node
		for a := cur; a != nil && a != common; a = a.Parent {
			if !a.Def.ControlMode.ChoiceExit && t.s(a).Active {
				return nil, false, refuse("SB.2.9-7", "you cannot leave %q before it is finished", a.Title)
			}
			// Constrain choice governs the choices among an activity's
			// descendants: a leaf's (the current activity's) has none.
			if constrained == nil && !a.IsLeaf() && a.Def.ConstrainedChoiceConsiderations.ConstrainChoice {
				constrained = a
			}
		}
		if constrained != nil {
			dir := backward
			if t.before(constrained, target) {
				dir = forward
			}
			consider := t.choiceFlow(constrained, dir)
			if !isAncestor(consider, target) && target != consider && target != constrained {
				return nil, false, refuse("SB.2.9-8", "%q is out of order: only the next or previous part may be chosen", target.Title)
			}
		}
		var down []*Node // from the common ancestor (exclusive) to the target
		for a := target; a != nil && a != common; a = a.Parent {
			down = append([]*Node{a}, down...)
		}
		if len(down) == 0 {
			return nil, false, refuse("SB.2.9-5", "%q cannot be reached from here", target.Title)
		}
		if t.before(cur, target) {
			for i, a := range down {
				if i < len(down)-1 {
					if err := t.choiceTraversal(a, forward); err != nil {
						return nil, false, err
					}
				}
				if !t.s(a).Active && a != common && a.Def.ConstrainedChoiceConsiderations.PreventActivation {
					return nil, false, refuse("SB.2.9-6", "%q must be started from its beginning", a.Title)
				}
			}
		} else {
			for _, a := range down {
				if !t.s(a).Active && a != common && a.Def.ConstrainedChoiceConsiderations.PreventActivation {
					return nil, false, refuse("SB.2.9-6", "%q must be started from its beginning", a.Title)
				}
			}
		}
	}
	if target.IsLeaf() {
		return target, false, nil
	}
	ok, next, end, err := t.flow(target, forward, true, dry)
	if !ok {
		if end {
			// Walking off the tree from a chosen cluster delivers nothing.
			err = nil
		}
		if !dry {
			t.terminateDescendentAttempts(common)
			t.endAttempt(common)
			t.current = target
			// The book ends with SB.2.9-9: nothing to deliver. The
			// tree keeps the ended attempts; the refusal is reported.
			return nil, false, &deliveredNothing{refuse("SB.2.9-9", "%q has nothing that can be delivered now", target.Title)}
		}
		if err == nil {
			err = refuse("SB.2.9-9", "%q has nothing that can be delivered now", target.Title)
		}
		return nil, false, err
	}
	return next, false, nil
}

// deliveredNothing is a choice that ended attempts but found nothing to
// deliver: the state change stays (SB.2.9 step 15).
type deliveredNothing struct{ *Refusal }

// deliveryRequest is the Delivery Request Process (DB.1.1).
func (t *Tree) deliveryRequest(n *Node) error {
	if !n.IsLeaf() {
		return refuse("DB.1.1-1", "%q is not something that can be delivered", n.Title)
	}
	for a := n; a != nil; a = a.Parent {
		if bad, why := t.checkActivity(a); bad {
			return refuse("DB.1.1-3", "%q is not available: %s", a.Title, why)
		}
	}
	return nil
}

// contentDelivery is the Content Delivery Environment Process (DB.2).
func (t *Tree) contentDelivery(n *Node) error {
	if t.current != nil && t.s(t.current).Active {
		return refuse("DB.2-1", "the current activity is still running")
	}
	if n != t.suspended {
		t.clearSuspended(n)
	}
	t.terminateDescendentAttempts(n)
	var path []*Node
	for a := n; a != nil; a = a.Parent {
		path = append([]*Node{a}, path...)
	}
	for _, a := range path {
		s := t.s(a)
		if s.Active {
			continue
		}
		if s.Suspended {
			s.Suspended, s.ExitSuspend = false, false
		} else if t.tracked(a) {
			s.AttemptCount++
			if s.AttemptCount == 1 {
				s.ProgressStatus = true
			}
			t.newAttempt(a)
		}
		s.Active = true
	}
	t.current, t.suspended, t.ended = n, nil, false
	return nil
}

// newAttempt resets the attempt's objective and progress information.
func (t *Tree) newAttempt(n *Node) {
	s := t.s(n)
	s.AttemptProgressStatus, s.AttemptCompleted = false, false
	s.AmountStatus, s.Amount = false, 0
	s.AttemptAbs = 0
	s.ContentSetCompletion, s.ContentSetSuccess, s.ExitSuspend = false, false, false
	s.DirtyObj, s.DirtyPro = false, false
	for i := range s.Obj {
		s.Obj[i] = Objective{}
	}
	t.markStale(n)
}

// markStale marks what n's descendants recorded before this attempt on n
// as stale, as n's control modes (and theirs, further down) say.
func (t *Tree) markStale(n *Node) {
	cm := n.Def.ControlMode
	if !cm.UseCurrentAttemptObjectiveInfo && !cm.UseCurrentAttemptProgressInfo {
		return
	}
	for _, c := range t.available(n) {
		// Only what an earlier attempt recorded is stale: a child never
		// attempted has nothing of its own (what it reads from global
		// objectives stays current).
		if cs := t.s(c); cs.AttemptCount > 0 {
			if cm.UseCurrentAttemptObjectiveInfo {
				cs.DirtyObj = true
			}
			if cm.UseCurrentAttemptProgressInfo {
				cs.DirtyPro = true
			}
		}
		t.markStale(c)
	}
}

// clearSuspended is the Clear Suspended Activity Subprocess (DB.2.1).
func (t *Tree) clearSuspended(n *Node) {
	if t.suspended == nil {
		return
	}
	common := commonAncestor(n, t.suspended)
	for a := t.suspended; a != nil; a = a.Parent {
		s := t.s(a)
		if a.IsLeaf() {
			s.Suspended = false
		} else {
			any := false
			for _, c := range t.available(a) {
				any = any || t.s(c).Suspended
			}
			if !any {
				s.Suspended = false
			}
		}
		if a == common {
			break
		}
	}
	t.suspended = nil
}

// IsRefusal reports whether err is a refused navigation request.
func IsRefusal(err error) bool {
	var r *Refusal
	return errors.As(err, &r)
}
