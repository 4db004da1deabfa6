package web

// The page an invitation or a reset link opens: the user chooses a
// password, which uses the link up and signs them in. Opening the page
// changes nothing (mail scanners open links too); only the form does.

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

type setPasswordView struct {
	Token       string
	Invitation  bool
	Name, Email string
	Error       string
	Gone        bool // the link is unknown, used, expired or voided
	MinPassword int
}

// peekSetPassword finds the unused invitation or reset link of token.
func (s *Server) peekSetPassword(c echo.Context, token string) (*store.LoginLink, error) {
	if token == "" || len(token) > 100 {
		return nil, store.ErrNotFound
	}
	hash := account.HashToken(token)
	for _, purpose := range []string{store.LinkInvitation, store.LinkReset} {
		l, err := s.store.PeekLink(c.Request().Context(), hash, purpose)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return l, err
		}
	}
	return nil, store.ErrNotFound
}

func (s *Server) setPasswordPage(c echo.Context) error {
	token := strings.TrimSpace(c.QueryParam("t"))
	l, err := s.peekSetPassword(c, token)
	if errors.Is(err, store.ErrNotFound) {
		return s.render(c, http.StatusGone, "set_password", "Choose a password", setPasswordView{Gone: true})
	}
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "set_password", "Choose a password", setPasswordView{Token: token,
		Invitation: l.Purpose == store.LinkInvitation, Name: l.User.Name, Email: l.User.Email, MinPassword: account.MinPasswordLength})
}

func (s *Server) setPassword(c echo.Context) error {
	token := strings.TrimSpace(c.FormValue("t"))
	l, err := s.peekSetPassword(c, token)
	if errors.Is(err, store.ErrNotFound) {
		return s.render(c, http.StatusGone, "set_password", "Choose a password", setPasswordView{Gone: true})
	}
	if err != nil {
		return err
	}
	v := setPasswordView{Token: token, Invitation: l.Purpose == store.LinkInvitation, Name: l.User.Name, Email: l.User.Email,
		MinPassword: account.MinPasswordLength}
	password := c.FormValue("password")
	if err := account.CheckPasswordPolicy(password); err != nil {
		v.Error = passwordProblem(err)
		return s.render(c, http.StatusUnprocessableEntity, "set_password", "Choose a password", v)
	}
	if password != c.FormValue("password2") {
		v.Error = "The two passwords differ. Type the same password twice."
		return s.render(c, http.StatusUnprocessableEntity, "set_password", "Choose a password", v)
	}
	hash, err := account.HashPassword(password)
	if err != nil {
		return err
	}
	used, err := s.store.SetPasswordWithLink(c.Request().Context(), account.HashToken(token), l.Purpose, hash)
	if errors.Is(err, store.ErrNotFound) { // used by a request that raced this one
		return s.render(c, http.StatusGone, "set_password", "Choose a password", setPasswordView{Gone: true})
	}
	if err != nil {
		return err
	}
	if row, ok := c.Get(ctxSession).(*store.Session); ok {
		_ = s.store.DeleteSession(c.Request().Context(), row.ID) // whoever was signed in here is replaced
	}
	if err := s.startSession(c, &used.User); err != nil {
		return err
	}
	s.log.Info("password set with link", "user", used.User.Email, "purpose", used.Purpose)
	return c.Redirect(http.StatusSeeOther, s.landing(c, &used.User, courseTarget(used)))
}
