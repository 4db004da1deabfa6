package web

// Corrections through the API: the enrolment page's corrections (unenrol,
// due date, exemption, offline completion) and certificate revocation and
// reissue, each with a "reason" and exactly one audit entry naming the
// token's user. Bad input is refused and changes nothing.

import (
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/store"
)

// apiCorrectionError words a refused correction as an API error.
func (s *Server) apiCorrectionError(err error) error {
	switch {
	case errors.Is(err, compliance.ErrInvalid):
		return apiInvalid("%s", sentence(strings.TrimPrefix(err.Error(), compliance.ErrInvalid.Error()+": ")))
	case errors.Is(err, compliance.ErrTooLarge):
		return apiErr(http.StatusRequestEntityTooLarge, "too_large", "The evidence file is larger than the limit of %d bytes.", s.opt.EvidenceMaxBytes)
	}
	return err
}

// apiEnrolmentParam finds the enrolment of the path's :id.
func (s *Server) apiEnrolmentParam(c echo.Context) (*store.EnrolmentRow, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || id == 0 {
		return nil, apiNotFoundErr("enrolment")
	}
	ctx := c.Request().Context()
	e, err := s.store.EnrolmentByID(ctx, uint(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiNotFoundErr("enrolment")
	} else if err != nil {
		return nil, err
	}
	rows, err := s.store.Enrolments(ctx, store.EnrolmentFilter{UserID: e.UserID, CourseID: e.CourseID})
	if err != nil {
		return nil, err
	}
	if len(rows) != 1 {
		return nil, apiNotFoundErr("enrolment")
	}
	return &rows[0], nil
}

// enrolmentCorrection reads what a correction of the path's enrolment
// needs: the enrolment, then the request's JSON of at most max bytes.
func enrolmentCorrection[T any](s *Server, c echo.Context, max int64) (*store.EnrolmentRow, *T, error) {
	row, err := s.apiEnrolmentParam(c)
	if err != nil {
		return nil, nil, err
	}
	in := new(T)
	if err := decodeJSONMax(c, in, max); err != nil {
		return nil, nil, err
	}
	return row, in, nil
}

// apiCorrected is an enrolment after a correction.
type apiCorrected struct {
	apiEnrolment
	Status      compliance.Status `json:"status"`
	Compliant   bool              `json:"compliant"`
	Exempt      bool              `json:"exempt"`
	Certificate *string           `json:"certificate,omitempty"` // of an offline completion just recorded
}

// apiEnrolmentNow answers with the enrolment as it stands now.
func (s *Server) apiEnrolmentNow(c echo.Context, id uint, cert *string) error {
	row, err := s.apiEnrolmentParam(c)
	if err != nil {
		return err
	}
	if row.ID != id {
		return errors.New("web: enrolment changed id")
	}
	now := s.store.Now()
	return c.JSON(http.StatusOK, apiCorrected{apiEnrolment: toAPIEnrolment(*row), Status: compliance.StatusOf(*row, now),
		Compliant: compliance.Compliant(*row, now), Exempt: row.ExemptAt != nil, Certificate: cert})
}

type apiReason struct {
	Reason string `json:"reason"`
}

func (s *Server) apiUnenrol(c echo.Context) error {
	row, in, err := enrolmentCorrection[apiReason](s, c, apiMaxBodyBytes)
	if err != nil {
		return err
	}
	if err := s.comp.Unenrol(c.Request().Context(), row.ID, in.Reason); err != nil {
		return s.apiCorrectionError(err)
	}
	return c.NoContent(http.StatusNoContent)
}

type apiDue struct {
	Due    string `json:"due"`  // YYYY-MM-DD: end of that day in the organisation's time zone
	None   bool   `json:"none"` // no due date
	Reason string `json:"reason"`
}

func (s *Server) apiSetDue(c echo.Context) error {
	row, in, err := enrolmentCorrection[apiDue](s, c, apiMaxBodyBytes)
	if err != nil {
		return err
	}
	var due *time.Time
	switch {
	case in.None && in.Due != "":
		return apiInvalid("Give a \"due\" date or \"none\": true, not both.")
	case in.None:
	case strings.TrimSpace(in.Due) == "":
		return apiInvalid("Give the new \"due\" date (YYYY-MM-DD), or \"none\": true to remove it.")
	default:
		d, err := s.comp.ParseDate(in.Due)
		if err != nil {
			return apiInvalid("%s", sentence(err.Error()))
		}
		due = &d
	}
	if err := s.comp.SetDue(c.Request().Context(), row.ID, due, in.Reason); err != nil {
		return s.apiCorrectionError(err)
	}
	return s.apiEnrolmentNow(c, row.ID, nil)
}

type apiExempt struct {
	Exempt *bool  `json:"exempt"` // true: exempt; false: lift the exemption
	Reason string `json:"reason"`
}

func (s *Server) apiSetExempt(c echo.Context) error {
	row, in, err := enrolmentCorrection[apiExempt](s, c, apiMaxBodyBytes)
	if err != nil {
		return err
	}
	if in.Exempt == nil {
		return apiInvalid("Say \"exempt\": true to exempt the learner, or false to lift the exemption.")
	}
	if err := s.comp.SetExempt(c.Request().Context(), row.ID, *in.Exempt, in.Reason); err != nil {
		return s.apiCorrectionError(err)
	}
	return s.apiEnrolmentNow(c, row.ID, nil)
}

type apiOffline struct {
	Date     string   `json:"date"`  // YYYY-MM-DD, the day of the session
	Note     string   `json:"note"`  // what it was
	Score    *float64 `json:"score"` // optional percentage, 0 to 100
	Evidence *struct {
		Filename string `json:"filename"`
		Data     string `json:"data"` // base64
	} `json:"evidence"`
	Reason string `json:"reason"`
}

// apiOfflineSlack is room for the fields beside a base64 evidence file.
const apiOfflineSlack = 64 << 10

func (s *Server) apiRecordOffline(c echo.Context) error {
	max := base64.StdEncoding.EncodedLen(int(s.opt.EvidenceMaxBytes)) + apiOfflineSlack
	row, in, err := enrolmentCorrection[apiOffline](s, c, int64(max))
	if err != nil {
		return err
	}
	off := compliance.Offline{Date: in.Date, Note: in.Note}
	if in.Score != nil {
		if *in.Score < 0 || *in.Score > 100 {
			return apiInvalid("A \"score\" is a percentage from 0 to 100.")
		}
		f := *in.Score / 100
		off.Score = &f
	}
	if in.Evidence != nil {
		data, err := base64.StdEncoding.DecodeString(in.Evidence.Data)
		if err != nil {
			return apiInvalid("The evidence \"data\" must be base64.")
		}
		off.Evidence, off.EvidenceFilename = data, in.Evidence.Filename
	}
	comp, err := s.comp.RecordOffline(c.Request().Context(), row.ID, off, s.opt.EvidenceMaxBytes, in.Reason)
	if err != nil {
		return s.apiCorrectionError(err)
	}
	return s.apiEnrolmentNow(c, row.ID, &comp.Code)
}

// apiCertificate is a certificate as the API shows it.
type apiCertificate struct {
	Code        string  `json:"code"`
	User        uint    `json:"user"`
	Course      uint    `json:"course"`
	CompletedAt string  `json:"completedAt"`
	ExpiresAt   *string `json:"expiresAt"`
	RevokedAt   *string `json:"revokedAt"`
	Replaces    *string `json:"replaces,omitempty"` // the code a reissue replaced
}

func toAPICertificate(c *store.Completion) apiCertificate {
	return apiCertificate{Code: c.Code, User: c.UserID, Course: c.CourseID, CompletedAt: apiTimeOf(c.CompletedAt),
		ExpiresAt: apiTime(c.ExpiresAt), RevokedAt: apiTime(c.RevokedAt)}
}

// certificateCorrection reads what a correction of the path's certificate
// needs: the certificate, then the request's reason.
func (s *Server) certificateCorrection(c echo.Context) (*store.Completion, string, error) {
	comp, err := s.apiCertificateParam(c)
	if err != nil {
		return nil, "", err
	}
	var in apiReason
	if err := decodeJSON(c, &in); err != nil {
		return nil, "", err
	}
	return comp, in.Reason, nil
}

func (s *Server) apiCertificateParam(c echo.Context) (*store.Completion, error) {
	code := normaliseCode(c.Param("code"))
	if !codePattern.MatchString(code) {
		return nil, apiNotFoundErr("certificate")
	}
	comp, err := s.store.CompletionByCode(c.Request().Context(), code)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiNotFoundErr("certificate")
	}
	return comp, err
}

func (s *Server) apiRevokeCertificate(c echo.Context) error {
	comp, reason, err := s.certificateCorrection(c)
	if err != nil {
		return err
	}
	if err := s.comp.RevokeCertificate(c.Request().Context(), comp.Code, reason); err != nil {
		return s.apiCorrectionError(err)
	}
	if comp, err = s.store.CompletionByCode(c.Request().Context(), comp.Code); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toAPICertificate(comp))
}

func (s *Server) apiReissueCertificate(c echo.Context) error {
	comp, reason, err := s.certificateCorrection(c)
	if err != nil {
		return err
	}
	fresh, err := s.comp.ReissueCertificate(c.Request().Context(), comp.Code, reason)
	if err != nil {
		return s.apiCorrectionError(err)
	}
	out := toAPICertificate(fresh)
	out.Replaces = &comp.Code
	return c.JSON(http.StatusCreated, out)
}
