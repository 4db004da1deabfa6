package web

// Course reports and learner transcripts for admins: a paginated page and
// CSV / XLSX downloads streamed from the database.

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/report"
	"github.com/lectern/lectern/lms/store"
)

func (s *Server) reports() *report.Service {
	return &report.Service{Store: s.store, Location: s.location()}
}

// reportForm is the filter as the page's form holds it.
type reportForm struct {
	Group, Status, EnrolledFrom, EnrolledTo, CompletedFrom, CompletedTo, Sort string
	Desc                                                                      bool
}

func (f reportForm) values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"group": f.Group, "status": f.Status, "enrolled_from": f.EnrolledFrom,
		"enrolled_to": f.EnrolledTo, "completed_from": f.CompletedFrom, "completed_to": f.CompletedTo, "sort": f.Sort} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if f.Desc {
		v.Set("dir", "desc")
	}
	return v
}

// reportQuery parses the filter query parameters.
func reportQuery(c echo.Context) (reportForm, report.Query, error) {
	f := reportForm{Group: c.QueryParam("group"), Status: c.QueryParam("status"),
		EnrolledFrom: c.QueryParam("enrolled_from"), EnrolledTo: c.QueryParam("enrolled_to"),
		CompletedFrom: c.QueryParam("completed_from"), CompletedTo: c.QueryParam("completed_to"),
		Sort: c.QueryParam("sort"), Desc: c.QueryParam("dir") == "desc"}
	q := report.Query{Status: f.Status, EnrolledFrom: f.EnrolledFrom, EnrolledTo: f.EnrolledTo,
		CompletedFrom: f.CompletedFrom, CompletedTo: f.CompletedTo, Sort: f.Sort, Desc: f.Desc}
	if f.Group != "" {
		g, err := strconv.ParseUint(f.Group, 10, 32)
		if err != nil {
			return f, q, echo.NewHTTPError(http.StatusBadRequest, "Unknown group.")
		}
		q.Group = uint(g)
	}
	return f, q, nil
}

// badFilter turns an invalid filter into a 400 that says what is wrong.
func badFilter(err error) error {
	if errors.Is(err, report.ErrInvalid) {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	return err
}

type reportRowView struct {
	report.Row
	Result, Score, Time string
	Shown               string // which attempt the row shows ("attempt 2: counts (best attempt)")
}

// resultText is the latest attempt's completion and, when known, success.
func resultText(completion, success *string) string {
	if completion == nil {
		return ""
	}
	if success != nil && *success != "unknown" && *success != "" {
		return *completion + ", " + *success
	}
	return *completion
}

type reportView struct {
	Course      *store.Course
	Groups      []store.Group
	Form        reportForm
	Statuses    []string
	Sorts       []string
	Rows        []reportRowView
	First, Next string // page links; First is "" on the first page
	CSV, XLSX   string
	SortLinks   map[string]string
}

// courseReport shows one page of a course's report.
func (s *Server) courseReport(c echo.Context) error {
	ctx := c.Request().Context()
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	form, q, err := reportQuery(c)
	if err != nil {
		return err
	}
	size, _ := strconv.Atoi(c.QueryParam("size"))
	if err := s.comp.Reconcile(ctx, 0); err != nil {
		return err
	}
	page, err := s.reports().Page(ctx, co.ID, q, c.QueryParam("after"), size)
	if err != nil {
		return badFilter(err)
	}
	groups, err := s.store.Groups(ctx)
	if err != nil {
		return err
	}
	base := fmt.Sprintf("/admin/courses/%d/report", co.ID)
	vals := form.values()
	v := reportView{Course: co, Groups: groups, Form: form, Sorts: report.Sorts, SortLinks: map[string]string{},
		CSV: base + ".csv?" + vals.Encode(), XLSX: base + ".xlsx?" + vals.Encode()}
	for _, st := range report.Statuses {
		v.Statuses = append(v.Statuses, string(st))
	}
	for _, so := range report.Sorts {
		sv := form.values()
		sv.Set("sort", so)
		sv.Del("dir")
		if form.Sort == so && !form.Desc {
			sv.Set("dir", "desc")
		}
		v.SortLinks[so] = base + "?" + sv.Encode()
	}
	if c.QueryParam("after") != "" {
		v.First = base + "?" + vals.Encode()
	}
	if page.Next != "" {
		nv := form.values()
		nv.Set("after", page.Next)
		if size > 0 {
			nv.Set("size", strconv.Itoa(size))
		}
		v.Next = base + "?" + nv.Encode()
	}
	for _, r := range page.Rows {
		rv := reportRowView{Row: r, Result: resultText(r.Completion, r.Success), Score: scoreText(r.ScoreScaled), Time: durationText(r.TotalSeconds)}
		if shown := report.AttemptShown(&r.ReportRow); shown != "" {
			rv.Shown = fmt.Sprintf("attempt %d: %s", r.AttemptNumber, shown)
		}
		v.Rows = append(v.Rows, rv)
	}
	return s.render(c, http.StatusOK, "admin_report", co.Title+": report", v)
}

func scoreText(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p*100, 'f', 0, 64) + "%"
}

