package web

// The first run: while no administrator exists, "/" and the sign-in page
// lead to a set-up page that names the organisation, sets its time zone and
// creates the first administrator with a password. It answers only a
// browser on this machine, or one that brings the one-time code `lectern
// serve` printed; `lectern user add --admin` remains the other way in.

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

// setupState caches whether the set-up page is still open, so that "/" does
// not ask the database on every request; the page itself always asks.
type setupState struct {
	closed atomic.Bool
	mu     sync.Mutex
	code   string // "" once used
}

// maxOrgNameRunes bounds the organisation's name (certificates, emails), on
// the set-up and the settings pages.
const maxOrgNameRunes = 200

type setupView struct {
	Allowed      bool   // this browser may set up
	Code         string // the one-time code it brought, carried in the form
	CodeWrong    bool
	Organisation string
	TimeZone     string
	OrgFixed     bool
	ZoneFixed    bool
	Zones        []string
	Name, Email  string
	Error        string
	MinPassword  int
}

// setupOpen tells, from the database, whether no administrator exists yet
// and the set-up was never done; it closes the cache when not.
func (s *Server) setupOpen(c echo.Context) (bool, error) {
	if s.setup.closed.Load() {
		return false, nil
	}
	ctx := c.Request().Context()
	has, err := s.store.HasAdmin(ctx)
	if err != nil {
		return false, err
	}
	settings, err := s.store.Settings(ctx)
	if err != nil {
		return false, err
	}
	if has || settings[store.SettingSetUp] != "" {
		s.setup.closed.Store(true)
		return false, nil
	}
	return true, nil
}

// toSetup sends "/" and the sign-in page to the set-up page while it is open.
func (s *Server) toSetup(c echo.Context) (bool, error) {
	if s.setup.closed.Load() {
		return false, nil
	}
	open, err := s.setupOpen(c)
	if err != nil || !open {
		return false, err
	}
	return true, c.Redirect(http.StatusSeeOther, "/setup")
}

