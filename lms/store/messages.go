package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Message kinds: the reminders Lectern sends about an enrolment.
const (
	MessageEnrolment = "enrolment" // a course was assigned (again, for recertification)
	MessageDueSoon   = "due-soon"  // the due date is near and the course is not completed
	MessageOverdue   = "overdue"   // the due date has passed and the course is not completed
	MessageExpiring  = "expiring"  // a completion stops being valid soon
)

// Reminder is an enrolment that a message of Kind is due for, with what the
// message says.
type Reminder struct {
	Kind        string
	EnrolmentID uint
	Cycle       int
	UserID      uint
	UserEmail   string
	UserName    string
	CourseID    uint
	CourseTitle string
	EnrolledAt  time.Time
	DueAt       *time.Time
	ExpiresAt   *time.Time
	UserAdmin   bool
	// Link is a personal sign-in link that opens the course, when the
	// notifier gives one (LinkMarker stands for it in the body).
	Link        string    `gorm:"-"`
	LinkExpires time.Time `gorm:"-"`
}

// DueReminders lists the reminders that are due now and not queued yet, for
// active learners only. The rules, per kind and enrolment cycle:
//
//   - enrolment: the current cycle is not completed.
//   - due-soon: not completed, and the due date is between now and
//     dueSoonDays from now; skipped when the cycle began inside that window,
//     since the enrolment message already gives the date.
//   - overdue: not completed and the due date has passed.
//   - expiring: completed, and the completion expires between now and
//     expiryNoticeDays from now.
//
// A window of 0 days turns its kind off.
func (s *Store) DueReminders(ctx context.Context, dueSoonDays, expiryNoticeDays int) ([]Reminder, error) {
	now := s.now().UTC()
	base := func(kind string) *gorm.DB {
		return s.read(ctx).Table("enrolments e").
			Select(`e.id AS enrolment_id, e.cycle, e.user_id, u.email AS user_email, u.name AS user_name, u.admin AS user_admin,
				e.course_id, c.title AS course_title, e.enrolled_at, e.due_at, e.expires_at`).
			Joins("JOIN users u ON u.id = e.user_id").
			Joins("JOIN courses c ON c.id = e.course_id").
			Where("u.active = ?", true).
			// Learners who come from an LTI platform hear from it, not from Lectern.
			Where("NOT EXISTS (SELECT 1 FROM lti_identities li WHERE li.user_id = u.id)").
			// Archived courses are out of use: nobody is reminded of them.
			Where("c.status IN ?", []string{CoursePublished, CourseRetired}).
			Where(`NOT EXISTS (SELECT 1 FROM messages m
				WHERE m.enrolment_id = e.id AND m.kind = ? AND m.cycle = e.cycle)`, kind).
			Order("e.id")
	}
	kinds := []struct {
		kind string
		q    func(*gorm.DB) *gorm.DB
	}{
		{MessageEnrolment, func(q *gorm.DB) *gorm.DB { return q.Where("e.completed_at IS NULL") }},
		{MessageDueSoon, func(q *gorm.DB) *gorm.DB {
			if dueSoonDays <= 0 {
				return nil
			}
			return q.Where("e.completed_at IS NULL AND e.due_at IS NOT NULL AND e.due_at >= ? AND e.due_at <= ?",
				now, now.AddDate(0, 0, dueSoonDays))
		}},
		{MessageOverdue, func(q *gorm.DB) *gorm.DB {
			return q.Where("e.completed_at IS NULL AND e.due_at IS NOT NULL AND e.due_at < ?", now)
		}},
		{MessageExpiring, func(q *gorm.DB) *gorm.DB {
			if expiryNoticeDays <= 0 {
				return nil
			}
			return q.Where("e.completed_at IS NOT NULL AND e.expires_at IS NOT NULL AND e.expires_at > ? AND e.expires_at <= ?",
				now, now.AddDate(0, 0, expiryNoticeDays))
		}},
	}
	var out []Reminder
	for _, k := range kinds {
		q := k.q(base(k.kind))
		if q == nil {
			continue
		}
		var rs []Reminder
		if err := q.Scan(&rs).Error; err != nil {
			return nil, fmt.Errorf("store: due reminders (%s): %w", k.kind, err)
		}
		for _, r := range rs {
			if k.kind == MessageDueSoon && r.EnrolledAt.AddDate(0, 0, dueSoonDays).After(*r.DueAt) {
				continue
			}
			r.Kind = k.kind
			out = append(out, r)
		}
	}
	return out, nil
}

// QueueMessage stores a message for sending unless one of its kind was
// already queued for the enrolment's cycle; queued tells which.
func (s *Store) QueueMessage(ctx context.Context, m *Message) (queued bool, err error) {
	n, err := s.QueueMessages(ctx, []*Message{m})
	return n == 1, err
}

