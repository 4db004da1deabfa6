package lms

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/lectern/lectern/lms/store"
)

// DueInput is a due date as an admin gives it: a date (YYYY-MM-DD, in the
// organisation's time zone) or a number of days after enrolment, or neither.
type DueInput struct {
	Date string
	Days int // 0: not given
}

// Rule checks the input and turns it into a store rule. Dates in the past
// are refused: an enrolment must be achievable.
func (a *App) Rule(in DueInput) (store.DueRule, error) {
	var r store.DueRule
	switch {
	case in.Date != "" && in.Days != 0:
		return r, errors.New("give a due date or a number of days, not both")
	case in.Date != "":
		t, err := a.Compliance.ParseDate(in.Date)
		if err != nil {
			return r, err
		}
		if !t.After(a.Store.Now()) {
			return r, fmt.Errorf("the due date %s is in the past", strings.TrimSpace(in.Date))
		}
		r.At = &t
	case in.Days < 0:
		return r, fmt.Errorf("the number of days must be positive, not %d", in.Days)
	case in.Days > 0:
		d := in.Days
		r.Days = &d
	}
	return r, nil
}

// EnrolEmail enrols one user, named by email, in a course.
func (a *App) EnrolEmail(ctx context.Context, courseID uint, email string, in DueInput) (*store.Enrolment, bool, error) {
	r, err := a.Rule(in)
	if err != nil {
		return nil, false, err
	}
	if err := a.enrollable(ctx, courseID); err != nil {
		return nil, false, err
	}
	u, err := a.Store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, fmt.Errorf("no user with the email %s", store.NormalizeEmail(email))
	} else if err != nil {
		return nil, false, err
	}
	if !u.Active {
		return nil, false, fmt.Errorf("the user %s is deactivated", u.Email)
	}
	return a.Store.Enrol(ctx, u.ID, courseID, a.Compliance.DueFor(a.Store.Now(), r))
}

// EnrolGroupName enrols a group, named, in a course: its members now and
// anyone who joins later.
func (a *App) EnrolGroupName(ctx context.Context, courseID uint, group string, in DueInput) (int, error) {
	r, err := a.Rule(in)
	if err != nil {
		return 0, err
	}
	if err := a.enrollable(ctx, courseID); err != nil {
		return 0, err
	}
	g, err := a.Store.GroupByName(ctx, strings.TrimSpace(group))
	if errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("no group named %q", group)
	} else if err != nil {
		return 0, err
	}
	return a.Store.EnrolGroup(ctx, g.ID, courseID, r, a.Compliance.DueFor)
}

// enrollable checks that a course exists and is published.
func (a *App) enrollable(ctx context.Context, courseID uint) error {
	co, err := a.Store.CourseByID(ctx, courseID)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no course with id %d", courseID)
	} else if err != nil {
		return err
	}
	switch co.Status {
	case store.CoursePublished:
		return nil
	case store.CourseDraft:
		return fmt.Errorf("course %d is a draft: publish it first (lectern course publish %d)", courseID, courseID)
	}
	return fmt.Errorf("course %d is %s: nobody new can be enrolled", courseID, co.Status)
}

// AddGroup creates a group.
func (a *App) AddGroup(ctx context.Context, name string) (*store.Group, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return nil, errors.New("a group name has 1 to 200 characters")
	}
	g, err := a.Store.CreateGroup(ctx, name)
	if errors.Is(err, store.ErrConflict) {
		return nil, fmt.Errorf("a group named %q already exists", name)
	}
	return g, err
}
