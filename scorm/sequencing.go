package scorm

// The IMS Simple Sequencing data of SCORM 2004 (imsss:sequencing and the adlseq extensions),
// read into plain structures with the specification's defaults filled in. Nothing here applies
// the rules; that is the sequencing engine's job.

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/beevik/etree"
)

// Sequencing is one imsss:sequencing set. Slices may be shared with the sequencingCollection
// set it was combined with, so treat a parsed Sequencing as read-only.
type Sequencing struct {
	ID    string // set on the members of the sequencingCollection
	IDRef string // the collection set this one was combined with

	ControlMode           ControlMode
	PreConditionRules     []SequencingRule
	ExitConditionRules    []SequencingRule
	PostConditionRules    []SequencingRule
	LimitConditions       LimitConditions
	RollupRules           RollupRules
	PrimaryObjective      *Objective // nil when the manifest defines none
	Objectives            []Objective
	RandomizationControls RandomizationControls
	DeliveryControls      DeliveryControls

	// adlseq extensions.
	ConstrainedChoiceConsiderations ConstrainedChoiceConsiderations
	RollupConsiderations            RollupConsiderations
	ADLObjectives                   []ADLObjective // adlseq:objectives (4th edition)

	given seqPart // the child elements the manifest wrote, for combining with IDRef
}

// ControlMode is imsss:controlMode.
type ControlMode struct {
	Choice                         bool // default true
	ChoiceExit                     bool // default true
	Flow                           bool // default false
	ForwardOnly                    bool // default false
	UseCurrentAttemptObjectiveInfo bool // default true
	UseCurrentAttemptProgressInfo  bool // default true
}

// SequencingRule is an imsss:preConditionRule, exitConditionRule or postConditionRule.
type SequencingRule struct {
	ConditionCombination string // "all" (default) or "any"
	Conditions           []RuleCondition
	Action               string // e.g. "skip", "disabled", "exitParent", "retry"
}

// RuleCondition is imsss:ruleCondition.
type RuleCondition struct {
	ReferencedObjective string  // "" means the activity's primary objective
	MeasureThreshold    float64 // default 0.0
	Operator            string  // "noOp" (default) or "not"
	Condition           string  // e.g. "satisfied", "attemptLimitExceeded", "always"
}

// LimitConditions is imsss:limitConditions.
type LimitConditions struct {
	AttemptLimit                 int    // 0 when there is no limit
	AttemptAbsoluteDurationLimit string // an xs:duration as written, "" when none
}

// RollupRules is imsss:rollupRules.
type RollupRules struct {
	RollupObjectiveSatisfied bool    // default true
	RollupProgressCompletion bool    // default true
	ObjectiveMeasureWeight   float64 // default 1.0
	Rules                    []RollupRule
}

// RollupRule is imsss:rollupRule.
type RollupRule struct {
	ChildActivitySet     string  // "all" (default), "any", "none", "atLeastCount", "atLeastPercent"
	MinimumCount         int     // default 0
	MinimumPercent       float64 // default 0.0
	ConditionCombination string  // "any" (default) or "all"
	Conditions           []RollupCondition
	Action               string // "satisfied", "notSatisfied", "completed", "incomplete"
}

// RollupCondition is imsss:rollupCondition.
type RollupCondition struct {
	Operator  string // "noOp" (default) or "not"
	Condition string
}

// Objective is imsss:primaryObjective or imsss:objective.
type Objective struct {
	ID                   string // objectiveID; may be "" only for a primary objective
	SatisfiedByMeasure   bool   // default false
	MinNormalizedMeasure float64
	MapInfo              []MapInfo
}

// MapInfo is imsss:mapInfo, the link from a local objective to a global one.
type MapInfo struct {
	TargetObjectiveID      string
	ReadSatisfiedStatus    bool // default true
	ReadNormalizedMeasure  bool // default true
	WriteSatisfiedStatus   bool // default false
	WriteNormalizedMeasure bool // default false
}

// RandomizationControls is imsss:randomizationControls.
type RandomizationControls struct {
	RandomizationTiming string // "never" (default), "once", "onEachNewAttempt"
	SelectCount         *int   // nil: select all children
	ReorderChildren     bool   // default false
	SelectionTiming     string // "never" (default), "once", "onEachNewAttempt"
}

// DeliveryControls is imsss:deliveryControls.
type DeliveryControls struct {
	Tracked                bool // default true
	CompletionSetByContent bool // default false
	ObjectiveSetByContent  bool // default false
}

