package seq

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/lectern/lectern/scorm"
)

// build parses an organization (the XML inside <organizations>) written in
// the imsss/adlseq vocabulary, with one SCO resource "r" for every item
// that names identifierref="r", and returns its activity tree.
func build(t testing.TB, org string) (*Tree, []Warning) {
	t.Helper()
	return buildOrg(t, "", org)
}

// buildOrg is build with attributes on the <organization> element.
func buildOrg(t testing.TB, attrs, org string) (*Tree, []Warning) {
	t.Helper()
	xml := `<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3"
  xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
<metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
<organizations default="org"><organization identifier="org" ` + attrs + `><title>Course</title>` + org + `</organization></organizations>
<resources><resource identifier="r" type="webcontent" adlcp:scormType="sco" href="sco.html"><file href="sco.html"/></resource></resources>
</manifest>`
	p, err := scorm.Parse([]byte(xml))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	tr, warns := Build(p.DefaultOrg, 7)
	return tr, warns
}

func item(id string, inner ...string) string {
	return fmt.Sprintf(`<item identifier=%q identifierref="r"><title>%s</title>%s</item>`, id, strings.ToUpper(id), strings.Join(inner, ""))
}

func cluster(id string, inner ...string) string {
	return fmt.Sprintf(`<item identifier=%q><title>%s</title>%s</item>`, id, strings.ToUpper(id), strings.Join(inner, ""))
}

func sq(inner string) string { return `<imsss:sequencing>` + inner + `</imsss:sequencing>` }

const flowOn = `<imsss:controlMode choice="true" flow="true"/>`

// nav runs a request and returns what was delivered ("" none, "END" end
// of session, "ERR:code" a refusal).
func nav(t testing.TB, tr *Tree, kind, target string) string {
	t.Helper()
	d, err := tr.Navigate("", Request{Kind: kind, Target: target})
	var r *Refusal
	switch {
	case errors.As(err, &r):
		return "ERR:" + r.Code
	case err != nil:
		t.Fatalf("%s %s: %v", kind, target, err)
	case d.End:
		return "END"
	}
	return d.Deliver
}

// unset is how a scenario says the SCO left an element unset.
func unset(s string) string {
	if s == "unknown" {
		return ""
	}
	return s
}

// step is one thing a learner or SCO does in a scenario.
type step struct {
	report string // the SCO reports "completion success [score]" for the current activity
	req    string // navigation request, "choice:x", "jump:x"
	want   string // what nav returns
}

func run(t *testing.T, tr *Tree, steps []step) {
	t.Helper()
	for i, s := range steps {
		if s.report != "" {
			f := strings.Fields(s.report)
			r := Report{Completion: unset(f[0]), Success: unset(f[1])}
			if len(f) > 2 {
				var v float64
				fmt.Sscan(f[2], &v)
				r.ScoreScaled = &v
			}
			cur := tr.Current()
			if cur == nil {
				t.Fatalf("step %d: report with no current activity", i)
			}
			if err := tr.Report(cur.ID, r); err != nil {
				t.Fatal(err)
			}
		}
		if s.req == "" {
			continue
		}
		kind, target, _ := strings.Cut(s.req, ":")
		if got := nav(t, tr, kind, target); got != s.want {
			t.Fatalf("step %d (%s): got %q, want %q", i, s.req, got, s.want)
		}
	}
}

