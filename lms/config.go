package lms

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm"
)

// Config is every setting Lectern has. Each field is a command-line flag and a
// LECTERN_* environment variable; flags win over the environment.
type Config struct {
	DataDir string // SQLite database, content and secrets live here
	// DB, when set, is the database in place of the SQLite file in DataDir:
	// a postgres:// URL (PostgreSQL) or sqlite:PATH.
	DB string
	// DBRetries is how many times a run-time commit that PostgreSQL ends
	// as a serialization failure or deadlock is tried again.
	DBRetries int
	Addr      string // LMS listener
	BaseURL   string // public URL of the LMS, used in sign-in links; derived from Addr when empty

	// The content origin serves SCOs and the run-time API on a second
	// listener, so content written by others never shares the LMS's origin.
	ContentAddr string
	ContentURL  string        // public URL of the content origin; derived from ContentAddr when empty
	LaunchTTL   time.Duration // a launch token stays valid this long after its last use
	// LaunchRetention: a launch's row is swept this long after it expired
	// (its commits stay in the attempt's journal).
	LaunchRetention time.Duration
	SuspendDataMax  int   // characters of suspend_data accepted (SCORM 1.2 says 4,096; real content writes more)
	MaxCommitBytes  int64 // largest run-time commit body
	// AttemptMaxBytes is each attempt's budget of stored run-time data
	// (all its SCOs' interactions, comments, objectives, suspend data...).
	AttemptMaxBytes int64

	SessionLifetime  time.Duration // a session ends this long after sign-in
	SessionIdle      time.Duration // ... or this long after its last use
	LoginMaxFailures int           // failed sign-ins allowed per email (and per client address) in LoginWindow
	LoginWindow      time.Duration // window for LoginMaxFailures, and how long a lock lasts
	LoginLinkTTL     time.Duration // how long a sign-in link stays valid

	// Accounts by email.
	InviteTTL        time.Duration // how long an invitation's set-password link stays valid
	ResetTTL         time.Duration // how long a password-reset link stays valid
	EmailLinkTTL     time.Duration // how long an emailed sign-in link (bulk, reminders) stays valid
	ResetMaxRequests int           // password-reset emails per address within ResetWindow (per client address: 4×)
	ResetWindow      time.Duration // window for ResetMaxRequests

	// Single sign-on with OpenID Connect; off while OIDCIssuer is empty.
	OIDCIssuer       string
	OIDCClientID     string
	OIDCClientSecret string
	OIDCLabel        string // the sign-in button says "Sign in with <label>"
	OIDCScopes       string // space-separated; openid is always asked for
	OIDCMatch        string // "email": by subject, then by verified email; "subject": by subject only
	OIDCTrustEmail   bool   // take the email claim as verified without email_verified (Entra ID)
	OIDCCreateUsers  bool   // create unknown users at their first sign-in (just in time)
	OIDCGroupsClaim  string // claim listing the user's groups; "" for none
	OIDCGroupMap     string // "value=Group name;..." maps claim values to Lectern groups

	MaxUploadBytes int64 // largest package upload accepted over HTTP (admins, upload routes only)
	MaxFormBytes   int64 // largest body of every other request to the LMS (forms, sign-in)
	// EvidenceMaxBytes bounds an evidence file attached to an offline
	// completion (web form, API, CLI).
	EvidenceMaxBytes int64
	// ReportMaxRecipients bounds the addresses of one scheduled report email.
	ReportMaxRecipients int
	Package             scorm.Limits // limits applied when unpacking a package

	// Courses.
	CourseTitleMax       int   // characters of a course title; longer package titles are shortened
	CourseDescriptionMax int   // characters of a course description
	CourseImageMaxBytes  int64 // size of an uploaded course image
	CourseImageMaxPixels int64 // width × height of an uploaded course image

	// Compliance.
	Organisation     string // name on certificates and in emails
	TimeZone         string // IANA zone in which dates are shown and due dates end
	RecertLeadDays   int    // re-enrol this many days before a completion expires
	DueSoonDays      int    // send "due soon" this many days before the due date
	ExpiryNoticeDays int    // send "expiring" this many days before a completion expires

	// Email. Without SMTPHost messages wait in the admin outbox.
	SMTPHost     string
	SMTPPort     int
	SMTPUsername string
	SMTPPassword string
	SMTPFrom     string
	SMTPTLS      string // "starttls" (default), "tls" or "none"

	// LTI 1.3 tool.
	LTI LTIConfig

	// Network. Forwarding headers (X-Forwarded-For) are believed only from
	// TrustedProxies; otherwise the client is the socket's address.
	TrustedProxies    string        // comma-separated IP addresses or CIDR ranges
	ReadHeaderTimeout time.Duration // a request's headers must arrive within this
	ReadTimeout       time.Duration // a whole request must arrive within this (uploads: TransferTimeout)
	WriteTimeout      time.Duration // an answer must be written within this (uploads, content files: TransferTimeout)
	IdleTimeout       time.Duration // a kept-alive connection without a request is closed after this
	TransferTimeout   time.Duration // a package upload or a content file may take this long
	MaxConnsPerClient int           // open connections per client address on each listener (trusted proxies exempt)

	LogLevel string // debug, info, warn, error

	envErrors []string        // malformed LECTERN_* values, reported by Validate
	location  *time.Location  // TimeZone, loaded by Validate
	flags     *flag.FlagSet   // where RegisterFlags bound the settings
	explicit  map[string]bool // settings given by a flag or the environment, by flag name
}

