package web

import (
	"bytes"
	"errors"
	"net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/certificate"
	"github.com/lectern/lectern/lms/store"
)

// codePattern is the shape of a verification code (see compliance.NewCode).
var codePattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)

func normaliseCode(s string) string { return strings.ToUpper(strings.TrimSpace(s)) }

// certificateFile sends the PDF certificate of a completion: to its learner,
// or to an admin.
func (s *Server) certificateFile(c echo.Context) error {
	code := normaliseCode(c.Param("code"))
	if !codePattern.MatchString(code) {
		return echo.NewHTTPError(http.StatusNotFound, "No such certificate.")
	}
	comp, err := s.store.CompletionByCode(c.Request().Context(), code)
	if err != nil {
		return err
	}
	if u := currentUser(c); comp.UserID != u.ID && !u.Admin {
		// Another learner's certificate does not exist for you.
		return echo.NewHTTPError(http.StatusNotFound, "No such certificate.")
	}
	if comp.RevokedAt != nil {
		// A revoked certificate is not printed again, for anyone.
		return echo.NewHTTPError(http.StatusGone, "This certificate was revoked on "+s.date(comp.RevokedAt)+".")
	}
	cert := s.certificateOf(comp)
	var buf bytes.Buffer
	if err := certificate.Render(&buf, cert); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="`+certificate.Filename(cert)+`"`)
	h.Set("Cache-Control", "private, no-store")
	return c.Blob(http.StatusOK, "application/pdf", buf.Bytes())
}

func (s *Server) certificateOf(comp *store.Completion) certificate.Certificate {
	return certificate.Certificate{
		Organisation: s.organisation(),
		LearnerName:  comp.UserName,
		CourseTitle:  comp.CourseTitle,
		CompletedAt:  comp.CompletedAt,
		ExpiresAt:    comp.ExpiresAt,
		Passed:       comp.Passed,
		Score:        comp.ScoreScaled,
		Code:         comp.Code,
		VerifyURL:    s.opt.BaseURL + "/verify/" + comp.Code,
		Location:     s.location(),
	}
}

type verifyView struct {
	Code       string
	Completion *store.Completion
	Valid      bool
	Revoked    bool
	Replaced   bool // revoked because a newer certificate replaced it
	Error      string
}

// verify is the public page that confirms a certificate code. It shows what
// the certificate itself shows, and nothing else about the learner.
func (s *Server) verify(c echo.Context) error {
	raw := c.Param("code")
	if raw == "" {
		raw = c.QueryParam("code")
	}
	v := verifyView{Code: normaliseCode(raw)}
	status := http.StatusOK
	switch {
	case raw == "":
	case !codePattern.MatchString(v.Code):
		status, v.Error = http.StatusNotFound, "This is not a Lectern certificate code. Codes look like 7K2Q-9XMV-3HTP."
	default:
		comp, err := s.store.CompletionByCode(c.Request().Context(), v.Code)
		if errors.Is(err, store.ErrNotFound) {
			status, v.Error = http.StatusNotFound, "No certificate has this code."
			break
		}
		if err != nil {
			return err
		}
		v.Completion = comp
		v.Revoked, v.Replaced = comp.RevokedAt != nil, comp.ReplacedByID != nil
		v.Valid = !v.Revoked && (comp.ExpiresAt == nil || s.store.Now().Before(*comp.ExpiresAt))
	}
	return s.render(c, status, "verify", "Verify a certificate", v)
}
