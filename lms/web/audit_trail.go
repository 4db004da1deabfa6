package web

// The audit trail page of admins: every admin action, filterable by who
// acted, the learner, the course, the kind of action and dates, newest
// first in keyset pages, downloadable as CSV or XLSX; and GET /api/v1/audit.

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/report"
	"github.com/lectern/lectern/lms/store"
)

// auditPageSize is how many entries the audit trail page shows at once.
const auditPageSize = 50

type auditTrailPage struct {
	Form      report.AuditQuery
	Actions   []struct{ Prefix, Label string }
	Courses   []store.CourseSummary
	Entries   []auditEntryView
	Error     string
	Total     int64
	Older     string // link to the next page, "" on the last
	Newest    string // link back to the first page, "" on it
	CSV, XLSX string
	Zone      string
}

type auditEntryView struct {
	store.AuditEntryRow
	Detail string
}

// auditQuery reads the filter from the query string.
func auditQuery(c echo.Context) report.AuditQuery {
	return report.AuditQuery{Actor: c.QueryParam("actor"), Learner: c.QueryParam("learner"), Course: c.QueryParam("course"),
		Action: c.QueryParam("action"), From: c.QueryParam("from"), To: c.QueryParam("to")}
}

// auditValues is the filter as query parameters, without empty ones.
func auditValues(q report.AuditQuery) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"actor": q.Actor, "learner": q.Learner, "course": q.Course, "action": q.Action, "from": q.From, "to": q.To} {
		if strings.TrimSpace(s) != "" {
			v.Set(k, s)
		}
	}
	return v
}

// auditBefore reads the keyset cursor ?before=: entries older than that id.
func auditBefore(c echo.Context) (uint, error) {
	v := c.QueryParam("before")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n == 0 {
		return 0, errors.New("before must be the id of an entry")
	}
	return uint(n), nil
}

func (s *Server) adminAuditTrail(c echo.Context) error {
	ctx := c.Request().Context()
	q := auditQuery(c)
	v := auditTrailPage{Form: q, Actions: report.AuditActions, Zone: s.location().String()}
	courses, err := s.store.Courses(ctx)
	if err != nil {
		return err
	}
	v.Courses = courses
	query := auditValues(q).Encode()
	v.CSV, v.XLSX = "/admin/audit.csv", "/admin/audit.xlsx"
	if query != "" {
		v.CSV, v.XLSX = v.CSV+"?"+query, v.XLSX+"?"+query
	}
	f, err := s.reports().AuditFilter(ctx, q)
	if errors.Is(err, report.ErrInvalid) {
		v.Error = sentence(strings.TrimPrefix(err.Error(), report.ErrInvalid.Error()+": "))
		return s.render(c, http.StatusBadRequest, "admin_audit_trail", "Audit trail", v)
	} else if err != nil {
		return err
	}
	if f.Before, err = auditBefore(c); err != nil {
		v.Error = sentence(err.Error())
		return s.render(c, http.StatusBadRequest, "admin_audit_trail", "Audit trail", v)
	}
	if v.Total, err = s.store.CountAudit(ctx, f); err != nil {
		return err
	}
	rows, err := s.store.AuditEntries(ctx, f, auditPageSize+1)
	if err != nil {
		return err
	}
	more := len(rows) > auditPageSize
	if more {
		rows = rows[:auditPageSize]
	}
	for _, r := range rows {
		v.Entries = append(v.Entries, auditEntryView{AuditEntryRow: r, Detail: report.DetailText(r.Detail)})
	}
	link := func(before uint) string {
		p := auditValues(q)
		if before != 0 {
			p.Set("before", strconv.FormatUint(uint64(before), 10))
		}
		if e := p.Encode(); e != "" {
			return "/admin/audit?" + e
		}
		return "/admin/audit"
	}
	if more {
		v.Older = link(rows[len(rows)-1].ID)
	}
	if f.Before != 0 {
		v.Newest = link(0)
	}
	return s.render(c, http.StatusOK, "admin_audit_trail", "Audit trail", v)
}

// auditTrailFile downloads the filtered trail, every page of it.
func (s *Server) auditTrailFile(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		svc := s.reports()
		f, err := svc.AuditFilter(ctx, auditQuery(c))
		if err != nil {
			if strings.HasPrefix(c.Path(), apiPrefix) && errors.Is(err, report.ErrInvalid) {
				return apiInvalid("%s", sentence(strings.TrimPrefix(err.Error(), report.ErrInvalid.Error()+": ")))
			}
			return badFilter(err)
		}
		s.download(c, format, report.FileName("audit", "trail", s.localNow(), format))
		if err := svc.ExportAudit(ctx, c.Response(), format, f); err != nil {
			s.log.Error("audit trail export", "format", format, "err", err)
		}
		return nil
	}
}

// apiAuditEntry is an audit entry as the API shows it.
type apiAuditEntry struct {
	ID           uint           `json:"id"`
	At           string         `json:"at"`
	Actor        *uint          `json:"actor"` // user id; null for the command line and Lectern itself
	ActorName    string         `json:"actorName"`
	Via          string         `json:"via"`
	Action       string         `json:"action"`
	Learner      *uint          `json:"learner"`
	LearnerEmail string         `json:"learnerEmail,omitempty"`
	Course       *uint          `json:"course"`
	CourseTitle  string         `json:"courseTitle,omitempty"`
	Group        *uint          `json:"group"`
	Target       string         `json:"target,omitempty"`
	Reason       string         `json:"reason,omitempty"`
	Detail       map[string]any `json:"detail,omitempty"`
}

// apiAudit lists the audit trail newest first with the page's filters; its
// "next" link carries a keyset cursor (?before=).
func (s *Server) apiAudit(c echo.Context) error {
	ctx := c.Request().Context()
	limit := apiDefaultLimit
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > apiMaxLimit {
			return apiErr(http.StatusBadRequest, "bad_request", "limit must be a number from 1 to %d.", apiMaxLimit)
		}
		limit = n
	}
	q := auditQuery(c)
	f, err := s.reports().AuditFilter(ctx, q)
	if errors.Is(err, report.ErrInvalid) {
		return apiInvalid("%s", sentence(strings.TrimPrefix(err.Error(), report.ErrInvalid.Error()+": ")))
	} else if err != nil {
		return err
	}
	if f.Before, err = auditBefore(c); err != nil {
		return apiErr(http.StatusBadRequest, "bad_request", "%s.", sentence(err.Error()))
	}
	rows, err := s.store.AuditEntries(ctx, f, limit+1)
	if err != nil {
		return err
	}
	var next *string
	if len(rows) > limit {
		rows = rows[:limit]
		p := auditValues(q)
		p.Set("limit", strconv.Itoa(limit))
		p.Set("before", strconv.FormatUint(uint64(rows[len(rows)-1].ID), 10))
		n := "/api/v1/audit?" + p.Encode()
		next = &n
	}
	out := make([]apiAuditEntry, 0, len(rows))
	for _, r := range rows {
		out = append(out, apiAuditEntry{ID: r.ID, At: apiTimeOf(r.At), Actor: r.ActorID, ActorName: r.ActorName, Via: r.Via, Action: r.Action,
			Learner: r.SubjectUserID, LearnerEmail: r.SubjectEmail, Course: r.CourseID, CourseTitle: r.CourseTitle, Group: r.GroupID,
			Target: r.Target, Reason: r.Reason, Detail: r.Detail})
	}
	return c.JSON(http.StatusOK, map[string]any{"data": out, "next": next})
}

// clock is the time of day of t in the organisation's time zone.
func (s *Server) clock(t time.Time) string { return t.In(s.location()).Format("15:04") }
