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
	if err := s.db.WithContext(ctx).Create(g).Error; err != nil {
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
		added, _, err = s.joinGroup(tx, userID, groupID, s.now(), dueFor)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: add member: %w", notFound(err))
	}
	return added, nil
}

// RemoveMember takes a user out of a group. Enrolments stay: the training
// was assigned and may be evidence.
func (s *Store) RemoveMember(ctx context.Context, userID, groupID uint) error {
	return s.db.WithContext(ctx).Where("user_id = ? AND group_id = ?", userID, groupID).Delete(&Membership{}).Error
}

// Enrol assigns a course to a user. An existing enrolment is kept; its due
// date changes to dueAt when the current cycle is not completed. created
// tells whether the enrolment is new.
func (s *Store) Enrol(ctx context.Context, userID, courseID uint, dueAt *time.Time) (e *Enrolment, created bool, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		e, created, err = s.enrol(tx, userID, courseID, nil, dueAt)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: enrol: %w", notFound(err))
	}
	return e, created, nil
}

func (s *Store) enrol(tx *gorm.DB, userID, courseID uint, groupID *uint, dueAt *time.Time) (*Enrolment, bool, error) {
	var e Enrolment
	err := tx.Where("user_id = ? AND course_id = ?", userID, courseID).First(&e).Error
	if err == nil {
		if e.CompletedAt == nil && dueAt != nil {
			e.DueAt = dueAt
			if err := tx.Model(&Enrolment{}).Where("id = ?", e.ID).Update("due_at", dueAt).Error; err != nil {
				return nil, false, err
			}
		}
		return &e, false, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, false, err
	}
	now := s.now()
	e = Enrolment{UserID: userID, CourseID: courseID, GroupID: groupID, Cycle: 1, EnrolledAt: now, DueAt: dueAt, CreatedAt: now}
	if err := tx.Create(&e).Error; err != nil {
		return nil, false, err
	}
	return &e, true, nil
}

// EnrolGroup enrols a group's members in a course and records the rule so
// that later members are enrolled too. It returns how many enrolments were
// created.
func (s *Store) EnrolGroup(ctx context.Context, groupID, courseID uint, rule DueRule, dueFor func(enrolled time.Time, r DueRule) *time.Time) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
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
			_, created, err := s.enrol(tx, uid, courseID, &gid, dueFor(now, rule))
			if err != nil {
				return err
			}
			if created {
				n++
			}
		}
		return nil
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
	UserName       string
	UserEmail      string
	UserActive     bool
	RequirePass    bool
	ValidityMonths *int
	// The learner's latest attempt in the current cycle, if any.
	AttemptID         *uint
	AttemptCompletion *string
	AttemptSuccess    *string
	AttemptAccess     *time.Time
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
	q := s.read(ctx).Table("enrolments e").Select(`e.*, c.title AS course_title, u.name AS user_name, u.email AS user_email,
			u.active AS user_active, c.require_pass, c.validity_months,
			a.id AS attempt_id, a.completion AS attempt_completion, a.success AS attempt_success, a.last_access_at AS attempt_access`).
		Joins("JOIN courses c ON c.id = e.course_id").
		Joins("JOIN users u ON u.id = e.user_id").
		Joins(`LEFT JOIN attempts a ON a.id = (SELECT MAX(a2.id) FROM attempts a2
			WHERE a2.user_id = e.user_id AND a2.course_id = e.course_id AND a2.started_at >= e.enrolled_at)`)
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

// SetCourseCompliance sets a course's validity period and pass requirement.
func (s *Store) SetCourseCompliance(ctx context.Context, courseID uint, validityMonths *int, requirePass bool) error {
	res := s.db.WithContext(ctx).Model(&Course{}).Where("id = ?", courseID).
		Updates(map[string]any{"validity_months": validityMonths, "require_pass": requirePass, "updated_at": s.now()})
	if res.Error != nil {
		return fmt.Errorf("store: course compliance: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: course %d: %w", courseID, ErrNotFound)
	}
	return nil
}

// CompletionCandidate is an enrolment whose learner has completed an attempt
// in the current cycle that is not recorded yet.
type CompletionCandidate struct {
	EnrolmentID    uint
	UserID         uint
	CourseID       uint
	Cycle          int
	AttemptID      uint
	CompletedAt    time.Time
	Success        string
	ScoreScaled    *float64
	RequirePass    bool
	ValidityMonths *int
	CourseTitle    string
	UserName       string
}

// CompletionCandidates finds completed attempts not yet recorded against
// their enrolment (userID 0: everyone).
func (s *Store) CompletionCandidates(ctx context.Context, userID uint) ([]CompletionCandidate, error) {
	q := s.read(ctx).Table("enrolments e").Select(`e.id AS enrolment_id, e.user_id, e.course_id, e.cycle, a.id AS attempt_id,
			a.completed_at, a.success, a.score_scaled, c.require_pass, c.validity_months, c.title AS course_title, u.name AS user_name`).
		Joins("JOIN attempts a ON a.user_id = e.user_id AND a.course_id = e.course_id").
		Joins("JOIN courses c ON c.id = e.course_id").
		Joins("JOIN users u ON u.id = e.user_id").
		Where("e.completed_at IS NULL AND a.completed_at IS NOT NULL AND a.started_at >= e.enrolled_at").
		Where("NOT EXISTS (SELECT 1 FROM completions x WHERE x.attempt_id = a.id)").
		Order("a.completed_at")
	if userID != 0 {
		q = q.Where("e.user_id = ?", userID)
	}
	var out []CompletionCandidate
	if err := q.Scan(&out).Error; err != nil {
		return nil, fmt.Errorf("store: completion candidates: %w", err)
	}
	return out, nil
}

// RecordCompletion closes the enrolment's current cycle with c, unless the
// cycle is already complete.
func (s *Store) RecordCompletion(ctx context.Context, c *Completion) (bool, error) {
	recorded := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&Enrolment{}).Where("id = ? AND completed_at IS NULL AND cycle = ?", c.EnrolmentID, c.Cycle).
			Updates(map[string]any{"completed_at": c.CompletedAt, "expires_at": c.ExpiresAt})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		c.CreatedAt = s.now()
		if err := tx.Create(c).Error; err != nil {
			return err
		}
		recorded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("store: record completion: %w", err)
	}
	return recorded, nil
}

// DueForRecertification lists completed enrolments whose completion expires
// before the given time.
func (s *Store) DueForRecertification(ctx context.Context, before time.Time) ([]Enrolment, error) {
	var es []Enrolment
	err := s.read(ctx).Where("completed_at IS NOT NULL AND expires_at IS NOT NULL AND expires_at <= ?", before).Find(&es).Error
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
		})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return tx.Model(&Attempt{}).Where("user_id = ? AND course_id = ? AND closed = ?", e.UserID, e.CourseID, false).
			Update("closed", true).Error
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
