package lti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

// LTI Dynamic Registration 1.0: a platform administrator pastes Lectern's
// registration link into the platform, which opens it with the address of
// its OpenID configuration; Lectern reads it, registers itself at the
// platform's registration endpoint and records the platform. The link holds a
// one-time token from a Lectern administrator (tool-config or the admin
// page): without it nobody could make Lectern fetch an address or trust a new
// platform.

// PlatformConfig is what Lectern reads of a platform's OpenID configuration.
type PlatformConfig struct {
	Issuer               string `json:"issuer"`
	AuthorizationURL     string `json:"authorization_endpoint"`
	TokenURL             string `json:"token_endpoint"`
	JWKSURL              string `json:"jwks_uri"`
	RegistrationEndpoint string `json:"registration_endpoint"`
	Platform             struct {
		ProductFamily string `json:"product_family_code"`
		Version       string `json:"version"`
	} `json:"https://purl.imsglobal.org/spec/lti-platform-configuration"`
}

// CheckRegistrationLink tells whether a registration link can be used.
func (s *Service) CheckRegistrationLink(ctx context.Context, token string) error {
	if err := s.Store.LTIRegistrationValid(ctx, account.HashToken(token)); errors.Is(err, store.ErrNotFound) {
		return refuse("registration link unknown, used or expired", "This registration link was already used or has expired. Ask your Lectern administrator for a new one.", err)
	} else if err != nil {
		return err
	}
	return nil
}

// PlatformConfiguration fetches and checks a platform's OpenID configuration.
func (s *Service) PlatformConfiguration(ctx context.Context, configURL string) (*PlatformConfig, error) {
	cu, err := url.Parse(configURL)
	if err != nil || (cu.Scheme != "https" && cu.Scheme != "http") || cu.Host == "" {
		return nil, refuse("bad openid_configuration URL", "The platform did not give a valid configuration address.", err)
	}
	body, status, err := s.call(ctx, http.MethodGet, configURL, "", "", "application/json", nil)
	if err != nil || status != http.StatusOK {
		if err == nil {
			err = fmt.Errorf("HTTP %d", status)
		}
		return nil, refuse("platform configuration unreadable", "Lectern could not read the platform's configuration.", err)
	}
	var pc PlatformConfig
	if err := json.Unmarshal(body, &pc); err != nil {
		return nil, refuse("platform configuration malformed", "The platform's configuration is not valid JSON.", err)
	}
	iu, err := url.Parse(pc.Issuer)
	switch {
	case err != nil || iu.Host == "":
		return nil, refuse("platform configuration without issuer", "The platform's configuration names no issuer.", err)
	case iu.Scheme != cu.Scheme || iu.Host != cu.Host:
		// The configuration must be the issuer's own: its address starts
		// with the issuer's.
		return nil, refuse("issuer does not match the configuration's address", "The platform's configuration does not belong to the platform it names.", nil)
	case pc.AuthorizationURL == "" || pc.TokenURL == "" || pc.JWKSURL == "" || pc.RegistrationEndpoint == "":
		return nil, refuse("platform configuration incomplete", "The platform's configuration lacks an endpoint Lectern needs.", nil)
	}
	return &pc, nil
}

// Registration is a platform administrator's choice at registration.
type Registration struct {
	Token             string // Lectern's one-time link token
	ConfigURL         string // the platform's openid_configuration
	RegistrationToken string // the platform's registration_token, if any
	Name              string
	KeepName          bool
	KeepEmail         bool
}

