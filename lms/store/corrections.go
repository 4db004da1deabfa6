package store

// Corrections an admin makes to one learner's records. Each runs in one
// transaction and writes exactly one audit entry with the admin's reason.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ErrAlready is a correction that would change nothing (already exempt,
// already revoked, already completed).
var ErrAlready = errors.New("already so")

// EnrolmentByID finds an enrolment.
func (s *Store) EnrolmentByID(ctx context.Context, id uint) (*Enrolment, error) {
	var e Enrolment
	if err := s.read(ctx).First(&e, id).Error; err != nil {
		return nil, fmt.Errorf("store: enrolment %d: %w", id, notFound(err))
	}
	return &e, nil
}

// EnrolmentOf finds a learner's enrolment in a course.
func (s *Store) EnrolmentOf(ctx context.Context, userID, courseID uint) (*Enrolment, error) {
	var e Enrolment
	if err := s.read(ctx).Where("user_id = ? AND course_id = ?", userID, courseID).First(&e).Error; err != nil {
		return nil, fmt.Errorf("store: enrolment of user %d in course %d: %w", userID, courseID, notFound(err))
	}
	return &e, nil
}

// correct runs fn on the enrolment in a transaction and writes its entry.
func (s *Store) correct(ctx context.Context, enrolmentID uint, action, reason string, fn func(tx *gorm.DB, e *Enrolment, a *AuditEntry) error) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var e Enrolment
		if err := tx.First(&e, enrolmentID).Error; err != nil {
			return err
		}
		a := ActorFrom(ctx).Audit(action)
		a.SubjectUserID, a.CourseID, a.Reason = Ref(e.UserID), Ref(e.CourseID), reason
		a.Detail = map[string]any{"enrolment": e.ID, "cycle": e.Cycle}
		if err := fn(tx, &e, a); err != nil {
			return err
		}
		return s.audit(tx, a)
	})
	if err != nil {
		return fmt.Errorf("store: %s: %w", action, notFound(err))
	}
	return nil
}

// Unenrol removes an enrolment. Its completions and certificates stay (they
// are evidence, and count again if the learner is enrolled later while still
// valid); reminders not sent yet are dropped.
func (s *Store) Unenrol(ctx context.Context, enrolmentID uint, reason string) error {
	return s.correct(ctx, enrolmentID, "enrolment.unenrol", reason, func(tx *gorm.DB, e *Enrolment, a *AuditEntry) error {
		a.Detail["enrolled"], a.Detail["due"], a.Detail["completed"], a.Detail["expires"] = e.EnrolledAt, e.DueAt, e.CompletedAt, e.ExpiresAt
		a.Detail["source"], a.Detail["group"], a.Detail["exempt"] = e.Source, e.GroupID, e.ExemptAt != nil
		if err := tx.Where("enrolment_id = ? AND sent_at IS NULL", e.ID).Delete(&Message{}).Error; err != nil {
			return err
		}
		return tx.Delete(&Enrolment{}, e.ID).Error
	})
}

// SetEnrolmentDue changes one learner's due date (nil: none).
func (s *Store) SetEnrolmentDue(ctx context.Context, enrolmentID uint, due *time.Time, reason string) error {
	return s.correct(ctx, enrolmentID, "enrolment.due", reason, func(tx *gorm.DB, e *Enrolment, a *AuditEntry) error {
		if sameTime(e.DueAt, due) {
			return fmt.Errorf("the due date is that already: %w", ErrAlready)
		}
		a.Detail["from"], a.Detail["to"] = e.DueAt, due
		return tx.Model(&Enrolment{}).Where("id = ?", e.ID).Update("due_at", due).Error
	})
}

// SetExempt exempts a learner (counts as compliant, shown as exempt), or
// lifts the exemption.
func (s *Store) SetExempt(ctx context.Context, enrolmentID uint, exempt bool, reason string) error {
	action := "enrolment.exempt"
	if !exempt {
		action = "enrolment.unexempt"
	}
	return s.correct(ctx, enrolmentID, action, reason, func(tx *gorm.DB, e *Enrolment, a *AuditEntry) error {
		if (e.ExemptAt != nil) == exempt {
			return fmt.Errorf("exempt is %v already: %w", exempt, ErrAlready)
		}
		updates := map[string]any{"exempt_at": nil, "exempt_reason": ""}
		if exempt {
			updates = map[string]any{"exempt_at": s.now(), "exempt_reason": reason}
		}
		return tx.Model(&Enrolment{}).Where("id = ?", e.ID).Updates(updates).Error
	})
}

// RecordOfflineCompletion records a completion made outside Lectern (a
// classroom session) for the enrolment's current cycle, with its
// certificate and, optionally, an evidence file.
func (s *Store) RecordOfflineCompletion(ctx context.Context, enrolmentID uint, comp *Completion, ev *Evidence, reason string) error {
	return s.correct(ctx, enrolmentID, "completion.offline", reason, func(tx *gorm.DB, e *Enrolment, a *AuditEntry) error {
		comp.Source, comp.UserID, comp.CourseID = CompletionOffline, e.UserID, e.CourseID
		if err := s.issue(tx, e, comp, 0); err != nil {
			if errors.Is(err, ErrStale) {
				return fmt.Errorf("the learner's current cycle is completed already: %w", ErrAlready)
			}
			return err
		}
		a.Target = comp.Code
		a.Detail["completion"], a.Detail["completed"], a.Detail["expires"], a.Detail["note"] = comp.ID, comp.CompletedAt, comp.ExpiresAt, comp.Note
		if comp.ScoreScaled != nil {
			a.Detail["score"] = *comp.ScoreScaled
		}
		if ev != nil {
			ev.ID, ev.CompletionID, ev.CreatedAt = 0, comp.ID, s.now()
			if err := tx.Create(ev).Error; err != nil {
				return err
			}
			a.Detail["evidence"] = map[string]any{"id": ev.ID, "file": ev.Filename, "bytes": ev.Size, "sha256": ev.SHA256}
		}
		if err := tx.Model(&Enrolment{}).Where("id = ?", e.ID).Updates(map[string]any{"outcome": OutcomeCounts}).Error; err != nil {
			return err
		}
		return s.refreshEnrolment(tx, e.ID)
	})
}

