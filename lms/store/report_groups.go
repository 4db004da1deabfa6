package store

import (
	"context"
	"fmt"
	"strings"
)

// GroupNames lists, by user, the names of the groups of every user with an
// enrolment in course (courseID 0: of every user), joined by "; " in name
// order, for the exports' Groups column.
func (s *Store) GroupNames(ctx context.Context, courseID uint) (map[uint]string, error) {
	q := s.read(ctx).Table("memberships m").Select("m.user_id, g.name").Joins("JOIN groups g ON g.id = m.group_id")
	if courseID != 0 {
		q = q.Where("m.user_id IN (SELECT user_id FROM enrolments WHERE course_id = ?)", courseID)
	}
	var ms []struct {
		UserID uint
		Name   string
	}
	if err := q.Order("m.user_id, g.name").Scan(&ms).Error; err != nil {
		return nil, fmt.Errorf("store: group names: %w", err)
	}
	byUser := map[uint][]string{}
	for _, m := range ms {
		byUser[m.UserID] = append(byUser[m.UserID], m.Name)
	}
	out := make(map[uint]string, len(byUser))
	for u, names := range byUser {
		out[u] = strings.Join(names, "; ")
	}
	return out, nil
}
