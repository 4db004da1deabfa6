package web

// LTI 1.3: platforms launch Lectern inside their pages. Two access classes
// (see routes.go):
//
//   - LTILaunch: requests from a platform (login initiation, the id_token
//     post) and the window entering its launch; the platform's signature and
//     single-use codes are the only authority.
//   - LTIWindow: a launched window's own requests. Browsers that block
//     third-party cookies drop Lectern's cookies inside the platform's frame,
//     so the window carries a session token in its forms (never in a URL);
//     the cookie session is never consulted. Being unguessable and bound to
//     the window, the token is also the requests' CSRF token.
//
// Both kinds of page may be framed by any site: the platform's page origin
// is not knowable in advance (Canvas frames from the school's host, not its
// issuer), and these pages hold no ambient authority a framing site could
// borrow.

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/lti"
	"github.com/lectern/lectern/lms/store"
)

const (
	ctxLTISession = "ltiSession"
	ltiSessionKey = "lti_session" // the form field of a window's session token
	ltiWindowBody = 64 << 10      // largest window request
	ltiProbe      = "lti_probe"
)

// ltiSkipsCSRF: LTI requests come from the platform's site (login, launch)
// or carry the window's token, which CSRF cannot know; see above.
func ltiSkipsCSRF(c echo.Context) bool {
	return strings.HasPrefix(c.Request().URL.Path, "/lti/")
}

// ltiFrame lets LTI pages be framed by the platform and keeps them out of
// the cookie session: a Lectern sign-in in the same browser does not show.
func (s *Server) ltiFrame(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.lti == nil {
			return echo.NewHTTPError(http.StatusNotFound, "LTI is not enabled.")
		}
		h := c.Response().Header()
		h.Del("X-Frame-Options")
		h.Set("Content-Security-Policy", s.ltiCSP(""))
		h.Set("Referrer-Policy", "no-referrer")
		c.Set(ctxUser, (*store.User)(nil))
		c.Set(ctxSession, nil)
		return next(c)
	}
}

// ltiCSP is the policy of LTI pages; formTarget is an extra form-action
// (the platform's deep-linking return).
func (s *Server) ltiCSP(formTarget string) string {
	return "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-src " + s.opt.ContentURL +
		"; frame-ancestors *; form-action 'self'" + formTarget + "; base-uri 'none'; object-src 'none'"
}

// requireLTISession admits a window's POST that carries its session token.
func (s *Server) requireLTISession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
			return echo.NewHTTPError(http.StatusForbidden, "This request did not come from a Lectern window.")
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, ltiWindowBody)
		token := c.FormValue(ltiSessionKey)
		if token == "" {
			return echo.NewHTTPError(http.StatusUnauthorized, "This window is not signed in. Open the activity again from your course.")
		}
		ls, err := s.store.LTISessionByToken(r.Context(), account.HashToken(token))
		if errors.Is(err, store.ErrNotFound) {
			return echo.NewHTTPError(http.StatusUnauthorized, "This window's sign-in has expired. Open the activity again from your course.")
		} else if err != nil {
			return err
		}
		c.Set(ctxLTISession, &ltiWindow{LTISession: ls, token: token})
		c.SetRequest(r.WithContext(store.WithActor(r.Context(), store.UserActor(&ls.User, store.ViaLTI))))
		return next(c)
	}
}

type ltiWindow struct {
	*store.LTISession
	token string
}

func currentWindow(c echo.Context) *ltiWindow {
	w, _ := c.Get(ctxLTISession).(*ltiWindow)
	return w
}

// ltiRefused is the page of a refused launch: what went wrong in plain words,
// and what to do. The reason goes to the audit journal, never the token.
type ltiRefusedView struct {
	Message, Reason string
}

func (s *Server) ltiRefused(c echo.Context, err error, action string) error {
	var rf *lti.Refusal
	if !errors.As(err, &rf) {
		return err
	}
	s.lti.AuditRefusal(c.Request().Context(), action, rf, c.RealIP())
	s.log.Info("LTI refused", "action", action, "reason", rf.Reason, "addr", c.RealIP())
	return s.render(c, http.StatusBadRequest, "lti_refused", "Launch refused", ltiRefusedView{Message: rf.Message, Reason: rf.Reason})
}

// jwks publishes Lectern's public keys.
func (s *Server) ltiJWKS(c echo.Context) error {
	if s.lti == nil {
		return echo.ErrNotFound
	}
	b, err := s.lti.JWKS(c.Request().Context())
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "public, max-age=300")
	return c.Blob(http.StatusOK, "application/json", b)
}

// ltiLoginView is the page that stores a login's state in the browser (a
// cookie, or the platform's storage) and goes on to the platform.
type ltiLoginView struct {
	AuthURL, State, Nonce, Storage, StorageTarget, StorageOrigin string
	Retry                                                        string // the same login, for a new window
}

