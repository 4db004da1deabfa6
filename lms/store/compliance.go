package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// CreateGroup stores a group; ErrConflict when the name is taken.
func (s *Store) CreateGroup(ctx context.Context, name string) (*Group, error) {
	g := &Group{Name: name, CreatedAt: s.now()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(g).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "group.create", func(e *AuditEntry) { e.GroupID, e.Target = Ref(g.ID), g.Name })
	})
	if err != nil {
		return nil, fmt.Errorf("store: create group %q: %w", name, notFound(err))
	}
	return g, nil
}

// Groups lists every group by name.
func (s *Store) Groups(ctx context.Context) ([]Group, error) {
	var gs []Group
	err := s.read(ctx).Order("name").Find(&gs).Error
	return gs, err
}

// GroupByName finds a group.
func (s *Store) GroupByName(ctx context.Context, name string) (*Group, error) {
	var g Group
	if err := s.read(ctx).Where("name = ?", name).First(&g).Error; err != nil {
		return nil, fmt.Errorf("store: group %q: %w", name, notFound(err))
	}
	return &g, nil
}

// GroupByID finds a group.
func (s *Store) GroupByID(ctx context.Context, id uint) (*Group, error) {
	var g Group
	if err := s.read(ctx).First(&g, id).Error; err != nil {
		return nil, fmt.Errorf("store: group %d: %w", id, notFound(err))
	}
	return &g, nil
}

// UserGroups lists the groups of a user.
func (s *Store) UserGroups(ctx context.Context, userID uint) ([]Group, error) {
	var gs []Group
	err := s.read(ctx).Joins("JOIN memberships m ON m.group_id = groups.id").
		Where("m.user_id = ?", userID).Order("groups.name").Find(&gs).Error
	return gs, err
}

// GroupMembers lists the users of a group.
func (s *Store) GroupMembers(ctx context.Context, groupID uint) ([]User, error) {
	var us []User
	err := s.read(ctx).Joins("JOIN memberships m ON m.user_id = users.id").
		Where("m.group_id = ?", groupID).Order("users.email").Find(&us).Error
	return us, err
}

// DueRule says when an enrolment is due: at a fixed time, or a number of days
// after enrolment (resolved by the caller's DueFor).
type DueRule struct {
	At   *time.Time
	Days *int
}

// AddMember puts a user in a group and enrols them in the group's courses,
// in one transaction; due dates come from dueFor. Adding an existing member
// changes nothing.
func (s *Store) AddMember(ctx context.Context, userID, groupID uint, dueFor func(enrolled time.Time, r DueRule) *time.Time) (added bool, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		var enrolled int
		if added, enrolled, err = s.joinGroup(tx, userID, groupID, s.now(), dueFor); err != nil || !added {
			return err
		}
		return s.auditFor(tx, "group.member_add", func(e *AuditEntry) {
			e.SubjectUserID, e.GroupID, e.Detail = Ref(userID), Ref(groupID), map[string]any{"enrolments": enrolled}
		})
	})
	if err != nil {
		return false, fmt.Errorf("store: add member: %w", notFound(err))
	}
	return added, nil
}

// RemoveMember takes a user out of a group. Enrolments stay: the training
// was assigned and may be evidence.
func (s *Store) RemoveMember(ctx context.Context, userID, groupID uint) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("user_id = ? AND group_id = ?", userID, groupID).Delete(&Membership{})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return s.auditFor(tx, "group.member_remove", func(e *AuditEntry) { e.SubjectUserID, e.GroupID = Ref(userID), Ref(groupID) })
	})
}

