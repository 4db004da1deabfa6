package notify

// Scheduled report emails. Each round, a schedule whose stored last period
// is not the current one gets a delivery per recipient for the current
// period, in one transaction that also moves its last period on: a restart,
// or a second process, queues no period twice. Deliveries are then sent with
// the report attached, made at sending time, and marked sent; like the
// reminders, delivery is at least once.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lectern/lectern/lms/report"
	"github.com/lectern/lectern/lms/store"
)

// Attachment is a file sent with an email.
type Attachment struct {
	Name, ContentType string
	Data              []byte
}

// AttachmentSender is a Sender that can attach a file.
type AttachmentSender interface {
	SendAttachment(ctx context.Context, to, subject, body string, a Attachment) error
}

// Period names the week ("2026-W10", ISO 8601) or the month ("2026-03") of
// t in loc.
func Period(period string, t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if period == store.PeriodMonthly {
		return t.Format("2006-01")
	}
	y, w := t.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// QueueReports queues the scheduled reports that are due and returns how
// many deliveries it stored. A schedule whose owner may no longer see its
// report (deactivated, or a manager who no longer manages the group) is
// skipped.
func (n *Notifier) QueueReports(ctx context.Context) (int, error) {
	n.queueMu.Lock()
	defer n.queueMu.Unlock()
	rows, err := n.Store.Schedules(ctx, 0)
	if err != nil {
		return 0, fmt.Errorf("notify: queue reports: %w", err)
	}
	now := n.Store.Now()
	total := 0
	for i := range rows {
		r := &rows[i]
		period := Period(r.Period, now, n.location())
		if r.LastPeriod == period {
			continue
		}
		if ok, err := n.mayReport(ctx, r); err != nil {
			return total, err
		} else if !ok {
			continue
		}
		k, err := n.Store.QueueScheduledReport(store.WithActor(ctx, store.SystemActor), r, r.LastPeriod, period)
		total += k
		if err != nil {
			return total, fmt.Errorf("notify: queue reports: %w", err)
		}
	}
	return total, nil
}

// mayReport tells whether the schedule's owner may still see its report.
func (n *Notifier) mayReport(ctx context.Context, r *store.ScheduleRow) (bool, error) {
	if !r.OwnerActive {
		return false, nil
	}
	if r.OwnerAdmin {
		return true, nil
	}
	if r.GroupID != nil {
		return n.Store.Manages(ctx, r.OwnerID, *r.GroupID)
	}
	return n.Store.IsManager(ctx, r.OwnerID)
}

// DeliverReports sends the scheduled reports waiting and returns how many
// went out. Without a Sender that can attach files it sends nothing.
func (n *Notifier) DeliverReports(ctx context.Context) (sent int, err error) {
	as, ok := n.Sender.(AttachmentSender)
	if !ok {
		return 0, nil
	}
	if c, ok := n.Sender.(interface{ Check() error }); ok {
		if err := c.Check(); err != nil {
			return 0, err
		}
	}
	n.deliverMu.Lock()
	defer n.deliverMu.Unlock()
	maxAttempts := n.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	book := context.WithoutCancel(ctx)
	ds, err := n.Store.UnsentDeliveries(ctx, maxAttempts, 100)
	if err != nil {
		return 0, fmt.Errorf("notify: deliver reports: %w", err)
	}
	// One file per schedule and round, whatever the number of recipients.
	files := map[uint]*Attachment{}
	schedules := map[uint]*store.ScheduleRow{}
	for i := range ds {
		d := &ds[i]
		r, ok := schedules[d.ScheduleID]
		if !ok {
			if r, err = n.Store.ScheduleByID(ctx, d.ScheduleID); err != nil {
				return sent, fmt.Errorf("notify: deliver reports: %w", err)
			}
			schedules[d.ScheduleID] = r
		}
		if ok, err := n.mayReport(ctx, r); err != nil {
			return sent, err
		} else if !ok {
			continue
		}
		a, ok := files[r.ID]
		if !ok {
			if a, err = n.reportFile(ctx, r); err != nil {
				return sent, fmt.Errorf("notify: report of schedule %d: %w", r.ID, err)
			}
			files[r.ID] = a
		}
		subject, body := n.composeReport(r, d.Period)
		if err := as.SendAttachment(ctx, d.To, subject, body, *a); err != nil {
			if ctx.Err() != nil {
				return sent, ctx.Err()
			}
			refused := errors.As(err, new(*RejectedError))
			if merr := n.Store.MarkDeliveryFailed(book, d.ID, err.Error(), refused); merr != nil {
				return sent, fmt.Errorf("notify: deliver reports: %w", merr)
			}
			if refused {
				n.log().Warn("report email refused", "schedule", r.ID, "attempt", d.Attempts+1, "err", err)
				continue
			}
			return sent, fmt.Errorf("notify: deliver report %d: %w", d.ID, err)
		}
		if err := n.Store.MarkDeliverySent(book, d, r); err != nil {
			return sent, fmt.Errorf("notify: deliver reports: %w", err)
		}
		sent++
	}
	return sent, nil
}

// reportFile makes the schedule's report as it stands now. A manager's
// course report holds the members of their groups only.
func (n *Notifier) reportFile(ctx context.Context, r *store.ScheduleRow) (*Attachment, error) {
	svc := &report.Service{Store: n.Store, Location: n.location()}
	var b bytes.Buffer
	var subject string
	var err error
	switch {
	case r.CourseID != nil:
		q := report.Query{}
		if !r.OwnerAdmin {
			q.Manager = r.OwnerID
		}
		subject = deref2(r.CourseTitle)
		err = svc.Export(ctx, &b, r.Format, *r.CourseID, q)
	case r.GroupID != nil:
		subject = deref2(r.GroupName)
		err = svc.ExportGroup(ctx, &b, r.Format, *r.GroupID)
	default:
		return nil, fmt.Errorf("schedule of nothing")
	}
	if err != nil {
		return nil, err
	}
	name := report.FileName(subject, "report", n.Store.Now().In(n.location()), r.Format)
	return &Attachment{Name: name, ContentType: report.ContentType(r.Format), Data: b.Bytes()}, nil
}

func deref2(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// composeReport writes the subject and body of a scheduled report email.
func (n *Notifier) composeReport(r *store.ScheduleRow, period string) (subject, body string) {
	what := Clean(r.Subject())
	subject = fmt.Sprintf("%s report, %s: %s", strings.ToUpper(r.Period[:1])+r.Period[1:], period, short(what))
	var b strings.Builder
	b.WriteString("Hello,\n\n")
	fmt.Fprintf(&b, "Attached is the %s report of the %s (%s), as it stood on %s.\n", r.Period, what, strings.ToUpper(r.Format), n.when(n.Store.Now()))
	if r.CourseID != nil && !r.OwnerAdmin {
		b.WriteString("It lists the members of the groups its manager manages.\n")
	}
	fmt.Fprintf(&b, "\n-- \n%s\nYou receive this message because %s scheduled this report for you.\n", n.signature(), Clean(r.OwnerName))
	return subject, b.String()
}

// ComposeManagerReminder writes a manager's reminder to an overdue learner.
func (n *Notifier) ComposeManagerReminder(r store.Reminder, manager string) (subject, body string) {
	title := Clean(r.CourseTitle)
	var b strings.Builder
	if name := Clean(r.UserName); name != "" {
		fmt.Fprintf(&b, "Hello %s,\n\n", name)
	} else {
		b.WriteString("Hello,\n\n")
	}
	fmt.Fprintf(&b, "%s, your manager, reminds you that the course “%s” was due %s and is not completed yet.\n", Clean(manager), title, n.by(deref(r.DueAt)))
	b.WriteString("Please complete it as soon as you can.\n")
	fmt.Fprintf(&b, "\nOpen the course: %s/courses/%d\n", strings.TrimRight(n.BaseURL, "/"), r.CourseID)
	fmt.Fprintf(&b, "\n-- \n%s\nYou receive this message because the course was assigned to you.\n", n.signature())
	return "Reminder: " + short(title), b.String()
}
