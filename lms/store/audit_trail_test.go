package store

import (
	"context"
	"testing"
	"time"
)

// TestAuditTrail: entries take the context's actor, keep their detail, and
// filter and page newest first.
func TestAuditTrail(t *testing.T) {
	s := openTest(t)
	admin := &User{Email: "ada@example.org", Name: "Ada", PasswordHash: "h"}
	lee := &User{Email: "lee@example.org", Name: "Lee", PasswordHash: "h"}
	ctx := context.Background()
	for _, u := range []*User{admin, lee} {
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	before, err := s.CountAudit(ctx, AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	actx := WithActor(ctx, UserActor(admin, ViaWeb))
	for i := range 5 {
		e := &AuditEntry{Action: "enrolment.due", SubjectUserID: Ref(lee.ID), Reason: "asked", Detail: map[string]any{"n": i}}
		if err := s.RecordAudit(actx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordAudit(ctx, &AuditEntry{Action: "completion.record"}); err != nil {
		t.Fatal(err)
	}
	rows, err := s.AuditEntries(ctx, AuditFilter{Learner: lee.ID, Action: "enrolment.due"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("got %d rows, want 3", len(rows))
	}
	r := rows[0]
	if r.ActorID == nil || *r.ActorID != admin.ID || r.Via != ViaWeb || r.ActorName != "Ada <ada@example.org>" {
		t.Errorf("actor: %v %q %q", r.ActorID, r.Via, r.ActorName)
	}
	if r.SubjectEmail != "lee@example.org" || r.Reason != "asked" {
		t.Errorf("subject %q reason %q", r.SubjectEmail, r.Reason)
	}
	if n, _ := r.Detail["n"].(float64); n != 4 {
		t.Errorf("newest first: detail %v, want n=4", r.Detail)
	}
	next, err := s.AuditEntries(ctx, AuditFilter{Learner: lee.ID, Action: "enrolment.", Before: rows[2].ID}, 10)
	if err != nil || len(next) != 2 {
		t.Fatalf("second page: %d rows, %v; want 2", len(next), err)
	}
	all, _ := s.CountAudit(ctx, AuditFilter{})
	if all-before != 6 {
		t.Errorf("count %d, want 6 more than %d", all, before)
	}
	sys, err := s.AuditEntries(ctx, AuditFilter{Action: "completion."}, 0)
	if err != nil || len(sys) != 1 || sys[0].Via != ViaSystem || sys[0].ActorID != nil {
		t.Fatalf("system entry: %+v %v", sys, err)
	}
	if n, _ := s.CountAudit(ctx, AuditFilter{Actor: "ada@", From: s.Now().Add(-time.Minute)}); n != 5 {
		t.Errorf("by actor text and date: %d, want 5", n)
	}
	if n, _ := s.CountAudit(ctx, AuditFilter{To: s.Now().Add(-time.Hour)}); n != 0 {
		t.Errorf("before an hour ago: %d, want 0", n)
	}
}
