package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/report"
)

// courseDetailsFile downloads a course's interactions or objectives: every
// question each learner answered, or every objective, as the SCOs reported them.
func (s *Server) courseDetailsFile(kind, format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		co, err := s.courseParam(c)
		if err != nil {
			return err
		}
		s.download(c, format, report.FileName(co.Title, kind, s.localNow(), format))
		if err := s.reports().ExportDetails(c.Request().Context(), c.Response(), format, kind, co.ID, 0); err != nil {
			s.log.Error("details export", "course", co.ID, "kind", kind, "err", err)
		}
		return nil
	}
}

// attemptDetailsFile downloads one attempt's interactions or objectives.
func (s *Server) attemptDetailsFile(kind, format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := strconv.ParseUint(c.Param("id"), 10, 32)
		if err != nil {
			return echo.NewHTTPError(http.StatusNotFound, "No such attempt.")
		}
		a, err := s.store.AttemptByID(c.Request().Context(), uint(id))
		if err != nil {
			return err
		}
		s.download(c, format, report.FileName(fmt.Sprintf("attempt-%d", a.ID), kind, s.localNow(), format))
		if err := s.reports().ExportDetails(c.Request().Context(), c.Response(), format, kind, 0, a.ID); err != nil {
			s.log.Error("details export", "attempt", a.ID, "kind", kind, "err", err)
		}
		return nil
	}
}
