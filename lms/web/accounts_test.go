package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/notify"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/web"
)

// mails lists the messages of kind queued for to, oldest first.
func (e *env) mails(kind, to string) []store.MessageRow {
	e.t.Helper()
	e.server.Close() // background work (reset requests) is done
	rows, err := e.store.Messages(context.Background(), store.MessageFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []store.MessageRow
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].Kind == kind && rows[i].To == to {
			out = append(out, rows[i])
		}
	}
	return out
}

// lastLink is the link of the newest message of kind to to, as a path.
func (e *env) lastLink(kind, to string) string {
	e.t.Helper()
	ms := e.mails(kind, to)
	if len(ms) == 0 {
		e.t.Fatalf("no %s message to %s", kind, to)
	}
	m := ms[len(ms)-1]
	if m.Link == "" || !strings.Contains(m.Body, store.LinkMarker) {
		e.t.Fatalf("%s message to %s carries no link: %q", kind, to, m.Body)
	}
	if strings.Contains(m.Body, "t=") {
		e.t.Errorf("the stored body holds the link's token: %q", m.Body)
	}
	return strings.TrimPrefix(m.Link, e.opt.BaseURL)
}

// audits counts the audit entries of action about u.
func (e *env) audits(action string, u *store.User) int {
	e.t.Helper()
	rows, err := e.store.AuditEntries(context.Background(), store.AuditFilter{Action: action, Learner: u.ID}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(rows)
}

var tokenField = regexp.MustCompile(`name="t" value="([^"]+)"`)

// choosePassword opens a set-password link and submits password.
func (b *browser) choosePassword(link, password string) response {
	b.t.Helper()
	r := b.get(link)
	if r.status != http.StatusOK {
		return r
	}
	m := tokenField.FindStringSubmatch(r.body)
	if m == nil {
		b.t.Fatalf("%s shows no form:\n%s", link, r.body)
	}
	return b.post("/password", url.Values{"t": {m[1]}, "password": {password}, "password2": {password}}, csrfField.FindStringSubmatch(r.body)[1])
}

// TestInvitationOnCreate: an admin adds a user with an invitation; its link
// shows a form without being used up, sets the password once, signs the
// user in, and never works again.
func TestInvitationOnCreate(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	ctx := context.Background()
	r := admin.post("/admin/users", url.Values{"email": {"lee@example.org"}, "name": {"Lee Park"}, "password_mode": {"invite"}}, admin.csrf("/admin/users"))
	if r.status != http.StatusCreated || !strings.Contains(r.body, "invitation to choose a password is on its way") || secretValue.MatchString(r.body) {
		t.Fatalf("create with invitation: %d\n%s", r.status, r.body)
	}
	lee, _ := e.store.UserByEmail(ctx, "lee@example.org")
	msgs := e.mails(store.MessageInvitation, "lee@example.org")
	if len(msgs) != 1 || !strings.Contains(msgs[0].Body, "User admin@example.org invited you to the courses of Acme Safety") {
		t.Fatalf("invitations %+v", msgs)
	}
	if e.audits("user.invite", lee) != 1 {
		t.Errorf("audit entries of the invitation: %d, want 1", e.audits("user.invite", lee))
	}
	link := e.lastLink(store.MessageInvitation, "lee@example.org")
	if !strings.HasPrefix(link, "/password?t=") {
		t.Fatalf("invitation link %q", link)
	}
	// Opening it (as a mail scanner would) uses nothing up.
	lee1 := e.browser()
	for range 2 {
		if r := lee1.get(link); r.status != http.StatusOK || !strings.Contains(r.body, "Welcome, Lee Park") {
			t.Fatalf("invitation page: %d", r.status)
		}
	}
	token := tokenField.FindStringSubmatch(lee1.get(link).body)[1]
	csrf := csrfField.FindStringSubmatch(lee1.get(link).body)[1]
	for _, tt := range []struct{ pw, pw2, want string }{
		{"short", "short", "too short"},
		{"a long password", "another long one", "differ"},
	} {
		r := lee1.post("/password", url.Values{"t": {token}, "password": {tt.pw}, "password2": {tt.pw2}}, csrf)
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tt.want) {
			t.Errorf("password %q/%q: %d, want 422 %q", tt.pw, tt.pw2, r.status, tt.want)
		}
	}
	r = lee1.post("/password", url.Values{"t": {token}, "password": {"lee's own password"}, "password2": {"lee's own password"}}, csrf)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("choose password: %d %q", r.status, r.header.Get("Location"))
	}
	if r := lee1.get("/"); r.status != http.StatusOK {
		t.Errorf("home after choosing a password: %d, want signed in", r.status)
	}
	// Single use.
	other := e.browser()
	if r := other.get(link); r.status != http.StatusGone {
		t.Errorf("used invitation link: %d, want 410", r.status)
	}
	if r := other.post("/password", url.Values{"t": {token}, "password": {"mallory's password"}, "password2": {"mallory's password"}}, other.formToken()); r.status != http.StatusGone {
		t.Errorf("used invitation, posted: %d, want 410", r.status)
	}
	if r := e.browser().login("lee@example.org", "lee's own password"); r.status != http.StatusSeeOther {
		t.Errorf("sign-in with the chosen password: %d", r.status)
	}
	if r := e.browser().login("lee@example.org", "mallory's password"); r.status != http.StatusUnauthorized {
		t.Errorf("the replayed link changed the password: %d", r.status)
	}
	if n := e.audits("account.password-invitation", lee); n != 1 {
		t.Errorf("audit entries of the chosen password: %d, want 1", n)
	}
	// Sent, the outbox forgets the link.
	m := e.mails(store.MessageInvitation, "lee@example.org")[0]
	if err := e.store.MarkSent(ctx, m.ID, e.clock()); err != nil {
		t.Fatal(err)
	}
	if m2, _ := e.store.MessageByID(ctx, m.ID); m2.Link != "" {
		t.Errorf("a sent message keeps its link %q", m2.Link)
	}
	if r := admin.get("/admin/outbox"); strings.Contains(r.body, "/password?t=") || !strings.Contains(r.body, "personal link") {
		t.Error("the outbox shows an invitation's link")
	}
}

