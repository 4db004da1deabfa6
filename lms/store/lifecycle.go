package store

// A course's life: a new upload is a draft that only admins see; publishing
// shows it to learners; retiring stops new enrolments while learners who
// hold records keep seeing it; archiving takes it out of use with its
// records kept. A course without records can be deleted outright.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Course statuses (Course.Status).
const (
	CourseDraft     = "draft"     // admins only: test launches, no enrolments
	CoursePublished = "published" // learners see it and may be enrolled
	CourseRetired   = "retired"   // no new enrolments; holders of records still see it
	CourseArchived  = "archived"  // out of use; records kept for reports and certificates
)

// Errors of the course lifecycle, for the callers to explain.
var (
	// ErrNotEnrollable: the course is not published, so nobody can be
	// enrolled in it.
	ErrNotEnrollable = errors.New("the course is not published")
	// ErrHasRecords: the course has enrolments, attempts or completions and
	// cannot be deleted (archive it instead).
	ErrHasRecords = errors.New("the course has learner records")
	// ErrTransition: the course cannot move from its status to the one
	// asked for.
	ErrTransition = errors.New("status change not allowed")
)

// transitions lists, per status, the statuses a course may move to, with the
// audit action each move writes.
var transitions = map[string]map[string]string{
	CourseDraft:     {CoursePublished: "course.publish"}, // a draft has no records: delete it instead
	CoursePublished: {CourseRetired: "course.retire", CourseArchived: "course.archive"},
	CourseRetired:   {CoursePublished: "course.reinstate", CourseArchived: "course.archive"},
	CourseArchived:  {CourseRetired: "course.restore"},
}

// CanMove reports whether a course with status from may move to status to.
func CanMove(from, to string) bool {
	_, ok := transitions[from][to]
	return ok
}

// VisibleToLearners is the SQL condition, on courses c, under which a course
// is listed for learners who hold no record of it.
const VisibleToLearners = "c.status = 'published'"

// SetCourseStatus moves a course to status, with one audit entry. A draft
// can be published only when it has content.
func (s *Store) SetCourseStatus(ctx context.Context, courseID uint, status string) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var c Course
		if err := tx.First(&c, courseID).Error; err != nil {
			return err
		}
		action, ok := transitions[c.Status][status]
		if !ok {
			return fmt.Errorf("%w: %s to %s", ErrTransition, c.Status, status)
		}
		if status == CoursePublished && c.CurrentVersionID == nil {
			return fmt.Errorf("%w: the course has no content", ErrTransition)
		}
		if err := tx.Model(&Course{}).Where("id = ? AND status = ?", courseID, c.Status).
			Updates(map[string]any{"status": status, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		return s.auditFor(tx, action, func(e *AuditEntry) {
			e.CourseID, e.Target = Ref(courseID), c.Title
			e.Detail = map[string]any{"from": c.Status, "to": status}
		})
	})
	if err != nil {
		return fmt.Errorf("store: course %d status: %w", courseID, notFound(err))
	}
	return nil
}

// enrollable refuses new enrolments in a course that is not published.
func enrollable(tx *gorm.DB, courseID uint) error {
	var status string
	if err := tx.Model(&Course{}).Select("status").Where("id = ?", courseID).Scan(&status).Error; err != nil {
		return err
	}
	switch status {
	case "":
		return fmt.Errorf("course %d: %w", courseID, ErrNotFound)
	case CoursePublished:
		return nil
	}
	return fmt.Errorf("course %d is %s: %w", courseID, status, ErrNotEnrollable)
}

// CourseDetails are what an admin edits about a course.
type CourseDetails struct {
	Title       string
	Description string
}

// UpdateCourseDetails renames and describes a course. A title set here is
// kept when new versions are uploaded. Callers validate the lengths.
func (s *Store) UpdateCourseDetails(ctx context.Context, courseID uint, d CourseDetails) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var c Course
		if err := tx.First(&c, courseID).Error; err != nil {
			return err
		}
		changes := map[string]any{}
		upd := map[string]any{"updated_at": s.now()}
		if d.Title != c.Title {
			changes["title"] = []string{c.Title, d.Title}
			upd["title"], upd["renamed"] = d.Title, true
		}
		if d.Description != c.Description {
			changes["description"] = map[string]int{"before": len([]rune(c.Description)), "after": len([]rune(d.Description))}
			upd["description"] = d.Description
		}
		if len(changes) == 0 {
			return nil
		}
		if err := tx.Model(&Course{}).Where("id = ?", courseID).Updates(upd).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "course.update", func(e *AuditEntry) {
			e.CourseID, e.Target, e.Detail = Ref(courseID), d.Title, changes
		})
	})
	if err != nil {
		return fmt.Errorf("store: update course %d: %w", courseID, notFound(err))
	}
	return nil
}

