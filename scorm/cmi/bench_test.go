package cmi

import (
	"strconv"
	"strings"
	"testing"
)

// typicalCommit is what a 2004 SCO sends after two quiz questions: about 20
// values including a 4 KB suspend_data.
func typicalCommit() []Change {
	c := []Change{
		{"cmi.location", "slide-12"},
		{"cmi.suspend_data", strings.Repeat("eyJ2IjoxLCJkIjpbMSwyLDNdfQ", 158)[:4096]},
		{"cmi.score.raw", "8"},
		{"cmi.score.min", "0"},
		{"cmi.score.max", "10"},
		{"cmi.score.scaled", "0.8"},
		{"cmi.progress_measure", "0.45"},
		{"cmi.completion_status", "incomplete"},
		{"cmi.session_time", "PT12M30.5S"},
	}
	for i, typ := range []string{"choice", "fill-in"} {
		p := "cmi.interactions." + strconv.Itoa(i) + "."
		resp := map[string]string{"choice": "answer_b[,]answer_c", "fill-in": "{lang=en}photosynthesis"}[typ]
		c = append(c,
			Change{p + "id", "urn:lectern:quiz-1:question-" + strconv.Itoa(i)},
			Change{p + "type", typ},
			Change{p + "timestamp", "2024-05-01T10:15:30.5+02:00"},
			Change{p + "correct_responses.0.pattern", resp},
			Change{p + "learner_response", resp},
			Change{p + "result", "correct"},
		)
	}
	return c
}

func BenchmarkApplyCommit(b *testing.B) {
	base := newState(b, V2004, Init{ObjectiveIDs: []string{"primary"}, CompletionThreshold: f64(0.9)})
	changes := typicalCommit()
	b.ReportAllocs()
	for b.Loop() {
		s := base.Clone()
		if err := s.Apply(changes); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSetValue(b *testing.B) {
	s := newState(b, V2004, Init{})
	if err := s.Apply(typicalCommit()); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, el, value string }{
		{"location", "cmi.location", "slide-13"},
		{"score", "cmi.score.scaled", "0.75"},
		{"timestamp", "cmi.interactions.1.timestamp", "2024-05-01T10:16:00.0Z"},
		{"choice", "cmi.interactions.0.learner_response", "answer_a[,]answer_d"},
		{"suspend_data_4k", "cmi.suspend_data", strings.Repeat("x", 4096)},
	} {
		b.Run(c.name, func(b *testing.B) {
			rt := NewRuntime(s)
			rt.Initialize("")
			b.ReportAllocs()
			for b.Loop() {
				if rt.SetValue(c.el, c.value) != "true" {
					b.Fatal(rt.GetLastError(), rt.GetDiagnostic(""))
				}
				rt.pending = rt.pending[:0]
			}
		})
	}
}

func BenchmarkGetValue(b *testing.B) {
	s := newState(b, V2004, Init{CompletionThreshold: f64(0.9)})
	if err := s.Apply(typicalCommit()); err != nil {
		b.Fatal(err)
	}
	rt := NewRuntime(s)
	rt.Initialize("")
	b.ReportAllocs()
	for b.Loop() {
		rt.GetValue("cmi.interactions.1.learner_response")
		rt.GetValue("cmi.completion_status")
	}
}
