package report

import (
	"context"
	"encoding/json"
	"io"
	"strconv"

	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm/cmi"
)

// Interaction is one question a learner answered, as the SCO reported it.
type Interaction struct {
	ID, Type, Description, Response, Result, Latency, Time string
}

// Objective is one objective of a SCO, as the SCO reported it.
type Objective struct {
	ID, Success, Completion, Score, Progress string
}

// Details are the interactions and objectives of one SCO state.
type Details struct {
	Interactions []Interaction
	Objectives   []Objective
}

// DetailsOf reads the interactions and objectives out of a stored cmi.State,
// in either version's element names.
func DetailsOf(raw []byte) (Details, error) {
	var st cmi.State
	if err := json.Unmarshal(raw, &st); err != nil {
		return Details{}, err
	}
	v := st.Values
	var d Details
	for i := range st.Counts["cmi.interactions"] {
		p := "cmi.interactions." + strconv.Itoa(i) + "."
		it := Interaction{ID: v[p+"id"], Type: v[p+"type"], Description: v[p+"description"],
			Response: v[p+"learner_response"], Result: v[p+"result"], Latency: v[p+"latency"], Time: v[p+"timestamp"]}
		if st.Version == cmi.V12 {
			it.Response, it.Time = v[p+"student_response"], v[p+"time"]
		}
		d.Interactions = append(d.Interactions, it)
	}
	for i := range st.Counts["cmi.objectives"] {
		p := "cmi.objectives." + strconv.Itoa(i) + "."
		o := Objective{ID: v[p+"id"], Success: v[p+"success_status"], Completion: v[p+"completion_status"],
			Score: v[p+"score.scaled"], Progress: v[p+"progress_measure"]}
		if st.Version == cmi.V12 {
			o.Success, o.Completion, o.Score = v[p+"status"], "", v[p+"score.raw"]
		}
		d.Objectives = append(d.Objectives, o)
	}
	return d, nil
}

var interactionColumns = []column{
	{"learner", "Learner", 0}, {"email", "Email", 0}, {"attempt", "Attempt", 0}, {"sco", "SCO", 0}, {"id", "Question", 0},
	{"type", "Type", 0}, {"description", "Description", 0}, {"response", "Learner response", 0}, {"result", "Result", 0},
	{"latency", "Latency", 0}, {"time", "Time", 0},
}

var objectiveColumns = []column{
	{"learner", "Learner", 0}, {"email", "Email", 0}, {"attempt", "Attempt", 0}, {"sco", "SCO", 0}, {"id", "Objective", 0},
	{"success", "Success", 0}, {"completion", "Completion", 0}, {"score", "Score", 0}, {"progress", "Progress", 0},
}

// Detail kinds.
const (
	KindInteractions = "interactions"
	KindObjectives   = "objectives"
)

// ExportDetails writes the interactions or objectives of a course (or of one
// attempt) in format to w, streamed SCO by SCO.
func (s *Service) ExportDetails(ctx context.Context, w io.Writer, format, kind string, courseID, attemptID uint) error {
	cols := interactionColumns
	if kind == KindObjectives {
		cols = objectiveColumns
	}
	tw, err := newTableWriter(w, format, cols)
	if err != nil {
		return err
	}
	cells := make([]any, len(cols))
	err = s.Store.EachDetailSource(ctx, courseID, attemptID, func(src *store.DetailSource) error {
		d, err := DetailsOf(src.State)
		if err != nil {
			return nil // a state Lectern cannot read has no details to give
		}
		head := []any{src.UserName, src.UserEmail, src.AttemptNumber, src.ItemTitle}
		if kind == KindObjectives {
			for _, o := range d.Objectives {
				cells = append(append(cells[:0], head...), o.ID, o.Success, o.Completion, o.Score, o.Progress)
				if err := tw.row(cells); err != nil {
					return err
				}
			}
			return nil
		}
		for _, it := range d.Interactions {
			cells = append(append(cells[:0], head...), it.ID, it.Type, it.Description, it.Response, it.Result, it.Latency, it.Time)
			if err := tw.row(cells); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tw.abort()
		return err
	}
	return tw.close()
}