// fromThisMachine: the request came from one of this machine's own
// addresses, straight rather than through a proxy. A proxy on this machine
// would make every visitor look local, so a forwarding header disqualifies.
func fromThisMachine(r *http.Request) bool {
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Real-Ip", "X-Forwarded-Host"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	if ip.IsLoopback() {
		return true
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// codeMatches compares a set-up code in constant time.
func (s *Server) codeMatches(code string) bool {
	s.setup.mu.Lock()
	want := s.setup.code
	s.setup.mu.Unlock()
	return want != "" && code != "" && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1
}

func (s *Server) setupPage(c echo.Context) error {
	open, err := s.setupOpen(c)
	if err != nil {
		return err
	}
	if !open {
		return echo.NewHTTPError(http.StatusForbidden, "Lectern is already set up: sign in instead.")
	}
	code := strings.TrimSpace(c.QueryParam("code"))
	v := s.newSetupView(c, code)
	status := http.StatusOK
	if !v.Allowed {
		status = http.StatusForbidden
		v.CodeWrong = code != ""
	}
	return s.render(c, status, "setup", "Set up Lectern", v)
}

func (s *Server) newSetupView(c echo.Context, code string) setupView {
	v := setupView{
		Organisation: s.organisation(), TimeZone: s.location().String(),
		OrgFixed: s.opt.OrgNameFixed, ZoneFixed: s.opt.TimeZoneFixed,
		Zones: commonZones, MinPassword: account.MinPasswordLength,
	}
	switch {
	case fromThisMachine(c.Request()):
		v.Allowed = true
	case s.codeMatches(code):
		v.Allowed, v.Code = true, code
	}
	return v
}

// setUp creates the first administrator and saves the organisation.
func (s *Server) setUp(c echo.Context) error {
	open, err := s.setupOpen(c)
	if err != nil {
		return err
	}
	if !open {
		return echo.NewHTTPError(http.StatusForbidden, "Lectern is already set up: sign in instead.")
	}
	v := s.newSetupView(c, strings.TrimSpace(c.FormValue("code")))
	if !v.Allowed {
		v.CodeWrong = true
		return s.render(c, http.StatusForbidden, "setup", "Set up Lectern", v)
	}
	v.Name = strings.TrimSpace(c.FormValue("name"))
	v.Email = strings.TrimSpace(c.FormValue("email"))
	if !v.OrgFixed {
		v.Organisation = strings.TrimSpace(c.FormValue("organisation"))
	}
	if !v.ZoneFixed {
		v.TimeZone = strings.TrimSpace(c.FormValue("timezone"))
	}
	password := c.FormValue("password")
	fail := func(msg string) error {
		v.Error = msg
		return s.render(c, http.StatusUnprocessableEntity, "setup", "Set up Lectern", v)
	}
	var loc *time.Location
	if msg := checkOrgName(v.Organisation); msg != "" {
		return fail(msg)
	}
	if loc, err = loadZone(v.TimeZone); err != nil {
		return fail(fmt.Sprintf("“%s” is not a time zone. Choose one from the list, such as Europe/London.", v.TimeZone))
	}
	if msg := checkUserForm(userForm{Email: v.Email, Name: v.Name}); msg != "" {
		return fail(msg)
	}
	if err := account.CheckPasswordPolicy(password); err != nil {
		return fail(passwordProblem(err))
	}
	if password != c.FormValue("password2") {
		return fail("The two passwords differ. Type the same password twice.")
	}
	hash, err := account.HashPassword(password)
	if err != nil {
		return err
	}
	values := map[string]string{}
	if !v.OrgFixed {
		values[store.SettingOrganisation] = v.Organisation
	}
	if !v.ZoneFixed {
		values[store.SettingTimeZone] = loc.String()
	}
	admin := &store.User{Email: v.Email, Name: v.Name, PasswordHash: hash}
	err = s.store.SetUp(c.Request().Context(), admin, values)
	switch {
	case errors.Is(err, store.ErrSetUpDone):
		s.setup.closed.Store(true)
		return echo.NewHTTPError(http.StatusForbidden, "Lectern is already set up: sign in instead.")
	case errors.Is(err, store.ErrConflict):
		return fail(fmt.Sprintf("A user with the email %s already exists; choose another address, or make that user an administrator with the command line.", store.NormalizeEmail(v.Email)))
	case err != nil:
		return err
	}
	s.setup.closed.Store(true)
	s.setup.mu.Lock()
	s.setup.code = ""
	s.setup.mu.Unlock()
	s.setOrg(v.Organisation, loc)
	s.log.Info("set up", "organisation", v.Organisation, "timezone", loc.String(), "admin", admin.Email, "addr", c.RealIP())
	if err := s.startSession(c, admin); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// loadZone accepts IANA names only: "Local" would mean the server's zone,
// which is not a choice an administrator can see.
func loadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, errors.New("not a time zone")
	}
	return time.LoadLocation(name)
}

// commonZones are offered in the time-zone list; any IANA name is accepted.
var commonZones = []string{
	"UTC", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Paris", "Europe/Berlin", "Europe/Amsterdam",
	"Europe/Brussels", "Europe/Madrid", "Europe/Rome", "Europe/Zurich", "Europe/Vienna", "Europe/Stockholm",
	"Europe/Oslo", "Europe/Copenhagen", "Europe/Helsinki", "Europe/Warsaw", "Europe/Prague", "Europe/Athens",
	"Europe/Bucharest", "Europe/Istanbul", "Europe/Kyiv", "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi",
	"Africa/Cairo", "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Tokyo",
	"Asia/Seoul", "Australia/Perth", "Australia/Adelaide", "Australia/Sydney", "Pacific/Auckland",
	"America/St_Johns", "America/Halifax", "America/New_York", "America/Toronto", "America/Chicago",
	"America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
	"America/Mexico_City", "America/Bogota", "America/Lima", "America/Santiago", "America/Sao_Paulo",
	"America/Argentina/Buenos_Aires",
}
