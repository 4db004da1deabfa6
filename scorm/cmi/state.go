package cmi

import (
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
)

// DefaultSuspendDataMax is the suspend_data limit when Init leaves it 0. It
// is the SCORM 2004 SPM and applies to 1.2 too: 1.2's 4,096 characters are
// too few for Storyline and Captivate, which write far more.
const DefaultSuspendDataMax = 64000

// Init is what the LMS knows at launch: the learner, the manifest's values
// for the SCO, and its own settings. Pointer fields are "not defined" when
// nil, which matters in 2004 (GetValue answers 403 for undefined values).
type Init struct {
	LearnerID   string `json:"learnerId,omitempty"`
	LearnerName string `json:"learnerName,omitempty"`
	// Credit is "credit" (default) or "no-credit".
	Credit string `json:"credit,omitempty"`
	// Mode is "normal" (default), "browse" or "review".
	Mode string `json:"mode,omitempty"`
	// LaunchData is adlcp:datafromlms (1.2) / adlcp:dataFromLMS (2004).
	LaunchData *string `json:"launchData,omitempty"`
	// MasteryScore is adlcp:masteryscore (1.2), 0..100.
	MasteryScore *float64 `json:"masteryScore,omitempty"`
	// MaxTimeAllowed is adlcp:maxtimeallowed (1.2) / imsss:attemptAbsoluteDurationLimit (2004).
	MaxTimeAllowed *time.Duration `json:"maxTimeAllowed,omitempty"`
	// TimeLimitAction is adlcp:timelimitaction, e.g. "exit,message".
	TimeLimitAction string `json:"timeLimitAction,omitempty"`
	// CompletionThreshold is adlcp:completionThreshold (2004), 0..1.
	CompletionThreshold *float64 `json:"completionThreshold,omitempty"`
	// ScaledPassingScore is the primary objective's minNormalizedMeasure
	// when satisfiedByMeasure is true (2004), -1..1.
	ScaledPassingScore *float64 `json:"scaledPassingScore,omitempty"`
	// MaxTimeAllowedText, when set, is cmi.max_time_allowed exactly as the
	// manifest wrote it (2004): a duration is never rewritten.
	MaxTimeAllowedText string `json:"maxTimeAllowedText,omitempty"`
	// ObjectiveIDs are the SCO's objectives from the manifest (2004); they
	// are present as cmi.objectives.n.id from the start.
	ObjectiveIDs []string `json:"objectiveIds,omitempty"`
	// Objectives, when set, replace ObjectiveIDs: the manifest's objectives
	// with what sequencing knows of them (read from global objectives), set
	// at every launch.
	Objectives []ObjectiveInit `json:"objectives,omitempty"`
	// CommentsFromLMS become cmi.comments_from_lms.n (2004); in 1.2 their
	// texts, one per line, become cmi.comments_from_lms.
	CommentsFromLMS []LMSComment `json:"commentsFromLms,omitempty"`
	// Preferences are the learner's defaults, keyed by the last part of the
	// element name: audio_level, language, delivery_speed, audio_captioning
	// (2004) or audio, language, speed, text (1.2). They apply to a new
	// attempt; a resumed attempt keeps what the SCO set.
	Preferences map[string]string `json:"preferences,omitempty"`
	// SharedData are the adl.data stores (2004 4th Edition) with the
	// manifest's permissions and their current values.
	SharedData []SharedData `json:"sharedData,omitempty"`
	// SuspendDataMax limits cmi.suspend_data in characters; 0 means
	// DefaultSuspendDataMax.
	SuspendDataMax int `json:"suspendDataMax,omitempty"`
}

// ObjectiveInit is one objective the LMS puts in cmi.objectives (2004). Nil
// or "" fields are left as they are.
type ObjectiveInit struct {
	ID          string   `json:"id"`
	Success     string   `json:"success,omitempty"`    // passed, failed
	Completion  string   `json:"completion,omitempty"` // completed, incomplete
	ScoreScaled *float64 `json:"scaled,omitempty"`
	Raw         *float64 `json:"raw,omitempty"`
	Min         *float64 `json:"min,omitempty"`
	Max         *float64 `json:"max,omitempty"`
	Progress    *float64 `json:"progress,omitempty"`
}

// LMSComment is one of cmi.comments_from_lms.
type LMSComment struct {
	Comment   string `json:"comment"`
	Location  string `json:"location,omitempty"`
	Timestamp string `json:"timestamp,omitempty"`
}

// SharedData is one adl.data record: adlcp:data/adlcp:map targetID with
// readSharedData and writeSharedData. Value nil means never written.
type SharedData struct {
	ID       string  `json:"id"`
	Readable bool    `json:"readable"`
	Writable bool    `json:"writable"`
	Value    *string `json:"value,omitempty"`
}

