package store

// The audit trail: one row per admin action and per change to a compliance
// record, written in the same transaction as the change, so that the trail
// and the records can never disagree. Rows are never changed or deleted.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Ways an action reaches Lectern (AuditEntry.Via).
const (
	ViaWeb    = "web"
	ViaCLI    = "cli"
	ViaAPI    = "api"
	ViaSystem = "system" // Lectern itself: completions recorded, recertification
	ViaLTI    = "lti"
)

// Actor is who acts: a user (UserID set) through the web, the API or LTI, an
// operator on the command line, or Lectern itself.
type Actor struct {
	UserID *uint
	Name   string // as shown in the trail, kept as it was at the time
	Via    string
}

// SystemActor is Lectern acting on its own (no user).
var SystemActor = Actor{Name: "Lectern", Via: ViaSystem}

// UserActor is a signed-in user acting through via.
func UserActor(u *User, via string) Actor {
	id := u.ID
	return Actor{UserID: &id, Name: u.Name + " <" + u.Email + ">", Via: via}
}

type actorKey struct{}

// WithActor returns a context that says who acts. The web layer sets it for
// every signed-in request, the API for every token, the CLI for its commands;
// store methods that change records read it when they write the audit entry.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom is the actor of ctx; Lectern itself when none was set.
func ActorFrom(ctx context.Context) Actor {
	if ctx != nil {
		if a, ok := ctx.Value(actorKey{}).(Actor); ok {
			return a
		}
	}
	return SystemActor
}

// AuditEntry is one line of the audit trail: who did what to whom, when,
// through which way in, and why.
type AuditEntry struct {
	ID            uint      `gorm:"primaryKey"`
	At            time.Time `gorm:"not null;index"`
	ActorID       *uint     `gorm:"index"` // nil: the command line or Lectern itself
	ActorName     string    `gorm:"size:500;not null"`
	Via           string    `gorm:"size:10;not null"`
	Action        string    `gorm:"size:60;not null;index"` // "enrolment.unenrol", "course.rules", "user.create", ...
	SubjectUserID *uint     `gorm:"index"`                  // the learner the action is about
	CourseID      *uint     `gorm:"index"`
	GroupID       *uint
	Target        string         `gorm:"size:500"`  // what was acted on, in words ("lee@example.org", "Fire safety")
	Reason        string         `gorm:"size:2000"` // why, as the person said it; required for corrections
	Detail        map[string]any `gorm:"serializer:json"`
}

// Audit starts an entry for action by this actor.
func (a Actor) Audit(action string) *AuditEntry {
	return &AuditEntry{ActorID: a.UserID, ActorName: a.Name, Via: a.Via, Action: action}
}

// Ref returns a pointer to id, or nil for 0, for the entry's optional ids.
func Ref(id uint) *uint {
	if id == 0 {
		return nil
	}
	return &id
}

// MaxReasonLength bounds the reason of a correction.
const MaxReasonLength = 2000

// RecordAudit writes one entry in its own transaction, for actions that
// change nothing else in the database (a sign-in link given out, a report
// downloaded) or whose change the caller made elsewhere.
func (s *Store) RecordAudit(ctx context.Context, e *AuditEntry) error {
	if err := s.audit(s.db.WithContext(ctx), e); err != nil {
		return fmt.Errorf("store: audit %s: %w", e.Action, err)
	}
	return nil
}

