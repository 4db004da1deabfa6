package store

import "gorm.io/gorm"

// courseLifecycle is the migration that gives courses a description, an
// image and a status, and attempts the test flag. Courses that exist already
// are published: learners could see them before.
func courseLifecycle(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, add := range []struct {
		model any
		cols  []string
	}{
		{&Course{}, []string{"Description", "Status", "Renamed", "ImageHash"}},
		{&Attempt{}, []string{"Test"}},
	} {
		for _, col := range add.cols {
			if !m.HasColumn(add.model, col) {
				if err := m.AddColumn(add.model, col); err != nil {
					return err
				}
			}
		}
	}
	if err := tx.Exec("UPDATE courses SET status = ? WHERE status IS NULL OR status = ''", CoursePublished).Error; err != nil {
		return err
	}
	if !m.HasIndex(&Course{}, "idx_course_status") {
		if err := tx.Exec("CREATE INDEX idx_course_status ON courses(status)").Error; err != nil {
			return err
		}
	}
	if m.HasTable(&CourseImage{}) {
		return nil
	}
	return m.CreateTable(&CourseImage{})
}
