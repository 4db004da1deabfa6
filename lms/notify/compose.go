package notify

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/lectern/lectern/lms/store"
)

// maxSubjectTitle bounds the course title in a subject line; the body has it
// whole.
const maxSubjectTitle = 150

// Compose writes the subject and plain-text body of a reminder. Names and
// titles come from learners and packages: they are reduced to one line of
// printable text, so they cannot add headers or fake lines, and they only
// ever go into plain text.
func (n *Notifier) Compose(r store.Reminder) (subject, body string) {
	name := Clean(r.UserName)
	title := Clean(r.CourseTitle)
	if title == "" {
		title = fmt.Sprintf("course %d", r.CourseID)
	}
	quoted := "“" + title + "”"
	var b strings.Builder
	if name != "" {
		fmt.Fprintf(&b, "Hello %s,\n\n", name)
	} else {
		b.WriteString("Hello,\n\n")
	}
	switch r.Kind {
	case store.MessageEnrolment:
		if r.Cycle > 1 {
			subject = "Time to renew: " + short(title)
			if r.ExpiresAt != nil {
				fmt.Fprintf(&b, "Your completion of the course %s expires %s.\n", quoted, n.at(*r.ExpiresAt))
			}
			fmt.Fprintf(&b, "To renew it, please complete the course again")
		} else {
			subject = "New course: " + short(title)
			fmt.Fprintf(&b, "You have been enrolled in the course %s.\n", quoted)
			fmt.Fprintf(&b, "Please complete it")
		}
		if r.DueAt != nil {
			fmt.Fprintf(&b, " %s", n.by(*r.DueAt))
		}
		b.WriteString(".\n")
	case store.MessageDueSoon:
		subject = "Due soon: " + short(title)
		fmt.Fprintf(&b, "The course %s is due %s, and you have not completed it yet.\n", quoted, n.by(deref(r.DueAt)))
	case store.MessageOverdue:
		subject = "Overdue: " + short(title)
		fmt.Fprintf(&b, "The course %s was due %s, and you have not completed it yet.\n", quoted, n.by(deref(r.DueAt)))
		b.WriteString("Please complete it as soon as you can.\n")
	case store.MessageExpiring:
		subject = "Expiring soon: " + short(title)
		fmt.Fprintf(&b, "Your completion of the course %s expires %s.\n", quoted, n.at(deref(r.ExpiresAt)))
		b.WriteString("You will be asked to complete the course again to renew it.\n")
	default:
		subject = "About " + short(title)
	}
	courseURL := fmt.Sprintf("%s/courses/%d", strings.TrimRight(n.BaseURL, "/"), r.CourseID)
	if r.Link != "" {
		fmt.Fprintf(&b, "\nOpen the course (this link signs you in once, until %s):\n%s\n", n.when(r.LinkExpires), store.LinkMarker)
		fmt.Fprintf(&b, "\nAfterwards, or if the link has expired, sign in at %s\n", courseURL)
	} else {
		fmt.Fprintf(&b, "\nOpen the course: %s\n", courseURL)
	}
	fmt.Fprintf(&b, "\n-- \n%s\nYou receive this message because the course was assigned to you.\n", n.signature())
	return subject, b.String()
}

// signature is the organisation's name as messages are signed.
func (n *Notifier) signature() string {
	if org := Clean(n.organisation()); org != "" {
		return org
	}
	return "Lectern"
}

// when shows an instant with its day, time and zone.
func (n *Notifier) when(t time.Time) string {
	t = t.In(n.location())
	return t.Format("Monday 2 January 2006") + " at " + t.Format("15:04 MST")
}

// by and at show a time in the organisation's time zone, after "due" or
// "expires": a time at the end of a day (as due dates are) as that day,
// anything else with the time of day and the zone.
func (n *Notifier) by(t time.Time) string {
	day, clock := n.local(t)
	if clock == "" {
		return "by the end of " + day
	}
	return "by " + day + " at " + clock
}

func (n *Notifier) at(t time.Time) string {
	day, clock := n.local(t)
	if clock == "" {
		return "at the end of " + day
	}
	return "on " + day + " at " + clock
}

func (n *Notifier) local(t time.Time) (day, clock string) {
	t = t.In(n.location())
	day = t.Format("Monday 2 January 2006")
	if t.Hour() == 23 && t.Minute() == 59 {
		return day, ""
	}
	return day, t.Format("15:04 MST")
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// Clean reduces s to one line of printable text: control characters
// (CR and LF among them) and line or paragraph separators become spaces, and
// runs of spaces one.
func Clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

func short(s string) string {
	r := []rune(s)
	if len(r) <= maxSubjectTitle {
		return s
	}
	return strings.TrimSpace(string(r[:maxSubjectTitle-1])) + "…"
}
