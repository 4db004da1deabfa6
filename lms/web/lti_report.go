package web

// The instructor's view of an LTI placement: the course's report for the
// context's learners only (the members of the context's group), a roster
// sync, a CSV download, and changing the course.

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/lti"
	"github.com/lectern/lectern/lms/report"
	"github.com/lectern/lectern/lms/store"
)

type ltiReportView struct {
	Session   string
	Course    *store.Course
	Context   *store.LTIContext
	Placement *store.LTIPlacement
	Rows      []reportRowView
	Status    string
	Statuses  []string
	Next      string // page token of the next page
	Roster    bool   // the platform offers a roster
	Notice    string
	Error     string
}

// ltiInstructor checks the window is an instructor's with a placement that
// has a course, and returns what the report needs.
func (s *Server) ltiInstructor(c echo.Context) (*ltiWindow, *store.LTIPlacement, *store.LTIContext, error) {
	w := currentWindow(c)
	if !w.Instructor {
		return nil, nil, nil, echo.NewHTTPError(http.StatusForbidden, "This page is for the course's instructors.")
	}
	if w.ContextID == nil {
		return nil, nil, nil, echo.NewHTTPError(http.StatusBadRequest, "This window has no course context.")
	}
	ctx := c.Request().Context()
	cx, err := s.store.LTIContextByID(ctx, *w.ContextID)
	if err != nil {
		return nil, nil, nil, err
	}
	p, err := s.windowPlacement(c, w)
	if err != nil {
		return nil, nil, nil, err
	}
	return w, p, cx, nil
}

func (s *Server) ltiReportPage(c echo.Context, w *ltiWindow, p *store.LTIPlacement) error {
	return s.renderLTIReport(c, w, p, "", "", "")
}

func (s *Server) renderLTIReport(c echo.Context, w *ltiWindow, p *store.LTIPlacement, status, after, notice string) error {
	ctx := c.Request().Context()
	if p.CourseID == nil {
		return s.ltiPicker(c, w, "", "")
	}
	co, err := s.store.CourseByID(ctx, *p.CourseID)
	if err != nil {
		return err
	}
	if w.ContextID == nil {
		return echo.NewHTTPError(http.StatusBadRequest, "This window has no course context.")
	}
	cx, err := s.store.LTIContextByID(ctx, *w.ContextID)
	if err != nil {
		return err
	}
	if err := s.comp.Reconcile(ctx, 0); err != nil {
		return err
	}
	v := ltiReportView{Session: w.token, Course: co, Context: cx, Placement: p, Status: status, Roster: cx.MembershipsURL != "", Notice: notice}
	for _, st := range report.Statuses {
		v.Statuses = append(v.Statuses, string(st))
	}
	page, err := s.reports().Page(ctx, co.ID, report.Query{Group: cx.GroupID, Status: status}, after, 100)
	if err != nil {
		if errors.Is(err, report.ErrInvalid) {
			v.Error = err.Error()
		} else {
			return err
		}
	} else {
		v.Next = page.Next
		for _, r := range page.Rows {
			v.Rows = append(v.Rows, reportRowView{Row: r, Result: resultText(r.Completion, r.Success), Score: scoreText(r.ScoreScaled), Time: durationText(r.TotalSeconds)})
		}
	}
	return s.render(c, http.StatusOK, "lti_report", co.Title+": report", v)
}

// ltiReport shows a page of the report with the window's filter.
func (s *Server) ltiReport(c echo.Context) error {
	w, p, _, err := s.ltiInstructor(c)
	if err != nil {
		return err
	}
	return s.renderLTIReport(c, w, p, c.FormValue("status"), c.FormValue("after"), "")
}

// ltiReportFile downloads the context's report as CSV.
func (s *Server) ltiReportFile(c echo.Context) error {
	w, p, cx, err := s.ltiInstructor(c)
	if err != nil {
		return err
	}
	_ = w
	if p.CourseID == nil {
		return echo.NewHTTPError(http.StatusConflict, "No course is chosen for this activity yet.")
	}
	ctx := c.Request().Context()
	co, err := s.store.CourseByID(ctx, *p.CourseID)
	if err != nil {
		return err
	}
	q := report.Query{Group: cx.GroupID, Status: c.FormValue("status")}
	svc := s.reports()
	if _, err := svc.Filter(co.ID, q); err != nil {
		return badFilter(err)
	}
	if err := s.comp.Reconcile(ctx, 0); err != nil {
		return err
	}
	s.download(c, report.CSV, report.FileName(co.Title+" "+cx.Title, "report", s.localNow(), report.CSV))
	if err := svc.Export(ctx, c.Response(), report.CSV, co.ID, q); err != nil {
		s.log.Error("LTI report export", "course", co.ID, "err", err)
	}
	return nil
}

// ltiRoster syncs the context's roster from the platform.
func (s *Server) ltiRoster(c echo.Context) error {
	w, p, cx, err := s.ltiInstructor(c)
	if err != nil {
		return err
	}
	res, err := s.lti.SyncRoster(c.Request().Context(), cx.ID)
	if err != nil {
		msg := "The roster could not be read from your learning platform: " + err.Error()
		if errors.Is(err, lti.ErrNoRoster) {
			msg = "Your learning platform offers no roster for this course."
		}
		s.log.Warn("LTI roster sync", "context", cx.ID, "err", err)
		return s.renderLTIReport(c, w, p, "", "", msg)
	}
	return s.renderLTIReport(c, w, p, "", "", fmt.Sprintf("Roster synced: %d learners, %d new to Lectern, %d newly enrolled.", res.Members, res.Created, res.Enrolled))
}

// ltiChange lets an instructor choose another course for the placement.
func (s *Server) ltiChange(c echo.Context) error {
	w, _, _, err := s.ltiInstructor(c)
	if err != nil {
		return err
	}
	return s.ltiPicker(c, w, "", "")
}

func uintParam(v string) (uint, bool) {
	n, err := strconv.ParseUint(v, 10, 32)
	return uint(n), err == nil
}