func TestFlowAndChoice(t *testing.T) {
	tests := []struct {
		name  string
		org   string
		steps []step
	}{
		{"single SCO with default control modes: continue is not valid", item("a"), []step{
			{req: "start", want: "ERR:SB.2.2-1"}, // the root's flow is off: the player falls back to a choice
			{req: "choice:a", want: "a"},
			{req: "continue", want: "ERR:NB.2.1-4"},
			{req: "exitAll", want: "END"},
		}},
		{"flow walks the tree and ends after the last", cluster("m1", item("a"), item("b")) + item("c") + sq(flowOn), []step{
			{req: "start", want: "ERR:SB.2.2-1"}, // m1 has no flow: the start cannot enter it
		}},
		{"flow with flow everywhere", cluster("m1", item("a"), item("b"), sq(flowOn)) + item("c") + sq(flowOn), []step{
			{req: "start", want: "a"},
			{req: "continue", want: "b"},
			{req: "previous", want: "a"},
			{req: "continue", want: "b"},
			{req: "continue", want: "c"},
			{req: "continue", want: "END"},
		}},
		{"forward only refuses previous", item("a") + item("b") + sq(`<imsss:controlMode flow="true" forwardOnly="true"/>`), []step{
			{req: "start", want: "a"},
			{req: "continue", want: "b"},
			{req: "previous", want: "ERR:NB.2.1-5"},
		}},
		{"choice off: forced sequential order", item("a") + item("b") + item("c") + sq(`<imsss:controlMode choice="false" flow="true"/>`), []step{
			{req: "start", want: "a"},
			{req: "choice:c", want: "ERR:NB.2.1-10"},
			{req: "continue", want: "b"},
		}},
		{"choice anywhere by default", item("a") + item("b") + item("c"), []step{
			{req: "choice:c", want: "c"},
			{req: "choice:a", want: "a"},
			{req: "choice:nope", want: "ERR:NB.2.1-11"},
		}},
		{"choice of a cluster delivers its first leaf", cluster("m", item("a"), item("b"), sq(flowOn)) + item("c"), []step{
			{req: "choice:m", want: "a"},
		}},
		{"stopForwardTraversal blocks choosing past it", item("a") + item("b", sq(`<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="objectiveStatusKnown" operator="not"/></imsss:ruleConditions><imsss:ruleAction action="stopForwardTraversal"/></imsss:preConditionRule></imsss:sequencingRules>`)) + item("c") + sq(flowOn), []step{
			{req: "start", want: "a"},
			{req: "choice:c", want: "ERR:SB.2.4-1"},
			{req: "continue", want: "b"},
			{report: "completed passed", req: "choice:c", want: "c"},
		}},
		{"choiceExit false keeps the learner inside", cluster("m", item("a"), item("b"), sq(`<imsss:controlMode choice="true" choiceExit="false" flow="true"/>`)) + item("c"), []step{
			{req: "choice:a", want: "a"},
			{req: "choice:b", want: "b"},
			{req: "choice:c", want: "ERR:NB.2.1-8"},
		}},
		{"constrainChoice allows only the next module", cluster("m1", item("a"), sq(flowOn+`<adlseq:constrainedChoiceConsiderations constrainChoice="true"/>`)) + cluster("m2", item("b"), sq(flowOn)) + cluster("m3", item("c"), sq(flowOn)) + sq(flowOn), []step{
			{req: "start", want: "a"},
			{req: "choice:c", want: "ERR:SB.2.9-8"},
			{req: "choice:b", want: "b"},
		}},
		{"preventActivation: a new module only from its start", cluster("m", item("a"), item("b"), sq(flowOn+`<adlseq:constrainedChoiceConsiderations preventActivation="true"/>`)) + item("c"), []step{
			{req: "choice:c", want: "c"},
			{req: "choice:b", want: "ERR:SB.2.9-6"},
		}},
		{"exit, abandon and suspend", item("a") + item("b"), []step{
			{req: "start", want: "ERR:SB.2.2-1"}, // the root has no flow
			{req: "choice:a", want: "a"},
			{req: "exit", want: ""},
			{req: "exit", want: "ERR:NB.2.1-12"},
			{req: "choice:b", want: "b"},
			{req: "abandon", want: ""},
			{req: "choice:a", want: "a"},
			{req: "suspendAll", want: "END"},
			{req: "continue", want: "ERR:NB.2.1-2"},
		}},
		{"jump goes anywhere that can be delivered", item("a") + item("b") + sq(`<imsss:controlMode choice="false" flow="true"/>`), []step{
			{req: "start", want: "a"},
			{req: "jump:b", want: "b"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, warns := build(t, tt.org)
			if len(warns) > 0 {
				t.Fatalf("warnings: %v", warns)
			}
			run(t, tr, tt.steps)
		})
	}
}

func TestRulesAndLimits(t *testing.T) {
	skipIfSatisfied := `<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions><imsss:ruleAction action="skip"/></imsss:preConditionRule></imsss:sequencingRules>`
	pretest := func(read string) string {
		return `<imsss:objectives><imsss:primaryObjective objectiveID="p"><imsss:mapInfo targetObjectiveID="g.mod" ` + read + `/></imsss:primaryObjective></imsss:objectives>`
	}
	tests := []struct {
		name  string
		org   string
		steps []step
	}{
		{"a mastered pre-test skips its module",
			item("pre", sq(pretest(`writeSatisfiedStatus="true"`))) +
				cluster("mod", item("lesson"), sq(flowOn+`<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions><imsss:ruleAction action="skip"/></imsss:preConditionRule></imsss:sequencingRules>`+pretest(""))) +
				item("post") + sq(flowOn), []step{
				{req: "start", want: "pre"},
				{report: "completed passed", req: "continue", want: "post"},
			}},
		{"a failed pre-test goes through the module",
			item("pre", sq(pretest(`writeSatisfiedStatus="true"`))) +
				cluster("mod", item("lesson"), sq(flowOn+skipIfSatisfied+pretest(""))) +
				item("post") + sq(flowOn), []step{
				{req: "start", want: "pre"},
				{report: "completed failed", req: "continue", want: "lesson"},
				{req: "continue", want: "post"},
			}},
		{"attempt limit stops a further attempt", item("a", sq(`<imsss:limitConditions attemptLimit="1"/>`)) + item("b"), []step{
			{req: "choice:a", want: "a"},
			{req: "choice:b", want: "b"},
			{req: "choice:a", want: "ERR:DB.1.1-3"},
		}},
		{"disabled rule", item("a") + item("b", sq(`<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="always"/></imsss:ruleConditions><imsss:ruleAction action="disabled"/></imsss:preConditionRule></imsss:sequencingRules>`)), []step{
			{req: "choice:b", want: "ERR:DB.1.1-3"},
			{req: "choice:a", want: "a"},
		}},
		{"hiddenFromChoice", item("a") + item("b", sq(`<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="always"/></imsss:ruleConditions><imsss:ruleAction action="hiddenFromChoice"/></imsss:preConditionRule></imsss:sequencingRules>`)), []step{
			{req: "choice:b", want: "ERR:SB.2.9-3"},
		}},
		{"post condition retry until passed", item("quiz", sq(`<imsss:sequencingRules><imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="satisfied" operator="not"/></imsss:ruleConditions><imsss:ruleAction action="retry"/></imsss:postConditionRule></imsss:sequencingRules>`)) + item("end") + sq(flowOn), []step{
			{req: "start", want: "quiz"},
			{report: "completed failed", req: "continue", want: "quiz"},
			{report: "completed passed", req: "continue", want: "end"},
		}},
		{"post condition exitAll ends the session", item("a", sq(`<imsss:sequencingRules><imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="always"/></imsss:ruleConditions><imsss:ruleAction action="exitAll"/></imsss:postConditionRule></imsss:sequencingRules>`)) + item("b") + sq(flowOn), []step{
			{req: "start", want: "a"},
			{req: "continue", want: "END"},
		}},
		{"post condition exitParent and continue", cluster("m", item("a", sq(`<imsss:sequencingRules><imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="always"/></imsss:ruleConditions><imsss:ruleAction action="exitParent"/></imsss:postConditionRule></imsss:sequencingRules>`)), item("b"), sq(flowOn+`<imsss:sequencingRules><imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="always"/></imsss:ruleConditions><imsss:ruleAction action="continue"/></imsss:postConditionRule></imsss:sequencingRules>`)) + item("c") + sq(flowOn), []step{
			{req: "start", want: "a"},
			{req: "exit", want: "c"},
		}},
		{"exit action rule on the parent", cluster("m", item("a"), item("b"), sq(flowOn+`<imsss:sequencingRules><imsss:exitConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions><imsss:ruleAction action="exit"/></imsss:exitConditionRule></imsss:sequencingRules><imsss:rollupRules><imsss:rollupRule childActivitySet="any"><imsss:rollupConditions><imsss:rollupCondition condition="satisfied"/></imsss:rollupConditions><imsss:rollupAction action="satisfied"/></imsss:rollupRule></imsss:rollupRules>`)) + item("c") + sq(flowOn), []step{
			{req: "start", want: "a"},
			{report: "completed passed", req: "continue", want: "c"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, warns := build(t, tt.org)
			if len(warns) > 0 {
				t.Fatalf("warnings: %v", warns)
			}
			run(t, tr, tt.steps)
		})
	}
}

func TestRollup(t *testing.T) {
	tests := []struct {
		name     string
		org      string
		reports  map[string]string // leaf -> "completion success [score]"
		complete string
		success  string
		measure  string
	}{
		{"default: complete when every child is", item("a") + item("b"), map[string]string{"a": "completed passed", "b": "completed passed"}, "completed", "passed", ""},
		{"default: one incomplete child (its success is assumed when its attempt ends)", item("a") + item("b"), map[string]string{"a": "completed passed", "b": "incomplete unknown"}, "incomplete", "passed", ""},
		{"objectiveSetByContent: no assumed success", item("a") + item("b", sq(`<imsss:deliveryControls objectiveSetByContent="true"/>`)), map[string]string{"a": "completed passed", "b": "incomplete unknown"}, "incomplete", "unknown", ""},
		{"default: a failed child fails the course once all are known", item("a") + item("b"), map[string]string{"a": "completed passed", "b": "completed failed"}, "completed", "failed", ""},
		{"the post-test decides", item("lesson", sq(`<imsss:rollupRules rollupObjectiveSatisfied="false" rollupProgressCompletion="false"/>`)) + item("post") +
			sq(`<imsss:rollupRules><imsss:rollupRule childActivitySet="all"><imsss:rollupConditions><imsss:rollupCondition condition="satisfied"/></imsss:rollupConditions><imsss:rollupAction action="satisfied"/></imsss:rollupRule><imsss:rollupRule childActivitySet="all"><imsss:rollupConditions><imsss:rollupCondition condition="satisfied"/></imsss:rollupConditions><imsss:rollupAction action="completed"/></imsss:rollupRule></imsss:rollupRules>`),
			map[string]string{"post": "completed passed"}, "completed", "passed", ""},
		{"measure rollup with weights", item("a", sq(`<imsss:rollupRules objectiveMeasureWeight="3"/>`)) + item("b"),
			map[string]string{"a": "completed passed 1", "b": "completed passed 0.2"}, "completed", "passed", "0.8"},
		{"satisfied by measure at the root", item("a") + item("b") + sq(`<imsss:objectives><imsss:primaryObjective satisfiedByMeasure="true"><imsss:minNormalizedMeasure>0.7</imsss:minNormalizedMeasure></imsss:primaryObjective></imsss:objectives>`),
			map[string]string{"a": "completed passed 0.5", "b": "completed passed 0.7"}, "completed", "failed", "0.6"},
		{"at least count", item("a") + item("b") + item("c") + sq(`<imsss:rollupRules><imsss:rollupRule childActivitySet="atLeastCount" minimumCount="2"><imsss:rollupConditions><imsss:rollupCondition condition="completed"/></imsss:rollupConditions><imsss:rollupAction action="completed"/></imsss:rollupRule></imsss:rollupRules>`),
			map[string]string{"a": "completed unknown", "b": "completed unknown"}, "completed", "unknown", ""},
		{"at least percent", item("a") + item("b") + item("c") + sq(`<imsss:rollupRules><imsss:rollupRule childActivitySet="atLeastPercent" minimumPercent="0.5"><imsss:rollupConditions><imsss:rollupCondition condition="satisfied"/></imsss:rollupConditions><imsss:rollupAction action="satisfied"/></imsss:rollupRule></imsss:rollupRules>`),
			map[string]string{"a": "completed passed", "b": "completed passed", "c": "incomplete unknown"}, "incomplete", "passed", ""},
		{"not tracked children do not count", item("a") + item("b", sq(`<imsss:deliveryControls tracked="false"/>`)),
			map[string]string{"a": "completed passed"}, "completed", "passed", ""},
		{"requiredForCompleted ifAttempted", item("a") + item("b", sq(`<adlseq:rollupConsiderations requiredForCompleted="ifAttempted" requiredForSatisfied="ifAttempted"/>`)),
			map[string]string{"a": "completed passed"}, "completed", "passed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, warns := build(t, tt.org)
			if len(warns) > 0 {
				t.Fatalf("warnings: %v", warns)
			}
			for _, n := range tr.Nodes() {
				rep, ok := tt.reports[n.ID]
				if !ok {
					continue
				}
				if got := nav(t, tr, Choice, n.ID); got != n.ID {
					t.Fatalf("choice %s: %s", n.ID, got)
				}
				f := strings.Fields(rep)
				r := Report{Completion: unset(f[0]), Success: unset(f[1])}
				if len(f) > 2 {
					var v float64
					fmt.Sscan(f[2], &v)
					r.ScoreScaled = &v
				}
				if err := tr.Report(n.ID, r); err != nil {
					t.Fatal(err)
				}
			}
			if got := nav(t, tr, ExitAll, ""); got != "END" {
				t.Fatalf("exitAll: %s", got)
			}
			st := tr.StatusOf(tr.Root.ID)
			m := ""
			if st.Measure != nil {
				m = fmt.Sprint(roundTo(*st.Measure))
			}
			if st.Completion != tt.complete || st.Success != tt.success || m != tt.measure {
				t.Errorf("root: %s %s %q, want %s %s %q", st.Completion, st.Success, m, tt.complete, tt.success, tt.measure)
			}
			// Rollup of the same state is the same.
			before, _ := json.Marshal(tr)
			tr.overallRollup(tr.Root)
			after, _ := json.Marshal(tr)
			if string(before) != string(after) {
				t.Errorf("rolling up again changed the tree:\n%s\n%s", before, after)
			}
		})
	}
}

func roundTo(f float64) float64 { return float64(int(f*1000+0.5)) / 1000 }

func TestSuspendResumeAcrossStorage(t *testing.T) {
	org := cluster("test", item("q1"), item("q2"), item("q3"), item("q4"),
		sq(flowOn+`<imsss:randomizationControls randomizationTiming="once" reorderChildren="true" selectCount="3" selectionTiming="once"/>`)) +
		item("after") + sq(flowOn)
	tr, _ := build(t, org)
	first := nav(t, tr, Start, "")
	if first == "" || strings.HasPrefix(first, "ERR") {
		t.Fatalf("start: %s", first)
	}
	order := ids(tr.Available(tr.Node("test")))
	if len(order) != 3 {
		t.Fatalf("selected %v, want 3 children", order)
	}
	second := nav(t, tr, Continue, "")
	if got := nav(t, tr, SuspendAll, ""); got != "END" {
		t.Fatalf("suspendAll: %s", got)
	}
	raw, err := json.Marshal(tr)
	if err != nil {
		t.Fatal(err)
	}
	// A server restart: a new tree from the manifest, the stored state.
	back, _ := build(t, org)
	if err := json.Unmarshal(raw, back); err != nil {
		t.Fatal(err)
	}
	if got := ids(back.Available(back.Node("test"))); strings.Join(got, ",") != strings.Join(order, ",") {
		t.Fatalf("order after restore %v, want %v", got, order)
	}
	back.BeginSession()
	if req := back.OpeningRequest(); req.Kind != ResumeAll {
		t.Fatalf("opening request %v, want resumeAll", req)
	}
	if got := nav(t, back, ResumeAll, ""); got != second {
		t.Fatalf("resumed %s, want %s", got, second)
	}
	if n := back.StatusOf("test").Attempts; n != 1 {
		t.Errorf("attempts on the test after resume: %d, want 1", n)
	}
	// A stored state that names activities the course lacks is refused.
	bad := strings.Replace(string(raw), `"test"`, `"nope"`, 1)
	other, _ := build(t, org)
	if err := json.Unmarshal([]byte(bad), other); err == nil {
		t.Error("a stored tree naming unknown activities was accepted")
	}
}

func ids(ns []*Node) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}