// Enrol assigns a course to a user. An existing enrolment is kept; its due
// date changes to dueAt when the current cycle is not completed. created
// tells whether the enrolment is new.
func (s *Store) Enrol(ctx context.Context, userID, courseID uint, dueAt *time.Time) (e *Enrolment, created bool, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var old *time.Time
		if e, created, old, err = s.enrol(tx, userID, courseID, nil, dueAt); err != nil {
			return err
		}
		action := "enrolment.create"
		if !created {
			if sameTime(old, e.DueAt) {
				return nil
			}
			action = "enrolment.due"
		}
		return s.auditFor(tx, action, func(a *AuditEntry) {
			a.SubjectUserID, a.CourseID = Ref(userID), Ref(courseID)
			a.Detail = map[string]any{"enrolment": e.ID, "due": e.DueAt}
			if !created {
				a.Detail["previous"] = old
			}
		})
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: enrol: %w", notFound(err))
	}
	return e, created, nil
}

// enrol makes or updates an enrolment inside a transaction; old is the due
// date before an update.
func (s *Store) enrol(tx *gorm.DB, userID, courseID uint, groupID *uint, dueAt *time.Time) (e *Enrolment, created bool, old *time.Time, err error) {
	e = &Enrolment{}
	err = tx.Where("user_id = ? AND course_id = ?", userID, courseID).First(e).Error
	if err == nil {
		old = e.DueAt
		if e.CompletedAt == nil && dueAt != nil {
			e.DueAt = dueAt
			if err := tx.Model(&Enrolment{}).Where("id = ?", e.ID).Update("due_at", dueAt).Error; err != nil {
				return nil, false, nil, err
			}
		}
		return e, false, old, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, false, nil, err
	}
	if err := enrollable(tx, courseID); err != nil {
		return nil, false, nil, err
	}
	now := s.now()
	source := SourceDirect
	if groupID != nil {
		source = SourceGroup
	}
	*e = Enrolment{UserID: userID, CourseID: courseID, GroupID: groupID, Cycle: 1, EnrolledAt: now, DueAt: dueAt, CreatedAt: now, Source: source}
	if err := tx.Create(e).Error; err != nil {
		return nil, false, nil, err
	}
	return e, true, nil, nil
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

// EnrolGroup enrols a group's members in a course and records the rule so
// that later members are enrolled too. It returns how many enrolments were
// created.
func (s *Store) EnrolGroup(ctx context.Context, groupID, courseID uint, rule DueRule, dueFor func(enrolled time.Time, r DueRule) *time.Time) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		if err := enrollable(tx, courseID); err != nil {
			return err
		}
		ge := GroupEnrolment{GroupID: groupID, CourseID: courseID, DueAt: rule.At, DueDays: rule.Days, CreatedAt: now}
		if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "group_id"}, {Name: "course_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"due_at", "due_days"}),
		}).Create(&ge).Error; err != nil {
			return err
		}
		var members []uint
		if err := tx.Model(&Membership{}).Where("group_id = ?", groupID).Pluck("user_id", &members).Error; err != nil {
			return err
		}
		for _, uid := range members {
			gid := groupID
			_, created, _, err := s.enrol(tx, uid, courseID, &gid, dueFor(now, rule))
			if err != nil {
				return err
			}
			if created {
				n++
			}
		}
		return s.auditFor(tx, "enrolment.group", func(e *AuditEntry) {
			e.GroupID, e.CourseID = Ref(groupID), Ref(courseID)
			e.Detail = map[string]any{"enrolments": n, "dueAt": rule.At, "dueDays": rule.Days}
		})
	})
	if err != nil {
		return 0, fmt.Errorf("store: enrol group: %w", notFound(err))
	}
	return n, nil
}

// EnrolmentRow is an enrolment with what the dashboards show beside it.
type EnrolmentRow struct {
	Enrolment
	CourseTitle    string
	CourseStatus   string
	CourseImage    string // the course's ImageHash
	UserName       string
	UserEmail      string
	UserActive     bool
	PassRule       string
	AttemptPolicy  string
	MaxAttempts    int
	ValidityMonths *int
	// The learner's latest attempt in the current cycle, if any.
	AttemptID         *uint
	AttemptCompletion *string
	AttemptSuccess    *string
	AttemptAccess     *time.Time
	// The attempt that counts (Enrolment.CountingAttemptID), if any.
	CountingNumber  *int
	CountingSuccess *string
	CountingScore   *float64
	// Attempts the learner has made at the course, in every cycle.
	Attempts int
	// GroupName is the group the enrolment came from, if any.
	GroupName *string
}

