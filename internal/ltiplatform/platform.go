// Package ltiplatform is an LTI 1.3 platform for tests and the load
// generator: it plays the learning platform's side by the specification,
// with its own RSA key and JWKS, an OIDC authorisation endpoint that issues
// signed id_tokens, course pages that frame a tool (with an LTI postMessage
// storage frame), a deep-linking return that verifies the tool's answer, an
// OAuth 2 token endpoint that checks client assertions against the tool's
// JWKS, Assignment and Grade Services line items and scores, Names and Role
// Provisioning memberships, and the platform side of Dynamic Registration.
//
// It serves on a loopback listener of its own, normally under the host name
// "localhost" while the tool runs on "127.0.0.1", so that a browser sees two
// different sites, as with a real platform.
package ltiplatform

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Tool is a tool registered with the platform.
type Tool struct {
	ClientID     string
	DeploymentID string
	LoginURL     string // OIDC login initiation
	LaunchURL    string // redirect URI and default target link URI
	DeepLinkURL  string // target link URI of deep-linking requests ("" : LaunchURL)
	JWKSURL      string // the tool's public keys
}

// User is a platform user.
type User struct {
	ID    string // the sub
	Name  string
	Email string
	Roles []string
}

// Role URIs.
const (
	Learner    = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
	Instructor = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
)

// Launch is one message the platform sends to a tool.
type Launch struct {
	Tool          *Tool
	User          User
	ContextID     string
	ContextTitle  string
	ResourceLink  string // "" for deep linking
	ResourceTitle string
	DeepLinking   bool
	DeepLinkData  string
	Custom        map[string]string
	LineItem      string // the resource link's line item URL, if any
	AGS           bool   // offer Assignment and Grade Services
	NRPS          bool   // offer the roster
	Storage       bool   // offer LTI postMessage storage (lti_storage_target)
	// Mutate changes the id_token's claims and header before signing (for
	// tests of refused launches).
	Mutate func(claims map[string]any, header map[string]any)
	// SignWith signs with another key (a bad signature).
	SignWith *rsa.PrivateKey
}

// Score is a score a tool posted.
type Score struct {
	LineItem         string
	UserID           string
	ScoreGiven       *float64
	ScoreMaximum     *float64
	ActivityProgress string
	GradingProgress  string
	Timestamp        string
}

// LineItem is a gradebook column.
type LineItem struct {
	ID             string  `json:"id"`
	ScoreMaximum   float64 `json:"scoreMaximum"`
	Label          string  `json:"label"`
	ResourceID     string  `json:"resourceId,omitempty"`
	ResourceLinkID string  `json:"resourceLinkId,omitempty"`
}

// DeepLinkReturn is a verified deep-linking answer of a tool.
type DeepLinkReturn struct {
	Claims map[string]any
	Items  []map[string]any
	Data   string
}

// Platform is a running test platform.
type Platform struct {
	URL      string // scheme://host:port
	Issuer   string
	Key      *rsa.PrivateKey
	KID      string
	PageSize int // members per roster page

	srv *http.Server
	ln  net.Listener

	mu          sync.Mutex
	tools       map[string]*Tool // by client id
	launches    map[string]*Launch
	lineItems   map[string]*LineItem
	scores      []Score
	members     []User
	returns     []DeepLinkReturn
	tokens      map[string][]string // access token -> scopes
	down        bool                // AGS and the token endpoint answer 503
	jwksDown    bool
	extraKeys   []jwkset.JWKMarshal
	regToken    string
	regClientID string
	tokenCalls  int
	scorePosts  int
}

