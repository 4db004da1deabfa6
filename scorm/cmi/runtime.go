package cmi

import (
	"strconv"
	"strings"
)

// phase is where the API instance is in its life cycle.
type phase int

const (
	notInitialized phase = iota
	running
	terminated
)

// callCodes are the errors of calls made in the wrong phase, per version:
// callCodes[v][call] = {code before Initialize, code while running (only
// Initialize), code after Terminate}. 0 means allowed.
var callCodes = map[Version]map[string][3]int{
	V12: {
		"Initialize": {0, 101, 101},
		"Terminate":  {301, 0, 301},
		"GetValue":   {301, 0, 301},
		"SetValue":   {301, 0, 301},
		"Commit":     {301, 0, 301},
	},
	V2004: {
		"Initialize": {0, 103, 104},
		"Terminate":  {112, 0, 113},
		"GetValue":   {122, 0, 123},
		"SetValue":   {132, 0, 133},
		"Commit":     {142, 0, 143},
	},
}

// Codes of failures outside the data model.
var (
	argumentCode      = map[Version]int{V12: 201, V2004: 201}
	commitFailureCode = map[Version]int{V12: 101, V2004: 391}
)

// Runtime is the API object a SCO talks to, with the exact semantics of the
// browser shim: the 2004 API_1484_11 methods, and for 1.2 the same methods
// under their LMS… names through Call. It is not safe for concurrent use
// (neither is a SCO's API).
type Runtime struct {
	State *State
	// Nav answers adl.nav.request_valid.*; nil answers "unknown".
	Nav Navigator
	// OnCommit, if set, receives the changes since the last commit on
	// Commit and Terminate; an error fails the call with 391 (1.2: 101).
	OnCommit func([]Change) error

	phase   phase
	lastErr int
	diag    string
	pending []Change
}

// NewRuntime returns an API instance over a launch's state (from NewState).
func NewRuntime(s *State) *Runtime { return &Runtime{State: s} }

func (r *Runtime) version() Version { return r.State.Version }

// enter checks the call's phase rule and resets the last error.
func (r *Runtime) enter(call string) bool {
	if code := callCodes[r.version()][call][r.phase]; code != 0 {
		r.setErr(code, call+" is not allowed "+[...]string{"before Initialize", "after Initialize", "after Terminate"}[r.phase])
		return false
	}
	r.setErr(0, "")
	return true
}

func (r *Runtime) setErr(code int, diag string) { r.lastErr, r.diag = code, diag }

func bool2s(ok bool) string {
	if ok {
		return "true"
	}
	return "false"
}

// Initialize begins the session.
func (r *Runtime) Initialize(param string) string {
	if !r.enter("Initialize") {
		return "false"
	}
	if param != "" {
		r.setErr(argumentCode[r.version()], "the parameter must be an empty string")
		return "false"
	}
	r.phase = running
	return "true"
}

// Terminate commits, ends the session (State.EndSession) and makes the
// instance refuse further calls.
func (r *Runtime) Terminate(param string) string {
	if !r.enter("Terminate") {
		return "false"
	}
	if param != "" {
		r.setErr(argumentCode[r.version()], "the parameter must be an empty string")
		return "false"
	}
	if !r.commit() {
		return "false"
	}
	r.State.EndSession()
	r.phase = terminated
	return "true"
}

// GetValue returns an element's value ("" on error).
func (r *Runtime) GetValue(element string) string {
	if !r.enter("GetValue") {
		return ""
	}
	v, code, diag := r.State.GetValue(element, r.Nav)
	r.setErr(code, diag)
	return v
}

// SetValue sets an element and records the change for the next commit.
func (r *Runtime) SetValue(element, value string) string {
	if !r.enter("SetValue") {
		return "false"
	}
	code, diag := r.State.SetValue(element, value)
	r.setErr(code, diag)
	if code != 0 {
		return "false"
	}
	r.pending = append(r.pending, Change{Element: element, Value: value})
	return "true"
}

// Commit hands the pending changes to OnCommit.
func (r *Runtime) Commit(param string) string {
	if !r.enter("Commit") {
		return "false"
	}
	if param != "" {
		r.setErr(argumentCode[r.version()], "the parameter must be an empty string")
		return "false"
	}
	return bool2s(r.commit())
}

func (r *Runtime) commit() bool {
	if r.OnCommit != nil && len(r.pending) > 0 {
		if err := r.OnCommit(r.pending); err != nil {
			r.setErr(commitFailureCode[r.version()], err.Error())
			return false
		}
	}
	r.pending = nil
	return true
}

// GetLastError returns the code of the last call's error ("0" for none).
func (r *Runtime) GetLastError() string { return strconv.Itoa(r.lastErr) }

// GetErrorString returns the standard text of a code, "" for unknown codes.
func (r *Runtime) GetErrorString(code string) string {
	n, err := strconv.Atoi(code)
	if err != nil {
		return ""
	}
	return ErrorString(r.version(), n)
}

// GetDiagnostic returns details on the last error ("" or its code), or the
// standard text of another code.
func (r *Runtime) GetDiagnostic(code string) string {
	if code == "" || code == strconv.Itoa(r.lastErr) {
		if r.diag != "" {
			return r.diag
		}
		return ErrorString(r.version(), r.lastErr)
	}
	return r.GetErrorString(code)
}

// Pending returns the changes not yet committed.
func (r *Runtime) Pending() []Change { return r.pending }

// Call invokes an API function by name, as the test vectors do. Both the
// 2004 names (Initialize, GetValue, …) and the 1.2 names (LMSInitialize,
// LMSFinish, LMSGetValue, …) are accepted; missing arguments are "". An
// unknown name returns "" and leaves the last error alone.
func (r *Runtime) Call(name string, args ...string) string {
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch strings.TrimPrefix(name, "LMS") {
	case "Initialize":
		return r.Initialize(arg(0))
	case "Terminate", "Finish":
		return r.Terminate(arg(0))
	case "GetValue":
		return r.GetValue(arg(0))
	case "SetValue":
		return r.SetValue(arg(0), arg(1))
	case "Commit":
		return r.Commit(arg(0))
	case "GetLastError":
		return r.GetLastError()
	case "GetErrorString":
		return r.GetErrorString(arg(0))
	case "GetDiagnostic":
		return r.GetDiagnostic(arg(0))
	}
	return ""
}