func TestGlobalObjectivesAcrossTrees(t *testing.T) {
	writer := item("a", sq(`<imsss:objectives><imsss:primaryObjective objectiveID="p"><imsss:mapInfo targetObjectiveID="shared" writeSatisfiedStatus="true" writeNormalizedMeasure="true"/></imsss:primaryObjective><imsss:objective objectiveID="o2"><imsss:mapInfo targetObjectiveID="extra" writeSatisfiedStatus="true"/></imsss:objective></imsss:objectives><adlseq:objectives><adlseq:objective objectiveID="p"><adlseq:mapInfo targetObjectiveID="shared" writeCompletionStatus="true" writeRawScore="true"/></adlseq:objective></adlseq:objectives>`))
	tr, warns := build(t, writer)
	if len(warns) > 0 {
		t.Fatal(warns)
	}
	nav(t, tr, Choice, "a")
	raw := 42.0
	score := 0.9
	if err := tr.Report("a", Report{Completion: "completed", Success: "passed", ScoreScaled: &score,
		Objectives: []ReportObjective{{ID: "p", Raw: &raw, Completion: "completed"}, {ID: "o2", Success: "failed"}}}); err != nil {
		t.Fatal(err)
	}
	g := tr.Globals()
	if s := g["shared"]; !s.ProgressStatus || !s.Satisfied || !s.MeasureStatus || s.Measure != 0.9 || !s.CompletionKnown || !s.Completed || s.Raw == nil || *s.Raw != 42 {
		t.Errorf("global shared = %+v", s)
	}
	if s := g["extra"]; !s.ProgressStatus || s.Satisfied {
		t.Errorf("global extra = %+v", s)
	}
	reader := item("b", sq(`<imsss:objectives><imsss:primaryObjective objectiveID="q"><imsss:mapInfo targetObjectiveID="shared"/></imsss:primaryObjective></imsss:objectives><adlseq:objectives><adlseq:objective objectiveID="q"><adlseq:mapInfo targetObjectiveID="shared"/></adlseq:objective></adlseq:objectives>`))
	other, _ := build(t, reader)
	other.SetGlobals(g)
	objs := other.Objectives("b")
	if len(objs) != 1 || objs[0].Success != "passed" || objs[0].ScoreScaled == nil || *objs[0].ScoreScaled != 0.9 || objs[0].Completion != "completed" || objs[0].Raw == nil {
		t.Errorf("objectives read from the global: %+v", objs)
	}
	if st := other.StatusOf("b"); st.Success != "passed" || st.Completion != "completed" {
		t.Errorf("reader's status %+v", st)
	}
}

