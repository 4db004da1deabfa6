package scorm

// What a package says about passing: whether it judges a pass at all, and
// the passing score when it names one. The LMS uses it to decide, by default,
// whether a completion needs a pass to count.

// Passing is a package's pass criterion.
type Passing struct {
	// Judged: the package decides pass or fail. SCORM 1.2: an item has a
	// mastery score. SCORM 2004: the root activity can be satisfied, through
	// rollup rules that say so (on the root or on a cluster that rolls up to
	// it) or through a tracked SCO that contributes to the root's
	// satisfaction and has a scaled passing score or sets its objective
	// status itself (objectiveSetByContent).
	Judged bool
	// Score is the passing score as a fraction (0.8 for 80%) when the package
	// names exactly one; nil otherwise.
	Score *float64
}

// rollsUpSatisfaction: the activity has rollup rules that decide its
// satisfaction.
func rollsUpSatisfaction(sq *Sequencing) bool {
	for _, r := range sq.RollupRules.Rules {
		if r.Action == "satisfied" || r.Action == "notSatisfied" {
			return true
		}
	}
	return false
}

// Passing reads the pass criterion of the default organization.
func (p *Package) Passing() Passing {
	var out Passing
	if p == nil || p.DefaultOrg == nil {
		return out
	}
	scores := map[float64]bool{}
	if p.Edition == SCORM12 {
		for _, it := range p.Items() {
			if it.Launch != "" && it.MasteryScore != nil {
				out.Judged = true
				scores[*it.MasteryScore/100] = true
			}
		}
	} else {
		org := p.DefaultOrg.Sequencing
		if org != nil {
			out.Judged = out.Judged || rollsUpSatisfaction(org)
			if po := org.PrimaryObjective; po != nil && po.SatisfiedByMeasure {
				out.Judged = true
				scores[po.MinNormalizedMeasure] = true
			}
		}
		var walk func(items []*Item)
		walk = func(items []*Item) {
			for _, it := range items {
				sq := it.Sequencing
				if sq == nil {
					sq = DefaultSequencing()
				}
				// An activity that does not count towards its parent's
				// satisfaction, or is not tracked, cannot satisfy the root.
				if !sq.RollupRules.RollupObjectiveSatisfied || !sq.DeliveryControls.Tracked {
					continue
				}
				if len(it.Children) > 0 {
					out.Judged = out.Judged || rollsUpSatisfaction(sq)
					walk(it.Children)
					continue
				}
				if it.Launch == "" {
					continue
				}
				if po := sq.PrimaryObjective; po != nil && po.SatisfiedByMeasure {
					out.Judged = true
					scores[po.MinNormalizedMeasure] = true
				} else if sq.DeliveryControls.ObjectiveSetByContent {
					out.Judged = true
				}
			}
		}
		walk(p.DefaultOrg.Items)
	}
	if len(scores) == 1 {
		for s := range scores {
			out.Score = &s
		}
	}
	return out
}
