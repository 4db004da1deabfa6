package seq

// Objectives: the local status of each activity's objectives and the shared
// global objectives they read from and write to (imsss:mapInfo, and the 4th
// edition's adlseq:mapInfo for scores, completion and progress).

// objStatus is an objective's effective satisfaction: read from the global
// objective when a map reads its satisfied status (unknown while no
// activity has written the global: the local status an objective that
// reads a global objective keeps, such as the one End Attempt sets on a
// leaf whose content reported nothing, does not speak for it, as in the
// ADL reference; CM-13), else local. An objective satisfied by measure
// follows its (effective) measure.
func (t *Tree) objStatus(n *Node, i int) (known, satisfied bool) {
	d := &n.objs[i]
	if d.SatisfiedByMeasure {
		if t.s(n).Active && !n.Def.RollupConsiderations.MeasureSatisfactionIfActive {
			return false, false
		}
		mk, m := t.objMeasure(n, i)
		if !mk {
			return false, false
		}
		return true, m >= d.MinMeasure
	}
	reads := false
	for _, m := range d.Maps {
		if !m.ReadSatisfiedStatus {
			continue
		}
		reads = true
		if g := t.globals[m.TargetObjectiveID]; g != nil && g.ProgressStatus {
			return true, g.Satisfied
		}
	}
	if reads {
		return false, false
	}
	o := &t.s(n).Obj[i]
	return o.ProgressStatus, o.ProgressStatus && o.Satisfied
}

// readsGlobal says whether the objective's satisfaction (status) or
// normalized measure (!status) is read from a global objective that holds
// one: then it is the global's current value, whatever attempt of the
// activity recorded it.
func (t *Tree) readsGlobal(n *Node, i int, status bool) bool {
	d := &n.objs[i]
	if status && d.SatisfiedByMeasure {
		status = false // satisfaction comes from the measure
	}
	for _, m := range d.Maps {
		g := t.globals[m.TargetObjectiveID]
		if g == nil {
			continue
		}
		if status && m.ReadSatisfiedStatus && g.ProgressStatus || !status && m.ReadNormalizedMeasure && g.MeasureStatus {
			return true
		}
	}
	return false
}

// objMeasure is an objective's effective normalized measure.
func (t *Tree) objMeasure(n *Node, i int) (known bool, measure float64) {
	for _, m := range n.objs[i].Maps {
		if !m.ReadNormalizedMeasure {
			continue
		}
		if g := t.globals[m.TargetObjectiveID]; g != nil && g.MeasureStatus {
			return true, g.Measure
		}
	}
	o := &t.s(n).Obj[i]
	return o.MeasureStatus, o.Measure
}

func (t *Tree) global(id string) *Objective {
	g := t.globals[id]
	if g == nil {
		g = &Objective{}
		t.globals[id] = g
	}
	return g
}

// setObjStatus sets an objective's local satisfaction and writes it to the
// global objectives its maps write.
func (t *Tree) setObjStatus(n *Node, i int, known, satisfied bool) {
	o := &t.s(n).Obj[i]
	was := o.ProgressStatus
	o.ProgressStatus, o.Satisfied = known, known && satisfied
	// An unknown status clears the globals only when it was known here:
	// a new attempt does not wipe what other activities wrote.
	if !t.tracked(n) || (!known && !was) {
		return
	}
	for _, m := range n.objs[i].Maps {
		if m.WriteSatisfiedStatus {
			g := t.global(m.TargetObjectiveID)
			g.ProgressStatus, g.Satisfied = known, known && satisfied
		}
	}
}

// setObjMeasure sets an objective's local measure and writes it through.
// An objective satisfied by measure gets the status the measure gives.
func (t *Tree) setObjMeasure(n *Node, i int, known bool, measure float64) {
	if known && (measure < -1 || measure > 1) {
		known = false
	}
	o := &t.s(n).Obj[i]
	was := o.MeasureStatus
	o.MeasureStatus, o.Measure = known, 0
	if known {
		o.Measure = measure
	}
	// As for the satisfied status, an unknown measure clears the globals
	// only when it was known here, except for a cluster: its measure is
	// its children's, and a new attempt whose children have measured
	// nothing yet has none, also for the activities that read it (OB-03b).
	if !t.tracked(n) || (!known && !was && n.IsLeaf()) {
		return
	}
	for _, m := range n.objs[i].Maps {
		if m.WriteNormalizedMeasure {
			g := t.global(m.TargetObjectiveID)
			g.MeasureStatus, g.Measure = o.MeasureStatus, o.Measure
		}
	}
	if d := &n.objs[i]; d.SatisfiedByMeasure {
		k, s := t.objStatus(n, i)
		t.setObjStatus(n, i, k, s)
	}
}

// Extra is the 4th edition objective data that travels through
// adlseq:mapInfo: scores, completion and progress of an objective.
type Extra struct {
	CompletionKnown, Completed bool
	ProgressKnown              bool
	Progress                   float64
	Raw, Min, Max              *float64
}