// Start runs a platform on a loopback port, named by host ("localhost" or
// "127.0.0.1"). It stops when ctx ends or Close is called.
func Start(host string) (*Platform, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	p := &Platform{URL: fmt.Sprintf("http://%s:%d", host, port), Key: key, KID: "platform-" + randHex(4), ln: ln, PageSize: 50,
		tools: map[string]*Tool{}, launches: map[string]*Launch{}, lineItems: map[string]*LineItem{}, tokens: map[string][]string{}}
	p.Issuer = p.URL
	mux := http.NewServeMux()
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("/auth", p.auth)
	mux.HandleFunc("GET /course", p.coursePage)
	mux.HandleFunc("GET /storage", p.storageFrame)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /lineitems", p.listLineItems)
	mux.HandleFunc("POST /lineitems", p.createLineItem)
	mux.HandleFunc("POST /lineitems/{id}/scores", p.postScore)
	mux.HandleFunc("GET /memberships", p.memberships)
	mux.HandleFunc("POST /deeplink-return", p.deepLinkReturn)
	mux.HandleFunc("GET /.well-known/openid-configuration", p.openIDConfig)
	mux.HandleFunc("POST /register", p.register)
	mux.HandleFunc("GET /dynreg", p.dynRegPage)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// Close stops the platform.
func (p *Platform) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.srv.Shutdown(ctx)
}

// Endpoints the tool registers.
func (p *Platform) AuthURL() string  { return p.URL + "/auth" }
func (p *Platform) TokenURL() string { return p.URL + "/token" }
func (p *Platform) JWKSURL() string  { return p.URL + "/jwks" }

// AddTool registers a tool.
func (p *Platform) AddTool(t *Tool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tools[t.ClientID] = t
}

// SetDown makes the token endpoint and AGS answer 503 (the platform is down).
func (p *Platform) SetDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
}

// SetJWKSDown makes the JWKS endpoint fail.
func (p *Platform) SetJWKSDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jwksDown = down
}

// RotateKey gives the platform a new signing key (the old one is no longer
// published).
func (p *Platform) RotateKey() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Key, p.KID = key, "platform-"+randHex(4)
	return nil
}

// SetMembers sets the roster of every context.
func (p *Platform) SetMembers(us []User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.members = append([]User(nil), us...)
}

// Scores returns the scores posted so far.
func (p *Platform) Scores() []Score {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Score(nil), p.scores...)
}

// LineItems returns the gradebook columns.
func (p *Platform) LineItems() []LineItem {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []LineItem
	for _, li := range p.lineItems {
		out = append(out, *li)
	}
	return out
}

// DeepLinkReturns returns the verified deep-linking answers.
func (p *Platform) DeepLinkReturns() []DeepLinkReturn {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]DeepLinkReturn(nil), p.returns...)
}

// Counts tells how many tokens were issued and scores posted.
func (p *Platform) Counts() (tokens, scores int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokenCalls, p.scorePosts
}

// AddLineItem creates a column (as an instructor would in the gradebook)
// and returns its URL.
func (p *Platform) AddLineItem(label, resourceLinkID string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := p.URL + "/lineitems/" + randHex(6)
	p.lineItems[id] = &LineItem{ID: id, ScoreMaximum: 100, Label: label, ResourceLinkID: resourceLinkID}
	return id
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func (p *Platform) jwks(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	down, key, kid, extra := p.jwksDown, p.Key, p.KID, p.extraKeys
	p.mu.Unlock()
	if down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	j, err := jwkset.NewJWKFromKey(&key.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: kid, ALG: jwkset.AlgRS256, USE: jwkset.UseSig}})
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(jwkset.JWKSMarshal{Keys: append([]jwkset.JWKMarshal{j.Marshal()}, extra...)})
}

// Prepare records a launch and returns its lti_message_hint.
func (p *Platform) Prepare(l *Launch) string {
	hint := randHex(8)
	p.mu.Lock()
	p.launches[hint] = l
	p.mu.Unlock()
	return hint
}

// LoginParams are the tool's OIDC login initiation parameters of a launch.
func (p *Platform) LoginParams(l *Launch) url.Values {
	hint := p.Prepare(l)
	q := url.Values{
		"iss": {p.Issuer}, "login_hint": {l.User.ID}, "target_link_uri": {l.target()}, "lti_message_hint": {hint},
		"lti_deployment_id": {l.Tool.DeploymentID}, "client_id": {l.Tool.ClientID},
	}
	if l.Storage {
		q.Set("lti_storage_target", "post_message_forwarding")
	}
	return q
}