// correctCertificate runs fn on the completion with code in a transaction
// and writes its entry.
func (s *Store) correctCertificate(ctx context.Context, code, action, reason string, fn func(tx *gorm.DB, c *Completion, a *AuditEntry) error) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var c Completion
		if err := tx.Where("code = ?", code).First(&c).Error; err != nil {
			return err
		}
		a := ActorFrom(ctx).Audit(action)
		a.SubjectUserID, a.CourseID, a.Reason, a.Target = Ref(c.UserID), Ref(c.CourseID), reason, c.Code
		a.Detail = map[string]any{"completion": c.ID, "attempt": c.AttemptID, "completed": c.CompletedAt}
		if err := fn(tx, &c, a); err != nil {
			return err
		}
		if err := s.audit(tx, a); err != nil {
			return err
		}
		// The enrolment, if it still exists, follows its completions.
		var n int64
		if err := tx.Model(&Enrolment{}).Where("id = ?", c.EnrolmentID).Count(&n).Error; err != nil || n == 0 {
			return err
		}
		return s.refreshEnrolment(tx, c.EnrolmentID)
	})
	if err != nil {
		return fmt.Errorf("store: %s %s: %w", action, code, notFound(err))
	}
	return nil
}

// RevokeCertificate revokes a certificate: /verify says so from now on, and
// the completion no longer counts. The attempt behind it does not count
// again by itself.
func (s *Store) RevokeCertificate(ctx context.Context, code, reason string) error {
	return s.correctCertificate(ctx, code, "certificate.revoke", reason, func(tx *gorm.DB, c *Completion, a *AuditEntry) error {
		if c.RevokedAt != nil {
			return fmt.Errorf("revoked on %s: %w", c.RevokedAt.Format("2006-01-02"), ErrAlready)
		}
		a.Detail["kind"] = RevokedByAdmin
		return tx.Model(&Completion{}).Where("id = ?", c.ID).Updates(map[string]any{
			"revoked_at": s.now(), "revoked_kind": RevokedByAdmin, "revoked_reason": reason}).Error
	})
}

// ReissueCertificate replaces a certificate (revoked or not) with a new one
// for the same completion, under a new code and the learner's current name;
// the old one is revoked as replaced. A revoked completion counts again.
// The new certificate is returned.
func (s *Store) ReissueCertificate(ctx context.Context, code, newCode, reason string) (*Completion, error) {
	var fresh Completion
	err := s.correctCertificate(ctx, code, "certificate.reissue", reason, func(tx *gorm.DB, c *Completion, a *AuditEntry) error {
		if c.ReplacedByID != nil {
			return fmt.Errorf("replaced by a newer certificate already: %w", ErrAlready)
		}
		var u User
		if err := tx.First(&u, c.UserID).Error; err != nil {
			return err
		}
		now := s.now()
		fresh = *c
		fresh.ID, fresh.Code, fresh.UserName, fresh.CreatedAt = 0, newCode, u.Name, now
		fresh.RevokedAt, fresh.RevokedKind, fresh.RevokedReason, fresh.ReplacedByID = nil, "", "", nil
		if err := tx.Create(&fresh).Error; err != nil {
			return err
		}
		up := map[string]any{"replaced_by_id": fresh.ID}
		if c.RevokedAt == nil {
			up["revoked_at"], up["revoked_kind"], up["revoked_reason"] = now, RevokedByAdmin, "replaced by "+newCode+": "+reason
		}
		if err := tx.Model(&Completion{}).Where("id = ?", c.ID).Updates(up).Error; err != nil {
			return err
		}
		a.Detail["new"], a.Detail["newCompletion"], a.Detail["wasRevoked"] = newCode, fresh.ID, c.RevokedAt != nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &fresh, nil
}

// CompletionsOfEnrolment lists an enrolment's completions, newest first,
// with the evidence each has.
func (s *Store) CompletionsOfEnrolment(ctx context.Context, enrolmentID uint) ([]Completion, map[uint][]Evidence, error) {
	var cs []Completion
	if err := s.read(ctx).Where("enrolment_id = ?", enrolmentID).Order("completed_at DESC, id DESC").Find(&cs).Error; err != nil {
		return nil, nil, fmt.Errorf("store: completions of enrolment %d: %w", enrolmentID, err)
	}
	ev := map[uint][]Evidence{}
	if len(cs) == 0 {
		return cs, ev, nil
	}
	ids := make([]uint, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	var es []Evidence
	if err := s.read(ctx).Select("id, completion_id, filename, content_type, size, sha256, created_at").Where("completion_id IN ?", ids).Find(&es).Error; err != nil {
		return nil, nil, fmt.Errorf("store: evidence: %w", err)
	}
	for _, e := range es {
		ev[e.CompletionID] = append(ev[e.CompletionID], e)
	}
	return cs, ev, nil
}

// EvidenceByID reads an evidence file with its bytes.
func (s *Store) EvidenceByID(ctx context.Context, id uint) (*Evidence, error) {
	var e Evidence
	if err := s.read(ctx).First(&e, id).Error; err != nil {
		return nil, fmt.Errorf("store: evidence %d: %w", id, notFound(err))
	}
	return &e, nil
}
