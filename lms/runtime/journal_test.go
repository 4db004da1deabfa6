package runtime_test

import (
	"encoding/json"
	"testing"
)

// TestJournalLeavesOutRepeatedOldValues: a value the launch's journal
// recorded as new in an earlier commit is not stored again as the next
// commit's old value (suspend data would be stored twice per commit), and
// the audit reads it back from the earlier commit. After a restart the
// service knows nothing of the journal, stores old values whole again, and
// leaves them out from its next commit on. A batch that sets an element
// twice gives both changes the value before the batch as old.
func TestJournalLeavesOutRepeatedOldValues(t *testing.T) {
	e := newEnv(t, "scorm12-single")
	token, _ := e.launch()
	e.commit(token, 1, false, "cmi.suspend_data", "a", "cmi.core.lesson_location", "p1")
	e.commit(token, 2, false, "cmi.suspend_data", "b")
	e.commit(token, 3, false, "cmi.suspend_data", "c", "cmi.core.lesson_location", "p2")
	e.restart()
	e.commit(token, 4, false, "cmi.suspend_data", "d")
	e.commit(token, 5, false, "cmi.suspend_data", "e", "cmi.core.lesson_location", "x", "cmi.core.lesson_location", "y")
	e.commit(token, 6, false, "cmi.core.lesson_location", "z", "cmi.suspend_data", "f")

	at, err := e.st.LatestAttempt(e.ctx, e.user.ID, e.cours)
	if err != nil {
		t.Fatal(err)
	}
	audit, err := e.st.AttemptAudit(e.ctx, at.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(audit.Launches) != 1 || len(audit.Launches[0].Commits) != 6 {
		t.Fatalf("audit: %d launches, want 1 with 6 commits", len(audit.Launches))
	}
	want := []struct {
		stored string // the journal row as stored
		shown  string // element:old>new, as the audit shows it
	}{
		{`[["cmi.suspend_data","","a"],["cmi.core.lesson_location","","p1"]]`, "cmi.suspend_data:>a cmi.core.lesson_location:>p1"},
		{`[["cmi.suspend_data","b"]]`, "cmi.suspend_data:a>b"},
		{`[["cmi.suspend_data","c"],["cmi.core.lesson_location","p2"]]`, "cmi.suspend_data:b>c cmi.core.lesson_location:p1>p2"},
		{`[["cmi.suspend_data","c","d"]]`, "cmi.suspend_data:c>d"}, // after the restart
		{`[["cmi.suspend_data","e"],["cmi.core.lesson_location","p2","x"],["cmi.core.lesson_location","p2","y"]]`,
			"cmi.suspend_data:d>e cmi.core.lesson_location:p2>x cmi.core.lesson_location:p2>y"},
		{`[["cmi.core.lesson_location","z"],["cmi.suspend_data","f"]]`, "cmi.core.lesson_location:y>z cmi.suspend_data:e>f"},
	}
	for i, c := range audit.Launches[0].Commits {
		var stored, wantStored any
		if err := json.Unmarshal(c.Commit.Changes, &stored); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(want[i].stored), &wantStored); err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(stored)
		exp, _ := json.Marshal(wantStored)
		if string(got) != string(exp) {
			t.Errorf("commit %d stored %s, want %s", c.Seq, got, exp)
		}
		shown := ""
		for k, ch := range c.Changes {
			if k > 0 {
				shown += " "
			}
			shown += ch.Element + ":" + ch.Old + ">" + ch.New
		}
		if shown != want[i].shown {
			t.Errorf("commit %d shows %q, want %q", c.Seq, shown, want[i].shown)
		}
	}
}
