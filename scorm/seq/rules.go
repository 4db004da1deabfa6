package seq

import "github.com/lectern/lectern/scorm"

// tri is the three-valued logic of rule conditions.
type tri int8

const (
	unknown tri = iota
	no
	yes
)

func triOf(b bool) tri {
	if b {
		return yes
	}
	return no
}

func knownCondition(c string) bool {
	switch c {
	case "satisfied", "objectiveStatusKnown", "objectiveMeasureKnown", "objectiveMeasureGreaterThan",
		"objectiveMeasureLessThan", "completed", "activityProgressKnown", "attempted", "attemptLimitExceeded",
		"timeLimitExceeded", "outsideAvailableTimeRange", "always":
		return true
	}
	return false
}

// condition evaluates one rule condition on an activity (UP.2.1, RB.1.4.1).
func (t *Tree) condition(n *Node, c scorm.RuleCondition) tri {
	obj := 0
	if c.ReferencedObjective != "" {
		if i := n.objByID(c.ReferencedObjective); i >= 0 {
			obj = i
		}
	}
	s := t.s(n)
	var r tri
	untracked := !t.tracked(n) // no objective or progress status is recorded for it
	// In rollup, information the child recorded before the parent's
	// current attempt may not count (useCurrentAttempt...Info).
	// What the objective reads from a global objective is the learner's
	// current result, never stale.
	staleObj := t.rolling && s.DirtyObj && !t.readsGlobal(n, obj, c.Condition == "satisfied" || c.Condition == "objectiveStatusKnown")
	stalePro := t.rolling && s.DirtyPro
	switch c.Condition {
	case "objectiveStatusKnown", "objectiveMeasureKnown", "activityProgressKnown":
		if untracked || c.Condition == "activityProgressKnown" && stalePro || c.Condition != "activityProgressKnown" && staleObj {
			r = no
			break
		}
		switch c.Condition {
		case "objectiveStatusKnown":
			k, _ := t.objStatus(n, obj)
			r = triOf(k)
		case "objectiveMeasureKnown":
			k, _ := t.objMeasure(n, obj)
			r = triOf(k)
		default:
			k, _ := t.completion(n)
			r = triOf(k)
		}
	case "satisfied", "objectiveMeasureGreaterThan", "objectiveMeasureLessThan", "completed":
		if untracked || c.Condition == "completed" && stalePro || c.Condition != "completed" && staleObj {
			break // unknown
		}
		switch c.Condition {
		case "satisfied":
			if k, sat := t.objStatus(n, obj); k {
				r = triOf(sat)
			}
		case "objectiveMeasureGreaterThan":
			if k, m := t.objMeasure(n, obj); k {
				r = triOf(m > c.MeasureThreshold)
			}
		case "objectiveMeasureLessThan":
			if k, m := t.objMeasure(n, obj); k {
				r = triOf(m < c.MeasureThreshold)
			}
		default:
			if k, done := t.completion(n); k {
				r = triOf(done)
			}
		}
	case "always":
		r = yes
	case "attempted":
		r = triOf(s.ProgressStatus && s.AttemptCount > 0)
	case "attemptLimitExceeded":
		// A suspended or running attempt is not a further one: the limit
		// never keeps a learner from resuming (as UP.1 ignores them).
		if lim := n.Def.LimitConditions.AttemptLimit; lim > 0 {
			r = triOf(s.ProgressStatus && s.AttemptCount >= lim && !s.Active && !s.Suspended)
		}
	case "timeLimitExceeded", "outsideAvailableTimeRange":
		r = no // Lectern does not set time or availability limits
	default:
		return unknown // a condition Lectern does not know is never true
	}
	if c.Operator == "not" && r != unknown {
		if r == yes {
			r = no
		} else {
			r = yes
		}
	}
	return r
}

// conditions combines a rule's conditions ("all" or "any").
func (t *Tree) conditions(n *Node, combination string, conds []scorm.RuleCondition) tri {
	if len(conds) == 0 {
		return unknown
	}
	if combination == "any" {
		r := no
		for _, c := range conds {
			switch t.condition(n, c) {
			case yes:
				return yes
			case unknown:
				r = unknown
			}
		}
		return r
	}
	for _, c := range conds {
		if v := t.condition(n, c); v != yes {
			return v
		}
	}
	return yes
}

// ruleAction is the Sequencing Rules Check Process (UP.2): the action of
// the first rule of the set whose action is one of actions and whose
// conditions hold, or "".
func (t *Tree) ruleAction(n *Node, rules []scorm.SequencingRule, actions ...string) string {
	for _, r := range rules {
		match := false
		for _, a := range actions {
			match = match || r.Action == a
		}
		if match && t.conditions(n, r.ConditionCombination, r.Conditions) == yes {
			return r.Action
		}
	}
	return ""
}

func (t *Tree) preRule(n *Node, actions ...string) string {
	return t.ruleAction(n, n.Def.PreConditionRules, actions...)
}

