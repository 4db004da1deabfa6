package web

// The enrolment page of an admin: one learner's record in one course, with
// the corrections (due date, exemption, offline completion, unenrolment,
// certificate revocation and reissue), each with a reason.

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/store"
)

// offlineFormSlack is room for the fields beside an evidence file.
const offlineFormSlack = 64 << 10

type enrolmentPage struct {
	Enrolment   enrolmentView
	Completions []completionView
	Attempts    []store.CourseAttempt
	Sentence    string
	EvidenceMax int64
	Notice      string
	Error       string
	Form        map[string]string // fields to show again after an error
}

type completionView struct {
	store.Completion
	Attempt  *store.CourseAttempt
	Evidence []store.Evidence
	Valid    bool
}

func (s *Server) enrolmentParam(c echo.Context) (*store.EnrolmentRow, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such enrolment.")
	}
	e, err := s.store.EnrolmentByID(c.Request().Context(), uint(id))
	if err != nil {
		return nil, err
	}
	rows, err := s.store.Enrolments(c.Request().Context(), store.EnrolmentFilter{UserID: e.UserID, CourseID: e.CourseID})
	if err != nil {
		return nil, err
	}
	if len(rows) != 1 {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such enrolment.")
	}
	return &rows[0], nil
}

func (s *Server) adminEnrolment(c echo.Context) error {
	return s.renderEnrolment(c, http.StatusOK, c.QueryParam("notice"), "", nil)
}

func (s *Server) renderEnrolment(c echo.Context, status int, notice, errMsg string, form map[string]string) error {
	ctx := c.Request().Context()
	if err := s.comp.Reconcile(ctx, 0); err != nil {
		return err
	}
	row, err := s.enrolmentParam(c)
	if err != nil {
		return err
	}
	v := enrolmentPage{Enrolment: s.enrolmentViews([]store.EnrolmentRow{*row})[0], EvidenceMax: s.opt.EvidenceMaxBytes,
		Notice: notice, Error: errMsg, Form: form}
	states, err := s.store.EnrolmentStates(ctx, store.EvaluateFilter{UserID: row.UserID, CourseID: row.CourseID, All: true})
	if err != nil {
		return err
	}
	if len(states) == 1 {
		v.Attempts = states[0].Attempts
	}
	cs, ev, err := s.store.CompletionsOfEnrolment(ctx, row.ID)
	if err != nil {
		return err
	}
	now := s.store.Now()
	for _, comp := range cs {
		cv := completionView{Completion: comp, Evidence: ev[comp.ID], Valid: comp.RevokedAt == nil && (comp.ExpiresAt == nil || comp.ExpiresAt.After(now))}
		for i := range v.Attempts {
			if comp.AttemptID != nil && v.Attempts[i].ID == *comp.AttemptID {
				cv.Attempt = &v.Attempts[i]
			}
		}
		v.Completions = append(v.Completions, cv)
	}
	co, err := s.store.CourseByID(ctx, row.CourseID)
	if err != nil {
		return err
	}
	if v.Sentence, err = s.sentenceOf(c, co, store.RulesOf(co)); err != nil {
		return err
	}
	return s.render(c, status, "admin_enrolment", row.UserName+": "+row.CourseTitle, v)
}