// ConstrainedChoiceConsiderations is adlseq:constrainedChoiceConsiderations.
type ConstrainedChoiceConsiderations struct {
	PreventActivation bool // default false
	ConstrainChoice   bool // default false
}

// RollupConsiderations is adlseq:rollupConsiderations. The Required* values are "always"
// (default), "ifAttempted", "ifNotSkipped" or "ifNotSuspended".
type RollupConsiderations struct {
	RequiredForSatisfied        string
	RequiredForNotSatisfied     string
	RequiredForCompleted        string
	RequiredForIncomplete       string
	MeasureSatisfactionIfActive bool // default true
}

// ADLObjective is adlseq:objective: extra global mappings for the imsss objective with the
// same ObjectiveID.
type ADLObjective struct {
	ObjectiveID string
	MapInfo     []ADLMapInfo
}

// ADLMapInfo is adlseq:mapInfo (SCORM 2004 4th edition). Reads default to true, writes to false.
type ADLMapInfo struct {
	TargetObjectiveID                                                                        string
	ReadRawScore, ReadMinScore, ReadMaxScore, ReadCompletionStatus, ReadProgressMeasure      bool
	WriteRawScore, WriteMinScore, WriteMaxScore, WriteCompletionStatus, WriteProgressMeasure bool
}

// DefaultSequencing returns the sequencing of an activity whose manifest says nothing about it.
func DefaultSequencing() *Sequencing {
	return &Sequencing{
		ControlMode: ControlMode{Choice: true, ChoiceExit: true,
			UseCurrentAttemptObjectiveInfo: true, UseCurrentAttemptProgressInfo: true},
		RollupRules:           RollupRules{RollupObjectiveSatisfied: true, RollupProgressCompletion: true, ObjectiveMeasureWeight: 1},
		RandomizationControls: RandomizationControls{RandomizationTiming: "never", SelectionTiming: "never"},
		DeliveryControls:      DeliveryControls{Tracked: true},
		RollupConsiderations: RollupConsiderations{RequiredForSatisfied: "always", RequiredForNotSatisfied: "always",
			RequiredForCompleted: "always", RequiredForIncomplete: "always", MeasureSatisfactionIfActive: true},
	}
}

// seqPart marks which child elements of a <sequencing> the manifest wrote.
type seqPart uint16

const (
	partControlMode seqPart = 1 << iota
	partRules
	partLimits
	partRollup
	partObjectives
	partRandomization
	partDelivery
	partConstrainedChoice
	partRollupConsiderations
	partADLObjectives
)

// Vocabularies of IMS SS and the ADL extensions.
var (
	ruleConditionVocab = []string{"satisfied", "objectiveStatusKnown", "objectiveMeasureKnown",
		"objectiveMeasureGreaterThan", "objectiveMeasureLessThan", "completed", "activityProgressKnown",
		"attempted", "attemptLimitExceeded", "timeLimitExceeded", "outsideAvailableTimeRange", "always"}
	preActionVocab       = []string{"skip", "disabled", "hiddenFromChoice", "stopForwardTraversal"}
	exitActionVocab      = []string{"exit"}
	postActionVocab      = []string{"exitParent", "exitAll", "retry", "retryAll", "continue", "previous"}
	rollupConditionVocab = []string{"satisfied", "objectiveStatusKnown", "objectiveMeasureKnown", "completed",
		"activityProgressKnown", "attempted", "attemptLimitExceeded", "timeLimitExceeded", "outsideAvailableTimeRange"}
	rollupActionVocab      = []string{"satisfied", "notSatisfied", "completed", "incomplete"}
	childActivitySetVocab  = []string{"all", "any", "none", "atLeastCount", "atLeastPercent"}
	combinationVocab       = []string{"all", "any"}
	operatorVocab          = []string{"noOp", "not"}
	timingVocab            = []string{"never", "once", "onEachNewAttempt"}
	requiredForRollupVocab = []string{"always", "ifAttempted", "ifNotSkipped", "ifNotSuspended"}
)

