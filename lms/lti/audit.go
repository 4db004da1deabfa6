package lti

import (
	"context"

	"github.com/lectern/lectern/lms/store"
)

// Every launch is in the audit journal: accepted ones are written by the
// store in the transaction that applies them (action "lti.launch", result
// "accepted"); refused ones here, with the reason. The token never is.

// AuditRefusal records a refused launch, login or registration.
func (s *Service) AuditRefusal(ctx context.Context, action string, r *Refusal, addr string) {
	e := store.Actor{Name: "LTI platform", Via: store.ViaLTI}.Audit(action)
	e.Reason = r.Reason
	e.Detail = map[string]any{"result": "refused", "addr": addr}
	if err := s.Store.RecordAudit(ctx, e); err != nil {
		s.Log.Error("audit LTI refusal", "err", err)
	}
}

// AuditDeepLink records an instructor's deep-linking answer.
func (s *Service) AuditDeepLink(ctx context.Context, ls *store.LTISession, course *store.Course, addr string) {
	e := store.UserActor(&ls.User, store.ViaLTI).Audit("lti.deep_link")
	e.CourseID, e.Target = store.Ref(course.ID), course.Title
	e.Detail = map[string]any{"platform": ls.PlatformID, "addr": addr}
	if err := s.Store.RecordAudit(ctx, e); err != nil {
		s.Log.Error("audit LTI deep link", "err", err)
	}
}
