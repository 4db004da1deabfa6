package store

import "time"

// Attempt is one learner's go at one course version. Its summary columns are
// updated by every commit so that reports read columns, not blobs.
type Attempt struct {
	ID              uint          `gorm:"primaryKey"`
	UserID          uint          `gorm:"not null;index:idx_attempt_user_course"`
	User            User          `gorm:"constraint:OnDelete:CASCADE"`
	CourseID        uint          `gorm:"not null;index:idx_attempt_user_course"`
	VersionID       uint          `gorm:"not null;index"`
	Version         CourseVersion `gorm:"constraint:OnDelete:CASCADE"`
	Number          int           `gorm:"not null"`         // 1, 2, ... per learner and course
	Completion      string        `gorm:"size:20;not null"` // completed, incomplete, not attempted, unknown
	Success         string        `gorm:"size:20;not null"` // passed, failed, unknown
	ScoreScaled     *float64
	ScoreRaw        *float64
	ProgressMeasure *float64
	TotalSeconds    float64   `gorm:"not null"`
	CurrentItemID   *uint     // where the learner is (resume point)
	Suspended       bool      `gorm:"not null"`
	Closed          bool      `gorm:"not null;index"` // finished: a new launch starts a new attempt
	StartedAt       time.Time `gorm:"not null"`
	LastAccessAt    time.Time `gorm:"not null"`
	CompletedAt     *time.Time
	// Test marks an admin's test launch. Its CourseID is 0: every query about
	// a course's learners keys attempts by course, so a test attempt can
	// never reach a report, a completion or a certificate. It belongs to its
	// version only.
	Test bool `gorm:"not null;default:false"`
}

// ScoState is the run-time data of one SCO (item) in an attempt: the CMI
// values as JSON plus the columns reports read.
type ScoState struct {
	ID              uint    `gorm:"primaryKey"`
	AttemptID       uint    `gorm:"not null;uniqueIndex:idx_sco_state"`
	Attempt         Attempt `gorm:"constraint:OnDelete:CASCADE"`
	ItemID          uint    `gorm:"not null;uniqueIndex:idx_sco_state"`
	State           []byte  `gorm:"not null"` // cmi.State as JSON
	Completion      string  `gorm:"size:20;not null"`
	Success         string  `gorm:"size:20;not null"`
	ScoreScaled     *float64
	ScoreRaw        *float64
	ProgressMeasure *float64
	TotalSeconds    float64   `gorm:"not null"`
	Sessions        int       `gorm:"not null"` // launches so far
	UpdatedAt       time.Time `gorm:"not null"`
}

// Launch is one delivery of one SCO in an attempt. The content origin knows
// only its token; the row binds the token to the attempt and the item. A
// newer launch of the same SCO (a second tab) supersedes it.
type Launch struct {
	ID           string  `gorm:"primaryKey;size:64"` // hex SHA-256 of the token
	AttemptID    uint    `gorm:"not null;index"`
	Attempt      Attempt `gorm:"constraint:OnDelete:CASCADE"`
	ItemID       uint    `gorm:"not null"`
	UserID       uint    `gorm:"not null"`
	VersionID    uint    `gorm:"not null"` // the attempt's course version, for the commit path
	Seq          int64   `gorm:"not null"` // last applied commit sequence number
	Started      bool    `gorm:"not null"` // the player frame has loaded the state
	Terminated   bool    `gorm:"not null"` // Terminate/LMSFinish received: no more writes
	SupersededAt *time.Time
	CreatedAt    time.Time `gorm:"not null"`
	LastSeenAt   time.Time `gorm:"not null"`
	ExpiresAt    time.Time `gorm:"not null;index"`
	// Review: the learner (or an admin) looks at a finished attempt; the SCO
	// runs in review mode without credit and nothing it sends is stored.
	Review bool `gorm:"not null;default:false"`

	StateID uint `gorm:"-"` // the SCO's ScoState row, set by StartLaunch
}

// Commit is the append-only journal of applied commits: evidence of what a
// SCO reported and when.
type Commit struct {
	ID        uint   `gorm:"primaryKey"`
	LaunchID  string `gorm:"size:64;not null;index"` // the index is dropped by migration 19
	AttemptID uint   `gorm:"not null;index"`
	ItemID    uint   `gorm:"not null"`
	Seq       int64  `gorm:"not null"`
	// JSON: [[element, old, new], ...]; [element, new] when old is the
	// last new value an earlier commit of the launch recorded for element
	// (see journalChanges).
	Changes   []byte    `gorm:"not null"`
	Terminate bool      `gorm:"not null"`
	At        time.Time `gorm:"not null"`
}

// SharedValue is one adl.data store (SCORM 2004 4th Edition shared data).
// It belongs to the learner across the whole system (ScopeID 0) or, when
// the package sets sharedDataGlobalToSystem="false", to one attempt of the
// course (ScopeID is the attempt), so that a new attempt starts empty.
type SharedValue struct {
	UserID    uint      `gorm:"primaryKey;autoIncrement:false"`
	ScopeID   uint      `gorm:"primaryKey;autoIncrement:false"`
	TargetID  string    `gorm:"primaryKey;size:4000"`
	Value     string    `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}
