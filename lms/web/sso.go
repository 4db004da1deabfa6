package web

// Single sign-on with OpenID Connect. /login/sso sends the browser to the
// provider with a fresh state, nonce and PKCE challenge, kept in a short,
// signed and encrypted cookie; /login/sso/callback checks the state, lets
// lms/sso exchange the code and verify the ID token and its nonce, then
// finds the user: by the subject they signed on with before, else (when
// allowed) by a verified email, else (when allowed) creates them. Group
// claims update memberships. Every refusal is logged with its reason and
// shown to the user in plain words.

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/sso"
	"github.com/lectern/lectern/lms/store"
)

const (
	ssoCookie = "lectern_sso"
	ssoMaxAge = 10 * time.Minute // time to sign in at the provider
)

// ssoState is what the browser keeps between the two steps.
type ssoState struct {
	Flow sso.Flow
	Next string
}

func (s *Server) ssoCodec() *securecookie.SecureCookie {
	derive := func(label string, key []byte) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	sc := securecookie.New(derive("lectern sso hash", s.opt.SessionKeys[0]), derive("lectern sso block", s.opt.SessionKeys[1]))
	sc.MaxAge(int(ssoMaxAge / time.Second))
	sc.SetSerializer(securecookie.JSONEncoder{})
	return sc
}