// sequencingWithRef reads a <sequencing> of an item or organization and, when it has an IDRef,
// combines it with that set of the sequencingCollection: the referenced set is the starting
// point and each child element written locally replaces the referenced one.
func (ps *parser) sequencingWithRef(el *etree.Element, where string) *Sequencing {
	local := ps.sequencing(el, where)
	if local.IDRef == "" {
		return local
	}
	ref := ps.collection[local.IDRef]
	if ref == nil {
		ps.warnf("%s: its sequencing refers to %q, which the sequencing collection does not have", where, local.IDRef)
		return local
	}
	s := *ref
	s.ID, s.IDRef = "", local.IDRef
	if local.given&partControlMode != 0 {
		s.ControlMode = local.ControlMode
	}
	if local.given&partRules != 0 {
		s.PreConditionRules, s.ExitConditionRules, s.PostConditionRules = local.PreConditionRules, local.ExitConditionRules, local.PostConditionRules
	}
	if local.given&partLimits != 0 {
		s.LimitConditions = local.LimitConditions
	}
	if local.given&partRollup != 0 {
		s.RollupRules = local.RollupRules
	}
	if local.given&partObjectives != 0 {
		s.PrimaryObjective, s.Objectives = local.PrimaryObjective, local.Objectives
	}
	if local.given&partRandomization != 0 {
		s.RandomizationControls = local.RandomizationControls
	}
	if local.given&partDelivery != 0 {
		s.DeliveryControls = local.DeliveryControls
	}
	if local.given&partConstrainedChoice != 0 {
		s.ConstrainedChoiceConsiderations = local.ConstrainedChoiceConsiderations
	}
	if local.given&partRollupConsiderations != 0 {
		s.RollupConsiderations = local.RollupConsiderations
	}
	if local.given&partADLObjectives != 0 {
		s.ADLObjectives = local.ADLObjectives
	}
	s.given |= local.given
	return &s
}

// sequencing reads one <sequencing> element on its own.
func (ps *parser) sequencing(el *etree.Element, where string) *Sequencing {
	s := DefaultSequencing()
	s.ID, s.IDRef = elAttr(el, "ID"), elAttr(el, "IDRef")
	for _, c := range el.ChildElements() {
		switch strings.ToLower(c.Tag) {
		case "controlmode":
			s.given |= partControlMode
			s.ControlMode = ControlMode{
				Choice:                         ps.boolAttr(c, "choice", true, where),
				ChoiceExit:                     ps.boolAttr(c, "choiceExit", true, where),
				Flow:                           ps.boolAttr(c, "flow", false, where),
				ForwardOnly:                    ps.boolAttr(c, "forwardOnly", false, where),
				UseCurrentAttemptObjectiveInfo: ps.boolAttr(c, "useCurrentAttemptObjectiveInfo", true, where),
				UseCurrentAttemptProgressInfo:  ps.boolAttr(c, "useCurrentAttemptProgressInfo", true, where),
			}
		case "sequencingrules":
			s.given |= partRules
			for _, r := range c.ChildElements() {
				switch strings.ToLower(r.Tag) {
				case "preconditionrule":
					s.PreConditionRules = append(s.PreConditionRules, ps.sequencingRule(r, preActionVocab, where))
				case "exitconditionrule":
					s.ExitConditionRules = append(s.ExitConditionRules, ps.sequencingRule(r, exitActionVocab, where))
				case "postconditionrule":
					s.PostConditionRules = append(s.PostConditionRules, ps.sequencingRule(r, postActionVocab, where))
				}
			}
		case "limitconditions":
			s.given |= partLimits
			s.LimitConditions.AttemptLimit, _ = ps.intAttr(c, "attemptLimit", 0, where)
			s.LimitConditions.AttemptAbsoluteDurationLimit = elAttr(c, "attemptAbsoluteDurationLimit")
		case "auxiliaryresources":
			// SCORM 2004 tells LMSs to ignore imsss:auxiliaryResources.
		case "rolluprules":
			s.given |= partRollup
			s.RollupRules = ps.rollupRules(c, where)
		case "objectives":
			if familyOf(c) == famADLSeq {
				s.given |= partADLObjectives
				s.ADLObjectives = ps.adlObjectives(c, where)
			} else {
				s.given |= partObjectives
				s.PrimaryObjective, s.Objectives = ps.objectives(c, where)
			}
		case "randomizationcontrols":
			s.given |= partRandomization
			s.RandomizationControls = RandomizationControls{
				RandomizationTiming: ps.vocabAttr(c, "randomizationTiming", "never", timingVocab, where),
				ReorderChildren:     ps.boolAttr(c, "reorderChildren", false, where),
				SelectionTiming:     ps.vocabAttr(c, "selectionTiming", "never", timingVocab, where),
			}
			if n, ok := ps.intAttr(c, "selectCount", 0, where); ok {
				s.RandomizationControls.SelectCount = &n
			}
		case "deliverycontrols":
			s.given |= partDelivery
			s.DeliveryControls = DeliveryControls{
				Tracked:                ps.boolAttr(c, "tracked", true, where),
				CompletionSetByContent: ps.boolAttr(c, "completionSetByContent", false, where),
				ObjectiveSetByContent:  ps.boolAttr(c, "objectiveSetByContent", false, where),
			}
		case "constrainedchoiceconsiderations":
			s.given |= partConstrainedChoice
			s.ConstrainedChoiceConsiderations = ConstrainedChoiceConsiderations{
				PreventActivation: ps.boolAttr(c, "preventActivation", false, where),
				ConstrainChoice:   ps.boolAttr(c, "constrainChoice", false, where),
			}
		case "rollupconsiderations":
			s.given |= partRollupConsiderations
			s.RollupConsiderations = RollupConsiderations{
				RequiredForSatisfied:        ps.vocabAttr(c, "requiredForSatisfied", "always", requiredForRollupVocab, where),
				RequiredForNotSatisfied:     ps.vocabAttr(c, "requiredForNotSatisfied", "always", requiredForRollupVocab, where),
				RequiredForCompleted:        ps.vocabAttr(c, "requiredForCompleted", "always", requiredForRollupVocab, where),
				RequiredForIncomplete:       ps.vocabAttr(c, "requiredForIncomplete", "always", requiredForRollupVocab, where),
				MeasureSatisfactionIfActive: ps.boolAttr(c, "measureSatisfactionIfActive", true, where),
			}
		}
	}
	return s
}

