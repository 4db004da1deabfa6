package lms_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/internal/ltiplatform"
	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/lti"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/store/storetest"
	"github.com/lectern/lectern/scorm/cmi"
)

// ltiEnv is Lectern and a test platform on two sites (127.0.0.1 and
// localhost), each registered with the other.
type ltiEnv struct {
	lec    *running
	p      *ltiplatform.Platform
	tool   *ltiplatform.Tool
	course uint
	id     uint // the platform's registration in Lectern
}

func startLTI(t *testing.T, keep string, set ...func(*lms.Config)) *ltiEnv {
	t.Helper()
	lec := startLectern(t, set...)
	p, err := ltiplatform.Start("localhost")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	tool := &ltiplatform.Tool{ClientID: "lectern-" + fmt.Sprint(time.Now().UnixNano()), DeploymentID: "dep-1",
		LoginURL: lec.URL + lti.PathLogin, LaunchURL: lec.URL + lti.PathLaunch, DeepLinkURL: lec.URL + lti.PathDeepLink, JWKSURL: lec.URL + lti.PathJWKS}
	p.AddTool(tool)
	reg, err := lec.App.LTI.AddPlatform(context.Background(), lti.PlatformInput{Name: "Test platform", Issuer: p.Issuer, ClientID: tool.ClientID,
		AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), JWKSURL: p.JWKSURL(), Deployments: []string{tool.DeploymentID}, Keep: keep}, "cli")
	if err != nil {
		t.Fatal(err)
	}
	course := lec.importZip(t, fixture.ZipDir(t, fixture.Package("scorm12-single")))
	return &ltiEnv{lec: lec, p: p, tool: tool, course: course, id: reg.ID}
}

func (e *ltiEnv) launch(u ltiplatform.User, rl string) *ltiplatform.Launch {
	return &ltiplatform.Launch{Tool: e.tool, User: u, ContextID: "bio-101", ContextTitle: "Biology 101", ResourceLink: rl,
		ResourceTitle: "Lab safety", AGS: true, NRPS: true}
}

func (e *ltiEnv) run(t *testing.T, b *ltiplatform.Browser, l *ltiplatform.Launch) *ltiplatform.Page {
	t.Helper()
	pg, err := e.p.Launch(context.Background(), b, l)
	if err != nil {
		t.Fatal(err)
	}
	return pg
}

func (e *ltiEnv) counts(t *testing.T) map[string]int64 {
	t.Helper()
	c, err := e.lec.App.Store.LTICounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	delete(c, "launchCodes") // verified launches wait briefly under a code; not a record
	return c
}

var (
	ada   = ltiplatform.User{ID: "u-ada", Name: "Ada Lovelace", Email: "ada@uni.example", Roles: []string{ltiplatform.Learner}}
	grace = ltiplatform.User{ID: "u-grace", Name: "Grace Hopper", Email: "grace@uni.example", Roles: []string{ltiplatform.Instructor}}
)

var frameToken = regexp.MustCompile(`/player/([A-Za-z0-9_-]+)`)

