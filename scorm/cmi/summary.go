package cmi

import (
	"strconv"
	"time"
)

// Summary is what the LMS stores in an attempt's columns after each commit,
// so that reports read columns instead of state blobs. Both versions map to
// the SCORM 2004 vocabulary.
type Summary struct {
	// Completion is "completed", "incomplete", "not attempted" or "unknown".
	Completion string `json:"completion"`
	// Success is "passed", "failed" or "unknown".
	Success string `json:"success"`
	// Scores are nil when not set. In 1.2 ScoreScaled is derived (see
	// Summary).
	ScoreScaled     *float64 `json:"scoreScaled,omitempty"`
	ScoreRaw        *float64 `json:"scoreRaw,omitempty"`
	ScoreMin        *float64 `json:"scoreMin,omitempty"`
	ScoreMax        *float64 `json:"scoreMax,omitempty"`
	ProgressMeasure *float64 `json:"progressMeasure,omitempty"`
	// TotalTime includes the running session's session_time, if the SCO has
	// set one, until EndSession folds it into total_time.
	TotalTime time.Duration `json:"totalTime"`
	// TotalTimeText is TotalTime in the version's format (CMITimespan or
	// ISO 8601 duration).
	TotalTimeText string `json:"totalTimeText"`
	Location      string `json:"location"`
	// Suspended is true when the SCO exited with "suspend" (the attempt
	// resumes next launch).
	Suspended bool `json:"suspended"`
}

// Summary evaluates the state the way the specs define status, as of now.
//
// SCORM 2004: completion and success are evaluated exactly like GetValue
// (completion_threshold vs progress_measure, scaled_passing_score vs
// score.scaled).
//
// SCORM 1.2: lesson_status with the mastery-score rule applied (see
// EndSession) maps to passed → completed/passed, failed → completed/failed,
// completed → completed/unknown, incomplete and browsed →
// incomplete/unknown, not attempted → not attempted/unknown. 1.2 has no
// scaled score: ScoreScaled is (raw-min)/(max-min) when min < max are set,
// else raw/100 (1.2 scores are 0..100), clamped to -1..1.
func (s *State) Summary() Summary {
	var sum Summary
	if s.Version == V12 {
		switch st := s.lessonStatus12(false); st {
		case "passed", "failed":
			sum.Completion, sum.Success = "completed", st
		case "completed":
			sum.Completion, sum.Success = "completed", "unknown"
		case "incomplete", "browsed":
			sum.Completion, sum.Success = "incomplete", "unknown"
		default:
			sum.Completion, sum.Success = "not attempted", "unknown"
		}
		sum.ScoreRaw = s.float("cmi.core.score.raw")
		sum.ScoreMin = s.float("cmi.core.score.min")
		sum.ScoreMax = s.float("cmi.core.score.max")
		if r := sum.ScoreRaw; r != nil {
			scaled := *r / 100
			if lo, hi := sum.ScoreMin, sum.ScoreMax; lo != nil && hi != nil && *lo < *hi {
				scaled = (*r - *lo) / (*hi - *lo)
			}
			scaled = max(-1, min(1, scaled))
			sum.ScoreScaled = &scaled
		}
		sum.Location = s.Values["cmi.core.lesson_location"]
	} else {
		sum.Completion = s.completionStatus()
		sum.Success = s.successStatus()
		sum.ScoreScaled = s.float("cmi.score.scaled")
		sum.ScoreRaw = s.float("cmi.score.raw")
		sum.ScoreMin = s.float("cmi.score.min")
		sum.ScoreMax = s.float("cmi.score.max")
		sum.ProgressMeasure = s.float("cmi.progress_measure")
		sum.Location = s.Values["cmi.location"]
	}
	sum.Suspended = s.exitValue() == "suspend"
	total := pick(s.Version, "cmi.core.total_time", "cmi.total_time")
	sess := pick(s.Version, "cmi.core.session_time", "cmi.session_time")
	if s.Version == V12 {
		sum.TotalTime, _ = ParseTimespan(s.get1(total))
		if st, ok := s.Values[sess]; ok && !s.SessionEnded {
			d, _ := ParseTimespan(st)
			sum.TotalTime = addDurations(sum.TotalTime, d)
		}
		sum.TotalTimeText = FormatTimespan(sum.TotalTime)
	} else {
		sum.TotalTime, _ = ParseDuration(s.get1(total))
		if st, ok := s.Values[sess]; ok && !s.SessionEnded {
			d, _ := ParseDuration(st)
			sum.TotalTime = addDurations(sum.TotalTime, d)
		}
		sum.TotalTimeText = FormatDuration(sum.TotalTime)
	}
	return sum
}

// float returns a stored numeric value, or nil if it is unset or blank.
func (s *State) float(name string) *float64 {
	v, ok := s.Values[name]
	if !ok || v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil
	}
	return &f
}