// QueueMessages stores messages in one transaction, skipping each that was
// already queued for its enrolment, kind and cycle, and returns how many were
// stored. The unique key, not a prior read, decides, so a reminder is queued
// once whatever runs at the same time.
func (s *Store) QueueMessages(ctx context.Context, ms []*Message) (int, error) {
	if len(ms) == 0 {
		return 0, nil
	}
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		for _, m := range ms {
			m.ID, m.CreatedAt, m.SentAt, m.Attempts, m.LastError = 0, now, nil, 0, ""
			if m.NewLink != nil {
				m.LinkID = &m.NewLink.ID
			}
			res := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "enrolment_id"}, {Name: "kind"}, {Name: "cycle"}},
				DoNothing: true,
			}).Create(m)
			if res.Error != nil {
				return fmt.Errorf("message %s to user %d, cycle %d: %w", m.Kind, m.UserID, m.Cycle, res.Error)
			}
			if res.RowsAffected == 0 {
				m.ID = 0
				continue
			}
			if m.NewLink != nil {
				m.NewLink.CreatedAt = now
				if err := tx.Create(m.NewLink).Error; err != nil {
					return fmt.Errorf("link of message %d: %w", m.ID, err)
				}
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: queue messages: %w", err)
	}
	return n, nil
}

// deliverable is the condition under which a message may go out now: its
// learner is active and the reminder still applies to the enrolment's
// current cycle. A message that fails it stays unsent: held while its learner
// is deactivated, and sent after all if they are reactivated while it still
// applies. Arguments: active, now (due-soon), now (overdue), now (expiring).
//
// An account email (no enrolment) may go out while its link is unused and
// unexpired: a newer invitation voids the older one's, and a link that can
// no longer work is not worth sending. Argument: now (links).
const deliverable = `u.active = ? AND ((e.cycle = m.cycle AND (
	(m.kind = 'enrolment' AND e.completed_at IS NULL) OR
	(m.kind = 'due-soon' AND e.completed_at IS NULL AND e.due_at >= ?) OR
	(m.kind = 'overdue' AND e.completed_at IS NULL AND e.due_at < ?) OR
	(m.kind = 'manager' AND e.completed_at IS NULL) OR
	(m.kind = 'expiring' AND e.completed_at IS NOT NULL AND e.expires_at > ?))) OR
	(m.enrolment_id IS NULL AND l.used_at IS NULL AND l.expires_at > ?))`

func (s *Store) deliverableArgs() []any {
	now := s.now().UTC()
	return []any{true, now, now, now, now}
}

// joinMessage adds what deliverable reads beside the message.
func joinMessage(q *gorm.DB) *gorm.DB {
	return q.Joins("LEFT JOIN users u ON u.id = m.user_id").
		Joins("LEFT JOIN enrolments e ON e.id = m.enrolment_id").
		Joins("LEFT JOIN login_links l ON l.id = m.link_id")
}

// UnsentFilter selects messages to deliver.
type UnsentFilter struct {
	AfterID     uint // only messages with a larger ID: for paging through a round
	MaxAttempts int  // skip messages tried this many times (0: no limit)
	Limit       int  // 0: 100
}

// UnsentMessages lists messages waiting to be sent, oldest first. Messages to
// deactivated learners, and reminders that no longer apply (the course was
// completed, a new cycle began, the due date moved), are never listed.
func (s *Store) UnsentMessages(ctx context.Context, f UnsentFilter) ([]Message, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q := joinMessage(s.read(ctx).Table("messages m").Select("m.*")).
		Where("m.sent_at IS NULL AND m.id > ?", f.AfterID).
		Where(deliverable, s.deliverableArgs()...)
	if f.MaxAttempts > 0 {
		q = q.Where("m.attempts < ?", f.MaxAttempts)
	}
	var ms []Message
	if err := q.Order("m.id").Limit(f.Limit).Scan(&ms).Error; err != nil {
		return nil, fmt.Errorf("store: unsent messages: %w", err)
	}
	return ms, nil
}

// MessageDeliverable tells whether a message may be sent right now: not sent
// yet, its learner active, its reminder still applying. Senders ask it just
// before sending, since a learner may have been deactivated meanwhile.
func (s *Store) MessageDeliverable(ctx context.Context, id uint) (bool, error) {
	var n int64
	err := joinMessage(s.read(ctx).Table("messages m")).
		Where("m.id = ? AND m.sent_at IS NULL", id).
		Where(deliverable, s.deliverableArgs()...).
		Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("store: message %d deliverable: %w", id, err)
	}
	return n > 0, nil
}

