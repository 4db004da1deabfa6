package web

// The admin page for API tokens: list, create (the token is shown once, in
// the answer to the POST), revoke.

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

type tokenForm struct {
	Name, Scope, Expires string
}

// tokenRow is a token as the list shows it.
type tokenRow struct {
	store.APIToken
	Expired bool
}

type tokensView struct {
	Tokens []tokenRow
	Form   tokenForm
	Error  string
	Notice string
	Secret *shownOnce
}

func (s *Server) adminTokens(c echo.Context) error {
	notice := ""
	if c.QueryParam("done") == "revoked" {
		notice = "The token was revoked; it no longer works."
	}
	return s.renderTokens(c, http.StatusOK, tokensView{Form: tokenForm{Scope: store.ScopeRead}, Notice: notice})
}

func (s *Server) renderTokens(c echo.Context, status int, v tokensView) error {
	ts, err := s.store.APITokens(c.Request().Context())
	if err != nil {
		return err
	}
	now := s.store.Now()
	for _, t := range ts {
		v.Tokens = append(v.Tokens, tokenRow{APIToken: t, Expired: t.ExpiresAt != nil && !t.ExpiresAt.After(now)})
	}
	return s.render(c, status, "admin_tokens", "API tokens", v)
}

// createToken makes a token and shows it once.
func (s *Server) createToken(c echo.Context) error {
	form := tokenForm{Name: strings.TrimSpace(c.FormValue("name")), Scope: c.FormValue("scope"), Expires: strings.TrimSpace(c.FormValue("expires"))}
	fail := func(msg string) error {
		return s.renderTokens(c, http.StatusUnprocessableEntity, tokensView{Form: form, Error: msg})
	}
	switch {
	case form.Name == "" || utf8.RuneCountInString(form.Name) > 100:
		return fail("Name the token (1 to 100 characters), after what uses it.")
	case strings.IndexFunc(form.Name, unicode.IsControl) >= 0:
		return fail("The name contains a line break or another control character.")
	case form.Scope != store.ScopeRead && form.Scope != store.ScopeReadWrite:
		return fail("Choose whether the token may only read or read and write.")
	}
	t := &store.APIToken{Name: form.Name, Scope: form.Scope, CreatedByID: currentUser(c).ID}
	if form.Expires != "" {
		at, err := s.comp.ParseDate(form.Expires)
		if err != nil {
			return fail(fmt.Sprintf("The expiry date %q is not a date like 2026-12-31.", form.Expires))
		}
		if !at.After(s.store.Now()) {
			return fail(fmt.Sprintf("The expiry date %s is in the past.", form.Expires))
		}
		t.ExpiresAt = &at
	}
	token := apiTokenPrefix + account.NewToken()
	t.Hash = account.HashToken(token)
	if err := s.store.CreateAPIToken(c.Request().Context(), t); err != nil {
		return err
	}
	s.log.Info("API token created", "token", t.ID, "name", t.Name, "scope", t.Scope, "by", currentUser(c).Email)
	return s.renderTokens(c, http.StatusCreated, tokensView{
		Form:   tokenForm{Scope: store.ScopeRead},
		Notice: fmt.Sprintf("The token %q was created.", t.Name),
		Secret: &shownOnce{Label: "API token", Value: token,
			Note: "Copy it now: Lectern shows it only once and stores only its hash. Send it as Authorization: Bearer <token>."},
	})
}

// revokeToken deletes a token; requests with it fail from now on.
func (s *Server) revokeToken(c echo.Context) error {
	id, err := apiID(c.Param("id"), "token")
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such token.")
	}
	if !confirmed(c) {
		return s.askConfirm(c, confirmView{Heading: "Revoke this API token?",
			Message: "Scripts that use it stop working at once. A revoked token cannot be restored; you would make a new one.",
			Button:  "Revoke the token", Cancel: "/admin/tokens"})
	}
	if err := s.store.RevokeAPIToken(c.Request().Context(), id); errors.Is(err, store.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "No such token; it may have been revoked already.")
	} else if err != nil {
		return err
	}
	s.log.Info("API token revoked", "token", id, "by", currentUser(c).Email)
	return c.Redirect(http.StatusSeeOther, "/admin/tokens?done=revoked")
}
