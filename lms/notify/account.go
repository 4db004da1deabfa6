package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/lectern/lectern/lms/store"
)

// SignInURL is the address of an emailed sign-in link. The token travels in
// the query, not the path, so request logs do not record it.
func SignInURL(baseURL, token string) string {
	return strings.TrimRight(baseURL, "/") + "/login/email?t=" + token
}

// SetPasswordURL is the address of an invitation or a reset link.
func SetPasswordURL(baseURL, token string) string {
	return strings.TrimRight(baseURL, "/") + "/password?t=" + token
}

// AccountMail is an account email to compose: an invitation, a password
// reset or a sign-in link. The link itself is not in it: the body holds
// store.LinkMarker, and the outbox adds the link when it sends.
type AccountMail struct {
	Kind        string // store.MessageInvitation, MessageReset or MessageSignInLink
	Name        string // the recipient's
	Email       string // the recipient's, which is their user name
	Expires     time.Time
	InvitedBy   string // who sent an invitation or a sign-in link; "" when unknown
	CourseTitle string // the course the link opens, if any
}

// ComposeAccount writes the subject and plain-text body of an account
// email. Names and titles are reduced to one line of text, as in reminders.
func (n *Notifier) ComposeAccount(a AccountMail) (subject, body string) {
	org := n.signature()
	var b strings.Builder
	if name := Clean(a.Name); name != "" {
		fmt.Fprintf(&b, "Hello %s,\n\n", name)
	} else {
		b.WriteString("Hello,\n\n")
	}
	inviter := Clean(a.InvitedBy)
	expires := n.when(a.Expires)
	switch a.Kind {
	case store.MessageInvitation:
		subject = "Your account at " + short(org)
		if inviter != "" {
			fmt.Fprintf(&b, "%s invited you to the courses of %s.\n", inviter, org)
		} else {
			fmt.Fprintf(&b, "You have been invited to the courses of %s.\n", org)
		}
		if title := Clean(a.CourseTitle); title != "" {
			fmt.Fprintf(&b, "You are enrolled in the course “%s”; once you have chosen your password, the course opens.\n", title)
		}
		fmt.Fprintf(&b, "Your user name is your email address, %s.\n\n", Clean(a.Email))
		fmt.Fprintf(&b, "Choose your password here (the link works once, until %s):\n%s\n", expires, store.LinkMarker)
		b.WriteString("\nIf the link has expired, use \"Forgot your password?\" on the sign-in page, or ask your administrator to send a new invitation.\n")
	case store.MessageReset:
		subject = "Reset your password at " + short(org)
		b.WriteString("Someone, probably you, asked to reset the password of your account.\n\n")
		fmt.Fprintf(&b, "Choose a new password here (the link works once, until %s):\n%s\n", expires, store.LinkMarker)
		b.WriteString("\nIf you did not ask for this, ignore this message: your password stays as it is.\n")
	case store.MessageSignInLink:
		subject = "Sign in to " + short(org)
		if title := Clean(a.CourseTitle); title != "" {
			fmt.Fprintf(&b, "This link signs you in and opens the course “%s”.\n", title)
		} else {
			b.WriteString("This link signs you in to your courses.\n")
		}
		fmt.Fprintf(&b, "It works once, until %s:\n%s\n", expires, store.LinkMarker)
		b.WriteString("\nDo not forward this message: the link signs in whoever opens it.\n")
	default:
		subject = "A message from " + short(org)
	}
	fmt.Fprintf(&b, "\n-- \n%s\n", org)
	return subject, b.String()
}
