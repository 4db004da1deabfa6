package store

// Compliance records: what compliance.Reconcile and a course's rule change
// read to decide an enrolment's result, and the one place that changes
// completions (record, adopt, revoke, change expiry) with their audit entries.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// CourseAttempt is an attempt as the compliance rules see it.
type CourseAttempt struct {
	ID           uint
	UserID       uint
	CourseID     uint
	VersionID    uint
	Number       int
	Completion   string
	Success      string
	ScoreScaled  *float64
	ScoreRaw     *float64
	StartedAt    time.Time
	LastAccessAt time.Time
	CompletedAt  *time.Time
	Closed       bool
}

// Finished: the attempt has a result (its course is completed).
func (a *CourseAttempt) Finished() bool { return a.Completion == "completed" && a.CompletedAt != nil }

// EnrolmentState is an enrolment with the learner's attempts and completions
// of its course (of every enrolment: earlier work counts for later ones).
type EnrolmentState struct {
	Enrolment
	CourseTitle string
	UserName    string
	Attempts    []CourseAttempt `gorm:"-"` // by number
	Completions []Completion    `gorm:"-"` // by completion time
}

// EvaluateFilter chooses the enrolments Reconcile looks at.
type EvaluateFilter struct {
	UserID, CourseID uint
	// All: every enrolment; otherwise only those never evaluated or with
	// attempt activity since their last evaluation.
	All bool
}

// EnrolmentStates loads the enrolments f selects with their attempts and
// completions.
func (s *Store) EnrolmentStates(ctx context.Context, f EvaluateFilter) ([]EnrolmentState, error) {
	q := s.read(ctx).Table("enrolments e").Select("e.*, c.title AS course_title, u.name AS user_name").
		Joins("JOIN courses c ON c.id = e.course_id").Joins("JOIN users u ON u.id = e.user_id")
	if f.UserID != 0 {
		q = q.Where("e.user_id = ?", f.UserID)
	}
	if f.CourseID != 0 {
		q = q.Where("e.course_id = ?", f.CourseID)
	}
	if !f.All {
		q = q.Where(`e.evaluated_at IS NULL OR EXISTS (SELECT 1 FROM attempts a WHERE a.user_id = e.user_id
			AND a.course_id = e.course_id AND a.completed_at IS NOT NULL AND a.last_access_at >= e.evaluated_at)`)
	}
	var out []EnrolmentState
	if err := q.Order("e.id").Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: enrolments to evaluate: %w", err)
	}
	for i := range out {
		if err := s.loadHistory(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Store) loadHistory(ctx context.Context, st *EnrolmentState) error {
	err := s.read(ctx).Model(&Attempt{}).
		Select("id, user_id, course_id, version_id, number, completion, success, score_scaled, score_raw, started_at, last_access_at, completed_at, closed").
		Where("user_id = ? AND course_id = ?", st.UserID, st.CourseID).Order("number").Scan(&st.Attempts).Error
	if err != nil {
		return fmt.Errorf("store: attempts of user %d: %w", st.UserID, err)
	}
	err = s.read(ctx).Where("user_id = ? AND course_id = ?", st.UserID, st.CourseID).Order("completed_at, id").Find(&st.Completions).Error
	if err != nil {
		return fmt.Errorf("store: completions of user %d: %w", st.UserID, err)
	}
	return nil
}

// OrphanCompletions lists a course's unrevoked completions whose enrolment
// is gone (the learner was unenrolled): their certificates still verify, so
// a rule change reaches them too.
func (s *Store) OrphanCompletions(ctx context.Context, courseID uint) ([]Completion, error) {
	var out []Completion
	err := s.read(ctx).Where("course_id = ? AND revoked_at IS NULL AND NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.id = completions.enrolment_id)", courseID).
		Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: completions without enrolment: %w", err)
	}
	return out, nil
}

