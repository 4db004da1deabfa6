package store

// A course's catalogue setting says who may take it. Compliance courses are
// assigned: only enrolled learners open them. An open course is for every
// signed-in learner, and opening it enrols the learner (self-enrolment), so
// the learner's work shows in reports and compliance like any enrolment.

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Catalogue settings (Course.Catalogue).
const (
	CatalogueEnrolled = "enrolled" // enrolled learners only (the default)
	CatalogueOpen     = "open"     // every signed-in learner; opening it self-enrols
)

// SourceSelf is the source of an enrolment a learner made by opening an
// open course.
const SourceSelf = "self"

var (
	// ErrNotAvailable: the learner may not take the course (it is for
	// enrolled learners only, or no longer takes new learners).
	ErrNotAvailable = errors.New("the course is not available to this learner")
	// ErrCatalogue: not a catalogue setting.
	ErrCatalogue = errors.New("the catalogue setting is enrolled or open")
)

// Access is what a learner may do with a course.
type Access int

const (
	// AccessNone: the learner may not open the course.
	AccessNone Access = iota
	// AccessEnrolled: the learner is enrolled, or holds attempts of an
	// open course that is retired (it takes no new learners).
	AccessEnrolled
	// AccessOpen: the course is open and the learner not enrolled yet:
	// opening it self-enrols them.
	AccessOpen
)

// courseAccess decides a learner's access to a course inside tx. Drafts and
// archived courses are for admins only; enrolment decides the rest, and an
// open published course takes anyone.
func courseAccess(tx *gorm.DB, userID uint, c *Course) (Access, error) {
	if c.Status != CoursePublished && c.Status != CourseRetired || c.CurrentVersionID == nil {
		return AccessNone, nil
	}
	var n int64
	if err := tx.Model(&Enrolment{}).Where("user_id = ? AND course_id = ?", userID, c.ID).Count(&n).Error; err != nil {
		return AccessNone, err
	}
	switch {
	case n > 0:
		return AccessEnrolled, nil
	case c.Catalogue != CatalogueOpen:
		return AccessNone, nil
	case c.Status == CoursePublished:
		return AccessOpen, nil
	}
	// Retired and open: who started it before it was retired may finish.
	if err := tx.Model(&Attempt{}).Where("user_id = ? AND course_id = ?", userID, c.ID).Count(&n).Error; err != nil {
		return AccessNone, err
	}
	if n > 0 {
		return AccessEnrolled, nil
	}
	return AccessNone, nil
}

// CourseAccess says what a learner may do with a course; it writes nothing.
func (s *Store) CourseAccess(ctx context.Context, userID uint, c *Course) (Access, error) {
	a, err := courseAccess(s.read(ctx), userID, c)
	if err != nil {
		return AccessNone, fmt.Errorf("store: access of user %d to course %d: %w", userID, c.ID, err)
	}
	return a, nil
}

// TakeCourse checks, before a learner's launch writes anything, that the
// learner may take the course, and enrols them in an open course they are
// not enrolled in yet (one enrolment, without a due date, and one audit
// entry "enrolment.self"). enrolled says such an enrolment was made. A
// learner who may not take the course gets ErrNotAvailable, and nothing is
// written.
func (s *Store) TakeCourse(ctx context.Context, userID, courseID uint) (enrolled bool, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var c Course
		if err := tx.First(&c, courseID).Error; err != nil {
			return err
		}
		a, err := courseAccess(tx, userID, &c)
		if err != nil {
			return err
		}
		switch a {
		case AccessNone:
			return ErrNotAvailable
		case AccessEnrolled:
			return nil
		}
		now := s.now()
		e := Enrolment{UserID: userID, CourseID: courseID, Cycle: 1, EnrolledAt: now, CreatedAt: now, Source: SourceSelf}
		// A second window of the same learner may have enrolled them a
		// moment ago: then this one has nothing to add.
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&e)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		enrolled = true
		return s.auditFor(tx, "enrolment.self", func(a *AuditEntry) {
			a.SubjectUserID, a.CourseID, a.Target = Ref(userID), Ref(courseID), c.Title
			a.Reason = "self-enrolled"
			a.Detail = map[string]any{"enrolment": e.ID, "due": nil, "catalogue": c.Catalogue}
		})
	})
	if err != nil {
		return false, fmt.Errorf("store: user %d takes course %d: %w", userID, courseID, notFound(err))
	}
	return enrolled, nil
}

// SetCourseCatalogue changes who may take a course, with the admin's reason
// in one audit entry "course.catalogue". Enrolments stay as they are:
// making a course enrolled-only again takes it from nobody who is enrolled.
// ErrCatalogue for an unknown setting, ErrAlready when it is set already.
func (s *Store) SetCourseCatalogue(ctx context.Context, courseID uint, catalogue, reason string) error {
	if catalogue != CatalogueEnrolled && catalogue != CatalogueOpen {
		return fmt.Errorf("store: course %d catalogue %q: %w", courseID, catalogue, ErrCatalogue)
	}
	if reason == "" {
		return fmt.Errorf("store: course %d catalogue: a reason is required", courseID)
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var c Course
		if err := tx.First(&c, courseID).Error; err != nil {
			return err
		}
		if c.Catalogue == catalogue {
			return fmt.Errorf("the catalogue setting is %s already: %w", catalogue, ErrAlready)
		}
		if err := tx.Model(&Course{}).Where("id = ?", courseID).
			Updates(map[string]any{"catalogue": catalogue, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "course.catalogue", func(e *AuditEntry) {
			e.CourseID, e.Target, e.Reason = Ref(courseID), c.Title, reason
			e.Detail = map[string]any{"from": c.Catalogue, "to": catalogue}
		})
	})
	if err != nil {
		return fmt.Errorf("store: course %d catalogue: %w", courseID, notFound(err))
	}
	return nil
}

// courseCatalogue is migration 17: courses get the catalogue setting, and
// every course, old or new, is for enrolled learners only until an admin
// opens it. Before, every signed-in learner could open every course; the
// compliance-correct default is that only those assigned take it.
func courseCatalogue(tx *gorm.DB) error {
	if m := tx.Migrator(); !m.HasColumn(&Course{}, "Catalogue") {
		if err := m.AddColumn(&Course{}, "Catalogue"); err != nil {
			return err
		}
	}
	return tx.Exec("UPDATE courses SET catalogue = ? WHERE catalogue IS NULL OR catalogue = ''", CatalogueEnrolled).Error
}
