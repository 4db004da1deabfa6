package lti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

// Storage modes of an OIDC login's state: a cookie, or the platform's
// storage through LTI client-side postMessages (for browsers that block
// third-party cookies).
const (
	StorageCookie   = "cookie"
	StoragePlatform = "platform"
)

// LoginRequest is a platform's third-party-initiated login (GET or POST).
type LoginRequest struct {
	Issuer, LoginHint, TargetLinkURI, MessageHint, DeploymentID, ClientID, StorageTarget string
}

// Login is how to continue a login: send the browser to AuthURL, with the
// state stored in a cookie or in the platform's storage.
type Login struct {
	AuthURL       string
	State, Nonce  string
	Storage       string // StorageCookie or StoragePlatform
	StorageTarget string // the platform's storage frame ("_parent" or a frame name)
	StorageOrigin string // the origin the storage frame answers from (the OIDC endpoint's)
}

// Login starts the OIDC login of a launch.
func (s *Service) Login(ctx context.Context, r LoginRequest) (*Login, error) {
	if r.Issuer == "" || r.LoginHint == "" || r.TargetLinkURI == "" {
		return nil, refuse("login without iss, login_hint or target_link_uri", "The learning platform's request is incomplete.", nil)
	}
	p, err := s.Store.LTIPlatformFor(ctx, r.Issuer, r.ClientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, refuse("unknown issuer "+r.Issuer, "This learning platform is not registered with Lectern. Ask your Lectern administrator to register it.", err)
	case errors.Is(err, store.ErrAmbiguous):
		return nil, refuse("several registrations and no client_id", "Lectern has several registrations for this platform and the request did not say which.", err)
	case err != nil:
		return nil, err
	}
	if r.DeploymentID != "" && !slices.Contains(p.Deployments, r.DeploymentID) {
		return nil, refuse("unknown deployment "+r.DeploymentID, "This deployment of Lectern is not registered. Ask your Lectern administrator to add it.", nil)
	}
	if !s.ownTarget(r.TargetLinkURI) {
		return nil, refuse("target_link_uri is not Lectern's", "The learning platform asked for an address that is not Lectern's.", nil)
	}
	auth, err := url.Parse(p.AuthURL)
	if err != nil || (auth.Scheme != "https" && auth.Scheme != "http") {
		return nil, refuse("bad platform auth URL", "The platform's registration is broken: its login address is wrong.", err)
	}
	l := &Login{State: account.NewToken(), Nonce: account.NewToken(), Storage: StorageCookie}
	if r.StorageTarget != "" {
		l.Storage, l.StorageTarget, l.StorageOrigin = StoragePlatform, r.StorageTarget, auth.Scheme+"://"+auth.Host
	}
	err = s.Store.CreateLTIState(ctx, &store.LTIState{ID: account.HashToken(l.State), NonceHash: account.HashToken(l.Nonce),
		PlatformID: p.ID, TargetLinkURI: r.TargetLinkURI, Storage: l.Storage, StorageTarget: clip(l.StorageTarget, 200)}, s.Opt.StateTTL)
	if err != nil {
		return nil, err
	}
	q := auth.Query()
	for k, v := range map[string]string{
		"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
		"client_id": p.ClientID, "redirect_uri": r.TargetLinkURI, "login_hint": r.LoginHint,
		"state": l.State, "nonce": l.Nonce,
	} {
		q.Set(k, v)
	}
	if r.MessageHint != "" {
		q.Set("lti_message_hint", r.MessageHint)
	}
	auth.RawQuery = q.Encode()
	l.AuthURL = auth.String()
	return l, nil
}

// ownTarget tells whether a target link URI is one of Lectern's launch URLs.
func (s *Service) ownTarget(target string) bool {
	u, err := url.Parse(target)
	if err != nil {
		return false
	}
	base := u.Scheme + "://" + u.Host + u.Path
	return base == s.URL(PathLaunch) || base == s.URL(PathDeepLink)
}

