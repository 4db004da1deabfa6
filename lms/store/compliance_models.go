package store

import "time"

// Group is a set of users: a department, a site.
type Group struct {
	ID        uint      `gorm:"primaryKey"`
	Name      string    `gorm:"size:200;not null;uniqueIndex"`
	CreatedAt time.Time `gorm:"not null"`
}

// Membership puts a user in a group.
type Membership struct {
	UserID    uint      `gorm:"primaryKey;autoIncrement:false"`
	User      User      `gorm:"constraint:OnDelete:CASCADE"`
	GroupID   uint      `gorm:"primaryKey;autoIncrement:false;index"`
	Group     Group     `gorm:"constraint:OnDelete:CASCADE"`
	CreatedAt time.Time `gorm:"not null"`
}

// GroupEnrolment enrols a whole group in a course: current members now, and
// users who join the group later when they join.
type GroupEnrolment struct {
	ID        uint       `gorm:"primaryKey"`
	GroupID   uint       `gorm:"not null;uniqueIndex:idx_group_course"`
	Group     Group      `gorm:"constraint:OnDelete:CASCADE"`
	CourseID  uint       `gorm:"not null;uniqueIndex:idx_group_course"`
	Course    Course     `gorm:"constraint:OnDelete:CASCADE"`
	DueAt     *time.Time // an absolute due date, or
	DueDays   *int       // N days after each member's enrolment
	CreatedAt time.Time  `gorm:"not null"`
}

// Enrolment assigns a course to a learner with a due date. There is one per
// learner and course; recertification starts a new cycle on the same row and
// the completions of earlier cycles stay in Completion.
type Enrolment struct {
	ID          uint       `gorm:"primaryKey"`
	UserID      uint       `gorm:"not null;uniqueIndex:idx_enrolment"`
	User        User       `gorm:"constraint:OnDelete:CASCADE"`
	CourseID    uint       `gorm:"not null;uniqueIndex:idx_enrolment;index"`
	Course      Course     `gorm:"constraint:OnDelete:CASCADE"`
	GroupID     *uint      // set when the enrolment came from a group
	Cycle       int        `gorm:"not null"` // 1, then +1 at each recertification
	EnrolledAt  time.Time  `gorm:"not null"` // start of the current cycle
	DueAt       *time.Time `gorm:"index"`    // end of the due day in the organisation's time zone, UTC
	CompletedAt *time.Time // completion of the current cycle
	ExpiresAt   *time.Time `gorm:"index"` // when the current completion stops being valid
	CreatedAt   time.Time  `gorm:"not null"`
	// Source of the current cycle: SourceDirect, SourceGroup or
	// SourceRecertification.
	Source string `gorm:"size:20;not null;default:direct"`
	// ExemptAt: the learner is exempt (counts as compliant) since then.
	ExemptAt     *time.Time
	ExemptReason string `gorm:"size:2000;not null;default:''"`
	// CountingAttemptID is the attempt that counts in the current cycle once
	// one is finished, and Outcome whether the cycle counts (OutcomeCounts)
	// or its finished attempt does not (OutcomeFailed); both are kept by
	// compliance.Reconcile.
	CountingAttemptID *uint
	Outcome           string     `gorm:"size:10;not null;default:''"`
	EvaluatedAt       *time.Time // last evaluation of the attempts; nil: never
}

// Enrolment sources.
const (
	SourceDirect          = "direct"
	SourceGroup           = "group"
	SourceRecertification = "recertification"
)

// Enrolment outcomes.
const (
	OutcomeCounts = "counts"
	OutcomeFailed = "failed"
)

// Completion is one completed cycle of an enrolment: the evidence, kept for
// ever, with the certificate's verification code.
//
// A completion is an attempt that counts, or an offline completion an admin
// recorded. It is never deleted: revoking marks it, and a reissued
// certificate is a new completion that replaces the old one.
type Completion struct {
	ID          uint      `gorm:"primaryKey"`
	EnrolmentID uint      `gorm:"not null;index"`
	UserID      uint      `gorm:"not null;index"`
	CourseID    uint      `gorm:"not null;index"`
	AttemptID   *uint     `gorm:"index"` // nil for an offline completion
	Cycle       int       `gorm:"not null"`
	CompletedAt time.Time `gorm:"not null"`
	Passed      bool      `gorm:"not null"`
	ScoreScaled *float64
	ExpiresAt   *time.Time
	Code        string    `gorm:"size:32;not null;uniqueIndex"` // certificate verification code
	CourseTitle string    `gorm:"size:500;not null"`            // as it was when completed
	UserName    string    `gorm:"size:200;not null"`
	CreatedAt   time.Time `gorm:"not null"`
	Source      string    `gorm:"size:10;not null;default:attempt"` // CompletionAttempt or CompletionOffline
	Note        string    `gorm:"size:2000;not null;default:''"`    // offline: what the session was
	RevokedAt   *time.Time
	// RevokedKind: RevokedByAdmin, RevokedByRule (a course rule changed) or
	// RevokedByAttempt (a later attempt counts and did not pass).
	RevokedKind   string `gorm:"size:10;not null;default:''"`
	RevokedReason string `gorm:"size:2000;not null;default:''"`
	ReplacedByID  *uint  // the completion whose certificate replaced this one
}

// Completion sources and revocation kinds.
const (
	CompletionAttempt = "attempt"
	CompletionOffline = "offline"
	RevokedByAdmin    = "admin"
	RevokedByRule     = "rule"
	RevokedByAttempt  = "attempt"
)

// Evidence is a file an admin attached to an offline completion (an
// attendance sheet, a trainer's certificate), kept in the database so that
// it is written in the same transaction as the completion.
type Evidence struct {
	ID           uint      `gorm:"primaryKey"`
	CompletionID uint      `gorm:"not null;index"`
	Filename     string    `gorm:"size:255;not null"`
	ContentType  string    `gorm:"size:100;not null"`
	Size         int64     `gorm:"not null"`
	SHA256       string    `gorm:"size:64;not null"`
	Data         []byte    `gorm:"not null"`
	CreatedAt    time.Time `gorm:"not null"`
}

// Message is one email Lectern sends: the reminders about an enrolment
// (enrolment, due soon, overdue, expiring) and the account emails
// (invitation, password reset, sign-in link), which have no enrolment. The
// unique key makes each reminder go out once per cycle, even across restarts
// (account emails, with a NULL enrolment, are not held by it); without SMTP
// configured messages wait in the outbox page.
type Message struct {
	ID          uint       `gorm:"primaryKey"`
	UserID      uint       `gorm:"not null;index"`
	EnrolmentID *uint      `gorm:"uniqueIndex:idx_message_once"`
	Kind        string     `gorm:"size:20;not null;uniqueIndex:idx_message_once"` // one of the Message* kinds
	Cycle       int        `gorm:"not null;uniqueIndex:idx_message_once"`
	To          string     `gorm:"size:254;not null"`
	Subject     string     `gorm:"size:500;not null"`
	Body        string     `gorm:"not null"`
	CreatedAt   time.Time  `gorm:"not null;index"`
	SentAt      *time.Time `gorm:"index"`
	Attempts    int        `gorm:"not null"`
	LastError   string     `gorm:"size:1000"`
	// LinkID is the single-use link the message carries, if any. Its URL,
	// a secret, is kept in Link only until the message is sent; the body
	// holds LinkMarker in its place.
	LinkID *string `gorm:"size:64;index"`
	Link   string  `gorm:"size:1000;not null;default:''"`
	// NewLink, when set, is stored with the message in its transaction.
	NewLink *LoginLink `gorm:"-"`
}
