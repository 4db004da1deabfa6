// Package sso signs users in with OpenID Connect (Microsoft Entra ID,
// Google Workspace, Okta, Keycloak or any standard provider): discovery,
// the authorization code flow with PKCE, state and nonce, and ID token
// verification, through go-oidc and x/oauth2. It knows nothing of HTTP
// routing or the database: the web layer keeps a Flow between Start and
// Finish in a short-lived cookie and matches the Identity to a user.
//
// This is Lectern's own sign-in; the OpenID Connect launch of LTI 1.3 is a
// different protocol role and lives in lms/lti.
package sso

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/lectern/lectern/lms/account"
)

// Config is the provider and what Lectern does with its answer.
type Config struct {
	Issuer       string // the provider's issuer URL; discovery reads Issuer/.well-known/openid-configuration
	ClientID     string
	ClientSecret string
	RedirectURL  string   // Lectern's callback, registered at the provider
	Scopes       []string // openid is added when missing
	Label        string   // "Sign in with <Label>"
	// MatchEmail lets a verified email find an existing user who has not
	// signed on before; without it only the subject (a user linked before, or
	// created just in time) is matched.
	MatchEmail bool
	// TrustEmail takes the email claim as verified when the provider sends no
	// email_verified claim (Microsoft Entra ID does not). An explicit
	// email_verified=false is never trusted.
	TrustEmail  bool
	CreateUsers bool              // create unknown users just in time
	GroupsClaim string            // claim listing the user's groups; "" for none
	GroupMap    map[string]string // claim value -> Lectern group; nil: values are group names
	// HTTPClient talks to the provider; nil: one with a 10-second timeout
	// whose responses are cut at 1 MiB.
	HTTPClient *http.Client
}

// Errors of a sign-in; the web layer shows each in plain words.
var (
	ErrUnavailable = errors.New("sso: the identity provider cannot be reached")
	ErrExchange    = errors.New("sso: the identity provider refused the sign-in code")
	ErrToken       = errors.New("sso: the identity token is not valid")
	ErrNonce       = errors.New("sso: the identity token belongs to another sign-in")
)

// Client is one configured provider. Discovery happens at first use and is
// kept; a failed discovery is tried again at the next sign-in.
type Client struct {
	cfg  Config
	http *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	oauth    *oauth2.Config
}

// New checks cfg; it does not contact the provider.
func New(cfg Config) (*Client, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("sso: an issuer, a client ID and a redirect URL are needed")
	}
	scopes := []string{oidc.ScopeOpenID}
	for _, s := range cfg.Scopes {
		if s != "" && s != oidc.ScopeOpenID {
			scopes = append(scopes, s)
		}
	}
	cfg.Scopes = scopes
	c := &Client{cfg: cfg, http: cfg.HTTPClient}
	if c.http == nil {
		c.http = &http.Client{Timeout: 10 * time.Second, Transport: limitedTransport{http.DefaultTransport, 1 << 20}}
	}
	return c, nil
}

// Label is the provider's name on the sign-in button.
func (c *Client) Label() string { return c.cfg.Label }

// Issuer is the configured issuer.
func (c *Client) Issuer() string { return c.cfg.Issuer }

// Config returns the configuration.
func (c *Client) Config() Config { return c.cfg }

func (c *Client) ctx(ctx context.Context) context.Context {
	return context.WithValue(oidc.ClientContext(ctx, c.http), oauth2.HTTPClient, c.http)
}

// discover reads the provider's metadata once.
func (c *Client) discover(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, *oidc.Provider, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.oauth, c.verifier, c.provider, nil
	}
	// Keys are fetched later, outside this request: they must not be tied
	// to its cancellation.
	p, err := oidc.NewProvider(c.ctx(context.WithoutCancel(ctx)), c.cfg.Issuer)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	c.provider = p
	c.verifier = p.VerifierContext(c.ctx(context.Background()), &oidc.Config{ClientID: c.cfg.ClientID})
	c.oauth = &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, RedirectURL: c.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: c.cfg.Scopes}
	return c.oauth, c.verifier, c.provider, nil
}

// Flow is what the browser keeps between Start and Finish: the state sent
// to the provider and checked when it comes back, the nonce the ID token
// must carry, and the PKCE verifier.
type Flow struct {
	State, Nonce, Verifier string
}