// Access of one adl.data record.
type SharedAccess struct {
	Readable bool `json:"readable"`
	Writable bool `json:"writable"`
}

// State is everything the run-time data model holds for one SCO attempt,
// serialisable as JSON for storage and for the browser shim, which starts
// from the same document.
//
// Values maps concrete element names (cmi.interactions.0.id) to the value a
// SCO or the LMS set; elements absent from it answer their table Default.
// Counts holds the record count of each concrete collection path
// (cmi.interactions, cmi.interactions.0.correct_responses).
type State struct {
	Version        Version           `json:"version"`
	Values         map[string]string `json:"values"`
	Counts         map[string]int    `json:"counts,omitempty"`
	Shared         []SharedAccess    `json:"shared,omitempty"`
	SuspendDataMax int               `json:"suspendDataMax"`
	// SessionEnded is set by EndSession; the state then accepts no changes
	// until NewState starts the next session from it.
	SessionEnded bool `json:"sessionEnded,omitempty"`

	journal *[]undo // set while Apply runs, to roll back a refused batch
}

type undo struct {
	count   bool
	key     string
	value   string
	existed bool
	n       int
}

// ErrSessionEnded is returned by Apply once EndSession has run.
var ErrSessionEnded = errors.New("cmi: session already ended")

func (s *State) model() *dataModel { return modelFor(s.Version) }

// NewState starts a launch session for a SCO. With prev == nil, or when prev
// says a new attempt must start (NewAttemptNeeded), it is a fresh attempt
// with cmi.entry "ab-initio"; otherwise prev's values are carried over and
// entry is "resume" (after exit "suspend") or "" (1.2 re-entry). Values the
// LMS owns (learner, credit, mode, manifest values, shared data) are always
// taken from init. prev is not modified; if its session was not ended it is
// ended first (on a copy), as the LMS would on a lost browser.
func NewState(v Version, init Init, prev *State) (*State, error) {
	m := modelFor(v)
	if m == nil {
		return nil, fmt.Errorf("cmi: unknown version %q", v)
	}
	if prev != nil && prev.Version != v {
		return nil, fmt.Errorf("cmi: previous state is version %q, not %q", prev.Version, v)
	}
	s := &State{Version: v, Values: map[string]string{}, Counts: map[string]int{}}
	fresh := true
	entry := "ab-initio"
	if prev != nil {
		p := prev.Clone()
		p.EndSession()
		if !p.NewAttemptNeeded() {
			fresh = false
			s.Values, s.Counts = p.Values, p.Counts
			entry = ""
			if p.exitValue() == "suspend" {
				entry = "resume"
			}
		}
	}
	// Per-session values never cross a session.
	for _, k := range []string{"cmi.exit", "cmi.session_time", "cmi.core.exit", "cmi.core.session_time", "adl.nav.request"} {
		delete(s.Values, k)
	}
	if err := s.applyInit(m, init, fresh); err != nil {
		return nil, err
	}
	s.Values[pick(v, "cmi.core.entry", "cmi.entry")] = entry
	return s, nil
}

// pick returns a for 1.2 and b for 2004.
func pick(v Version, a, b string) string {
	if v == V12 {
		return a
	}
	return b
}

// applyInit writes the LMS-owned values, validating each against the table.
// maxObjectiveID bounds an objective id the LMS puts in cmi.objectives
// (the SPM of long_identifier_type).
const maxObjectiveID = 4000