// Launch is a verified launch in Lectern's terms: what Lectern keeps of it
// and where it goes. It is stored (as JSON) for the moment between the
// verification and the window entering it, so it holds nothing the
// platform's settings do not keep.
type Launch struct {
	PlatformID     uint              `json:"platform"`
	Issuer         string            `json:"iss"`
	DeploymentID   string            `json:"deployment"`
	Subject        string            `json:"sub"`
	Name           string            `json:"name,omitempty"`
	Email          string            `json:"email,omitempty"`
	Handle         string            `json:"handle"`
	MessageType    string            `json:"type"`
	ContextID      string            `json:"context,omitempty"`
	ContextTitle   string            `json:"contextTitle,omitempty"`
	ResourceLinkID string            `json:"resourceLink,omitempty"`
	ResourceTitle  string            `json:"resourceTitle,omitempty"`
	CourseID       uint              `json:"course,omitempty"`
	Instructor     bool              `json:"instructor"`
	LineItemURL    string            `json:"lineItem,omitempty"`
	LineItemsURL   string            `json:"lineItems,omitempty"`
	Scopes         string            `json:"scopes,omitempty"`
	MembershipsURL string            `json:"memberships,omitempty"`
	ReturnURL      string            `json:"returnUrl,omitempty"`
	DeepLink       *DeepLinkSettings `json:"deepLink,omitempty"`
}

// DeepLinkSettings is what a deep-linking request asks for.
type DeepLinkSettings struct {
	ReturnURL      string   `json:"returnUrl"`
	Data           string   `json:"data,omitempty"`
	AcceptTypes    []string `json:"acceptTypes"`
	AcceptMultiple bool     `json:"acceptMultiple"`
	ClientID       string   `json:"clientId"`
}

// LaunchForm is the platform's form post after its OIDC login.
type LaunchForm struct {
	IDToken, State string
	CookieState    string // the state cookie this browser holds, if any
}

// Verified is a checked launch waiting for its window.
type Verified struct {
	Code          string // single-use, enters the launch
	Launch        *Launch
	Storage       string // how the browser must prove it started the login
	StorageTarget string
	StorageOrigin string
	State         string // for the platform-storage check in the browser
}

// Verify checks a launch by every rule of LTI 1.3 and stores it under a
// single-use code. Nothing else is created: the window enters the launch
// with the code (see Enter) after it proved it started the login.
func (s *Service) Verify(ctx context.Context, f LaunchForm) (*Verified, error) {
	if len(f.IDToken) > s.Opt.MaxTokenBytes {
		return nil, refuse(fmt.Sprintf("id_token larger than %d bytes", s.Opt.MaxTokenBytes), "The launch is too large.", nil)
	}
	if f.IDToken == "" {
		return nil, refuse("no id_token", "The learning platform sent no launch.", nil)
	}
	if f.State == "" {
		return nil, refuse("no state", "The launch is missing its state. Open the activity again from your course.", nil)
	}
	hash := account.HashToken(f.State)
	st, err := s.Store.LTIStateByID(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse("unknown state", "This launch was not started here, or it is too old. Open the activity again from your course.", err)
	} else if err != nil {
		return nil, err
	}
	if st.UsedAt != nil {
		return nil, refuse("state already used (replayed launch)", "This launch was already used. Open the activity again from your course.", nil)
	}
	if !st.ExpiresAt.After(s.Store.Now()) {
		return nil, refuse("state expired", "This launch took too long. Open the activity again from your course.", nil)
	}
	v, rf, err := s.verify(ctx, f, st)
	if err != nil {
		return nil, err
	}
	if rf != nil {
		// A refused launch uses its state up too.
		if err := s.Store.ConsumeLTIState(ctx, hash, nil, 0); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		return nil, rf
	}
	return v, nil
}

