package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

type loginForm struct {
	Email, Next, Error string
	SSOLabel           string // "" when single sign-on is off
}

// readyz says whether this instance can serve: the store's migrations are
// current and a real write succeeds (rolled back). 503 otherwise; the
// reason goes to the log, not to the anonymous caller.
// Both listeners answer it, so that a proxy can check each backend.
func (s *Server) readyz(c echo.Context) error { return readiness(c, s.store, s.log) }

func readiness(c echo.Context, st *store.Store, log *slog.Logger) error {
	if err := st.Ready(c.Request().Context()); err != nil {
		log.Error("not ready", "err", err)
		return c.String(http.StatusServiceUnavailable, "not ready")
	}
	return c.String(http.StatusOK, "ready")
}

func (s *Server) healthz(c echo.Context) error {
	if _, err := s.store.SchemaVersion(c.Request().Context()); err != nil {
		return err
	}
	return c.String(http.StatusOK, "ok")
}

func (s *Server) loginPage(c echo.Context) error {
	if u := currentUser(c); u != nil {
		return c.Redirect(http.StatusSeeOther, s.landing(c, u, safeNext(c.QueryParam("next"))))
	}
	if sent, err := s.toSetup(c); sent || err != nil {
		return err
	}
	return s.renderLogin(c, http.StatusOK, loginForm{Next: safeNext(c.QueryParam("next"))})
}

// renderLogin shows the sign-in page, with the single sign-on button when
// it is configured.
func (s *Server) renderLogin(c echo.Context, status int, form loginForm) error {
	if s.opt.SSO != nil {
		form.SSOLabel = s.opt.SSO.Label()
	}
	return s.render(c, status, "login", "Sign in", form)
}

// login checks the password. Unknown emails cost the same time as known ones
// and get the same answer, so the form does not reveal who has an account.
func (s *Server) login(c echo.Context) error {
	email := store.NormalizeEmail(c.FormValue("email"))
	password := c.FormValue("password")
	form := loginForm{Email: email, Next: safeNext(c.FormValue("next"))}
	addr := "addr:" + c.RealIP()

	ctx := c.Request().Context()
	for _, th := range []struct {
		t   *store.Throttle
		key string
	}{{s.emailThrottle, email}, {s.addrThrottle, addr}} {
		blocked, wait, err := th.t.Blocked(ctx, th.key)
		if err != nil {
			return err
		}
		if blocked {
			form.Error = tooMany(wait)
			return s.renderLogin(c, http.StatusTooManyRequests, form)
		}
	}
	user, err := s.store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		account.VerifyNothing(password)
	case err != nil:
		return err
	default:
		err = account.VerifyPassword(user.PasswordHash, password)
	}
	if err != nil || !user.Active {
		if err := errors.Join(s.emailThrottle.Fail(ctx, email), s.addrThrottle.Fail(ctx, addr)); err != nil {
			return err
		}
		s.log.Info("sign-in failed", "email", email, "addr", c.RealIP())
		form.Error = "The email or password is wrong."
		return s.renderLogin(c, http.StatusUnauthorized, form)
	}
	if err := s.emailThrottle.Succeed(ctx, email); err != nil {
		return err
	}
	if err := s.startSession(c, user); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, s.landing(c, user, form.Next))
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
		return s.renderLogin(c, http.StatusGone, loginForm{
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
	return c.Redirect(http.StatusSeeOther, s.landing(c, &link.User, courseTarget(link)))
}

// safeNext keeps post-sign-in redirects on this site: it accepts only a
// path on this origin, rebuilt from its parsed parts. Anything a browser
// could read as another host is refused outright: backslashes (read as
// slashes), control characters and white space (tabs and line breaks are
// dropped from URLs, so "/\t/evil" becomes "//evil"), a scheme, a host, or a
// path that starts with two slashes once cleaned.
func safeNext(next string) string {
	const home = "/"
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") {
		return home
	}
	for _, r := range next {
		if r < 0x21 || r == 0x7f || r == '\\' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return home
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	p := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && p != "/" {
		p += "/"
	}
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") {
		return home
	}
	out := (&url.URL{Path: p, RawQuery: u.RawQuery}).String()
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.ContainsAny(out, "\\") {
		return home
	}
	return out
}