func (s *State) applyInit(m *dataModel, in Init, fresh bool) error {
	v := s.Version
	put := func(name, value string) error {
		r, ok := m.resolve(name)
		if !ok {
			return fmt.Errorf("cmi: init: no element %s", name)
		}
		if err := s.check(r, value); err != nil {
			// An LMS-owned text longer than the SPM (a long dataFromLMS) is
			// passed on rather than refusing the launch; everything else
			// (format, vocabulary, numeric range) must be right.
			if !(err.kind == kRange && !r.el.typ.Numeric) {
				return fmt.Errorf("cmi: init: %s = %q: %s", name, clip(value), err.diag)
			}
		}
		s.Values[name] = value
		return nil
	}
	// An objective's id comes from the manifest, where the import
	// normalised it (trimmed, %-escapes decoded): it is taken as written
	// even where it is not a well-formed URI ("ob j 1", ADL OB-12a), so
	// that the SCO finds the objective the manifest names.
	putID := func(name, value string) error {
		if value == "" || len(value) > maxObjectiveID {
			return fmt.Errorf("cmi: init: %s = %q: an objective id has 1 to %d characters", name, clip(value), maxObjectiveID)
		}
		s.Values[name] = value
		return nil
	}
	unset := func(names ...string) {
		for _, n := range names {
			delete(s.Values, n)
		}
	}
	credit, mode := in.Credit, in.Mode
	if credit == "" {
		credit = "credit"
	}
	if mode == "" {
		mode = "normal"
	}
	s.SuspendDataMax = in.SuspendDataMax
	if s.SuspendDataMax <= 0 {
		s.SuspendDataMax = DefaultSuspendDataMax
	}
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	if v == V12 {
		add(put("cmi.core.student_id", in.LearnerID))
		add(put("cmi.core.student_name", in.LearnerName))
		add(put("cmi.core.credit", credit))
		add(put("cmi.core.lesson_mode", mode))
		unset("cmi.launch_data", "cmi.student_data.mastery_score", "cmi.student_data.max_time_allowed",
			"cmi.student_data.time_limit_action", "cmi.comments_from_lms")
		if in.LaunchData != nil {
			add(put("cmi.launch_data", *in.LaunchData))
		}
		if in.MasteryScore != nil {
			add(put("cmi.student_data.mastery_score", formatFloat(*in.MasteryScore)))
		}
		if in.MaxTimeAllowed != nil {
			add(put("cmi.student_data.max_time_allowed", FormatTimespan(*in.MaxTimeAllowed)))
		}
		if in.TimeLimitAction != "" {
			add(put("cmi.student_data.time_limit_action", in.TimeLimitAction))
		}
		if len(in.CommentsFromLMS) > 0 {
			texts := make([]string, len(in.CommentsFromLMS))
			for i, c := range in.CommentsFromLMS {
				texts[i] = c.Comment
			}
			add(put("cmi.comments_from_lms", strings.Join(texts, "\n")))
		}
	} else {
		add(put("cmi.learner_id", in.LearnerID))
		add(put("cmi.learner_name", in.LearnerName))
		add(put("cmi.credit", credit))
		add(put("cmi.mode", mode))
		unset("cmi.launch_data", "cmi.completion_threshold", "cmi.scaled_passing_score",
			"cmi.max_time_allowed", "cmi.time_limit_action")
		if in.LaunchData != nil {
			add(put("cmi.launch_data", *in.LaunchData))
		}
		if in.CompletionThreshold != nil {
			add(put("cmi.completion_threshold", formatFloat(*in.CompletionThreshold)))
		}
		if in.ScaledPassingScore != nil {
			add(put("cmi.scaled_passing_score", formatFloat(*in.ScaledPassingScore)))
		}
		switch {
		case in.MaxTimeAllowedText != "":
			add(put("cmi.max_time_allowed", in.MaxTimeAllowedText))
		case in.MaxTimeAllowed != nil:
			add(put("cmi.max_time_allowed", FormatDuration(*in.MaxTimeAllowed)))
		}
		if in.TimeLimitAction != "" {
			add(put("cmi.time_limit_action", in.TimeLimitAction))
		}
		s.clearCollection("cmi.comments_from_lms")
		for i, c := range in.CommentsFromLMS {
			p := "cmi.comments_from_lms." + strconv.Itoa(i) + "."
			add(put(p+"comment", c.Comment))
			if c.Location != "" {
				add(put(p+"location", c.Location))
			}
			if c.Timestamp != "" {
				add(put(p+"timestamp", c.Timestamp))
			}
			s.Counts["cmi.comments_from_lms"] = i + 1
		}
		// Manifest objectives exist from the start; a resumed attempt
		// already has them, possibly among objectives the SCO added.
		for _, id := range in.ObjectiveIDs {
			if !s.hasObjective(id) {
				n := s.Counts["cmi.objectives"]
				add(putID("cmi.objectives."+strconv.Itoa(n)+".id", id))
				s.Counts["cmi.objectives"] = n + 1
			}
		}
		for _, o := range in.Objectives {
			n := s.objectiveIndex(o.ID)
			if n < 0 {
				n = s.Counts["cmi.objectives"]
				add(putID("cmi.objectives."+strconv.Itoa(n)+".id", o.ID))
				s.Counts["cmi.objectives"] = n + 1
			}
			p := "cmi.objectives." + strconv.Itoa(n) + "."
			if o.Success != "" {
				add(put(p+"success_status", o.Success))
			}
			if o.Completion != "" {
				add(put(p+"completion_status", o.Completion))
			}
			for name, v := range map[string]*float64{"score.scaled": o.ScoreScaled, "score.raw": o.Raw, "score.min": o.Min,
				"score.max": o.Max, "progress_measure": o.Progress} {
				if v != nil {
					add(put(p+name, formatFloat(*v)))
				}
			}
		}
		// Shared data is global to the learner and course: the LMS's copy is
		// the truth for every launch.
		s.clearCollection("adl.data")
		s.Shared = nil
		for i, d := range in.SharedData {
			p := "adl.data." + strconv.Itoa(i) + "."
			add(put(p+"id", d.ID))
			if d.Value != nil {
				add(put(p+"store", *d.Value))
			}
			s.Shared = append(s.Shared, SharedAccess{Readable: d.Readable, Writable: d.Writable})
			s.Counts["adl.data"] = i + 1
		}
	}
	if fresh {
		prefix := pick(v, "cmi.student_preference.", "cmi.learner_preference.")
		for k, val := range in.Preferences {
			add(put(prefix+k, val))
		}
	}
	return errors.Join(errs...)
}