// TestRetryOfTheCourseScopesGlobals: with objectivesGlobalToSystem="false"
// global objectives belong to one attempt on the activity tree, so a retry
// of the root (a post-condition rule) starts them unknown, as ADL's RU-13d
// expects; shared across the system, they carry over into the retry.
func TestRetryOfTheCourseScopesGlobals(t *testing.T) {
	// The intro is skipped once the quiz has a result; the quiz writes
	// its result to g and ends the course's attempt; the course reads g and
	// is retried while g is not satisfied.
	org := item("intro", sq(`<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition referencedObjective="o" condition="objectiveStatusKnown"/></imsss:ruleConditions><imsss:ruleAction action="skip"/></imsss:preConditionRule></imsss:sequencingRules>`+
		`<imsss:objectives><imsss:primaryObjective/><imsss:objective objectiveID="o"><imsss:mapInfo targetObjectiveID="g"/></imsss:objective></imsss:objectives>`)) +
		item("quiz", sq(`<imsss:sequencingRules><imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="always"/></imsss:ruleConditions><imsss:ruleAction action="exitParent"/></imsss:postConditionRule></imsss:sequencingRules>`+
			`<imsss:objectives><imsss:primaryObjective/><imsss:objective objectiveID="o"><imsss:mapInfo targetObjectiveID="g" readSatisfiedStatus="false" writeSatisfiedStatus="true"/></imsss:objective></imsss:objectives>`)) +
		sq(`<imsss:controlMode choice="false" flow="true"/><imsss:sequencingRules><imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition operator="not" condition="satisfied"/></imsss:ruleConditions><imsss:ruleAction action="retry"/></imsss:postConditionRule></imsss:sequencingRules>`+
			`<imsss:objectives><imsss:primaryObjective objectiveID="p"><imsss:mapInfo targetObjectiveID="g"/></imsss:primaryObjective></imsss:objectives>`)
	for _, tc := range []struct {
		attrs, retried string
	}{
		{`adlseq:objectivesGlobalToSystem="false"`, "intro"}, // g is unknown again: the intro is not skipped
		{`adlseq:objectivesGlobalToSystem="true"`, "quiz"},   // g still says failed: the intro is skipped
	} {
		tr, warns := buildOrg(t, tc.attrs, org)
		if len(warns) > 0 {
			t.Fatal(warns)
		}
		if got := nav(t, tr, Start, ""); got != "intro" {
			t.Fatalf("%s: start delivered %q", tc.attrs, got)
		}
		if got := nav(t, tr, Continue, ""); got != "quiz" {
			t.Fatalf("%s: continue delivered %q", tc.attrs, got)
		}
		if err := tr.Report("quiz", Report{Completion: "completed", Objectives: []ReportObjective{{ID: "o", Success: "failed"}}}); err != nil {
			t.Fatal(err)
		}
		if got := nav(t, tr, Continue, ""); got != tc.retried {
			t.Errorf("%s: the retry delivered %q, want %q", tc.attrs, got, tc.retried)
		}
		if g := tr.Globals()["g"]; g.ProgressStatus != (tc.retried == "quiz") {
			t.Errorf("%s: after the retry g = %+v", tc.attrs, g)
		}
	}
}

