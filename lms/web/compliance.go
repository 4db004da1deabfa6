package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/store"
)

// enrolmentView is one enrolment as a dashboard row.
type enrolmentView struct {
	store.EnrolmentRow
	Status    compliance.Status
	Compliant bool
}

func (s *Server) enrolmentViews(rows []store.EnrolmentRow) []enrolmentView {
	now := s.store.Now()
	out := make([]enrolmentView, len(rows))
	for i, r := range rows {
		out[i] = enrolmentView{EnrolmentRow: r, Status: compliance.StatusOf(r, now), Compliant: compliance.Compliant(r, now)}
	}
	return out
}

// date formats a time in the organisation's zone, for templates.
func (s *Server) date(t any) string {
	var tt time.Time
	switch v := t.(type) {
	case time.Time:
		tt = v
	case *time.Time:
		if v == nil {
			return ""
		}
		tt = *v
	default:
		return ""
	}
	loc := s.location()
	if loc == nil {
		loc = time.UTC
	}
	return tt.In(loc).Format("2 Jan 2006")
}

type homeView struct {
	Enrolments  []enrolmentView
	Other       []store.Course
	Completions []store.Completion
	Cards       map[uint]cardView // by enrolment: result, attempts left, certificate (learner.go)
}

// home is the learner's dashboard: assigned courses with their status and due
// dates, certificates, and the other courses they may open.
func (s *Server) home(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	if err := s.comp.Reconcile(ctx, u.ID); err != nil {
		return err
	}
	rows, err := s.store.Enrolments(ctx, store.EnrolmentFilter{UserID: u.ID})
	if err != nil {
		return err
	}
	// An archived course is out of use: its enrolments no longer ask
	// anything of the learner (its certificates stay below).
	rows = inUse(rows)
	v := homeView{Enrolments: s.enrolmentViews(rows)}
	// Due first, then the rest by title.
	sort.SliceStable(v.Enrolments, func(i, j int) bool { return statusOrder(v.Enrolments[i].Status) < statusOrder(v.Enrolments[j].Status) })
	if v.Other, err = s.store.LearnerCourses(ctx, u.ID); err != nil {
		return err
	}
	if v.Completions, err = s.store.Completions(ctx, u.ID); err != nil {
		return err
	}
	if v.Cards, err = s.cards(ctx, u.ID, v.Enrolments, v.Completions); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "home", "My courses", v)
}

// inUse drops the enrolments of archived courses: the dashboards count
// what is asked of learners now (the reports keep every record).
func inUse(rows []store.EnrolmentRow) []store.EnrolmentRow {
	return slices.DeleteFunc(rows, func(r store.EnrolmentRow) bool { return r.CourseStatus == store.CourseArchived })
}

func statusOrder(st compliance.Status) int {
	switch st {
	case compliance.Overdue:
		return 0
	case compliance.Expired:
		return 1
	case compliance.InProgress:
		return 2
	case compliance.ToDo:
		return 3
	}
	return 4
}

// groupCounts is a row of the admin dashboard.
type groupCounts struct {
	Name   string
	Link   string
	Counts compliance.Counts
}

type dashboardView struct {
	Courses []groupCounts
	Groups  []groupCounts
	Act     []enrolmentView // overdue and expired, to act on
}

// adminDashboard shows, per course and per group, how many learners are
// compliant, in progress, to do, overdue and expired, and who needs action.
func (s *Server) adminDashboard(c echo.Context) error {
	ctx := c.Request().Context()
	if err := s.comp.Reconcile(ctx, 0); err != nil {
		return err
	}
	rows, err := s.store.Enrolments(ctx, store.EnrolmentFilter{ActiveOnly: true})
	if err != nil {
		return err
	}
	rows = inUse(rows)
	now := s.store.Now()
	var v dashboardView
	for _, ev := range s.enrolmentViews(rows) {
		if !ev.Compliant && (ev.Status == compliance.Overdue || ev.Status == compliance.Expired) {
			v.Act = append(v.Act, ev)
		}
	}
	if v.Courses, v.Groups, err = s.statusCounts(ctx, rows, now); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_dashboard", "Dashboard", v)
}