func (s *State) hasObjective(id string) bool { return s.objectiveIndex(id) >= 0 }

func (s *State) objectiveIndex(id string) int {
	for i := range s.Counts["cmi.objectives"] {
		if s.Values["cmi.objectives."+strconv.Itoa(i)+".id"] == id {
			return i
		}
	}
	return -1
}

// clearCollection removes a collection's records and their values.
func (s *State) clearCollection(path string) {
	prefix := path + "."
	for k := range s.Values {
		if strings.HasPrefix(k, prefix) {
			s.delValue(k)
		}
	}
	for k := range s.Counts {
		if strings.HasPrefix(k, prefix) {
			s.setCount(k, 0)
		}
	}
	s.setCount(path, 0)
}

// SharedData returns the adl.data records with their current values, for
// the LMS to store back after a commit (shared data outlives the attempt).
func (s *State) SharedData() []SharedData {
	out := make([]SharedData, s.Counts["adl.data"])
	for i := range out {
		p := "adl.data." + strconv.Itoa(i) + "."
		out[i].ID = s.Values[p+"id"]
		if v, ok := s.Values[p+"store"]; ok {
			out[i].Value = &v
		}
		if i < len(s.Shared) {
			out[i].Readable, out[i].Writable = s.Shared[i].Readable, s.Shared[i].Writable
		}
	}
	return out
}

// Clone returns a deep copy.
func (s *State) Clone() *State {
	c := *s
	c.Values = maps.Clone(s.Values)
	c.Counts = maps.Clone(s.Counts)
	if c.Values == nil {
		c.Values = map[string]string{}
	}
	if c.Counts == nil {
		c.Counts = map[string]int{}
	}
	c.Shared = append([]SharedAccess(nil), s.Shared...)
	c.journal = nil
	return &c
}

// Mutations go through these so that Apply can roll back.

func (s *State) putValue(k, v string) {
	if s.journal != nil {
		old, ok := s.Values[k]
		*s.journal = append(*s.journal, undo{key: k, value: old, existed: ok})
	}
	s.Values[k] = v
}

func (s *State) delValue(k string) {
	old, ok := s.Values[k]
	if !ok {
		return
	}
	if s.journal != nil {
		*s.journal = append(*s.journal, undo{key: k, value: old, existed: true})
	}
	delete(s.Values, k)
}

func (s *State) setCount(k string, n int) {
	if s.journal != nil {
		old, ok := s.Counts[k]
		*s.journal = append(*s.journal, undo{count: true, key: k, n: old, existed: ok})
	}
	if n == 0 {
		delete(s.Counts, k)
		return
	}
	s.Counts[k] = n
}

func (s *State) rollback(j []undo) {
	for i := len(j) - 1; i >= 0; i-- {
		u := j[i]
		switch {
		case u.count && u.existed:
			s.Counts[u.key] = u.n
		case u.count:
			delete(s.Counts, u.key)
		case u.existed:
			s.Values[u.key] = u.value
		default:
			delete(s.Values, u.key)
		}
	}
}

// Change is one SetValue the SCO made, as the browser sends it on commit.
type Change struct {
	Element string `json:"element"`
	Value   string `json:"value"`
}

// Apply re-validates and applies a batch of changes in order, exactly as the
// SCO's SetValue calls were applied in the browser. It is all or nothing:
// on the first refused change it returns a *SetError naming it and leaves
// the state as it was.
func (s *State) Apply(changes []Change) error {
	if err := s.ready(); err != nil {
		return err
	}
	if s.SessionEnded {
		return ErrSessionEnded
	}
	j := make([]undo, 0, len(changes)+4)
	s.journal = &j
	defer func() { s.journal = nil }()
	for i, c := range changes {
		if err := s.set(c.Element, c.Value); err != nil {
			s.rollback(j)
			return &SetError{Index: i, Element: c.Element, Code: kindCodes[s.Version][err.kind], Diagnostic: err.diag}
		}
	}
	return nil
}