func TestRemediationCountsMasteredQuizzes(t *testing.T) {
	// Two quizzes in a wrapper, each skipped once its global objective is
	// satisfied; the wrapper is retried until both are. A quiz skipped in
	// the second round recorded its result in the first, but it reads it
	// from its global objective, which is current: the wrapper is then
	// satisfied and the course ends (before, the skipped quiz counted as
	// unknown and the wrapper was retried for ever).
	skip := `<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions><imsss:ruleAction action="skip"/></imsss:preConditionRule>`
	quiz := func(id, g, post string) string {
		return item(id, sq(skip+post+`</imsss:sequencingRules>`+
			`<imsss:objectives><imsss:primaryObjective objectiveID="o"><imsss:mapInfo targetObjectiveID="`+g+`" readSatisfiedStatus="true" writeSatisfiedStatus="true"/></imsss:primaryObjective></imsss:objectives>`))
	}
	exitParent := `<imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="always"/></imsss:ruleConditions><imsss:ruleAction action="exitParent"/></imsss:postConditionRule>`
	org := cluster("wrapper", quiz("q1", "g1", ""), quiz("q2", "g2", exitParent),
		sq(`<imsss:controlMode choice="false" flow="true"/><imsss:sequencingRules>`+
			`<imsss:postConditionRule><imsss:ruleConditions conditionCombination="any"><imsss:ruleCondition operator="not" condition="satisfied"/><imsss:ruleCondition operator="not" condition="objectiveStatusKnown"/></imsss:ruleConditions><imsss:ruleAction action="retry"/></imsss:postConditionRule>`+
			`<imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions><imsss:ruleAction action="exitAll"/></imsss:postConditionRule>`+
			`</imsss:sequencingRules>`)) + sq(`<imsss:controlMode choice="false" flow="true"/>`)
	tr, warns := buildOrg(t, `adlseq:objectivesGlobalToSystem="false"`, org)
	if len(warns) > 0 {
		t.Fatal(warns)
	}
	var got []string
	for d := nav(t, tr, Start, ""); d != "END" && len(got) < 6; d = nav(t, tr, Continue, "") {
		if strings.HasPrefix(d, "ERR") || d == "" {
			t.Fatalf("after %v: %q", got, d)
		}
		got = append(got, d)
		success := "passed"
		if d == "q2" && len(got) == 2 {
			success = "failed" // the first round: q2 failed
		}
		if err := tr.Report(d, Report{Completion: "completed", Success: success}); err != nil {
			t.Fatal(err)
		}
	}
	if want := []string{"q1", "q2", "q2"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("delivered %v, want %v and the end", got, want)
	}
	if st := tr.StatusOf(tr.Root.ID); st.Success != "passed" {
		t.Errorf("the course is %+v, want passed", st)
	}
}