func durationText(secs float64) string {
	if secs <= 0 {
		return ""
	}
	d := time.Duration(secs) * time.Second
	return fmt.Sprintf("%d:%02d:%02d", int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60)
}

// courseReportFile downloads the whole filtered report as CSV or XLSX.
func (s *Server) courseReportFile(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		co, err := s.courseParam(c)
		if err != nil {
			return err
		}
		_, q, err := reportQuery(c)
		if err != nil {
			return err
		}
		svc := s.reports()
		// Check the filter before the headers go out.
		if _, err := svc.Filter(co.ID, q); err != nil {
			return badFilter(err)
		}
		if err := s.comp.Reconcile(ctx, 0); err != nil {
			return err
		}
		s.download(c, format, report.FileName(co.Title, "report", s.localNow(), format))
		if err := svc.Export(ctx, c.Response(), format, co.ID, q); err != nil {
			// The status is sent: all that is left is to log and stop.
			s.log.Error("report export", "course", co.ID, "format", format, "err", err)
		}
		return nil
	}
}

func (s *Server) localNow() time.Time {
	loc := s.location()
	if loc == nil {
		loc = time.UTC
	}
	return s.store.Now().In(loc)
}

func (s *Server) download(c echo.Context, format, name string) {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, report.ContentType(format))
	h.Set(echo.HeaderContentDisposition, fmt.Sprintf("attachment; filename=%q", name))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	c.Response().WriteHeader(http.StatusOK)
}

type transcriptRowView struct {
	report.TranscriptRow
	Score, Time string
}

type transcriptView struct {
	User      *store.User
	Rows      []transcriptRowView
	CSV, XLSX string
}

// transcript shows every course and attempt of one learner.
func (s *Server) transcript(c echo.Context) error {
	u, v, err := s.transcriptOf(c, s.userParam, "/admin/users")
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_transcript", u.Name+": transcript", v)
}

// transcriptOf reads the transcript of the learner that find picks from the
// request; the admin's and a manager's pages differ only in who may be
// picked and where the downloads live.
func (s *Server) transcriptOf(c echo.Context, find func(echo.Context) (*store.User, error), prefix string) (*store.User, transcriptView, error) {
	ctx := c.Request().Context()
	u, err := find(c)
	if err != nil {
		return nil, transcriptView{}, err
	}
	if err := s.comp.Reconcile(ctx, u.ID); err != nil {
		return nil, transcriptView{}, err
	}
	base := fmt.Sprintf("%s/%d/transcript", prefix, u.ID)
	v := transcriptView{User: u, CSV: base + ".csv", XLSX: base + ".xlsx"}
	err = s.reports().EachTranscript(ctx, u.ID, func(r report.TranscriptRow) error {
		v.Rows = append(v.Rows, transcriptRowView{TranscriptRow: r, Score: scoreText(r.ScoreScaled), Time: durationText(r.TotalSeconds)})
		return nil
	})
	return u, v, err
}

// transcriptFile downloads a learner's transcript.
func (s *Server) transcriptFile(format string) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx := c.Request().Context()
		u, err := s.userParam(c)
		if err != nil {
			return err
		}
		if err := s.comp.Reconcile(ctx, u.ID); err != nil {
			return err
		}
		s.download(c, format, report.FileName(u.Name, "transcript", s.localNow(), format))
		if err := s.reports().ExportTranscript(ctx, c.Response(), format, u.ID); err != nil {
			s.log.Error("transcript export", "user", u.ID, "format", format, "err", err)
		}
		return nil
	}
}