// Explicit reports whether the setting of flag name was given by a flag or
// an environment variable, rather than left at its default. Such a setting
// wins over one saved in Lectern (see ApplyStored).
func (c *Config) Explicit(name string) bool { return c.explicit[name] }

// ApplyStored takes the organisation's name and time zone saved on the
// set-up page, for each that no flag or environment variable gives: an
// operator's explicit setting wins, a saved one comes next, the default
// last. It returns a problem with a saved value, which is then ignored.
func (c *Config) ApplyStored(values map[string]string) error {
	if v := values["organisation"]; v != "" && !c.Explicit("organisation") {
		c.Organisation = v
	}
	if v := values["timezone"]; v != "" && !c.Explicit("timezone") {
		loc, err := time.LoadLocation(v)
		if err != nil {
			return fmt.Errorf("config: saved time zone %q: %w", v, err)
		}
		c.TimeZone, c.location = v, loc
	}
	return nil
}

// LTIConfig are the LTI tool's settings (see lms/lti.Options).
type LTIConfig struct {
	StateTTL         time.Duration // an OIDC login must finish within this
	CodeTTL          time.Duration // a verified launch must be entered by its window within this
	SessionTTL       time.Duration // a launched window stays signed in this long
	Leeway           time.Duration // clock skew allowed on an id_token's exp and iat
	MaxTokenBytes    int           // largest id_token accepted
	MaxResponseBytes int64         // largest answer read from a platform
	HTTPTimeout      time.Duration // calls to platforms
	KeyOverlap       time.Duration // a replaced signing key stays published this long
	ScoreMaxAttempts int           // tries of a grade post before it waits for an admin
	RosterMax        int           // most learners read from a platform's roster
	RegistrationTTL  time.Duration // a dynamic registration link is valid this long
	JWKSRefetch      time.Duration // a platform's keys are fetched again for an unknown key id at most this often
	RetryBase        time.Duration // first pause after a failed grade post; it doubles up to an hour
	ProbeEvery       time.Duration // a platform whose grade posts all wait out a back-off is tried with one this often
	OutboxInterval   time.Duration // how often the grade outbox is emptied
}

// Location is the organisation's time zone (UTC before Validate).
func (c *Config) Location() *time.Location {
	if c.location == nil {
		return time.UTC
	}
	return c.location
}

