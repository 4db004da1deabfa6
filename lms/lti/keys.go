package lti

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/lectern/lectern/lms/store"
)

// Lectern's signing keys: RSA 2048, one signs (deep-linking responses, client
// assertions), retired ones stay published for Opt.KeyOverlap so that what
// they signed can still be checked. The private keys live in the database
// only; nothing here prints, logs or exports them.

type signingKey struct {
	kid     string
	private *rsa.PrivateKey
	retired bool
}

// String keeps the key material out of logs.
func (k signingKey) String() string { return "signingKey(" + k.kid + ")" }

type keyRing struct {
	keys   []signingKey // newest first
	loaded time.Time
}

// keysReload bounds how long another instance's rotation takes to be seen.
const keysReload = time.Minute

// ring returns the published keys, creating the first key when there is none.
func (s *Service) ring(ctx context.Context) (*keyRing, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	if s.keys != nil && time.Since(s.keys.loaded) < keysReload {
		return s.keys, nil
	}
	rows, err := s.Store.LTIKeys(ctx)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 || rows[0].RetiredAt != nil {
		if _, err := s.addKey(ctx); err != nil {
			return nil, err
		}
		if rows, err = s.Store.LTIKeys(ctx); err != nil {
			return nil, err
		}
	}
	r := &keyRing{loaded: time.Now()}
	for _, row := range rows {
		k, err := x509.ParsePKCS8PrivateKey(row.PrivateDER)
		if err != nil {
			return nil, fmt.Errorf("lti: key %s: %w", row.ID, err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("lti: key %s is not an RSA key", row.ID)
		}
		r.keys = append(r.keys, signingKey{kid: row.ID, private: rk, retired: row.RetiredAt != nil})
	}
	s.keys = r
	return r, nil
}

// addKey generates a key and makes it the signing key.
func (s *Service) addKey(ctx context.Context) (string, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", fmt.Errorf("lti: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", fmt.Errorf("lti: encode key: %w", err)
	}
	id := make([]byte, 12)
	if _, err := rand.Read(id); err != nil {
		return "", err
	}
	kid := time.Now().UTC().Format("20060102") + "-" + hex.EncodeToString(id)
	if err := s.Store.AddLTIKey(ctx, &store.LTIKey{ID: kid, PrivateDER: der}, s.Opt.KeyOverlap); err != nil {
		return "", err
	}
	return kid, nil
}

// RotateKey makes a new signing key. The old one stays in the JWKS for
// Opt.KeyOverlap, then is deleted.
func (s *Service) RotateKey(ctx context.Context) (string, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	kid, err := s.addKey(ctx)
	s.keys = nil
	return kid, err
}

// KeyInfo describes a published key without its private part.
type KeyInfo struct {
	KID       string     `json:"kid"`
	CreatedAt time.Time  `json:"createdAt"`
	Signing   bool       `json:"signing"`
	RemoveAt  *time.Time `json:"removeAt,omitempty"`
}

// Keys lists the published keys, newest first.
func (s *Service) Keys(ctx context.Context) ([]KeyInfo, error) {
	if _, err := s.ring(ctx); err != nil {
		return nil, err
	}
	rows, err := s.Store.LTIKeys(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]KeyInfo, 0, len(rows))
	for i, r := range rows {
		out = append(out, KeyInfo{KID: r.ID, CreatedAt: r.CreatedAt, Signing: i == 0 && r.RetiredAt == nil, RemoveAt: r.RemoveAt})
	}
	return out, nil
}

// JWKS is the tool's public key set.
func (s *Service) JWKS(ctx context.Context) ([]byte, error) {
	r, err := s.ring(ctx)
	if err != nil {
		return nil, err
	}
	set := jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{}}
	for _, k := range r.keys {
		j, err := jwkset.NewJWKFromKey(&k.private.PublicKey, jwkset.JWKOptions{
			Metadata: jwkset.JWKMetadataOptions{KID: k.kid, ALG: jwkset.AlgRS256, USE: jwkset.UseSig},
		})
		if err != nil {
			return nil, fmt.Errorf("lti: JWKS: %w", err)
		}
		set.Keys = append(set.Keys, j.Marshal())
	}
	return json.Marshal(set)
}

// sign signs claims with the signing key (RS256, with its kid).
func (s *Service) sign(ctx context.Context, claims jwt.Claims) (string, error) {
	r, err := s.ring(ctx)
	if err != nil {
		return "", err
	}
	if len(r.keys) == 0 || r.keys[0].retired {
		return "", errors.New("lti: no signing key")
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	t.Header["kid"] = r.keys[0].kid
	return t.SignedString(r.keys[0].private)
}
