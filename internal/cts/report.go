package cts

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// Report is the machine-readable outcome of a run.
type Report struct {
	Suite   string    `json:"suite"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	Passed  int       `json:"passed"`
	Failed  int       `json:"failed"`
	NotRun  int       `json:"notRun"`
	Total   int       `json:"total"`
	Results []*Result `json:"results"`
}

// Add counts a result.
func (r *Report) Add(res *Result) {
	r.Results = append(r.Results, res)
	r.Total++
	switch res.Verdict {
	case Pass:
		r.Passed++
	case Fail:
		r.Failed++
	default:
		r.NotRun++
	}
}

// Summary is one line: "N passed, M failed, K not run of T".
func (r *Report) Summary() string {
	return fmt.Sprintf("%d passed, %d failed, %d not run of %d", r.Passed, r.Failed, r.NotRun, r.Total)
}

// WriteFile writes the report as indented JSON.
func (r *Report) WriteFile(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Line is a one-line verdict for logs.
func (res *Result) Line() string {
	s := fmt.Sprintf("%-8s %-7s %5.1fs  visits %d/%d", res.ID, res.Verdict, res.Seconds, res.Reached, res.Visits)
	if res.Reason != "" {
		s += "  " + res.Reason
	}
	return s
}
