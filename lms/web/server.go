// Package web is Lectern's HTTP layer: routes, middleware, handlers and page
// rendering. Echo types stay inside this package.
package web

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
)

// Options is what the web layer needs from the configuration.
type Options struct {
	BaseURL          string
	SecureCookies    bool
	SessionLifetime  time.Duration
	LoginMaxFailures int
	LoginWindow      time.Duration
	MaxUploadBytes   int64
	StagingDir       string
	ContentURL       string // public URL of the content origin (player frames, SCOs)
	Organisation     string
	Location         *time.Location // dates are shown in the organisation's time zone
	SessionKeys      [][]byte       // gorilla/securecookie hash and block keys
	Templates        fs.FS          // the templates/ folder
	Static           fs.FS          // the static/ folder
}

// Server handles the LMS origin.
type Server struct {
	opt      Options
	store    *store.Store
	importer *course.Importer
	rt       *runtime.Service
	comp     *compliance.Service
	log      *slog.Logger

	echo          *echo.Echo
	pages         map[string]*pageTemplate
	staticVersion string
	cookies       *sessions.CookieStore
	emailThrottle *account.Throttle
	addrThrottle  *account.Throttle
}

// New builds the server and parses every template; a broken template is a
// start-up error, not a runtime one.
// Services are the application services the handlers call.
type Services struct {
	Importer   *course.Importer
	Runtime    *runtime.Service
	Compliance *compliance.Service
}

func New(opt Options, st *store.Store, svc Services, log *slog.Logger) (*Server, error) {
	if len(opt.SessionKeys) != 2 {
		return nil, errors.New("web: want a session hash key and block key")
	}
	s := &Server{opt: opt, store: st, importer: svc.Importer, rt: svc.Runtime, comp: svc.Compliance, log: log}
	var err error
	if s.staticVersion, err = contentVersion(opt.Static); err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	if s.pages, err = parsePages(opt.Templates, s.funcs()); err != nil {
		return nil, err
	}
	s.cookies = sessions.NewCookieStore(opt.SessionKeys[0], opt.SessionKeys[1])
	s.cookies.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(opt.SessionLifetime / time.Second),
		HttpOnly: true,
		Secure:   opt.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	}
	// An office behind one address gets more room than one email.
	s.emailThrottle = account.NewThrottle(opt.LoginMaxFailures, opt.LoginWindow, st.Now)
	s.addrThrottle = account.NewThrottle(opt.LoginMaxFailures*4, opt.LoginWindow, st.Now)
	s.echo = echo.New()
	s.echo.HideBanner, s.echo.HidePort = true, true
	s.echo.HTTPErrorHandler = s.handleError
	s.routes()
	return s, nil
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Sweep deletes expired sessions and sign-in links; call it now and then.
func (s *Server) Sweep(ctx context.Context) error { return s.store.DeleteExpiredSessions(ctx) }
