package web

// Managers: a user who manages groups sees and exports the compliance of
// their members, and may remind the overdue ones. Every handler here checks
// that what is asked for is within the manager's groups; admin pages stay
// closed to them (requireAdmin).

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/report"
	"github.com/lectern/lectern/lms/store"
)

// requireManager admits users who manage at least one group. Like admin
// pages, manager pages may not be framed.
func (s *Server) requireManager(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := currentUser(c)
		if u == nil {
			return echo.NewHTTPError(http.StatusForbidden, "This page is for managers of groups.")
		}
		ok, err := s.store.IsManager(c.Request().Context(), u.ID)
		if err != nil {
			return err
		}
		if !ok {
			return echo.NewHTTPError(http.StatusForbidden, "This page is for managers of groups.")
		}
		h := c.Response().Header()
		h.Set("Content-Security-Policy", pageCSP("", "'none'"))
		h.Set("X-Frame-Options", "DENY")
		return next(c)
	}
}

var errNotYourTeam = echo.NewHTTPError(http.StatusForbidden, "This is not one of the groups you manage.")

type teamCourse struct {
	CourseID                          uint
	Title                             string
	Total, Completed, Overdue, Others int
}

type teamView struct {
	Group    store.Group
	Members  int
	Courses  []teamCourse
	Overdue  []enrolmentView
	Learners []store.User
}

type manageView struct {
	Teams  []teamView
	Notice string
}

// manageDashboard shows each managed group: its members' courses with how
// many completed and are overdue, and the overdue learners.
func (s *Server) manageDashboard(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	if err := s.comp.Reconcile(ctx, 0); err != nil {
		return err
	}
	groups, err := s.store.ManagedGroups(ctx, u.ID)
	if err != nil {
		return err
	}
	v := manageView{Notice: c.QueryParam("notice")}
	for _, g := range groups {
		members, err := s.store.GroupMembers(ctx, g.ID)
		if err != nil {
			return err
		}
		rows, err := s.store.Enrolments(ctx, store.EnrolmentFilter{GroupID: g.ID})
		if err != nil {
			return err
		}
		t := teamView{Group: g, Members: len(members), Learners: members}
		byCourse := map[uint]int{}
		for _, e := range s.enrolmentViews(rows) {
			i, ok := byCourse[e.CourseID]
			if !ok {
				i = len(t.Courses)
				byCourse[e.CourseID] = i
				t.Courses = append(t.Courses, teamCourse{CourseID: e.CourseID, Title: e.CourseTitle})
			}
			tc := &t.Courses[i]
			tc.Total++
			switch {
			case e.Compliant:
				tc.Completed++
			case e.Status == "overdue":
				tc.Overdue++
				t.Overdue = append(t.Overdue, e)
			default:
				tc.Others++
			}
		}
		v.Teams = append(v.Teams, t)
	}
	return s.render(c, http.StatusOK, "manage_dashboard", "Your teams", v)
}

// managedGroup reads the :id group and checks the manager manages it.
func (s *Server) managedGroup(c echo.Context) (*store.Group, error) {
	g, err := s.groupParam(c)
	if err != nil {
		return nil, err
	}
	ok, err := s.store.Manages(c.Request().Context(), currentUser(c).ID, g.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNotYourTeam
	}
	return g, nil
}

