package seq

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// bytesSource hands out the fuzzer's bytes as small choices.
type bytesSource struct {
	b []byte
	i int
}

func (s *bytesSource) next(n int) int {
	if n <= 1 {
		return 0
	}
	if s.i >= len(s.b) {
		return 0
	}
	v := int(s.b[s.i]) % n
	s.i++
	return v
}

func (s *bytesSource) pick(list ...string) string { return list[s.next(len(list))] }

// randomOrg builds an organization of up to a dozen activities with random
// control modes, rules, rollup and objective maps.
func randomOrg(s *bytesSource) string {
	conds := []string{"satisfied", "objectiveStatusKnown", "objectiveMeasureKnown", "objectiveMeasureGreaterThan", "objectiveMeasureLessThan",
		"completed", "activityProgressKnown", "attempted", "attemptLimitExceeded", "always"}
	rule := func(kind, action string) string {
		return fmt.Sprintf(`<imsss:%s><imsss:ruleConditions conditionCombination=%q><imsss:ruleCondition condition=%q operator=%q measureThreshold="0.5"/></imsss:ruleConditions><imsss:ruleAction action=%q/></imsss:%s>`,
			kind, s.pick("all", "any"), s.pick(conds...), s.pick("noOp", "not"), action, kind)
	}
	seqOf := func(leaf bool) string {
		var b strings.Builder
		b.WriteString(fmt.Sprintf(`<imsss:controlMode choice="%v" choiceExit="%v" flow="%v" forwardOnly="%v"/>`,
			s.next(4) > 0, s.next(4) > 0, s.next(3) > 0, s.next(4) == 0))
		b.WriteString(`<imsss:sequencingRules>`)
		for range s.next(3) {
			b.WriteString(rule("preConditionRule", s.pick("skip", "disabled", "hiddenFromChoice", "stopForwardTraversal")))
		}
		if s.next(4) == 0 {
			b.WriteString(rule("exitConditionRule", "exit"))
		}
		for range s.next(2) {
			b.WriteString(rule("postConditionRule", s.pick("exitParent", "exitAll", "retry", "retryAll", "continue", "previous")))
		}
		b.WriteString(`</imsss:sequencingRules>`)
		if s.next(3) == 0 {
			b.WriteString(fmt.Sprintf(`<imsss:limitConditions attemptLimit="%d"/>`, 1+s.next(3)))
		}
		b.WriteString(`<imsss:rollupRules>`)
		for range s.next(3) {
			b.WriteString(fmt.Sprintf(`<imsss:rollupRule childActivitySet=%q minimumCount="1" minimumPercent="0.5"><imsss:rollupConditions><imsss:rollupCondition condition=%q operator=%q/></imsss:rollupConditions><imsss:rollupAction action=%q/></imsss:rollupRule>`,
				s.pick("all", "any", "none", "atLeastCount", "atLeastPercent"), s.pick("satisfied", "completed", "attempted", "objectiveStatusKnown"),
				s.pick("noOp", "not"), s.pick("satisfied", "notSatisfied", "completed", "incomplete")))
		}
		b.WriteString(`</imsss:rollupRules>`)
		// Leaves share globals both ways; clusters only write theirs (a
		// cluster reading what it writes through a child would make rollup
		// chase its own tail, which no manifest can mean).
		g, read := s.pick("g1", "g2", "g3"), s.next(2) == 0
		if !leaf {
			g, read = s.pick("c1", "c2"), false
		}
		b.WriteString(fmt.Sprintf(`<imsss:objectives><imsss:primaryObjective objectiveID="p" satisfiedByMeasure="%v"><imsss:minNormalizedMeasure>0.6</imsss:minNormalizedMeasure><imsss:mapInfo targetObjectiveID=%q readSatisfiedStatus="%v" readNormalizedMeasure="%v" writeSatisfiedStatus="%v" writeNormalizedMeasure="%v"/></imsss:primaryObjective></imsss:objectives>`,
			s.next(4) == 0, g, read, read, s.next(2) == 0, s.next(2) == 0))
		if !leaf && s.next(3) == 0 {
			b.WriteString(fmt.Sprintf(`<imsss:randomizationControls randomizationTiming=%q selectCount="%d" reorderChildren="%v" selectionTiming=%q/>`,
				s.pick("never", "once", "onEachNewAttempt"), 1+s.next(3), s.next(2) == 0, s.pick("never", "once", "onEachNewAttempt")))
		}
		if s.next(4) == 0 {
			b.WriteString(`<imsss:deliveryControls tracked="false"/>`)
		}
		b.WriteString(fmt.Sprintf(`<adlseq:constrainedChoiceConsiderations preventActivation="%v" constrainChoice="%v"/>`, s.next(4) == 0, s.next(4) == 0))
		b.WriteString(fmt.Sprintf(`<adlseq:rollupConsiderations requiredForSatisfied=%q requiredForCompleted=%q measureSatisfactionIfActive="%v"/>`,
			s.pick("always", "ifAttempted", "ifNotSkipped", "ifNotSuspended"), s.pick("always", "ifAttempted", "ifNotSkipped", "ifNotSuspended"), s.next(2) == 0))
		return sq(b.String())
	}
	id := 0
	var gen func(depth int) string
	gen = func(depth int) string {
		var b strings.Builder
		for range 1 + s.next(3) {
			id++
			name := fmt.Sprintf("a%d", id)
			if depth < 3 && s.next(3) == 0 {
				b.WriteString(cluster(name, gen(depth+1), seqOf(false)))
			} else {
				b.WriteString(item(name, seqOf(true)))
			}
		}
		return b.String()
	}
	return gen(0) + seqOf(false)
}