func (ps *parser) sequencingRule(el *etree.Element, actions []string, where string) SequencingRule {
	r := SequencingRule{ConditionCombination: "all"}
	if rc := elChild(el, "ruleConditions"); rc != nil {
		r.ConditionCombination = ps.vocabAttr(rc, "conditionCombination", "all", combinationVocab, where)
		for _, c := range elChildren(rc, "ruleCondition") {
			r.Conditions = append(r.Conditions, RuleCondition{
				ReferencedObjective: objectiveRef(elAttr(c, "referencedObjective")),
				MeasureThreshold:    ps.floatAttr(c, "measureThreshold", 0, where),
				Operator:            ps.vocabAttr(c, "operator", "noOp", operatorVocab, where),
				Condition:           ps.required(c, "condition", ruleConditionVocab, where),
			})
		}
	}
	r.Action = ps.required(elChild(el, "ruleAction"), "action", actions, where)
	return r
}

func (ps *parser) rollupRules(el *etree.Element, where string) RollupRules {
	rr := RollupRules{
		RollupObjectiveSatisfied: ps.boolAttr(el, "rollupObjectiveSatisfied", true, where),
		RollupProgressCompletion: ps.boolAttr(el, "rollupProgressCompletion", true, where),
		ObjectiveMeasureWeight:   ps.floatAttr(el, "objectiveMeasureWeight", 1, where),
	}
	for _, r := range elChildren(el, "rollupRule") {
		rule := RollupRule{
			ChildActivitySet:     ps.vocabAttr(r, "childActivitySet", "all", childActivitySetVocab, where),
			MinimumPercent:       ps.floatAttr(r, "minimumPercent", 0, where),
			ConditionCombination: "any",
		}
		rule.MinimumCount, _ = ps.intAttr(r, "minimumCount", 0, where)
		if rc := elChild(r, "rollupConditions"); rc != nil {
			rule.ConditionCombination = ps.vocabAttr(rc, "conditionCombination", "any", combinationVocab, where)
			for _, c := range elChildren(rc, "rollupCondition") {
				rule.Conditions = append(rule.Conditions, RollupCondition{
					Operator:  ps.vocabAttr(c, "operator", "noOp", operatorVocab, where),
					Condition: ps.required(c, "condition", rollupConditionVocab, where),
				})
			}
		}
		rule.Action = ps.required(elChild(r, "rollupAction"), "action", rollupActionVocab, where)
		rr.Rules = append(rr.Rules, rule)
	}
	return rr
}

func (ps *parser) objectives(el *etree.Element, where string) (*Objective, []Objective) {
	var primary *Objective
	var others []Objective
	for _, c := range el.ChildElements() {
		switch strings.ToLower(c.Tag) {
		case "primaryobjective":
			if primary != nil {
				ps.warnf("%s has more than one primaryObjective; using the first", where)
				continue
			}
			o := ps.objective(c, where)
			primary = &o
		case "objective":
			o := ps.objective(c, where)
			if o.ID == "" {
				ps.warnf("%s: an objective has no objectiveID; ignoring it", where)
				continue
			}
			others = append(others, o)
		}
	}
	return primary, others
}