// CourseImage is a course's picture, kept in the database so that every
// instance serves it and a backup holds it. Data is always an image Lectern
// encoded itself (see the web layer), never the uploaded bytes.
type CourseImage struct {
	CourseID    uint      `gorm:"primaryKey;autoIncrement:false"`
	Course      Course    `gorm:"constraint:OnDelete:CASCADE"`
	ContentType string    `gorm:"size:40;not null"`
	Data        []byte    `gorm:"not null"`
	Width       int       `gorm:"not null"`
	Height      int       `gorm:"not null"`
	Hash        string    `gorm:"size:64;not null"`
	UpdatedAt   time.Time `gorm:"not null"`
}

// SetCourseImage stores (img != nil) or removes (img == nil) a course's image.
func (s *Store) SetCourseImage(ctx context.Context, courseID uint, img *CourseImage) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var c Course
		if err := tx.First(&c, courseID).Error; err != nil {
			return err
		}
		action, hash := "course.image_remove", ""
		detail := map[string]any{}
		if img == nil {
			if c.ImageHash == "" {
				return nil
			}
			if err := tx.Where("course_id = ?", courseID).Delete(&CourseImage{}).Error; err != nil {
				return err
			}
		} else {
			action, hash = "course.image", img.Hash
			img.CourseID, img.UpdatedAt = courseID, s.now()
			if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(img).Error; err != nil {
				return err
			}
			detail = map[string]any{"type": img.ContentType, "bytes": len(img.Data), "width": img.Width, "height": img.Height}
		}
		if err := tx.Model(&Course{}).Where("id = ?", courseID).
			Updates(map[string]any{"image_hash": hash, "updated_at": s.now()}).Error; err != nil {
			return err
		}
		return s.auditFor(tx, action, func(e *AuditEntry) { e.CourseID, e.Target, e.Detail = Ref(courseID), c.Title, detail })
	})
	if err != nil {
		return fmt.Errorf("store: course %d image: %w", courseID, notFound(err))
	}
	return nil
}

// CourseImageOf returns a course's image; ErrNotFound without one.
func (s *Store) CourseImageOf(ctx context.Context, courseID uint) (*CourseImage, error) {
	var img CourseImage
	if err := s.read(ctx).Where("course_id = ?", courseID).First(&img).Error; err != nil {
		return nil, fmt.Errorf("store: image of course %d: %w", courseID, notFound(err))
	}
	return &img, nil
}

// hasRecords tells whether learners have left a trace on a course:
// enrolments, attempts (test launches are not attempts of the course) or
// completions.
func hasRecords(tx *gorm.DB, courseID uint) (bool, error) {
	var n int64
	err := tx.Raw(`SELECT (SELECT COUNT(*) FROM enrolments WHERE course_id = ?) +
		(SELECT COUNT(*) FROM attempts WHERE course_id = ?) +
		(SELECT COUNT(*) FROM completions WHERE course_id = ?)`, courseID, courseID, courseID).Scan(&n).Error
	return n > 0, err
}

// CourseHasRecords tells whether a course has enrolments, attempts or
// completions, that is whether it can only be archived, not deleted.
func (s *Store) CourseHasRecords(ctx context.Context, courseID uint) (bool, error) {
	has, err := hasRecords(s.read(ctx), courseID)
	if err != nil {
		return false, fmt.Errorf("store: records of course %d: %w", courseID, err)
	}
	return has, nil
}

// HoldsRecord tells whether a learner has an enrolment in or an attempt on
// a course: such a learner still sees a retired course.
func (s *Store) HoldsRecord(ctx context.Context, userID, courseID uint) (bool, error) {
	var n int64
	err := s.read(ctx).Raw(`SELECT (SELECT COUNT(*) FROM enrolments WHERE user_id = ? AND course_id = ?) +
		(SELECT COUNT(*) FROM attempts WHERE user_id = ? AND course_id = ?)`, userID, courseID, userID, courseID).Scan(&n).Error
	if err != nil {
		return false, fmt.Errorf("store: records of user %d on course %d: %w", userID, courseID, err)
	}
	return n > 0, nil
}

