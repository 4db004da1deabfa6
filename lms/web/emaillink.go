package web

// Emailed sign-in links (sent in bulk by an administrator, or in a
// reminder, opening its course). Unlike the links an administrator hands
// over in person, opening one only shows who it signs in and where it
// leads: mail scanners fetch the links in messages, and would use them up.
// The button signs in.

import (
	"errors"

	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

type emailLinkView struct {
	Token       string
	Name, Email string
	CourseTitle string
	Gone        bool
}

func (s *Server) emailLinkPage(c echo.Context) error {
	token := strings.TrimSpace(c.QueryParam("t"))
	ctx := c.Request().Context()
	var l *store.LoginLink
	err := store.ErrNotFound
	if token != "" && len(token) <= 100 {
		l, err = s.store.PeekLink(ctx, account.HashToken(token), store.LinkSignIn)
	}
	if errors.Is(err, store.ErrNotFound) {
		return s.render(c, http.StatusGone, "email_link", "Sign in", emailLinkView{Gone: true})
	}
	if err != nil {
		return err
	}
	// Already signed in as the link's user: no need to use the link up.
	if u := currentUser(c); u != nil && u.ID == l.UserID {
		return c.Redirect(http.StatusSeeOther, s.landing(c, u, courseTarget(l)))
	}
	v := emailLinkView{Token: token, Name: l.User.Name, Email: l.User.Email}
	if l.CourseID != nil {
		if co, err := s.store.CourseByID(ctx, *l.CourseID); err == nil {
			v.CourseTitle = co.Title
		}
	}
	return s.render(c, http.StatusOK, "email_link", "Sign in", v)
}

func (s *Server) useEmailLink(c echo.Context) error {
	token := strings.TrimSpace(c.FormValue("t"))
	if token == "" || len(token) > 100 {
		return s.render(c, http.StatusGone, "email_link", "Sign in", emailLinkView{Gone: true})
	}
	l, err := s.store.UseLink(c.Request().Context(), account.HashToken(token), store.LinkSignIn)
	if errors.Is(err, store.ErrNotFound) {
		return s.render(c, http.StatusGone, "email_link", "Sign in", emailLinkView{Gone: true})
	}
	if err != nil {
		return err
	}
	if row, ok := c.Get(ctxSession).(*store.Session); ok {
		_ = s.store.DeleteSession(c.Request().Context(), row.ID)
	}
	if err := s.startSession(c, &l.User); err != nil {
		return err
	}
	s.log.Info("signed in with emailed link", "user", l.User.Email)
	return c.Redirect(http.StatusSeeOther, s.landing(c, &l.User, courseTarget(l)))
}