// TestInvitationLifetime: an invitation works until its lifetime ends (here
// 48 hours: at N-1s it opens, at N and N+1s not), and a new one voids the
// old one.
func TestInvitationLifetime(t *testing.T) {
	const ttl = 48 * time.Hour
	e := newEnv(t, func(o *web.Options) { o.InviteTTL = ttl })
	admin := e.signedIn("admin@example.org", true)
	lee := e.quickUser("lee@example.org", "Lee Park")
	page := fmt.Sprintf("/admin/users/%d", lee.ID)
	if r := admin.post(page+"/invite", url.Values{}, admin.csrf(page)); r.status != http.StatusOK || !strings.Contains(r.body, "4 March 2026, 09:00 UTC") {
		t.Fatalf("invite: %d\n%s", r.status, r.body)
	}
	first := e.lastLink(store.MessageInvitation, "lee@example.org")
	e.advance(ttl - time.Second)
	if r := e.browser().get(first); r.status != http.StatusOK {
		t.Errorf("invitation at its lifetime less a second: %d, want 200", r.status)
	}
	e.advance(time.Second)
	if r := e.browser().get(first); r.status != http.StatusGone {
		t.Errorf("invitation at its lifetime: %d, want 410", r.status)
	}
	e.advance(time.Second)
	if r := e.browser().get(first); r.status != http.StatusGone {
		t.Errorf("invitation a second after its lifetime: %d, want 410", r.status)
	}
	// Resent: a new link works, and the earlier one does not.
	admin = e.browser()
	admin.login("admin@example.org", "password-123")
	if r := admin.post(page+"/invite", url.Values{}, admin.csrf(page)); r.status != http.StatusOK {
		t.Fatalf("resend: %d", r.status)
	}
	second := e.lastLink(store.MessageInvitation, "lee@example.org")
	if r := admin.post(page+"/invite", url.Values{}, admin.csrf(page)); r.status != http.StatusOK {
		t.Fatalf("resend again: %d", r.status)
	}
	third := e.lastLink(store.MessageInvitation, "lee@example.org")
	if r := e.browser().get(second); r.status != http.StatusGone {
		t.Errorf("an invitation after a newer one: %d, want 410", r.status)
	}
	if r := e.browser().choosePassword(third, "lee's own password"); r.status != http.StatusSeeOther {
		t.Errorf("newest invitation: %d", r.status)
	}
	// The voided message is not sent any more.
	for _, m := range e.mails(store.MessageInvitation, "lee@example.org") {
		if ok, _ := e.store.MessageDeliverable(context.Background(), m.ID); ok {
			t.Errorf("message %d is still deliverable after its link was voided or used", m.ID)
		}
	}
	if n := e.audits("user.invite", lee); n != 3 {
		t.Errorf("audit entries of invitations: %d, want 3", n)
	}
}

