package lti

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

// Service calls (AGS, NRPS) carry an OAuth 2 access token that Lectern gets
// from the platform's token endpoint with the client-credentials grant,
// proving who it is with a JWT signed by its own key (private_key_jwt). The
// token is kept until shortly before it expires.

type accessToken struct {
	value   string
	expires time.Time
}

// tokenMargin is how long before its expiry a token is replaced.
const tokenMargin = 30 * time.Second

// token returns an access token of p for scopes.
func (s *Service) token(ctx context.Context, p *store.LTIPlatform, scopes ...string) (string, error) {
	scope := strings.Join(scopes, " ")
	key := strconv.FormatUint(uint64(p.ID), 10) + " " + scope
	s.tokMu.Lock()
	if t, ok := s.tokens[key]; ok && time.Now().Before(t.expires) {
		s.tokMu.Unlock()
		return t.value, nil
	}
	s.tokMu.Unlock()

	now := time.Now()
	assertion, err := s.sign(ctx, jwt.RegisteredClaims{
		Issuer: p.ClientID, Subject: p.ClientID, Audience: jwt.ClaimStrings{p.TokenURL},
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(5 * time.Minute)), ID: account.NewToken(),
	})
	if err != nil {
		return "", err
	}
	form := url.Values{
		"grant_type":            {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion},
		"scope":                 {scope},
	}
	body, status, err := s.call(ctx, http.MethodPost, p.TokenURL, "", "application/x-www-form-urlencoded", "application/json", strings.NewReader(form.Encode()))
	if err != nil {
		return "", transient{fmt.Errorf("token endpoint: %w", err)}
	}
	if status != http.StatusOK {
		return "", httpFailure("token endpoint", status, body)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(body, &tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("token endpoint: no access token in the answer")
	}
	life := time.Duration(tr.ExpiresIn) * time.Second
	if life <= 0 {
		life = time.Hour
	}
	s.tokMu.Lock()
	if s.tokens == nil {
		s.tokens = map[string]accessToken{}
	}
	s.tokens[key] = accessToken{value: tr.AccessToken, expires: now.Add(life - tokenMargin)}
	s.tokMu.Unlock()
	return tr.AccessToken, nil
}

// forgetToken drops a token the platform refused (revoked, or its expiry
// was shorter than it said).
func (s *Service) forgetToken(p *store.LTIPlatform, scopes ...string) {
	key := strconv.FormatUint(uint64(p.ID), 10) + " " + strings.Join(scopes, " ")
	s.tokMu.Lock()
	delete(s.tokens, key)
	s.tokMu.Unlock()
}

// call makes one request to a platform and reads a bounded answer.
func (s *Service) call(ctx context.Context, method, u, bearer, contentType, accept string, body io.Reader) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, s.Opt.HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, 0, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := readLimited(resp.Body, s.Opt.MaxResponseBytes)
	if err != nil {
		return nil, resp.StatusCode, err
	}
	return b, resp.StatusCode, nil
}

// callJSON sends v as JSON with a bearer token.
func (s *Service) callJSON(ctx context.Context, method, u, bearer, contentType, accept string, v any) ([]byte, int, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, 0, err
	}
	return s.call(ctx, method, u, bearer, contentType, accept, bytes.NewReader(b))
}
