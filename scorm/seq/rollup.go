package seq

import "sort"

// overallRollup is the Overall Rollup Process (RB.1.5): from the activity
// up to the root, roll up measure, completion amount, objective and
// progress.
//
// The parents of activities that read a global objective written by an
// activity on the way roll up too, and their ancestors (what they read
// changed), deepest first together with the path.
func (t *Tree) overallRollup(n *Node) {
	var extra []*Node
	for a := n; a != nil; a = a.Parent {
		for _, id := range a.writes {
			extra = append(extra, t.readers[id]...)
		}
	}
	if len(extra) == 0 {
		for a := n; a != nil; a = a.Parent {
			t.rollupAt(a)
		}
		return
	}
	set := map[*Node]bool{}
	var order []*Node
	for a := n; a != nil; a = a.Parent {
		set[a] = true
		order = append(order, a)
	}
	for _, p := range extra {
		for a := p; a != nil && !set[a] && t.inTree(a); a = a.Parent {
			set[a] = true
			order = append(order, a)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].depth > order[j].depth })
	for _, a := range order {
		t.rollupAt(a)
	}
}

// rollupAt applies the rollup processes at one activity.
func (t *Tree) rollupAt(a *Node) {
	if !a.IsLeaf() {
		t.measureRollup(a)
		t.completionMeasureRollup(a)
	}
	t.objectiveRollup(a)
	t.progressRollup(a)
}

// measureRollup is the Measure Rollup Process (RB.1.1 a).
func (t *Tree) measureRollup(n *Node) {
	var total, counted float64
	valid := false
	for _, c := range t.available(n) {
		if !t.tracked(c) {
			continue
		}
		w := c.Def.RollupRules.ObjectiveMeasureWeight
		counted += w
		if k, m := t.objMeasure(c, 0); k && (!t.s(c).DirtyObj || t.readsGlobal(c, 0, false)) {
			total += m * w
			valid = true
		}
	}
	if !valid || counted <= 0 {
		t.setObjMeasure(n, 0, false, 0)
		return
	}
	t.setObjMeasure(n, 0, true, total/counted)
}

// completionMeasureRollup is the Completion Measure Rollup Process (RB.1.1 b).
func (t *Tree) completionMeasureRollup(n *Node) {
	var total, counted float64
	valid := false
	for _, c := range t.available(n) {
		if !t.tracked(c) {
			continue
		}
		w := 1.0
		if c.Threshold != nil {
			w = c.Threshold.ProgressWeight
		}
		counted += w
		if k, v := t.amount(c); k && !t.s(c).DirtyPro {
			total += v * w
			valid = true
		}
	}
	if !valid || counted <= 0 {
		t.setAmount(n, false, 0)
		return
	}
	t.setAmount(n, true, total/counted)
}

// objectiveRollup picks the objective rollup: by measure (RB.1.2 a), by
// rules (RB.1.2 b) or by the default rules (RB.1.2 c).
func (t *Tree) objectiveRollup(n *Node) {
	d := &n.objs[0]
	if d.SatisfiedByMeasure {
		k, s := t.objStatus(n, 0)
		t.setObjStatus(n, 0, k, s)
		return
	}
	if n.IsLeaf() {
		return // a leaf's status comes from its content
	}
	rules := rulesFor(n, "satisfied", "notSatisfied", defaultSatisfiedRules)
	if t.rollupCheck(n, rules, "notSatisfied") {
		t.setObjStatus(n, 0, true, false)
	}
	if t.rollupCheck(n, rules, "satisfied") {
		t.setObjStatus(n, 0, true, true)
	}
}

// progressRollup picks the activity progress rollup: by measure (RB.1.3 a)
// or by rules (RB.1.3 b, with the defaults).
func (t *Tree) progressRollup(n *Node) {
	if th := n.Threshold; th != nil && th.CompletedByMeasure {
		// A leaf too: its progress measure decides, whatever its SCO
		// said of completion (RTE 4.2.4.1).
		k, v := t.amount(n)
		if !k {
			t.setCompletion(n, false, false)
			return
		}
		t.setCompletion(n, true, v >= th.MinProgressMeasure)
		return
	}
	if n.IsLeaf() {
		return
	}
	rules := rulesFor(n, "completed", "incomplete", defaultCompletedRules)
	if t.rollupCheck(n, rules, "incomplete") {
		t.setCompletion(n, true, false)
	}
	if t.rollupCheck(n, rules, "completed") {
		t.setCompletion(n, true, true)
	}
}
