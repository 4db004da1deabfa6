package lti

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/lectern/lectern/lms/store"
)

// A platform's key set is cached for jwksMaxAge and fetched again once when a
// token names a key it does not hold, at most once per Opt.JWKSRefetch (so
// that tokens with made-up key ids cannot make Lectern hammer the platform).
const jwksMaxAge = time.Hour

type jwksEntry struct {
	keys      keyfunc.Keyfunc
	fetched   time.Time
	refetched time.Time // last fetch for an unknown key id
}

// errUnknownKID is a token signed with a key the platform does not publish.
var errUnknownKID = errors.New("the platform does not publish this key")

// fetchJWKS reads a platform's key set.
func (s *Service) fetchJWKS(ctx context.Context, url string) (keyfunc.Keyfunc, error) {
	ctx, cancel := context.WithTimeout(ctx, s.Opt.HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	raw, err := readLimited(resp.Body, s.Opt.MaxResponseBytes)
	if err != nil {
		return nil, err
	}
	return keyfunc.NewJWKSetJSON(raw)
}

// platformKey finds the public key of kid in the platform's key set.
func (s *Service) platformKey(ctx context.Context, p *store.LTIPlatform, kid string) (any, error) {
	s.jwksMu.Lock()
	if s.jwks == nil {
		s.jwks = map[string]*jwksEntry{}
	}
	e := s.jwks[p.JWKSURL]
	s.jwksMu.Unlock()
	lookup := func(e *jwksEntry) (any, error) {
		tok := &jwt.Token{Header: map[string]any{"kid": kid, "alg": "RS256"}}
		return e.keys.KeyfuncCtx(ctx)(tok)
	}
	var refetched time.Time
	if e != nil && time.Since(e.fetched) < jwksMaxAge {
		if k, err := lookup(e); err == nil {
			return k, nil
		}
		if time.Since(e.refetched) < s.Opt.JWKSRefetch {
			return nil, errUnknownKID
		}
		refetched = time.Now()
	}
	// Not cached, stale, or the key is unknown: fetch once.
	keys, err := s.fetchJWKS(ctx, p.JWKSURL)
	if err != nil {
		if e != nil && !refetched.IsZero() {
			s.jwksMu.Lock()
			e.refetched = refetched
			s.jwksMu.Unlock()
		}
		return nil, fmt.Errorf("the platform's key set at %s could not be read: %w", p.JWKSURL, err)
	}
	e = &jwksEntry{keys: keys, fetched: time.Now(), refetched: refetched}
	s.jwksMu.Lock()
	s.jwks[p.JWKSURL] = e
	s.jwksMu.Unlock()
	k, err := lookup(e)
	if err != nil {
		return nil, errUnknownKID
	}
	return k, nil
}

// parseIDToken checks an id_token's signature and registered claims against
// the platform: RS256 only, a key of the platform's key set named by kid, the
// issuer, the audience (with azp when there are several), and exp and iat
// with the leeway. The LTI claims are checked by the caller.
func (s *Service) parseIDToken(ctx context.Context, p *store.LTIPlatform, raw string) (*idToken, *Refusal) {
	// The header first, to say precisely why an algorithm is refused.
	var head idToken
	unverified, _, err := jwt.NewParser().ParseUnverified(raw, &head)
	if err != nil {
		return nil, refuse("malformed id_token", "The launch from your learning platform could not be read.", err)
	}
	if alg, _ := unverified.Header["alg"].(string); alg != "RS256" {
		return nil, refuse(fmt.Sprintf("id_token algorithm %q refused (RS256 only)", alg), "The launch was not signed the way LTI 1.3 requires.", nil)
	}
	kid, _ := unverified.Header["kid"].(string)
	if kid == "" {
		return nil, refuse("id_token has no kid", "The launch was not signed the way LTI 1.3 requires.", nil)
	}
	var claims idToken
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(p.Issuer),
		jwt.WithAudience(p.ClientID),
		jwt.WithLeeway(s.Opt.Leeway),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
	)
	var keyErr error
	_, err = parser.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) {
		k, err := s.platformKey(ctx, p, kid)
		keyErr = err
		return k, err
	})
	switch {
	case err == nil:
	case keyErr != nil && errors.Is(keyErr, errUnknownKID):
		return nil, refuse(fmt.Sprintf("unknown key id %q", kid), "The launch was signed with a key your learning platform does not publish.", keyErr)
	case keyErr != nil:
		return nil, refuse("platform key set unavailable", "Lectern could not read your learning platform's keys to check this launch. Try again in a minute.", keyErr)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return nil, refuse("bad signature", "The launch's signature is not valid.", err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return nil, refuse("wrong issuer", "The launch did not come from the registered platform.", err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return nil, refuse("wrong audience", "The launch was meant for another tool.", err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, refuse("expired id_token", "The launch has expired. Go back to your course and open the activity again.", err)
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued), errors.Is(err, jwt.ErrTokenNotValidYet):
		return nil, refuse("id_token issued in the future", "The launch's time is wrong (is the platform's clock right?).", err)
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return nil, refuse("missing required claim", "The launch is missing information LTI 1.3 requires.", err)
	default:
		return nil, refuse("invalid id_token", "The launch from your learning platform is not valid.", err)
	}
	// Several audiences: the authorised party must be Lectern. A single
	// audience with azp: azp must be Lectern too.
	if len(claims.Audience) > 1 && claims.AZP == "" {
		return nil, refuse("several audiences without azp", "The launch was meant for several tools.", nil)
	}
	if claims.AZP != "" && claims.AZP != p.ClientID {
		return nil, refuse("azp is not Lectern's client id", "The launch was meant for another tool.", nil)
	}
	if claims.IssuedAt == nil {
		return nil, refuse("missing iat", "The launch is missing information LTI 1.3 requires.", nil)
	}
	return &claims, nil
}