// EnrolmentFilter narrows Enrolments.
type EnrolmentFilter struct {
	UserID     uint
	CourseID   uint
	GroupID    uint // members of this group
	ActiveOnly bool
}

// Enrolments lists enrolments with their course, learner and latest attempt.
func (s *Store) Enrolments(ctx context.Context, f EnrolmentFilter) ([]EnrolmentRow, error) {
	q := s.read(ctx).Table("enrolments e").Select(`e.*, c.title AS course_title, c.status AS course_status, c.image_hash AS course_image,
			u.name AS user_name, u.email AS user_email,
			u.active AS user_active, c.pass_rule, c.attempt_policy, c.max_attempts, c.validity_months,
			a.id AS attempt_id, a.completion AS attempt_completion, a.success AS attempt_success, a.last_access_at AS attempt_access,
			ca.number AS counting_number, ca.success AS counting_success, ca.score_scaled AS counting_score,
			(SELECT COUNT(*) FROM attempts x WHERE x.user_id = e.user_id AND x.course_id = e.course_id) AS attempts,
			(SELECT g.name FROM groups g WHERE g.id = e.group_id) AS group_name`).
		Joins("JOIN courses c ON c.id = e.course_id").
		Joins("JOIN users u ON u.id = e.user_id").
		Joins(`LEFT JOIN attempts a ON a.id = (SELECT MAX(a2.id) FROM attempts a2
			WHERE a2.user_id = e.user_id AND a2.course_id = e.course_id AND a2.started_at >= e.enrolled_at)`).
		Joins("LEFT JOIN attempts ca ON ca.id = e.counting_attempt_id")
	if f.UserID != 0 {
		q = q.Where("e.user_id = ?", f.UserID)
	}
	if f.CourseID != 0 {
		q = q.Where("e.course_id = ?", f.CourseID)
	}
	if f.GroupID != 0 {
		q = q.Where("e.user_id IN (SELECT user_id FROM memberships WHERE group_id = ?)", f.GroupID)
	}
	if f.ActiveOnly {
		q = q.Where("u.active = ?", true)
	}
	var rows []EnrolmentRow
	if err := q.Order("c.title, u.email").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: enrolments: %w", err)
	}
	return rows, nil
}

// CourseRules are a course's compliance settings.
type CourseRules struct {
	PassRule        string
	AttemptPolicy   string
	MaxAttempts     int
	ValidityMonths  *int
	IgnorePriorWork bool
}

// RulesOf reads a course's rules.
func RulesOf(c *Course) CourseRules {
	return CourseRules{PassRule: c.PassRule, AttemptPolicy: c.AttemptPolicy, MaxAttempts: c.MaxAttempts,
		ValidityMonths: c.ValidityMonths, IgnorePriorWork: c.IgnorePriorWork}
}

// SetCourseRules changes a course's rules and applies the record changes
// the new rules make (compliance works them out), all in one transaction:
// one "course.rules" entry with reason and summary, and one entry per
// record changed. ErrStale when the records moved on since the changes were
// worked out.
func (s *Store) SetCourseRules(ctx context.Context, courseID uint, r CourseRules, reason string, summary map[string]any, changes []RecordChange) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var c Course
		if err := tx.First(&c, courseID).Error; err != nil {
			return err
		}
		old := RulesOf(&c)
		if err := tx.Model(&Course{}).Where("id = ?", courseID).Updates(map[string]any{
			"pass_rule": r.PassRule, "attempt_policy": r.AttemptPolicy, "max_attempts": r.MaxAttempts,
			"validity_months": r.ValidityMonths, "ignore_prior_work": r.IgnorePriorWork,
			"require_pass": r.PassRule == PassRequired, "updated_at": s.now(),
		}).Error; err != nil {
			return err
		}
		detail := map[string]any{"from": old, "to": r}
		for k, v := range summary {
			detail[k] = v
		}
		if err := s.auditFor(tx, "course.rules", func(e *AuditEntry) {
			e.CourseID, e.Target, e.Reason, e.Detail = Ref(courseID), c.Title, reason, detail
		}); err != nil {
			return err
		}
		for i := range changes {
			if err := s.applyRecordChange(tx, &changes[i]); err != nil {
				return err
			}
		}
		// Everyone is evaluated again under the new rules.
		return tx.Model(&Enrolment{}).Where("course_id = ?", courseID).Update("evaluated_at", nil).Error
	})
	if err != nil {
		return fmt.Errorf("store: course %d rules: %w", courseID, notFound(err))
	}
	return nil
}