func TestValidityExplainsRefusals(t *testing.T) {
	org := item("a") + item("b", sq(`<imsss:limitConditions attemptLimit="1"/>`)) +
		item("c", sq(`<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="always"/></imsss:ruleConditions><imsss:ruleAction action="hiddenFromChoice"/></imsss:preConditionRule></imsss:sequencingRules>`)) +
		`<item identifier="d" identifierref="r" isvisible="false"><title>D</title></item>` + sq(flowOn)
	tr, _ := build(t, org)
	v := tr.Valid("")
	if v.Continue || v.Previous {
		t.Errorf("before start: continue %v previous %v", v.Continue, v.Previous)
	}
	nav(t, tr, Choice, "b")
	nav(t, tr, Choice, "a")
	v = tr.Valid("")
	if !v.Continue || v.Previous {
		t.Errorf("at a: continue %v previous %v, want true false", v.Continue, v.Previous)
	}
	if it := v.Items["b"]; it.Enabled || !strings.Contains(it.Reason, "attempt limit") {
		t.Errorf("b: %+v, want disabled by its attempt limit", it)
	}
	if it := v.Items["c"]; !it.Hidden || it.Enabled {
		t.Errorf("c: %+v, want hidden", it)
	}
	if it := v.Items["d"]; !it.Hidden || !it.Enabled {
		t.Errorf("d: %+v, want hidden but a valid target", it)
	}
	if !v.Choice["a"] {
		t.Error("a cannot be chosen again")
	}
	// Validity changes nothing.
	before, _ := json.Marshal(tr)
	tr.Valid("")
	after, _ := json.Marshal(tr)
	if string(before) != string(after) {
		t.Error("Valid changed the tree")
	}
}

func TestBuildWarnings(t *testing.T) {
	org := cluster("m", item("a"), sq(`<imsss:randomizationControls selectCount="5" selectionTiming="once"/>`)) +
		item("b", sq(`<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="sunny"/></imsss:ruleConditions><imsss:ruleAction action="skip"/></imsss:preConditionRule><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="satisfied" referencedObjective="ghost"/></imsss:ruleConditions><imsss:ruleAction action="skip"/></imsss:preConditionRule></imsss:sequencingRules><adlseq:objectives><adlseq:objective objectiveID="nobody"><adlseq:mapInfo targetObjectiveID="g"/></adlseq:objective></adlseq:objectives>`))
	tr, warns := build(t, org)
	all := fmt.Sprint(warns)
	for _, want := range []string{"selects 5 children but has 1", "ghost", "nobody"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings %v lack %q", warns, want)
		}
	}
	// The tree still works.
	if got := nav(t, tr, Choice, "b"); got != "b" {
		t.Errorf("choice b: %s", got)
	}
}

func TestRefusedRequestChangesNothing(t *testing.T) {
	tr, _ := build(t, item("a")+item("b")+sq(`<imsss:controlMode choice="false" flow="true"/>`))
	nav(t, tr, Start, "")
	before, _ := json.Marshal(tr)
	for _, r := range []Request{{Kind: Choice, Target: "b"}, {Kind: Previous}, {Kind: ResumeAll}, {Kind: "dance"}, {Kind: Jump, Target: "zz"}} {
		if _, err := tr.Navigate("", r); !IsRefusal(err) {
			t.Errorf("%v: err %v, want a refusal", r, err)
		}
		after, _ := json.Marshal(tr)
		if string(before) != string(after) {
			t.Fatalf("%v changed the tree", r)
		}
	}
}