// stripCSRF removes the per-browser token from a page, to compare pages.
func stripCSRF(body string) string {
	return csrfField.ReplaceAllString(body, `name="_csrf" value=""`)
}

// TestForgotPassword: the answer is the same page for an address with an
// account, without one, and of a deactivated user; only the first gets a
// link, which sets a new password once and signs the user out elsewhere.
func TestForgotPassword(t *testing.T) {
	e := newEnv(t)
	lee := e.addUser("lee@example.org", false)
	gone := e.addUser("gone@example.org", false)
	if err := e.store.SetUserActive(context.Background(), gone.ID, false); err != nil {
		t.Fatal(err)
	}
	other := e.signedIn("lee2@example.org", false)
	_ = other
	leeElsewhere := e.browser()
	leeElsewhere.login("lee@example.org", "password-123")

	var pages []string
	for _, email := range []string{"lee@example.org", "nobody@example.org", "gone@example.org"} {
		b := e.browser()
		r := b.post("/login/forgot", url.Values{"email": {email}}, b.csrf("/login/forgot"))
		if r.status != http.StatusOK {
			t.Fatalf("forgot %s: %d", email, r.status)
		}
		pages = append(pages, strings.ReplaceAll(stripCSRF(r.body), email, "EMAIL"))
	}
	if pages[0] != pages[1] || pages[0] != pages[2] {
		t.Errorf("the answers differ by account:\n%s\n---\n%s\n---\n%s", pages[0], pages[1], pages[2])
	}
	if n := len(e.mails(store.MessageReset, "nobody@example.org")) + len(e.mails(store.MessageReset, "gone@example.org")); n != 0 {
		t.Errorf("%d reset emails to addresses without an active account", n)
	}
	link := e.lastLink(store.MessageReset, "lee@example.org")
	if r := e.browser().choosePassword(link, "short"); r.status != http.StatusUnprocessableEntity {
		t.Errorf("short new password: %d", r.status)
	}
	b := e.browser()
	if r := b.choosePassword(link, "a new password for lee"); r.status != http.StatusSeeOther {
		t.Fatalf("reset: %d", r.status)
	}
	if r := leeElsewhere.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("Lee's other session after the reset: %d, want signed out", r.status)
	}
	if r := e.browser().get(link); r.status != http.StatusGone {
		t.Errorf("used reset link: %d, want 410", r.status)
	}
	if r := e.browser().login("lee@example.org", "a new password for lee"); r.status != http.StatusSeeOther {
		t.Errorf("new password: %d", r.status)
	}
	if n := e.audits("account.password-reset", lee); n != 1 {
		t.Errorf("audit entries of the reset: %d, want 1", n)
	}
	if n := e.audits("account.reset-request", lee); n != 1 {
		t.Errorf("audit entries of the request: %d, want 1", n)
	}
	for _, bad := range []string{"", "not an address"} {
		b := e.browser()
		if r := b.post("/login/forgot", url.Values{"email": {bad}}, b.csrf("/login/forgot")); r.status == http.StatusOK {
			t.Errorf("forgot %q: %d, want refused", bad, r.status)
		}
	}
}

