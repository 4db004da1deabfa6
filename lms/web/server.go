// Package web is Lectern's HTTP layer: routes, middleware, handlers and page
// rendering. Echo types stay inside this package.
package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/lti"
	"github.com/lectern/lectern/lms/notify"
	"github.com/lectern/lectern/lms/org"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/sso"
	"github.com/lectern/lectern/lms/store"
)

// Options is what the web layer needs from the configuration.
type Options struct {
	BaseURL          string
	TrustedProxies   []*net.IPNet  // X-Forwarded-For is believed only from these
	TransferTimeout  time.Duration // read and write deadline of a package upload
	SecureCookies    bool
	SessionLifetime  time.Duration // a sign-in ends this long after it began
	SessionIdle      time.Duration // ... or this long after its last use (0: never)
	LoginMaxFailures int
	LoginWindow      time.Duration
	MaxUploadBytes   int64
	MaxFormBytes     int64 // largest body of any other request (forms)
	EvidenceMaxBytes int64 // largest evidence file of an offline completion
	// ReportMaxRecipients bounds the addresses of a scheduled report (0: 20).
	ReportMaxRecipients int
	CourseLimits        CourseLimits
	StagingDir          string
	ContentURL          string // public URL of the content origin (player frames, SCOs)
	Organisation        string
	Location            *time.Location // dates are shown in the organisation's time zone
	// Org, when set, is the organisation's name and time zone as they are
	// now, read instead of Organisation and Location (the set-up page
	// changes it). OrgNameFixed and TimeZoneFixed say that a flag or the
	// environment sets them, so the set-up page does not offer them.
	Org                         *org.Profile
	OrgNameFixed, TimeZoneFixed bool
	// SetupCode opens the set-up page to a browser elsewhere than on this
	// machine while no administrator exists; "" for none.
	SetupCode string

	LoginLinkTTL     time.Duration // sign-in links made on the user page (default 15 minutes)
	InviteTTL        time.Duration // invitations' set-password links (default 7 days)
	ResetTTL         time.Duration // password-reset links (default 1 hour)
	EmailLinkTTL     time.Duration // emailed sign-in links (default 72 hours)
	ResetMaxRequests int           // reset emails per address within ResetWindow (default 3)
	ResetWindow      time.Duration // (default 1 hour)
	// Mail composes account emails and wakes their delivery; nil: a
	// notifier without a sender, so emails wait in the outbox.
	Mail *notify.Notifier
	// SSO is OpenID Connect sign-in; nil: off.
	SSO         *sso.Client
	SessionKeys [][]byte // gorilla/securecookie hash and block keys
	Templates   fs.FS    // the templates/ folder
	Static      fs.FS    // the static/ folder
}

// Server handles the LMS origin.
type Server struct {
	opt      Options
	store    *store.Store
	importer *course.Importer
	rt       *runtime.Service
	comp     *compliance.Service
	lti      *lti.Service // nil: LTI is off
	log      *slog.Logger

	echo          *echo.Echo
	pages         map[string]*pageTemplate
	staticVersion string
	cookies       *sessions.CookieStore
	sessionCookie string // "lectern", or "__Host-lectern" over https
	csrfCookie    string // the anonymous CSRF cookie (sign-in form only)
	sealKey       []byte // derives the keys that seal pending batches in the browser (see sealKeyOf)
	csrfKey       []byte
	origin        string           // scheme://host of BaseURL, what Origin headers must say
	large         map[string]int64 // routes with a larger body limit, for admins
	emailThrottle *store.Throttle  // failed sign-ins and password checks per account
	addrThrottle  *store.Throttle  // failed sign-ins per client address

	setup        setupState
	resetLimiter *store.Throttle   // reset emails per address
	resetAddr    *store.Throttle   // reset requests per client address
	resets       chan resetRequest // see forgot.go
	accounts     sync.WaitGroup    // background account work, waited for by Close
}

