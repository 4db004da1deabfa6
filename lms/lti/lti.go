// Package lti makes Lectern an LTI 1.3 tool with LTI Advantage: platforms
// (Moodle, Canvas, Blackboard, Brightspace, Sakai) launch Lectern courses
// inside their own courses and receive the results in their gradebooks.
//
// The standard stays here: OIDC login initiation, id_token verification,
// claims, Deep Linking 2.0, Assignment and Grade Services 2.0, Names and Role
// Provisioning Services 2.0, Dynamic Registration 1.0 and Lectern's signing
// keys. The rest of Lectern sees plain users, courses, groups, enrolments and
// attempts (through lms/store), never a claim. No HTTP server types appear
// here: lms/web calls this package.
//
// JOSE is done by github.com/golang-jwt/jwt/v5 with
// github.com/MicahParks/keyfunc/v3 (and its jwkset); this package writes no
// cryptography of its own.
package lti

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

// Options are the LTI settings (fields of lms.Config).
type Options struct {
	BaseURL          string        // public URL of the LMS origin; the tool's URLs hang off it
	StateTTL         time.Duration // an OIDC login must finish within this
	CodeTTL          time.Duration // a verified launch must be entered within this
	SessionTTL       time.Duration // a launched window stays signed in this long
	Leeway           time.Duration // clock skew allowed on exp and iat
	MaxTokenBytes    int           // largest id_token (and launch form) accepted
	MaxResponseBytes int64         // largest answer read from a platform (JWKS, token, roster page)
	HTTPTimeout      time.Duration // calls to platforms
	KeyOverlap       time.Duration // a replaced signing key stays published this long
	ScoreMaxAttempts int           // a grade post is tried this often before it waits for an admin
	RosterMax        int           // most members read from a roster
	RegistrationTTL  time.Duration // a dynamic registration link is valid this long
	JWKSRefetch      time.Duration // a platform's keys are fetched again for an unknown key id at most this often
	RetryBase        time.Duration // first pause after a failed grade post (0: 30 s); tests and the bench shorten it
	ProbeEvery       time.Duration // a platform whose grade posts all wait out a back-off is tried with one this often (0: a minute)
}

// DefaultOptions are the defaults of the settings.
func DefaultOptions() Options {
	return Options{
		StateTTL: 10 * time.Minute, CodeTTL: 2 * time.Minute, SessionTTL: 8 * time.Hour, Leeway: time.Minute,
		MaxTokenBytes: 64 << 10, MaxResponseBytes: 4 << 20, HTTPTimeout: 15 * time.Second, KeyOverlap: 72 * time.Hour,
		ScoreMaxAttempts: 12, RosterMax: 10000, RegistrationTTL: 7 * 24 * time.Hour, JWKSRefetch: 10 * time.Second,
	}
}

// Service is the tool.
type Service struct {
	Store *store.Store
	Opt   Options
	HTTP  *http.Client // calls to platforms; nil: one with Opt.HTTPTimeout
	Log   *slog.Logger

	keyMu sync.Mutex
	keys  *keyRing // cached signing keys

	jwksMu sync.Mutex
	jwks   map[string]*jwksEntry // platform key sets by JWKS URL

	tokMu  sync.Mutex
	tokens map[string]accessToken // access tokens by platform and scope

	probeMu sync.Mutex
	probed  map[uint]time.Time // when each platform was last probed (see probes)
}

// New builds the service.
func New(st *store.Store, opt Options, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Service{Store: st, Opt: opt, Log: log}
	s.HTTP = &http.Client{Timeout: opt.HTTPTimeout}
	return s
}

// Refusal is a launch (or registration) Lectern refuses: Reason is for the
// audit journal and the log, Message for the person in front of the page.
type Refusal struct {
	Reason  string
	Message string
	Err     error
}

func (r *Refusal) Error() string {
	if r.Err != nil {
		return "lti: refused: " + r.Reason + ": " + r.Err.Error()
	}
	return "lti: refused: " + r.Reason
}
func (r *Refusal) Unwrap() error { return r.Err }

// ErrRefused matches every Refusal.
var ErrRefused = errors.New("lti: refused")

func (r *Refusal) Is(target error) bool { return target == ErrRefused }

func refuse(reason, message string, err error) *Refusal {
	return &Refusal{Reason: reason, Message: message, Err: err}
}

// Tool URLs, relative to the base URL.
const (
	PathLogin    = "/lti/login"
	PathLaunch   = "/lti/launch"
	PathDeepLink = "/lti/deep-link"
	PathJWKS     = "/lti/jwks"
	PathRegister = "/lti/register"
)

// ToolConfig is what a platform administrator pastes into the platform.
type ToolConfig struct {
	LoginURL               string `json:"loginUrl"`
	LaunchURL              string `json:"launchUrl"`
	DeepLinkURL            string `json:"deepLinkUrl"`
	JWKSURL                string `json:"jwksUrl"`
	DynamicRegistrationURL string `json:"dynamicRegistrationUrl"`
}

// URL makes a tool path absolute.
func (s *Service) URL(path string) string { return strings.TrimRight(s.Opt.BaseURL, "/") + path }

// Config returns the tool's URLs with a new dynamic registration link: each
// link registers one platform and expires after Opt.RegistrationTTL.
func (s *Service) Config(ctx context.Context) (*ToolConfig, error) {
	link, err := s.RegistrationLink(ctx)
	if err != nil {
		return nil, err
	}
	return &ToolConfig{
		LoginURL: s.URL(PathLogin), LaunchURL: s.URL(PathLaunch), DeepLinkURL: s.URL(PathDeepLink),
		JWKSURL: s.URL(PathJWKS), DynamicRegistrationURL: link,
	}, nil
}

// RegistrationLink creates a one-time dynamic registration URL.
func (s *Service) RegistrationLink(ctx context.Context) (string, error) {
	token := account.NewToken()
	if err := s.Store.CreateLTIRegistration(ctx, account.HashToken(token), s.Opt.RegistrationTTL); err != nil {
		return "", err
	}
	return s.URL(PathRegister) + "?t=" + token, nil
}

// Handle is the stable opaque name of a platform user when Lectern keeps
// neither name nor email: ten characters derived from the issuer and the
// subject.
func Handle(issuer, subject string) string {
	sum := sha256.Sum256([]byte(issuer + "\x00" + subject))
	h := base32.StdEncoding.EncodeToString(sum[:])[:10]
	return h[:5] + "-" + h[5:]
}

// readLimited reads at most max bytes of a response body, refusing more.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("the answer is larger than %d bytes", max)
	}
	return b, nil
}