// ltiStateCookie names the cookie of one login's state, so that several
// launches in one page do not overwrite each other's.
func ltiStateCookie(state string) string {
	sum := sha256.Sum256([]byte(state))
	return "lti_s" + hex.EncodeToString(sum[:8])
}

func (s *Server) ltiCookie(name, value string, maxAge int, httpOnly bool) *http.Cookie {
	ck := &http.Cookie{Name: name, Value: value, Path: "/lti/", MaxAge: maxAge, HttpOnly: httpOnly, SameSite: http.SameSiteLaxMode}
	// The platform posts the launch back cross-site: only SameSite=None
	// cookies travel with it, and browsers take those only when Secure.
	if s.opt.SecureCookies {
		ck.Secure, ck.SameSite = true, http.SameSiteNoneMode
	}
	return ck
}

// ltiLogin answers a platform's OIDC login initiation (GET or POST).
func (s *Server) ltiLogin(c echo.Context) error {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, ltiWindowBody)
	if err := r.ParseForm(); err != nil {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The login request is too large.")
	}
	req := lti.LoginRequest{
		Issuer: r.Form.Get("iss"), LoginHint: r.Form.Get("login_hint"), TargetLinkURI: r.Form.Get("target_link_uri"),
		MessageHint: r.Form.Get("lti_message_hint"), DeploymentID: r.Form.Get("lti_deployment_id"),
		ClientID: r.Form.Get("client_id"), StorageTarget: r.Form.Get("lti_storage_target"),
	}
	l, err := s.lti.Login(r.Context(), req)
	if err != nil {
		return s.ltiRefused(c, err, "lti.login")
	}
	v := ltiLoginView{AuthURL: l.AuthURL, State: l.State, Nonce: l.Nonce, Storage: l.Storage, StorageTarget: l.StorageTarget, StorageOrigin: l.StorageOrigin}
	if l.Storage == lti.StorageCookie {
		ttl := int(s.lti.Opt.StateTTL.Seconds())
		c.SetCookie(s.ltiCookie(ltiStateCookie(l.State), l.State, ttl, true))
		c.SetCookie(s.ltiCookie(ltiProbe, "1", ttl, false))
		q := url.Values{}
		for _, k := range []string{"iss", "login_hint", "target_link_uri", "lti_message_hint", "lti_deployment_id", "client_id"} {
			if v := r.Form.Get(k); v != "" {
				q.Set(k, v)
			}
		}
		v.Retry = lti.PathLogin + "?" + q.Encode()
	}
	return s.render(c, http.StatusOK, "lti_login", "Opening…", v)
}

// ltiLaunchView checks, in the browser, that this window started the login
// (platform storage), then enters the launch with its code.
type ltiLaunchView struct {
	Code, State, Storage, StorageTarget, StorageOrigin string
}

// ltiLaunch receives the platform's id_token and verifies it.
func (s *Server) ltiLaunch(c echo.Context) error {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, int64(s.lti.Opt.MaxTokenBytes)+4096)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return s.ltiRefused(c, &lti.Refusal{Reason: fmt.Sprintf("launch form larger than %d bytes", mbe.Limit), Message: "The launch is too large."}, "lti.launch")
		}
		return s.ltiRefused(c, &lti.Refusal{Reason: "malformed launch form", Message: "The launch from your learning platform could not be read.", Err: err}, "lti.launch")
	}
	if e := r.PostForm.Get("error"); e != "" {
		return s.ltiRefused(c, &lti.Refusal{Reason: "platform error: " + clipText(e+" "+r.PostForm.Get("error_description"), 200),
			Message: "Your learning platform could not complete the launch: " + clipText(r.PostForm.Get("error_description"), 200)}, "lti.launch")
	}
	state := r.PostForm.Get("state")
	form := lti.LaunchForm{IDToken: r.PostForm.Get("id_token"), State: state}
	if state != "" {
		if ck, err := c.Cookie(ltiStateCookie(state)); err == nil {
			form.CookieState = ck.Value
			c.SetCookie(s.ltiCookie(ltiStateCookie(state), "", -1, true))
		}
	}
	v, err := s.lti.Verify(r.Context(), form)
	if err != nil {
		return s.ltiRefused(c, err, "lti.launch")
	}
	return s.render(c, http.StatusOK, "lti_launch", "Opening…", ltiLaunchView{Code: v.Code, State: v.State, Storage: v.Storage,
		StorageTarget: firstNonEmpty(v.StorageTarget, "_parent"), StorageOrigin: v.StorageOrigin})
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func clipText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// ltiEnter turns a verified launch into Lectern's user, enrolment and a
// window session, and shows where the launch goes.
func (s *Server) ltiEnter(c echo.Context) error {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, ltiWindowBody)
	code := c.FormValue("code")
	if c.FormValue("check") == "failed" {
		// The platform's storage does not hold this window's state: another
		// browser started the login. Use the code up so it cannot be entered.
		_, _ = s.store.UseLTILaunchCode(r.Context(), account.HashToken(code))
		return s.ltiRefused(c, &lti.Refusal{Reason: "state mismatch (not in the platform's storage)",
			Message: "This launch was not started in this browser window. Open the activity again from your course."}, "lti.launch")
	}
	in, err := s.lti.Enter(r.Context(), code)
	if err != nil {
		return s.ltiRefused(c, err, "lti.launch")
	}
	w := &ltiWindow{LTISession: &in.Result.Session, token: in.Session}
	w.User = in.Result.User
	return s.ltiDestination(c, w, in.Result.Placement)
}