// Register registers Lectern with the platform and records the platform.
func (s *Service) Register(ctx context.Context, r Registration) (*store.LTIPlatform, error) {
	if err := s.CheckRegistrationLink(ctx, r.Token); err != nil {
		return nil, err
	}
	pc, err := s.PlatformConfiguration(ctx, r.ConfigURL)
	if err != nil {
		return nil, err
	}
	base, _ := url.Parse(s.Opt.BaseURL)
	claims := []string{"iss", "sub"}
	if r.KeepName {
		claims = append(claims, "name", "given_name", "family_name")
	}
	if r.KeepEmail {
		claims = append(claims, "email")
	}
	req := map[string]any{
		"application_type":           "web",
		"response_types":             []string{"id_token"},
		"grant_types":                []string{"implicit", "client_credentials"},
		"initiate_login_uri":         s.URL(PathLogin),
		"redirect_uris":              []string{s.URL(PathLaunch), s.URL(PathDeepLink)},
		"client_name":                "Lectern",
		"jwks_uri":                   s.URL(PathJWKS),
		"token_endpoint_auth_method": "private_key_jwt",
		"scope":                      strings.Join([]string{ScopeLineItem, ScopeLineItemRO, ScopeResult, ScopeScore, ScopeNRPS}, " "),
		"https://purl.imsglobal.org/spec/lti-tool-configuration": map[string]any{
			"domain":          base.Host,
			"target_link_uri": s.URL(PathLaunch),
			"claims":          claims,
			"messages": []map[string]any{
				{"type": MessageResourceLink, "target_link_uri": s.URL(PathLaunch)},
				{"type": MessageDeepLinking, "target_link_uri": s.URL(PathDeepLink), "label": "Lectern course",
					"placements": []string{"link_selection", "assignment_selection"}},
			},
		},
	}
	body, status, err := s.callJSON(ctx, http.MethodPost, pc.RegistrationEndpoint, r.RegistrationToken, "application/json", "application/json", req)
	if err != nil || status < 200 || status > 299 {
		if err == nil {
			err = fmt.Errorf("HTTP %d: %s", status, clip(string(body), 200))
		}
		return nil, refuse("registration refused by the platform", "The platform did not accept Lectern's registration.", err)
	}
	var resp struct {
		ClientID string `json:"client_id"`
		ToolConf struct {
			DeploymentID string `json:"deployment_id"`
		} `json:"https://purl.imsglobal.org/spec/lti-tool-configuration"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || resp.ClientID == "" {
		return nil, refuse("registration answer without client_id", "The platform's answer to the registration is not valid.", err)
	}
	name := strings.TrimSpace(r.Name)
	if name == "" {
		name = firstOf(pc.Platform.ProductFamily, pc.Issuer)
	}
	p := &store.LTIPlatform{Name: clip(name, 200), Issuer: pc.Issuer, ClientID: resp.ClientID, AuthURL: pc.AuthorizationURL,
		TokenURL: pc.TokenURL, JWKSURL: pc.JWKSURL, KeepName: r.KeepName, KeepEmail: r.KeepEmail, Source: "dynamic"}
	if resp.ToolConf.DeploymentID != "" {
		p.Deployments = []string{resp.ToolConf.DeploymentID}
	}
	if err := s.Store.RegisterLTIPlatform(ctx, account.HashToken(r.Token), p); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, refuse("registration link used meanwhile", "This registration link was used meanwhile. Ask your Lectern administrator for a new one.", err)
		}
		if errors.Is(err, store.ErrConflict) {
			return nil, refuse("platform already registered", "This platform is already registered with this client id.", err)
		}
		return nil, err
	}
	return p, nil
}

// PlatformInput is a registration typed by an admin (page, CLI, API).
type PlatformInput struct {
	Name, Issuer, ClientID, AuthURL, TokenURL, JWKSURL string
	Deployments                                        []string
	Keep                                               string // "name,email", "name", "email" or "none"
}

// ParseKeep reads a --keep value.
func ParseKeep(v string) (name, email bool, err error) {
	v = strings.TrimSpace(strings.ToLower(v))
	if v == "none" || v == "" {
		return false, false, nil
	}
	for _, part := range strings.Split(v, ",") {
		switch strings.TrimSpace(part) {
		case "name":
			name = true
		case "email":
			email = true
		default:
			return false, false, fmt.Errorf("keep %q: want name,email, name, email or none", v)
		}
	}
	return name, email, nil
}

// KeepText is a platform's data minimisation setting in words.
func KeepText(p *store.LTIPlatform) string {
	switch {
	case p.KeepName && p.KeepEmail:
		return "name,email"
	case p.KeepName:
		return "name"
	case p.KeepEmail:
		return "email"
	}
	return "none"
}

// AddPlatform checks and registers a platform typed by an admin.
func (s *Service) AddPlatform(ctx context.Context, in PlatformInput, source string) (*store.LTIPlatform, error) {
	keepName, keepEmail, err := ParseKeep(in.Keep)
	if err != nil {
		return nil, err
	}
	in.Issuer = strings.TrimSpace(in.Issuer)
	in.ClientID = strings.TrimSpace(in.ClientID)
	if in.Issuer == "" || in.ClientID == "" {
		return nil, errors.New("the issuer and the client id are required")
	}
	for _, f := range []struct{ name, v string }{{"auth URL", in.AuthURL}, {"token URL", in.TokenURL}, {"JWKS URL", in.JWKSURL}} {
		u, err := url.Parse(strings.TrimSpace(f.v))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("the %s %q is not an http or https URL", f.name, f.v)
		}
	}
	var deps []string
	seen := map[string]bool{}
	for _, d := range in.Deployments {
		for _, part := range strings.Split(d, ",") {
			if part = strings.TrimSpace(part); part != "" && !seen[part] {
				if len(part) > 255 {
					return nil, fmt.Errorf("the deployment id %q is longer than 255 characters", clip(part, 40))
				}
				seen[part] = true
				deps = append(deps, part)
			}
		}
	}
	if len(deps) == 0 {
		return nil, errors.New("at least one deployment id is required")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = in.Issuer
	}
	for _, f := range []struct {
		name, v string
		n       int
	}{{"name", name, 200}, {"issuer", in.Issuer, 500}, {"client id", in.ClientID, 500},
		{"auth URL", in.AuthURL, 2000}, {"token URL", in.TokenURL, 2000}, {"JWKS URL", in.JWKSURL, 2000}} {
		if len(f.v) > f.n {
			return nil, fmt.Errorf("the %s is longer than %d characters", f.name, f.n)
		}
	}
	p := &store.LTIPlatform{Name: name, Issuer: in.Issuer, ClientID: in.ClientID, AuthURL: strings.TrimSpace(in.AuthURL),
		TokenURL: strings.TrimSpace(in.TokenURL), JWKSURL: strings.TrimSpace(in.JWKSURL), KeepName: keepName, KeepEmail: keepEmail,
		Source: source, Deployments: deps}
	if err := s.Store.CreateLTIPlatform(ctx, p); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("the issuer %s with client id %s is already registered", p.Issuer, p.ClientID)
		}
		return nil, err
	}
	return p, nil
}
