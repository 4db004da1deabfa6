package store

import "time"

// The LTI 1.3 tables. They hold what Lectern must remember to act as a tool
// for learning platforms (Moodle, Canvas, ...): registrations, its own signing
// keys, the short-lived state of launches, and how platform users, contexts
// and resource links map to Lectern's users, groups, courses and enrolments.
// Claims themselves are never stored: lms/lti translates them into the plain
// values below.

// LTIPlatform is one registration of a platform: an issuer and the client id
// it gave Lectern.
type LTIPlatform struct {
	ID       uint   `gorm:"primaryKey"`
	Name     string `gorm:"size:200;not null"`
	Issuer   string `gorm:"size:500;not null;uniqueIndex:idx_lti_platform"`
	ClientID string `gorm:"size:500;not null;uniqueIndex:idx_lti_platform"`
	AuthURL  string `gorm:"size:2000;not null"` // OIDC authorisation endpoint
	TokenURL string `gorm:"size:2000;not null"` // OAuth 2 token endpoint (AGS, NRPS)
	JWKSURL  string `gorm:"size:2000;not null"` // the platform's public keys
	// What Lectern keeps from launches (data minimisation): with neither, users
	// are named by a stable opaque handle.
	KeepName  bool      `gorm:"not null"`
	KeepEmail bool      `gorm:"not null"`
	Source    string    `gorm:"size:20;not null"` // admin, cli, api, dynamic
	CreatedAt time.Time `gorm:"not null"`

	Deployments []string `gorm:"-"` // filled by the store's readers
}

// Table names: GORM would split "LTIPlatform" into "lt_iplatforms".
func (LTIPlatform) TableName() string   { return "lti_platforms" }
func (LTIDeployment) TableName() string { return "lti_deployments" }
func (LTIPlacement) TableName() string  { return "lti_placements" }

// LTIDeployment is a deployment id a platform may launch with.
type LTIDeployment struct {
	PlatformID   uint        `gorm:"primaryKey;autoIncrement:false"`
	Platform     LTIPlatform `gorm:"constraint:OnDelete:CASCADE"`
	DeploymentID string      `gorm:"primaryKey;size:255"`
	CreatedAt    time.Time   `gorm:"not null"`
}

// LTIKey is one of Lectern's RSA signing keys. The newest unretired key signs;
// retired keys stay published until RetireAt so that platforms can still
// check what they signed. The private key never leaves this row: it has no
// JSON form and its String hides it.
type LTIKey struct {
	ID         string     `gorm:"primaryKey;size:64"` // the kid
	PrivateDER []byte     `gorm:"not null" json:"-"`  // PKCS #8
	CreatedAt  time.Time  `gorm:"not null"`
	RetiredAt  *time.Time // replaced by a newer key
	RemoveAt   *time.Time // no longer published after this
}

// String keeps the private key out of logs and error messages.
func (k LTIKey) String() string { return "LTIKey(" + k.ID + ")" }

// LTIState is one OIDC login in progress: single-use and short-lived. Its
// nonce must come back in the id_token.
type LTIState struct {
	ID            string    `gorm:"primaryKey;size:64"` // SHA-256 of the state
	NonceHash     string    `gorm:"size:64;not null;uniqueIndex"`
	PlatformID    uint      `gorm:"not null"`
	TargetLinkURI string    `gorm:"size:2000;not null"`
	Storage       string    `gorm:"size:20;not null"` // cookie or platform (LTI postMessage storage)
	StorageTarget string    `gorm:"size:200"`         // the platform's storage frame (migration 9)
	CreatedAt     time.Time `gorm:"not null"`
	ExpiresAt     time.Time `gorm:"not null;index"`
	UsedAt        *time.Time
}

// LTILaunchCode is a verified launch waiting to be entered by the browser
// window that made it: single-use, valid for a minute. Its Launch holds only
// what Lectern keeps from the id_token.
type LTILaunchCode struct {
	ID         string    `gorm:"primaryKey;size:64"` // SHA-256 of the code
	PlatformID uint      `gorm:"not null"`
	Launch     []byte    `gorm:"not null"` // JSON of the translated launch
	CreatedAt  time.Time `gorm:"not null"`
	ExpiresAt  time.Time `gorm:"not null;index"`
	UsedAt     *time.Time
}

// LTIIdentity maps a platform user (issuer, sub) to one Lectern user.
type LTIIdentity struct {
	ID         uint      `gorm:"primaryKey"`
	Issuer     string    `gorm:"size:500;not null;uniqueIndex:idx_lti_identity"`
	Subject    string    `gorm:"size:255;not null;uniqueIndex:idx_lti_identity"`
	UserID     uint      `gorm:"not null;index"`
	User       User      `gorm:"constraint:OnDelete:CASCADE"`
	PlatformID uint      `gorm:"not null"`
	CreatedAt  time.Time `gorm:"not null"`
}