// statusCounts counts active learners' enrolments per course (from rows)
// and per group, for the dashboard and the charts.
func (s *Server) statusCounts(ctx context.Context, rows []store.EnrolmentRow, now time.Time) (courses, groups []groupCounts, err error) {
	byCourse := map[uint]int{}
	for _, r := range rows {
		i, ok := byCourse[r.CourseID]
		if !ok {
			i = len(courses)
			byCourse[r.CourseID] = i
			courses = append(courses, groupCounts{Name: r.CourseTitle, Link: fmt.Sprintf("/admin/courses/%d/enrolments", r.CourseID)})
		}
		courses[i].Counts.Add(r, now)
	}
	sort.Slice(courses, func(i, j int) bool { return courses[i].Name < courses[j].Name })
	gs, err := s.store.Groups(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, g := range gs {
		grows, err := s.store.Enrolments(ctx, store.EnrolmentFilter{GroupID: g.ID, ActiveOnly: true})
		if err != nil {
			return nil, nil, err
		}
		gc := groupCounts{Name: g.Name, Link: fmt.Sprintf("/admin/groups/%d", g.ID)}
		for _, r := range inUse(grows) {
			gc.Counts.Add(r, now)
		}
		groups = append(groups, gc)
	}
	return courses, groups, nil
}

type enrolmentsView struct {
	Course     *store.Course
	Enrolments []enrolmentView
	Groups     []store.Group
	Counts     compliance.Counts
	Sentence   string
	Error      string
	Notice     string
	Form       enrolForm
}

type enrolForm struct {
	Emails, Group, Due, DueDays string
	Invite                      bool // email an invitation to those who never signed in
}

func (s *Server) courseParam(c echo.Context) (*store.Course, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such course.")
	}
	return s.store.CourseByID(c.Request().Context(), uint(id))
}

// courseEnrolments shows who is enrolled in a course and how they stand, with
// the forms to enrol more and to set the course's recertification period.
func (s *Server) courseEnrolments(c echo.Context) error {
	return s.renderEnrolments(c, http.StatusOK, enrolForm{}, c.QueryParam("notice"), "")
}

func (s *Server) renderEnrolments(c echo.Context, status int, form enrolForm, notice, formErr string) error {
	ctx := c.Request().Context()
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	if err := s.comp.Reconcile(ctx, 0); err != nil {
		return err
	}
	rows, err := s.store.Enrolments(ctx, store.EnrolmentFilter{CourseID: co.ID})
	if err != nil {
		return err
	}
	groups, err := s.store.Groups(ctx)
	if err != nil {
		return err
	}
	v := enrolmentsView{Course: co, Enrolments: s.enrolmentViews(rows), Groups: groups, Form: form, Notice: notice, Error: formErr}
	if v.Sentence, err = s.sentenceOf(c, co, store.RulesOf(co)); err != nil {
		return err
	}
	now := s.store.Now()
	for _, r := range rows {
		if r.UserActive {
			v.Counts.Add(r, now)
		}
	}
	return s.render(c, status, "admin_enrolments", co.Title+": enrolments", v)
}

// maxEnrolEmails bounds one enrolment form.
const maxEnrolEmails = 1000