// TestResetLimits: N reset requests for one address send N emails, the
// N+1-th none (with the same answer); a reset link works for ResetTTL; one
// client address gets 4N requests, then is told to wait.
func TestResetLimits(t *testing.T) {
	const n = 2
	const ttl = 30 * time.Minute
	e := newEnv(t, func(o *web.Options) { o.ResetMaxRequests, o.ResetWindow, o.ResetTTL = n, time.Hour, ttl })
	e.addUser("lee@example.org", false)
	ask := func(email string) response {
		b := e.browser()
		return b.post("/login/forgot", url.Values{"email": {email}}, b.csrf("/login/forgot"))
	}
	var first string
	for i := 1; i <= n+1; i++ {
		r := ask("lee@example.org")
		if r.status != http.StatusOK {
			t.Fatalf("request %d: %d", i, r.status)
		}
		if i == 1 {
			first = stripCSRF(r.body)
		} else if stripCSRF(r.body) != first {
			t.Errorf("answer %d differs from the first", i)
		}
		want := min(i, n)
		if got := len(e.mails(store.MessageReset, "lee@example.org")); got != want {
			t.Errorf("after %d requests: %d emails, want %d", i, got, want)
		}
	}
	link := e.lastLink(store.MessageReset, "lee@example.org")
	e.advance(ttl - time.Second)
	if r := e.browser().get(link); r.status != http.StatusOK {
		t.Errorf("reset link at its lifetime less a second: %d", r.status)
	}
	e.advance(time.Second)
	if r := e.browser().get(link); r.status != http.StatusGone {
		t.Errorf("reset link at its lifetime: %d, want 410", r.status)
	}
	// A window later, the address may ask again.
	e.advance(time.Hour)
	ask("lee@example.org")
	if got := len(e.mails(store.MessageReset, "lee@example.org")); got != n+1 {
		t.Errorf("a window later: %d emails, want %d", got, n+1)
	}
	// Per client address: 4N requests (any addresses), then "try later".
	e2 := newEnv(t, func(o *web.Options) { o.ResetMaxRequests, o.ResetWindow = n, time.Hour })
	b := e2.browser()
	token := b.csrf("/login/forgot")
	for i := 1; i <= 4*n; i++ {
		if r := b.post("/login/forgot", url.Values{"email": {fmt.Sprintf("x%d@example.org", i)}}, token); r.status != http.StatusOK {
			t.Fatalf("request %d from one address: %d", i, r.status)
		}
	}
	if r := b.post("/login/forgot", url.Values{"email": {"y@example.org"}}, token); r.status != http.StatusTooManyRequests || !strings.Contains(r.body, "Too many requests") {
		t.Errorf("request %d from one address: %d, want 429", 4*n+1, r.status)
	}
}

// TestEmailSignInLinks: an admin emails sign-in links to a selection of
// users; deactivated users and admins are skipped; a link shows who it
// signs in and acts only on the button, once.
func TestEmailSignInLinks(t *testing.T) {
	e := newEnv(t, func(o *web.Options) { o.EmailLinkTTL = 24 * time.Hour })
	admin := e.signedIn("admin@example.org", true)
	ctx := context.Background()
	lee := e.quickUser("lee@example.org", "Lee Park")
	ann := e.quickUser("ann@example.org", "Ann Smith")
	gone := e.quickUser("gone@example.org", "Gone Away")
	e.store.SetUserActive(ctx, gone.ID, false)
	boss, _ := e.store.UserByEmail(ctx, "admin@example.org")
	token := admin.csrf("/admin/users")
	if r := admin.post("/admin/users/email", url.Values{"action": {"sign-in-link"}}, token); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "Tick the users") {
		t.Errorf("no selection: %d", r.status)
	}
	if r := admin.post("/admin/users/email", url.Values{"user": {fmt.Sprint(lee.ID)}}, token); r.status != http.StatusBadRequest {
		t.Errorf("no action: %d", r.status)
	}
	form := url.Values{"action": {"sign-in-link"}, "user": {fmt.Sprint(lee.ID), fmt.Sprint(ann.ID), fmt.Sprint(gone.ID), fmt.Sprint(boss.ID), "999", "x"}}
	r := admin.post("/admin/users/email", form, token)
	if r.status != http.StatusOK || !strings.Contains(r.body, "2 sign-in links are on their way") ||
		!strings.Contains(r.body, "gone@example.org: deactivated") || !strings.Contains(r.body, "admin@example.org: administrators sign in") {
		t.Fatalf("bulk sign-in links: %d\n%s", r.status, r.body)
	}
	for _, u := range []*store.User{lee, ann} {
		if n := e.audits("user.sign-in-link", u); n != 1 {
			t.Errorf("audit entries for %s: %d, want 1", u.Email, n)
		}
	}
	if len(e.mails(store.MessageSignInLink, "gone@example.org"))+len(e.mails(store.MessageSignInLink, "admin@example.org")) != 0 {
		t.Error("links went to a deactivated user or an admin")
	}
	link := e.lastLink(store.MessageSignInLink, "lee@example.org")
	b := e.browser()
	for range 2 {
		if r := b.get(link); r.status != http.StatusOK || !strings.Contains(r.body, "This link signs in <strong>Lee Park</strong>") {
			t.Fatalf("emailed link page: %d\n%s", r.status, r.body)
		}
	}
	if r := b.get("/"); r.status != http.StatusSeeOther {
		t.Fatal("opening the link signed in")
	}
	page := b.get(link)
	r = b.post("/login/email", url.Values{"t": {tokenField.FindStringSubmatch(page.body)[1]}}, csrfField.FindStringSubmatch(page.body)[1])
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Fatalf("use the link: %d %q", r.status, r.header.Get("Location"))
	}
	if r := b.get("/"); r.status != http.StatusOK {
		t.Error("not signed in after the link")
	}
	if r := e.browser().get(link); r.status != http.StatusGone {
		t.Errorf("used link: %d, want 410", r.status)
	}
	// Lifetime: Ann's link works until 24 hours, not at 24 hours.
	annLink := e.lastLink(store.MessageSignInLink, "ann@example.org")
	e.advance(24*time.Hour - time.Second)
	if r := e.browser().get(annLink); r.status != http.StatusOK {
		t.Errorf("link at its lifetime less a second: %d", r.status)
	}
	e.advance(time.Second)
	if r := e.browser().get(annLink); r.status != http.StatusGone {
		t.Errorf("link at its lifetime: %d, want 410", r.status)
	}
	// Invitations in bulk go to admins too.
	admin = e.browser()
	admin.login("admin@example.org", "password-123")
	token = admin.csrf("/admin/users")
	r = admin.post("/admin/users/email", url.Values{"action": {"invitation"}, "user": {fmt.Sprint(boss.ID), fmt.Sprint(ann.ID)}}, token)
	if r.status != http.StatusOK || !strings.Contains(r.body, "2 invitations are on their way") {
		t.Errorf("bulk invitations: %d", r.status)
	}
}