// RecordCompletion records c against its enrolment's current cycle, unless
// the cycle already has a valid completion; it reports whether it did.
func (s *Store) RecordCompletion(ctx context.Context, c *Completion) (bool, error) {
	ch := RecordChange{EnrolmentID: c.EnrolmentID, UserID: c.UserID, CourseID: c.CourseID, Issue: c, Outcome: OutcomeCounts, CountingAttemptID: c.AttemptID}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var e Enrolment
		if err := tx.First(&e, c.EnrolmentID).Error; err != nil {
			return err
		}
		ch.Cycle = e.Cycle
		return s.applyRecordChange(tx, &ch)
	})
	if errors.Is(err, ErrStale) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: record completion: %w", notFound(err))
	}
	return true, nil
}

// DueForRecertification lists completed enrolments whose completion expires
// before the given time.
func (s *Store) DueForRecertification(ctx context.Context, before time.Time) ([]Enrolment, error) {
	var es []Enrolment
	// Only a published course starts new cycles: retiring it ends them.
	err := s.read(ctx).Where("completed_at IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= ?", before).
		Where("course_id IN (SELECT id FROM courses WHERE status = ?)", CoursePublished).Find(&es).Error
	return es, err
}

// StartCycle re-enrols a learner for recertification: a new cycle that is
// due when the current completion expires. Their open attempt is closed so
// that the next launch starts a fresh one.
func (s *Store) StartCycle(ctx context.Context, e *Enrolment) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&Enrolment{}).Where("id = ? AND cycle = ?", e.ID, e.Cycle).Updates(map[string]any{
			"cycle": e.Cycle + 1, "enrolled_at": now, "due_at": e.ExpiresAt, "completed_at": nil,
			"source": SourceRecertification, "counting_attempt_id": nil, "outcome": "", "evaluated_at": nil,
		})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		if err := tx.Model(&Attempt{}).Where("user_id = ? AND course_id = ? AND closed = ?", e.UserID, e.CourseID, false).
			Update("closed", true).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "enrolment.recertify", func(a *AuditEntry) {
			a.SubjectUserID, a.CourseID = Ref(e.UserID), Ref(e.CourseID)
			a.Reason = "the completion expires soon"
			a.Detail = map[string]any{"enrolment": e.ID, "cycle": e.Cycle + 1, "due": e.ExpiresAt}
		})
	})
}

// Completions lists a learner's completions, newest first (userID 0: all).
func (s *Store) Completions(ctx context.Context, userID uint) ([]Completion, error) {
	var cs []Completion
	q := s.read(ctx).Order("completed_at DESC")
	if userID != 0 {
		q = q.Where("user_id = ?", userID)
	}
	err := q.Find(&cs).Error
	return cs, err
}

// CompletionByCode finds a completion by its certificate code.
func (s *Store) CompletionByCode(ctx context.Context, code string) (*Completion, error) {
	var c Completion
	if err := s.read(ctx).Where("code = ?", code).First(&c).Error; err != nil {
		return nil, fmt.Errorf("store: certificate: %w", notFound(err))
	}
	return &c, nil
}
