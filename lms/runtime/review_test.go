package runtime_test

import (
	"errors"
	"testing"

	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm/cmi"
	"github.com/lectern/lectern/scorm/seq"
)

// TestReviewChangesNothing: a finished attempt opened in review runs in
// review mode without credit, and whatever the SCO then sends (a failing
// score, a new status, suspend data) leaves the attempt, its SCO's data and
// the number of attempts as they were.
func TestReviewChangesNothing(t *testing.T) {
	for _, tc := range []struct {
		pkg, mode, credit, status, score string
		finish                           []cmi.Change
	}{
		{"scorm12-single", "cmi.core.lesson_mode", "cmi.core.credit", "cmi.core.lesson_status", "cmi.core.score.raw",
			[]cmi.Change{{Element: "cmi.core.score.raw", Value: "90"}, {Element: "cmi.core.lesson_status", Value: "passed"}}},
		{"unload-sco2004", "cmi.mode", "cmi.credit", "cmi.success_status", "cmi.score.scaled",
			[]cmi.Change{{Element: "cmi.score.scaled", Value: "0.9"}, {Element: "cmi.completion_status", Value: "completed"}, {Element: "cmi.success_status", Value: "passed"}}},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			e := newEnv(t, tc.pkg)
			token, _ := e.launch()
			if _, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: token, Seq: 1, Terminate: true, Changes: tc.finish}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.rt.Navigate(e.ctx, token, seq.Request{Kind: seq.ExitAll}); err != nil {
				t.Fatal(err)
			}
			sit, err := e.st.AttemptSituation(e.ctx, e.user.ID, e.cours)
			if err != nil || sit.Finished == nil || sit.Open != nil {
				t.Fatalf("after finishing: %+v %v", sit, err)
			}
			before := *sit.Finished
			states, _ := e.st.ScoStates(e.ctx, before.ID)

			c, err := e.rt.Review(e.ctx, e.user, e.cours)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Review || c.Attempt.ID != before.ID {
				t.Fatalf("review opened attempt %d (review %v), want attempt %d", c.Attempt.ID, c.Review, before.ID)
			}
			started, err := e.rt.Start(e.ctx, c.Token)
			if err != nil {
				t.Fatal(err)
			}
			v := values(t, started)
			if v[tc.mode] != "review" || v[tc.credit] != "no-credit" || !started.Review {
				t.Errorf("review state: mode %q credit %q review %v; want review, no-credit", v[tc.mode], v[tc.credit], started.Review)
			}
			bad := []cmi.Change{{Element: tc.score, Value: "0"}, {Element: tc.status, Value: "failed"}}
			for i, batch := range [][]cmi.Change{bad, {{Element: "cmi.suspend_data", Value: "review was here"}}} {
				if _, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: c.Token, Seq: int64(i + 1), Terminate: i == 1, Changes: batch}); err != nil {
					t.Fatalf("review commit %d: %v", i+1, err)
				}
			}
			if _, err := e.rt.Navigate(e.ctx, c.Token, seq.Request{Kind: seq.ExitAll}); err != nil {
				t.Fatal(err)
			}
			after, _ := e.st.AttemptByID(e.ctx, before.ID)
			if after.Success != before.Success || *after.ScoreScaled != *before.ScoreScaled || after.Completion != before.Completion ||
				after.Suspended != before.Suspended || after.Closed != before.Closed || !after.LastAccessAt.Equal(before.LastAccessAt) {
				t.Errorf("review changed the attempt:\nbefore %+v\nafter  %+v", before, *after)
			}
			statesAfter, _ := e.st.ScoStates(e.ctx, before.ID)
			if len(statesAfter) != len(states) || string(statesAfter[0].State) != string(states[0].State) || statesAfter[0].Sessions != states[0].Sessions {
				t.Error("review changed the SCO's stored data")
			}
			sit, _ = e.st.AttemptSituation(e.ctx, e.user.ID, e.cours)
			if sit.InCycle != 1 || sit.Open != nil {
				t.Errorf("review started an attempt: %d attempts, open %v", sit.InCycle, sit.Open)
			}
		})
	}
}

// TestStartAgainRespectsMaxAttempts: starting again makes a new attempt only
// while the course allows one; reviewing with nothing finished is refused.
func TestStartAgainRespectsMaxAttempts(t *testing.T) {
	e := newEnv(t, "scorm12-single")
	if _, err := e.rt.Review(e.ctx, e.user, e.cours); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("review before any attempt: %v, want not found", err)
	}
	co, _ := e.st.CourseByID(e.ctx, e.cours)
	r := store.RulesOf(co)
	r.MaxAttempts = 2
	if err := e.st.SetCourseRules(e.ctx, e.cours, r, "", nil, nil); err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		c, err := e.rt.Open(e.ctx, e.user, e.cours)
		if n == 3 {
			if !errors.Is(err, store.ErrNoAttemptsLeft) {
				t.Fatalf("third attempt: %v, want no attempts left", err)
			}
			break
		}
		if err != nil || c.Attempt.Number != n {
			t.Fatalf("attempt %d: %+v %v", n, c, err)
		}
		if _, err := e.rt.Start(e.ctx, c.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := e.rt.Commit(e.ctx, runtime.CommitRequest{Token: c.Token, Seq: 1, Terminate: true,
			Changes: []cmi.Change{{Element: "cmi.core.lesson_status", Value: "failed"}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.rt.Navigate(e.ctx, c.Token, seq.Request{Kind: seq.ExitAll}); err != nil {
			t.Fatal(err)
		}
	}
	if c, err := e.rt.Review(e.ctx, e.user, e.cours); err != nil || c.Attempt.Number != 2 {
		t.Errorf("review after the last attempt: %v, want attempt 2", err)
	}
}
