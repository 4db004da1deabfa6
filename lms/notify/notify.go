// Package notify sends Lectern's compliance reminders by email: it finds the
// reminders that are due, queues each once per enrolment cycle in the store
// (the outbox), and delivers the queue through a Sender, retrying failures.
// Without a Sender messages wait in the outbox for the admin to see.
//
// Delivery is at least once: a message is marked sent after the server
// accepted it, so a crash between the two sends it again after a restart.
// One process should run the Notifier; its Queue and Deliver each run one at
// a time within the process.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/org"
	"github.com/lectern/lectern/lms/store"
)

// Sender delivers one plain-text email.
type Sender interface {
	Send(ctx context.Context, to, subject, body string) error
}

// RejectedError means the server refused this one message (for example an
// unknown recipient); other messages may still go, and the refusal counts as
// an attempt. Any other Send error ends a delivery round without counting an
// attempt, since the next message would fail the same way.
type RejectedError struct{ Err error }

func (e *RejectedError) Error() string { return "message rejected: " + e.Err.Error() }
func (e *RejectedError) Unwrap() error { return e.Err }

// DefaultMaxAttempts is how often a message is tried before it is left in
// the outbox as failed.
const DefaultMaxAttempts = 10

// queueChunk bounds the messages queued per transaction: the store has one
// writer, and learners' commits should not wait behind a long one.
const queueChunk = 200

// Notifier queues and delivers the reminders.
type Notifier struct {
	Store            *store.Store
	Sender           Sender         // nil: messages wait in the outbox
	Location         *time.Location // dates in messages are shown here; nil: UTC
	BaseURL          string         // public URL of the LMS, for links to courses
	Organisation     string         // signs the messages
	DueSoonDays      int            // "due soon" goes this many days before the due date (0: never)
	ExpiryNoticeDays int            // "expiring" goes this many days before a completion expires (0: never)
	MaxAttempts      int            // tries per message; 0: DefaultMaxAttempts
	Log              *slog.Logger   // nil: no logging
	// Org, when set, gives the organisation's name and time zone as they are
	// now, instead of Organisation and Location.
	Org *org.Profile
	// LinkTTL, when positive, puts a personal sign-in link that opens the
	// course into each learner's reminder, valid this long; administrators
	// get the course's address, behind the sign-in page.
	LinkTTL time.Duration

	queueMu, deliverMu sync.Mutex
	wakeOnce           sync.Once
	wake               chan struct{}
}

// Wake asks a running Notifier to deliver now rather than at its next
// round: an invitation or a reset link should not wait a minute. It never
// blocks.
func (n *Notifier) Wake() {
	select {
	case n.wakeCh() <- struct{}{}:
	default:
	}
}

func (n *Notifier) wakeCh() chan struct{} {
	n.wakeOnce.Do(func() { n.wake = make(chan struct{}, 1) })
	return n.wake
}

func (n *Notifier) organisation() string {
	if n.Org != nil {
		return n.Org.Name()
	}
	return n.Organisation
}

func (n *Notifier) location() *time.Location {
	switch {
	case n.Org != nil:
		return n.Org.Location()
	case n.Location != nil:
		return n.Location
	}
	return time.UTC
}

// Queue stores the messages for the reminders that are due and not queued
// yet, and returns how many it stored. Running it again, or in another
// process, queues nothing twice.
func (n *Notifier) Queue(ctx context.Context) (int, error) {
	n.queueMu.Lock()
	defer n.queueMu.Unlock()
	rs, err := n.Store.DueReminders(ctx, n.DueSoonDays, n.ExpiryNoticeDays)
	if err != nil {
		return 0, fmt.Errorf("notify: queue: %w", err)
	}
	total := 0
	for len(rs) > 0 {
		chunk := rs[:min(len(rs), queueChunk)]
		rs = rs[len(chunk):]
		ms := make([]*store.Message, len(chunk))
		now := n.Store.Now()
		for i, r := range chunk {
			var link *store.LoginLink
			if n.LinkTTL > 0 && !r.UserAdmin {
				token, course := account.NewToken(), r.CourseID
				link = &store.LoginLink{ID: account.HashToken(token), UserID: r.UserID, Purpose: store.LinkSignIn,
					CourseID: &course, ExpiresAt: now.Add(n.LinkTTL)}
				r.Link, r.LinkExpires = SignInURL(n.BaseURL, token), link.ExpiresAt
			}
			subject, body := n.Compose(r)
			enrolment := r.EnrolmentID
			ms[i] = &store.Message{UserID: r.UserID, EnrolmentID: &enrolment, Kind: r.Kind, Cycle: r.Cycle,
				To: r.UserEmail, Subject: subject, Body: body, Link: r.Link, NewLink: link}
		}
		k, err := n.Store.QueueMessages(ctx, ms)
		total += k
		if err != nil {
			return total, fmt.Errorf("notify: queue: %w", err)
		}
	}
	return total, nil
}

