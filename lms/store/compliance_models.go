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
}

// Completion is one completed cycle of an enrolment: the evidence, kept for
// ever, with the certificate's verification code.
type Completion struct {
	ID          uint      `gorm:"primaryKey"`
	EnrolmentID uint      `gorm:"not null;index"`
	UserID      uint      `gorm:"not null;index"`
	CourseID    uint      `gorm:"not null;index"`
	AttemptID   uint      `gorm:"not null;uniqueIndex"`
	Cycle       int       `gorm:"not null"`
	CompletedAt time.Time `gorm:"not null"`
	Passed      bool      `gorm:"not null"`
	ScoreScaled *float64
	ExpiresAt   *time.Time
	Code        string    `gorm:"size:32;not null;uniqueIndex"` // certificate verification code
	CourseTitle string    `gorm:"size:500;not null"`            // as it was when completed
	UserName    string    `gorm:"size:200;not null"`
	CreatedAt   time.Time `gorm:"not null"`
}

// Message is one email Lectern sends: enrolment, due soon, overdue,
// expiring. The unique key makes each reminder go out once per cycle, even
// across restarts; without SMTP configured messages wait in the outbox page.
type Message struct {
	ID          uint       `gorm:"primaryKey"`
	UserID      uint       `gorm:"not null;index"`
	EnrolmentID uint       `gorm:"not null;uniqueIndex:idx_message_once"`
	Kind        string     `gorm:"size:20;not null;uniqueIndex:idx_message_once"` // enrolment, due-soon, overdue, expiring
	Cycle       int        `gorm:"not null;uniqueIndex:idx_message_once"`
	To          string     `gorm:"size:254;not null"`
	Subject     string     `gorm:"size:500;not null"`
	Body        string     `gorm:"not null"`
	CreatedAt   time.Time  `gorm:"not null;index"`
	SentAt      *time.Time `gorm:"index"`
	Attempts    int        `gorm:"not null"`
	LastError   string     `gorm:"size:1000"`
}