// New builds the server and parses every template; a broken template is a
// start-up error, not a runtime one.
// Services are the application services the handlers call.
type Services struct {
	Importer   *course.Importer
	Runtime    *runtime.Service
	Compliance *compliance.Service
	LTI        *lti.Service
}

func New(opt Options, st *store.Store, svc Services, log *slog.Logger) (*Server, error) {
	if len(opt.SessionKeys) != 2 {
		return nil, errors.New("web: want a session hash key and block key")
	}
	if opt.Org == nil {
		// One profile that the settings page can change while Lectern runs.
		opt.Org = org.New(opt.Organisation, opt.Location)
	}
	s := &Server{opt: opt, store: st, importer: svc.Importer, rt: svc.Runtime, comp: svc.Compliance, lti: svc.LTI, log: log}
	var err error
	if s.staticVersion, err = contentVersion(opt.Static); err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	if s.pages, err = parsePages(opt.Templates, s.funcs()); err != nil {
		return nil, err
	}
	if opt.EvidenceMaxBytes <= 0 {
		return nil, errors.New("web: EvidenceMaxBytes must be positive")
	}
	if opt.MaxFormBytes <= 0 {
		return nil, errors.New("web: MaxFormBytes must be positive")
	}
	u, err := url.Parse(opt.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("web: base URL: %w", err)
	}
	s.origin = u.Scheme + "://" + u.Host
	// Over https the cookies carry the __Host- prefix: the browser then
	// refuses them unless they are Secure, host-only and for the whole site,
	// so no subdomain can plant or shadow them.
	s.sessionCookie, s.csrfCookie = sessionName, "_csrf"
	if opt.SecureCookies {
		s.sessionCookie, s.csrfCookie = "__Host-"+sessionName, "__Host-csrf"
	}
	mac := hmac.New(sha256.New, opt.SessionKeys[0])
	mac.Write([]byte("lectern csrf"))
	s.csrfKey = mac.Sum(nil)
	mac = hmac.New(sha256.New, opt.SessionKeys[0])
	mac.Write([]byte("lectern seal"))
	s.sealKey = mac.Sum(nil)
	s.large = s.largeBodies()
	s.cookies = sessions.NewCookieStore(opt.SessionKeys[0], opt.SessionKeys[1])
	s.cookies.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(opt.SessionLifetime / time.Second),
		HttpOnly: true,
		Secure:   opt.SecureCookies,
		SameSite: http.SameSiteLaxMode,
	}
	// An office behind one address gets more room than one email.
	// The counts are rows, so that instances sharing the database share them.
	s.emailThrottle = st.Throttle("sign-in", opt.LoginMaxFailures, opt.LoginWindow)
	s.addrThrottle = st.Throttle("sign-in-addr", opt.LoginMaxFailures*4, opt.LoginWindow)
	if err := s.initAccounts(); err != nil {
		return nil, err
	}
	s.echo = echo.New()
	s.echo.HideBanner, s.echo.HidePort = true, true
	s.echo.HTTPErrorHandler = s.handleError
	s.echo.IPExtractor = clientIP(opt.TrustedProxies)
	s.routes()
	return s, nil
}

// location is the organisation's time zone as it is now.
func (s *Server) location() *time.Location {
	switch {
	case s.opt.Org != nil:
		return s.opt.Org.Location()
	case s.opt.Location != nil:
		return s.opt.Location
	}
	return time.UTC
}

// organisation is the organisation's name as it is now.
func (s *Server) organisation() string {
	if s.opt.Org != nil {
		return s.opt.Org.Name()
	}
	return s.opt.Organisation
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Sweep deletes expired sessions and sign-in links; call it now and then.
func (s *Server) Sweep(ctx context.Context) error { return s.store.DeleteExpiredSessions(ctx) }

// clientIP is the socket's address, unless the request comes through one of
// the trusted proxies: then the last address in X-Forwarded-For that is not a
// trusted proxy. A forged header from anyone else changes nothing.
func clientIP(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}
