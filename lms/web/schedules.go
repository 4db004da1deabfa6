package web

// Scheduled report emails: an admin schedules any course's or group's
// report; a manager those of their groups (a course's report then holds
// members of their groups only). The notifier sends them (notify/reports.go).

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/notify"
	"github.com/lectern/lectern/lms/store"
)

type scheduleOption struct {
	Value, Label string
}

type schedulesView struct {
	Base      string // "/admin/schedules" or "/manage/schedules"
	Schedules []store.ScheduleRow
	Subjects  []scheduleOption
	Form      scheduleForm
	Max       int
	Error     string
	Notice    string
}

type scheduleForm struct {
	Subject, Format, Period, Recipients string
}

func (s *Server) reportMaxRecipients() int {
	if s.opt.ReportMaxRecipients > 0 {
		return s.opt.ReportMaxRecipients
	}
	return 20
}

// asManager: the request came in on the managers' pages, where only the
// manager's own schedules and groups exist, whatever else the user is.
func asManager(c echo.Context) bool { return strings.HasPrefix(c.Path(), "/manage/") }

func scheduleBase(c echo.Context) string {
	if asManager(c) {
		return "/manage/schedules"
	}
	return "/admin/schedules"
}

// scheduleSubjects lists what the user may schedule: "course:ID" and
// "group:ID" values.
func (s *Server) scheduleSubjects(c echo.Context) ([]scheduleOption, error) {
	ctx := c.Request().Context()
	var out []scheduleOption
	var groups []store.Group
	var err error
	if asManager(c) {
		uid := currentUser(c).ID
		if groups, err = s.store.ManagedGroups(ctx, uid); err != nil {
			return nil, err
		}
		ids, err := s.store.ManagedCourseIDs(ctx, uid)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			co, err := s.store.CourseByID(ctx, id)
			if err != nil {
				return nil, err
			}
			out = append(out, scheduleOption{fmt.Sprintf("course:%d", co.ID), "Course: " + co.Title})
		}
	} else {
		cs, err := s.store.Courses(ctx)
		if err != nil {
			return nil, err
		}
		for _, co := range cs {
			out = append(out, scheduleOption{fmt.Sprintf("course:%d", co.ID), "Course: " + co.Title})
		}
		if groups, err = s.store.Groups(ctx); err != nil {
			return nil, err
		}
	}
	for _, g := range groups {
		out = append(out, scheduleOption{fmt.Sprintf("group:%d", g.ID), "Group: " + g.Name})
	}
	return out, nil
}

func (s *Server) schedules(c echo.Context) error {
	return s.renderSchedules(c, http.StatusOK, scheduleForm{Format: "csv", Period: store.PeriodWeekly}, "")
}

func (s *Server) renderSchedules(c echo.Context, status int, form scheduleForm, formErr string) error {
	ctx := c.Request().Context()
	var owner uint
	if asManager(c) {
		owner = currentUser(c).ID
	}
	rows, err := s.store.Schedules(ctx, owner)
	if err != nil {
		return err
	}
	subjects, err := s.scheduleSubjects(c)
	if err != nil {
		return err
	}
	v := schedulesView{Base: scheduleBase(c), Schedules: rows, Subjects: subjects, Form: form, Max: s.reportMaxRecipients(),
		Error: formErr, Notice: c.QueryParam("notice")}
	return s.render(c, status, "schedules", "Scheduled reports", v)
}

// parseRecipients splits a list of addresses on commas, semicolons and
// line breaks, lower-cases them and drops repeats.
func parseRecipients(text string, max int) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ';' || r == '\n' || r == '\r' || r == ' ' || r == '\t' }) {
		a := strings.ToLower(strings.TrimSpace(f))
		if a == "" || seen[a] {
			continue
		}
		if !account.ValidEmail(a) {
			return nil, fmt.Errorf("%q is not an email address", f)
		}
		seen[a] = true
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, errors.New("give at least one email address")
	}
	if len(out) > max {
		return nil, fmt.Errorf("a scheduled report goes to at most %d addresses; %d were given", max, len(out))
	}
	return out, nil
}

