package web

// A group's page enrols its members (and those who join later) in a course.

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/store"
)

// enrollableCourses are the published courses, for the group page's form.
func (s *Server) enrollableCourses(c echo.Context) ([]store.CourseSummary, error) {
	all, err := s.store.Courses(c.Request().Context())
	if err != nil {
		return nil, err
	}
	var out []store.CourseSummary
	for _, co := range all {
		if co.Status == store.CoursePublished {
			out = append(out, co)
		}
	}
	return out, nil
}

// enrolGroupIn enrols a group's members in a course, with a due date or a
// number of days; one audit entry (enrolment.group).
func (s *Server) enrolGroupIn(c echo.Context) error {
	ctx := c.Request().Context()
	g, err := s.groupParam(c)
	if err != nil {
		return err
	}
	fail := func(msg string) error { return s.renderGroup(c, http.StatusUnprocessableEntity, "", msg) }
	id, err := strconv.ParseUint(strings.TrimSpace(c.FormValue("course")), 10, 32)
	if err != nil || id == 0 {
		return fail("Choose a course to enrol the group in.")
	}
	co, err := s.store.CourseByID(ctx, uint(id))
	if errors.Is(err, store.ErrNotFound) {
		return fail("That course does not exist.")
	} else if err != nil {
		return err
	}
	if co.Status != store.CoursePublished {
		return fail(notEnrollable(co))
	}
	rule, err := s.dueRule(c.FormValue("due"), c.FormValue("due_days"))
	if err != nil {
		return fail(err.Error())
	}
	n, err := s.store.EnrolGroup(ctx, g.ID, co.ID, rule, s.comp.DueFor)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("%s is enrolled in %q: %d new %s; members who join later are enrolled too.", g.Name, co.Title, n,
		map[bool]string{true: "enrolment", false: "enrolments"}[n == 1])
	if c.FormValue("invite") == "1" {
		invited, err := s.inviteEnrolled(c, store.ViaWeb, co, g.ID, nil)
		if err != nil {
			return err
		}
		msg += invitedSentence(invited)
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/groups/%d?notice=%s", g.ID, url.QueryEscape(msg)))
}
