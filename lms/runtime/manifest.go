package runtime

import (
	"time"

	"github.com/lectern/lectern/scorm"
	"github.com/lectern/lectern/scorm/cmi"
)

// objectivesOf reads a SCO's objectives from its sequencing: the scaled
// passing score (primary objective satisfied by measure) and the objective
// ids that exist in cmi.objectives from the start.
func objectivesOf(sq *scorm.Sequencing) (*float64, []string) {
	var passing *float64
	var ids []string
	if p := sq.PrimaryObjective; p != nil {
		if p.SatisfiedByMeasure {
			m := p.MinNormalizedMeasure
			passing = &m
		}
		if p.ID != "" {
			ids = append(ids, p.ID)
		}
	}
	for _, o := range sq.Objectives {
		if o.ID != "" {
			ids = append(ids, o.ID)
		}
	}
	return passing, ids
}

// attemptDurationLimit is imsss:limitConditions attemptAbsoluteDurationLimit.
func attemptDurationLimit(sq *scorm.Sequencing) *time.Duration {
	if sq.LimitConditions.AttemptAbsoluteDurationLimit == "" {
		return nil
	}
	d, err := cmi.ParseDuration(sq.LimitConditions.AttemptAbsoluteDurationLimit)
	if err != nil {
		return nil
	}
	return &d
}

// sharedDataOf gives a SCO's adl.data records with the learner's values.
func sharedDataOf(mi *scorm.Item, values map[string]string) []cmi.SharedData {
	out := make([]cmi.SharedData, 0, len(mi.SharedData))
	for _, d := range mi.SharedData {
		sd := cmi.SharedData{ID: d.TargetID, Readable: d.ReadSharedData, Writable: d.WriteSharedData}
		// An empty store reads as never written (GetValue answers 403), as
		// the ADL conformance test expects.
		if v, ok := values[d.TargetID]; ok && v != "" {
			sd.Value = &v
		}
		out = append(out, sd)
	}
	return out
}
