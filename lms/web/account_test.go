package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/lectern/lectern/lms/store"
)

// TestAccountPage: a learner changes their name and language (one audit
// entry), not to anything invalid; changes their password only with the
// current one (throttled), which signs out their other sessions and keeps
// this one; and can have a link emailed when they do not know it.
func TestAccountPage(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b := e.signedIn("lee@example.org", false)
	elsewhere := e.browser()
	elsewhere.login("lee@example.org", "password-123")
	lee, _ := e.store.UserByEmail(ctx, "lee@example.org")
	token := b.csrf("/account")
	if r := b.get("/account"); r.status != http.StatusOK || !strings.Contains(r.body, "lee@example.org") || !strings.Contains(r.body, `<option value="de">`) {
		t.Fatalf("account page: %d", r.status)
	}
	for _, tt := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"name": {""}, "language": {"de"}}, "Enter a name"},
		{url.Values{"name": {"Lee\nPark"}, "language": {""}}, "control character"},
		{url.Values{"name": {strings.Repeat("x", 201)}, "language": {""}}, "longer than 200"},
		{url.Values{"name": {"Lee Park"}, "language": {"klingon"}}, "Choose a language"},
	} {
		if r := b.post("/account", tt.form, token); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, tt.want) {
			t.Errorf("account %v: %d, want 422 %q", tt.form, r.status, tt.want)
		}
	}
	if r := b.post("/account", url.Values{"name": {"Lee Park"}, "language": {"de"}}, token); r.status != http.StatusSeeOther {
		t.Fatalf("save: %d", r.status)
	}
	lee2, _ := e.store.UserByEmail(ctx, "lee@example.org")
	if lee2.Name != "Lee Park" || lee2.Language != "de" {
		t.Errorf("after saving: %q %q", lee2.Name, lee2.Language)
	}
	b.post("/account", url.Values{"name": {"Lee Park"}, "language": {"de"}}, token) // no change: no entry
	if n := e.audits("account.update", lee); n != 1 {
		t.Errorf("audit entries of the account: %d, want 1", n)
	}
	if r := b.get("/account?done=saved"); !strings.Contains(r.body, `<option value="de" selected>`) {
		t.Error("the language is not shown as chosen")
	}

	// Password: the current one is needed.
	change := func(current, pw, pw2 string) response {
		return b.post("/account/password", url.Values{"current": {current}, "password": {pw}, "password2": {pw2}}, token)
	}
	if r := change("wrong", "a new password 1", "a new password 1"); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "current password is not right") {
		t.Errorf("wrong current password: %d", r.status)
	}
	if r := change("password-123", "short", "short"); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "too short") {
		t.Errorf("short: %d", r.status)
	}
	if r := change("password-123", "a new password 1", "a new password 2"); r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "differ") {
		t.Errorf("differing: %d", r.status)
	}
	if r := change("password-123", "a new password 1", "a new password 1"); r.status != http.StatusSeeOther {
		t.Fatalf("change: %d\n%s", r.status, r.body)
	}
	if r := b.get("/account"); r.status != http.StatusOK {
		t.Errorf("this session after the change: %d, want kept", r.status)
	}
	if r := elsewhere.get("/"); r.status != http.StatusSeeOther {
		t.Errorf("the other session after the change: %d, want signed out", r.status)
	}
	if r := e.browser().login("lee@example.org", "a new password 1"); r.status != http.StatusSeeOther {
		t.Errorf("new password: %d", r.status)
	}
	if n := e.audits("account.password", lee); n != 1 {
		t.Errorf("audit entries of the password: %d, want 1", n)
	}
	// Guessing the current password is throttled (3 failures in the test
	// configuration): the 4th try is refused even with the right one.
	for range 3 {
		change("guess", "another password 1", "another password 1")
	}
	if r := change("a new password 1", "another password 1", "another password 1"); r.status != http.StatusTooManyRequests {
		t.Errorf("after 3 wrong current passwords: %d, want 429", r.status)
	}

	// Not knowing it: a reset link by email.
	if r := b.post("/account/password-link", url.Values{}, token); r.status != http.StatusSeeOther {
		t.Fatalf("password link: %d", r.status)
	}
	if len(e.mails(store.MessageReset, "lee@example.org")) != 1 {
		t.Error("no reset email")
	}
	// Learners cannot reach another's account: there is no id to change.
	if r := e.browser().get("/account"); r.status != http.StatusSeeOther {
		t.Errorf("account page signed out: %d", r.status)
	}
}