func (s *Server) ssoSetCookie(c echo.Context, value string, maxAge int) {
	c.SetCookie(&http.Cookie{Name: ssoCookie, Value: value, Path: "/login/sso", MaxAge: maxAge,
		HttpOnly: true, Secure: s.opt.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// ssoStart sends the browser to the provider.
func (s *Server) ssoStart(c echo.Context) error {
	if s.opt.SSO == nil {
		return echo.NewHTTPError(http.StatusNotFound, "Single sign-on is not set up on this Lectern.")
	}
	authURL, flow, err := s.opt.SSO.Start(c.Request().Context())
	if err != nil {
		s.log.Error("single sign-on: discovery", "issuer", s.opt.SSO.Issuer(), "err", err)
		return s.ssoFail(c, http.StatusBadGateway, "The sign-in service cannot be reached right now. Try again in a moment, or sign in with your password.")
	}
	value, err := s.ssoCodec().Encode(ssoCookie, ssoState{Flow: flow, Next: safeNext(c.QueryParam("next"))})
	if err != nil {
		return err
	}
	s.ssoSetCookie(c, value, int(ssoMaxAge/time.Second))
	return c.Redirect(http.StatusFound, authURL)
}

// ssoFail shows the sign-in page with a message.
func (s *Server) ssoFail(c echo.Context, status int, msg string) error {
	return s.renderLogin(c, status, loginForm{Next: "/", Error: msg})
}

// ssoCallback finishes the sign-in the provider sends back.
func (s *Server) ssoCallback(c echo.Context) error {
	if s.opt.SSO == nil {
		return echo.NewHTTPError(http.StatusNotFound, "Single sign-on is not set up on this Lectern.")
	}
	var st ssoState
	ck, err := c.Cookie(ssoCookie)
	if err == nil {
		err = s.ssoCodec().Decode(ssoCookie, ck.Value, &st)
	}
	s.ssoSetCookie(c, "", -1) // one use, whatever happens next
	q := c.QueryParams()
	switch {
	case err != nil:
		s.log.Info("single sign-on refused: no or expired state cookie", "addr", c.RealIP())
		return s.ssoFail(c, http.StatusBadRequest, "This sign-in took too long or was started in another browser. Please try again.")
	case q.Get("error") != "":
		s.log.Info("single sign-on refused by the provider", "error", q.Get("error"), "description", q.Get("error_description"))
		return s.ssoFail(c, http.StatusUnauthorized, "The sign-in service did not sign you in. Please try again, or ask your administrator.")
	case !sso.CheckState(st.Flow, q.Get("state")):
		s.log.Warn("single sign-on refused: state mismatch", "addr", c.RealIP())
		return s.ssoFail(c, http.StatusBadRequest, "This sign-in did not start here, so it was refused. Please try again.")
	case q.Get("code") == "" || len(q.Get("code")) > 4096:
		return s.ssoFail(c, http.StatusBadRequest, "The sign-in service sent no sign-in code. Please try again.")
	}
	ctx := c.Request().Context()
	id, err := s.opt.SSO.Finish(ctx, st.Flow, q.Get("code"))
	if err != nil {
		s.log.Warn("single sign-on refused", "err", err, "addr", c.RealIP())
		msg := "The sign-in could not be completed. Please try again."
		switch {
		case errors.Is(err, sso.ErrUnavailable):
			return s.ssoFail(c, http.StatusBadGateway, "The sign-in service cannot be reached right now. Try again in a moment, or sign in with your password.")
		case errors.Is(err, sso.ErrExchange):
			msg = "The sign-in service refused this sign-in (it may have been used already). Please start again."
		case errors.Is(err, sso.ErrNonce), errors.Is(err, sso.ErrToken):
			msg = "The answer of the sign-in service could not be trusted, so it was refused. Please start again."
		}
		return s.ssoFail(c, http.StatusUnauthorized, msg)
	}
	user, msg, err := s.ssoUser(c, id)
	if err != nil {
		return err
	}
	if user == nil {
		return s.ssoFail(c, http.StatusForbidden, msg)
	}
	cfg := s.opt.SSO.Config()
	if cfg.GroupsClaim != "" {
		missing, err := s.store.SyncSSOGroups(ctx, user, id.Groups, id.Managed, s.memberDueFor)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			s.log.Warn("single sign-on: groups in the claim that Lectern does not have", "user", user.Email, "groups", strings.Join(missing, ", "))
		}
	}
	if row, ok := c.Get(ctxSession).(*store.Session); ok {
		_ = s.store.DeleteSession(ctx, row.ID)
	}
	if err := s.startSession(c, user); err != nil {
		return err
	}
	s.log.Info("signed in with single sign-on", "user", user.Email, "subject", id.Subject)
	return c.Redirect(http.StatusSeeOther, s.landing(c, user, st.Next))
}

// ssoUser finds or creates the Lectern user of an identity. A nil user
// comes with the message to show.
func (s *Server) ssoUser(c echo.Context, id *sso.Identity) (*store.User, string, error) {
	ctx := c.Request().Context()
	cfg := s.opt.SSO.Config()
	const unknown = "Your account is not known to Lectern. Ask your administrator to add you."
	u, err := s.store.UserBySSO(ctx, id.Issuer, id.Subject)
	switch {
	case err == nil:
		if !u.Active {
			s.log.Info("single sign-on refused: deactivated user", "user", u.Email)
			return nil, "Your account is deactivated. Ask your administrator.", nil
		}
		return u, "", nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, "", err
	}
	// Not linked yet: a verified email may find the user.
	if cfg.MatchEmail && id.Email != "" {
		u, err := s.store.UserByEmail(ctx, id.Email)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, "", err
		case !id.EmailVerified:
			s.log.Warn("single sign-on refused: email not verified by the provider", "email", id.Email, "subject", id.Subject)
			return nil, "The sign-in service has not verified your email address, so Lectern cannot match it to your account. Ask your administrator.", nil
		case !u.Active:
			s.log.Info("single sign-on refused: deactivated user", "user", u.Email)
			return nil, "Your account is deactivated. Ask your administrator.", nil
		default:
			err := s.store.LinkSSO(ctx, u, id.Issuer, id.Subject)
			if errors.Is(err, store.ErrIdentityTaken) {
				s.log.Warn("single sign-on refused: the user is linked to another subject", "user", u.Email, "subject", id.Subject)
				return nil, "Your Lectern account is linked to another account at the sign-in service. Ask your administrator.", nil
			}
			if err != nil {
				return nil, "", err
			}
			return u, "", nil
		}
	}
	if !cfg.CreateUsers {
		s.log.Info("single sign-on refused: unknown user", "email", id.Email, "subject", id.Subject)
		return nil, unknown, nil
	}
	if id.Email == "" || !id.EmailVerified || !account.ValidEmail(id.Email) {
		s.log.Warn("single sign-on refused: no verified email to create the user with", "email", id.Email, "subject", id.Subject)
		return nil, "The sign-in service has not given Lectern a verified email address, which your new account needs. Ask your administrator.", nil
	}
	if _, err := s.store.UserByEmail(ctx, id.Email); err == nil {
		// The address is taken and was not matched (matching by subject
		// only): a new user cannot have it.
		return nil, "A Lectern account with your email address exists but is not linked to this sign-in. Ask your administrator.", nil
	}
	name := strings.TrimSpace(id.Name)
	if name == "" || checkUserForm(userForm{Email: id.Email, Name: name}) != "" {
		name = id.Email
	}
	hash, err := account.HashPassword(account.GeneratePassword()) // nobody knows it; a reset link can set one
	if err != nil {
		return nil, "", err
	}
	u = &store.User{Email: id.Email, Name: name, PasswordHash: hash}
	if err := s.store.CreateSSOUser(ctx, u, id.Issuer, id.Subject); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, unknown, nil
		}
		return nil, "", err
	}
	s.log.Info("single sign-on: user created", "user", u.Email, "subject", id.Subject)
	return u, "", nil
}