// AttemptsByID reads attempts, for the completions that name them.
func (s *Store) AttemptsByID(ctx context.Context, ids []uint) (map[uint]CourseAttempt, error) {
	out := map[uint]CourseAttempt{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []CourseAttempt
	err := s.read(ctx).Model(&Attempt{}).
		Select("id, user_id, course_id, version_id, number, completion, success, score_scaled, score_raw, started_at, last_access_at, completed_at, closed").
		Where("id IN ?", ids).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: attempts: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// RecordChange is what should change in one enrolment's records (or, with
// EnrolmentID 0, in completions whose enrolment is gone).
type RecordChange struct {
	EnrolmentID uint
	Cycle       int // the cycle the change was worked out for
	UserID      uint
	CourseID    uint
	Issue       *Completion // a completion to record, with a new certificate
	Replaces    uint        // the revoked completion Issue reissues, if any
	Adopt       uint        // an earlier completion (of a removed enrolment) to count for this cycle
	Revoke      []Revocation
	Expiry      []ExpiryChange
	// The attempt that counts now and the outcome (set on the enrolment).
	CountingAttemptID *uint
	Outcome           string
	// Reason goes into the audit entries of record changes.
	Reason string
}

// Revocation revokes one certificate.
type Revocation struct {
	CompletionID uint
	Kind         string // RevokedBy*
	Reason       string
}

// ExpiryChange moves one completion's expiry.
type ExpiryChange struct {
	CompletionID uint
	From, To     *time.Time
}

// Changes tells whether c changes any record (not only the derived columns).
func (c *RecordChange) Changes() bool {
	return c.Issue != nil || c.Adopt != 0 || len(c.Revoke) > 0 || len(c.Expiry) > 0
}

// ErrStale is a planned change whose records moved on since it was planned.
var ErrStale = errors.New("the records changed since this was worked out")

// ApplyRecordChanges applies changes in one transaction, each record change
// with its audit entry, and marks the enrolments evaluated. A change whose
// records moved on (another request got there first) is skipped when
// skipStale, else the whole transaction fails with ErrStale.
func (s *Store) ApplyRecordChanges(ctx context.Context, changes []RecordChange, skipStale bool) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		for i := range changes {
			if err := s.applyRecordChange(tx, &changes[i]); err != nil {
				if errors.Is(err, ErrStale) && skipStale {
					continue
				}
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: apply record changes: %w", err)
	}
	return nil
}

// applyRecordChange applies one change. In a transaction of its own, a stale
// change must roll back alone: it runs under a savepoint.
func (s *Store) applyRecordChange(tx *gorm.DB, c *RecordChange) error {
	return tx.Transaction(func(tx *gorm.DB) error {
		now := s.now()
		var e Enrolment
		if c.EnrolmentID != 0 {
			if err := tx.First(&e, c.EnrolmentID).Error; err != nil {
				if errors.Is(err, gorm.ErrRecordNotFound) {
					return ErrStale
				}
				return err
			}
			if e.Cycle != c.Cycle {
				return ErrStale
			}
		}
		entry := func(action string, fill func(a *AuditEntry)) error {
			return s.auditFor(tx, action, func(a *AuditEntry) {
				a.SubjectUserID, a.CourseID, a.Reason = Ref(c.UserID), Ref(c.CourseID), c.Reason
				fill(a)
			})
		}
		for _, r := range c.Revoke {
			res := tx.Model(&Completion{}).Where("id = ? AND revoked_at IS NULL", r.CompletionID).
				Updates(map[string]any{"revoked_at": now, "revoked_kind": r.Kind, "revoked_reason": r.Reason})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return ErrStale
			}
			var comp Completion
			if err := tx.First(&comp, r.CompletionID).Error; err != nil {
				return err
			}
			if err := entry("certificate.revoke", func(a *AuditEntry) {
				a.Target, a.Reason = comp.Code, r.Reason
				a.Detail = map[string]any{"completion": comp.ID, "kind": r.Kind, "attempt": comp.AttemptID}
			}); err != nil {
				return err
			}
		}
		for _, x := range c.Expiry {
			res := tx.Model(&Completion{}).Where("id = ? AND revoked_at IS NULL", x.CompletionID).Update("expires_at", x.To)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return ErrStale
			}
			var comp Completion
			if err := tx.First(&comp, x.CompletionID).Error; err != nil {
				return err
			}
			if err := entry("completion.expiry", func(a *AuditEntry) {
				a.Target = comp.Code
				a.Detail = map[string]any{"completion": comp.ID, "from": x.From, "to": x.To}
			}); err != nil {
				return err
			}
		}
		if c.Adopt != 0 {
			res := tx.Model(&Completion{}).Where("id = ? AND revoked_at IS NULL AND enrolment_id <> ?", c.Adopt, e.ID).
				Updates(map[string]any{"enrolment_id": e.ID, "cycle": e.Cycle})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return ErrStale
			}
			var comp Completion
			if err := tx.First(&comp, c.Adopt).Error; err != nil {
				return err
			}
			if err := entry("completion.adopt", func(a *AuditEntry) {
				a.Target = comp.Code
				a.Detail = map[string]any{"completion": comp.ID, "enrolment": e.ID, "completed": comp.CompletedAt}
			}); err != nil {
				return err
			}
		}
		if c.Issue != nil {
			if err := s.issue(tx, &e, c.Issue, c.Replaces); err != nil {
				return err
			}
			comp := c.Issue
			action := "completion.record"
			if c.Replaces != 0 {
				action = "certificate.reissue"
			}
			if err := entry(action, func(a *AuditEntry) {
				a.Target = comp.Code
				a.Detail = map[string]any{"completion": comp.ID, "attempt": comp.AttemptID, "passed": comp.Passed,
					"score": comp.ScoreScaled, "completed": comp.CompletedAt, "expires": comp.ExpiresAt}
				if c.Replaces != 0 {
					a.Detail["replaces"] = c.Replaces
				}
			}); err != nil {
				return err
			}
		}
		if c.EnrolmentID == 0 {
			return nil
		}
		updates := map[string]any{"counting_attempt_id": c.CountingAttemptID, "outcome": c.Outcome, "evaluated_at": now}
		if err := tx.Model(&Enrolment{}).Where("id = ?", e.ID).Updates(updates).Error; err != nil {
			return err
		}
		return s.refreshEnrolment(tx, e.ID)
	})
}