// TestPrimaryObjectiveRecord: the SCO's cmi.objectives record of the
// primary objective speaks for the activity where the SCO left the
// activity's own element unset, and the activity's completion (by measure
// where it is completed by measure) is what the primary objective's
// adlseq map writes.
func TestPrimaryObjectiveRecord(t *testing.T) {
	skipIf := func(op string) string {
		return sq(`<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition referencedObjective="p" ` + op + ` condition="activityProgressKnown"/></imsss:ruleConditions><imsss:ruleAction action="skip"/></imsss:preConditionRule></imsss:sequencingRules>` +
			`<imsss:objectives><imsss:primaryObjective objectiveID="p"/></imsss:objectives><adlseq:objectives><adlseq:objective objectiveID="p"><adlseq:mapInfo targetObjectiveID="g"/></adlseq:objective></adlseq:objectives>`)
	}
	writer := func(threshold string) string {
		return `<item identifier="a" identifierref="r"><title>A</title>` + sq(`<imsss:objectives><imsss:primaryObjective objectiveID="p"/></imsss:objectives><adlseq:objectives><adlseq:objective objectiveID="p"><adlseq:mapInfo targetObjectiveID="g" writeCompletionStatus="true"/></adlseq:objective></adlseq:objectives>`) + threshold + `</item>`
	}
	forced := sq(`<imsss:controlMode choice="false" flow="true"/>`)
	pm := 0.6
	tests := []struct {
		name      string
		org       string
		report    Report
		want      string // delivered after continue
		completed string // a's completion
	}{
		{"completed by measure from the record's progress: known, so b is skipped",
			writer(`<adlcp:completionThreshold completedByMeasure="true" minProgressMeasure="0.7"/>`) + item("b", skipIf("")) + item("c") + forced,
			Report{Objectives: []ReportObjective{{ID: "p", Progress: &pm}}}, "c", "incomplete"},
		{"completion the SCO set to unknown outweighs the record's",
			writer("") + item("b", skipIf(`operator="not"`)) + item("c") + forced,
			Report{Completion: "unknown", Objectives: []ReportObjective{{ID: "p", Completion: "completed"}}}, "c", "unknown"},
		{"the record speaks where the SCO set nothing",
			writer("") + item("b", skipIf(`operator="not"`)) + item("c") + forced,
			Report{Objectives: []ReportObjective{{ID: "p", Completion: "completed"}}}, "b", "completed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, warns := build(t, tt.org)
			if len(warns) > 0 {
				t.Fatal(warns)
			}
			if got := nav(t, tr, Start, ""); got != "a" {
				t.Fatalf("start delivered %q", got)
			}
			if err := tr.Report("a", tt.report); err != nil {
				t.Fatal(err)
			}
			if st := tr.StatusOf("a"); st.Completion != tt.completed {
				t.Errorf("a's completion %s, want %s", st.Completion, tt.completed)
			}
			if got := nav(t, tr, Continue, ""); got != tt.want {
				t.Errorf("continue delivered %q, want %q (global %+v)", got, tt.want, tr.Globals()["g"])
			}
		})
	}
}

