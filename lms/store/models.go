package store

import (
	"strings"
	"time"

	"gorm.io/gorm"
)

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
	// LastSignInAt is nil until the user first signs in, by any means; an
	// invitation is for users who never have.
	LastSignInAt *time.Time
	// Language is the learner's preferred language (an ISO 639 code, "" for
	// none), given to courses as cmi.learner_preference.language.
	Language string `gorm:"size:35;not null;default:''"`
	// SSOIssuer and SSOSubject link the user to an OpenID Connect account,
	// set at their first single sign-on; nil for users who never used it.
	SSOIssuer  *string `gorm:"size:500;uniqueIndex:idx_user_sso"`
	SSOSubject *string `gorm:"size:255;uniqueIndex:idx_user_sso"`
}

// BeforeSave keeps a name valid UTF-8 (bytes that are not become U+FFFD):
// PostgreSQL refuses anything else, and every output would replace them
// anyway.
func (u *User) BeforeSave(*gorm.DB) error {
	u.Name = strings.ToValidUTF8(u.Name, "\uFFFD")
	return nil
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

// LoginLink is a single-use link, stored as the SHA-256 of its token: a
// sign-in link, or a link to set a password (an invitation, a reset).
type LoginLink struct {
	ID        string     `gorm:"primaryKey;size:64"`
	UserID    uint       `gorm:"not null;index"`
	User      User       `gorm:"constraint:OnDelete:CASCADE"`
	Purpose   string     `gorm:"size:20;not null;default:'sign-in'"` // one of the Link* purposes
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
	// RequirePass is the setting before migration 8, kept for old readers;
	// PassRule replaced it.
	RequirePass bool `gorm:"not null;default:false"`
	// PassRule says when a completion counts: PassAuto, PassRequired or
	// PassNotRequired.
	PassRule string `gorm:"size:20;not null;default:auto"`
	// AttemptPolicy says which attempt counts: AttemptBest or AttemptLatest.
	AttemptPolicy string `gorm:"size:10;not null;default:best"`
	// MaxAttempts bounds the attempts a learner may start; 0: no limit.
	MaxAttempts int `gorm:"not null;default:0"`
	// IgnorePriorWork: a completion from before the enrolment does not count
	// for it. Off by default, so earlier work counts while still valid.
	IgnorePriorWork bool `gorm:"not null;default:false"`
	// Description is plain text for learners, shown with its line breaks.
	Description string `gorm:"not null;default:''"`
	// Status is where the course is in its life: CourseDraft, CoursePublished,
	// CourseRetired or CourseArchived (see lifecycle.go).
	Status string `gorm:"size:20;not null;default:published"`
	// Renamed: an admin chose the title, so new versions keep it instead of
	// taking the package's.
	Renamed bool `gorm:"not null;default:false"`
	// ImageHash identifies the course's image (see CourseImage); "" without
	// one. Image URLs carry it, so a new image is never served from a cache.
	ImageHash string `gorm:"size:64;not null;default:''"`
	// Catalogue says who may take the course: CatalogueEnrolled (enrolled
	// learners only, the default) or CatalogueOpen (every signed-in
	// learner, who is enrolled on opening it). See catalogue.go.
	Catalogue string    `gorm:"size:10;not null;default:enrolled"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// Pass rules (Course.PassRule).
const (
	PassAuto        = "auto"         // a pass is required when the package judges one; a reported failure never counts
	PassRequired    = "required"     // a pass is required
	PassNotRequired = "not-required" // completion alone counts, passed or failed
)

// Attempt policies (Course.AttemptPolicy).
const (
	AttemptBest   = "best"
	AttemptLatest = "latest"
)

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
	// PassJudged: the package decides pass or fail (scorm.Passing); nil
	// until known (versions imported before migration 8 are read at start).
	PassJudged *bool
	// PassingScore is the package's passing score as a fraction, when it
	// names one.
	PassingScore *float64
	// CourseStatus is the status of the course this version creates (a
	// first upload); "" is CoursePublished. Not stored with the version.
	CourseStatus string `gorm:"-"`
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