// DeleteCourse removes a course that has no learner records, with its
// versions, items, image, group rules and test launches, and returns the
// content folders of its versions for the caller to remove once the
// transaction has committed. A course with records is refused with
// ErrHasRecords: it can only be archived.
func (s *Store) DeleteCourse(ctx context.Context, courseID uint) (dirs []string, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var c Course
		if err := tx.First(&c, courseID).Error; err != nil {
			return err
		}
		// Checked inside the write transaction: no enrolment can slip in
		// between the check and the delete.
		has, err := hasRecords(tx, courseID)
		if err != nil {
			return err
		}
		if has {
			return ErrHasRecords
		}
		var versions []CourseVersion
		if err := tx.Where("course_id = ?", courseID).Find(&versions).Error; err != nil {
			return err
		}
		ids := make([]uint, len(versions))
		for i, v := range versions {
			ids[i], dirs = v.ID, append(dirs, v.ContentDir)
		}
		if len(ids) > 0 {
			// Test attempts hang off the versions; their journal rows have no
			// foreign key, so they go explicitly.
			tests := tx.Model(&Attempt{}).Select("id").Where("version_id IN ?", ids)
			if err := tx.Where("attempt_id IN (?)", tests).Delete(&Commit{}).Error; err != nil {
				return err
			}
			if err := tx.Where("scope_id IN (?)", tests).Delete(&SharedValue{}).Error; err != nil {
				return err
			}
			if err := tx.Where("version_id IN ?", ids).Delete(&Attempt{}).Error; err != nil {
				return err
			}
		}
		if err := tx.Model(&Course{}).Where("id = ?", courseID).Update("current_version_id", nil).Error; err != nil {
			return err
		}
		if err := tx.Where("course_id = ?", courseID).Delete(&CourseVersion{}).Error; err != nil {
			return err
		}
		if err := tx.Delete(&Course{}, courseID).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "course.delete", func(e *AuditEntry) {
			e.CourseID, e.Target = Ref(courseID), c.Title
			e.Detail = map[string]any{"status": c.Status, "versions": len(versions)}
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: delete course %d: %w", courseID, notFound(err))
	}
	return dirs, nil
}

// StartTestAttempt closes the admin's earlier test attempts on a course and
// starts a fresh one on its current version: what a learner would get now.
// The attempt has CourseID 0 and Test set, so nothing about it reaches the
// course's records.
func (s *Store) StartTestAttempt(ctx context.Context, userID, courseID uint) (*Attempt, error) {
	var a Attempt
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var c Course
		if err := tx.First(&c, courseID).Error; err != nil {
			return err
		}
		if c.CurrentVersionID == nil {
			return fmt.Errorf("course %d has no content: %w", courseID, ErrNotFound)
		}
		versions := tx.Model(&CourseVersion{}).Select("id").Where("course_id = ?", courseID)
		if err := tx.Model(&Attempt{}).Where("user_id = ? AND test = ? AND closed = ? AND version_id IN (?)", userID, true, false, versions).
			Update("closed", true).Error; err != nil {
			return err
		}
		var last int
		if err := tx.Model(&Attempt{}).Where("user_id = ? AND test = ? AND version_id IN (?)", userID, true, versions).
			Select("COALESCE(MAX(number), 0)").Scan(&last).Error; err != nil {
			return err
		}
		now := s.now()
		a = Attempt{UserID: userID, CourseID: 0, VersionID: *c.CurrentVersionID, Number: last + 1, Test: true,
			Completion: "not attempted", Success: "unknown", StartedAt: now, LastAccessAt: now}
		if err := tx.Create(&a).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "course.test_launch", func(e *AuditEntry) {
			e.CourseID, e.Target = Ref(courseID), c.Title
			e.Detail = map[string]any{"attempt": a.ID, "version": *c.CurrentVersionID}
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: test attempt: %w", notFound(err))
	}
	return &a, nil
}

// CourseStatusCounts counts courses per status, for the admin course list.
func (s *Store) CourseStatusCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	if err := s.read(ctx).Model(&Course{}).Select("status, COUNT(*) AS n").Group("status").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: course counts: %w", err)
	}
	out := map[string]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// LearnerCourses lists the courses a learner may open without being
// enrolled, the catalogue: open published ones, and open retired ones the
// learner has started (see courseAccess). By title.
func (s *Store) LearnerCourses(ctx context.Context, userID uint) ([]Course, error) {
	var out []Course
	err := s.read(ctx).Table("courses c").Select("c.*").
		Where("c.current_version_id IS NOT NULL AND c.catalogue = ?", CatalogueOpen).
		Where("NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.course_id = c.id AND e.user_id = ?)", userID).
		Where("("+VisibleToLearners+" OR (c.status = ? AND EXISTS (SELECT 1 FROM attempts a WHERE a.course_id = c.id AND a.user_id = ?)))",
			CourseRetired, userID).
		Order("c.title, c.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: courses of learner %d: %w", userID, err)
	}
	return out, nil
}