func (l *Launch) target() string {
	if l.DeepLinking && l.Tool.DeepLinkURL != "" {
		return l.Tool.DeepLinkURL
	}
	return l.Tool.LaunchURL
}

// IDToken signs the id_token of a launch for nonce.
func (p *Platform) IDToken(l *Launch, nonce string) (string, error) {
	now := time.Now()
	c := map[string]any{
		"iss": p.Issuer, "aud": l.Tool.ClientID, "sub": l.User.ID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": nonce, "name": l.User.Name, "email": l.User.Email,
		"https://purl.imsglobal.org/spec/lti/claim/deployment_id":   l.Tool.DeploymentID,
		"https://purl.imsglobal.org/spec/lti/claim/version":         "1.3.0",
		"https://purl.imsglobal.org/spec/lti/claim/target_link_uri": l.target(),
		"https://purl.imsglobal.org/spec/lti/claim/roles":           l.User.Roles,
		"https://purl.imsglobal.org/spec/lti/claim/launch_presentation": map[string]any{
			"document_target": "iframe", "return_url": p.URL + "/course?context=" + url.QueryEscape(l.ContextID)},
	}
	if l.User.Roles == nil {
		c["https://purl.imsglobal.org/spec/lti/claim/roles"] = []string{}
	}
	if l.ContextID != "" {
		c["https://purl.imsglobal.org/spec/lti/claim/context"] = map[string]any{"id": l.ContextID, "title": l.ContextTitle, "label": l.ContextID,
			"type": []string{"http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"}}
	}
	if len(l.Custom) > 0 {
		c["https://purl.imsglobal.org/spec/lti/claim/custom"] = l.Custom
	}
	if l.DeepLinking {
		c["https://purl.imsglobal.org/spec/lti/claim/message_type"] = "LtiDeepLinkingRequest"
		c["https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"] = map[string]any{
			"deep_link_return_url": p.URL + "/deeplink-return", "accept_types": []string{"link", "ltiResourceLink"},
			"accept_presentation_document_targets": []string{"iframe", "window"}, "accept_multiple": false, "data": l.DeepLinkData,
		}
	} else {
		c["https://purl.imsglobal.org/spec/lti/claim/message_type"] = "LtiResourceLinkRequest"
		c["https://purl.imsglobal.org/spec/lti/claim/resource_link"] = map[string]any{"id": l.ResourceLink, "title": l.ResourceTitle}
	}
	if l.AGS {
		ags := map[string]any{"scope": []string{"https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
			"https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly", "https://purl.imsglobal.org/spec/lti-ags/scope/score"},
			"lineitems": p.URL + "/lineitems?context=" + url.QueryEscape(l.ContextID)}
		if l.LineItem != "" {
			ags["lineitem"] = l.LineItem
		}
		c["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"] = ags
	}
	if l.NRPS {
		c["https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"] = map[string]any{
			"context_memberships_url": p.URL + "/memberships?context=" + url.QueryEscape(l.ContextID), "service_versions": []string{"2.0"}}
	}
	header := map[string]any{"alg": "RS256", "typ": "JWT", "kid": p.KID}
	if l.Mutate != nil {
		l.Mutate(c, header)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims(c))
	t.Header = header
	key := p.Key
	if l.SignWith != nil {
		key = l.SignWith
	}
	switch header["alg"] {
	case "none":
		t.Method = jwt.SigningMethodNone
		return t.SignedString(jwt.UnsafeAllowNoneSignatureType)
	case "HS256":
		t.Method = jwt.SigningMethodHS256
		// An attacker's classic: the public key's bytes as an HMAC secret.
		return t.SignedString([]byte(fmt.Sprint(key.PublicKey.N)))
	}
	return t.SignedString(key)
}