// setObjExtra records an objective's 4th edition data and writes it to the
// global objectives whose adlseq maps write it.
func (t *Tree) setObjExtra(n *Node, i int, e Extra) {
	o := &t.s(n).Obj[i]
	o.CompletionKnown, o.Completed = e.CompletionKnown, e.CompletionKnown && e.Completed
	o.ProgressKnown, o.Progress = e.ProgressKnown, e.Progress
	o.Raw, o.Min, o.Max = e.Raw, e.Min, e.Max
	if !t.tracked(n) {
		return
	}
	for _, m := range n.objs[i].ADLMaps {
		g := t.global(m.TargetObjectiveID)
		if m.WriteCompletionStatus {
			g.CompletionKnown, g.Completed = o.CompletionKnown, o.Completed
		}
		if m.WriteProgressMeasure {
			g.ProgressKnown, g.Progress = o.ProgressKnown, o.Progress
		}
		if m.WriteRawScore {
			g.Raw = o.Raw
		}
		if m.WriteMinScore {
			g.Min = o.Min
		}
		if m.WriteMaxScore {
			g.Max = o.Max
		}
	}
}

// objExtra is an objective's effective 4th edition data (globals first).
func (t *Tree) objExtra(n *Node, i int) Extra {
	o := t.s(n).Obj[i]
	e := Extra{CompletionKnown: o.CompletionKnown, Completed: o.Completed, ProgressKnown: o.ProgressKnown, Progress: o.Progress,
		Raw: o.Raw, Min: o.Min, Max: o.Max}
	var gotC, gotP, gotR, gotMin, gotMax bool
	for _, m := range n.objs[i].ADLMaps {
		g := t.globals[m.TargetObjectiveID]
		if g == nil {
			continue
		}
		if m.ReadCompletionStatus && g.CompletionKnown && !gotC {
			e.CompletionKnown, e.Completed, gotC = true, g.Completed, true
		}
		if m.ReadProgressMeasure && g.ProgressKnown && !gotP {
			e.ProgressKnown, e.Progress, gotP = true, g.Progress, true
		}
		if m.ReadRawScore && g.Raw != nil && !gotR {
			e.Raw, gotR = g.Raw, true
		}
		if m.ReadMinScore && g.Min != nil && !gotMin {
			e.Min, gotMin = g.Min, true
		}
		if m.ReadMaxScore && g.Max != nil && !gotMax {
			e.Max, gotMax = g.Max, true
		}
	}
	return e
}

// completion is the activity's effective attempt completion: judged by
// its (effective) progress measure when it is completed by measure, else
// read from a global objective by the primary objective's adlseq map, else
// its own.
func (t *Tree) completion(n *Node) (known, completed bool) {
	if th := n.Threshold; th != nil && th.CompletedByMeasure {
		if k, v := t.amount(n); k {
			return true, v >= th.MinProgressMeasure
		}
		return false, false
	}
	for _, m := range n.objs[0].ADLMaps {
		if !m.ReadCompletionStatus {
			continue
		}
		if g := t.globals[m.TargetObjectiveID]; g != nil && g.CompletionKnown {
			return true, g.Completed
		}
	}
	s := t.s(n)
	return s.AttemptProgressStatus, s.AttemptProgressStatus && s.AttemptCompleted
}

// amount is the activity's effective attempt completion amount (progress).
func (t *Tree) amount(n *Node) (known bool, v float64) {
	for _, m := range n.objs[0].ADLMaps {
		if !m.ReadProgressMeasure {
			continue
		}
		if g := t.globals[m.TargetObjectiveID]; g != nil && g.ProgressKnown {
			return true, g.Progress
		}
	}
	s := t.s(n)
	return s.AmountStatus, s.Amount
}

// setCompletion sets the activity's attempt completion and writes it to
// the globals of the primary objective's adlseq maps.
func (t *Tree) setCompletion(n *Node, known, completed bool) {
	s := t.s(n)
	was := s.AttemptProgressStatus
	s.AttemptProgressStatus, s.AttemptCompleted = known, known && completed
	if !t.tracked(n) || (!known && !was) {
		return
	}
	for _, m := range n.objs[0].ADLMaps {
		if m.WriteCompletionStatus {
			g := t.global(m.TargetObjectiveID)
			g.CompletionKnown, g.Completed = known, known && completed
		}
	}
}

// setAmount sets the activity's attempt completion amount and writes it.
func (t *Tree) setAmount(n *Node, known bool, v float64) {
	s := t.s(n)
	was := s.AmountStatus
	s.AmountStatus, s.Amount = known, 0
	if known {
		s.Amount = v
	}
	if !t.tracked(n) || (!known && !was) {
		return
	}
	for _, m := range n.objs[0].ADLMaps {
		if m.WriteProgressMeasure {
			g := t.global(m.TargetObjectiveID)
			g.ProgressKnown, g.Progress = s.AmountStatus, s.Amount
		}
	}
}

func (t *Tree) tracked(n *Node) bool { return n.Def.DeliveryControls.Tracked }

// Globals returns a copy of the global objectives, by target id.
func (t *Tree) Globals() map[string]Objective {
	out := make(map[string]Objective, len(t.globals))
	for k, v := range t.globals {
		out[k] = *v
	}
	return out
}

// SetGlobals replaces the global objectives (as stored for the learner).
func (t *Tree) SetGlobals(g map[string]Objective) {
	t.globals = make(map[string]*Objective, len(g))
	for k, v := range g {
		v := v
		t.globals[k] = &v
	}
}

// GlobalIDs lists the target ids the tree's maps name.
func (t *Tree) GlobalIDs() []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range t.nodes {
		for _, d := range n.objs {
			for _, m := range d.Maps {
				if !seen[m.TargetObjectiveID] {
					seen[m.TargetObjectiveID] = true
					out = append(out, m.TargetObjectiveID)
				}
			}
			for _, m := range d.ADLMaps {
				if !seen[m.TargetObjectiveID] {
					seen[m.TargetObjectiveID] = true
					out = append(out, m.TargetObjectiveID)
				}
			}
		}
	}
	return out
}