// manageRemind queues a reminder for each overdue member of a managed group,
// at most one per enrolment cycle.
func (s *Server) manageRemind(c echo.Context) error {
	ctx := c.Request().Context()
	g, err := s.managedGroup(c)
	if err != nil {
		return err
	}
	if !confirmed(c) {
		return s.askConfirm(c, confirmView{Heading: "Remind the overdue members of " + g.Name + "?",
			Message: "Each member with an overdue course gets one email about it. A learner you already reminded about a course is not reminded again until the course is due again.",
			Button:  "Send the reminders", Cancel: "/manage"})
	}
	rs, err := s.store.OverdueInGroup(ctx, g.ID)
	if err != nil {
		return err
	}
	manager := currentUser(c)
	ms := make([]*store.Message, len(rs))
	for i, r := range rs {
		subject, body := s.opt.Mail.ComposeManagerReminder(r, manager.Name)
		enrolment := r.EnrolmentID
		ms[i] = &store.Message{UserID: r.UserID, EnrolmentID: &enrolment, Cycle: r.Cycle, To: r.UserEmail, Subject: subject, Body: body}
	}
	n, err := s.store.QueueManagerReminders(ctx, g.ID, ms)
	if err != nil {
		return err
	}
	s.opt.Mail.Wake()
	msg := fmt.Sprintf("%d %s sent to overdue members of %s.", n, plural(n, "reminder", "reminders"), g.Name)
	if skipped := len(rs) - n; skipped > 0 {
		msg += fmt.Sprintf(" %d had already been reminded.", skipped)
	}
	return c.Redirect(http.StatusSeeOther, "/manage?notice="+url.QueryEscape(msg))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// managedCourse reads the :id course and checks that members of the
// manager's groups are enrolled in it.
func (s *Server) managedCourse(c echo.Context) (*store.Course, error) {
	co, err := s.courseParam(c)
	if err != nil {
		return nil, err
	}
	ids, err := s.store.ManagedCourseIDs(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if id == co.ID {
			return co, nil
		}
	}
	return nil, echo.NewHTTPError(http.StatusForbidden, "Nobody in the groups you manage is enrolled in this course.")
}

// managerQuery is the report filter of a manager: members of their groups
// only, and a group filter only for one of theirs.
func (s *Server) managerQuery(c echo.Context) (reportForm, report.Query, error) {
	form, q, err := reportQuery(c)
	if err != nil {
		return form, q, err
	}
	q.Manager = currentUser(c).ID
	if q.Group != 0 {
		ok, err := s.store.Manages(c.Request().Context(), q.Manager, q.Group)
		if err != nil {
			return form, q, err
		}
		if !ok {
			return form, q, errNotYourTeam
		}
	}
	return form, q, nil
}

type manageReportView struct {
	Course      *store.Course
	Groups      []store.Group
	Form        reportForm
	Statuses    []string
	Rows        []reportRowView
	Next        string
	CSV, XLSX   string
	Base        string
	FirstPage   string
	FilterGroup string
}

// manageReport is a course's report restricted to the manager's groups.
func (s *Server) manageReport(c echo.Context) error {
	ctx := c.Request().Context()
	co, err := s.managedCourse(c)
	if err != nil {
		return err
	}
	form, q, err := s.managerQuery(c)
	if err != nil {
		return err
	}
	if err := s.comp.Reconcile(ctx, 0); err != nil {
		return err
	}
	size, _ := strconv.Atoi(c.QueryParam("size"))
	page, err := s.reports().Page(ctx, co.ID, q, c.QueryParam("after"), size)
	if err != nil {
		return badFilter(err)
	}
	groups, err := s.store.ManagedGroups(ctx, currentUser(c).ID)
	if err != nil {
		return err
	}
	base := fmt.Sprintf("/manage/courses/%d/report", co.ID)
	vals := form.values()
	v := manageReportView{Course: co, Groups: groups, Form: form, Base: base,
		CSV: base + ".csv?" + vals.Encode(), XLSX: base + ".xlsx?" + vals.Encode()}
	for _, st := range report.Statuses {
		v.Statuses = append(v.Statuses, string(st))
	}
	if c.QueryParam("after") != "" {
		v.FirstPage = base + "?" + vals.Encode()
	}
	if page.Next != "" {
		nv := form.values()
		nv.Set("after", page.Next)
		v.Next = base + "?" + nv.Encode()
	}
	for _, r := range page.Rows {
		v.Rows = append(v.Rows, reportRowView{Row: r, Result: resultText(r.Completion, r.Success), Score: scoreText(r.ScoreScaled), Time: durationText(r.TotalSeconds)})
	}
	return s.render(c, http.StatusOK, "manage_report", co.Title+": your teams", v)
}

// manageReportFile downloads a course's report of the manager's groups.
func (s *Server) manageReportFile(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		co, err := s.managedCourse(c)
		if err != nil {
			return err
		}
		_, q, err := s.managerQuery(c)
		if err != nil {
			return err
		}
		svc := s.reports()
		if _, err := svc.Filter(co.ID, q); err != nil {
			return badFilter(err)
		}
		if err := s.comp.Reconcile(ctx, 0); err != nil {
			return err
		}
		s.download(c, format, report.FileName(co.Title, "report", s.localNow(), format))
		if err := svc.Export(ctx, c.Response(), format, co.ID, q); err != nil {
			s.log.Error("manager report export", "course", co.ID, "format", format, "err", err)
		}
		return nil
	}
}

// managedLearner reads the :id user and checks they are in one of the
// manager's groups.
func (s *Server) managedLearner(c echo.Context) (*store.User, error) {
	u, err := s.userParam(c)
	if err != nil {
		return nil, err
	}
	ok, err := s.store.ManagesLearner(c.Request().Context(), currentUser(c).ID, u.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, echo.NewHTTPError(http.StatusForbidden, "This learner is not in a group you manage.")
	}
	return u, nil
}

// manageLearner is a team member's transcript.
func (s *Server) manageLearner(c echo.Context) error {
	u, v, err := s.transcriptOf(c, s.managedLearner, "/manage/users")
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "manage_learner", u.Name, v)
}

// manageLearnerFile downloads a team member's transcript.
func (s *Server) manageLearnerFile(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		u, err := s.managedLearner(c)
		if err != nil {
			return err
		}
		if err := s.comp.Reconcile(ctx, u.ID); err != nil {
			return err
		}
		s.download(c, format, report.FileName(u.Name, "transcript", s.localNow(), format))
		if err := s.reports().ExportTranscript(ctx, c.Response(), format, u.ID); err != nil {
			s.log.Error("manager transcript export", "user", u.ID, "format", format, "err", err)
		}
		return nil
	}
}

// isManager tells the layout whether to show the managers' link.
func (s *Server) isManager(ctx context.Context, u *store.User) bool {
	if u == nil {
		return false
	}
	ok, err := s.store.IsManager(ctx, u.ID)
	return err == nil && ok
}