// ltiDestination shows a window what its launch is for: a deep-linking
// picker, a course to choose (instructor, placement without course), the
// course (learner), or the context's report (instructor).
func (s *Server) ltiDestination(c echo.Context, w *ltiWindow, p *store.LTIPlacement) error {
	switch {
	case len(w.DeepLink) > 0:
		return s.ltiPicker(c, w, "", "")
	case p == nil:
		return echo.NewHTTPError(http.StatusBadRequest, "This launch has no activity.")
	case p.CourseID == nil && w.Instructor:
		return s.ltiPicker(c, w, "", "")
	case p.CourseID == nil:
		return s.render(c, http.StatusOK, "lti_waiting", "Not ready yet", nil)
	case w.Instructor:
		return s.ltiReportPage(c, w, p)
	}
	return s.ltiPlayer(c, w, *p.CourseID)
}

// ltiPlayer opens the course in the window.
func (s *Server) ltiPlayer(c echo.Context, w *ltiWindow, courseID uint) error {
	ctx := c.Request().Context()
	co, err := s.store.CourseByID(ctx, courseID)
	if err != nil {
		return err
	}
	opened, err := s.rt.Open(ctx, &w.User, co.ID)
	if errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "This course has no content yet.")
	} else if err != nil {
		return err
	}
	v := s.newPlayerView(co, opened)
	v.LTISession = w.token
	return s.render(c, http.StatusOK, "player", co.Title, v)
}

// ltiOpen opens the placement's course in a window (an instructor trying it).
func (s *Server) ltiOpen(c echo.Context) error {
	w := currentWindow(c)
	p, err := s.windowPlacement(c, w)
	if err != nil {
		return err
	}
	if p.CourseID == nil {
		return echo.NewHTTPError(http.StatusConflict, "No course is chosen for this activity yet.")
	}
	return s.ltiPlayer(c, w, *p.CourseID)
}

// ltiNewWindow opens the window's destination in a new window with its own
// session: for frames too small, or browsers that deny the frame storage.
func (s *Server) ltiNewWindow(c echo.Context) error {
	w := currentWindow(c)
	token := account.NewToken()
	ls := *w.LTISession
	ls.ID = account.HashToken(token)
	if err := s.store.CreateLTISession(c.Request().Context(), &ls, s.lti.Opt.SessionTTL); err != nil {
		return err
	}
	nw := &ltiWindow{LTISession: &ls, token: token}
	var p *store.LTIPlacement
	if ls.PlacementID != nil {
		var err error
		if p, err = s.store.LTIPlacementByID(c.Request().Context(), *ls.PlacementID); err != nil {
			return err
		}
	}
	return s.ltiDestination(c, nw, p)
}

// ltiExit is where the player goes when the learner leaves the course.
func (s *Server) ltiExit(c echo.Context) error {
	w := currentWindow(c)
	return s.render(c, http.StatusOK, "lti_done", "Saved", struct {
		ReturnURL, Session string
	}{w.ReturnURL, w.token})
}

func (s *Server) windowPlacement(c echo.Context, w *ltiWindow) (*store.LTIPlacement, error) {
	if w.PlacementID == nil {
		return nil, echo.NewHTTPError(http.StatusBadRequest, "This window has no activity.")
	}
	return s.store.LTIPlacementByID(c.Request().Context(), *w.PlacementID)
}

// ltiPickerView is the searchable course list of an instructor.
type ltiPickerView struct {
	Session  string
	Query    string
	Courses  []store.CourseSummary
	DeepLink bool
	Error    string
}

const pickerMax = 50

