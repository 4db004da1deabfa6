// Package report builds the course report and the learner transcript, and
// writes them as CSV, XLSX or JSON. Exports stream from a database cursor:
// memory stays flat whatever the number of rows.
package report

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/store"
)

// ErrInvalid is a filter value that cannot be understood.
var ErrInvalid = errors.New("report: invalid filter")

// Service reads reports from the store.
type Service struct {
	Store    *store.Store
	Location *time.Location // dates are shown and filtered in the organisation's time zone
}

func (s *Service) loc() *time.Location {
	if s.Location == nil {
		return time.UTC
	}
	return s.Location
}

// Query is a course report request as the page and the CLI give it: all
// values are strings so that both can pass user input straight through.
type Query struct {
	Group         uint
	Manager       uint   // only members of the groups this user manages
	Status        string // a compliance status, "" for all
	EnrolledFrom  string // YYYY-MM-DD, inclusive, organisation's time zone
	EnrolledTo    string
	CompletedFrom string
	CompletedTo   string
	Sort          string // name, status, due, completed, score
	Desc          bool
}

// Statuses are the values Query.Status accepts.
var Statuses = []compliance.Status{compliance.ToDo, compliance.InProgress, compliance.Overdue, compliance.Completed, compliance.Expired}

// Sorts are the values Query.Sort accepts.
var Sorts = []string{store.SortName, store.SortStatus, store.SortDue, store.SortCompleted, store.SortScore}

// Filter validates q and turns it into a store filter for courseID.
func (s *Service) Filter(courseID uint, q Query) (store.ReportFilter, error) {
	f := store.ReportFilter{CourseID: courseID, GroupID: q.Group, ManagerID: q.Manager, Now: s.Store.Now(), Sort: q.Sort, Desc: q.Desc}
	if q.Status != "" {
		ok := false
		for _, st := range Statuses {
			ok = ok || string(st) == q.Status
		}
		if !ok {
			return f, fmt.Errorf("%w: status %q", ErrInvalid, q.Status)
		}
		f.Status = q.Status
	}
	if q.Sort != "" {
		ok := false
		for _, so := range Sorts {
			ok = ok || so == q.Sort
		}
		if !ok {
			return f, fmt.Errorf("%w: sort %q", ErrInvalid, q.Sort)
		}
	}
	var err error
	for _, d := range []struct {
		v   string
		to  bool
		dst **time.Time
	}{{q.EnrolledFrom, false, &f.EnrolledFrom}, {q.EnrolledTo, true, &f.EnrolledTo},
		{q.CompletedFrom, false, &f.CompletedFrom}, {q.CompletedTo, true, &f.CompletedTo}} {
		if *d.dst, err = s.day(d.v, d.to); err != nil {
			return f, err
		}
	}
	return f, nil
}

// day is the start of a local day; for an inclusive "to" date, the start of the next one.
func (s *Service) day(v string, to bool) (*time.Time, error) {
	if v == "" {
		return nil, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, s.loc())
	if err != nil {
		return nil, fmt.Errorf("%w: date %q (want YYYY-MM-DD)", ErrInvalid, v)
	}
	if to {
		t = t.AddDate(0, 0, 1)
	}
	t = t.UTC()
	return &t, nil
}

// Row is one enrolment of the course report.
type Row struct {
	store.ReportRow
	Status  compliance.Status
	Overdue bool // past the due date and not completed
}

func (s *Service) row(r *store.ReportRow, now time.Time) Row {
	st := compliance.StatusOf(r.EnrolmentRow(), now)
	return Row{ReportRow: *r, Status: st, Overdue: r.CompletedAt == nil && r.DueAt != nil && now.After(*r.DueAt)}
}

// Page is one page of a course report.
type Page struct {
	Rows []Row
	Next string // token of the next page, "" on the last
}

// MaxPageSize bounds a page.
const MaxPageSize = 500

// Page returns size rows of the course report after the page token after
// ("" for the first page).
func (s *Service) Page(ctx context.Context, courseID uint, q Query, after string, size int) (*Page, error) {
	f, err := s.Filter(courseID, q)
	if err != nil {
		return nil, err
	}
	if size <= 0 || size > MaxPageSize {
		size = 50
	}
	var cur *store.ReportCursor
	if after != "" {
		if cur, err = store.DecodeReportCursor(after); err != nil {
			return nil, fmt.Errorf("%w: page token", ErrInvalid)
		}
	}
	rows, next, err := s.Store.ReportPage(ctx, f, cur, size)
	if err != nil {
		return nil, err
	}
	p := &Page{Rows: make([]Row, len(rows))}
	for i := range rows {
		p.Rows[i] = s.row(&rows[i], f.Now)
	}
	if next != nil {
		p.Next = next.Encode()
	}
	return p, nil
}

// Each calls fn for every row of the course report, streaming.
func (s *Service) Each(ctx context.Context, courseID uint, q Query, fn func(Row) error) error {
	f, err := s.Filter(courseID, q)
	if err != nil {
		return err
	}
	return s.Store.EachReportRow(ctx, f, func(r *store.ReportRow) error { return fn(s.row(r, f.Now)) })
}

// TranscriptRow is one attempt (or attempt-less enrolment) of a learner,
// with the status of its course.
type TranscriptRow struct {
	store.TranscriptRow
	Status compliance.Status // "" when the learner is not enrolled
}

// EachTranscript calls fn for every row of a learner's transcript.
func (s *Service) EachTranscript(ctx context.Context, userID uint, fn func(TranscriptRow) error) error {
	now := s.Store.Now()
	// Rows come grouped by course; the status needs the course's latest attempt
	// of the current cycle, so a course is held until its last row. A learner
	// has few attempts per course.
	var pending []store.TranscriptRow
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		var st compliance.Status
		if first := pending[0]; first.EnrolmentID != nil {
			e := store.EnrolmentRow{Enrolment: store.Enrolment{DueAt: first.DueAt, CompletedAt: first.CompletedAt, ExpiresAt: first.ExpiresAt}}
			for i := range pending {
				p := &pending[i]
				if p.AttemptID != nil && p.StartedAt != nil && first.EnrolledAt != nil && !p.StartedAt.Before(*first.EnrolledAt) {
					e.AttemptID, e.AttemptCompletion = p.AttemptID, &p.Completion
				}
			}
			st = compliance.StatusOf(e, now)
		}
		for _, p := range pending {
			if err := fn(TranscriptRow{TranscriptRow: p, Status: st}); err != nil {
				return err
			}
		}
		pending = pending[:0]
		return nil
	}
	err := s.Store.EachTranscriptRow(ctx, userID, func(r *store.TranscriptRow) error {
		if len(pending) > 0 && pending[0].CourseID != r.CourseID {
			if err := flush(); err != nil {
				return err
			}
		}
		pending = append(pending, *r)
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// FileName is a download name that says what and when:
// lectern-fire-safety-report-2026-11-28.csv.
func FileName(subject, kind string, at time.Time, ext string) string {
	slug := strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(subject), "-"), "-")
	if len(slug) > 60 {
		slug = strings.Trim(slug[:60], "-")
	}
	if slug == "" {
		slug = "untitled"
	}
	return fmt.Sprintf("lectern-%s-%s-%s.%s", slug, kind, at.Format("2006-01-02"), ext)
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)
