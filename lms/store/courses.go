package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// CourseSummary is a row of the course list.
type CourseSummary struct {
	Course
	VersionNumber   int
	Edition         string
	SCOCount        int
	LaunchableCount int
	VersionCount    int
}

// CreateCourseVersion stores a new version with its items, creating the course
// first when courseID is 0, and makes it the course's current version. install
// runs inside the transaction once IDs are known (it moves the content into
// place); if it fails nothing is stored. The caller undoes install's effect if
// the returned error is not nil.
func (s *Store) CreateCourseVersion(ctx context.Context, courseID uint, v *CourseVersion, items []Item, install func(*CourseVersion) error) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		action := "course.version"
		if courseID == 0 {
			action = "course.import"
			status := v.CourseStatus
			if status == "" {
				status = CoursePublished
			}
			c := &Course{Title: v.Title, Status: status, PassRule: PassAuto, AttemptPolicy: AttemptBest, CreatedAt: now, UpdatedAt: now}
			if err := tx.Create(c).Error; err != nil {
				return err
			}
			courseID = c.ID
		} else if err := tx.First(&Course{}, courseID).Error; err != nil {
			return fmt.Errorf("course %d: %w", courseID, notFound(err))
		}
		var last int
		if err := tx.Model(&CourseVersion{}).Where("course_id = ?", courseID).
			Select("COALESCE(MAX(number), 0)").Scan(&last).Error; err != nil {
			return err
		}
		v.CourseID, v.Number, v.CreatedAt = courseID, last+1, now
		if v.ContentDir == "" {
			v.ContentDir = fmt.Sprintf("%d/%d", courseID, v.Number)
		}
		if err := tx.Create(v).Error; err != nil {
			return err
		}
		ids := make([]uint, len(items))
		for i := range items {
			it := items[i]
			it.VersionID, it.Position = v.ID, i
			if it.ParentPosition >= 0 {
				if it.ParentPosition >= i {
					return fmt.Errorf("item %q: parent must come before its children", it.Identifier)
				}
				it.ParentID = &ids[it.ParentPosition]
			}
			if err := tx.Create(&it).Error; err != nil {
				return fmt.Errorf("item %q: %w", it.Identifier, err)
			}
			ids[i] = it.ID
		}
		upd := map[string]any{"current_version_id": v.ID, "updated_at": now}
		// The package names the course until an admin renames it.
		if err := tx.Model(&Course{}).Where("id = ? AND renamed = ?", courseID, false).Update("title", v.Title).Error; err != nil {
			return err
		}
		if err := tx.Model(&Course{}).Where("id = ?", courseID).Updates(upd).Error; err != nil {
			return err
		}
		if err := s.auditFor(tx, action, func(e *AuditEntry) {
			e.CourseID, e.Target = Ref(courseID), v.Title
			e.Detail = map[string]any{"version": v.Number, "edition": v.Edition, "file": v.Filename}
		}); err != nil {
			return err
		}
		return install(v)
	})
	if err != nil {
		return fmt.Errorf("store: create course version: %w", notFound(err))
	}
	return nil
}

// Courses lists every course with its current version.
func (s *Store) Courses(ctx context.Context) ([]CourseSummary, error) {
	var out []CourseSummary
	err := s.read(ctx).Table("courses").
		Select(`courses.*, v.number AS version_number, v.edition, v.sco_count, v.launchable_count,
			(SELECT COUNT(*) FROM course_versions cv WHERE cv.course_id = courses.id) AS version_count`).
		Joins("LEFT JOIN course_versions v ON v.id = courses.current_version_id").
		Order("courses.title, courses.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: courses: %w", err)
	}
	return out, nil
}

// CourseByID finds a course.
func (s *Store) CourseByID(ctx context.Context, id uint) (*Course, error) {
	var c Course
	if err := s.read(ctx).First(&c, id).Error; err != nil {
		return nil, fmt.Errorf("store: course %d: %w", id, notFound(err))
	}
	return &c, nil
}

// CourseVersions lists a course's versions, newest first.
func (s *Store) CourseVersions(ctx context.Context, courseID uint) ([]CourseVersion, error) {
	var vs []CourseVersion
	err := s.read(ctx).Where("course_id = ?", courseID).Order("number DESC").Find(&vs).Error
	if err != nil {
		return nil, fmt.Errorf("store: versions of course %d: %w", courseID, err)
	}
	return vs, nil
}

// VersionByID finds a course version.
func (s *Store) VersionByID(ctx context.Context, id uint) (*CourseVersion, error) {
	var v CourseVersion
	if err := s.read(ctx).First(&v, id).Error; err != nil {
		return nil, fmt.Errorf("store: course version %d: %w", id, notFound(err))
	}
	return &v, nil
}

// VersionItems returns a version's items in depth-first order.
func (s *Store) VersionItems(ctx context.Context, versionID uint) ([]Item, error) {
	var items []Item
	err := s.read(ctx).Where("version_id = ?", versionID).Order("position").Find(&items).Error
	if err != nil {
		return nil, fmt.Errorf("store: items of version %d: %w", versionID, err)
	}
	return items, nil
}

// VersionsWithoutPassing lists the versions whose pass criterion is not
// known yet (imported before migration 8).
func (s *Store) VersionsWithoutPassing(ctx context.Context) ([]CourseVersion, error) {
	var vs []CourseVersion
	if err := s.read(ctx).Where("pass_judged IS NULL").Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("store: versions without a pass criterion: %w", err)
	}
	return vs, nil
}

// SetVersionPassing records a version's pass criterion, read from its
// manifest. It is a fact about the package, not an admin's change: no audit
// entry.
func (s *Store) SetVersionPassing(ctx context.Context, versionID uint, judged bool, score *float64) error {
	err := s.db.WithContext(ctx).Model(&CourseVersion{}).Where("id = ?", versionID).
		Updates(map[string]any{"pass_judged": judged, "passing_score": score}).Error
	if err != nil {
		return fmt.Errorf("store: version %d pass criterion: %w", versionID, err)
	}
	return nil
}

// VersionsOfCourse maps a course's version ids to their versions.
func (s *Store) VersionsOfCourse(ctx context.Context, courseID uint) (map[uint]CourseVersion, error) {
	vs, err := s.CourseVersions(ctx, courseID)
	if err != nil {
		return nil, err
	}
	out := make(map[uint]CourseVersion, len(vs))
	for _, v := range vs {
		out[v.ID] = v
	}
	return out, nil
}