// enrol enrols the users listed by email, or a group, in a course. All
// addresses are checked before anything is written.
func (s *Server) enrol(c echo.Context) error {
	ctx := c.Request().Context()
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	form := enrolForm{Emails: c.FormValue("emails"), Group: c.FormValue("group"), Due: c.FormValue("due"), DueDays: c.FormValue("due_days"),
		Invite: c.FormValue("invite") == "1"}
	fail := func(msg string) error { return s.renderEnrolments(c, http.StatusUnprocessableEntity, form, "", msg) }
	if co.Status != store.CoursePublished {
		return fail(notEnrollable(co))
	}
	rule, err := s.dueRule(form.Due, form.DueDays)
	if err != nil {
		return fail(err.Error())
	}
	emails := strings.FieldsFunc(form.Emails, func(r rune) bool { return r == '\n' || r == ',' || r == ';' || r == ' ' || r == '\r' || r == '\t' })
	switch {
	case len(emails) == 0 && form.Group == "":
		return fail("Enter email addresses or choose a group.")
	case len(emails) > maxEnrolEmails:
		return fail(fmt.Sprintf("Enrol at most %d addresses at once.", maxEnrolEmails))
	}
	var users []*store.User
	var unknown, unknownEmails []string
	for _, e := range emails {
		u, err := s.store.UserByEmail(ctx, e)
		switch {
		case errors.Is(err, store.ErrNotFound):
			unknown, unknownEmails = append(unknown, e), append(unknownEmails, e)
		case err != nil:
			return err
		case !u.Active:
			unknown, unknownEmails = append(unknown, e+" (deactivated)"), append(unknownEmails, e)
		default:
			users = append(users, u)
		}
	}
	// Unknown addresses do not hold up the known ones: those are enrolled,
	// the others listed (and left in the form) to correct.
	if len(unknown) > 0 && len(users) == 0 && form.Group == "" {
		return fail("Nobody was enrolled. No active user has these addresses: " + strings.Join(unknown, ", ") + ".")
	}
	var gid uint64
	if form.Group != "" {
		if gid, err = strconv.ParseUint(form.Group, 10, 32); err != nil {
			return fail("Choose a group from the list.")
		}
		if _, err := s.store.GroupByID(ctx, uint(gid)); err != nil {
			return fail("That group does not exist.")
		}
	}
	created := 0
	if form.Group != "" {
		n, err := s.store.EnrolGroup(ctx, uint(gid), co.ID, rule, s.comp.DueFor)
		if err != nil {
			return err
		}
		created += n
	}
	for _, u := range users {
		_, isNew, err := s.store.Enrol(ctx, u.ID, co.ID, s.comp.DueFor(s.store.Now(), rule))
		if err != nil {
			return err
		}
		if isNew {
			created++
		}
	}
	done := fmt.Sprintf("%d new %s.", created, map[bool]string{true: "enrolment", false: "enrolments"}[created == 1])
	if form.Invite {
		n, err := s.inviteEnrolled(c, store.ViaWeb, co, uint(gid), users)
		if err != nil {
			return err
		}
		done += invitedSentence(n)
	}
	if len(unknown) > 0 {
		left := enrolForm{Emails: strings.Join(unknownEmails, "\n"), Due: form.Due, DueDays: form.DueDays, Invite: form.Invite}
		return s.renderEnrolments(c, http.StatusOK, left, done, fmt.Sprintf("Not enrolled: no active user has %s: %s. Add %s on the Users page or correct the %s below, then enrol again.",
			map[bool]string{true: "this address", false: "these addresses"}[len(unknown) == 1], strings.Join(unknown, ", "),
			"them", map[bool]string{true: "address", false: "addresses"}[len(unknown) == 1]))
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/courses/%d/enrolments?notice=%s", co.ID, url.QueryEscape(done)))
}

// dueRule reads a due date or a number of days from a form.
func (s *Server) dueRule(date, days string) (store.DueRule, error) {
	var r store.DueRule
	date, days = strings.TrimSpace(date), strings.TrimSpace(days)
	switch {
	case date != "" && days != "":
		return r, errors.New("Give a due date or a number of days, not both.")
	case date != "":
		t, err := s.comp.ParseDate(date)
		if err != nil {
			return r, fmt.Errorf("The due date %q is not a date.", date)
		}
		if !t.After(s.store.Now()) {
			return r, fmt.Errorf("The due date %s is in the past.", date)
		}
		r.At = &t
	case days != "":
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 3650 {
			return r, errors.New("The number of days must be between 1 and 3650.")
		}
		r.Days = &n
	}
	return r, nil
}