// Deliver sends the messages waiting in the outbox and returns how many went
// out. Without a Sender it sends nothing. A message the server refuses stays
// unsent with the attempt counted and the error recorded, and is tried again
// by a later Deliver, up to MaxAttempts. When the server cannot be reached
// the round ends with an error, recorded on the message it was sending but
// not counted as its attempt. Messages to deactivated learners, and
// reminders that no longer apply, are never sent.
func (n *Notifier) Deliver(ctx context.Context) (sent int, err error) {
	if n.Sender == nil {
		return 0, nil
	}
	if c, ok := n.Sender.(interface{ Check() error }); ok {
		if err := c.Check(); err != nil {
			return 0, err // misconfigured: no message is to blame
		}
	}
	n.deliverMu.Lock()
	defer n.deliverMu.Unlock()
	maxAttempts := n.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = DefaultMaxAttempts
	}
	// Bookkeeping after a send must happen even when ctx ends meanwhile:
	// a message sent but not marked would go out again.
	book := context.WithoutCancel(ctx)
	var after uint
	for {
		batch, err := n.Store.UnsentMessages(ctx, store.UnsentFilter{AfterID: after, MaxAttempts: maxAttempts, Limit: 100})
		if err != nil {
			return sent, fmt.Errorf("notify: deliver: %w", err)
		}
		if len(batch) == 0 {
			return sent, nil
		}
		for _, m := range batch {
			after = m.ID
			if err := ctx.Err(); err != nil {
				return sent, err
			}
			// The learner may have been deactivated since the batch was read.
			ok, err := n.Store.MessageDeliverable(ctx, m.ID)
			if err != nil {
				return sent, fmt.Errorf("notify: deliver: %w", err)
			}
			if !ok {
				continue
			}
			if err := n.Sender.Send(ctx, m.To, m.Subject, strings.ReplaceAll(m.Body, store.LinkMarker, m.Link)); err != nil {
				if ctx.Err() != nil {
					return sent, ctx.Err() // shutting down: not the message's fault
				}
				if errors.As(err, new(*RejectedError)) {
					if merr := n.Store.MarkFailed(book, m.ID, err.Error()); merr != nil {
						return sent, fmt.Errorf("notify: deliver: %w", merr)
					}
					n.log().Warn("email refused", "message", m.ID, "kind", m.Kind, "attempt", m.Attempts+1, "err", err)
					continue
				}
				// The server could not be reached or would not talk: the
				// next message would fare no better, and this one is not
				// to blame, so no attempt is counted against it.
				if merr := n.Store.MarkDeferred(book, m.ID, err.Error()); merr != nil {
					return sent, fmt.Errorf("notify: deliver: %w", merr)
				}
				return sent, fmt.Errorf("notify: deliver message %d: %w", m.ID, err)
			}
			if err := n.Store.MarkSent(book, m.ID, n.Store.Now()); err != nil {
				return sent, fmt.Errorf("notify: deliver: %w", err)
			}
			sent++
		}
	}
}

// Run queues and delivers reminders now and then every interval until ctx
// ends. Errors are logged, and the next round tries again.
func (n *Notifier) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n.round(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.wakeCh():
		}
	}
}

func (n *Notifier) round(ctx context.Context) {
	queued, err := n.Queue(ctx)
	if err != nil && ctx.Err() == nil {
		n.log().Error("queueing reminders", "err", err)
	}
	sent, err := n.Deliver(ctx)
	if err != nil && ctx.Err() == nil {
		n.log().Error("delivering reminders", "err", err)
	}
	if queued > 0 || sent > 0 {
		n.log().Info("reminders", "queued", queued, "sent", sent)
	}
	queued, err = n.QueueReports(ctx)
	if err != nil && ctx.Err() == nil {
		n.log().Error("queueing scheduled reports", "err", err)
	}
	sent, err = n.DeliverReports(ctx)
	if err != nil && ctx.Err() == nil {
		n.log().Error("delivering scheduled reports", "err", err)
	}
	if queued > 0 || sent > 0 {
		n.log().Info("scheduled reports", "queued", queued, "sent", sent)
	}
}

func (n *Notifier) log() *slog.Logger {
	if n.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return n.Log
}