func (ps *parser) objective(el *etree.Element, where string) Objective {
	o := Objective{
		ID:                   objectiveRef(elAttr(el, "objectiveID")),
		SatisfiedByMeasure:   ps.boolAttr(el, "satisfiedByMeasure", false, where),
		MinNormalizedMeasure: 1,
	}
	if m := elChild(el, "minNormalizedMeasure"); m != nil {
		v, err := strconv.ParseFloat(elText(m), 64)
		if err != nil {
			ps.warnf("%s: minNormalizedMeasure %q is not a number; using 1.0", where, elText(m))
		} else {
			o.MinNormalizedMeasure = v
		}
	}
	for _, m := range elChildren(el, "mapInfo") {
		mi := MapInfo{
			TargetObjectiveID:      objectiveRef(elAttr(m, "targetObjectiveID")),
			ReadSatisfiedStatus:    ps.boolAttr(m, "readSatisfiedStatus", true, where),
			ReadNormalizedMeasure:  ps.boolAttr(m, "readNormalizedMeasure", true, where),
			WriteSatisfiedStatus:   ps.boolAttr(m, "writeSatisfiedStatus", false, where),
			WriteNormalizedMeasure: ps.boolAttr(m, "writeNormalizedMeasure", false, where),
		}
		if mi.TargetObjectiveID == "" {
			ps.warnf("%s: a mapInfo has no targetObjectiveID; ignoring it", where)
			continue
		}
		o.MapInfo = append(o.MapInfo, mi)
	}
	return o
}

func (ps *parser) adlObjectives(el *etree.Element, where string) []ADLObjective {
	var out []ADLObjective
	for _, c := range elChildren(el, "objective") {
		o := ADLObjective{ObjectiveID: objectiveRef(elAttr(c, "objectiveID"))}
		if o.ObjectiveID == "" {
			ps.warnf("%s: an adlseq:objective has no objectiveID; ignoring it", where)
			continue
		}
		for _, m := range elChildren(c, "mapInfo") {
			mi := ADLMapInfo{
				TargetObjectiveID:     objectiveRef(elAttr(m, "targetObjectiveID")),
				ReadRawScore:          ps.boolAttr(m, "readRawScore", true, where),
				ReadMinScore:          ps.boolAttr(m, "readMinScore", true, where),
				ReadMaxScore:          ps.boolAttr(m, "readMaxScore", true, where),
				ReadCompletionStatus:  ps.boolAttr(m, "readCompletionStatus", true, where),
				ReadProgressMeasure:   ps.boolAttr(m, "readProgressMeasure", true, where),
				WriteRawScore:         ps.boolAttr(m, "writeRawScore", false, where),
				WriteMinScore:         ps.boolAttr(m, "writeMinScore", false, where),
				WriteMaxScore:         ps.boolAttr(m, "writeMaxScore", false, where),
				WriteCompletionStatus: ps.boolAttr(m, "writeCompletionStatus", false, where),
				WriteProgressMeasure:  ps.boolAttr(m, "writeProgressMeasure", false, where),
			}
			if mi.TargetObjectiveID == "" {
				ps.warnf("%s: an adlseq:mapInfo has no targetObjectiveID; ignoring it", where)
				continue
			}
			o.MapInfo = append(o.MapInfo, mi)
		}
		out = append(out, o)
	}
	return out
}

// required reads an attribute the schema requires and whose value comes from vocab. A missing
// or unknown value is kept as written (possibly "") with a warning: a sequencing engine treats
// a condition or action it does not know as never true, which is safer than guessing one.
func (ps *parser) required(el *etree.Element, name string, vocab []string, where string) string {
	if el == nil { // only actions live in a child element that may be missing
		ps.warnf("%s: a sequencing or rollup rule has no action", where)
		return ""
	}
	v, ok := elAttrOK(el, name)
	if !ok {
		ps.warnf("%s: <%s> has no %s", where, el.Tag, name)
		return ""
	}
	c, known := canonical(v, vocab)
	if !known {
		ps.warnf("%s: <%s %s=%q> is not one of %s", where, el.Tag, name, v, strings.Join(vocab, ", "))
	}
	return c
}

// objectiveRef normalises an objective identifier (an xs:anyURI): percent
// escapes are decoded and white space collapsed, so that "obj%201",
// " obj 1" and "obj  1" name the same objective, as cmi.objectives ids do.
func objectiveRef(s string) string {
	s = strings.TrimSpace(s)
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	return strings.Join(strings.Fields(s), " ")
}