// DefaultConfig returns the settings Lectern uses when nothing is configured.
func DefaultConfig() Config {
	return Config{
		DataDir:              "./lectern-data",
		Addr:                 "127.0.0.1:8080",
		ContentAddr:          "127.0.0.1:8081",
		LaunchTTL:            8 * time.Hour,
		LaunchRetention:      30 * 24 * time.Hour,
		SuspendDataMax:       64000,
		MaxCommitBytes:       4 << 20,
		AttemptMaxBytes:      4 << 20,
		SessionLifetime:      24 * time.Hour,
		SessionIdle:          2 * time.Hour,
		LoginMaxFailures:     5,
		DBRetries:            3,
		LoginWindow:          15 * time.Minute,
		LoginLinkTTL:         15 * time.Minute,
		InviteTTL:            7 * 24 * time.Hour,
		ResetTTL:             time.Hour,
		EmailLinkTTL:         72 * time.Hour,
		ResetMaxRequests:     3,
		ResetWindow:          time.Hour,
		OIDCLabel:            "single sign-on",
		OIDCScopes:           "openid email profile",
		OIDCMatch:            "email",
		MaxUploadBytes:       1 << 30,
		MaxFormBytes:         64 << 10,
		EvidenceMaxBytes:     10 << 20,
		ReportMaxRecipients:  20,
		Package:              scorm.DefaultLimits(),
		CourseTitleMax:       course.DefaultTitleMax,
		CourseDescriptionMax: 5000,
		CourseImageMaxBytes:  course.DefaultImageMaxBytes,
		CourseImageMaxPixels: course.DefaultImageMaxPixels,
		Organisation:         "Lectern",
		TimeZone:             "UTC",
		RecertLeadDays:       30,
		DueSoonDays:          7,
		ExpiryNoticeDays:     30,
		SMTPPort:             587,
		SMTPFrom:             "lectern@localhost",
		SMTPTLS:              "starttls",
		LogLevel:             "info",

		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		TransferTimeout:   time.Hour,
		MaxConnsPerClient: 256,
		LTI: LTIConfig{
			StateTTL: 10 * time.Minute, CodeTTL: 2 * time.Minute, SessionTTL: 8 * time.Hour, Leeway: time.Minute,
			MaxTokenBytes: 64 << 10, MaxResponseBytes: 4 << 20, HTTPTimeout: 15 * time.Second, KeyOverlap: 72 * time.Hour,
			ScoreMaxAttempts: 12, RosterMax: 10000, RegistrationTTL: 7 * 24 * time.Hour, JWKSRefetch: 10 * time.Second,
			RetryBase: 30 * time.Second, ProbeEvery: time.Minute, OutboxInterval: 15 * time.Second,
		},
	}
}

