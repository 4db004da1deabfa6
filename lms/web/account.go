package web

// A learner's own account page: their name, their language (which courses
// receive as cmi.learner_preference.language), and their password, changed
// with the current one or through an emailed link when they do not know it.

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

// Language is one choice of the language list.
type Language struct{ Code, Name string }

// languages are offered on the account page: ISO 639-1 codes, which SCORM's
// language types accept, named in their own language.
var languages = []Language{
	{"ar", "العربية (Arabic)"}, {"cs", "Čeština (Czech)"}, {"da", "Dansk (Danish)"}, {"de", "Deutsch (German)"},
	{"el", "Ελληνικά (Greek)"}, {"en", "English"}, {"es", "Español (Spanish)"}, {"fi", "Suomi (Finnish)"},
	{"fr", "Français (French)"}, {"he", "עברית (Hebrew)"}, {"hi", "हिन्दी (Hindi)"}, {"hu", "Magyar (Hungarian)"},
	{"it", "Italiano (Italian)"}, {"ja", "日本語 (Japanese)"}, {"ko", "한국어 (Korean)"}, {"nl", "Nederlands (Dutch)"},
	{"no", "Norsk (Norwegian)"}, {"pl", "Polski (Polish)"}, {"pt", "Português (Portuguese)"}, {"ro", "Română (Romanian)"},
	{"ru", "Русский (Russian)"}, {"sv", "Svenska (Swedish)"}, {"tr", "Türkçe (Turkish)"}, {"uk", "Українська (Ukrainian)"},
	{"zh", "中文 (Chinese)"},
}

func knownLanguage(code string) bool {
	if code == "" {
		return true
	}
	for _, l := range languages {
		if l.Code == code {
			return true
		}
	}
	return false
}

type accountView struct {
	Name, Language string
	Languages      []Language
	Notice, Error  string
	PasswordError  string
	MinPassword    int
	SSOLabel       string // set when the user is linked to single sign-on
}

var accountNotices = map[string]string{
	"saved":    "Your details were saved.",
	"password": "Your password was changed. You were signed out on your other devices.",
	"link":     "A link to choose a new password is on its way to your email address.",
}

func (s *Server) accountPage(c echo.Context) error {
	return s.renderAccount(c, http.StatusOK, nil, accountNotices[c.QueryParam("done")], "", "")
}

func (s *Server) renderAccount(c echo.Context, status int, edited *accountView, notice, formErr, pwErr string) error {
	u := currentUser(c)
	v := accountView{Name: u.Name, Language: u.Language}
	if edited != nil {
		v.Name, v.Language = edited.Name, edited.Language
	}
	v.Languages, v.Notice, v.Error, v.PasswordError, v.MinPassword = languages, notice, formErr, pwErr, account.MinPasswordLength
	if u.SSOSubject != nil && s.opt.SSO != nil {
		v.SSOLabel = s.opt.SSO.Label()
	}
	return s.render(c, status, "account", "Your account", v)
}

// updateAccount saves the learner's name and language.
func (s *Server) updateAccount(c echo.Context) error {
	u := currentUser(c)
	v := &accountView{Name: strings.TrimSpace(c.FormValue("name")), Language: c.FormValue("language")}
	if msg := checkUserForm(userForm{Email: u.Email, Name: v.Name}); msg != "" {
		return s.renderAccount(c, http.StatusUnprocessableEntity, v, "", msg, "")
	}
	if !knownLanguage(v.Language) {
		return s.renderAccount(c, http.StatusUnprocessableEntity, v, "", "Choose a language from the list.", "")
	}
	if err := s.store.UpdateOwnAccount(c.Request().Context(), u, v.Name, v.Language); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account?done=saved")
}

// changePassword needs the current password: a session left open on a
// shared computer must not be enough to take the account over.
func (s *Server) changePassword(c echo.Context) error {
	u := currentUser(c)
	key := "account:" + u.Email
	ctx := c.Request().Context()
	if blocked, wait, err := s.emailThrottle.Blocked(ctx, key); err != nil {
		return err
	} else if blocked {
		return s.renderAccount(c, http.StatusTooManyRequests, nil, "", "", tooMany(wait))
	}
	if err := account.VerifyPassword(u.PasswordHash, c.FormValue("current")); err != nil {
		if err := s.emailThrottle.Fail(ctx, key); err != nil {
			return err
		}
		return s.renderAccount(c, http.StatusUnprocessableEntity, nil, "", "",
			"Your current password is not right. If you do not know it, have a link emailed to you below.")
	}
	if err := s.emailThrottle.Succeed(ctx, key); err != nil {
		return err
	}
	password := c.FormValue("password")
	if err := account.CheckPasswordPolicy(password); err != nil {
		return s.renderAccount(c, http.StatusUnprocessableEntity, nil, "", "", passwordProblem(err))
	}
	if password != c.FormValue("password2") {
		return s.renderAccount(c, http.StatusUnprocessableEntity, nil, "", "", "The two new passwords differ. Type the same password twice.")
	}
	hash, err := account.HashPassword(password)
	if err != nil {
		return err
	}
	row, _ := c.Get(ctxSession).(*store.Session)
	keep := ""
	if row != nil {
		keep = row.ID
	}
	if err := s.store.ChangeOwnPassword(c.Request().Context(), u, hash, keep); err != nil {
		return err
	}
	s.log.Info("password changed by its user", "user", u.Email)
	return c.Redirect(http.StatusSeeOther, "/account?done=password")
}

// passwordLinkForSelf emails the signed-in user a reset link, for users who
// never knew their password (imported, created by the API).
func (s *Server) passwordLinkForSelf(c echo.Context) error {
	u := currentUser(c)
	ctx := c.Request().Context()
	if blocked, wait, err := s.resetLimiter.Blocked(ctx, u.Email); err != nil {
		return err
	} else if blocked {
		return s.renderAccount(c, http.StatusTooManyRequests, nil, "", "", fmt.Sprintf("A link was sent a moment ago; check your email, or try again in %d minutes.", max(1, int(wait.Minutes()+0.5))))
	}
	if err := s.resetLimiter.Fail(ctx, u.Email); err != nil {
		return err
	}
	audit := &store.AuditEntry{ActorID: store.Ref(u.ID), ActorName: u.Name + " <" + u.Email + ">", Via: store.ViaWeb,
		Action: "account.reset-request", SubjectUserID: store.Ref(u.ID), Target: u.Email}
	if _, err := s.emailLink(ctx, u, store.LinkReset, nil, "", audit); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return echo.NewHTTPError(http.StatusNotFound, "No such user.")
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/account?done=link")
}