// createSchedule validates and stores a schedule. Its first report goes at
// the start of the next week or month.
func (s *Server) createSchedule(c echo.Context) error {
	ctx := c.Request().Context()
	form := scheduleForm{Subject: c.FormValue("subject"), Format: c.FormValue("format"), Period: c.FormValue("period"), Recipients: c.FormValue("recipients")}
	bad := func(msg string) error { return s.renderSchedules(c, http.StatusUnprocessableEntity, form, msg) }
	allowed, err := s.scheduleSubjects(c)
	if err != nil {
		return err
	}
	ok := false
	for _, o := range allowed {
		ok = ok || o.Value == form.Subject
	}
	kind, idText, _ := strings.Cut(form.Subject, ":")
	id64, err := strconv.ParseUint(idText, 10, 32)
	if (kind != "course" && kind != "group") || err != nil || id64 == 0 {
		return bad("Choose a course or a group.")
	}
	if !ok {
		if asManager(c) {
			return errNotYourTeam // another group, or a course none of theirs takes
		}
		return bad("There is no such course or group.")
	}
	r := &store.ReportSchedule{Format: form.Format, Period: form.Period, OwnerID: currentUser(c).ID}
	id := uint(id64)
	if kind == "course" {
		r.CourseID = &id
	} else {
		r.GroupID = &id
	}
	if r.Format != "csv" && r.Format != "xlsx" {
		return bad("Choose CSV or XLSX.")
	}
	if r.Period != store.PeriodWeekly && r.Period != store.PeriodMonthly {
		return bad("Choose weekly or monthly.")
	}
	if r.Recipients, err = parseRecipients(form.Recipients, s.reportMaxRecipients()); err != nil {
		return bad("Recipients: " + err.Error() + ".")
	}
	r.LastPeriod = notify.Period(r.Period, s.store.Now(), s.location())
	if err := s.store.CreateSchedule(ctx, r); err != nil {
		return err
	}
	msg := fmt.Sprintf("Scheduled: the report goes %s to %d %s, first at the start of the next %s.", r.Period,
		len(r.Recipients), plural(len(r.Recipients), "address", "addresses"), map[string]string{store.PeriodWeekly: "week", store.PeriodMonthly: "month"}[r.Period])
	return c.Redirect(http.StatusSeeOther, scheduleBase(c)+"?notice="+url.QueryEscape(msg))
}

// deleteSchedule stops a schedule, after asking; a manager only their own.
func (s *Server) deleteSchedule(c echo.Context) error {
	ctx := c.Request().Context()
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such schedule.")
	}
	r, err := s.store.ScheduleByID(ctx, uint(id))
	if err != nil {
		return err
	}
	var owner uint
	if asManager(c) {
		owner = currentUser(c).ID
		if r.OwnerID != owner {
			return echo.NewHTTPError(http.StatusForbidden, "This schedule is not yours.")
		}
	}
	if !confirmed(c) {
		return s.askConfirm(c, confirmView{Heading: "Stop the " + r.Period + " report of the " + r.Subject() + "?",
			Message: "Its recipients get no more emails of it. Reports already sent stay sent.",
			Button:  "Stop the report", Cancel: scheduleBase(c)})
	}
	if err := s.store.DeleteSchedule(ctx, r.ID, owner); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, scheduleBase(c)+"?notice="+url.QueryEscape("The scheduled report was stopped."))
}

// maxDeliveryHistory bounds the deliveries the history page lists.
const maxDeliveryHistory = 200

type deliveryView struct {
	store.DeliveryRow
	Outcome string // "sent", "retrying", "failed", "waiting"
}

type deliveriesView struct {
	Base       string
	Deliveries []deliveryView
	Max        int
	Admin      bool // shows whose schedule each delivery is of
}

// scheduleDeliveries lists the deliveries of scheduled reports: when, to
// whom, which report, and whether it went or why not. A manager sees those
// of their own schedules.
func (s *Server) scheduleDeliveries(c echo.Context) error {
	var owner uint
	if asManager(c) {
		owner = currentUser(c).ID
	}
	rows, err := s.store.DeliveryHistory(c.Request().Context(), owner, maxDeliveryHistory)
	if err != nil {
		return err
	}
	maxAttempts := notify.DefaultMaxAttempts
	if s.opt.Mail != nil && s.opt.Mail.MaxAttempts > 0 {
		maxAttempts = s.opt.Mail.MaxAttempts
	}
	v := deliveriesView{Base: scheduleBase(c), Max: maxDeliveryHistory, Admin: owner == 0}
	for _, r := range rows {
		d := deliveryView{DeliveryRow: r, Outcome: "waiting"}
		switch {
		case r.SentAt != nil:
			d.Outcome = "sent"
		case r.LastError != "" && r.Attempts >= maxAttempts:
			d.Outcome = "failed"
		case r.LastError != "":
			d.Outcome = "retrying"
		}
		v.Deliveries = append(v.Deliveries, d)
	}
	return s.render(c, http.StatusOK, "schedule_deliveries", "Deliveries of scheduled reports", v)
}