// RegisterFlags binds every setting to fs. Defaults come from c, overridden by
// LECTERN_<NAME> environment variables (name upper-cased, dashes as underscores).
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	c.flags = fs
	c.explicit = map[string]bool{}
	for _, f := range []string{"organisation", "timezone"} {
		if _, ok := os.LookupEnv(envName(f)); ok {
			c.explicit[f] = true
		}
	}
	str := func(p *string, name, usage string) {
		fs.StringVar(p, name, envString(name, *p), usage+" (env "+envName(name)+")")
	}
	boolean := func(p *bool, name, usage string) {
		fs.BoolVar(p, name, c.envBool(name, *p), usage+" (env "+envName(name)+")")
	}
	dur := func(p *time.Duration, name, usage string) {
		fs.DurationVar(p, name, c.envDuration(name, *p), usage+" (env "+envName(name)+")")
	}
	num := func(p *int, name, usage string) {
		fs.IntVar(p, name, int(c.envInt(name, int64(*p))), usage+" (env "+envName(name)+")")
	}
	num64 := func(p *int64, name, usage string) {
		fs.Int64Var(p, name, c.envInt(name, *p), usage+" (env "+envName(name)+")")
	}
	str(&c.DataDir, "data", "data directory (database, content, secrets)")
	str(&c.DB, "db", "database: a postgres:// URL for PostgreSQL, or sqlite:PATH (default: lectern.db in the data directory)")
	num(&c.DBRetries, "db-retries", "times a run-time commit that PostgreSQL ends as a serialization failure or deadlock is tried again")
	str(&c.Addr, "addr", "address the LMS listens on")
	str(&c.BaseURL, "base-url", "public URL of the LMS (default http://<addr>)")
	str(&c.ContentAddr, "content-addr", "address the content origin (SCOs and the run-time API) listens on")
	str(&c.ContentURL, "content-url", "public URL of the content origin (default http://<content-addr>)")
	dur(&c.LaunchTTL, "launch-ttl", "how long a launch token stays valid after its last use")
	dur(&c.LaunchRetention, "launch-retention", "how long an expired launch's row is kept before the hourly sweep removes it (its commits stay in the journal)")
	num(&c.SuspendDataMax, "suspend-data-max", "characters of cmi.suspend_data accepted from a SCO")
	num64(&c.MaxCommitBytes, "max-commit-bytes", "largest run-time commit accepted, in bytes")
	num64(&c.AttemptMaxBytes, "attempt-max-bytes", "budget of an attempt's stored run-time data (all its SCOs' interactions, comments, objectives, suspend data), in bytes; a commit past it is refused")
	dur(&c.SessionLifetime, "session-lifetime", "how long a sign-in lasts")
	dur(&c.SessionIdle, "session-idle", "a sign-in ends after this long without use")
	num(&c.ReportMaxRecipients, "report-max-recipients", "most addresses one scheduled report email goes to")
	num(&c.LoginMaxFailures, "login-max-failures", "failed sign-ins allowed per email and per client within --login-window")
	dur(&c.LoginWindow, "login-window", "window for counting failed sign-ins, and the lock time after too many")
	dur(&c.LoginLinkTTL, "login-link-ttl", "how long a sign-in link made by an administrator stays valid")
	dur(&c.InviteTTL, "invite-ttl", "how long the set-password link of an invitation stays valid")
	dur(&c.ResetTTL, "reset-ttl", "how long a password-reset link stays valid")
	dur(&c.EmailLinkTTL, "email-link-ttl", "how long an emailed sign-in link (sent in bulk or in a reminder) stays valid")
	num(&c.ResetMaxRequests, "reset-max-requests", "password-reset emails per address within --reset-window (per client address: 4×)")
	dur(&c.ResetWindow, "reset-window", "window for --reset-max-requests")
	str(&c.OIDCIssuer, "oidc-issuer", "OpenID Connect issuer URL for single sign-on (empty: off)")
	str(&c.OIDCClientID, "oidc-client-id", "client ID registered at the OpenID provider")
	str(&c.OIDCClientSecret, "oidc-client-secret", "client secret (prefer the environment variable)")
	str(&c.OIDCLabel, "oidc-label", "name on the sign-in button: \"Sign in with <label>\"")
	str(&c.OIDCScopes, "oidc-scopes", "scopes asked for, separated by spaces")
	str(&c.OIDCMatch, "oidc-match", "email (by subject, then by verified email) or subject (by subject only)")
	boolean(&c.OIDCTrustEmail, "oidc-trust-email", "take the provider's email claim as verified even without email_verified (Microsoft Entra ID)")
	boolean(&c.OIDCCreateUsers, "oidc-create-users", "create unknown users at their first single sign-on")
	str(&c.OIDCGroupsClaim, "oidc-groups-claim", "claim that lists the user's groups (e.g. groups); empty: no group mapping")
	str(&c.OIDCGroupMap, "oidc-group-map", "maps claim values to Lectern groups: \"value=Group name;value2=Other\" (empty: values are group names)")
	num64(&c.MaxUploadBytes, "max-upload-bytes", "largest package upload accepted over HTTP, in bytes")
	num64(&c.EvidenceMaxBytes, "evidence-max-bytes", "largest evidence file of an offline completion, in bytes")
	num64(&c.MaxFormBytes, "max-form-bytes", "largest body of a form or any other request to the LMS but uploads and the API, in bytes")
	num64(&c.Package.MaxTotalBytes, "package-max-bytes", "largest total uncompressed size of a package, in bytes")
	num(&c.Package.MaxEntries, "package-max-entries", "most files and folders a package may contain")
	num(&c.Package.MaxEntryRatio, "package-max-ratio", "highest compression ratio allowed for one large file in a package")
	num64(&c.Package.MaxManifestBytes, "package-max-manifest-bytes", "largest imsmanifest.xml accepted, in bytes")
	num(&c.Package.MaxPathLength, "package-max-path-length", "longest file name (path) in a package, in bytes")
	num(&c.CourseTitleMax, "course-title-max", fmt.Sprintf("longest course title, in characters (at most %d); longer package titles are shortened with a warning", course.MaxTitleMax))
	num(&c.CourseDescriptionMax, "course-description-max", "longest course description, in characters")
	num64(&c.CourseImageMaxBytes, "course-image-max-bytes", "largest course image upload, in bytes")
	num64(&c.CourseImageMaxPixels, "course-image-max-pixels", "most pixels (width × height) of a course image upload")
	str(&c.Organisation, "organisation", "organisation name on certificates and in emails")
	str(&c.TimeZone, "timezone", "IANA time zone in which dates are shown and due dates end (e.g. Europe/Berlin)")
	num(&c.RecertLeadDays, "recert-lead-days", "re-enrol learners this many days before their completion expires")
	num(&c.DueSoonDays, "due-soon-days", "send the due-soon reminder this many days before the due date")
	num(&c.ExpiryNoticeDays, "expiry-notice-days", "send the expiring reminder this many days before a completion expires")
	str(&c.SMTPHost, "smtp-host", "SMTP server for reminders (without it, messages wait in the admin outbox)")
	num(&c.SMTPPort, "smtp-port", "SMTP port")
	str(&c.SMTPUsername, "smtp-username", "SMTP user name")
	str(&c.SMTPPassword, "smtp-password", "SMTP password (prefer the environment variable)")
	str(&c.SMTPFrom, "smtp-from", "sender address of Lectern's emails")
	str(&c.SMTPTLS, "smtp-tls", "starttls, tls or none")
	dur(&c.LTI.StateTTL, "lti-state-ttl", "how long an LTI launch's OIDC login may take")
	dur(&c.LTI.CodeTTL, "lti-launch-code-ttl", "how long a verified LTI launch waits for its window")
	dur(&c.LTI.SessionTTL, "lti-session-ttl", "how long a window launched from a platform stays signed in")
	dur(&c.LTI.Leeway, "lti-clock-leeway", "clock skew allowed on an id_token's exp and iat")
	num(&c.LTI.MaxTokenBytes, "lti-max-token-bytes", "largest LTI id_token accepted, in bytes")
	num64(&c.LTI.MaxResponseBytes, "lti-max-response-bytes", "largest answer read from a platform (keys, tokens, roster pages), in bytes")
	dur(&c.LTI.HTTPTimeout, "lti-http-timeout", "time limit of each call to a platform")
	dur(&c.LTI.KeyOverlap, "lti-key-overlap", "how long a replaced signing key stays published")
	num(&c.LTI.ScoreMaxAttempts, "lti-score-max-attempts", "tries of a grade post before it waits for an admin")
	num(&c.LTI.RosterMax, "lti-roster-max", "most learners read from a platform's roster")
	dur(&c.LTI.RegistrationTTL, "lti-registration-ttl", "how long a dynamic registration link stays valid")
	dur(&c.LTI.JWKSRefetch, "lti-jwks-refetch", "fetch a platform's keys again for an unknown key id at most this often")
	dur(&c.LTI.RetryBase, "lti-retry-base", "first pause after a failed grade post (it doubles up to an hour)")
	dur(&c.LTI.ProbeEvery, "lti-probe-every", "how often a platform whose grade posts all wait out a back-off is tried with the oldest of them")
	dur(&c.LTI.OutboxInterval, "lti-outbox-interval", "how often waiting grade posts are sent")
	str(&c.TrustedProxies, "trusted-proxies", "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For is believed")
	dur(&c.ReadHeaderTimeout, "read-header-timeout", "time a client has to send a request's headers")
	dur(&c.ReadTimeout, "read-timeout", "time a client has to send a whole request (package uploads: --transfer-timeout)")
	dur(&c.WriteTimeout, "write-timeout", "time to write an answer (package uploads and content files: --transfer-timeout)")
	dur(&c.IdleTimeout, "idle-timeout", "an idle kept-alive connection is closed after this")
	dur(&c.TransferTimeout, "transfer-timeout", "time a package upload or a content file download may take")
	num(&c.MaxConnsPerClient, "max-conns-per-client", "open connections per client address on each listener (trusted proxies are exempt)")
	str(&c.LogLevel, "log-level", "debug, info, warn or error")
}

