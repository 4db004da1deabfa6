package store

import "time"

// User is an admin or a learner.
type User struct {
	ID           uint      `gorm:"primaryKey"`
	Email        string    `gorm:"size:254;not null;uniqueIndex"` // stored lower-cased
	Name         string    `gorm:"size:200;not null"`
	PasswordHash string    `gorm:"size:200;not null"`
	Admin        bool      `gorm:"not null;default:false"`
	Active       bool      `gorm:"not null;default:true"`
	CreatedAt    time.Time `gorm:"not null"`
	UpdatedAt    time.Time `gorm:"not null"`
}

// Session is a server-side sign-in. The browser holds a random token; only its
// SHA-256 is stored, so a copy of the database cannot be replayed as cookies.
// Deleting the row revokes the session.
type Session struct {
	ID         string    `gorm:"primaryKey;size:64"` // hex SHA-256 of the token
	UserID     uint      `gorm:"not null;index"`
	User       User      `gorm:"constraint:OnDelete:CASCADE"`
	CreatedAt  time.Time `gorm:"not null"`
	LastSeenAt time.Time `gorm:"not null"`
	ExpiresAt  time.Time `gorm:"not null;index"`
	RemoteAddr string    `gorm:"size:100"`
}

// LoginLink is a single-use sign-in link, stored as the SHA-256 of its token.
type LoginLink struct {
	ID        string     `gorm:"primaryKey;size:64"`
	UserID    uint       `gorm:"not null;index"`
	User      User       `gorm:"constraint:OnDelete:CASCADE"`
	CourseID  *uint      // open this course after signing in
	ExpiresAt time.Time  `gorm:"not null"`
	UsedAt    *time.Time // set once; a used link never works again
	CreatedAt time.Time  `gorm:"not null"`
}

// Course is what admins and learners see; its content lives in versions.
type Course struct {
	ID               uint   `gorm:"primaryKey"`
	Title            string `gorm:"size:500;not null"`
	CurrentVersionID *uint
	// ValidityMonths makes a completion expire after that many months; the
	// learner is then enrolled again (recertification). Nil: never expires.
	ValidityMonths *int
	// RequirePass: a completion counts only when the learner also passed.
	RequirePass bool      `gorm:"not null;default:false"`
	CreatedAt   time.Time `gorm:"not null"`
	UpdatedAt   time.Time `gorm:"not null"`
}

// CourseVersion is one uploaded package of a course. Versions are never
// changed after import: learners who started one keep it until they finish.
type CourseVersion struct {
	ID              uint      `gorm:"primaryKey"`
	CourseID        uint      `gorm:"not null;uniqueIndex:idx_course_version"`
	Course          Course    `gorm:"constraint:OnDelete:CASCADE"`
	Number          int       `gorm:"not null;uniqueIndex:idx_course_version"`
	Edition         string    `gorm:"size:40;not null"` // "1.2", "2004 4th Edition", ...
	Identifier      string    `gorm:"size:500"`         // manifest identifier
	Title           string    `gorm:"size:500;not null"`
	ContentDir      string    `gorm:"size:200;not null"` // relative to the content folder
	SCOCount        int       `gorm:"not null"`
	LaunchableCount int       `gorm:"not null"`
	Warnings        []string  `gorm:"serializer:json"`
	Filename        string    `gorm:"size:500"` // name of the uploaded zip
	Bytes           int64     `gorm:"not null"` // unpacked size
	UploadedByID    *uint     // nil for command-line imports
	CreatedAt       time.Time `gorm:"not null"`
}

// Item is one node of a version's course tree (default organization), stored
// as rows so the player and reports can query it.
type Item struct {
	ID                  uint          `gorm:"primaryKey"`
	VersionID           uint          `gorm:"not null;index;uniqueIndex:idx_item_ident"`
	Version             CourseVersion `gorm:"constraint:OnDelete:CASCADE"`
	Identifier          string        `gorm:"size:500;not null;uniqueIndex:idx_item_ident"`
	ParentID            *uint
	Position            int    `gorm:"not null"` // depth-first order within the version
	Depth               int    `gorm:"not null"`
	Title               string `gorm:"size:1000;not null"`
	Launch              string `gorm:"size:2000"` // relative to the package root; "" when not launchable
	ScormType           string `gorm:"size:10"`   // "sco", "asset" or ""
	Visible             bool   `gorm:"not null"`
	ResourceID          string `gorm:"size:500"`
	HasChildren         bool   `gorm:"not null"`
	ParentPosition      int    `gorm:"-"` // Position of the parent when creating; -1 for top-level items
	MasteryScore        *float64
	MaxTimeAllowed      string `gorm:"size:100"`
	TimeLimitAction     string `gorm:"size:100"`
	DataFromLMS         string `gorm:"size:4096"`
	Prerequisites       string `gorm:"size:4096"`
	CompletionThreshold *float64
}

// schemaMigration records which numbered migrations have run.
type schemaMigration struct {
	Version   int       `gorm:"primaryKey;autoIncrement:false"`
	Name      string    `gorm:"size:200;not null"`
	AppliedAt time.Time `gorm:"not null"`
}
