package web

// CSRF protection of the LMS origin.
//
// Browsers say where a request comes from (Sec-Fetch-Site, Origin); a
// state-changing request they mark as anything but same-origin is refused.
// That settles every modern browser without reading the body. Clients that
// send neither header must echo a token, taken from the X-CSRF-Token header,
// from a small url-encoded form, or from the first part of a multipart form,
// never by parsing a whole upload.
//
// A signed-in user's token is an HMAC of the server-side session, so a cookie
// planted by the content origin (same host, another port: cookies ignore
// ports) can never match it. Only the sign-in form, which has no session
// yet, uses a token derived from a random cookie.

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

const (
	ctxMultipart = "multipart" // the multipart reader the CSRF check started, for the handler to go on with
	csrfField    = "_csrf"
	// csrfFieldMax bounds the first part of a multipart form when it carries
	// the token.
	csrfFieldMax = 256
)

var errCSRF = echo.NewHTTPError(http.StatusForbidden, "This form has expired or did not come from Lectern. Go back, reload the page and try again.")

// csrfToken is the token the pages of this request carry: bound to the
// session when there is one, else to the anonymous cookie (set here if the
// client has none).
func (s *Server) csrfToken(c echo.Context) string {
	if row, ok := c.Get(ctxSession).(*store.Session); ok {
		return s.csrfMAC("session:" + row.ID)
	}
	ck, err := c.Cookie(s.csrfCookie)
	value := ""
	if err == nil && len(ck.Value) == 43 {
		value = ck.Value
	} else {
		value = account.NewToken()
		c.SetCookie(&http.Cookie{
			Name: s.csrfCookie, Value: value, Path: "/", HttpOnly: true, Secure: s.opt.SecureCookies,
			SameSite: http.SameSiteLaxMode, MaxAge: int(s.opt.SessionLifetime.Seconds()),
		})
	}
	return s.csrfMAC("anonymous:" + value)
}

func (s *Server) csrfMAC(msg string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrf checks every state-changing request; it runs after loadUser (which
// reads only the cookie) and limitBody (which bounds the body).
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if apiSkipsCSRF(c) || ltiSkipsCSRF(c) { // see api.go, lti.go
			return next(c)
		}
		want := s.csrfToken(c)
		c.Set(ctxCSRF, want)
		c.Response().Header().Add(echo.HeaderVary, echo.HeaderCookie)
		r := c.Request()
		if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
			return next(c)
		}
		// A request from the content origin is same-site, not same-origin:
		// refused, whatever token it carries.
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
			if site == "same-origin" || site == "none" {
				return next(c)
			}
			return echo.NewHTTPError(http.StatusForbidden, "This request did not come from a Lectern page.")
		}
		if origin := r.Header.Get(echo.HeaderOrigin); origin != "" && origin != s.origin {
			return echo.NewHTTPError(http.StatusForbidden, "This request did not come from a Lectern page.")
		}
		got, err := s.submittedToken(c)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
			return errCSRF
		}
		return next(c)
	}
}

// submittedToken finds the token of a client without fetch metadata: the
// header, a url-encoded field (the body is already bounded), or the first
// part of a multipart form. The rest of a multipart body is left unread for
// the handler.
func (s *Server) submittedToken(c echo.Context) (string, error) {
	r := c.Request()
	if t := r.Header.Get(echo.HeaderXCSRFToken); t != "" {
		return t, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
	switch ct {
	case echo.MIMEApplicationForm:
		if err := r.ParseForm(); err != nil {
			return "", bodyError(err)
		}
		return r.PostForm.Get(csrfField), nil
	case echo.MIMEMultipartForm:
		mr, err := r.MultipartReader()
		if err != nil {
			return "", echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
		}
		part, err := mr.NextPart()
		if err != nil {
			return "", bodyError(err)
		}
		if part.FormName() != csrfField || part.FileName() != "" {
			return "", errCSRF // the token must come before any file, which is left unread
		}
		defer part.Close()
		b, err := io.ReadAll(io.LimitReader(part, csrfFieldMax+1))
		if err != nil {
			return "", bodyError(err)
		}
		if len(b) > csrfFieldMax {
			return "", errCSRF
		}
		c.Set(ctxMultipart, mr)
		return string(b), nil
	}
	return "", errCSRF
}

// bodyError maps a failure to read a bounded body to an answer.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The request is too large.")
	}
	return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
}

// multipartReader returns the request's multipart reader: the one the CSRF
// check started when it read the token from the first part, or a new one.
func multipartReader(c echo.Context) (*multipart.Reader, error) {
	if mr, ok := c.Get(ctxMultipart).(*multipart.Reader); ok {
		return mr, nil
	}
	return c.Request().MultipartReader()
}