// Validate checks the settings and fills derived ones.
func (c *Config) Validate() error {
	if c.flags != nil {
		c.flags.Visit(func(f *flag.Flag) { c.explicit[f.Name] = true })
	}
	if len(c.envErrors) > 0 {
		return fmt.Errorf("config: malformed environment variable %s", strings.Join(c.envErrors, ", "))
	}
	if c.DataDir == "" {
		return fmt.Errorf("config: --data must not be empty")
	}
	if err := checkDB(c.DB); err != nil {
		return err
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("config: --addr %q: %w", c.Addr, err)
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("config: --base-url %q must be an http or https URL", c.BaseURL)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if _, _, err := net.SplitHostPort(c.ContentAddr); err != nil {
		return fmt.Errorf("config: --content-addr %q: %w", c.ContentAddr, err)
	}
	if c.ContentURL == "" {
		c.ContentURL = "http://" + c.ContentAddr
	}
	cu, err := url.Parse(c.ContentURL)
	if err != nil || (cu.Scheme != "http" && cu.Scheme != "https") || cu.Host == "" || cu.Path != "" && cu.Path != "/" {
		return fmt.Errorf("config: --content-url %q must be an http or https origin", c.ContentURL)
	}
	c.ContentURL = strings.TrimRight(c.ContentURL, "/")
	if cu.Scheme+"://"+cu.Host == u.Scheme+"://"+u.Host {
		return fmt.Errorf("config: --content-url must differ from --base-url: content must not share the LMS's origin")
	}
	switch {
	case c.SessionLifetime <= 0 || c.SessionIdle <= 0:
		return fmt.Errorf("config: --session-lifetime and --session-idle must be positive")
	case c.DBRetries < 0:
		return fmt.Errorf("config: --db-retries must be 0 or more")
	case c.LoginMaxFailures < 1:
		return fmt.Errorf("config: --login-max-failures must be at least 1")
	case c.LoginWindow <= 0 || c.LoginLinkTTL <= 0:
		return fmt.Errorf("config: --login-window and --login-link-ttl must be positive")
	case c.EvidenceMaxBytes <= 0:
		return fmt.Errorf("config: --evidence-max-bytes must be positive")
	case c.ReportMaxRecipients < 1:
		return fmt.Errorf("config: --report-max-recipients must be at least 1")
	case c.InviteTTL <= 0 || c.ResetTTL <= 0 || c.EmailLinkTTL <= 0:
		return fmt.Errorf("config: --invite-ttl, --reset-ttl and --email-link-ttl must be positive")
	case c.ResetMaxRequests < 1 || c.ResetWindow <= 0:
		return fmt.Errorf("config: --reset-max-requests must be at least 1 and --reset-window positive")
	case c.MaxUploadBytes <= 0 || c.MaxFormBytes <= 0:
		return fmt.Errorf("config: --max-upload-bytes and --max-form-bytes must be positive")
	case c.AttemptMaxBytes <= 0:
		return fmt.Errorf("config: --attempt-max-bytes must be positive")
	case c.LaunchRetention <= 0:
		return fmt.Errorf("config: --launch-retention must be positive")
	case c.LaunchTTL <= 0 || c.SuspendDataMax <= 0 || c.MaxCommitBytes <= 0:
		return fmt.Errorf("config: --launch-ttl, --suspend-data-max and --max-commit-bytes must be positive")
	case c.Package.MaxTotalBytes <= 0 || c.Package.MaxEntries <= 0 || c.Package.MaxEntryRatio <= 0 ||
		c.Package.MaxManifestBytes <= 0 || c.Package.MaxPathLength <= 0:
		return fmt.Errorf("config: package limits must be positive")
	case c.CourseTitleMax < 1 || c.CourseTitleMax > course.MaxTitleMax:
		return fmt.Errorf("config: --course-title-max must be between 1 and %d", course.MaxTitleMax)
	case c.CourseDescriptionMax < 0 || c.CourseImageMaxBytes <= 0 || c.CourseImageMaxPixels <= 0:
		return fmt.Errorf("config: --course-description-max must not be negative, --course-image-max-bytes and --course-image-max-pixels must be positive")
	}
	loc, err := time.LoadLocation(c.TimeZone)
	if err != nil {
		return fmt.Errorf("config: --timezone %q: %w", c.TimeZone, err)
	}
	c.location = loc
	switch {
	case c.RecertLeadDays < 0 || c.DueSoonDays < 0 || c.ExpiryNoticeDays < 0:
		return fmt.Errorf("config: reminder and recertification days must not be negative")
	case c.SMTPPort <= 0 || c.SMTPPort > 65535:
		return fmt.Errorf("config: --smtp-port %d is not a port", c.SMTPPort)
	case c.SMTPTLS != "starttls" && c.SMTPTLS != "tls" && c.SMTPTLS != "none":
		return fmt.Errorf("config: --smtp-tls %q: want starttls, tls or none", c.SMTPTLS)
	case c.SMTPHost != "" && !strings.Contains(c.SMTPFrom, "@"):
		return fmt.Errorf("config: --smtp-from %q is not an email address", c.SMTPFrom)
	}
	l := c.LTI
	switch {
	case l.StateTTL <= 0 || l.CodeTTL <= 0 || l.SessionTTL <= 0 || l.HTTPTimeout <= 0 || l.KeyOverlap <= 0 || l.RegistrationTTL <= 0 ||
		l.RetryBase <= 0 || l.ProbeEvery <= 0 || l.OutboxInterval <= 0:
		return fmt.Errorf("config: the --lti-* durations must be positive")
	case l.JWKSRefetch < 0:
		return fmt.Errorf("config: --lti-jwks-refetch must not be negative")
	case l.Leeway < 0 || l.Leeway > 10*time.Minute:
		return fmt.Errorf("config: --lti-clock-leeway must be between 0 and 10m")
	case l.MaxTokenBytes < 1024 || l.MaxResponseBytes < 1024:
		return fmt.Errorf("config: --lti-max-token-bytes and --lti-max-response-bytes must be at least 1024")
	case l.ScoreMaxAttempts < 1 || l.RosterMax < 1:
		return fmt.Errorf("config: --lti-score-max-attempts and --lti-roster-max must be at least 1")
	}
	if _, err := c.Proxies(); err != nil {
		return err
	}
	switch {
	case c.ReadHeaderTimeout <= 0 || c.ReadTimeout <= 0 || c.WriteTimeout <= 0 || c.IdleTimeout <= 0 || c.TransferTimeout <= 0:
		return fmt.Errorf("config: --read-header-timeout, --read-timeout, --write-timeout, --idle-timeout and --transfer-timeout must be positive")
	case c.MaxConnsPerClient < 1:
		return fmt.Errorf("config: --max-conns-per-client must be at least 1")
	}
	if err := c.validateOIDC(); err != nil {
		return err
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: --log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return fmt.Errorf("config: --data: %w", err)
	}
	c.DataDir = abs
	return nil
}

// Proxies parses TrustedProxies.
func (c *Config) Proxies() ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			ip := net.ParseIP(f)
			if ip == nil {
				return nil, fmt.Errorf("config: --trusted-proxies: %q is not an IP address or CIDR range", f)
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, fmt.Errorf("config: --trusted-proxies: %q is not an IP address or CIDR range", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// SecureCookies reports whether cookies must carry the Secure attribute.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// DatabasePath is the SQLite file inside the data directory.
func (c *Config) DatabasePath() string { return filepath.Join(c.DataDir, "lectern.db") }

// Database is what store.Open takes: --db, or the SQLite file in the data
// directory.
func (c *Config) Database() string {
	if c.DB != "" {
		return c.DB
	}
	return c.DatabasePath()
}

// checkDB refuses a --db that is neither a PostgreSQL URL nor sqlite:PATH,
// so that a typing mistake never opens a new, empty SQLite file somewhere.
func checkDB(db string) error {
	switch {
	case db == "":
		return nil
	case store.IsPostgres(db):
		u, err := url.Parse(db)
		if err != nil || u.Host == "" {
			return fmt.Errorf("config: --db: a PostgreSQL URL looks like postgres://user@host:5432/lectern")
		}
		return nil
	case strings.HasPrefix(db, "sqlite:") && len(db) > len("sqlite:"):
		return nil
	}
	return fmt.Errorf("config: --db %q: want postgres://... or sqlite:PATH", db)
}

// ContentDir holds one folder per course version.
func (c *Config) ContentDir() string { return filepath.Join(c.DataDir, "content") }

// StagingDir holds uploads and packages being unpacked; it is on the same file
// system as ContentDir so that a finished import moves in with one rename.
func (c *Config) StagingDir() string { return filepath.Join(c.DataDir, "staging") }

func envName(flagName string) string {
	return "LECTERN_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func envString(name, def string) string {
	if v, ok := os.LookupEnv(envName(name)); ok {
		return v
	}
	return def
}

func (c *Config) envInt(name string, def int64) int64 {
	if v, ok := os.LookupEnv(envName(name)); ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			return n
		}
		c.envErrors = append(c.envErrors, envName(name)+"="+v)
	}
	return def
}

func (c *Config) envBool(name string, def bool) bool {
	if v, ok := os.LookupEnv(envName(name)); ok {
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
		c.envErrors = append(c.envErrors, envName(name)+"="+v)
	}
	return def
}

// validateOIDC checks the single sign-on settings when an issuer is given.
func (c *Config) validateOIDC() error {
	if c.OIDCIssuer == "" {
		return nil
	}
	u, err := url.Parse(c.OIDCIssuer)
	if err != nil || u.Host == "" || (u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname()))) {
		return fmt.Errorf("config: --oidc-issuer %q must be an https URL (http only on this machine)", c.OIDCIssuer)
	}
	switch {
	case c.OIDCClientID == "":
		return fmt.Errorf("config: --oidc-issuer needs --oidc-client-id")
	case c.OIDCMatch != "email" && c.OIDCMatch != "subject":
		return fmt.Errorf("config: --oidc-match %q: want email or subject", c.OIDCMatch)
	case strings.TrimSpace(c.OIDCLabel) == "":
		return fmt.Errorf("config: --oidc-label must not be empty")
	}
	if _, err := ParseGroupMap(c.OIDCGroupMap); err != nil {
		return fmt.Errorf("config: --oidc-group-map: %w", err)
	}
	return nil
}

// ParseGroupMap reads "value=Group name;value2=Other" (";" or newlines
// between pairs). Empty: nil.
func ParseGroupMap(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, pair := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("%q is not value=Group name", strings.TrimSpace(pair))
		}
		out[k] = v
	}
	return out, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Config) envDuration(name string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(envName(name)); ok {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		c.envErrors = append(c.envErrors, envName(name)+"="+v)
	}
	return def
}
