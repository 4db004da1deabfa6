package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/store"
)

// rulesView is the course's compliance rules page: the form, the sentence
// that says what counts, and either a preview of what a change would do to
// the records or the records that do not follow the current rules.
type rulesView struct {
	Course   *store.Course
	Form     rulesForm
	Sentence string
	Preview  *compliance.Preview // a proposed change, awaiting confirmation
	Pending  *compliance.Preview // records not following the current rules
	Reason   string
	Error    string
	Notice   string
}

// rulesForm is the form as typed, so it can be shown again.
type rulesForm struct {
	PassRule, AttemptPolicy, MaxAttempts, ValidityMonths string
	PriorWork                                            bool
}

func formOfRules(r store.CourseRules) rulesForm {
	f := rulesForm{PassRule: r.PassRule, AttemptPolicy: r.AttemptPolicy, PriorWork: !r.IgnorePriorWork}
	if r.MaxAttempts > 0 {
		f.MaxAttempts = strconv.Itoa(r.MaxAttempts)
	}
	if r.ValidityMonths != nil {
		f.ValidityMonths = strconv.Itoa(*r.ValidityMonths)
	}
	return f
}

// rules reads the form into rules; a message says what is wrong.
func (f rulesForm) rules() (store.CourseRules, string) {
	r := store.CourseRules{PassRule: f.PassRule, AttemptPolicy: f.AttemptPolicy, IgnorePriorWork: !f.PriorWork}
	if v := strings.TrimSpace(f.MaxAttempts); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > compliance.MaxAttemptsLimit {
			return r, fmt.Sprintf("The maximum number of attempts is a number from 1 to %d, or empty for no limit.", compliance.MaxAttemptsLimit)
		}
		r.MaxAttempts = n
	}
	if v := strings.TrimSpace(f.ValidityMonths); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > compliance.MaxValidityMonths {
			return r, fmt.Sprintf("A completion stays valid for 1 to %d months, or leave the field empty for no expiry.", compliance.MaxValidityMonths)
		}
		r.ValidityMonths = &n
	}
	if err := compliance.CheckRules(r); err != nil {
		return r, "Choose a pass rule and which attempt counts from the lists."
	}
	return r, ""
}

func readRulesForm(c echo.Context) rulesForm {
	return rulesForm{PassRule: c.FormValue("pass_rule"), AttemptPolicy: c.FormValue("attempt_policy"),
		MaxAttempts: c.FormValue("max_attempts"), ValidityMonths: c.FormValue("validity_months"), PriorWork: c.FormValue("prior_work") == "on"}
}

// sentenceOf says what counts for a course under rules, with its current
// version's pass criterion.
func (s *Server) sentenceOf(c echo.Context, co *store.Course, r store.CourseRules) (string, error) {
	crit := compliance.Criterion{}
	if co.CurrentVersionID != nil {
		v, err := s.store.VersionByID(c.Request().Context(), *co.CurrentVersionID)
		if err != nil {
			return "", err
		}
		crit = compliance.CriterionOf(v)
	}
	return compliance.Sentence(r, crit), nil
}

func (s *Server) courseRules(c echo.Context) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	return s.renderRules(c, http.StatusOK, rulesView{Course: co, Form: formOfRules(store.RulesOf(co)), Notice: c.QueryParam("notice")})
}

func (s *Server) renderRules(c echo.Context, status int, v rulesView) error {
	ctx := c.Request().Context()
	current := store.RulesOf(v.Course)
	var err error
	if v.Sentence, err = s.sentenceOf(c, v.Course, current); err != nil {
		return err
	}
	if v.Preview == nil {
		// After an upgrade (or an interrupted change) records may not follow
		// the current rules; say so and offer the recompute.
		p, err := s.comp.PreviewRules(ctx, v.Course.ID, current)
		if err != nil {
			return err
		}
		if len(p.Changes) > 0 {
			v.Pending = p
		}
	}
	return s.render(c, status, "admin_rules", v.Course.Title+": compliance rules", v)
}

// previewRules shows what the submitted rules would change; a change that
// touches no record is saved at once.
func (s *Server) previewRules(c echo.Context) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	form := readRulesForm(c)
	r, msg := form.rules()
	if msg != "" {
		return s.renderRules(c, http.StatusUnprocessableEntity, rulesView{Course: co, Form: form, Error: msg})
	}
	p, err := s.comp.PreviewRules(c.Request().Context(), co.ID, r)
	if err != nil {
		return err
	}
	if len(p.Changes) == 0 {
		if r == store.RulesOf(co) {
			return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/courses/%d/rules?notice=%s", co.ID, url.QueryEscape("Nothing changed.")))
		}
		return s.applyRules(c, co, r, "", p.Digest)
	}
	return s.renderRules(c, http.StatusOK, rulesView{Course: co, Form: form, Preview: p})
}

// confirmRules applies the previewed rules with the admin's reason.
func (s *Server) confirmRules(c echo.Context) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	form := readRulesForm(c)
	r, msg := form.rules()
	if msg != "" {
		return s.renderRules(c, http.StatusUnprocessableEntity, rulesView{Course: co, Form: form, Error: msg})
	}
	digest := c.FormValue("digest")
	if digest == "" {
		return echo.NewHTTPError(http.StatusBadRequest, "Confirm the preview of the change.")
	}
	return s.applyRules(c, co, r, c.FormValue("reason"), digest)
}

func (s *Server) applyRules(c echo.Context, co *store.Course, r store.CourseRules, reason, digest string) error {
	reason = strings.TrimSpace(reason)
	form := formOfRules(r)
	if len(reason) > store.MaxReasonLength {
		p, err := s.comp.PreviewRules(c.Request().Context(), co.ID, r)
		if err != nil {
			return err
		}
		return s.renderRules(c, http.StatusUnprocessableEntity, rulesView{Course: co, Form: form, Preview: p, Reason: reason,
			Error: fmt.Sprintf("The reason is longer than %d characters.", store.MaxReasonLength)})
	}
	p, err := s.comp.ApplyRules(c.Request().Context(), co.ID, r, reason, digest)
	switch {
	case errors.Is(err, compliance.ErrPreviewChanged):
		return s.renderRules(c, http.StatusConflict, rulesView{Course: co, Form: form, Preview: p, Reason: reason,
			Error: "The records changed since the preview, so nothing was changed. Check this new preview and confirm again."})
	case errors.Is(err, compliance.ErrInvalidRules) && p != nil:
		return s.renderRules(c, http.StatusUnprocessableEntity, rulesView{Course: co, Form: form, Preview: p, Reason: reason,
			Error: "Say why you change the rules: the change alters learners' records, and the audit trail keeps the reason."})
	case err != nil:
		return err
	}
	notice := "Rules saved."
	if len(p.Changes) > 0 {
		notice = "Rules saved and records recomputed: " + strings.TrimSuffix(strings.NewReplacer(" would be ", " ", " would ", " ").Replace(p.Summary()), ".") + "."
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/courses/%d/rules?notice=%s", co.ID, url.QueryEscape(notice)))
}