// audit writes e inside a store transaction. An entry without an actor gets
// the context's.
func (s *Store) audit(tx *gorm.DB, e *AuditEntry) error {
	if e.Action == "" {
		return fmt.Errorf("audit entry without an action")
	}
	if e.ActorName == "" && e.ActorID == nil && e.Via == "" {
		a := ActorFrom(tx.Statement.Context)
		e.ActorID, e.ActorName, e.Via = a.UserID, a.Name, a.Via
	}
	if e.Via == "" {
		e.Via = ViaSystem
	}
	if e.ActorName == "" {
		e.ActorName = SystemActor.Name
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	e.ID = 0
	if len(e.Reason) > MaxReasonLength {
		e.Reason = e.Reason[:MaxReasonLength]
	}
	return tx.Create(e).Error
}

// auditFor writes an entry for action by the context's actor.
func (s *Store) auditFor(tx *gorm.DB, action string, fill func(e *AuditEntry)) error {
	e := ActorFrom(tx.Statement.Context).Audit(action)
	if fill != nil {
		fill(e)
	}
	return s.audit(tx, e)
}

// AuditFilter narrows the audit trail. Zero fields do not filter.
type AuditFilter struct {
	Actor    string // text in the actor's name or email
	ActorID  uint
	Learner  uint // SubjectUserID
	CourseID uint
	Action   string // exact, or a prefix ending in "." ("enrolment.")
	From, To time.Time
	Before   uint // keyset: entries with a smaller id (newest first)
}

// AuditEntryRow is an entry with the names the trail shows beside it.
type AuditEntryRow struct {
	AuditEntry
	SubjectName  string
	SubjectEmail string
	CourseTitle  string
	GroupName    string
}

// AuditEntries lists entries newest first, at most limit (limit <= 0: all,
// for downloads; call AuditEach for those instead).
func (s *Store) AuditEntries(ctx context.Context, f AuditFilter, limit int) ([]AuditEntryRow, error) {
	q := s.auditQuery(ctx, f).Order("e.id DESC")
	if limit > 0 {
		q = q.Limit(limit)
	}
	var rows []AuditEntryRow
	if err := q.Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: audit trail: %w", err)
	}
	return rows, nil
}

// AuditEach calls fn for every entry f selects, newest first, reading in
// pages so a long trail is never held in memory.
func (s *Store) AuditEach(ctx context.Context, f AuditFilter, fn func(AuditEntryRow) error) error {
	const pageSize = 500
	for {
		rows, err := s.AuditEntries(ctx, f, pageSize)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := fn(r); err != nil {
				return err
			}
		}
		if len(rows) < pageSize {
			return nil
		}
		f.Before = rows[len(rows)-1].ID
	}
}

func (s *Store) auditQuery(ctx context.Context, f AuditFilter) *gorm.DB {
	q := s.read(ctx).Table("audit_entries e").
		Select("e.*, u.name AS subject_name, u.email AS subject_email, c.title AS course_title, g.name AS group_name").
		Joins("LEFT JOIN users u ON u.id = e.subject_user_id").
		Joins("LEFT JOIN courses c ON c.id = e.course_id").
		Joins("LEFT JOIN groups g ON g.id = e.group_id")
	return auditWhere(q, f)
}

func auditWhere(q *gorm.DB, f AuditFilter) *gorm.DB {
	if a := strings.TrimSpace(f.Actor); a != "" {
		q = q.Where(`e.actor_name `+likeOp(q)+` ? ESCAPE '\'`, "%"+likeEscaper.Replace(a)+"%")
	}
	if f.ActorID != 0 {
		q = q.Where("e.actor_id = ?", f.ActorID)
	}
	if f.Learner != 0 {
		q = q.Where("e.subject_user_id = ?", f.Learner)
	}
	if f.CourseID != 0 {
		q = q.Where("e.course_id = ?", f.CourseID)
	}
	if f.Action != "" {
		if strings.HasSuffix(f.Action, ".") {
			q = q.Where(`e.action LIKE ? ESCAPE '\'`, likeEscaper.Replace(f.Action)+"%")
		} else {
			q = q.Where("e.action = ?", f.Action)
		}
	}
	if !f.From.IsZero() {
		q = q.Where("e.at >= ?", f.From)
	}
	if !f.To.IsZero() {
		q = q.Where("e.at < ?", f.To)
	}
	if f.Before != 0 {
		q = q.Where("e.id < ?", f.Before)
	}
	return q
}

// CountAudit counts the entries f selects (without Before).
func (s *Store) CountAudit(ctx context.Context, f AuditFilter) (int64, error) {
	f.Before = 0
	var n int64
	if err := auditWhere(s.read(ctx).Table("audit_entries e"), f).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("store: count audit trail: %w", err)
	}
	return n, nil
}