// MarkSent records that a message went out at at, and forgets its link.
func (s *Store) MarkSent(ctx context.Context, id uint, at time.Time) error {
	res := s.db.WithContext(ctx).Model(&Message{}).Where("id = ? AND sent_at IS NULL", id).
		Updates(map[string]any{"sent_at": at.UTC(), "attempts": gorm.Expr("attempts + 1"), "last_error": "", "link": ""})
	if res.Error != nil {
		return fmt.Errorf("store: mark message %d sent: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: mark message %d sent: %w", id, ErrNotFound)
	}
	return nil
}

// MarkFailed records a failed attempt to send a message; it stays unsent.
func (s *Store) MarkFailed(ctx context.Context, id uint, reason string) error {
	res := s.db.WithContext(ctx).Model(&Message{}).Where("id = ? AND sent_at IS NULL", id).
		Updates(map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_error": truncate(reason, 1000)})
	if res.Error != nil {
		return fmt.Errorf("store: mark message %d failed: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("store: mark message %d failed: %w", id, ErrNotFound)
	}
	return nil
}

// MarkDeferred records why a message could not be tried (the mail server
// was unreachable, say) without counting an attempt against it: the failure
// is not the message's.
func (s *Store) MarkDeferred(ctx context.Context, id uint, reason string) error {
	res := s.db.WithContext(ctx).Model(&Message{}).Where("id = ? AND sent_at IS NULL", id).
		Update("last_error", truncate(reason, 1000))
	if res.Error != nil {
		return fmt.Errorf("store: mark message %d deferred: %w", id, res.Error)
	}
	return nil
}

// truncate cuts s to at most n characters, on a character boundary.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// MessageFilter narrows Messages.
type MessageFilter struct {
	UserID uint
	Unsent bool // only messages not sent yet
	Limit  int  // 0: 50
	Offset int
}

// MessageRow is a message as the outbox shows it.
type MessageRow struct {
	Message
	UserName    string
	UserActive  bool
	Deliverable bool // would be sent now: learner active and reminder still applying
}

// Shown is the body as the outbox shows it: a personal link stays the
// recipient's.
func (m MessageRow) Shown() string {
	return strings.ReplaceAll(m.Body, LinkMarker, "[personal link, sent to the recipient only]")
}

// Message states shown in the outbox.
const (
	MessageSent     = "sent"
	MessageWaiting  = "waiting"  // not tried yet, or the server was unreachable (see LastError)
	MessageFailed   = "failed"   // refused by the server; tried again later up to a limit
	MessageHeld     = "held"     // learner deactivated: not sent unless reactivated
	MessageObsolete = "obsolete" // no longer applies (completed, new cycle, due date moved)
)

// State is where the message stands, one of the Message* states.
func (m MessageRow) State() string {
	switch {
	case m.SentAt != nil:
		return MessageSent
	case !m.UserActive:
		return MessageHeld
	case !m.Deliverable:
		return MessageObsolete
	case m.Attempts > 0:
		return MessageFailed
	}
	return MessageWaiting
}

func (s *Store) messages(ctx context.Context, f MessageFilter) *gorm.DB {
	q := joinMessage(s.read(ctx).Table("messages m"))
	if f.UserID != 0 {
		q = q.Where("m.user_id = ?", f.UserID)
	}
	if f.Unsent {
		q = q.Where("m.sent_at IS NULL")
	}
	return q
}

// Messages lists messages for the outbox, newest first.
func (s *Store) Messages(ctx context.Context, f MessageFilter) ([]MessageRow, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	var rows []MessageRow
	err := s.messages(ctx, f).
		Select(`m.*, COALESCE(u.name, '') AS user_name, COALESCE(u.active, ?) AS user_active,
			CASE WHEN `+deliverable+` THEN 1 ELSE 0 END AS deliverable`,
			append([]any{false}, s.deliverableArgs()...)...).
		Order("m.created_at DESC, m.id DESC").Limit(f.Limit).Offset(f.Offset).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("store: messages: %w", err)
	}
	return rows, nil
}

// CountMessages counts the messages Messages would list without paging.
func (s *Store) CountMessages(ctx context.Context, f MessageFilter) (int64, error) {
	var n int64
	if err := s.messages(ctx, f).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count messages: %w", err)
	}
	return n, nil
}

// MessageByID finds a message.
func (s *Store) MessageByID(ctx context.Context, id uint) (*Message, error) {
	var m Message
	if err := s.read(ctx).First(&m, id).Error; err != nil {
		return nil, fmt.Errorf("store: message %d: %w", id, notFound(err))
	}
	return &m, nil
}
