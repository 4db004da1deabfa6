package web

// Shared parts of the account pages: the emails that carry links
// (invitations, resets, sign-in links), where a user lands after signing in,
// and the limits.

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/notify"
	"github.com/lectern/lectern/lms/store"
)

func (s *Server) initAccounts() error {
	if s.opt.InviteTTL <= 0 {
		s.opt.InviteTTL = 7 * 24 * time.Hour
	}
	if s.opt.ResetTTL <= 0 {
		s.opt.ResetTTL = time.Hour
	}
	if s.opt.EmailLinkTTL <= 0 {
		s.opt.EmailLinkTTL = 72 * time.Hour
	}
	if s.opt.ResetMaxRequests <= 0 {
		s.opt.ResetMaxRequests = 3
	}
	if s.opt.ResetWindow <= 0 {
		s.opt.ResetWindow = time.Hour
	}
	if s.opt.Mail == nil {
		s.opt.Mail = &notify.Notifier{Store: s.store, BaseURL: s.opt.BaseURL, Organisation: s.opt.Organisation,
			Location: s.opt.Location, Org: s.opt.Org}
	}
	s.setup.code = s.opt.SetupCode
	s.resetLimiter = s.store.Throttle("reset", s.opt.ResetMaxRequests, s.opt.ResetWindow)
	s.resetAddr = s.store.Throttle("reset-addr", s.opt.ResetMaxRequests*4, s.opt.ResetWindow)
	s.resets = make(chan resetRequest, 8)
	return nil
}

// Close waits for the account work still running in the background (a
// password-reset email being queued).
func (s *Server) Close() { s.accounts.Wait() }

// landing is where a user goes after signing in when nothing else was
// asked for: administrators to their dashboard, managers of groups to
// their teams, learners to their courses. Should the manager check fail,
// the user lands on their courses, which every user may see.
func (s *Server) landing(c echo.Context, u *store.User, next string) string {
	if next != "" && next != "/" {
		return next
	}
	if u.Admin {
		return "/admin"
	}
	if ok, err := s.store.IsManager(c.Request().Context(), u.ID); err != nil {
		s.log.Error("landing: is the user a manager", "user", u.Email, "err", err)
	} else if ok {
		return "/manage"
	}
	return "/"
}

// linkTTL is how long a link of purpose lasts when emailed.
func (s *Server) linkTTL(purpose string) time.Duration {
	switch purpose {
	case store.LinkInvitation:
		return s.opt.InviteTTL
	case store.LinkReset:
		return s.opt.ResetTTL
	}
	return s.opt.EmailLinkTTL
}

// mailKinds pairs each link purpose with the email that carries it.
var mailKinds = map[string]string{
	store.LinkInvitation: store.MessageInvitation,
	store.LinkReset:      store.MessageReset,
	store.LinkSignIn:     store.MessageSignInLink,
}

// emailLink issues a link of purpose for u and queues the email that
// carries it, with the audit entry, in one transaction, then asks the
// outbox to send. courseID, for a sign-in link, opens that course.
func (s *Server) emailLink(ctx context.Context, u *store.User, purpose string, courseID *uint, by string, audit *store.AuditEntry) (time.Time, error) {
	token := account.NewToken()
	expires := s.store.Now().Add(s.linkTTL(purpose))
	link := &store.LoginLink{ID: account.HashToken(token), UserID: u.ID, Purpose: purpose, CourseID: courseID, ExpiresAt: expires}
	var title string
	if courseID != nil {
		if co, err := s.store.CourseByID(ctx, *courseID); err == nil {
			title = co.Title
		}
	}
	kind := mailKinds[purpose]
	subject, body := s.opt.Mail.ComposeAccount(notify.AccountMail{Kind: kind, Name: u.Name, Email: u.Email,
		Expires: expires, InvitedBy: by, CourseTitle: title})
	target := notify.SetPasswordURL(s.opt.BaseURL, token)
	if purpose == store.LinkSignIn {
		target = notify.SignInURL(s.opt.BaseURL, token)
	}
	m := &store.Message{UserID: u.ID, Kind: kind, To: u.Email, Subject: subject, Body: body, Link: target}
	if err := s.store.IssueLink(ctx, link, m, audit); err != nil {
		return time.Time{}, err
	}
	s.opt.Mail.Wake()
	return expires, nil
}

// when shows an instant in the organisation's time zone.
func (s *Server) when(t time.Time) string {
	return t.In(s.location()).Format("2 January 2006, 15:04 MST")
}

// adminAudit starts an audit entry for an administrator's action on u.
func adminAudit(c echo.Context, action string, u *store.User) *store.AuditEntry {
	e := store.UserActor(currentUser(c), store.ViaWeb).Audit(action)
	e.SubjectUserID, e.Target = store.Ref(u.ID), u.Email
	return e
}

// loginURL is the sign-in page that comes back to next.
func loginURL(next string) string {
	if next == "" || next == "/" {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// courseLink is where a sign-in link opens.
func courseTarget(l *store.LoginLink) string {
	if l.CourseID != nil {
		return fmt.Sprintf("/courses/%d", *l.CourseID)
	}
	return ""
}

// inviter names the administrator in an invitation.
func inviter(c echo.Context) string {
	if u := currentUser(c); u != nil {
		return strings.TrimSpace(u.Name)
	}
	return ""
}

// humanDuration says a link's lifetime in words: "7 days", "1 hour".
func humanDuration(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return unit(int64(d/(24*time.Hour)), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute:
		return unit(int64(d/time.Minute), "minute")
	}
	return unit(int64(d/time.Second), "second")
}