// TestADLBehaviours: behaviours the ADL conformance suite expects where
// the SN book leaves room, each as a small tree.
func TestADLBehaviours(t *testing.T) {
	skip := func(cond string) string {
		return `<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition ` + cond + `/></imsss:ruleConditions><imsss:ruleAction action="skip"/></imsss:preConditionRule></imsss:sequencingRules>`
	}
	forced := `<imsss:controlMode choice="false" flow="true"/>`
	writeG := `<imsss:objectives><imsss:primaryObjective objectiveID="p"><imsss:mapInfo targetObjectiveID="g" writeSatisfiedStatus="true"/></imsss:primaryObjective></imsss:objectives>`
	readG := `<imsss:objectives><imsss:primaryObjective objectiveID="p"><imsss:mapInfo targetObjectiveID="g"/></imsss:primaryObjective></imsss:objectives>`
	tests := []struct {
		name  string
		org   string
		steps []step
	}{
		{"an untracked activity's rules see no tracking information, whatever its maps read",
			item("a", sq(`<imsss:objectives><imsss:primaryObjective objectiveID="p"><imsss:mapInfo targetObjectiveID="g" writeSatisfiedStatus="true"/></imsss:primaryObjective></imsss:objectives>`)) +
				cluster("m", item("b"), sq(forced+skip(`condition="objectiveStatusKnown"`)+`<imsss:deliveryControls tracked="false"/>`+readG)) + item("c") + sq(forced), []step{
				{req: "start", want: "a"},
				{report: "completed passed", req: "continue", want: "b"},
			}},
		{"a cluster reading a global objective rolls up when another activity writes it",
			item("a", sq(writeG)) + cluster("m", item("b", sq(readG)), sq(forced+skip(`condition="satisfied"`))) + item("c") + sq(forced), []step{
				{req: "start", want: "a"},
				{report: "completed passed", req: "continue", want: "c"},
			}},
		{"an objective that reads a global objective nobody wrote is unknown to the rules, whatever the activity recorded itself (CM-13)",
			item("a", sq(`<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions><imsss:ruleAction action="hiddenFromChoice"/></imsss:preConditionRule></imsss:sequencingRules>`+readG)) + item("b") + sq(flowOn), []step{
				{req: "choice:a", want: "a"},
				{req: "choice:b", want: "b"}, // a ended with nothing reported: satisfied locally
				{req: "choice:a", want: "a"},
			}},
		{"choosing the current activity again leaves it: refused where choiceExit is false",
			item("a", sq(`<imsss:controlMode choiceExit="false"/>`)) + item("b"), []step{
				{req: "choice:a", want: "a"},
				{req: "choice:a", want: "ERR:NB.2.1-8"},
			}},
		{"a leaf's constrainChoice does not constrain its siblings",
			cluster("m", item("a", sq(`<adlseq:constrainedChoiceConsiderations constrainChoice="true"/>`)), item("b"), sq(flowOn)) + item("c") + sq(flowOn), []step{
				{req: "start", want: "a"},
				{req: "choice:c", want: "c"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, warns := build(t, tt.org)
			if len(warns) > 0 {
				t.Fatalf("warnings: %v", warns)
			}
			run(t, tr, tt.steps)
		})
	}
}

// TestAbandonForgets: abandonAll forgets what the abandoned activity
// reported, in the global objective it writes too.
func TestAbandonForgets(t *testing.T) {
	skipIfSatisfied := `<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions><imsss:ruleAction action="skip"/></imsss:preConditionRule></imsss:sequencingRules>`
	tr, _ := build(t, item("a", sq(skipIfSatisfied+`<imsss:objectives><imsss:primaryObjective objectiveID="p"><imsss:mapInfo targetObjectiveID="g" writeSatisfiedStatus="true"/></imsss:primaryObjective></imsss:objectives>`))+item("b")+sq(`<imsss:controlMode choice="false" flow="true"/>`))
	run(t, tr, []step{{req: "start", want: "a"}, {report: "unknown passed", req: "abandonAll", want: "END"}})
	if g := tr.Globals()["g"]; g.ProgressStatus {
		t.Errorf("global after abandonAll: %+v", g)
	}
	tr.BeginSession()
	run(t, tr, []step{{req: "start", want: "a"}})
}

// TestStaleChildInformation: with useCurrentAttemptObjectiveInfo and
// useCurrentAttemptProgressInfo (the defaults), what the children recorded
// before the cluster's current attempt does not roll up into it; with them
// false, it does.
func TestStaleChildInformation(t *testing.T) {
	for _, useCurrent := range []bool{true, false} {
		t.Run(fmt.Sprint("useCurrent=", useCurrent), func(t *testing.T) {
			cm := `<imsss:controlMode choice="false" flow="true"/>`
			if !useCurrent {
				cm = `<imsss:controlMode choice="false" flow="true" useCurrentAttemptObjectiveInfo="false" useCurrentAttemptProgressInfo="false"/>`
			}
			rules := `<imsss:sequencingRules><imsss:exitConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="completed"/></imsss:ruleConditions><imsss:ruleAction action="exit"/></imsss:exitConditionRule>` +
				`<imsss:postConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="always"/></imsss:ruleConditions><imsss:ruleAction action="retry"/></imsss:postConditionRule></imsss:sequencingRules>`
			tr, warns := build(t, cluster("m", item("a"), item("b"), sq(cm+rules))+item("c")+sq(flowOn))
			if len(warns) > 0 {
				t.Fatal(warns)
			}
			run(t, tr, []step{
				{req: "start", want: "a"},
				{report: "completed passed", req: "continue", want: "b"},
				{report: "completed passed", req: "continue", want: "a"}, // m completed: it exits and retries
				{report: "completed passed"},
			})
			// b's completion belongs to m's previous attempt: it counts only
			// when m's control modes let it.
			if st := tr.StatusOf("m"); (st.Completion == "completed") == useCurrent {
				t.Errorf("m in its second attempt after a: completion %s (useCurrentAttempt...Info %v)", st.Completion, useCurrent)
			}
		})
	}
}

// TestExitAllEndsSuspendedActivity: Exit All ends every attempt, so the
// content's cmi.exit "suspend" leaves nothing to resume: the next session
// starts the activity in a new attempt (OB-03b).
func TestExitAllEndsSuspendedActivity(t *testing.T) {
	tr, warns := build(t, item("a")+item("b")+sq(flowOn))
	if len(warns) > 0 {
		t.Fatal(warns)
	}
	run(t, tr, []step{{req: "start", want: "a"}})
	if err := tr.Report("a", Report{Completion: "incomplete", Exit: "suspend"}); err != nil {
		t.Fatal(err)
	}
	run(t, tr, []step{{req: "exitAll", want: "END"}})
	if st := tr.StatusOf("a"); st.Suspended {
		t.Errorf("a after exitAll: %+v, want its attempt ended", st)
	}
	tr.BeginSession()
	run(t, tr, []step{{req: "start", want: "a"}})
	if st := tr.StatusOf("a"); st.Attempts != 2 {
		t.Errorf("a in the next session: %d attempts, want a new (second) attempt, not the suspended one resumed", st.Attempts)
	}
}

// TestClusterMeasureClearsGlobal: a cluster's measure is its children's; in
// a new attempt of the cluster whose children have measured nothing yet it
// is unknown, and so is the global objective it writes the measure to
// (OB-03b).
func TestClusterMeasureClearsGlobal(t *testing.T) {
	writeM := `<imsss:objectives><imsss:primaryObjective objectiveID="p"><imsss:mapInfo targetObjectiveID="g" readNormalizedMeasure="false" writeNormalizedMeasure="true"/></imsss:primaryObjective></imsss:objectives>`
	tr, warns := build(t, cluster("m", item("x"), item("y"), sq(flowOn+writeM))+item("r")+sq(flowOn))
	if len(warns) > 0 {
		t.Fatal(warns)
	}
	run(t, tr, []step{{req: "choice:x", want: "x"}, {report: "completed passed 1", req: "choice:r", want: "r"}})
	if g := tr.Globals()["g"]; !g.MeasureStatus {
		t.Fatalf("global after x measured: %+v", g)
	}
	run(t, tr, []step{{req: "choice:y", want: "y"}, {report: "incomplete unknown"}}) // a new attempt on m
	if g := tr.Globals()["g"]; g.MeasureStatus {
		t.Errorf("global in m's new attempt with nothing measured: %+v, want the measure unknown", g)
	}
}