// corrected answers a correction: back to the page with a notice, or the
// page again with what is wrong.
func (s *Server) corrected(c echo.Context, id uint, err error, done string, form map[string]string) error {
	switch {
	case errors.Is(err, compliance.ErrInvalid):
		return s.renderEnrolment(c, http.StatusUnprocessableEntity, "", sentence(strings.TrimPrefix(err.Error(), compliance.ErrInvalid.Error()+": ")), form)
	case errors.Is(err, compliance.ErrTooLarge):
		return s.renderEnrolment(c, http.StatusRequestEntityTooLarge, "", fmt.Sprintf("The evidence file is larger than the limit of %s.", byteSize(s.opt.EvidenceMaxBytes)), form)
	case err != nil:
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/enrolments/%d?notice=%s", id, url.QueryEscape(done)))
}

// sentence capitalises a message and ends it with a full stop.
func sentence(msg string) string {
	if msg == "" {
		return msg
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func (s *Server) correctDue(c echo.Context) error {
	row, err := s.enrolmentParam(c)
	if err != nil {
		return err
	}
	form := map[string]string{"due": c.FormValue("due"), "due_reason": c.FormValue("reason")}
	var due *time.Time
	if c.FormValue("none") != "on" {
		r, err := s.dueRule(form["due"], "")
		if err != nil {
			return s.renderEnrolment(c, http.StatusUnprocessableEntity, "", err.Error(), form)
		}
		if r.At == nil {
			return s.renderEnrolment(c, http.StatusUnprocessableEntity, "", "Enter the new due date, or tick “no due date”.", form)
		}
		due = r.At
	}
	err = s.comp.SetDue(c.Request().Context(), row.ID, due, c.FormValue("reason"))
	return s.corrected(c, row.ID, err, "The due date was changed.", form)
}

func (s *Server) correctExempt(c echo.Context) error {
	row, err := s.enrolmentParam(c)
	if err != nil {
		return err
	}
	form := map[string]string{"exempt_reason": c.FormValue("reason")}
	var exempt bool
	switch c.FormValue("exempt") {
	case "true":
		exempt = true
	case "false":
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "Say whether to exempt the learner or lift the exemption.")
	}
	err = s.comp.SetExempt(c.Request().Context(), row.ID, exempt, c.FormValue("reason"))
	done := "The learner is exempt: they count as compliant."
	if !exempt {
		done = "The exemption was lifted."
	}
	return s.corrected(c, row.ID, err, done, form)
}

func (s *Server) correctUnenrol(c echo.Context) error {
	row, err := s.enrolmentParam(c)
	if err != nil {
		return err
	}
	if err := s.comp.Unenrol(c.Request().Context(), row.ID, c.FormValue("reason")); errors.Is(err, compliance.ErrInvalid) {
		return s.corrected(c, row.ID, err, "", map[string]string{"unenrol_reason": c.FormValue("reason")})
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/courses/%d/enrolments?notice=%s", row.CourseID,
		url.QueryEscape(row.UserEmail+" was unenrolled. Their completions and certificates stay.")))
}

// correctOffline records an offline completion from a multipart form: the
// fields, then an optional evidence file of at most EvidenceMaxBytes.
func (s *Server) correctOffline(c echo.Context) error {
	row, err := s.enrolmentParam(c)
	if err != nil {
		return err
	}
	in, reason, form, err := s.readOfflineForm(c)
	if err != nil {
		return s.corrected(c, row.ID, err, "", form)
	}
	comp, err := s.comp.RecordOffline(c.Request().Context(), row.ID, in, s.opt.EvidenceMaxBytes, reason)
	done := ""
	if comp != nil {
		done = "The offline completion was recorded with certificate " + comp.Code + "."
	}
	return s.corrected(c, row.ID, err, done, form)
}

func (s *Server) readOfflineForm(c echo.Context) (compliance.Offline, string, map[string]string, error) {
	var in compliance.Offline
	form := map[string]string{}
	mr, err := multipartReader(c)
	if err != nil {
		return in, "", form, fmt.Errorf("%w: send the form as a file form", compliance.ErrInvalid)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return in, "", form, fmt.Errorf("%w: the form is too large", compliance.ErrTooLarge)
			}
			return in, "", form, fmt.Errorf("%w: the form could not be read", compliance.ErrInvalid)
		}
		name := part.FormName()
		if name == "evidence" {
			if part.FileName() == "" {
				part.Close()
				continue
			}
			data, err := io.ReadAll(io.LimitReader(part, s.opt.EvidenceMaxBytes+1))
			part.Close()
			if err != nil {
				return in, "", form, fmt.Errorf("%w: the evidence file was not received whole", compliance.ErrTooLarge)
			}
			if int64(len(data)) > s.opt.EvidenceMaxBytes {
				return in, "", form, fmt.Errorf("%w: evidence", compliance.ErrTooLarge)
			}
			in.Evidence, in.EvidenceFilename = data, part.FileName()
			if in.Evidence == nil {
				in.Evidence = []byte{}
			}
			continue
		}
		b, err := io.ReadAll(io.LimitReader(part, 8<<10))
		part.Close()
		if err != nil {
			return in, "", form, fmt.Errorf("%w: the form could not be read", compliance.ErrInvalid)
		}
		form[name] = string(b)
	}
	in.Date, in.Note = form["date"], form["note"]
	if v := strings.TrimSpace(form["score"]); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 || f > 100 {
			return in, "", form, fmt.Errorf("%w: a score is a percentage from 0 to 100, or empty", compliance.ErrInvalid)
		}
		f /= 100
		in.Score = &f
	}
	return in, form["reason"], form, nil
}

// certificateParam finds the completion of a certificate code.
func (s *Server) certificateParam(c echo.Context) (*store.Completion, error) {
	code := normaliseCode(c.Param("code"))
	if !codePattern.MatchString(code) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such certificate.")
	}
	return s.store.CompletionByCode(c.Request().Context(), code)
}

func (s *Server) certificateDone(c echo.Context, comp *store.Completion, err error, done string) error {
	ctx := c.Request().Context()
	e, eerr := s.store.EnrolmentByID(ctx, comp.EnrolmentID)
	if errors.Is(eerr, store.ErrNotFound) {
		// The learner is no longer enrolled: back to their transcript.
		if err != nil && !errors.Is(err, compliance.ErrInvalid) {
			return err
		}
		msg := done
		if err != nil {
			msg = sentence(strings.TrimPrefix(err.Error(), compliance.ErrInvalid.Error()+": "))
		}
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/users/%d/transcript?notice=%s", comp.UserID, url.QueryEscape(msg)))
	} else if eerr != nil {
		return eerr
	}
	c.SetParamNames("id")
	c.SetParamValues(strconv.FormatUint(uint64(e.ID), 10))
	return s.corrected(c, e.ID, err, done, map[string]string{"cert_reason": c.FormValue("reason")})
}

func (s *Server) revokeCertificate(c echo.Context) error {
	comp, err := s.certificateParam(c)
	if err != nil {
		return err
	}
	err = s.comp.RevokeCertificate(c.Request().Context(), comp.Code, c.FormValue("reason"))
	return s.certificateDone(c, comp, err, "Certificate "+comp.Code+" was revoked: /verify says so from now on.")
}

func (s *Server) reissueCertificate(c echo.Context) error {
	comp, err := s.certificateParam(c)
	if err != nil {
		return err
	}
	fresh, err := s.comp.ReissueCertificate(c.Request().Context(), comp.Code, c.FormValue("reason"))
	done := ""
	if fresh != nil {
		done = "Certificate " + comp.Code + " was replaced by " + fresh.Code + "."
	}
	return s.certificateDone(c, comp, err, done)
}

// evidenceFile sends an evidence file to an admin, as an attachment that
// the browser never runs.
func (s *Server) evidenceFile(c echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such file.")
	}
	ev, err := s.store.EvidenceByID(c.Request().Context(), uint(id))
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(ev.Filename))
	h.Set("Cache-Control", "private, no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	return c.Blob(http.StatusOK, "application/octet-stream", ev.Data)
}
