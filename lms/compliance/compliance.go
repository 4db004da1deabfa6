// Package compliance is the lifecycle around the courses: enrolment with due
// dates, completion records and certificates, recertification, and the
// status every dashboard shows. Times are stored in UTC and due dates end at
// the end of the day in the organisation's time zone.
package compliance

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"github.com/lectern/lectern/lms/store"
)

// Status of an enrolment as the learner and the admin see it.
type Status string

const (
	ToDo       Status = "to do"
	InProgress Status = "in progress"
	Overdue    Status = "overdue"
	Completed  Status = "completed" // compliant: completed and not expired
	Expired    Status = "expired"
)

// Service runs the lifecycle.
type Service struct {
	Store            *store.Store
	Location         *time.Location // the organisation's time zone
	RecertLeadDays   int            // re-enrol this many days before a completion expires
	DueSoonDays      int            // "due soon" reminders go this many days before the due date
	ExpiryNoticeDays int            // "expiring" reminders go this many days before expiry
}

// DueFor resolves a due rule for an enrolment made at enrolled: an absolute
// date, or N days later, both ending at the end of that day locally.
func (s *Service) DueFor(enrolled time.Time, r store.DueRule) *time.Time {
	switch {
	case r.At != nil:
		t := r.At.UTC()
		return &t
	case r.Days != nil:
		local := enrolled.In(s.Location)
		day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, s.Location).AddDate(0, 0, *r.Days)
		t := endOfDay(day, s.Location)
		return &t
	}
	return nil
}

// ParseDate reads YYYY-MM-DD as the end of that day in the organisation's
// time zone, in UTC.
func (s *Service) ParseDate(v string) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(v), s.Location)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date like 2026-12-31", v)
	}
	return endOfDay(d, s.Location), nil
}

// endOfDay is the last second of the day d falls on, in loc, as UTC.
func endOfDay(d time.Time, loc *time.Location) time.Time {
	d = d.In(loc)
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, loc).UTC()
}

// StatusOf tells where an enrolment stands at now.
func StatusOf(e store.EnrolmentRow, now time.Time) Status {
	switch {
	case e.CompletedAt != nil && (e.ExpiresAt == nil || now.Before(*e.ExpiresAt)):
		return Completed
	case e.ExpiresAt != nil && !now.Before(*e.ExpiresAt):
		// A completion existed and ran out before this cycle was completed.
		return Expired
	case e.DueAt != nil && now.After(*e.DueAt):
		return Overdue
	case e.AttemptID != nil && e.AttemptCompletion != nil && *e.AttemptCompletion != "not attempted":
		return InProgress
	}
	return ToDo
}

// Compliant tells whether the learner holds a valid completion at now: the
// current cycle is completed, or (during a recertification cycle) the last
// completion has not expired yet.
func Compliant(e store.EnrolmentRow, now time.Time) bool {
	if e.ExpiresAt != nil {
		return now.Before(*e.ExpiresAt)
	}
	return e.CompletedAt != nil
}

// Reconcile records completions not yet recorded (for one user, or all with
// userID 0) and starts recertification cycles that are due. It is safe to run
// at any time and as often as wanted.
func (s *Service) Reconcile(ctx context.Context, userID uint) error {
	cands, err := s.Store.CompletionCandidates(ctx, userID)
	if err != nil {
		return err
	}
	for _, c := range cands {
		if c.RequirePass && c.Success != "passed" {
			continue // completed but not passed: not a completion of this course
		}
		comp := &store.Completion{
			EnrolmentID: c.EnrolmentID, UserID: c.UserID, CourseID: c.CourseID, AttemptID: c.AttemptID,
			Cycle: c.Cycle, CompletedAt: c.CompletedAt, Passed: c.Success == "passed", ScoreScaled: c.ScoreScaled,
			Code: NewCode(), CourseTitle: c.CourseTitle, UserName: c.UserName,
		}
		if m := c.ValidityMonths; m != nil && *m > 0 {
			exp := c.CompletedAt.AddDate(0, *m, 0)
			comp.ExpiresAt = &exp
		}
		if _, err := s.Store.RecordCompletion(ctx, comp); err != nil {
			return err
		}
	}
	due, err := s.Store.DueForRecertification(ctx, s.Store.Now().AddDate(0, 0, s.RecertLeadDays))
	if err != nil {
		return err
	}
	for i := range due {
		if userID != 0 && due[i].UserID != userID {
			continue
		}
		if err := s.Store.StartCycle(ctx, &due[i]); err != nil {
			return err
		}
	}
	return nil
}

// NewCode returns a certificate verification code: 60 random bits in
// Crockford-style base32 without look-alikes, as XXXX-XXXX-XXXX.
func NewCode() string {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		panic("compliance: crypto/rand failed: " + err.Error())
	}
	enc := base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)
	s := enc.EncodeToString(b)[:12]
	return s[:4] + "-" + s[4:8] + "-" + s[8:]
}

// Counts are how many enrolments stand where, for the admin: compliant
// (a valid completion) first, then by status.
type Counts struct {
	Total, Compliant, InProgress, ToDo, Overdue, Expired int
}

// Add counts one enrolment.
func (c *Counts) Add(e store.EnrolmentRow, now time.Time) {
	c.Total++
	if Compliant(e, now) {
		c.Compliant++
		return
	}
	switch StatusOf(e, now) {
	case InProgress:
		c.InProgress++
	case ToDo:
		c.ToDo++
	case Overdue:
		c.Overdue++
	case Expired:
		c.Expired++
	}
}

// Percent of enrolments compliant, rounded down.
func (c Counts) Percent() int {
	if c.Total == 0 {
		return 0
	}
	return c.Compliant * 100 / c.Total
}
