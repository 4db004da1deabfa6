package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

type loginForm struct {
	Email, Next, Error string
}

func (s *Server) healthz(c echo.Context) error {
	if _, err := s.store.SchemaVersion(c.Request().Context()); err != nil {
		return err
	}
	return c.String(http.StatusOK, "ok")
}

func (s *Server) loginPage(c echo.Context) error {
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return s.render(c, http.StatusOK, "login", "Sign in", loginForm{Next: safeNext(c.QueryParam("next"))})
}

// login checks the password. Unknown emails cost the same time as known ones
// and get the same answer, so the form does not reveal who has an account.
func (s *Server) login(c echo.Context) error {
	email := store.NormalizeEmail(c.FormValue("email"))
	password := c.FormValue("password")
	form := loginForm{Email: email, Next: safeNext(c.FormValue("next"))}
	addr := "addr:" + c.RealIP()

	if blocked, wait := s.emailThrottle.Blocked(email); blocked {
		form.Error = tooMany(wait)
		return s.render(c, http.StatusTooManyRequests, "login", "Sign in", form)
	}
	if blocked, wait := s.addrThrottle.Blocked(addr); blocked {
		form.Error = tooMany(wait)
		return s.render(c, http.StatusTooManyRequests, "login", "Sign in", form)
	}
	user, err := s.store.UserByEmail(c.Request().Context(), email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		account.VerifyNothing(password)
	case err != nil:
		return err
	default:
		err = account.VerifyPassword(user.PasswordHash, password)
	}
	if err != nil || !user.Active {
		s.emailThrottle.Fail(email)
		s.addrThrottle.Fail(addr)
		s.log.Info("sign-in failed", "email", email, "addr", c.RealIP())
		form.Error = "The email or password is wrong."
		return s.render(c, http.StatusUnauthorized, "login", "Sign in", form)
	}
	s.emailThrottle.Succeed(email)
	if err := s.startSession(c, user); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, form.Next)
}

func tooMany(wait time.Duration) string {
	mins := int(wait.Round(time.Minute) / time.Minute)
	if mins < 1 {
		mins = 1
	}
	return fmt.Sprintf("Too many failed sign-ins. Try again in %d minute%s, or ask an administrator for a sign-in link.", mins, map[bool]string{true: "", false: "s"}[mins == 1])
}

func (s *Server) logout(c echo.Context) error {
	if err := s.endSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}

// loginLink signs in with a single-use link and opens the course it names.
func (s *Server) loginLink(c echo.Context) error {
	link, err := s.store.UseLoginLink(c.Request().Context(), account.HashToken(c.Param("token")))
	if errors.Is(err, store.ErrNotFound) {
		return s.render(c, http.StatusGone, "login", "Sign in", loginForm{
			Next:  "/",
			Error: "This sign-in link has expired or was already used. Ask your administrator for a new one.",
		})
	}
	if err != nil {
		return err
	}
	if row, ok := c.Get(ctxSession).(*store.Session); ok {
		_ = s.store.DeleteSession(c.Request().Context(), row.ID) // whoever was signed in here is replaced
	}
	if err := s.startSession(c, &link.User); err != nil {
		return err
	}
	s.log.Info("signed in with link", "user", link.User.Email)
	next := "/"
	if link.CourseID != nil {
		next = fmt.Sprintf("/courses/%d", *link.CourseID)
	}
	return c.Redirect(http.StatusSeeOther, next)
}

// safeNext keeps post-sign-in redirects on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}