// checkInvariants: at most one current activity, and only it and its
// ancestors are active (so no activity is active twice); no activity is
// both active and suspended.
func checkInvariants(t *testing.T, tr *Tree) {
	t.Helper()
	onPath := map[*Node]bool{}
	if cur := tr.Current(); cur != nil {
		for a := cur; a != nil; a = a.Parent {
			onPath[a] = true
		}
	}
	for _, n := range tr.Nodes() {
		s := tr.s(n)
		if s.Active && s.Suspended {
			t.Fatalf("%s is active and suspended", n.ID)
		}
		if s.Active && !onPath[n] {
			cur := "none"
			if tr.Current() != nil {
				cur = tr.Current().ID
			}
			t.Fatalf("%s is active but not on the path to the current activity %s", n.ID, cur)
		}
	}
}

func FuzzEngine(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte("sequencing is a tree walk with rules"))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 255, 254, 253, 9, 9, 9, 9})
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, data []byte) {
	{
		src := &bytesSource{b: data}
		org := randomOrg(src)
		tr, _ := build(t, org)
		kinds := []string{Start, ResumeAll, Continue, Previous, Choice, Jump, Exit, ExitAll, SuspendAll, Abandon, AbandonAll}
		for step := 0; step < 40 && src.i < len(src.b); step++ {
			if src.next(3) == 0 && tr.Current() != nil && tr.s(tr.Current()).Active {
				score := float64(src.next(21))/10 - 1
				_ = tr.Report(tr.Current().ID, Report{Completion: src.pick("completed", "incomplete", "unknown", ""),
					Success: src.pick("passed", "failed", "unknown", ""), ScoreScaled: &score})
				checkInvariants(t, tr)
			}
			req := Request{Kind: src.pick(kinds...)}
			if req.Kind == Choice || req.Kind == Jump {
				req.Target = tr.Nodes()[src.next(len(tr.Nodes()))].ID
			}
			if tr.Ended() && src.next(2) == 0 {
				tr.BeginSession()
				req = tr.OpeningRequest()
			}
			before, _ := json.Marshal(tr)
			globals := fmt.Sprint(tr.Globals())
			_, err := tr.Navigate("", req)
			if err != nil {
				if !IsRefusal(err) {
					t.Fatalf("%v: %v", req, err)
				}
				after, _ := json.Marshal(tr)
				if string(before) != string(after) || globals != fmt.Sprint(tr.Globals()) {
					t.Fatalf("refused %v changed the tree", req)
				}
			}
			checkInvariants(t, tr)
			tr.Valid("")
			// Rolling up the same state again changes nothing.
			if cur := tr.Current(); cur != nil {
				tr.overallRollup(cur)
				once, _ := json.Marshal(tr)
				tr.overallRollup(cur)
				twice, _ := json.Marshal(tr)
				if string(once) != string(twice) {
					t.Fatalf("rollup is not stable after %v:\n%s\n%s", req, once, twice)
				}
			}
			// The stored form restores to the same tree.
			raw, _ := json.Marshal(tr)
			back, _ := build(t, org)
			if err := json.Unmarshal(raw, back); err != nil {
				t.Fatalf("restore: %v", err)
			}
			again, _ := json.Marshal(back)
			if string(raw) != string(again) {
				t.Fatalf("restored tree differs:\n%s\n%s", raw, again)
			}
		}
	}
}
