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

	"github.com/lectern/lectern/lms/org"
	"github.com/lectern/lectern/lms/store"
)

// Status of an enrolment as the learner and the admin see it.
type Status string

const (
	ToDo       Status = "to do"
	InProgress Status = "in progress"
	Failed     Status = "failed" // finished, but the attempt that counts does not meet the pass rule
	Overdue    Status = "overdue"
	Completed  Status = "completed" // compliant: completed and not expired
	Expired    Status = "expired"
	Exempt     Status = "exempt" // compliant without completing: an admin exempted the learner
)

// Statuses lists every status, most urgent first.
var Statuses = []Status{Overdue, Expired, Failed, InProgress, ToDo, Exempt, Completed}

// Service runs the lifecycle.
type Service struct {
	Store            *store.Store
	Location         *time.Location // the organisation's time zone, unless Org is set
	Org              *org.Profile   // the organisation's time zone as it is now (the set-up page may change it)
	RecertLeadDays   int            // re-enrol this many days before a completion expires
	DueSoonDays      int            // "due soon" reminders go this many days before the due date
	ExpiryNoticeDays int            // "expiring" reminders go this many days before expiry
}

func (s *Service) loc() *time.Location {
	switch {
	case s.Org != nil:
		return s.Org.Location()
	case s.Location != nil:
		return s.Location
	}
	return time.UTC
}

// DueFor resolves a due rule for an enrolment made at enrolled: an absolute
// date, or N days later, both ending at the end of that day locally.
func (s *Service) DueFor(enrolled time.Time, r store.DueRule) *time.Time {
	switch {
	case r.At != nil:
		t := r.At.UTC()
		return &t
	case r.Days != nil:
		loc := s.loc()
		local := enrolled.In(loc)
		day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc).AddDate(0, 0, *r.Days)
		t := endOfDay(day, loc)
		return &t
	}
	return nil
}

// ParseDate reads YYYY-MM-DD as the end of that day in the organisation's
// time zone, in UTC.
func (s *Service) ParseDate(v string) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(v), s.loc())
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date like 2026-12-31", v)
	}
	return endOfDay(d, s.loc()), nil
}

// ParseDay reads YYYY-MM-DD as the start of that day in the organisation's
// time zone, in UTC: the time of something that happened that day.
func (s *Service) ParseDay(v string) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(v), s.Location)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date like 2026-12-31", v)
	}
	return d.UTC(), nil
}

// endOfDay is the last second of the day d falls on, in loc, as UTC.
func endOfDay(d time.Time, loc *time.Location) time.Time {
	d = d.In(loc)
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, loc).UTC()
}

// StatusOf tells where an enrolment stands at now.
func StatusOf(e store.EnrolmentRow, now time.Time) Status {
	latest := ""
	if e.AttemptID != nil && e.AttemptCompletion != nil {
		latest = *e.AttemptCompletion
	}
	switch {
	case e.CompletedAt != nil && (e.ExpiresAt == nil || now.Before(*e.ExpiresAt)):
		return Completed
	case e.ExemptAt != nil:
		return Exempt
	case e.ExpiresAt != nil && !now.Before(*e.ExpiresAt):
		// A completion existed and ran out before this cycle was completed.
		return Expired
	case e.DueAt != nil && now.After(*e.DueAt):
		return Overdue
	case e.Outcome == store.OutcomeFailed && latest != "incomplete" && latest != "unknown":
		return Failed
	case latest != "" && latest != "not attempted":
		return InProgress
	}
	return ToDo
}

// Compliant tells whether the learner holds a valid completion at now (the
// current cycle is completed, or during a recertification cycle the last
// completion has not expired yet) or is exempt.
func Compliant(e store.EnrolmentRow, now time.Time) bool {
	if e.ExemptAt != nil {
		return true
	}
	if e.ExpiresAt != nil {
		return now.Before(*e.ExpiresAt)
	}
	return e.CompletedAt != nil
}

// criteria returns the pass criterion of a course's versions, by id.
func (s *Service) criteria(ctx context.Context, courseID uint, cache map[uint]map[uint]Criterion) (func(uint) Criterion, error) {
	m, ok := cache[courseID]
	if !ok {
		vs, err := s.Store.VersionsOfCourse(ctx, courseID)
		if err != nil {
			return nil, err
		}
		m = make(map[uint]Criterion, len(vs))
		for id, v := range vs {
			m[id] = CriterionOf(&v)
		}
		cache[courseID] = m
	}
	return func(v uint) Criterion { return m[v] }, nil
}

// Reconcile brings the records up to date with learners' progress (for one
// user, or all with userID 0): qualifying attempts are recorded with a
// certificate, earlier valid work counts for new enrolments, and
// recertification cycles that are due start. It is safe to run at any time
// and as often as wanted; what it records, it records as Lectern itself.
func (s *Service) Reconcile(ctx context.Context, userID uint) error {
	ctx = store.WithActor(ctx, store.SystemActor)
	states, err := s.Store.EnrolmentStates(ctx, store.EvaluateFilter{UserID: userID})
	if err != nil {
		return err
	}
	courses := map[uint]*store.Course{}
	cache := map[uint]map[uint]Criterion{}
	var changes []store.RecordChange
	for i := range states {
		st := &states[i]
		co, ok := courses[st.CourseID]
		if !ok {
			if co, err = s.Store.CourseByID(ctx, st.CourseID); err != nil {
				return err
			}
			courses[st.CourseID] = co
		}
		crit, err := s.criteria(ctx, st.CourseID, cache)
		if err != nil {
			return err
		}
		p := planner{st: st, rules: store.RulesOf(co), crit: crit, now: s.Store.Now()}
		changes = append(changes, p.reconcile())
	}
	if len(changes) > 0 {
		// Another request may have got there first: its changes stand.
		if err := s.Store.ApplyRecordChanges(ctx, changes, true); err != nil {
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
// (a valid completion, or exempt) first, then by status.
type Counts struct {
	Total, Compliant, Exempt, InProgress, ToDo, Failed, Overdue, Expired int
}

// Add counts one enrolment.
func (c *Counts) Add(e store.EnrolmentRow, now time.Time) {
	c.Total++
	if Compliant(e, now) {
		c.Compliant++
		if StatusOf(e, now) == Exempt {
			c.Exempt++
		}
		return
	}
	switch StatusOf(e, now) {
	case InProgress:
		c.InProgress++
	case ToDo:
		c.ToDo++
	case Failed:
		c.Failed++
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