// TestReminderLinksIntoCourse: a learner's reminder carries a personal
// link that signs them in and opens the course; an admin's carries the
// course's address behind the sign-in page.
func TestReminderLinksIntoCourse(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	courseID := uploadFixture(t, e, admin)
	lee := e.addUser("lee@example.org", false)
	boss, _ := e.store.UserByEmail(ctx, "admin@example.org")
	for _, u := range []*store.User{lee, boss} {
		if _, _, err := e.store.Enrol(ctx, u.ID, courseID, nil); err != nil {
			t.Fatal(err)
		}
	}
	n := &notify.Notifier{Store: e.store, BaseURL: e.opt.BaseURL, Organisation: "Acme Safety", LinkTTL: 72 * time.Hour}
	if _, err := n.Queue(ctx); err != nil {
		t.Fatal(err)
	}
	var sender recordingSender
	n.Sender = &sender
	if _, err := n.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	var leeBody, bossBody string
	for _, m := range sender.sent {
		switch m.to {
		case "lee@example.org":
			leeBody = m.body
		case "admin@example.org":
			bossBody = m.body
		}
	}
	link := regexp.MustCompile(`http://lectern.test(/login/email\?t=\S+)`).FindStringSubmatch(leeBody)
	if link == nil || !strings.Contains(leeBody, fmt.Sprintf("/courses/%d", courseID)) {
		t.Fatalf("Lee's reminder has no sign-in link and course address:\n%s", leeBody)
	}
	if strings.Contains(bossBody, "/login/email") || !strings.Contains(bossBody, fmt.Sprintf("/courses/%d", courseID)) {
		t.Errorf("the admin's reminder:\n%s", bossBody)
	}
	b := e.browser()
	page := b.get(link[1])
	if page.status != http.StatusOK || !strings.Contains(page.body, "and opens the course") {
		t.Fatalf("reminder link page: %d\n%s", page.status, page.body)
	}
	r := b.post("/login/email", url.Values{"t": {tokenField.FindStringSubmatch(page.body)[1]}}, csrfField.FindStringSubmatch(page.body)[1])
	if r.status != http.StatusSeeOther || r.header.Get("Location") != fmt.Sprintf("/courses/%d", courseID) {
		t.Fatalf("reminder link: %d %q, want the course", r.status, r.header.Get("Location"))
	}
	// Without the link, the course address goes through the sign-in page
	// and comes back.
	anon := e.browser()
	r = anon.get(fmt.Sprintf("/courses/%d", courseID))
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login?next=") {
		t.Fatalf("course signed out: %d %q", r.status, r.header.Get("Location"))
	}
	next, _ := url.QueryUnescape(strings.TrimPrefix(r.header.Get("Location"), "/login?next="))
	r = anon.post("/login", url.Values{"email": {"lee@example.org"}, "password": {"password-123"}, "next": {next}}, anon.csrf(r.header.Get("Location")))
	if r.status != http.StatusSeeOther || r.header.Get("Location") != fmt.Sprintf("/courses/%d", courseID) {
		t.Errorf("sign-in then the course: %d %q", r.status, r.header.Get("Location"))
	}
	// Sent, the outbox no longer holds the links.
	rows, _ := e.store.Messages(ctx, store.MessageFilter{})
	for _, m := range rows {
		if m.Link != "" {
			t.Errorf("sent message %d keeps its link", m.ID)
		}
	}
}