// verify checks a launch whose state is known and, when it passes, uses the
// state and stores the launch under a new code in one transaction.
func (s *Service) verify(ctx context.Context, f LaunchForm, st *store.LTIState) (*Verified, *Refusal, error) {
	if st.Storage == StorageCookie && f.CookieState != f.State {
		return nil, refuse("state mismatch (no matching state cookie)", "This launch was not started in this browser window. Open the activity again from your course.", nil), nil
	}
	p, err := s.Store.LTIPlatformByID(ctx, st.PlatformID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse("platform removed", "This learning platform is no longer registered with Lectern.", err), nil
	} else if err != nil {
		return nil, nil, err
	}
	c, rf := s.parseIDToken(ctx, p, f.IDToken)
	if rf != nil {
		return nil, rf, nil
	}
	if account.HashToken(c.Nonce) != st.NonceHash {
		return nil, refuse("nonce does not match the login (replayed or forged id_token)", "This launch does not belong to the login that started it.", nil), nil
	}
	l, rf := s.translate(ctx, p, c, st.TargetLinkURI)
	if rf != nil {
		return nil, rf, nil
	}
	raw, err := json.Marshal(l)
	if err != nil {
		return nil, nil, err
	}
	code := account.NewToken()
	err = s.Store.ConsumeLTIState(ctx, st.ID, &store.LTILaunchCode{ID: account.HashToken(code), PlatformID: p.ID, Launch: raw}, s.Opt.CodeTTL)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse("state already used (replayed launch)", "This launch was already used. Open the activity again from your course.", err), nil
	} else if err != nil {
		return nil, nil, err
	}
	v := &Verified{Code: code, Launch: l, Storage: st.Storage, State: f.State}
	if st.Storage == StoragePlatform {
		v.StorageTarget = st.StorageTarget
		if au, err := url.Parse(p.AuthURL); err == nil {
			v.StorageOrigin = au.Scheme + "://" + au.Host
		}
	}
	return v, nil, nil
}

// translate checks the LTI claims and turns them into a Launch.
func (s *Service) translate(ctx context.Context, p *store.LTIPlatform, c *idToken, target string) (*Launch, *Refusal) {
	missing := func(what string) *Refusal {
		return refuse("missing required claim: "+what, "The launch is missing information LTI 1.3 requires ("+what+").", nil)
	}
	switch {
	case c.Version != Version:
		return nil, refuse(fmt.Sprintf("LTI version %q (want 1.3.0)", c.Version), "Lectern speaks LTI 1.3.0; this launch is another version.", nil)
	case c.MessageType != MessageResourceLink && c.MessageType != MessageDeepLinking:
		return nil, refuse(fmt.Sprintf("message type %q", c.MessageType), "Lectern does not handle this kind of LTI message.", nil)
	case c.DeploymentID == "":
		return nil, missing("deployment_id")
	case !slices.Contains(p.Deployments, c.DeploymentID):
		return nil, refuse("unknown deployment "+c.DeploymentID, "This deployment of Lectern is not registered. Ask your Lectern administrator to add it.", nil)
	case c.TargetLinkURI == "":
		return nil, missing("target_link_uri")
	case c.TargetLinkURI != target:
		return nil, refuse("target_link_uri does not match the login", "The launch went to another address than its login asked for.", nil)
	case c.Subject == "":
		return nil, missing("sub")
	case c.Roles == nil:
		return nil, missing("roles")
	}
	l := &Launch{PlatformID: p.ID, Issuer: p.Issuer, DeploymentID: c.DeploymentID, Subject: c.Subject,
		Handle: Handle(p.Issuer, c.Subject), MessageType: c.MessageType, Instructor: instructorRole(*c.Roles)}
	if p.KeepName {
		l.Name = strings.TrimSpace(c.Name)
		if l.Name == "" {
			l.Name = strings.TrimSpace(c.GivenName + " " + c.FamilyName)
		}
		l.Name = clip(l.Name, 200)
	}
	if p.KeepEmail && account.ValidEmail(c.Email) {
		l.Email = c.Email
	}
	if c.Context != nil {
		l.ContextID, l.ContextTitle = clip(c.Context.ID, 255), clip(firstOf(c.Context.Title, c.Context.Label), 500)
	}
	if c.Presentation != nil && strings.HasPrefix(c.Presentation.ReturnURL, "http") {
		l.ReturnURL = clip(c.Presentation.ReturnURL, 2000)
	}
	if c.NRPS != nil {
		l.MembershipsURL = clip(c.NRPS.ContextMembershipsURL, 2000)
	}
	switch c.MessageType {
	case MessageResourceLink:
		if c.ResourceLink == nil || c.ResourceLink.ID == "" {
			return nil, missing("resource_link.id")
		}
		if l.ContextID == "" {
			// Lectern places courses in platform courses; a launch outside any
			// course has no one to report to.
			return nil, missing("context")
		}
		l.ResourceLinkID, l.ResourceTitle = clip(c.ResourceLink.ID, 255), clip(c.ResourceLink.Title, 500)
		if c.AGS != nil {
			l.LineItemURL, l.LineItemsURL = clip(c.AGS.LineItem, 2000), clip(c.AGS.LineItems, 2000)
			l.Scopes = clip(strings.Join(c.AGS.Scope, " "), 1000)
		}
		if v, ok := c.Custom["course_id"]; ok {
			id, err := strconv.ParseUint(strings.TrimSpace(fmt.Sprint(v)), 10, 32)
			if err != nil || id == 0 {
				return nil, refuse(fmt.Sprintf("custom course_id %q is not a course id", fmt.Sprint(v)), "This activity names a Lectern course that does not exist. Ask your instructor to choose the course again.", nil)
			}
			if _, err := s.Store.CourseByID(ctx, uint(id)); err != nil {
				return nil, refuse(fmt.Sprintf("custom course_id %d names no course", id), "This activity names a Lectern course that does not exist. Ask your instructor to choose the course again.", err)
			}
			l.CourseID = uint(id)
		}
	case MessageDeepLinking:
		dl := c.DeepLinking
		if dl == nil || dl.ReturnURL == "" {
			return nil, missing("deep_linking_settings.deep_link_return_url")
		}
		if !l.Instructor {
			return nil, refuse("deep linking by a non-instructor", "Only instructors can add Lectern courses to a course.", nil)
		}
		if !slices.Contains(dl.AcceptTypes, "ltiResourceLink") {
			return nil, refuse("deep linking does not accept ltiResourceLink", "The platform does not accept the links Lectern makes here.", nil)
		}
		l.DeepLink = &DeepLinkSettings{ReturnURL: dl.ReturnURL, Data: dl.Data, AcceptTypes: dl.AcceptTypes,
			AcceptMultiple: dl.AcceptMultiple != nil && *dl.AcceptMultiple, ClientID: p.ClientID}
	}
	return l, nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// clip cuts a platform's value to what Lectern stores, on a character
// boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	for len(string(r)) > n {
		r = r[:len(r)-1]
	}
	return string(r)
}

