package report

import (
	"context"
	"io"
)

// ExportGroup writes the report of a group in format to w: every enrolment
// of its members, course by course, each row led by the course's title.
func (s *Service) ExportGroup(ctx context.Context, w io.Writer, format string, groupID uint) error {
	cols := append([]column{{"course", "Course", textCol}}, courseColumns...)
	tw, err := newTableWriter(w, format, s.zoned(cols))
	if err != nil {
		return err
	}
	ids, err := s.Store.GroupCourseIDs(ctx, groupID)
	if err != nil {
		tw.abort()
		return err
	}
	cells := make([]any, len(cols))
	for _, id := range ids {
		groups, err := s.Store.GroupNames(ctx, id)
		if err == nil {
			err = s.Each(ctx, id, Query{Group: groupID}, func(r Row) error {
				return tw.row(s.courseCells(append(cells[:0], r.CourseTitle), r, groups))
			})
		}
		if err != nil {
			tw.abort()
			return err
		}
	}
	return tw.close()
}