// auth is the OIDC authorisation endpoint: it checks the tool's request and
// answers with an auto-submitted form that posts the id_token to the tool.
func (p *Platform) auth(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	q := r.Form
	p.mu.Lock()
	l := p.launches[q.Get("lti_message_hint")]
	tool := p.tools[q.Get("client_id")]
	p.mu.Unlock()
	switch {
	case q.Get("scope") != "openid", q.Get("response_type") != "id_token", q.Get("response_mode") != "form_post", q.Get("prompt") != "none":
		http.Error(w, "invalid_request: scope, response_type, response_mode or prompt", 400)
		return
	case tool == nil:
		http.Error(w, "unauthorized_client", 400)
		return
	case l == nil || l.User.ID != q.Get("login_hint"):
		http.Error(w, "login_required: unknown login_hint or lti_message_hint", 400)
		return
	case q.Get("redirect_uri") != tool.LaunchURL && q.Get("redirect_uri") != tool.DeepLinkURL:
		http.Error(w, "invalid_request: redirect_uri is not registered", 400)
		return
	case q.Get("nonce") == "" || q.Get("state") == "":
		http.Error(w, "invalid_request: nonce and state are required", 400)
		return
	}
	token, err := p.IDToken(l, q.Get("nonce"))
	if err != nil {
		http.Error(w, err.Error(), 500)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	autoPost.Execute(w, map[string]string{"Action": q.Get("redirect_uri"), "IDToken": token, "State": q.Get("state")})
}

var autoPost = template.Must(template.New("post").Parse(`<!doctype html><html><body>
<form id="f" method="post" action="{{.Action}}"><input type="hidden" name="id_token" value="{{.IDToken}}"><input type="hidden" name="state" value="{{.State}}"></form>
<script>document.getElementById("f").submit();</script></body></html>`))

// coursePage is a platform course page that frames the tool for a user: the
// iframe starts the tool's OIDC login, and a hidden frame offers the LTI
// postMessage storage.
func (p *Platform) coursePage(w http.ResponseWriter, r *http.Request) {
	hint := r.URL.Query().Get("launch")
	p.mu.Lock()
	l := p.launches[hint]
	p.mu.Unlock()
	if l == nil {
		http.Error(w, "no such launch", 404)
		return
	}
	q := url.Values{"iss": {p.Issuer}, "login_hint": {l.User.ID}, "target_link_uri": {l.target()}, "lti_message_hint": {hint},
		"lti_deployment_id": {l.Tool.DeploymentID}, "client_id": {l.Tool.ClientID}}
	if l.Storage {
		q.Set("lti_storage_target", "post_message_forwarding")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	coursePage.Execute(w, map[string]any{"Title": l.ContextTitle, "Src": l.Tool.LoginURL + "?" + q.Encode(), "Storage": l.Storage})
}

var coursePage = template.Must(template.New("course").Parse(`<!doctype html><html><head><title>{{.Title}}</title></head><body>
<h1 id="platform-title">{{.Title}}</h1>
<iframe id="tool" src="{{.Src}}" width="1100" height="700" allow="fullscreen"></iframe>
{{if .Storage}}<iframe name="post_message_forwarding" src="/storage" width="0" height="0" hidden></iframe>{{end}}
</body></html>`))

// CoursePage prepares a launch and returns the URL of the page that frames
// it.
func (p *Platform) CoursePage(l *Launch) string {
	return p.URL + "/course?launch=" + p.Prepare(l)
}

// storageFrame is the platform's storage: it keeps values per tool origin for
// the life of the course page.
func (p *Platform) storageFrame(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, `<!doctype html><html><body><script>
"use strict";
const store = new Map();
window.addEventListener("message", (ev) => {
  const m = ev.data || {};
  if (typeof m.subject !== "string" || !m.message_id) return;
  const key = ev.origin + " " + m.key;
  let answer = { subject: m.subject + ".response", message_id: m.message_id, key: m.key };
  switch (m.subject) {
    case "lti.capabilities":
      answer.supported_messages = [{ subject: "lti.put_data", frame: "post_message_forwarding" }, { subject: "lti.get_data", frame: "post_message_forwarding" }];
      break;
    case "lti.put_data":
      store.set(key, m.value); answer.value = m.value; break;
    case "lti.get_data":
      if (store.has(key)) answer.value = store.get(key);
      else answer.error = { code: "bad_request", message: "no such key" };
      break;
    default:
      answer.error = { code: "unsupported_subject", message: "unsupported" };
  }
  ev.source.postMessage(answer, ev.origin);
});
</script></body></html>`)
}

// bearer returns the scopes of a request's access token.
func (p *Platform) bearer(r *http.Request) []string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.tokens[tok]
}

