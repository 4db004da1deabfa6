package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/store"
)

type apiEnrolment struct {
	ID          uint    `json:"id"`
	Course      uint    `json:"course"`
	CourseTitle string  `json:"courseTitle"`
	User        uint    `json:"user"`
	Email       string  `json:"email"`
	Name        string  `json:"name"`
	Group       *uint   `json:"group"` // set when the enrolment came from a group
	Cycle       int     `json:"cycle"`
	EnrolledAt  string  `json:"enrolledAt"`
	DueAt       *string `json:"dueAt"`
}

// apiResult is an enrolment with where the learner stands.
type apiResult struct {
	apiEnrolment
	Status      compliance.Status `json:"status"`    // to do, in progress, overdue, completed, expired
	Compliant   bool              `json:"compliant"` // holds a valid completion now
	Attempt     *string           `json:"attempt"`   // completion status of the latest attempt of this cycle
	LastAccess  *string           `json:"lastAccessAt"`
	CompletedAt *string           `json:"completedAt"` // of the latest recorded completion
	Passed      *bool             `json:"passed"`
	Score       *float64          `json:"score"` // scaled, -1 to 1
	ExpiresAt   *string           `json:"expiresAt"`
	Certificate *string           `json:"certificate"` // verification code
}

func toAPIEnrolment(r store.EnrolmentRow) apiEnrolment {
	return apiEnrolment{ID: r.ID, Course: r.CourseID, CourseTitle: r.CourseTitle, User: r.UserID, Email: r.UserEmail,
		Name: r.UserName, Group: r.GroupID, Cycle: r.Cycle, EnrolledAt: apiTimeOf(r.EnrolledAt), DueAt: apiTime(r.DueAt)}
}

// apiEnrolmentFilter reads ?course=, ?user= and ?group=; naming something
// that does not exist is an error rather than an empty list.
func (s *Server) apiEnrolmentFilter(c echo.Context) (store.EnrolmentFilter, error) {
	ctx := c.Request().Context()
	var f store.EnrolmentFilter
	for _, p := range []struct {
		name string
		dst  *uint
		find func(uint) error
	}{
		{"course", &f.CourseID, func(id uint) error { _, err := s.store.CourseByID(ctx, id); return err }},
		{"user", &f.UserID, func(id uint) error { _, err := s.store.UserByID(ctx, id); return err }},
		{"group", &f.GroupID, func(id uint) error { _, err := s.store.GroupByID(ctx, id); return err }},
	} {
		v := c.QueryParam(p.name)
		if v == "" {
			continue
		}
		id, err := strconv.ParseUint(v, 10, 32)
		if err != nil || id == 0 {
			return f, apiInvalid("%s must be the id of a %s.", p.name, p.name)
		}
		if err := p.find(uint(id)); errors.Is(err, store.ErrNotFound) {
			return f, apiInvalid("There is no %s with id %d.", p.name, id)
		} else if err != nil {
			return f, err
		}
		*p.dst = uint(id)
	}
	return f, nil
}

func (s *Server) apiEnrolmentRows(c echo.Context) ([]store.EnrolmentRow, page, error) {
	p, err := apiPage(c)
	if err != nil {
		return nil, p, err
	}
	f, err := s.apiEnrolmentFilter(c)
	if err != nil {
		return nil, p, err
	}
	ctx := c.Request().Context()
	// Completions not yet recorded would make the answer stale.
	if err := s.comp.Reconcile(ctx, f.UserID); err != nil {
		return nil, p, err
	}
	rows, err := s.store.Enrolments(ctx, f)
	return rows, p, err
}

func (s *Server) apiEnrolments(c echo.Context) error {
	rows, p, err := s.apiEnrolmentRows(c)
	if err != nil {
		return err
	}
	out := make([]apiEnrolment, 0, p.Limit)
	for _, r := range slicePage(rows, p) {
		out = append(out, toAPIEnrolment(r))
	}
	return listPage(c, p, out, len(rows))
}