// Start begins a sign-in: the URL to send the browser to, and the Flow to
// keep until it comes back.
func (c *Client) Start(ctx context.Context) (string, Flow, error) {
	oc, _, _, err := c.discover(ctx)
	if err != nil {
		return "", Flow{}, err
	}
	f := Flow{State: account.NewToken(), Nonce: account.NewToken(), Verifier: oauth2.GenerateVerifier()}
	return oc.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), f, nil
}

// CheckState compares the state that came back with the one sent.
func CheckState(f Flow, state string) bool {
	return f.State != "" && subtle.ConstantTimeCompare([]byte(f.State), []byte(state)) == 1
}

// Identity is the user as the provider describes them.
type Identity struct {
	Issuer, Subject string
	Email           string // "" when the provider sent none
	EmailVerified   bool   // the provider vouches for Email (or TrustEmail)
	Name            string
	// Groups are the Lectern groups the claim names (after GroupMap);
	// Managed are the groups GroupMap manages, so that a user who leaves one
	// at the provider leaves it here too (nil without a map).
	Groups, Managed []string
}

// Finish exchanges the code (with the PKCE verifier), verifies the ID token
// (signature, issuer, audience, expiry) and its nonce, and returns who
// signed in. The caller has checked the state.
func (c *Client) Finish(ctx context.Context, f Flow, code string) (*Identity, error) {
	oc, verifier, provider, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := oc.Exchange(c.ctx(ctx), code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrExchange, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fmt.Errorf("%w: the token response has no id_token", ErrToken)
	}
	idt, err := verifier.Verify(c.ctx(ctx), raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return nil, ErrNonce
	}
	claims := map[string]any{}
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrToken, err)
	}
	// Providers may keep the profile out of the ID token; the userinfo
	// endpoint has it then, for the same subject.
	if _, ok := claims["email"]; !ok && provider.UserInfoEndpoint() != "" {
		ui, err := provider.UserInfo(c.ctx(ctx), oauth2.StaticTokenSource(tok))
		if err == nil && ui.Subject == idt.Subject {
			extra := map[string]any{}
			if ui.Claims(&extra) == nil {
				for k, v := range extra {
					if _, ok := claims[k]; !ok {
						claims[k] = v
					}
				}
			}
		}
	}
	return c.identity(idt.Issuer, idt.Subject, claims), nil
}

// identity reads the claims Lectern uses.
func (c *Client) identity(issuer, subject string, claims map[string]any) *Identity {
	id := &Identity{Issuer: issuer, Subject: subject}
	str := func(k string) string { s, _ := claims[k].(string); return strings.TrimSpace(s) }
	id.Email = str("email")
	switch v := claims["email_verified"].(type) {
	case bool:
		id.EmailVerified = v
	case string: // some providers send "true"
		id.EmailVerified = v == "true"
	case nil:
		id.EmailVerified = c.cfg.TrustEmail
	}
	if id.Email == "" {
		id.EmailVerified = false
	}
	id.Name = str("name")
	if id.Name == "" {
		id.Name = strings.TrimSpace(str("given_name") + " " + str("family_name"))
	}
	if c.cfg.GroupsClaim != "" {
		var values []string
		switch v := claims[c.cfg.GroupsClaim].(type) {
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok {
					values = append(values, s)
				}
			}
		case string:
			values = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
		}
		seen := map[string]bool{}
		for _, v := range values {
			name := strings.TrimSpace(v)
			if c.cfg.GroupMap != nil {
				name = c.cfg.GroupMap[name]
			}
			if name != "" && !seen[name] {
				seen[name] = true
				id.Groups = append(id.Groups, name)
			}
		}
		sort.Strings(id.Groups)
		if c.cfg.GroupMap != nil {
			managed := map[string]bool{}
			for _, g := range c.cfg.GroupMap {
				managed[g] = true
			}
			for g := range managed {
				id.Managed = append(id.Managed, g)
			}
			sort.Strings(id.Managed)
		}
	}
	return id
}

// limitedTransport cuts every response body at max bytes: a provider is
// trusted with identities, not with Lectern's memory.
type limitedTransport struct {
	next http.RoundTripper
	max  int64
}

func (t limitedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, errors.New("sso: the identity provider's answer is too large")
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }
