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

	"github.com/lectern/lectern/scorm"
)

// Config is every setting Lectern has. Each field is a command-line flag and a
// LECTERN_* environment variable; flags win over the environment.
type Config struct {
	DataDir string // SQLite database, content and secrets live here
	Addr    string // LMS listener
	BaseURL string // public URL of the LMS, used in sign-in links; derived from Addr when empty

	// The content origin serves SCOs and the run-time API on a second
	// listener, so content written by others never shares the LMS's origin.
	ContentAddr    string
	ContentURL     string        // public URL of the content origin; derived from ContentAddr when empty
	LaunchTTL      time.Duration // a launch token stays valid this long after its last use
	SuspendDataMax int           // characters of suspend_data accepted (SCORM 1.2 says 4,096; real content writes more)
	MaxCommitBytes int64         // largest run-time commit body

	SessionLifetime  time.Duration // a session ends this long after sign-in
	LoginMaxFailures int           // failed sign-ins allowed per email (and per client address) in LoginWindow
	LoginWindow      time.Duration // window for LoginMaxFailures, and how long a lock lasts
	LoginLinkTTL     time.Duration // how long a sign-in link stays valid

	MaxUploadBytes int64        // largest package upload accepted over HTTP
	Package        scorm.Limits // limits applied when unpacking a package

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

	LogLevel string // debug, info, warn, error

	envErrors []string       // malformed LECTERN_* values, reported by Validate
	location  *time.Location // TimeZone, loaded by Validate
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
		DataDir:          "./lectern-data",
		Addr:             "127.0.0.1:8080",
		ContentAddr:      "127.0.0.1:8081",
		LaunchTTL:        8 * time.Hour,
		SuspendDataMax:   64000,
		MaxCommitBytes:   4 << 20,
		SessionLifetime:  24 * time.Hour,
		LoginMaxFailures: 5,
		LoginWindow:      15 * time.Minute,
		LoginLinkTTL:     15 * time.Minute,
		MaxUploadBytes:   1 << 30,
		Package:          scorm.DefaultLimits(),
		Organisation:     "Lectern",
		TimeZone:         "UTC",
		RecertLeadDays:   30,
		DueSoonDays:      7,
		ExpiryNoticeDays: 30,
		SMTPPort:         587,
		SMTPFrom:         "lectern@localhost",
		SMTPTLS:          "starttls",
		LogLevel:         "info",
	}
}

// RegisterFlags binds every setting to fs. Defaults come from c, overridden by
// LECTERN_<NAME> environment variables (name upper-cased, dashes as underscores).
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	str := func(p *string, name, usage string) {
		fs.StringVar(p, name, envString(name, *p), usage+" (env "+envName(name)+")")
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
	str(&c.Addr, "addr", "address the LMS listens on")
	str(&c.BaseURL, "base-url", "public URL of the LMS (default http://<addr>)")
	str(&c.ContentAddr, "content-addr", "address the content origin (SCOs and the run-time API) listens on")
	str(&c.ContentURL, "content-url", "public URL of the content origin (default http://<content-addr>)")
	dur(&c.LaunchTTL, "launch-ttl", "how long a launch token stays valid after its last use")
	num(&c.SuspendDataMax, "suspend-data-max", "characters of cmi.suspend_data accepted from a SCO")
	num64(&c.MaxCommitBytes, "max-commit-bytes", "largest run-time commit accepted, in bytes")
	dur(&c.SessionLifetime, "session-lifetime", "how long a sign-in lasts")
	num(&c.LoginMaxFailures, "login-max-failures", "failed sign-ins allowed per email and per client within --login-window")
	dur(&c.LoginWindow, "login-window", "window for counting failed sign-ins, and the lock time after too many")
	dur(&c.LoginLinkTTL, "login-link-ttl", "how long a sign-in link stays valid")
	num64(&c.MaxUploadBytes, "max-upload-bytes", "largest package upload accepted over HTTP, in bytes")
	num64(&c.Package.MaxTotalBytes, "package-max-bytes", "largest total uncompressed size of a package, in bytes")
	num(&c.Package.MaxEntries, "package-max-entries", "most files and folders a package may contain")
	num(&c.Package.MaxEntryRatio, "package-max-ratio", "highest compression ratio allowed for one large file in a package")
	num64(&c.Package.MaxManifestBytes, "package-max-manifest-bytes", "largest imsmanifest.xml accepted, in bytes")
	num(&c.Package.MaxPathLength, "package-max-path-length", "longest file name (path) in a package, in bytes")
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
	str(&c.LogLevel, "log-level", "debug, info, warn or error")
}

// Validate checks the settings and fills derived ones.
func (c *Config) Validate() error {
	if len(c.envErrors) > 0 {
		return fmt.Errorf("config: malformed environment variable %s", strings.Join(c.envErrors, ", "))
	}
	if c.DataDir == "" {
		return fmt.Errorf("config: --data must not be empty")
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
	case c.SessionLifetime <= 0:
		return fmt.Errorf("config: --session-lifetime must be positive")
	case c.LoginMaxFailures < 1:
		return fmt.Errorf("config: --login-max-failures must be at least 1")
	case c.LoginWindow <= 0 || c.LoginLinkTTL <= 0:
		return fmt.Errorf("config: --login-window and --login-link-ttl must be positive")
	case c.MaxUploadBytes <= 0:
		return fmt.Errorf("config: --max-upload-bytes must be positive")
	case c.LaunchTTL <= 0 || c.SuspendDataMax <= 0 || c.MaxCommitBytes <= 0:
		return fmt.Errorf("config: --launch-ttl, --suspend-data-max and --max-commit-bytes must be positive")
	case c.Package.MaxTotalBytes <= 0 || c.Package.MaxEntries <= 0 || c.Package.MaxEntryRatio <= 0 ||
		c.Package.MaxManifestBytes <= 0 || c.Package.MaxPathLength <= 0:
		return fmt.Errorf("config: package limits must be positive")
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

// SecureCookies reports whether cookies must carry the Secure attribute.
func (c *Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// DatabasePath is the SQLite file inside the data directory.
func (c *Config) DatabasePath() string { return filepath.Join(c.DataDir, "lectern.db") }

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

func (c *Config) envDuration(name string, def time.Duration) time.Duration {
	if v, ok := os.LookupEnv(envName(name)); ok {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		c.envErrors = append(c.envErrors, envName(name)+"="+v)
	}
	return def
}