func (p *Platform) isDown() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.down
}

// token is the OAuth 2 token endpoint: client credentials with a JWT client
// assertion signed by the tool's key.
func (p *Platform) token(w http.ResponseWriter, r *http.Request) {
	if p.isDown() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	oauthErr := func(code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if r.Form.Get("grant_type") != "client_credentials" ||
		r.Form.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		oauthErr("unsupported_grant_type", "want client_credentials with a JWT bearer assertion")
		return
	}
	var claims jwt.RegisteredClaims
	unverified, _, err := jwt.NewParser().ParseUnverified(r.Form.Get("client_assertion"), &claims)
	if err != nil {
		oauthErr("invalid_client", err.Error())
		return
	}
	_ = unverified
	p.mu.Lock()
	tool := p.tools[claims.Issuer]
	p.mu.Unlock()
	if tool == nil || claims.Subject != tool.ClientID {
		oauthErr("invalid_client", "unknown client")
		return
	}
	kf, err := fetchKeys(r.Context(), tool.JWKSURL)
	if err != nil {
		oauthErr("invalid_client", "tool keys: "+err.Error())
		return
	}
	if _, err := jwt.ParseWithClaims(r.Form.Get("client_assertion"), &jwt.RegisteredClaims{}, kf.Keyfunc,
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(p.TokenURL()), jwt.WithIssuer(tool.ClientID), jwt.WithExpirationRequired()); err != nil {
		oauthErr("invalid_client", "assertion: "+err.Error())
		return
	}
	var granted []string
	for _, s := range strings.Fields(r.Form.Get("scope")) {
		if strings.HasPrefix(s, "https://purl.imsglobal.org/spec/lti-") {
			granted = append(granted, s)
		}
	}
	tok := randHex(16)
	p.mu.Lock()
	p.tokens[tok] = granted
	p.tokenCalls++
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600, "scope": strings.Join(granted, " ")})
}

func fetchKeys(ctx context.Context, u string) (keyfunc.Keyfunc, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		return nil, err
	}
	return keyfunc.NewJWKSetJSON(raw)
}