// ready makes a State decoded from JSON usable: maps exist and the limit is
// set. It fails only for an unknown version.
func (s *State) ready() error {
	if modelFor(s.Version) == nil {
		return fmt.Errorf("cmi: state has unknown version %q", s.Version)
	}
	if s.Values == nil {
		s.Values = map[string]string{}
	}
	if s.Counts == nil {
		s.Counts = map[string]int{}
	}
	if s.SuspendDataMax <= 0 {
		s.SuspendDataMax = DefaultSuspendDataMax
	}
	return nil
}

// exitValue is the cmi.exit / cmi.core.exit the SCO set in this session.
func (s *State) exitValue() string {
	return s.Values[pick(s.Version, "cmi.core.exit", "cmi.exit")]
}

// NewAttemptNeeded tells whether the next launch must start a new attempt
// (fresh data, entry "ab-initio") rather than continue this one.
//
// SCORM 2004: only exit "suspend" keeps the attempt; "normal", "logout",
// "time-out" and "" end it (RTE 4.2.8: without suspend the learner attempt
// is over). SCORM 1.2: "logout" and "time-out" end it; "suspend" resumes
// and "" re-enters the same data with entry "". An LMS may add its own
// policy on top (for example a new attempt after "completed" in 1.2).
func (s *State) NewAttemptNeeded() bool {
	exit := s.exitValue()
	if s.Version == V12 {
		return exit == "logout" || exit == "time-out"
	}
	return exit != "suspend"
}

// EndSession closes the session: it adds session_time to total_time (once,
// however often it is called) and, in 1.2, settles lesson_status. Runtime's
// Terminate calls it; the LMS calls it itself when a session ends without
// Terminate (closed window, timeout). cmi.exit is kept until the next
// NewState so that NewAttemptNeeded can read it.
func (s *State) EndSession() {
	if s.SessionEnded || s.ready() != nil {
		return
	}
	s.SessionEnded = true
	totalKey := pick(s.Version, "cmi.core.total_time", "cmi.total_time")
	sessKey := pick(s.Version, "cmi.core.session_time", "cmi.session_time")
	if st, ok := s.Values[sessKey]; ok {
		total := s.get1(totalKey)
		var sum time.Duration
		if s.Version == V12 {
			a, _ := ParseTimespan(total)
			b, _ := ParseTimespan(st)
			sum = addDurations(a, b)
			s.Values[totalKey] = FormatTimespan(sum)
		} else {
			a, _ := ParseDuration(total)
			b, _ := ParseDuration(st)
			sum = addDurations(a, b)
			s.Values[totalKey] = FormatDuration(sum)
		}
		delete(s.Values, sessKey)
	}
	if s.Version == V12 {
		s.Values["cmi.core.lesson_status"] = s.lessonStatus12(true)
	}
}

// lessonStatus12 applies the SCORM 1.2 LMS rules to lesson_status:
//
//  1. With a mastery score, credit, and a raw score, the status is passed
//     or failed by comparing them (RTE 3.4.4, mastery_score).
//  2. At LMSFinish, a status the SCO never set ("not attempted") becomes
//     "browsed" in browse mode and "completed" otherwise. The spec leaves
//     this to the LMS; completed is what most LMSs do, so that content
//     that only launches and closes counts as seen.
func (s *State) lessonStatus12(finishing bool) string {
	status := s.get1("cmi.core.lesson_status")
	mastery, okM := s.Values["cmi.student_data.mastery_score"]
	raw, okR := s.Values["cmi.core.score.raw"]
	if okM && okR && raw != "" && s.get1("cmi.core.credit") == "credit" {
		m, _ := strconv.ParseFloat(mastery, 64)
		r, _ := strconv.ParseFloat(raw, 64)
		if r >= m {
			return "passed"
		}
		return "failed"
	}
	if finishing && status == "not attempted" {
		if s.get1("cmi.core.lesson_mode") == "browse" {
			return "browsed"
		}
		return "completed"
	}
	return status
}

// get1 is the stored value of a non-indexed element or its default.
func (s *State) get1(name string) string {
	if v, ok := s.Values[name]; ok {
		return v
	}
	if el := s.model().byName[name]; el != nil && el.Default != nil {
		return *el.Default
	}
	return ""
}

func addDurations(a, b time.Duration) time.Duration {
	if a > 0 && b > 0 && a > maxDuration-b {
		return maxDuration
	}
	return a + b
}
