package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

const (
	sessionName = "lectern"
	ctxUser     = "user"
	ctxSession  = "session"
	ctxCSRF     = "csrf"
)

// recoverPanics turns a panic into a logged 500; no stack reaches the user.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("panic", "path", c.Request().URL.Path, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = echo.NewHTTPError(http.StatusInternalServerError)
			}
		}()
		return next(c)
	}
}

// requestLog writes one line per request.
func (s *Server) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // write the error response now so the status below is right
		}
		r := c.Request()
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", c.Response().Status), slog.Duration("took", time.Since(start)))
		return nil
	}
}

// securityHeaders: LMS pages load only their own scripts and styles, cannot be
// framed by other sites, and leak no URLs in Referer.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		if s.opt.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// csrf protects every state-changing request. Browsers that send
// Sec-Fetch-Site are checked by it (same-origin only; the content origin is
// same-site, not same-origin, and is refused); others must echo the token of
// the _csrf cookie in the X-CSRF-Token header or the _csrf form field.
func (s *Server) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		Skipper:        apiSkipsCSRF, // see api.go
		TokenLookup:    "header:X-CSRF-Token,form:_csrf",
		ContextKey:     ctxCSRF,
		CookieName:     "_csrf",
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   s.opt.SecureCookies,
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   86400,
		// A state-changing request a browser marks same-site or cross-site is
		// refused outright. Falling back to the token would let the content
		// origin (same host, another port, so same-site) plant its own _csrf
		// cookie, since cookies ignore ports.
		AllowSecFetchSiteFunc: func(c echo.Context) (bool, error) {
			return false, echo.NewHTTPError(http.StatusForbidden, "This request did not come from a Lectern page.")
		},
		ErrorHandler: func(err error, c echo.Context) error {
			return echo.NewHTTPError(http.StatusForbidden, "This form has expired or did not come from Lectern. Go back, reload the page and try again.")
		},
	})
}

// loadUser puts the signed-in user, if any, into the context. A revoked,
// expired or deactivated session simply reads as signed out.
func (s *Server) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, err := s.cookies.Get(c.Request(), sessionName)
		if err != nil {
			return next(c) // undecodable cookie: treat as signed out
		}
		token, _ := sess.Values["token"].(string)
		if token == "" {
			return next(c)
		}
		row, user, err := s.store.SessionUser(c.Request().Context(), account.HashToken(token))
		switch {
		case errors.Is(err, store.ErrNotFound):
			return next(c)
		case err != nil:
			return err
		}
		c.Set(ctxUser, user)
		c.Set(ctxSession, row)
		return next(c)
	}
}

func currentUser(c echo.Context) *store.User {
	u, _ := c.Get(ctxUser).(*store.User)
	return u
}

// requireUser sends signed-out visitors to the sign-in page, and back here after.
func (s *Server) requireUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if currentUser(c) != nil {
			return next(c)
		}
		if c.Request().Method == http.MethodGet {
			return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
		}
		return echo.NewHTTPError(http.StatusUnauthorized, "Please sign in.")
	}
}

func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := currentUser(c); u == nil || !u.Admin {
			return echo.NewHTTPError(http.StatusForbidden, "This page is for administrators.")
		}
		return next(c)
	}
}

// startSession signs user in with a fresh token (never reusing one from
// before sign-in, against session fixation).
func (s *Server) startSession(c echo.Context, user *store.User) error {
	token := account.NewToken()
	if _, err := s.store.CreateSession(c.Request().Context(), account.HashToken(token), user.ID, s.opt.SessionLifetime, c.RealIP()); err != nil {
		return err
	}
	sess, _ := s.cookies.New(c.Request(), sessionName)
	sess.Values["token"] = token
	return sess.Save(c.Request(), c.Response())
}

// endSession revokes the current session server-side and clears the cookie.
func (s *Server) endSession(c echo.Context) error {
	if row, ok := c.Get(ctxSession).(*store.Session); ok {
		if err := s.store.DeleteSession(c.Request().Context(), row.ID); err != nil {
			return err
		}
	}
	sess, _ := s.cookies.New(c.Request(), sessionName)
	sess.Options.MaxAge = -1
	return sess.Save(c.Request(), c.Response())
}