func (s *Server) ltiPicker(c echo.Context, w *ltiWindow, query, problem string) error {
	all, err := s.store.Courses(c.Request().Context())
	if err != nil {
		return err
	}
	v := ltiPickerView{Session: w.token, Query: query, DeepLink: len(w.DeepLink) > 0, Error: problem}
	q := strings.ToLower(strings.TrimSpace(query))
	for _, co := range all {
		if co.CurrentVersionID == nil || (q != "" && !strings.Contains(strings.ToLower(co.Title), q)) {
			continue
		}
		if len(v.Courses) == pickerMax {
			break
		}
		v.Courses = append(v.Courses, co)
	}
	return s.render(c, http.StatusOK, "lti_pick", "Choose a course", v)
}

// ltiSearch filters the picker.
func (s *Server) ltiSearch(c echo.Context) error {
	w := currentWindow(c)
	if !w.Instructor {
		return echo.NewHTTPError(http.StatusForbidden, "Only instructors choose courses.")
	}
	return s.ltiPicker(c, w, c.FormValue("q"), "")
}

// ltiChoose records an instructor's choice: the deep-linking answer goes back
// to the platform; a placement without a course now opens this one.
func (s *Server) ltiChoose(c echo.Context) error {
	w := currentWindow(c)
	ctx := c.Request().Context()
	if !w.Instructor {
		return echo.NewHTTPError(http.StatusForbidden, "Only instructors choose courses.")
	}
	id, err := strconv.ParseUint(c.FormValue("course"), 10, 32)
	if err != nil {
		return s.ltiPicker(c, w, c.FormValue("q"), "Choose a course from the list.")
	}
	co, err := s.store.CourseByID(ctx, uint(id))
	if errors.Is(err, store.ErrNotFound) || (err == nil && co.CurrentVersionID == nil) {
		return s.ltiPicker(c, w, c.FormValue("q"), "That course does not exist (any more).")
	} else if err != nil {
		return err
	}
	if len(w.DeepLink) > 0 {
		returnURL, signed, err := s.lti.DeepLinkResponse(ctx, w.LTISession, co)
		if err != nil {
			return err
		}
		s.lti.AuditDeepLink(ctx, w.LTISession, co, c.RealIP())
		// The window's job is done: its session ends with the answer.
		if err := s.store.DeleteLTISession(ctx, w.ID); err != nil {
			return err
		}
		if u, err := url.Parse(returnURL); err == nil {
			c.Response().Header().Set("Content-Security-Policy", s.ltiCSP(" "+u.Scheme+"://"+u.Host))
		}
		return s.render(c, http.StatusOK, "lti_return", "Adding…", struct{ ReturnURL, JWT string }{returnURL, signed})
	}
	p, err := s.windowPlacement(c, w)
	if err != nil {
		return err
	}
	if err := s.store.SetLTIPlacementCourse(ctx, p.ID, co.ID); err != nil {
		return err
	}
	p.CourseID = &co.ID
	return s.ltiReportPage(c, w, p)
}

// ltiRegisterView is the dynamic registration page: the platform found, the
// data minimisation choice, then the outcome.
type ltiRegisterView struct {
	Token, ConfigURL, RegistrationToken string
	Config                              *lti.PlatformConfig
	Platform                            *store.LTIPlatform
	Error                               string
}

// ltiRegisterStart is opened by the platform with its openid_configuration.
func (s *Server) ltiRegisterStart(c echo.Context) error {
	ctx := c.Request().Context()
	token := c.QueryParam("t")
	if err := s.lti.CheckRegistrationLink(ctx, token); err != nil {
		return s.ltiRefused(c, err, "lti.register")
	}
	v := ltiRegisterView{Token: token, ConfigURL: c.QueryParam("openid_configuration"), RegistrationToken: c.QueryParam("registration_token")}
	pc, err := s.lti.PlatformConfiguration(ctx, v.ConfigURL)
	if err != nil {
		return s.ltiRefused(c, err, "lti.register")
	}
	v.Config = pc
	return s.render(c, http.StatusOK, "lti_register", "Register Lectern", v)
}

// ltiRegister registers Lectern with the platform once the administrator
// chose what Lectern keeps.
func (s *Server) ltiRegister(c echo.Context) error {
	r := c.Request()
	r.Body = http.MaxBytesReader(c.Response(), r.Body, ltiWindowBody)
	name, email, err := lti.ParseKeep(c.FormValue("keep"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, err.Error())
	}
	p, err := s.lti.Register(r.Context(), lti.Registration{Token: c.FormValue("t"), ConfigURL: c.FormValue("openid_configuration"),
		RegistrationToken: c.FormValue("registration_token"), Name: c.FormValue("name"), KeepName: name, KeepEmail: email})
	if err != nil {
		return s.ltiRefused(c, err, "lti.register")
	}
	s.log.Info("LTI platform registered dynamically", "issuer", p.Issuer, "client", p.ClientID)
	return s.render(c, http.StatusOK, "lti_register", "Registered", ltiRegisterView{Platform: p})
}