// Entered is a launch applied: the window's session and where it goes.
type Entered struct {
	Session string // the window's session token
	Launch  *Launch
	Result  *store.LTILaunchResult
}

// Enter applies a verified launch: the user, context, placement, enrolment
// and the window's session (see store.ApplyLTILaunch). The code works once.
func (s *Service) Enter(ctx context.Context, code string) (*Entered, error) {
	lc, err := s.Store.LTILaunchCodeByID(ctx, account.HashToken(code))
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse("launch code unknown, used or expired", "This launch was already used or has expired. Open the activity again from your course.", err)
	} else if err != nil {
		return nil, err
	}
	var l Launch
	if err := json.Unmarshal(lc.Launch, &l); err != nil {
		return nil, fmt.Errorf("lti: stored launch: %w", err)
	}
	token := account.NewToken()
	in := &store.LTILaunchInput{
		PlatformID: l.PlatformID, Issuer: l.Issuer, DeploymentID: l.DeploymentID,
		Person:    store.LTIPerson{Subject: l.Subject, Name: l.Name, Email: l.Email, Handle: l.Handle},
		ContextID: l.ContextID, ContextTitle: l.ContextTitle, ResourceLinkID: l.ResourceLinkID, ResourceTitle: l.ResourceTitle,
		Learner: !l.Instructor, Instructor: l.Instructor,
		LineItemURL: l.LineItemURL, LineItemsURL: l.LineItemsURL, Scopes: l.Scopes, CanScore: hasScope(l.Scopes, ScopeScore),
		MembershipsURL: l.MembershipsURL, SessionHash: account.HashToken(token), SessionTTL: s.Opt.SessionTTL, ReturnURL: l.ReturnURL,
		CodeHash: lc.ID,
	}
	if l.CourseID != 0 {
		id := l.CourseID
		in.CourseID = &id
	}
	if l.DeepLink != nil {
		if in.DeepLink, err = json.Marshal(l.DeepLink); err != nil {
			return nil, err
		}
	}
	res, err := s.Store.ApplyLTILaunch(ctx, in)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse("launch code used meanwhile", "This launch was already used. Open the activity again from your course.", err)
	} else if err != nil {
		return nil, err
	}
	return &Entered{Session: token, Launch: &l, Result: res}, nil
}

func hasScope(scopes, want string) bool {
	return slices.Contains(strings.Fields(scopes), want)
}