// LTIContext is a platform course (an LTI context). Its learners are the
// members of a Lectern group, so that reports can be scoped to them.
type LTIContext struct {
	ID             uint      `gorm:"primaryKey"`
	Issuer         string    `gorm:"size:500;not null;uniqueIndex:idx_lti_context"`
	DeploymentID   string    `gorm:"size:255;not null;uniqueIndex:idx_lti_context"`
	ContextID      string    `gorm:"size:255;not null;uniqueIndex:idx_lti_context"`
	PlatformID     uint      `gorm:"not null;index"`
	Title          string    `gorm:"size:500;not null"`
	GroupID        uint      `gorm:"not null"`
	Group          Group     `gorm:"constraint:OnDelete:CASCADE"`
	MembershipsURL string    `gorm:"size:2000"` // NRPS, when the platform offers it
	CreatedAt      time.Time `gorm:"not null"`
}

// LTIPlacement is one resource link: a place in a platform course that opens
// a Lectern course (nil until an instructor picks one), with its gradebook
// column when the platform offers Assignment and Grade Services.
type LTIPlacement struct {
	ID             uint      `gorm:"primaryKey"`
	ContextRowID   uint      `gorm:"not null;uniqueIndex:idx_lti_placement"`
	ResourceLinkID string    `gorm:"size:255;not null;uniqueIndex:idx_lti_placement"`
	Title          string    `gorm:"size:500;not null"`
	CourseID       *uint     `gorm:"index"`
	LineItemURL    string    `gorm:"size:2000"` // the resource link's line item, when known
	LineItemsURL   string    `gorm:"size:2000"` // where line items are listed and created
	Scopes         string    `gorm:"size:1000"` // AGS scopes granted, space separated
	CreatedAt      time.Time `gorm:"not null"`
	UpdatedAt      time.Time `gorm:"not null"`
}

// LTIGrade links a learner to a placement's gradebook column: every change of
// their result on the placement's course is posted there. LastState is the
// result last queued, so an unchanged result is not queued again.
type LTIGrade struct {
	ID          uint      `gorm:"primaryKey"`
	PlacementID uint      `gorm:"not null;uniqueIndex:idx_lti_grade"`
	UserID      uint      `gorm:"not null;uniqueIndex:idx_lti_grade;index:idx_lti_grade_user_course"`
	CourseID    uint      `gorm:"not null;index:idx_lti_grade_user_course"`
	Subject     string    `gorm:"size:255;not null"` // the platform's user id, for the score
	LastState   string    `gorm:"size:200;not null"`
	CreatedAt   time.Time `gorm:"not null"`
}

// LTIScore states.
const (
	ScorePending    = "pending"    // waiting to be sent (or retried at NextAt)
	ScoreSent       = "sent"       // the platform accepted it
	ScoreFailed     = "failed"     // tried MaxAttempts times; an admin may retry it
	ScoreSuperseded = "superseded" // a newer result of the same learner and column replaced it before it went out
)

// LTIScore is the outbox of grade posts: written in the transaction of the
// commit that changed the result, sent by one worker, retried with back-off.
type LTIScore struct {
	ID              uint   `gorm:"primaryKey"`
	GradeID         uint   `gorm:"not null;index"`
	AttemptID       uint   `gorm:"not null"`
	Completion      string `gorm:"size:20;not null"`
	Success         string `gorm:"size:20;not null"`
	ScoreScaled     *float64
	ProgressMeasure *float64
	State           string    `gorm:"size:20;not null;index:idx_lti_score_due"`
	NextAt          time.Time `gorm:"not null;index:idx_lti_score_due"`
	Attempts        int       `gorm:"not null"`
	LastError       string    `gorm:"size:1000"`
	CreatedAt       time.Time `gorm:"not null"` // the score's timestamp
	SentAt          *time.Time
}

// LTISession is a window's sign-in after a launch. Platforms frame Lectern,
// and browsers that block third-party cookies would drop a cookie there, so
// the window carries the token in its forms instead; only its SHA-256 is
// stored.
type LTISession struct {
	ID          string `gorm:"primaryKey;size:64"`
	UserID      uint   `gorm:"not null;index"`
	User        User   `gorm:"constraint:OnDelete:CASCADE"`
	PlatformID  uint   `gorm:"not null"`
	ContextID   *uint  // the LTIContext row
	PlacementID *uint
	Instructor  bool      `gorm:"not null"` // Instructor or Administrator of the context
	DeepLink    []byte    // the deep-linking request's settings, JSON
	ReturnURL   string    `gorm:"size:2000"` // launch_presentation.return_url
	CreatedAt   time.Time `gorm:"not null"`
	ExpiresAt   time.Time `gorm:"not null;index"`
}

// LTIRegistration is a one-time dynamic registration link.
type LTIRegistration struct {
	ID         string    `gorm:"primaryKey;size:64"` // SHA-256 of the token
	CreatedAt  time.Time `gorm:"not null"`
	ExpiresAt  time.Time `gorm:"not null"`
	UsedAt     *time.Time
	PlatformID *uint
}