// issue records comp against e's current cycle unless the cycle already has
// a valid completion; replaces (0: none) is the revoked completion whose
// certificate it reissues.
func (s *Store) issue(tx *gorm.DB, e *Enrolment, comp *Completion, replaces uint) error {
	var n int64
	if err := tx.Model(&Completion{}).Where("enrolment_id = ? AND cycle = ? AND revoked_at IS NULL", e.ID, e.Cycle).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return ErrStale
	}
	comp.ID, comp.ReplacedByID = 0, nil
	comp.EnrolmentID, comp.Cycle, comp.CreatedAt = e.ID, e.Cycle, s.now()
	if comp.Source == "" {
		comp.Source = CompletionAttempt
	}
	if err := tx.Create(comp).Error; err != nil {
		return err
	}
	if replaces != 0 {
		return tx.Model(&Completion{}).Where("id = ?", replaces).Update("replaced_by_id", comp.ID).Error
	}
	return nil
}

// refreshEnrolment derives the enrolment's completion columns from its
// completions: completed when its current cycle has a valid completion;
// the expiry is that of the newest valid completion of any cycle (during a
// recertification cycle the learner stays compliant until the old one
// expires).
func (s *Store) refreshEnrolment(tx *gorm.DB, id uint) error {
	var e Enrolment
	if err := tx.First(&e, id).Error; err != nil {
		return err
	}
	var cur, newest Completion
	var completedAt, expiresAt *time.Time
	err := tx.Where("enrolment_id = ? AND cycle = ? AND revoked_at IS NULL", id, e.Cycle).Order("completed_at DESC, id DESC").First(&cur).Error
	switch {
	case err == nil:
		completedAt = &cur.CompletedAt
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return err
	}
	err = tx.Where("enrolment_id = ? AND revoked_at IS NULL", id).Order("cycle DESC, completed_at DESC, id DESC").First(&newest).Error
	switch {
	case err == nil:
		expiresAt = newest.ExpiresAt
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return err
	}
	outcome := e.Outcome
	if completedAt != nil {
		outcome = OutcomeCounts
	} else if outcome == OutcomeCounts {
		outcome = ""
	}
	return tx.Model(&Enrolment{}).Where("id = ?", id).
		Updates(map[string]any{"completed_at": completedAt, "expires_at": expiresAt, "outcome": outcome}).Error
}