// apiResults lists enrolments with status, completion, score, due date and
// expiry, as the compliance dashboards compute them.
func (s *Server) apiResults(c echo.Context) error {
	rows, p, err := s.apiEnrolmentRows(c)
	if err != nil {
		return err
	}
	pageRows := slicePage(rows, p)
	// The latest completion of each enrolment on the page.
	latest := map[uint]store.Completion{}
	users := map[uint]bool{}
	for _, r := range pageRows {
		users[r.UserID] = true
	}
	for uid := range users {
		cs, err := s.store.Completions(c.Request().Context(), uid)
		if err != nil {
			return err
		}
		for _, cp := range cs {
			if old, ok := latest[cp.EnrolmentID]; !ok || cp.Cycle > old.Cycle {
				latest[cp.EnrolmentID] = cp
			}
		}
	}
	now := s.store.Now()
	out := make([]apiResult, 0, len(pageRows))
	for _, r := range pageRows {
		res := apiResult{apiEnrolment: toAPIEnrolment(r), Status: compliance.StatusOf(r, now), Compliant: compliance.Compliant(r, now),
			Attempt: r.AttemptCompletion, LastAccess: apiTime(r.AttemptAccess), ExpiresAt: apiTime(r.ExpiresAt)}
		if cp, ok := latest[r.ID]; ok {
			res.CompletedAt, res.Score, res.Certificate = apiTime(&cp.CompletedAt), cp.ScoreScaled, &cp.Code
			passed := cp.Passed
			res.Passed = &passed
		}
		out = append(out, res)
	}
	return listPage(c, p, out, len(rows))
}

type apiNewEnrolment struct {
	Course  uint   `json:"course"`
	Email   string `json:"email"`
	Group   uint   `json:"group"`
	Due     string `json:"due"`     // YYYY-MM-DD, end of that day in the organisation's time zone
	DueDays *int   `json:"dueDays"` // or N days after enrolment
	Invite  bool   `json:"invite"`  // email an invitation to those enrolled who never signed in
}

// apiEnrol enrols one user (by email) or a group in a course, with the
// checks of the enrolment form.
func (s *Server) apiEnrol(c echo.Context) error {
	ctx := c.Request().Context()
	var in apiNewEnrolment
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Course == 0 {
		return apiInvalid("Name the course by its id in \"course\".")
	}
	co, err := s.store.CourseByID(ctx, in.Course)
	if errors.Is(err, store.ErrNotFound) {
		return apiInvalid("There is no course with id %d.", in.Course)
	} else if err != nil {
		return err
	}
	if co.Status != store.CoursePublished {
		return apiInvalid("%s", notEnrollable(co))
	}
	days := ""
	if in.DueDays != nil {
		days = strconv.Itoa(*in.DueDays)
	}
	rule, err := s.dueRule(in.Due, days)
	if err != nil {
		return apiInvalid("%s", err.Error())
	}
	email := strings.TrimSpace(in.Email)
	switch {
	case email == "" && in.Group == 0:
		return apiInvalid("Give the \"email\" of a user or the id of a \"group\" to enrol.")
	case email != "" && in.Group != 0:
		return apiInvalid("Enrol a user (\"email\") or a group (\"group\"), not both at once.")
	case in.Group != 0:
		if _, err := s.store.GroupByID(ctx, in.Group); errors.Is(err, store.ErrNotFound) {
			return apiInvalid("There is no group with id %d.", in.Group)
		} else if err != nil {
			return err
		}
		n, err := s.store.EnrolGroup(ctx, in.Group, co.ID, rule, s.comp.DueFor)
		if err != nil {
			return err
		}
		out := map[string]any{"course": co.ID, "group": in.Group, "created": n}
		if in.Invite {
			invited, err := s.inviteEnrolled(c, store.ViaAPI, co, in.Group, nil)
			if err != nil {
				return err
			}
			out["invited"] = invited
		}
		return c.JSON(http.StatusOK, out)
	}
	u, err := s.apiUserRef(c, 0, email)
	if err != nil {
		return err
	}
	_, created, err := s.store.Enrol(ctx, u.ID, co.ID, s.comp.DueFor(s.store.Now(), rule))
	if err != nil {
		return err
	}
	if in.Invite && u.Active {
		if _, err := s.inviteEnrolled(c, store.ViaAPI, co, 0, []*store.User{u}); err != nil {
			return err
		}
	}
	rows, err := s.store.Enrolments(ctx, store.EnrolmentFilter{UserID: u.ID, CourseID: co.ID})
	if err != nil {
		return err
	}
	if len(rows) != 1 {
		return errors.New("web: enrolment vanished after enrolling")
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, toAPIEnrolment(rows[0]))
}
