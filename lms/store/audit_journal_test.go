package store

import (
	"testing"
	"time"
)

// TestJournalChangesPerLaunch: a left-out old value comes from the same
// launch's earlier commit, in sequence order, even when the commits of two
// launches are listed interleaved or out of order.
func TestJournalChangesPerLaunch(t *testing.T) {
	at := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	commits := []Commit{
		{LaunchID: "b", Seq: 2, At: at, Changes: []byte(`[["cmi.location","b2"]]`)},
		{LaunchID: "a", Seq: 1, At: at, Changes: []byte(`[["cmi.location","","a1"]]`)},
		{LaunchID: "b", Seq: 1, At: at, Changes: []byte(`[["cmi.location","a1","b1"]]`)},
		{LaunchID: "a", Seq: 2, At: at, Changes: []byte(`[["cmi.location","a2"],["cmi.exit","suspend"]]`)},
		{LaunchID: "a", Seq: 3, At: at, Changes: []byte(`not json`)},
	}
	got := journalChanges(commits)
	want := [][]Change{
		{{Element: "cmi.location", Old: "b1", New: "b2"}},
		{{Element: "cmi.location", Old: "", New: "a1"}},
		{{Element: "cmi.location", Old: "a1", New: "b1"}},
		{{Element: "cmi.location", Old: "a1", New: "a2"}, {Element: "cmi.exit", Old: "", New: "suspend"}},
		{{Element: "(unreadable journal entry)", New: "not json"}},
	}
	for k := range want {
		if len(got[k]) != len(want[k]) {
			t.Fatalf("commit %d: %+v, want %+v", k, got[k], want[k])
		}
		for i := range want[k] {
			if got[k][i] != want[k][i] {
				t.Errorf("commit %d change %d: %+v, want %+v", k, i, got[k][i], want[k][i])
			}
		}
	}
}