// limitViolated is the Limit Conditions Check Process (UP.1).
func (t *Tree) limitViolated(n *Node) bool {
	s := t.s(n)
	if !t.tracked(n) || s.Active || s.Suspended {
		return false
	}
	if lim := n.Def.LimitConditions.AttemptLimit; lim > 0 && s.ProgressStatus && s.AttemptCount >= lim {
		return true
	}
	return false
}

// checkActivity is the Check Activity Process (UP.5): true when the
// activity may not be delivered (disabled, or a limit is reached), with the
// reason.
func (t *Tree) checkActivity(n *Node) (bool, string) {
	if t.preRule(n, "disabled") != "" {
		return true, "disabled by a sequencing rule"
	}
	if t.limitViolated(n) {
		return true, "its attempt limit is reached"
	}
	return false, ""
}

// rollupCheck is the Rollup Rule Check Subprocess (RB.1.4) over a set of
// rules for one action.
func (t *Tree) rollupCheck(n *Node, rules []scorm.RollupRule, action string) bool {
	for _, r := range rules {
		if r.Action != action {
			continue
		}
		var bag []tri
		for _, c := range t.available(n) {
			if !t.tracked(c) || !t.contributes(c, action) {
				continue
			}
			bag = append(bag, t.rollupConditions(c, r))
		}
		if t.childSet(r, bag) {
			return true
		}
	}
	return false
}

func (t *Tree) rollupConditions(c *Node, r scorm.RollupRule) tri {
	conds := make([]scorm.RuleCondition, len(r.Conditions))
	for i, rc := range r.Conditions {
		conds[i] = scorm.RuleCondition{Condition: rc.Condition, Operator: rc.Operator}
	}
	comb := r.ConditionCombination
	if comb == "" {
		comb = "any"
	}
	t.rolling = true
	defer func() { t.rolling = false }()
	return t.conditions(c, comb, conds)
}

// childSet evaluates a rule's child activity set over the bag of results.
func (t *Tree) childSet(r scorm.RollupRule, bag []tri) bool {
	count, unknowns := 0, 0
	for _, v := range bag {
		switch v {
		case yes:
			count++
		case unknown:
			unknowns++
		}
	}
	switch r.ChildActivitySet {
	case "any":
		return count > 0
	case "none":
		return count == 0 && unknowns == 0
	case "atLeastCount":
		return unknowns < len(bag) && count >= r.MinimumCount
	case "atLeastPercent":
		if len(bag) == 0 || unknowns == len(bag) {
			return false
		}
		return float64(count) >= float64(int(r.MinimumPercent*float64(len(bag))+0.5))
	default: // all
		if len(bag) > 0 && unknowns == len(bag) {
			return false
		}
		return count == len(bag)
	}
}

// contributes is the Check Child for Rollup Subprocess (RB.1.4.2).
func (t *Tree) contributes(c *Node, action string) bool {
	rr := c.Def.RollupRules
	rc := c.Def.RollupConsiderations
	var consider string
	switch action {
	case "satisfied", "notSatisfied":
		if !rr.RollupObjectiveSatisfied {
			return false
		}
		consider = rc.RequiredForSatisfied
		if action == "notSatisfied" {
			consider = rc.RequiredForNotSatisfied
		}
	case "completed", "incomplete":
		if !rr.RollupProgressCompletion {
			return false
		}
		consider = rc.RequiredForCompleted
		if action == "incomplete" {
			consider = rc.RequiredForIncomplete
		}
	default:
		return false
	}
	s := t.s(c)
	attempted := s.ProgressStatus && s.AttemptCount > 0
	switch consider {
	case "ifNotSuspended":
		return !(attempted && s.Suspended)
	case "ifAttempted":
		return attempted
	case "ifNotSkipped":
		return t.preRule(c, "skip") == ""
	}
	return true
}

// defaultRollup are the rules an activity without rollup rules for an
// action pair behaves as if it had (SN 4.6.x).
var (
	defaultSatisfiedRules = []scorm.RollupRule{
		{ChildActivitySet: "all", ConditionCombination: "any", Action: "notSatisfied",
			Conditions: []scorm.RollupCondition{{Condition: "objectiveStatusKnown"}}},
		{ChildActivitySet: "all", ConditionCombination: "any", Action: "satisfied",
			Conditions: []scorm.RollupCondition{{Condition: "satisfied"}}},
	}
	defaultCompletedRules = []scorm.RollupRule{
		{ChildActivitySet: "all", ConditionCombination: "any", Action: "incomplete",
			Conditions: []scorm.RollupCondition{{Condition: "activityProgressKnown"}}},
		{ChildActivitySet: "all", ConditionCombination: "any", Action: "completed",
			Conditions: []scorm.RollupCondition{{Condition: "completed"}}},
	}
)

func rulesFor(n *Node, a, b string, def []scorm.RollupRule) []scorm.RollupRule {
	var out []scorm.RollupRule
	for _, r := range n.Def.RollupRules.Rules {
		if r.Action == a || r.Action == b {
			out = append(out, r)
		}
	}
	if out == nil {
		return def
	}
	return out
}
