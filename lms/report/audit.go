package report

// The audit trail as admins filter and download it: the page, the CLI and
// the API read the same filter and write the same columns.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lectern/lectern/lms/store"
)

// AuditQuery is the audit trail's filter as people give it.
type AuditQuery struct {
	Actor   string // text in the name or email of who acted
	Learner string // the email of the learner the action is about
	Course  string // a course id
	Action  string // one of AuditActions' keys
	From    string // YYYY-MM-DD, the first day shown
	To      string // YYYY-MM-DD, the last day shown
}

// AuditActions are the kinds of action the trail can be narrowed to, by the
// prefix of their action names, with their labels.
var AuditActions = []struct{ Prefix, Label string }{
	{"enrolment.", "Enrolments and corrections"},
	{"completion.", "Completions"},
	{"certificate.", "Certificates"},
	{"course.", "Courses and rules"},
	{"user.", "Users"},
	{"group.", "Groups"},
	{"token.", "API tokens"},
	{"lti.", "LTI"},
}

// maxAuditText bounds a text filter.
const maxAuditText = 200

// Empty says whether the query filters nothing.
func (q AuditQuery) Empty() bool { return q == AuditQuery{} }

// AuditFilter checks q and turns it into the store's filter. A learner or
// course that does not exist is an error, not an empty trail.
func (s *Service) AuditFilter(ctx context.Context, q AuditQuery) (store.AuditFilter, error) {
	var f store.AuditFilter
	f.Actor = strings.TrimSpace(q.Actor)
	if utf8.RuneCountInString(f.Actor) > maxAuditText {
		return f, fmt.Errorf("%w: the person is longer than %d characters", ErrInvalid, maxAuditText)
	}
	if e := strings.TrimSpace(q.Learner); e != "" {
		if utf8.RuneCountInString(e) > maxAuditText {
			return f, fmt.Errorf("%w: the learner is longer than %d characters", ErrInvalid, maxAuditText)
		}
		u, err := s.Store.UserByEmail(ctx, e)
		if errors.Is(err, store.ErrNotFound) {
			return f, fmt.Errorf("%w: no user has the email %s", ErrInvalid, store.NormalizeEmail(e))
		} else if err != nil {
			return f, err
		}
		f.Learner = u.ID
	}
	if v := strings.TrimSpace(q.Course); v != "" {
		id, err := strconv.ParseUint(v, 10, 32)
		if err != nil || id == 0 {
			return f, fmt.Errorf("%w: %q is not a course id", ErrInvalid, v)
		}
		if _, err := s.Store.CourseByID(ctx, uint(id)); errors.Is(err, store.ErrNotFound) {
			return f, fmt.Errorf("%w: there is no course with id %d", ErrInvalid, id)
		} else if err != nil {
			return f, err
		}
		f.CourseID = uint(id)
	}
	if a := strings.TrimSpace(q.Action); a != "" {
		ok := false
		for _, k := range AuditActions {
			ok = ok || k.Prefix == a
		}
		if !ok {
			return f, fmt.Errorf("%w: %q is not a kind of action", ErrInvalid, a)
		}
		f.Action = a
	}
	day := func(v, what string) (time.Time, error) {
		d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(v), s.loc())
		if err != nil {
			return d, fmt.Errorf("%w: the %s date %q is not a date like 2026-12-31", ErrInvalid, what, v)
		}
		return d, nil
	}
	if strings.TrimSpace(q.From) != "" {
		d, err := day(q.From, "from")
		if err != nil {
			return f, err
		}
		f.From = d.UTC()
	}
	if strings.TrimSpace(q.To) != "" {
		d, err := day(q.To, "to")
		if err != nil {
			return f, err
		}
		f.To = d.AddDate(0, 0, 1).UTC() // the whole last day
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return f, fmt.Errorf("%w: the from date is after the to date", ErrInvalid)
	}
	return f, nil
}

// AuditColumns are the columns of an audit trail download; the time
// column's label names the time zone.
func (s *Service) auditColumns() []column {
	return s.zoned([]column{
		{"at", "When", timeCol}, {"actor", "Who", 0}, {"via", "Via", 0}, {"action", "Action", 0},
		{"learner", "Learner", 0}, {"learner_email", "Learner email", 0}, {"course", "Course", 0}, {"group", "Group", 0},
		{"target", "Target", 0}, {"reason", "Reason", 0}, {"detail", "Detail", 0}, {"id", "Entry", 0},
	})
}

// DetailText is an entry's detail as compact JSON.
func DetailText(d map[string]any) string {
	if len(d) == 0 {
		return ""
	}
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Sprint(d)
	}
	return string(b)
}

// ExportAudit writes the entries f selects, newest first, in format to w.
func (s *Service) ExportAudit(ctx context.Context, w io.Writer, format string, f store.AuditFilter) error {
	cols := s.auditColumns()
	tw, err := newTableWriter(w, format, cols)
	if err != nil {
		return err
	}
	cells := make([]any, len(cols))
	err = s.Store.AuditEach(ctx, f, func(r store.AuditEntryRow) error {
		cells = append(cells[:0], s.when(&r.At), r.ActorName, r.Via, r.Action, r.SubjectName, r.SubjectEmail,
			r.CourseTitle, r.GroupName, r.Target, r.Reason, DetailText(r.Detail), int64(r.ID))
		return tw.row(cells)
	})
	if err != nil {
		tw.abort()
		return err
	}
	return tw.close()
}
