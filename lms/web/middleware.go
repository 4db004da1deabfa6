package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

const (
	sessionName = "lectern"
	ctxUser     = "user"
	ctxSession  = "session"
	ctxCSRF     = "csrf"

	// sessionTouchEvery is how stale a session's last use may get before it
	// is written again; the idle limit is accurate to it.
	sessionTouchEvery = time.Minute
)

// recoverPanics turns a panic into a logged 500; no stack reaches the user.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("panic", "path", logPath(c.Request().URL.Path), "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
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
			slog.String("method", r.Method), slog.String("path", logPath(r.URL.Path)),
			slog.Int("status", c.Response().Status), slog.Duration("took", time.Since(start)))
		return nil
	}
}

// secretPaths are the routes whose path carries a secret: whatever follows
// the prefix is left out of the log. (Queries are never logged.)
var secretPaths = []string{"/login/link/", "/verify/", "/certificates/", "/admin/certificates/", "/api/v1/certificates/"}

// logPath is a request path as the log may show it: without sign-in link
// tokens or certificate codes.
func logPath(p string) string {
	for _, prefix := range secretPaths {
		if strings.HasPrefix(p, prefix) && len(p) > len(prefix) {
			return prefix + "…"
		}
	}
	return p
}

// pageCSP is the Content-Security-Policy of LMS pages: only their own
// scripts and styles, and frames as frameSrc allows ("" for none).
func pageCSP(frameSrc, frameAncestors string) string {
	csp := "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
	if frameSrc != "" {
		csp += "frame-src " + frameSrc + "; "
	}
	return csp + "frame-ancestors " + frameAncestors + "; form-action 'self'; base-uri 'none'; object-src 'none'"
}

// securityHeaders: LMS pages load only their own scripts and styles, cannot be
// framed by other sites, and leak no URLs in Referer.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", pageCSP("", "'self'"))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "SAMEORIGIN")
		if s.opt.SecureCookies {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// loadUser puts the signed-in user, if any, into the context. A revoked,
// expired or deactivated session simply reads as signed out.
func (s *Server) loadUser(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		sess, err := s.cookies.Get(c.Request(), s.sessionCookie)
		if err != nil {
			return next(c) // undecodable cookie: treat as signed out
		}
		token, _ := sess.Values["token"].(string)
		if token == "" {
			return next(c)
		}
		ctx := c.Request().Context()
		row, user, err := s.store.SessionUser(ctx, account.HashToken(token), s.opt.SessionIdle)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return next(c)
		case err != nil:
			return err
		}
		// The idle clock is kept to the minute: one write a minute at most.
		if s.opt.SessionIdle > 0 && s.store.Now().Sub(row.LastSeenAt) >= sessionTouchEvery {
			if err := s.store.TouchSession(ctx, row.ID); err != nil {
				s.log.Warn("could not record session use", "err", err)
			}
		}
		c.Set(ctxUser, user)
		c.Set(ctxSession, row)
		// Whatever the request changes is recorded as this user's doing.
		c.SetRequest(c.Request().WithContext(store.WithActor(c.Request().Context(), store.UserActor(user, store.ViaWeb))))
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

// requireAdmin admits admins only. Admin pages may not be framed at all, not
// even by Lectern's own pages (against clickjacking of admin actions).
func (s *Server) requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if u := currentUser(c); u == nil || !u.Admin {
			return echo.NewHTTPError(http.StatusForbidden, "This page is for administrators.")
		}
		h := c.Response().Header()
		h.Set("Content-Security-Policy", pageCSP("", "'none'"))
		h.Set("X-Frame-Options", "DENY")
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
	sess, _ := s.cookies.New(c.Request(), s.sessionCookie)
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
	sess, _ := s.cookies.New(c.Request(), s.sessionCookie)
	sess.Options.MaxAge = -1
	return sess.Save(c.Request(), c.Response())
}