func (p *Platform) listLineItems(w http.ResponseWriter, r *http.Request) {
	if p.isDown() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	scopes := p.bearer(r)
	if !slices.Contains(scopes, "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem") {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	rl := r.URL.Query().Get("resource_link_id")
	out := []LineItem{}
	for _, li := range p.LineItems() {
		if rl == "" || li.ResourceLinkID == rl {
			out = append(out, li)
		}
	}
	w.Header().Set("Content-Type", "application/vnd.ims.lis.v2.lineitemcontainer+json")
	json.NewEncoder(w).Encode(out)
}

func (p *Platform) createLineItem(w http.ResponseWriter, r *http.Request) {
	if p.isDown() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if !slices.Contains(p.bearer(r), "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem") {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if r.Header.Get("Content-Type") != "application/vnd.ims.lis.v2.lineitem+json" {
		http.Error(w, "content type", http.StatusUnsupportedMediaType)
		return
	}
	var li LineItem
	if err := json.NewDecoder(r.Body).Decode(&li); err != nil || li.Label == "" || li.ScoreMaximum <= 0 {
		http.Error(w, "bad line item", 400)
		return
	}
	p.mu.Lock()
	li.ID = p.URL + "/lineitems/" + randHex(6)
	p.lineItems[li.ID] = &li
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/vnd.ims.lis.v2.lineitem+json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(li)
}

func (p *Platform) postScore(w http.ResponseWriter, r *http.Request) {
	if p.isDown() {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if !slices.Contains(p.bearer(r), "https://purl.imsglobal.org/spec/lti-ags/scope/score") {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if r.Header.Get("Content-Type") != "application/vnd.ims.lis.v1.score+json" {
		http.Error(w, "content type", http.StatusUnsupportedMediaType)
		return
	}
	id := p.URL + "/lineitems/" + r.PathValue("id")
	var s Score
	if err := json.NewDecoder(r.Body).Decode(&s); err != nil || s.UserID == "" || s.Timestamp == "" || s.ActivityProgress == "" || s.GradingProgress == "" {
		http.Error(w, "bad score", 400)
		return
	}
	if _, err := time.Parse(time.RFC3339Nano, s.Timestamp); err != nil {
		http.Error(w, "bad timestamp", 400)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lineItems[id] == nil {
		http.Error(w, "no such line item", 404)
		return
	}
	s.LineItem = id
	p.scores = append(p.scores, s)
	p.scorePosts++
	w.WriteHeader(http.StatusNoContent)
}

func (p *Platform) memberships(w http.ResponseWriter, r *http.Request) {
	if !slices.Contains(p.bearer(r), "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly") {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	p.mu.Lock()
	all := p.members
	size := p.PageSize
	p.mu.Unlock()
	from := page * size
	to := min(len(all), from+size)
	var members []map[string]any
	for _, u := range all[min(from, len(all)):to] {
		members = append(members, map[string]any{"user_id": u.ID, "name": u.Name, "email": u.Email, "roles": u.Roles, "status": "Active"})
	}
	if to < len(all) {
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(page+1))
		w.Header().Set("Link", fmt.Sprintf(`<%s/memberships?%s>; rel="next"`, p.URL, q.Encode()))
	}
	w.Header().Set("Content-Type", "application/vnd.ims.lti-nrps.v2.membershipcontainer+json")
	json.NewEncoder(w).Encode(map[string]any{"id": r.URL.String(), "context": map[string]any{"id": r.URL.Query().Get("context")}, "members": members})
}

// deepLinkReturn verifies a tool's LtiDeepLinkingResponse.
func (p *Platform) deepLinkReturn(w http.ResponseWriter, r *http.Request) {
	raw := r.FormValue("JWT")
	var head jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &head); err != nil {
		http.Error(w, "malformed: "+err.Error(), 400)
		return
	}
	iss, _ := head["iss"].(string)
	p.mu.Lock()
	tool := p.tools[iss]
	p.mu.Unlock()
	if tool == nil {
		http.Error(w, "unknown tool", 400)
		return
	}
	kf, err := fetchKeys(r.Context(), tool.JWKSURL)
	if err != nil {
		http.Error(w, "tool keys: "+err.Error(), 400)
		return
	}
	claims := jwt.MapClaims{}
	if _, err := jwt.ParseWithClaims(raw, claims, kf.Keyfunc, jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(p.Issuer),
		jwt.WithIssuer(tool.ClientID), jwt.WithExpirationRequired(), jwt.WithIssuedAt()); err != nil {
		http.Error(w, "invalid: "+err.Error(), 400)
		return
	}
	if claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] != "LtiDeepLinkingResponse" ||
		claims["https://purl.imsglobal.org/spec/lti/claim/version"] != "1.3.0" ||
		claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] != tool.DeploymentID || claims["nonce"] == nil {
		http.Error(w, "not a deep-linking response of this deployment", 400)
		return
	}
	ret := DeepLinkReturn{Claims: claims}
	if items, ok := claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"].([]any); ok {
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				ret.Items = append(ret.Items, m)
			}
		}
	}
	ret.Data, _ = claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"].(string)
	p.mu.Lock()
	p.returns = append(p.returns, ret)
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html><body><h1 id="deep-link-done">Added %d item(s)</h1></body></html>`, len(ret.Items))
}

// The platform side of Dynamic Registration.

func (p *Platform) openIDConfig(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"issuer": p.Issuer, "authorization_endpoint": p.AuthURL(), "token_endpoint": p.TokenURL(), "jwks_uri": p.JWKSURL(),
		"registration_endpoint": p.URL + "/register", "scopes_supported": []string{"openid"}, "response_types_supported": []string{"id_token"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "token_endpoint_auth_methods_supported": []string{"private_key_jwt"},
		"https://purl.imsglobal.org/spec/lti-platform-configuration": map[string]any{"product_family_code": "lectern-test-platform", "version": "1",
			"messages_supported": []map[string]any{{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}}},
	})
}

// RegistrationToken makes the token the next dynamic registration must carry.
func (p *Platform) RegistrationToken() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.regToken = randHex(12)
	return p.regToken
}

// RegisteredTool returns the tool registered dynamically, if any.
func (p *Platform) RegisteredTool() *Tool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.regClientID == "" {
		return nil
	}
	return p.tools[p.regClientID]
}

func (p *Platform) register(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	want := p.regToken
	p.mu.Unlock()
	if want == "" || r.Header.Get("Authorization") != "Bearer "+want {
		http.Error(w, "bad registration token", http.StatusUnauthorized)
		return
	}
	var req struct {
		InitiateLoginURI string   `json:"initiate_login_uri"`
		RedirectURIs     []string `json:"redirect_uris"`
		JWKSURI          string   `json:"jwks_uri"`
		AuthMethod       string   `json:"token_endpoint_auth_method"`
		ToolConf         struct {
			TargetLinkURI string           `json:"target_link_uri"`
			Messages      []map[string]any `json:"messages"`
		} `json:"https://purl.imsglobal.org/spec/lti-tool-configuration"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.InitiateLoginURI == "" || len(req.RedirectURIs) == 0 ||
		req.JWKSURI == "" || req.AuthMethod != "private_key_jwt" || req.ToolConf.TargetLinkURI == "" {
		http.Error(w, "invalid client metadata", 400)
		return
	}
	t := &Tool{ClientID: "dyn-" + randHex(6), DeploymentID: "dyn-dep-" + randHex(3), LoginURL: req.InitiateLoginURI,
		LaunchURL: req.ToolConf.TargetLinkURI, JWKSURL: req.JWKSURI}
	for _, m := range req.ToolConf.Messages {
		if m["type"] == "LtiDeepLinkingRequest" {
			t.DeepLinkURL, _ = m["target_link_uri"].(string)
		}
	}
	p.mu.Lock()
	p.tools[t.ClientID] = t
	p.regClientID = t.ClientID
	p.regToken = ""
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"client_id": t.ClientID, "initiate_login_uri": t.LoginURL, "redirect_uris": req.RedirectURIs,
		"https://purl.imsglobal.org/spec/lti-tool-configuration": map[string]any{"deployment_id": t.DeploymentID, "target_link_uri": t.LaunchURL}})
}

