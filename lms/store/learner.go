package store

import (
	"context"
	"fmt"
)

// AttemptsInCycle counts, per course the learner is enrolled in, the
// attempts started in the enrolment's current cycle: what a course's
// maximum of attempts limits.
func (s *Store) AttemptsInCycle(ctx context.Context, userID uint) (map[uint]int, error) {
	var rows []struct {
		CourseID uint
		N        int
	}
	err := s.read(ctx).Table("attempts a").Select("a.course_id, COUNT(*) AS n").
		Joins("JOIN enrolments e ON e.user_id = a.user_id AND e.course_id = a.course_id").
		Where("a.user_id = ? AND a.started_at >= e.enrolled_at", userID).
		Group("a.course_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: attempts in cycle: %w", err)
	}
	out := make(map[uint]int, len(rows))
	for _, r := range rows {
		out[r.CourseID] = r.N
	}
	return out, nil
}
