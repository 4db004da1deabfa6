package runtime_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm/seq"
)

// commit sends one batch and fails the test on an error.
func (e *env) commit(token string, n int64, terminate bool, kv ...string) *runtime.Ack {
	e.t.Helper()
	ack, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: token, Seq: n, Terminate: terminate, Changes: changes(kv...)})
	if err != nil {
		e.t.Fatal(err)
	}
	return ack
}

func (e *env) restart() {
	e.rt = &runtime.Service{Store: e.st, ContentDir: e.rt.ContentDir, LaunchTTL: e.rt.LaunchTTL, SuspendDataMax: e.rt.SuspendDataMax}
}

// TestSequencedAttempt plays the SCORM 2004 fixture through the sequencing
// engine: flow, objectives in cmi.objectives, the activity tree stored with
// each commit, suspend and resume across a restart with the same random
// selection, and the root's roll-up as the attempt's result.
func TestSequencedAttempt(t *testing.T) {
	e := newEnv(t, "scorm2004v4-seq")
	c, err := e.rt.Open(e.ctx, e.user, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	if c.Current == nil || c.Current.Identifier != "itm_scene" || c.Single {
		t.Fatalf("opened %+v (single %v), want itm_scene", c.Current, c.Single)
	}
	if len(c.Outline) != 1 || c.Outline[0].ID != "org_aid" || len(c.Outline[0].Children) != 3 {
		t.Fatalf("outline %+v, want the root with three activities", c.Outline)
	}
	test := c.Outline[0].Children[2]
	if len(test.Children) != 1 || !test.Children[0].Hidden {
		t.Errorf("final test: %+v, want one hidden form selected", test.Children)
	}
	if !c.Nav.Continue || c.Nav.Previous {
		t.Errorf("nav at the first activity: %+v", c.Nav)
	}
	s, err := e.rt.Start(e.ctx, c.Token)
	if err != nil {
		t.Fatal(err)
	}
	if v := values(t, s); v["cmi.objectives.0.id"] != "scene_obj" {
		t.Errorf("cmi.objectives.0.id = %q, want the manifest's objective", v["cmi.objectives.0.id"])
	}
	ack := e.commit(c.Token, 1, false, "cmi.progress_measure", "0.9", "cmi.success_status", "passed")
	if ack.Nav == nil {
		t.Error("a commit that changed the activity's status answered no new navigation validity")
	}
	// The tree is stored by the commit itself.
	raw, err := e.st.SeqTreeOf(e.ctx, c.Attempt.ID)
	if err != nil || !strings.Contains(string(raw), `"itm_scene"`) {
		t.Fatalf("stored tree after the commit: %s %v", raw, err)
	}
	e.commit(c.Token, 2, true, "cmi.exit", "")
	moved, err := e.rt.Navigate(e.ctx, c.Token, seq.Request{Kind: seq.Continue})
	if err != nil || moved.Item == nil || moved.Item.ID != "itm_cpr" {
		t.Fatalf("continue: %+v %v", moved, err)
	}
	a, _ := e.st.AttemptByID(e.ctx, c.Attempt.ID)
	if a.Completion != "incomplete" {
		t.Errorf("attempt after one module: %s, want incomplete", a.Completion)
	}
	// A refused request says why and changes nothing.
	before, _ := e.st.SeqTreeOf(e.ctx, c.Attempt.ID)
	_, err = e.rt.Navigate(e.ctx, moved.Token, seq.Request{Kind: seq.Choice, Target: test.Children[0].ID}) // preventActivation
	var na *runtime.NotAllowedError
	if !errors.As(err, &na) || na.Reason == "" {
		t.Fatalf("choosing the final test from outside: %v, want a refusal with a reason", err)
	}
	if after, _ := e.st.SeqTreeOf(e.ctx, c.Attempt.ID); string(after) != string(before) {
		t.Error("a refused navigation changed the stored tree")
	}
	if _, err := e.rt.Start(e.ctx, moved.Token); err != nil {
		t.Fatal(err)
	}
	if m, err := e.rt.Navigate(e.ctx, moved.Token, seq.Request{Kind: seq.SuspendAll}); err != nil || !m.End || !m.Suspended {
		t.Fatalf("suspendAll: %+v %v", m, err)
	}
	order := func() string {
		raw, _ := e.st.SeqTreeOf(e.ctx, c.Attempt.ID)
		var st struct {
			States map[string]struct {
				Order []int `json:"or"`
			} `json:"states"`
		}
		json.Unmarshal(raw, &st)
		b, _ := json.Marshal(st.States["itm_test"].Order)
		return string(b)
	}
	selected := order()
	// A server restart: nothing in memory.
	e.restart()
	c2, err := e.rt.Open(e.ctx, e.user, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Attempt.ID != c.Attempt.ID || c2.Current == nil || c2.Current.Identifier != "itm_cpr" {
		t.Fatalf("resume opened %+v in attempt %d", c2.Current, c2.Attempt.ID)
	}
	if got := order(); got != selected {
		t.Errorf("the selection changed on resume: %s, want %s", got, selected)
	}
	s, err = e.rt.Start(e.ctx, c2.Token)
	if err != nil {
		t.Fatal(err)
	}
	e.commit(c2.Token, 1, true, "cmi.completion_status", "completed")
	moved, err = e.rt.Navigate(e.ctx, c2.Token, seq.Request{Kind: seq.Continue})
	if err != nil || moved.Item == nil || !strings.HasPrefix(moved.Item.ID, "itm_test_") {
		t.Fatalf("continue into the final test: %+v %v", moved, err)
	}
	if _, err := e.rt.Start(e.ctx, moved.Token); err != nil {
		t.Fatal(err)
	}
	e.commit(moved.Token, 1, true, "cmi.completion_status", "completed", "cmi.success_status", "passed", "cmi.score.scaled", "0.9")
	end, err := e.rt.Navigate(e.ctx, moved.Token, seq.Request{Kind: seq.Continue})
	if err != nil || !end.End || end.Suspended {
		t.Fatalf("continue past the end: %+v %v", end, err)
	}
	a, _ = e.st.AttemptByID(e.ctx, c.Attempt.ID)
	if a.Completion != "completed" || a.Success != "passed" || !a.Closed {
		t.Errorf("attempt at the end: %s %s closed %v, want completed passed closed", a.Completion, a.Success, a.Closed)
	}
	// objectivesGlobalToSystem="false": the global objective belongs to the attempt.
	g, err := e.st.GlobalObjectives(e.ctx, e.user.ID, c.Attempt.ID)
	if err != nil || len(g["lectern.fixture.aid.scene"]) == 0 {
		t.Errorf("global objectives of the attempt: %v %v", g, err)
	}
	if sys, _ := e.st.GlobalObjectives(e.ctx, e.user.ID, 0); len(sys) != 0 {
		t.Errorf("global objectives leaked to the system scope: %v", sys)
	}
}

// TestSingleSCO2004: default control modes (flow off) still open the SCO,
// continue is not valid, and the player shows no outline.
func TestSingleSCO2004(t *testing.T) {
	e := newEnv(t, "unload-sco2004")
	c, err := e.rt.Open(e.ctx, e.user, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	if c.Current == nil || !c.Single {
		t.Fatalf("opened %+v single %v", c.Current, c.Single)
	}
	if c.Nav.Continue || c.Nav.Previous {
		t.Errorf("nav %+v: continue and previous are not valid in a single SCO without flow", c.Nav)
	}
	s, err := e.rt.Start(e.ctx, c.Token)
	if err != nil {
		t.Fatal(err)
	}
	if s.Nav.Continue {
		t.Error("adl.nav.request_valid.continue would answer true")
	}
	e.commit(c.Token, 1, true, "cmi.completion_status", "completed", "cmi.success_status", "failed", "cmi.score.scaled", "0.4")
	m, err := e.rt.Navigate(e.ctx, c.Token, seq.Request{Kind: seq.ExitAll})
	if err != nil || !m.End {
		t.Fatalf("exitAll: %+v %v", m, err)
	}
	a, _ := e.st.AttemptByID(e.ctx, c.Attempt.ID)
	if a.Completion != "completed" || a.Success != "failed" || a.ScoreScaled == nil || *a.ScoreScaled != 0.4 {
		t.Errorf("attempt: %s %s %v, want the SCO's result (completed, failed, 0.4)", a.Completion, a.Success, a.ScoreScaled)
	}
}

// TestIncompleteExitKeepsTree: leaving an unfinished course with exitAll
// keeps the attempt open on the same tree; the next launch starts a new
// sequencing session in it (a new attempt on the root).
func TestIncompleteExitKeepsTree(t *testing.T) {
	e := newEnv(t, "scorm2004v4-seq")
	c, err := e.rt.Open(e.ctx, e.user, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.rt.Start(e.ctx, c.Token); err != nil {
		t.Fatal(err)
	}
	m, err := e.rt.Navigate(e.ctx, c.Token, seq.Request{Kind: seq.ExitAll})
	if err != nil || !m.End {
		t.Fatalf("exitAll: %+v %v", m, err)
	}
	a, _ := e.st.AttemptByID(e.ctx, c.Attempt.ID)
	if a.Closed || a.Completion == "completed" {
		t.Fatalf("attempt after leaving unfinished: closed %v completion %s", a.Closed, a.Completion)
	}
	c2, err := e.rt.Open(e.ctx, e.user, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	if c2.Attempt.ID != a.ID || c2.Current == nil {
		t.Fatalf("relaunch: attempt %d current %+v", c2.Attempt.ID, c2.Current)
	}
	raw, _ := e.st.SeqTreeOf(e.ctx, a.ID)
	var st struct {
		States map[string]struct {
			N int `json:"n"`
		} `json:"states"`
	}
	json.Unmarshal(raw, &st)
	if n := st.States["org_aid"].N; n != 2 {
		t.Errorf("attempts on the root after the relaunch: %d, want 2", n)
	}
	var _ = store.ErrNotFound
}

// TestTestLaunchKeepsGlobalsToItself: in a package whose global objectives
// and shared data belong to the learner across the system, an admin's test
// launch reads and writes its own copies: the admin's data as a learner
// stays as it was.
func TestTestLaunchKeepsGlobalsToItself(t *testing.T) {
	e := newEnvZip(t, fixture.Edited(t, fixture.Package("scorm2004v4-seq"), map[string]string{
		` adlseq:objectivesGlobalToSystem="false" adlcp:sharedDataGlobalToSystem="false"`: ""}))
	c, err := e.rt.Open(e.ctx, e.user, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.rt.Start(e.ctx, c.Token); err != nil {
		t.Fatal(err)
	}
	e.commit(c.Token, 1, false, "adl.data.0.store", "mine", "cmi.progress_measure", "0.9", "cmi.success_status", "passed")
	globals, _ := e.st.GlobalObjectives(e.ctx, e.user.ID, 0)
	shared, _ := e.st.SharedValues(e.ctx, e.user.ID, 0)
	if len(globals) == 0 || shared["lectern.fixture.aid.notes"] != "mine" {
		t.Fatalf("the learner's own attempt wrote no system-wide data: %v %v", globals, shared)
	}

	tc, err := e.rt.OpenTest(e.ctx, e.user, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	if !tc.Attempt.Test || tc.Attempt.ID == c.Attempt.ID {
		t.Fatalf("test launch attempt %+v", tc.Attempt)
	}
	s, err := e.rt.Start(e.ctx, tc.Token)
	if err != nil {
		t.Fatal(err)
	}
	if v := values(t, s); v["adl.data.0.store"] == "mine" {
		t.Error("the test launch reads the learner's own shared data")
	}
	e.commit(tc.Token, 1, true, "adl.data.0.store", "test", "cmi.success_status", "failed")
	if _, err := e.rt.Navigate(e.ctx, tc.Token, seq.Request{Kind: seq.Continue}); err != nil {
		t.Fatal(err)
	}
	after, _ := e.st.GlobalObjectives(e.ctx, e.user.ID, 0)
	if len(after) != len(globals) {
		t.Errorf("system-wide objectives changed by a test launch: %v, was %v", after, globals)
	}
	for k, v := range globals {
		if string(after[k]) != string(v) {
			t.Errorf("objective %s changed by a test launch: %s, was %s", k, after[k], v)
		}
	}
	if sh, _ := e.st.SharedValues(e.ctx, e.user.ID, 0); sh["lectern.fixture.aid.notes"] != "mine" {
		t.Errorf("system-wide shared data after a test launch: %v", sh)
	}
	if own, _ := e.st.SharedValues(e.ctx, e.user.ID, tc.Attempt.ID); own["lectern.fixture.aid.notes"] != "test" {
		t.Errorf("the test launch's own shared data: %v", own)
	}
	if own, _ := e.st.GlobalObjectives(e.ctx, e.user.ID, tc.Attempt.ID); len(own) == 0 {
		t.Error("the test launch kept no objectives of its own")
	}
}

// TestRequestValidFollowsCommit: adl.nav.request_valid.* is answered from
// the activity tree as the last commit left it. Here b stays locked until
// a's result is known (through a global objective a writes): choosing b is
// not valid at launch, and is once a commit reports a's success, in the
// commit's answer itself (the shim answers GetValue from it).
func TestRequestValidFollowsCommit(t *testing.T) {
	manifest := `<?xml version="1.0"?>
<manifest identifier="m" xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" xmlns:imsss="http://www.imsglobal.org/xsd/imsss">
<metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion></metadata>
<organizations default="org"><organization identifier="org"><title>Locked</title>
<item identifier="a" identifierref="r"><title>Pre-test</title><imsss:sequencing><imsss:objectives>
  <imsss:primaryObjective objectiveID="p"><imsss:mapInfo targetObjectiveID="g" writeSatisfiedStatus="true"/></imsss:primaryObjective>
</imsss:objectives></imsss:sequencing></item>
<item identifier="b" identifierref="r"><title>Module</title><imsss:sequencing>
  <imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions>
    <imsss:ruleCondition referencedObjective="p" operator="not" condition="objectiveStatusKnown"/>
  </imsss:ruleConditions><imsss:ruleAction action="disabled"/></imsss:preConditionRule></imsss:sequencingRules>
  <imsss:objectives><imsss:primaryObjective objectiveID="p"><imsss:mapInfo targetObjectiveID="g"/></imsss:primaryObjective></imsss:objectives>
</imsss:sequencing></item>
<imsss:sequencing><imsss:controlMode choice="true" flow="true"/></imsss:sequencing>
</organization></organizations>
<resources><resource identifier="r" type="webcontent" adlcp:scormType="sco" href="sco.html"><file href="sco.html"/></resource></resources>
</manifest>`
	e := newEnvZip(t, fixture.ZipFiles(t, map[string]string{"imsmanifest.xml": manifest, "sco.html": "<p>SCO</p>"}))
	c, err := e.rt.Open(e.ctx, e.user, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	if c.Current == nil || c.Current.Identifier != "a" {
		t.Fatalf("opened %+v, want a", c.Current)
	}
	if c.Nav.Choice["b"] {
		t.Errorf("at launch request_valid.choice.{target=b} would be true: b is locked until a's result is known (%+v)", c.Nav)
	}
	if _, err := e.rt.Start(e.ctx, c.Token); err != nil {
		t.Fatal(err)
	}
	ack := e.commit(c.Token, 1, false, "cmi.completion_status", "incomplete")
	if ack.Nav != nil && ack.Nav.Choice["b"] {
		t.Errorf("after a commit that says nothing of a's result, choice b would be valid: %+v", ack.Nav)
	}
	ack = e.commit(c.Token, 2, false, "cmi.success_status", "failed")
	if ack.Nav == nil || !ack.Nav.Choice["b"] {
		t.Errorf("after the commit of a's result, request_valid.choice.{target=b} would not be true: %+v", ack.Nav)
	}
}