// TestLTILaunch walks a placement's life over HTTP: a learner before the
// course is chosen, the instructor choosing it, the learner launching (and
// again: nothing duplicated), the instructor's report.
func TestLTILaunch(t *testing.T) {
	e := startLTI(t, "name,email")
	ctx := context.Background()

	pg := e.run(t, ltiplatform.NewBrowser(), e.launch(ada, "rl-1"))
	if pg.Status != 200 || !strings.Contains(pg.Body, "not ready yet") {
		t.Fatalf("learner before a course is chosen: %d\n%s", pg.Status, pg.Body)
	}

	b := ltiplatform.NewBrowser()
	pg = e.run(t, b, e.launch(grace, "rl-1"))
	if !strings.Contains(pg.Body, "Choose the Lectern course for this activity") {
		t.Fatalf("instructor without a course: want the picker\n%s", pg.Body)
	}
	choose := ltiplatform.FormByAction(pg.Body, "/lti/choose", "course", fmt.Sprint(e.course))
	if choose == nil {
		t.Fatalf("the picker does not offer course %d", e.course)
	}
	pg, err := b.Submit(ctx, pg, choose, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pg.Status != 200 || !strings.Contains(pg.Body, "Learners of Biology 101") {
		t.Fatalf("after choosing: %d, want the context's report\n%s", pg.Status, pg.Body)
	}

	pg = e.run(t, ltiplatform.NewBrowser(), e.launch(ada, "rl-1"))
	m := frameToken.FindStringSubmatch(pg.Body)
	if pg.Status != 200 || m == nil || !strings.Contains(pg.Body, `id="player-exit"`) {
		t.Fatalf("learner launch: %d, want the player with an LTI exit\n%s", pg.Status, pg.Body)
	}
	if csp := pg.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors *") || pg.Header.Get("X-Frame-Options") != "" {
		t.Errorf("the LTI player may not be framed by the platform: CSP %q, X-Frame-Options %q", csp, pg.Header.Get("X-Frame-Options"))
	}
	before := e.counts(t)
	// Relaunch from the platform, twice: same user, enrolment, attempt.
	for i := 0; i < 2; i++ {
		if pg := e.run(t, ltiplatform.NewBrowser(), e.launch(ada, "rl-1")); frameToken.FindStringSubmatch(pg.Body) == nil {
			t.Fatalf("relaunch %d: no player\n%s", i, pg.Body)
		}
	}
	after := e.counts(t)
	for _, k := range []string{"users", "identities", "contexts", "placements", "enrolments", "attempts", "grades", "memberships"} {
		if before[k] != after[k] {
			t.Errorf("relaunching changed the number of %s: %d -> %d", k, before[k], after[k])
		}
	}
	if after["sessions"] != before["sessions"]+2 {
		t.Errorf("sessions %d -> %d: each launch is a window with its own session", before["sessions"], after["sessions"])
	}
	// The learner is a plain Lectern user, named as the platform allows.
	users, _ := e.lec.App.Store.Users(ctx)
	var found *store.User
	for i := range users {
		if users[i].Email == "ada@uni.example" {
			found = &users[i]
		}
	}
	if found == nil || found.Name != "Ada Lovelace" {
		t.Fatalf("no user ada@uni.example named Ada Lovelace among %v", users)
	}
	if found.PasswordHash != "" {
		t.Error("an LTI user got a password")
	}
	// Every launch is in the audit journal; no token is.
	entries, err := e.lec.App.Store.AuditEntries(ctx, store.AuditFilter{Action: "lti.launch"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 5 {
		t.Errorf("%d lti.launch entries, want one per launch (5)", len(entries))
	}
	for _, a := range entries {
		if s := fmt.Sprint(a.Detail) + a.Reason; strings.Contains(s, "eyJ") {
			t.Errorf("an audit entry holds a token: %s", s)
		}
	}
}

// TestLTIRefusedLaunches: every launch the specification forbids is refused
// with a clear page, is in the audit journal with its reason, and creates
// nothing.
func TestLTIRefusedLaunches(t *testing.T) {
	e := startLTI(t, "name,email")
	ctx := context.Background()
	if err := e.lec.App.Store.SetLTIPlacementCourse(ctx, 1, e.course); err == nil {
		t.Fatal("a placement exists before any launch")
	}
	// A good launch first: the platform's keys are cached and one id_token
	// is kept for the replays.
	var captured url.Values
	b := ltiplatform.NewBrowser()
	b.BeforeLaunchPost = func(f url.Values) { captured = url.Values{"id_token": {f.Get("id_token")}, "state": {f.Get("state")}} }
	if pg := e.run(t, b, e.launch(grace, "rl-ok")); pg.Status != 200 {
		t.Fatalf("good launch: %d\n%s", pg.Status, pg.Body)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	claim := func(k string, v any) func(c, h map[string]any) { return func(c, h map[string]any) { c[k] = v } }
	drop := func(k string) func(c, h map[string]any) { return func(c, h map[string]any) { delete(c, k) } }
	now := time.Now()
	cases := []struct {
		name   string
		mutate func(c, h map[string]any)
		sign   *rsa.PrivateKey
		post   func(b *ltiplatform.Browser, f url.Values)
		before func()
		login  bool // refused at login initiation
		want   string
	}{
		{name: "bad signature", sign: other, want: "bad signature"},
		{name: "unknown kid", mutate: func(c, h map[string]any) { h["kid"] = "no-such-key" }, want: "unknown key id"},
		{name: "alg none", mutate: func(c, h map[string]any) { h["alg"] = "none" }, want: `algorithm "none" refused`},
		{name: "alg HS256", mutate: func(c, h map[string]any) { h["alg"] = "HS256" }, want: `algorithm "HS256" refused`},
		{name: "no kid", mutate: func(c, h map[string]any) { delete(h, "kid") }, want: "no kid"},
		{name: "wrong issuer", mutate: claim("iss", "https://evil.example"), want: "wrong issuer"},
		{name: "wrong audience", mutate: claim("aud", "someone-else"), want: "wrong audience"},
		{name: "several audiences without azp", mutate: func(c, h map[string]any) { c["aud"] = []string{e.tool.ClientID, "another-tool"} }, want: "several audiences without azp"},
		{name: "azp of another tool", mutate: claim("azp", "another-tool"), want: "azp"},
		{name: "expired", mutate: func(c, h map[string]any) {
			c["iat"], c["exp"] = now.Add(-20*time.Minute).Unix(), now.Add(-10*time.Minute).Unix()
		}, want: "expired"},
		{name: "issued in the future", mutate: func(c, h map[string]any) {
			c["iat"], c["exp"] = now.Add(10*time.Minute).Unix(), now.Add(20*time.Minute).Unix()
		}, want: "issued in the future"},
		{name: "no exp", mutate: drop("exp"), want: "missing required claim"},
		{name: "nonce replayed (another launch's id_token)", post: func(b *ltiplatform.Browser, f url.Values) {
			f.Set("id_token", captured.Get("id_token"))
		}, want: "nonce does not match"},
		{name: "launch replayed (the same post again)", post: func(b *ltiplatform.Browser, f url.Values) {
			f.Set("id_token", captured.Get("id_token"))
			f.Set("state", captured.Get("state"))
		}, want: "state already used"},
		{name: "state mismatch (another browser's state)", post: func(b *ltiplatform.Browser, f url.Values) {
			b.C.Jar = nil // the window that started the login is not the one posting
		}, want: "state mismatch"},
		{name: "unknown state", post: func(b *ltiplatform.Browser, f url.Values) { f.Set("state", "made-up") }, want: "unknown state"},
		{name: "unknown deployment", mutate: claim("https://purl.imsglobal.org/spec/lti/claim/deployment_id", "dep-x"), want: "unknown deployment"},
		{name: "no deployment", mutate: drop("https://purl.imsglobal.org/spec/lti/claim/deployment_id"), want: "deployment_id"},
		{name: "no sub", mutate: drop("sub"), want: "missing required claim: sub"},
		{name: "no roles", mutate: drop("https://purl.imsglobal.org/spec/lti/claim/roles"), want: "missing required claim: roles"},
		{name: "no resource link", mutate: drop("https://purl.imsglobal.org/spec/lti/claim/resource_link"), want: "resource_link.id"},
		{name: "no context", mutate: drop("https://purl.imsglobal.org/spec/lti/claim/context"), want: "missing required claim: context"},
		{name: "wrong message type", mutate: claim("https://purl.imsglobal.org/spec/lti/claim/message_type", "LtiSubmissionReviewRequest"), want: "message type"},
		{name: "wrong version", mutate: claim("https://purl.imsglobal.org/spec/lti/claim/version", "1.1.0"), want: "LTI version"},
		{name: "target_link_uri mismatch", mutate: claim("https://purl.imsglobal.org/spec/lti/claim/target_link_uri", e.lec.URL+lti.PathDeepLink), want: "target_link_uri does not match"},
		{name: "custom course_id of no course", mutate: claim("https://purl.imsglobal.org/spec/lti/claim/custom", map[string]string{"course_id": "999"}), want: "names no course"},
		{name: "oversized token", mutate: claim("https://purl.imsglobal.org/spec/lti/claim/custom", map[string]string{"x": strings.Repeat("a", 70<<10)}), want: "larger than"},
		{name: "malformed token", post: func(b *ltiplatform.Browser, f url.Values) { f.Set("id_token", "not-a.jwt") }, want: "malformed"},
		{name: "platform error", post: func(b *ltiplatform.Browser, f url.Values) {
			f.Del("id_token")
			f.Set("error", "login_required")
		}, want: "platform error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.before != nil {
				tc.before()
			}
			before := e.counts(t)
			refusedBefore := refusals(t, e)
			l := e.launch(ada, "rl-refused")
			l.Mutate, l.SignWith = tc.mutate, tc.sign
			b := ltiplatform.NewBrowser()
			if tc.post != nil {
				b.BeforeLaunchPost = func(f url.Values) { tc.post(b, f) }
			}
			pg, err := e.p.Launch(ctx, b, l)
			if err != nil {
				t.Fatal(err)
			}
			if body := html.UnescapeString(pg.Body); pg.Status != 400 || !strings.Contains(body, "This launch was refused") || !strings.Contains(body, tc.want) {
				t.Fatalf("status %d, want 400 with the refusal page naming %q\n%s", pg.Status, tc.want, pg.Body)
			}
			after := e.counts(t)
			for k, n := range before {
				if after[k] != n {
					t.Errorf("a refused launch changed the number of %s: %d -> %d", k, n, after[k])
				}
			}
			got := refusals(t, e)
			if len(got) != len(refusedBefore)+1 || !strings.Contains(got[0].Reason, tc.want) {
				t.Errorf("audit: %d refusals (was %d), newest %q; want one more naming %q", len(got), len(refusedBefore), reasonOf(got), tc.want)
			}
		})
	}
}

func refusals(t *testing.T, e *ltiEnv) []store.AuditEntryRow {
	t.Helper()
	all, err := e.lec.App.Store.AuditEntries(context.Background(), store.AuditFilter{Action: "lti.launch"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.AuditEntryRow
	for _, a := range all {
		if a.Detail["result"] == "refused" {
			out = append(out, a)
		}
	}
	return out
}

func reasonOf(es []store.AuditEntryRow) string {
	if len(es) == 0 {
		return ""
	}
	return es[0].Reason
}

// TestLTIPlatformStorage: with lti_storage_target the state is checked in
// the platform's storage, not a cookie; a window whose storage lacks it is
// refused.
func TestLTIPlatformStorage(t *testing.T) {
	e := startLTI(t, "none")
	ctx := context.Background()
	l := e.launch(grace, "rl-s")
	l.Storage = true
	b := ltiplatform.NewBrowser()
	b.C.Jar = nil // no cookies at all, as in a frame whose browser blocks them
	if pg := e.run(t, b, l); pg.Status != 200 || !strings.Contains(pg.Body, "Choose the Lectern course") {
		t.Fatalf("launch with platform storage and no cookies: %d\n%s", pg.Status, pg.Body)
	}
	before := e.counts(t)
	b = ltiplatform.NewBrowser()
	b.BeforeLaunchPost = func(url.Values) { clear(b.Storage) } // another browser's storage
	pg, err := e.p.Launch(ctx, b, l)
	if err != nil {
		t.Fatal(err)
	}
	if pg.Status != 400 || !strings.Contains(html.UnescapeString(pg.Body), "not in the platform's storage") {
		t.Fatalf("state missing from the platform's storage: %d\n%s", pg.Status, pg.Body)
	}
	if after := e.counts(t); after["sessions"] != before["sessions"] || after["users"] != before["users"] {
		t.Errorf("a refused launch created something: %v -> %v", before, after)
	}
	// Pseudonymous: neither name nor email kept.
	users, _ := e.lec.App.Store.Users(ctx)
	for _, u := range users {
		if strings.Contains(u.Name, "Grace") || strings.Contains(u.Email, "grace") {
			t.Errorf("with keep=none Lectern kept %q <%s>", u.Name, u.Email)
		}
	}
}

// TestLTIPlatformKeys: the platform's keys are cached, fetched again once
// when a launch names a new key, and a launch is refused when they cannot be
// read.
func TestLTIPlatformKeys(t *testing.T) {
	// Unknown key ids may fetch the keys again at once here.
	e := startLTI(t, "name,email", func(c *lms.Config) { c.LTI.JWKSRefetch = 0 })
	if pg := e.run(t, ltiplatform.NewBrowser(), e.launch(grace, "rl-k")); pg.Status != 200 {
		t.Fatalf("first launch: %d\n%s", pg.Status, pg.Body)
	}
	if err := e.p.RotateKey(); err != nil {
		t.Fatal(err)
	}
	if pg := e.run(t, ltiplatform.NewBrowser(), e.launch(grace, "rl-k")); pg.Status != 200 {
		t.Fatalf("launch after the platform rotated its key: %d\n%s", pg.Status, pg.Body)
	}
	e.p.SetJWKSDown(true)
	if err := e.p.RotateKey(); err != nil {
		t.Fatal(err)
	}
	before := e.counts(t)
	pg := e.run(t, ltiplatform.NewBrowser(), e.launch(ada, "rl-k"))
	if pg.Status != 400 || !strings.Contains(pg.Body, "platform key set unavailable") {
		t.Fatalf("JWKS endpoint down: %d, want a refusal\n%s", pg.Status, pg.Body)
	}
	if after := e.counts(t); after["users"] != before["users"] || after["sessions"] != before["sessions"] {
		t.Errorf("a refused launch created something: %v -> %v", before, after)
	}
	e.p.SetJWKSDown(false)
	if pg := e.run(t, ltiplatform.NewBrowser(), e.launch(grace, "rl-k")); pg.Status != 200 {
		t.Fatalf("launch once the keys are back: %d\n%s", pg.Status, pg.Body)
	}
}

// TestLTILoginRefused: a login initiation from an unknown platform, for an
// unknown deployment or to a foreign address is refused before anything is
// stored.
func TestLTILoginRefused(t *testing.T) {
	e := startLTI(t, "name,email")
	ctx := context.Background()
	for name, q := range map[string]url.Values{
		"unknown issuer":     {"iss": {"https://other.example"}, "login_hint": {"x"}, "target_link_uri": {e.tool.LaunchURL}},
		"unknown deployment": {"iss": {e.p.Issuer}, "login_hint": {"x"}, "target_link_uri": {e.tool.LaunchURL}, "lti_deployment_id": {"nope"}, "client_id": {e.tool.ClientID}},
		"foreign target":     {"iss": {e.p.Issuer}, "login_hint": {"x"}, "target_link_uri": {"https://evil.example/lti/launch"}, "client_id": {e.tool.ClientID}},
		"no login_hint":      {"iss": {e.p.Issuer}, "target_link_uri": {e.tool.LaunchURL}},
	} {
		b := ltiplatform.NewBrowser()
		pg, err := b.Get(ctx, e.tool.LoginURL+"?"+q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		if pg.Status != 400 || !strings.Contains(pg.Body, "This launch was refused") {
			t.Errorf("%s: %d, want a refusal\n%s", name, pg.Status, pg.Body)
		}
	}
	// A POSTed login works like a GET one.
	b := ltiplatform.NewBrowser()
	b.LoginPOST = true
	if pg := e.run(t, b, e.launch(grace, "rl-post")); pg.Status != 200 || !strings.Contains(pg.Body, "Choose the Lectern course") {
		t.Errorf("login by POST: %d\n%s", pg.Status, pg.Body)
	}
}

// startAttempt opens the player page's launch and commits values to it.
func commitTo(t *testing.T, e *ltiEnv, page string, seq int64, changes ...cmi.Change) {
	t.Helper()
	m := frameToken.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no player frame in\n%s", page)
	}
	ctx := context.Background()
	if seq == 1 {
		if _, err := e.lec.App.Runtime.Start(ctx, m[1]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.lec.App.Runtime.Commit(ctx, runtime.CommitRequest{Token: m[1], Seq: seq, Changes: changes}); err != nil {
		t.Fatal(err)
	}
}

// TestLTIDeepLinking: an instructor picks a course from a searchable list;
// the platform receives a signed LtiDeepLinkingResponse with a resource link
// and a line item, its data echoed; the link then opens the course.
func TestLTIDeepLinking(t *testing.T) {
	e := startLTI(t, "name,email")
	ctx := context.Background()
	other := e.lec.importZip(t, fixture.ZipDir(t, fixture.Package("scorm2004v4-seq")))
	_ = other
	l := e.launch(grace, "")
	l.DeepLinking, l.DeepLinkData = true, "opaque-platform-data-42"
	b := ltiplatform.NewBrowser()
	pg := e.run(t, b, l)
	if !strings.Contains(pg.Body, "Add a Lectern course") {
		t.Fatalf("deep-linking request: want the picker\n%s", pg.Body)
	}
	// Search narrows the list.
	pg, err := b.Submit(ctx, pg, ltiplatform.FormByAction(pg.Body, "/lti/search", "", ""), map[string]string{"q": "green tea"})
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(pg.Body, `action="/lti/choose"`); n != 1 {
		t.Fatalf("search for the course: %d results, want 1\n%s", n, pg.Body)
	}
	pg, err = b.Submit(ctx, pg, ltiplatform.FormByAction(pg.Body, "/lti/choose", "course", fmt.Sprint(e.course)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ltiplatform.DataOf(pg.Body, "lti")["step"] != "post" {
		t.Fatalf("after choosing: want the page that posts the answer\n%s", pg.Body)
	}
	if csp := pg.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+e.p.URL) {
		t.Errorf("the answer's page may not post to the platform: %s", csp)
	}
	done, err := b.Submit(ctx, pg, ltiplatform.FormByID(pg.Body, "lti-post"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != 200 || !strings.Contains(done.Body, "Added 1 item") {
		t.Fatalf("the platform did not accept the answer: %d %s", done.Status, done.Body)
	}
	rets := e.p.DeepLinkReturns()
	if len(rets) != 1 || len(rets[0].Items) != 1 {
		t.Fatalf("returns: %+v", rets)
	}
	it := rets[0].Items[0]
	li, _ := it["lineItem"].(map[string]any)
	custom, _ := it["custom"].(map[string]any)
	if it["type"] != "ltiResourceLink" || it["url"] != e.tool.LaunchURL || custom["course_id"] != fmt.Sprint(e.course) ||
		li["scoreMaximum"] != 100.0 || li["label"] != "Brewing Green Tea" || li["resourceId"] != lti.ResourceID(e.course) {
		t.Errorf("content item %v", it)
	}
	if rets[0].Data != "opaque-platform-data-42" {
		t.Errorf("data %q not echoed", rets[0].Data)
	}
	// The window's session ended with its answer: a replayed choice fails.
	if again, _ := b.Submit(ctx, pg, ltiplatform.FormByID(pg.Body, "lti-post"), nil); again != nil && len(e.p.DeepLinkReturns()) != 2 {
		// posting the same signed answer twice is the platform's business; Lectern's window is closed:
		_ = again
	}
	// The resource link the platform made opens the course directly.
	ll := e.launch(ada, "rl-deep")
	ll.Custom = map[string]string{"course_id": fmt.Sprint(e.course)}
	if pg := e.run(t, ltiplatform.NewBrowser(), ll); frameToken.FindStringSubmatch(pg.Body) == nil {
		t.Fatalf("launch of the deep-linked resource: no player\n%s", pg.Body)
	}
	// A learner cannot deep link.
	dl := e.launch(ada, "")
	dl.DeepLinking = true
	if pg := e.run(t, ltiplatform.NewBrowser(), dl); pg.Status != 400 || !strings.Contains(pg.Body, "non-instructor") {
		t.Errorf("deep linking by a learner: %d\n%s", pg.Status, pg.Body)
	}
}

// TestLTIGrades: results go to the platform's gradebook through the outbox:
// sent once, retried while the platform is down, kept across a restart, and
// an older result never overwrites a newer one.
func TestLTIGrades(t *testing.T) {
	e := startLTI(t, "name,email")
	ctx := context.Background()
	if err := e.lec.App.Store.SetLTIPlacementCourse(ctx, 1, e.course); err == nil {
		t.Fatal("placement before launch")
	}
	e.run(t, ltiplatform.NewBrowser(), e.launch(grace, "rl-g"))
	if err := e.lec.App.Store.SetLTIPlacementCourse(ctx, 1, e.course); err != nil {
		t.Fatal(err)
	}
	// No line item in the claim: Lectern finds or creates one.
	pg := e.run(t, ltiplatform.NewBrowser(), e.launch(ada, "rl-g"))
	commitTo(t, e, pg.Body, 1, cmi.Change{Element: "cmi.core.lesson_status", Value: "incomplete"})
	sent, err := e.lec.App.LTI.DeliverScores(ctx)
	if err != nil || sent != 1 {
		t.Fatalf("deliver: %d %v, want 1 score", sent, err)
	}
	items := e.p.LineItems()
	if len(items) != 1 || items[0].ResourceLinkID != "rl-g" || items[0].ScoreMaximum != 100 {
		t.Fatalf("line items %+v: want one created for the resource link", items)
	}
	// An unchanged result is not posted again.
	commitTo(t, e, pg.Body, 2, cmi.Change{Element: "cmi.core.lesson_location", Value: "page-2"})
	if sent, _ := e.lec.App.LTI.DeliverScores(ctx); sent != 0 {
		t.Errorf("an unchanged result was posted again (%d)", sent)
	}
	// The platform goes down: two results wait; only the newer goes out.
	e.p.SetDown(true)
	commitTo(t, e, pg.Body, 3, cmi.Change{Element: "cmi.core.score.raw", Value: "40"}, cmi.Change{Element: "cmi.core.lesson_status", Value: "failed"})
	if sent, _ := e.lec.App.LTI.DeliverScores(ctx); sent != 0 {
		t.Errorf("%d scores sent to a platform that is down", sent)
	}
	commitTo(t, e, pg.Body, 4, cmi.Change{Element: "cmi.core.score.raw", Value: "85"}, cmi.Change{Element: "cmi.core.lesson_status", Value: "passed"})
	rows, _ := e.lec.App.Store.LTIScoreRows(ctx, "", 10, 0)
	if len(rows) != 2 || rows[1].Attempts != 1 || rows[1].LastError == "" {
		t.Fatalf("outbox while down: %+v", rows)
	}
	// A restart: a new service on the same data sends what waits.
	e.p.SetDown(false)
	fresh := lti.New(e.lec.App.Store, e.lec.App.LTI.Opt, nil)
	if err := e.lec.App.Store.RetryLTIScore(ctx, rows[0].ID); err != nil { // due now instead of after its back-off
		t.Fatal(err)
	}
	if _, err := e.lec.App.Store.LTIScoreRows(ctx, "", 10, 0); err != nil {
		t.Fatal(err)
	}
	sent, err = fresh.DeliverScores(ctx)
	if err != nil || sent != 1 {
		t.Fatalf("after the restart: %d sent (%v), want 1 (the newest)", sent, err)
	}
	scores := e.p.Scores()
	last := scores[len(scores)-1]
	if len(scores) != 2 || last.UserID != "u-ada" || last.ScoreGiven == nil || *last.ScoreGiven != 85 || *last.ScoreMaximum != 100 ||
		last.ActivityProgress != "Completed" || last.GradingProgress != "FullyGraded" {
		t.Errorf("scores %+v: want the first and then 85/100, completed, fully graded", scores)
	}
	counts, _ := e.lec.App.Store.LTIScoreCounts(ctx)
	if counts["superseded"] != 1 || counts["sent"] != 2 || counts["pending"] != 0 {
		t.Errorf("outbox states %v: want 2 sent, the older waiting result superseded", counts)
	}
	if sent, _ := fresh.DeliverScores(ctx); sent != 0 {
		t.Errorf("%d sent twice", sent)
	}
}

// TestLTIRoster: an instructor syncs the roster; learners who never launched
// show in the context's report as not started, and only the context's
// learners show.
func TestLTIRoster(t *testing.T) {
	e := startLTI(t, "name,email")
	ctx := context.Background()
	b := ltiplatform.NewBrowser()
	pg := e.run(t, b, e.launch(grace, "rl-r"))
	pg, err := b.Submit(ctx, pg, ltiplatform.FormByAction(pg.Body, "/lti/choose", "course", fmt.Sprint(e.course)), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Someone enrolled directly in Lectern is not the context's.
	if _, _, err := e.lec.App.AddUser(ctx, "outsider@example.org", "Olive Outsider", "outsider-password-1", false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.lec.App.EnrolEmail(ctx, e.course, "outsider@example.org", lms.DueInput{}); err != nil {
		t.Fatal(err)
	}
	e.run(t, ltiplatform.NewBrowser(), e.launch(ada, "rl-r"))
	var roster []ltiplatform.User
	for i := 0; i < 7; i++ {
		roster = append(roster, ltiplatform.User{ID: fmt.Sprintf("u-%d", i), Name: fmt.Sprintf("Learner Number%d", i), Email: fmt.Sprintf("l%d@uni.example", i), Roles: []string{ltiplatform.Learner}})
	}
	roster = append(roster, ada, grace)
	e.p.PageSize = 3
	e.p.SetMembers(roster)
	pg, err = b.Submit(ctx, pg, ltiplatform.FormByAction(pg.Body, "/lti/roster", "", ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(pg.Body, "Roster synced: 8 learners, 7 new to Lectern") {
		t.Fatalf("roster sync: %s", pg.Body)
	}
	rowRe := regexp.MustCompile(`<td>(Learner Number\d)</td>\s*<td><span class="badge [^"]*">not started</span>`)
	if n := len(rowRe.FindAllString(pg.Body, -1)); n != 7 {
		t.Errorf("%d roster learners shown as not started, want 7\n%s", n, pg.Body)
	}
	if strings.Contains(pg.Body, "Olive Outsider") || strings.Contains(pg.Body, "Grace Hopper") {
		t.Error("the context's report shows someone who is not its learner")
	}
	if !strings.Contains(pg.Body, "Ada Lovelace") {
		t.Error("the learner who launched is missing")
	}
	// Syncing again changes nothing.
	before := e.counts(t)
	pg, _ = b.Submit(ctx, pg, ltiplatform.FormByAction(pg.Body, "/lti/roster", "", ""), nil)
	if after := e.counts(t); after["users"] != before["users"] || after["enrolments"] != before["enrolments"] {
		t.Errorf("a second sync changed records: %v -> %v", before, after)
	}
	// The learners' window cannot see the report.
	lb := ltiplatform.NewBrowser()
	lpg := e.run(t, lb, e.launch(ada, "rl-r"))
	exit := ltiplatform.FormByID(lpg.Body, "player-exit")
	rep := &ltiplatform.Form{Action: "/lti/report", Values: url.Values{"lti_session": exit.Values["lti_session"]}}
	if got, _ := lb.Submit(ctx, lpg, rep, nil); got.Status != 403 {
		t.Errorf("a learner's window asked for the report: %d, want 403", got.Status)
	}
	// The CSV has the context's learners only.
	csv, err := b.Submit(ctx, pg, ltiplatform.FormByAction(pg.Body, "/lti/report.csv", "", ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if csv.Status != 200 || strings.Count(csv.Body, "\n") != 9 || strings.Contains(csv.Body, "outsider") {
		t.Errorf("CSV %d:\n%s", csv.Status, csv.Body)
	}
}

// TestLTIDynamicRegistration: the platform's admin pastes Lectern's link;
// Lectern reads the platform's configuration, registers itself, and launches
// work at once. The link works once.
func TestLTIDynamicRegistration(t *testing.T) {
	lec := startLectern(t)
	ctx := context.Background()
	p, err := ltiplatform.Start("localhost")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	conf, err := lec.App.LTI.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b := ltiplatform.NewBrowser()
	pg, err := b.Get(ctx, p.DynRegURL(conf.DynamicRegistrationURL))
	if err != nil {
		t.Fatal(err)
	}
	frame := regexp.MustCompile(`<iframe id="tool" src="([^"]+)"`).FindStringSubmatch(pg.Body)
	if frame == nil {
		t.Fatal(pg.Body)
	}
	pg, err = b.Get(ctx, html.UnescapeString(frame[1]))
	if err != nil {
		t.Fatal(err)
	}
	if pg.Status != 200 || !strings.Contains(pg.Body, p.Issuer) {
		t.Fatalf("registration page: %d\n%s", pg.Status, pg.Body)
	}
	done, err := b.Submit(ctx, pg, ltiplatform.FormByAction(pg.Body, "/lti/register", "", ""), map[string]string{"keep": "none", "name": "Campus platform"})
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != 200 || ltiplatform.DataOf(done.Body, "lti")["step"] != "close" {
		t.Fatalf("registration: %d\n%s", done.Status, done.Body)
	}
	tool := p.RegisteredTool()
	if tool == nil || tool.LoginURL != conf.LoginURL || tool.DeepLinkURL != conf.DeepLinkURL || tool.JWKSURL != conf.JWKSURL {
		t.Fatalf("the platform registered %+v", tool)
	}
	ps, _ := lec.App.Store.LTIPlatforms(ctx)
	if len(ps) != 1 || ps[0].ClientID != tool.ClientID || ps[0].Deployments[0] != tool.DeploymentID || ps[0].KeepName || ps[0].Source != "dynamic" || ps[0].Name != "Campus platform" {
		t.Fatalf("Lectern registered %+v", ps)
	}
	// Launches work.
	l := &ltiplatform.Launch{Tool: tool, User: grace, ContextID: "c1", ContextTitle: "Chemistry", ResourceLink: "r1"}
	if pg, err := p.Launch(ctx, ltiplatform.NewBrowser(), l); err != nil || !strings.Contains(pg.Body, "Choose the Lectern course") {
		t.Fatalf("launch after dynamic registration: %v\n%s", err, pg.Body)
	}
	// The link is used up.
	again, err := b.Submit(ctx, pg, ltiplatform.FormByAction(pg.Body, "/lti/register", "", ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != 400 || !strings.Contains(again.Body, "already used or has expired") {
		t.Errorf("second registration with the same link: %d\n%s", again.Status, again.Body)
	}
	// A forged link is refused before anything is fetched.
	bad, _ := b.Get(ctx, lec.URL+lti.PathRegister+"?t=forged&openid_configuration="+url.QueryEscape(p.URL+"/.well-known/openid-configuration"))
	if bad.Status != 400 {
		t.Errorf("forged registration link: %d", bad.Status)
	}
}

// TestLTILimits: --lti-roster-max and --lti-max-token-bytes, each at N and
// N+1.
func TestLTILimits(t *testing.T) {
	const rosterMax = 5
	e := startLTI(t, "name,email", func(c *lms.Config) { c.LTI.RosterMax = rosterMax })
	ctx := context.Background()
	b := ltiplatform.NewBrowser()
	pg := e.run(t, b, e.launch(grace, "rl-l"))
	pg, err := b.Submit(ctx, pg, ltiplatform.FormByAction(pg.Body, "/lti/choose", "course", fmt.Sprint(e.course)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var roster []ltiplatform.User
	for i := 0; i <= rosterMax; i++ {
		roster = append(roster, ltiplatform.User{ID: fmt.Sprintf("m-%d", i), Name: fmt.Sprintf("Member %d", i), Roles: []string{ltiplatform.Learner}})
	}
	e.p.SetMembers(roster[:rosterMax])
	pg, _ = b.Submit(ctx, pg, ltiplatform.FormByAction(pg.Body, "/lti/roster", "", ""), nil)
	if !strings.Contains(pg.Body, fmt.Sprintf("Roster synced: %d learners", rosterMax)) {
		t.Errorf("a roster of exactly --lti-roster-max: %s", pg.Body)
	}
	before := e.counts(t)
	e.p.SetMembers(roster)
	pg, _ = b.Submit(ctx, pg, ltiplatform.FormByAction(pg.Body, "/lti/roster", "", ""), nil)
	if !strings.Contains(pg.Body, fmt.Sprintf("more than %d members", rosterMax)) {
		t.Errorf("a roster one over --lti-roster-max: %s", pg.Body)
	}
	if after := e.counts(t); after["users"] != before["users"] {
		t.Errorf("a refused roster created users: %v -> %v", before, after)
	}

	// The id_token limit: a token of exactly N bytes passes, N+1 does not.
	// The platform's token for this launch is measured, then the same
	// launch is tried with the limit at its length and one below.
	var size int
	b = ltiplatform.NewBrowser()
	b.BeforeLaunchPost = func(f url.Values) { size = len(f.Get("id_token")) }
	e.run(t, b, e.launch(ada, "rl-l"))
	for _, tc := range []struct {
		limit   int
		refused bool
	}{{size, false}, {size - 1, true}} {
		lec := startLTI(t, "name,email", func(c *lms.Config) { c.LTI.MaxTokenBytes = tc.limit })
		// The same claims make a token of the same length (ids and URLs
		// differ only in digits of equal count).
		var got int
		b := ltiplatform.NewBrowser()
		b.BeforeLaunchPost = func(f url.Values) { got = len(f.Get("id_token")) }
		pg := lec.run(t, b, lec.launch(ada, "rl-l"))
		if got != tc.limit+map[bool]int{true: 1, false: 0}[tc.refused] {
			t.Skipf("the second token is %d bytes, not %d: cannot test the boundary exactly", got, size)
		}
		refused := pg.Status == 400 && strings.Contains(pg.Body, "larger than")
		if refused != tc.refused {
			t.Errorf("a %d-byte id_token with --lti-max-token-bytes %d: refused %v, want %v\n%s", got, tc.limit, refused, tc.refused, pg.Body)
		}
	}
}

// TestLTINewWindow: "open in a new window" gives the new window its own
// session and the same attempt; leaving shows the end page; a forged
// window token is refused.
func TestLTINewWindow(t *testing.T) {
	e := startLTI(t, "name,email")
	ctx := context.Background()
	if err := e.lec.App.Store.SetLTIPlacementCourse(ctx, 1, e.course); err == nil {
		t.Fatal("placement before launch")
	}
	e.run(t, ltiplatform.NewBrowser(), e.launch(grace, "rl-w"))
	if err := e.lec.App.Store.SetLTIPlacementCourse(ctx, 1, e.course); err != nil {
		t.Fatal(err)
	}
	b := ltiplatform.NewBrowser()
	pg := e.run(t, b, e.launch(ada, "rl-w"))
	nw := ltiplatform.FormByAction(pg.Body, "/lti/window", "", "")
	if nw == nil {
		t.Fatalf("no new-window form in the player\n%s", pg.Body)
	}
	before := e.counts(t)
	pg2, err := b.Submit(ctx, pg, nw, nil)
	if err != nil {
		t.Fatal(err)
	}
	exit1, exit2 := ltiplatform.FormByID(pg.Body, "player-exit"), ltiplatform.FormByID(pg2.Body, "player-exit")
	if exit2 == nil || exit2.Values.Get("lti_session") == exit1.Values.Get("lti_session") {
		t.Fatalf("the new window has no player or shares the first window's session\n%s", pg2.Body)
	}
	after := e.counts(t)
	if after["attempts"] != before["attempts"] || after["sessions"] != before["sessions"]+1 {
		t.Errorf("new window: %v -> %v, want one more session and the same attempt", before, after)
	}
	done, err := b.Submit(ctx, pg2, exit2, nil)
	if err != nil || done.Status != 200 || !strings.Contains(done.Body, "Your progress is saved") || !strings.Contains(done.Body, e.p.URL+"/course?context=bio-101") {
		t.Fatalf("exit: %v %d\n%s", err, done.Status, done.Body)
	}
	// A forged or missing token is refused.
	forged := &ltiplatform.Form{Action: "/lti/window", Values: url.Values{"lti_session": {"forged"}}}
	if r, _ := b.Submit(ctx, pg, forged, nil); r.Status != 401 {
		t.Errorf("forged window token: %d, want 401", r.Status)
	}
}

// TestLTIGradeFailures: while the platform is down scores wait however
// many tries it takes; a score the platform refuses (an unknown line item)
// is marked failed after --lti-score-max-attempts and waits for an admin.
func TestLTIGradeFailures(t *testing.T) {
	e := startLTI(t, "name,email", func(c *lms.Config) { c.LTI.ScoreMaxAttempts, c.LTI.RetryBase = 2, time.Millisecond })
	ctx := context.Background()
	learn := func(rl, lineItem string) *ltiplatform.Page {
		l := e.launch(ada, rl)
		l.LineItem = lineItem
		l.Custom = map[string]string{"course_id": fmt.Sprint(e.course)}
		return e.run(t, ltiplatform.NewBrowser(), l)
	}
	deliver := func(times int) {
		for i := 0; i < times; i++ {
			time.Sleep(20 * time.Millisecond) // past the back-off
			if _, err := e.lec.App.LTI.DeliverScores(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.p.SetDown(true)
	pg := learn("rl-down", e.p.AddLineItem("Down", "rl-down"))
	commitTo(t, e, pg.Body, 1, cmi.Change{Element: "cmi.core.lesson_status", Value: "passed"})
	deliver(4)
	if c, _ := e.lec.App.Store.LTIScoreCounts(ctx); c["pending"] != 1 || c["failed"] != 0 {
		t.Fatalf("after 4 tries while the platform is down: %v, want the score still pending", c)
	}
	e.p.SetDown(false)
	// Sent at its next try: the back-off after the failed tries (this
	// test's and the server's own outbox worker's) is at most 120 times
	// the 1 ms base, so a few deliveries 20 ms apart reach it.
	for i := 0; ; i++ {
		deliver(1)
		c, _ := e.lec.App.Store.LTIScoreCounts(ctx)
		if c["sent"] == 1 {
			break
		}
		if i == 50 || c["failed"] != 0 {
			t.Fatalf("once the platform is back: %v, want it sent", c)
		}
	}
	pg = learn("rl-gone", e.p.URL+"/lineitems/deleted-column")
	commitTo(t, e, pg.Body, 1, cmi.Change{Element: "cmi.core.lesson_status", Value: "failed"})
	deliver(3)
	rows, _ := e.lec.App.Store.LTIScoreRows(ctx, store.ScoreFailed, 10, 0)
	if len(rows) != 1 || rows[0].Attempts != 2 || !strings.Contains(rows[0].LastError, "HTTP 404") {
		t.Fatalf("a refused score: %+v, want it failed after 2 tries with the platform's answer", rows)
	}
	if err := e.lec.App.Store.RetryLTIScore(ctx, rows[0].ID); err != nil {
		t.Fatal(err)
	}
	if c, _ := e.lec.App.Store.LTIScoreCounts(ctx); c["pending"] != 1 {
		t.Errorf("after an admin's retry: %v, want it pending", c)
	}
}

// TestLTIGradeProbeAfterOutage: after an outage, the backlog does not wait
// out its back-off (an hour here). A platform whose scores all wait is
// probed with the oldest, at most every --lti-probe-every (an hour here too;
// a new service, like a new outbox leader, has probed nothing yet). A probe
// that fails, at the token endpoint or at the post, leaves its score's tries
// and back-off as they were; one that goes through brings the backlog.
func TestLTIGradeProbeAfterOutage(t *testing.T) {
	e := startLTI(t, "name,email", func(c *lms.Config) {
		if dsn := storetest.DSN(t, c.DatabasePath()); store.IsPostgres(dsn) {
			c.DB = dsn
		}
		c.LTI.RetryBase, c.LTI.ProbeEvery, c.LTI.OutboxInterval = time.Hour, time.Hour, time.Hour
	})
	ctx := context.Background()
	st := e.lec.App.Store
	lineItems := map[string]string{}
	learn := func(rl string) *ltiplatform.Page {
		l := e.launch(ada, rl)
		l.LineItem = e.p.AddLineItem(rl, rl)
		l.Custom = map[string]string{"course_id": fmt.Sprint(e.course)}
		lineItems[rl] = l.LineItem
		return e.run(t, ltiplatform.NewBrowser(), l)
	}
	deliver := func(s *lti.Service, want int) {
		t.Helper()
		if sent, err := s.DeliverScores(ctx); err != nil || sent != want {
			t.Fatalf("deliver: %d sent (%v), want %d", sent, err, want)
		}
	}
	fresh := func() *lti.Service { return lti.New(st, e.lec.App.LTI.Opt, nil) }
	waiting := func() []store.LTIScoreRow { // oldest first
		t.Helper()
		rows, err := st.LTIScoreRows(ctx, store.ScorePending, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(rows)
		return rows
	}
	passed := cmi.Change{Element: "cmi.core.lesson_status", Value: "passed"}

	// Two columns of the same course: a result of ada's goes to both.
	learn("rl-a")
	pg := learn("rl-b")
	// The app's service sends a first result and keeps the platform's token.
	commitTo(t, e, pg.Body, 1, cmi.Change{Element: "cmi.core.lesson_status", Value: "incomplete"})
	deliver(e.lec.App.LTI, 2)

	// Down: the passing result fails at the token endpoint in both columns
	// and waits an hour.
	e.p.SetDown(true)
	commitTo(t, e, pg.Body, 2, passed)
	deliver(fresh(), 0)
	before := waiting()
	if len(before) != 2 || before[0].Attempts != 1 || before[1].Attempts != 1 ||
		before[0].NextAt.Before(time.Now().Add(50*time.Minute)) || !strings.Contains(before[0].LastError, "token endpoint") {
		t.Fatalf("after the outage's first round: %+v, want two scores waiting an hour after one try", before)
	}
	// Probes fail: the oldest score records why, nothing else changes.
	for _, probe := range []struct {
		s    *lti.Service
		want string
	}{
		{e.lec.App.LTI, "score post: HTTP 503"}, // with a token: the post fails
		{fresh(), "token endpoint: HTTP 503"},   // without: the token endpoint fails
	} {
		deliver(probe.s, 0)
		after := waiting()
		if len(after) != 2 || !strings.Contains(after[0].LastError, probe.want) {
			t.Fatalf("after a probe: %+v, want the oldest score's last error %q", after, probe.want)
		}
		for i := range after {
			if after[i].Attempts != before[i].Attempts || !after[i].NextAt.Equal(before[i].NextAt) || after[i].State != store.ScorePending {
				t.Errorf("score %d after a failed probe: %d tries, next at %v (%s), want %d tries, next at %v",
					after[i].ID, after[i].Attempts, after[i].NextAt, after[i].State, before[i].Attempts, before[i].NextAt)
			}
		}
		if after[1].LastError != before[1].LastError {
			t.Errorf("the second score's last error %q, want %q: only the oldest is probed", after[1].LastError, before[1].LastError)
		}
	}

	// Back up, no new score. The app's service probed within the hour: the
	// backlog waits, as it did before probes.
	e.p.SetDown(false)
	deliver(e.lec.App.LTI, 0)
	// A service that has not probed yet: the probe goes through and wakes
	// the rest, all in one round.
	deliver(fresh(), 2)
	scores := e.p.Scores()
	if len(scores) != 4 {
		t.Fatalf("the platform has %d scores, want 4: %+v", len(scores), scores)
	}
	got := map[string]string{}
	for _, s := range scores[2:] {
		got[s.LineItem] = s.UserID + " " + s.GradingProgress
	}
	for _, rl := range []string{"rl-a", "rl-b"} {
		if got[lineItems[rl]] != "u-ada FullyGraded" {
			t.Errorf("%s after the outage: %q, want u-ada FullyGraded", rl, got[lineItems[rl]])
		}
	}
	if c, _ := st.LTIScoreCounts(ctx); c["pending"] != 0 || c["sent"] != 4 {
		t.Errorf("outbox states %v: want 4 sent, none pending", c)
	}
}