// DynRegURL is the platform's page where an admin pasted the tool's
// registration link: it opens the link in a frame with the platform's
// configuration and a registration token, and waits for the close message.
func (p *Platform) DynRegURL(toolLink string) string {
	return p.URL + "/dynreg?link=" + url.QueryEscape(toolLink)
}

func (p *Platform) dynRegPage(w http.ResponseWriter, r *http.Request) {
	link, err := url.Parse(r.URL.Query().Get("link"))
	if err != nil {
		http.Error(w, "bad link", 400)
		return
	}
	q := link.Query()
	q.Set("openid_configuration", p.URL+"/.well-known/openid-configuration")
	q.Set("registration_token", p.RegistrationToken())
	link.RawQuery = q.Encode()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	dynRegPage.Execute(w, map[string]string{"Src": link.String()})
}

var dynRegPage = template.Must(template.New("dynreg").Parse(`<!doctype html><html><body>
<h1>Add a tool</h1><p id="closed" hidden>The tool closed the registration.</p>
<iframe id="tool" src="{{.Src}}" width="900" height="600"></iframe>
<script>window.addEventListener("message", (ev) => {
  if (ev.data && ev.data.subject === "org.imsglobal.lti.close") document.getElementById("closed").hidden = false;
});</script></body></html>`))
