package cmi

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
)

func newState(t testing.TB, v Version, init Init) *State {
	t.Helper()
	if init.LearnerID == "" {
		init.LearnerID = "learner-1"
	}
	s, err := NewState(v, init, nil)
	if err != nil {
		t.Fatalf("NewState(%s): %v", v, err)
	}
	return s
}

func apply(t *testing.T, s *State, kv ...string) {
	t.Helper()
	var changes []Change
	for i := 0; i < len(kv); i += 2 {
		changes = append(changes, Change{kv[i], kv[i+1]})
	}
	if err := s.Apply(changes); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func TestNewStateRejectsInvalidInit(t *testing.T) {
	neg := -0.5
	big := 101.0
	for _, c := range []struct {
		name string
		v    Version
		init Init
		want string
	}{
		{"unknown version", "3.0", Init{LearnerID: "a"}, "unknown version"},
		{"2004 learner id with space", V2004, Init{LearnerID: "a b"}, "cmi.learner_id"},
		{"2004 empty learner id", V2004, Init{}, "cmi.learner_id"},
		{"1.2 empty student id", V12, Init{}, "cmi.core.student_id"},
		{"credit", V2004, Init{LearnerID: "a", Credit: "maybe"}, "cmi.credit"},
		{"mode", V12, Init{LearnerID: "a", Mode: "test"}, "cmi.core.lesson_mode"},
		{"completion threshold", V2004, Init{LearnerID: "a", CompletionThreshold: &big}, "cmi.completion_threshold"},
		{"scaled passing score", V2004, Init{LearnerID: "a", ScaledPassingScore: &big}, "cmi.scaled_passing_score"},
		{"mastery score", V12, Init{LearnerID: "a", MasteryScore: &neg}, "mastery_score"},
		{"time limit action", V2004, Init{LearnerID: "a", TimeLimitAction: "stop"}, "cmi.time_limit_action"},
		{"empty objective id", V2004, Init{LearnerID: "a", ObjectiveIDs: []string{""}}, "cmi.objectives.0.id"},
		{"objective id too long", V2004, Init{LearnerID: "a", Objectives: []ObjectiveInit{{ID: strings.Repeat("x", maxObjectiveID+1)}}}, "cmi.objectives.0.id"},
		{"preference", V2004, Init{LearnerID: "a", Preferences: map[string]string{"audio_level": "-1"}}, "audio_level"},
		{"unknown preference", V2004, Init{LearnerID: "a", Preferences: map[string]string{"volume": "1"}}, "volume"},
		{"shared data id", V2004, Init{LearnerID: "a", SharedData: []SharedData{{ID: ""}}}, "adl.data.0.id"},
	} {
		_, err := NewState(c.v, c.init, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: NewState error %v, want one mentioning %q", c.name, err, c.want)
		}
	}
}

// TestObjectiveIDsAsTheManifestWroteThem: the manifest's objective ids
// reach cmi.objectives as written (after the import's normalisation),
// also where they are not well-formed URIs; up to the SPM.
func TestObjectiveIDsAsTheManifestWroteThem(t *testing.T) {
	long := strings.Repeat("x", maxObjectiveID)
	st, err := NewState(V2004, Init{LearnerID: "a", ObjectiveIDs: []string{"ob j 1"}, Objectives: []ObjectiveInit{{ID: long}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Values["cmi.objectives.0.id"]; got != "ob j 1" {
		t.Errorf("cmi.objectives.0.id = %q", got)
	}
	if got := st.Values["cmi.objectives.1.id"]; got != long {
		t.Errorf("cmi.objectives.1.id has %d characters", len(got))
	}
}

func TestNewStateResumeKeepsSCOObjectives(t *testing.T) {
	init := Init{LearnerID: "l", ObjectiveIDs: []string{"a", "b"}}
	s := newState(t, V2004, init)
	apply(t, s, "cmi.objectives.2.id", "own", "cmi.exit", "suspend")
	s.EndSession()
	init.ObjectiveIDs = []string{"a", "b", "c"} // the course version added one
	next, err := NewState(V2004, init, s)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"0": "a", "1": "b", "2": "own", "3": "c"}
	if got := next.Counts["cmi.objectives"]; got != 4 {
		t.Fatalf("objectives count = %d, want 4", got)
	}
	for i, id := range want {
		if got := next.Values["cmi.objectives."+i+".id"]; got != id {
			t.Errorf("cmi.objectives.%s.id = %q, want %q", i, got, id)
		}
	}
}

func TestNewStateDoesNotModifyPrev(t *testing.T) {
	s := newState(t, V2004, Init{})
	apply(t, s, "cmi.session_time", "PT1M", "cmi.exit", "suspend")
	before := maps.Clone(s.Values)
	if _, err := NewState(V2004, Init{LearnerID: "l"}, s); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(before, s.Values) || s.SessionEnded {
		t.Errorf("NewState changed prev: %v -> %v (ended=%v)", before, s.Values, s.SessionEnded)
	}
}

func TestApplyIsAllOrNothing(t *testing.T) {
	s := newState(t, V2004, Init{})
	apply(t, s, "cmi.location", "start", "cmi.interactions.0.id", "q0", "cmi.interactions.0.type", "choice")
	snapshot := s.Clone()

	err := s.Apply([]Change{
		{"cmi.location", "middle"},
		{"cmi.interactions.1.id", "q1"},
		{"cmi.interactions.0.type", "numeric"}, // clears responses, changes type
		{"cmi.interactions.0.correct_responses.0.pattern", "1[:]2"},
		{"cmi.objectives.0.id", "o1"},
		{"cmi.score.scaled", "2"}, // out of range: refuses the batch
		{"cmi.suspend_data", "never"},
	})
	var se *SetError
	if !errors.As(err, &se) {
		t.Fatalf("Apply error = %v, want *SetError", err)
	}
	if se.Index != 5 || se.Element != "cmi.score.scaled" || se.Code != 407 || se.Diagnostic == "" {
		t.Errorf("SetError = %+v, want index 5, cmi.score.scaled, 407 with a diagnostic", se)
	}
	if !maps.Equal(s.Values, snapshot.Values) || !maps.Equal(s.Counts, snapshot.Counts) {
		t.Errorf("state changed by a refused batch:\n got %v %v\nwant %v %v", s.Values, s.Counts, snapshot.Values, snapshot.Counts)
	}
	// The same batch without the bad change applies.
	apply(t, s, "cmi.location", "middle", "cmi.interactions.0.type", "numeric")
	if got := s.Values["cmi.interactions.0.type"]; got != "numeric" {
		t.Errorf("type = %q after a good batch", got)
	}
}

func TestApplyRejectsServerOwnedElements(t *testing.T) {
	s := newState(t, V2004, Init{})
	for _, c := range []struct {
		el, value string
		code      int
	}{
		{"cmi.total_time", "PT100H", 404},
		{"cmi.learner_id", "someone-else", 404},
		{"cmi.entry", "resume", 404},
		{"cmi.completion_threshold", "0", 404},
		{"cmi.credit", "no-credit", 404},
		{"cmi._version", "1.0", 404},
		{"cmi.core.lesson_status", "passed", 401},
	} {
		var se *SetError
		if err := s.Apply([]Change{{c.el, c.value}}); !errors.As(err, &se) || se.Code != c.code {
			t.Errorf("Apply(%s=%q) = %v, want code %d", c.el, c.value, err, c.code)
		}
	}
}

func TestApplyAfterEndSession(t *testing.T) {
	s := newState(t, V12, Init{})
	s.EndSession()
	if err := s.Apply([]Change{{"cmi.core.lesson_location", "x"}}); !errors.Is(err, ErrSessionEnded) {
		t.Errorf("Apply after EndSession = %v, want ErrSessionEnded", err)
	}
}

func TestEndSessionAddsTimeOnce(t *testing.T) {
	for _, c := range []struct {
		v          Version
		key, sess  string
		wantTotal  string
		sessionKey string
	}{
		{V2004, "cmi.total_time", "PT1H30M", "PT1H30M0S", "cmi.session_time"},
		{V12, "cmi.core.total_time", "01:30:00", "0001:30:00.00", "cmi.core.session_time"},
	} {
		s := newState(t, c.v, Init{})
		apply(t, s, c.sessionKey, c.sess)
		s.EndSession()
		s.EndSession()
		if got := s.Values[c.key]; got != c.wantTotal {
			t.Errorf("%s: total after two EndSession = %q, want %q", c.v, got, c.wantTotal)
		}
		if _, ok := s.Values[c.sessionKey]; ok {
			t.Errorf("%s: session_time kept after EndSession", c.v)
		}
	}
}

func TestNewAttemptNeeded(t *testing.T) {
	for _, c := range []struct {
		v    Version
		exit string // "-" leaves it unset
		want bool
	}{
		{V2004, "suspend", false},
		{V2004, "normal", true},
		{V2004, "logout", true},
		{V2004, "time-out", true},
		{V2004, "", true},
		{V2004, "-", true},
		{V12, "suspend", false},
		{V12, "", false},
		{V12, "-", false},
		{V12, "logout", true},
		{V12, "time-out", true},
	} {
		s := newState(t, c.v, Init{})
		if c.exit != "-" {
			apply(t, s, pick(c.v, "cmi.core.exit", "cmi.exit"), c.exit)
		}
		if got := s.NewAttemptNeeded(); got != c.want {
			t.Errorf("%s exit %q: NewAttemptNeeded = %v, want %v", c.v, c.exit, got, c.want)
		}
	}
}

func TestLessonStatus12AtFinish(t *testing.T) {
	eighty := 80.0
	for _, c := range []struct {
		name    string
		init    Init
		changes []string
		want    string
	}{
		{"never set", Init{}, nil, "completed"},
		{"never set, browse mode", Init{Mode: "browse"}, nil, "browsed"},
		{"set by the SCO", Init{}, []string{"cmi.core.lesson_status", "incomplete"}, "incomplete"},
		{"mastery passed", Init{MasteryScore: &eighty}, []string{"cmi.core.score.raw", "80"}, "passed"},
		{"mastery failed overrides SCO", Init{MasteryScore: &eighty},
			[]string{"cmi.core.score.raw", "79", "cmi.core.lesson_status", "passed"}, "failed"},
		{"mastery without raw score", Init{MasteryScore: &eighty},
			[]string{"cmi.core.lesson_status", "incomplete"}, "incomplete"},
		{"mastery with blank raw score", Init{MasteryScore: &eighty},
			[]string{"cmi.core.score.raw", "", "cmi.core.lesson_status", "incomplete"}, "incomplete"},
		{"mastery, no-credit", Init{MasteryScore: &eighty, Credit: "no-credit"},
			[]string{"cmi.core.score.raw", "95", "cmi.core.lesson_status", "failed"}, "failed"},
	} {
		s := newState(t, V12, c.init)
		apply(t, s, c.changes...)
		s.EndSession()
		if got := s.Values["cmi.core.lesson_status"]; got != c.want {
			t.Errorf("%s: lesson_status = %q, want %q", c.name, got, c.want)
		}
	}
}

func f64(f float64) *float64 { return &f }

func eqf(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

func TestSummary(t *testing.T) {
	for _, c := range []struct {
		name    string
		v       Version
		init    Init
		changes []string
		end     bool
		want    Summary
	}{
		{
			name: "2004 fresh", v: V2004,
			want: Summary{Completion: "unknown", Success: "unknown", TotalTimeText: "PT0H0M0S"},
		},
		{
			name: "2004 evaluated by thresholds", v: V2004,
			init: Init{CompletionThreshold: f64(0.5), ScaledPassingScore: f64(0.8)},
			changes: []string{"cmi.progress_measure", "0.6", "cmi.score.scaled", "0.75", "cmi.score.raw", "75",
				"cmi.score.min", "0", "cmi.score.max", "100", "cmi.location", "p3", "cmi.completion_status", "incomplete",
				"cmi.session_time", "PT2M", "cmi.exit", "suspend"},
			want: Summary{Completion: "completed", Success: "failed", ScoreScaled: f64(0.75), ScoreRaw: f64(75),
				ScoreMin: f64(0), ScoreMax: f64(100), ProgressMeasure: f64(0.6), Location: "p3",
				TotalTime: 2 * time.Minute, TotalTimeText: "PT0H2M0S", Suspended: true},
		},
		{
			name: "2004 session time counted once after EndSession", v: V2004,
			changes: []string{"cmi.session_time", "PT2M", "cmi.success_status", "passed", "cmi.completion_status", "completed"},
			end:     true,
			want: Summary{Completion: "completed", Success: "passed", TotalTime: 2 * time.Minute,
				TotalTimeText: "PT0H2M0S"},
		},
		{
			name: "1.2 fresh", v: V12,
			want: Summary{Completion: "not attempted", Success: "unknown", TotalTimeText: "0000:00:00.00"},
		},
		{
			name: "1.2 passed with derived scaled score", v: V12,
			changes: []string{"cmi.core.lesson_status", "passed", "cmi.core.score.raw", "40",
				"cmi.core.score.min", "20", "cmi.core.score.max", "60", "cmi.core.lesson_location", "end",
				"cmi.core.session_time", "00:01:00.5"},
			want: Summary{Completion: "completed", Success: "passed", ScoreScaled: f64(0.5), ScoreRaw: f64(40),
				ScoreMin: f64(20), ScoreMax: f64(60), Location: "end", TotalTime: 60500 * time.Millisecond,
				TotalTimeText: "0000:01:00.50"},
		},
		{
			name: "1.2 mastery score applied at commit", v: V12, init: Init{MasteryScore: f64(70)},
			changes: []string{"cmi.core.lesson_status", "completed", "cmi.core.score.raw", "65"},
			want: Summary{Completion: "completed", Success: "failed", ScoreScaled: f64(0.65), ScoreRaw: f64(65),
				TotalTimeText: "0000:00:00.00"},
		},
		{
			name: "1.2 browsed and blank score", v: V12,
			changes: []string{"cmi.core.lesson_status", "browsed", "cmi.core.score.raw", ""},
			want:    Summary{Completion: "incomplete", Success: "unknown", TotalTimeText: "0000:00:00.00"},
		},
		{
			name: "1.2 never set becomes completed at finish", v: V12, end: true,
			want: Summary{Completion: "completed", Success: "unknown", TotalTimeText: "0000:00:00.00"},
		},
	} {
		s := newState(t, c.v, c.init)
		apply(t, s, c.changes...)
		if c.end {
			s.EndSession()
		}
		got := s.Summary()
		w := c.want
		if got.Completion != w.Completion || got.Success != w.Success || !eqf(got.ScoreScaled, w.ScoreScaled) ||
			!eqf(got.ScoreRaw, w.ScoreRaw) || !eqf(got.ScoreMin, w.ScoreMin) || !eqf(got.ScoreMax, w.ScoreMax) ||
			!eqf(got.ProgressMeasure, w.ProgressMeasure) || got.TotalTime != w.TotalTime ||
			got.TotalTimeText != w.TotalTimeText || got.Location != w.Location || got.Suspended != w.Suspended {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(w)
			t.Errorf("%s:\n got %s\nwant %s", c.name, gj, wj)
		}
	}
}

func TestStateJSONRoundTrip(t *testing.T) {
	s := newState(t, V2004, Init{SharedData: []SharedData{{ID: "d", Readable: true}}})
	apply(t, s, "cmi.interactions.0.id", "q", "cmi.interactions.0.type", "choice",
		"cmi.interactions.0.correct_responses.0.pattern", "a[,]b", "cmi.suspend_data", "{\"x\":1}")
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back State
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back.Version != s.Version || !maps.Equal(back.Values, s.Values) || !maps.Equal(back.Counts, s.Counts) ||
		back.SuspendDataMax != s.SuspendDataMax || len(back.Shared) != 1 || !back.Shared[0].Readable {
		t.Errorf("round trip lost data:\n%s", data)
	}
	// A decoded state keeps working, including uniqueness against old records.
	err = back.Apply([]Change{{"cmi.interactions.0.correct_responses.1.pattern", "b[,]a"}})
	if se := (*SetError)(nil); !errors.As(err, &se) || se.Code != 351 {
		t.Errorf("duplicate pattern after round trip: %v, want 351", err)
	}
}

func TestDecodedStateWithoutMaps(t *testing.T) {
	var s State
	if err := json.Unmarshal([]byte(`{"version":"2004"}`), &s); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply([]Change{{"cmi.location", "x"}}); err != nil {
		t.Fatalf("Apply on a minimal decoded state: %v", err)
	}
	var bad State
	if err := bad.Apply(nil); err == nil {
		t.Error("Apply on a state without version succeeded")
	}
	if v, code, _ := bad.GetValue("cmi.location", nil); v != "" || code != CodeGeneralException {
		t.Errorf("GetValue on a state without version = %q, %d", v, code)
	}
}

func TestRuntimeOnCommit(t *testing.T) {
	s := newState(t, V2004, Init{})
	rt := NewRuntime(s)
	var got [][]Change
	fail := false
	rt.OnCommit = func(c []Change) error {
		if fail {
			return errors.New("server unreachable")
		}
		got = append(got, append([]Change(nil), c...))
		return nil
	}
	rt.Initialize("")
	rt.SetValue("cmi.location", "a")
	rt.SetValue("cmi.score.scaled", "7") // refused: not sent
	rt.SetValue("cmi.suspend_data", "b")
	if rt.Commit("") != "true" || len(got) != 1 || len(got[0]) != 2 || got[0][1] != (Change{"cmi.suspend_data", "b"}) {
		t.Fatalf("commit sent %v", got)
	}
	if rt.Commit("") != "true" || len(got) != 1 {
		t.Errorf("an empty commit called OnCommit: %v", got)
	}
	rt.SetValue("cmi.location", "c")
	fail = true
	if rt.Commit("") != "false" || rt.GetLastError() != "391" {
		t.Errorf("failed commit: error %s, want 391", rt.GetLastError())
	}
	if len(rt.Pending()) != 1 {
		t.Errorf("pending after failed commit = %v, want kept", rt.Pending())
	}
	fail = false
	if rt.Terminate("") != "true" || len(got) != 2 || got[1][0].Value != "c" {
		t.Errorf("Terminate did not commit the pending change: %v", got)
	}
}

func TestRuntimeDiagnostics(t *testing.T) {
	rt := NewRuntime(newState(t, V2004, Init{}))
	rt.Initialize("")
	rt.SetValue("cmi.score.scaled", "1.5")
	if rt.GetLastError() != "407" {
		t.Fatalf("last error %s", rt.GetLastError())
	}
	for _, code := range []string{"", "407"} {
		if d := rt.GetDiagnostic(code); !strings.Contains(d, "maximum") {
			t.Errorf("GetDiagnostic(%q) = %q, want the detail of the range error", code, d)
		}
	}
	if d := rt.GetDiagnostic("404"); d != "Data Model Element Is Read Only" {
		t.Errorf("GetDiagnostic(404) = %q, want its error string", d)
	}
	rt.GetValue("cmi.mode")
	if d := rt.GetDiagnostic(""); d != "No Error" {
		t.Errorf("GetDiagnostic after success = %q", d)
	}
	if rt.Call("NoSuchFunction") != "" {
		t.Error("unknown call returned a value")
	}
}

func TestSharedDataRoundTrip(t *testing.T) {
	v := "start"
	s := newState(t, V2004, Init{SharedData: []SharedData{
		{ID: "notes", Readable: true, Writable: true, Value: &v},
		{ID: "empty", Readable: true, Writable: true},
	}})
	apply(t, s, "adl.data.0.store", "changed", "adl.data.1.store", "")
	got := s.SharedData()
	if len(got) != 2 || got[0].ID != "notes" || got[0].Value == nil || *got[0].Value != "changed" ||
		got[1].Value == nil || *got[1].Value != "" || !got[1].Writable {
		t.Errorf("SharedData() = %+v", got)
	}
	// Fed back as the next launch's Init, the values carry over.
	next, err := NewState(V2004, Init{LearnerID: "l", SharedData: got}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if val, code, _ := next.GetValue("adl.data.0.store", nil); val != "changed" || code != 0 {
		t.Errorf("adl.data.0.store on the next launch = %q, %d", val, code)
	}
}

func TestInitAllowsLongLMSText(t *testing.T) {
	long := strings.Repeat("d", 5000) // beyond the 4,000 SPM of launch_data
	s, err := NewState(V2004, Init{LearnerID: "l", LaunchData: &long}, nil)
	if err != nil {
		t.Fatalf("NewState with long launch data: %v", err)
	}
	if got, _, _ := s.GetValue("cmi.launch_data", nil); got != long {
		t.Errorf("launch_data has %d characters, want %d", len(got), len(long))
	}
}
