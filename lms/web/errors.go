package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/store"
)

// handleError is the one place where errors become responses and where
// server errors are logged.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, msg := http.StatusInternalServerError, "Something went wrong on our side. It has been logged; please try again."
	var he *echo.HTTPError
	switch {
	case errors.As(err, &he):
		status = he.Code
		if m, ok := he.Message.(string); ok && status < 500 {
			msg = m
		} else if status < 500 {
			msg = http.StatusText(status)
		}
	case errors.Is(err, store.ErrNotFound):
		status, msg = http.StatusNotFound, "Not found."
	}
	if errors.Is(err, store.ErrNotAvailable) {
		s.courseUnavailable(c, err)
		return
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Request().Method, "path", logPath(c.Request().URL.Path), "err", err)
	}
	if wantsJSON(c) {
		_ = c.JSON(status, map[string]string{"error": msg})
		return
	}
	if rerr := s.render(c, status, "error", http.StatusText(status), msg); rerr != nil {
		s.log.Error("render error page", "err", rerr)
		_ = c.String(status, msg)
	}
}

func wantsJSON(c echo.Context) bool {
	return strings.Contains(c.Request().Header.Get("Accept"), "application/json")
}

// unavailableMessage says why a learner cannot open a course, and what to do.
const unavailableMessage = "This course is not available to you: it is for enrolled learners only. Ask your administrator to enrol you if you need it."

// courseUnavailable answers a launch or a page of a course the learner may
// not take (store.ErrNotAvailable): 403, with a page that says so and what
// to do.
func (s *Server) courseUnavailable(c echo.Context, err error) {
	if wantsJSON(c) {
		_ = c.JSON(http.StatusForbidden, map[string]string{"error": unavailableMessage})
		return
	}
	var co *store.Course
	if ue := (*unavailableError)(nil); errors.As(err, &ue) {
		co = ue.course
	}
	if rerr := s.render(c, http.StatusForbidden, "course_unavailable", "Course not available", co); rerr != nil {
		s.log.Error("render course_unavailable", "err", rerr)
		_ = c.String(http.StatusForbidden, unavailableMessage)
	}
}

// refuseCourse is the answer to a learner who may not see a course: "no
// such course" for a draft or an archived one (learners never learn of
// them), else the "not available" page.
func (s *Server) refuseCourse(c echo.Context, co *store.Course) error {
	if co.Status == store.CourseDraft || co.Status == store.CourseArchived {
		return echo.NewHTTPError(http.StatusNotFound, "No such course.")
	}
	return &unavailableError{co}
}