type sentMail struct{ to, subject, body string }

type recordingSender struct{ sent []sentMail }

func (s *recordingSender) Send(_ context.Context, to, subject, body string) error {
	s.sent = append(s.sent, sentMail{to, subject, body})
	return nil
}

// TestAdminsLandOnDashboard: an admin who signs in without a destination
// lands on the dashboard; a learner on their courses; a destination wins.
func TestAdminsLandOnDashboard(t *testing.T) {
	e := newEnv(t)
	e.addUser("admin@example.org", true)
	e.addUser("lee@example.org", false)
	if r := e.browser().login("admin@example.org", "password-123"); r.header.Get("Location") != "/admin" {
		t.Errorf("admin lands on %q, want /admin", r.header.Get("Location"))
	}
	if r := e.browser().login("lee@example.org", "password-123"); r.header.Get("Location") != "/" {
		t.Errorf("learner lands on %q, want /", r.header.Get("Location"))
	}
	b := e.browser()
	r := b.post("/login", url.Values{"email": {"admin@example.org"}, "password": {"password-123"}, "next": {"/admin/users"}}, b.csrf("/login?next=/admin/users"))
	if r.header.Get("Location") != "/admin/users" {
		t.Errorf("admin with a destination lands on %q", r.header.Get("Location"))
	}
}

// TestAnonymousFormsAreBounded: every public form reads at most --max-form-bytes: a
// body of exactly that is read, one byte more is refused before reading,
// and an endless body without a length is cut.
func TestAnonymousFormsAreBounded(t *testing.T) {
	e := newFreshEnv(t) // so that the set-up form reads its body too
	limit := int(e.opt.MaxFormBytes)
	var public []web.Route
	for _, rt := range e.server.Routes() {
		if rt.Access == web.Public && rt.Method == http.MethodPost {
			public = append(public, rt)
		}
	}
	if len(public) < 5 {
		t.Fatalf("public forms %v", public)
	}
	for _, rt := range public {
		path := strings.ReplaceAll(rt.Path, ":token", "tok")
		b := e.browser()
		token := b.csrf("/setup")
		body := func(n int) string {
			prefix := "_csrf=" + token + "&email=a%40example.org&x="
			return prefix + strings.Repeat("a", n-len(prefix))
		}
		send := func(n int) int {
			req, _ := http.NewRequest(http.MethodPost, e.http.URL+path, strings.NewReader(body(n)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return b.do(req).status
		}
		if s := send(limit); s == http.StatusRequestEntityTooLarge || s == http.StatusForbidden {
			t.Errorf("%s with %d bytes: %d, want it read", path, limit, s)
		}
		if s := send(limit + 1); s != http.StatusRequestEntityTooLarge {
			t.Errorf("%s with %d bytes: %d, want 413", path, limit+1, s)
		}
		// No length: the reader stops at the limit.
		counter := &countingReader{max: 64 << 20}
		req, _ := http.NewRequest(http.MethodPost, e.http.URL+path, counter)
		req.ContentLength = -1
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-CSRF-Token", token)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		// What the server left unread may still sit in socket buffers
		// (a few MiB on loopback); it must not have taken the 64.
		if counter.read() > 16<<20 {
			t.Errorf("%s read %d bytes of an endless body", path, counter.read())
		}
	}
}

// uploadFixture imports the single-SCO 1.2 package and returns its course.
func uploadFixture(t *testing.T, e *env, admin *browser) uint {
	t.Helper()
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm12-single")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	e.publish(1)
	cs, err := e.store.Courses(context.Background())
	if err != nil || len(cs) == 0 {
		t.Fatalf("courses %v %v", cs, err)
	}
	return cs[len(cs)-1].ID
}

// countingReader is an endless form body that counts what was read.
type countingReader struct {
	max int64
	n   atomic.Int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	if r.n.Load() >= r.max {
		return 0, io.EOF
	}
	for i := range p {
		p[i] = 'a'
	}
	r.n.Add(int64(len(p)))
	return len(p), nil
}

func (r *countingReader) read() int64 { return r.n.Load() }
