package compliance_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/store"
)

// TestLifecycleTable runs every combination of pass rule x attempt that
// counts x validity x work before or after the enrolment x exemption x
// offline completion through the same story: a first attempt that passes
// (90, mastery score 75), a second that completes and fails (40). It checks
// the status, the certificate and the audit entries of each.
func TestLifecycleTable(t *testing.T) {
	twelve := 12
	for _, pass := range []string{store.PassAuto, store.PassNotRequired} {
		for _, policy := range []string{store.AttemptBest, store.AttemptLatest} {
			for _, validity := range []*int{nil, &twelve} {
				for _, before := range []bool{false, true} {
					for _, extra := range []string{"none", "exempt", "offline"} {
						name := fmt.Sprintf("%s/%s/valid-%v/before-%v/%s", pass, policy, validity != nil, before, extra)
						t.Run(name, func(t *testing.T) {
							lifecycleCase(t, pass, policy, validity, before, extra)
						})
					}
				}
			}
		}
	}
}

func lifecycleCase(t *testing.T, pass, policy string, validity *int, before bool, extra string) {
	e := newEnv(t)
	rules := store.CourseRules{PassRule: pass, AttemptPolicy: policy, ValidityMonths: validity}
	if _, err := e.comp.ApplyRules(e.ctx, e.course, rules, "", ""); err != nil {
		t.Fatal(err)
	}
	attempts := func() {
		e.complete("90")
		e.comp.Reconcile(e.ctx, 0)
		e.now = e.now.Add(24 * 3600e9)
		e.complete("40")
		e.comp.Reconcile(e.ctx, 0)
	}
	if before {
		attempts()
		e.now = e.now.Add(24 * 3600e9)
	}
	en, _, err := e.st.Enrol(e.ctx, e.user.ID, e.course, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !before {
		e.now = e.now.Add(24 * 3600e9)
		attempts()
	}
	e.comp.Reconcile(e.ctx, 0)
	// The latest attempt fails; it takes the certificate away only where
	// the latest counts and a pass is needed.
	counts := !(pass == store.PassAuto && policy == store.AttemptLatest)
	row := e.enrolment()
	if got := compliance.Compliant(row, e.now); got != counts {
		t.Fatalf("after the attempts: compliant %v, want %v (status %s)", got, counts, compliance.StatusOf(row, e.now))
	}

	last := lastAudit(t, e)
	switch extra {
	case "exempt":
		if err := e.comp.SetExempt(e.ctx, en.ID, true, ""); !errors.Is(err, compliance.ErrInvalid) {
			t.Errorf("exempt without a reason: %v", err)
		}
		if err := e.comp.SetExempt(e.ctx, en.ID, true, "holds the external certificate"); err != nil {
			t.Fatal(err)
		}
		wantAudit(t, e, last, "enrolment.exempt")
		row = e.enrolment()
		if !compliance.Compliant(row, e.now) || row.ExemptAt == nil {
			t.Errorf("exempt: compliant %v, exempt at %v", compliance.Compliant(row, e.now), row.ExemptAt)
		}
		counts = true
	case "offline":
		day := e.now.Add(-3600e9).Format("2006-01-02")
		comp, err := e.comp.RecordOffline(e.ctx, en.ID, compliance.Offline{Date: day, Note: "Classroom session"}, 1<<20, "classroom")
		if counts {
			// The cycle is completed already: refused, nothing written.
			if !errors.Is(err, compliance.ErrInvalid) {
				t.Errorf("offline over a completion: %v", err)
			}
			wantAudit(t, e, last)
		} else {
			if err != nil {
				t.Fatal(err)
			}
			wantAudit(t, e, last, "completion.offline")
			if validity != nil && (comp.ExpiresAt == nil || !comp.ExpiresAt.Equal(comp.CompletedAt.AddDate(0, *validity, 0))) {
				t.Errorf("offline certificate expires %v", comp.ExpiresAt)
			}
			counts = true
		}
		if !compliance.Compliant(e.enrolment(), e.now) {
			t.Error("not compliant after the offline completion")
		}
	}

	// The certificate: a valid one exactly when the learner counts by a
	// completion (an exemption is not a certificate).
	comps, err := e.st.Completions(e.ctx, e.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	var valid []store.Completion
	for _, c := range comps {
		if c.RevokedAt == nil && (c.ExpiresAt == nil || c.ExpiresAt.After(e.now)) {
			valid = append(valid, c)
		}
	}
	wantCert := counts && !(extra == "exempt" && pass == store.PassAuto && policy == store.AttemptLatest)
	if (len(valid) == 1) != wantCert || len(valid) > 1 {
		t.Fatalf("valid certificates %d, want %v (all: %d)", len(valid), wantCert, len(comps))
	}
	if wantCert {
		c := valid[0]
		if (validity == nil) != (c.ExpiresAt == nil) || validity != nil && !c.ExpiresAt.Equal(c.CompletedAt.AddDate(0, *validity, 0)) {
			t.Errorf("certificate expires %v for validity %v", c.ExpiresAt, validity)
		}
		if c.Source != store.CompletionOffline && policy == store.AttemptLatest && c.ScoreScaled != nil && *c.ScoreScaled < 0.75 && pass == store.PassAuto {
			t.Errorf("a failing latest attempt holds the certificate: %+v", c)
		}
		if extra == "none" && policy == store.AttemptBest && pass == store.PassAuto && (c.ScoreScaled == nil || *c.ScoreScaled < 0.89) {
			t.Errorf("the best attempt does not hold the certificate: %+v", c)
		}
	}
}

func lastAudit(t *testing.T, e *env) uint {
	t.Helper()
	rows, err := e.st.AuditEntries(e.ctx, store.AuditFilter{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		return 0
	}
	return rows[0].ID
}

// wantAudit checks the entries written after id are exactly actions.
func wantAudit(t *testing.T, e *env, after uint, actions ...string) {
	t.Helper()
	rows, err := e.st.AuditEntries(e.ctx, store.AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].ID > after {
			got = append(got, rows[i].Action)
			if rows[i].Reason == "" {
				t.Errorf("%s without a reason", rows[i].Action)
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(actions) {
		t.Errorf("audit entries %v, want %v", got, actions)
	}
}
