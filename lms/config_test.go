package lms

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/store"
)

// TestStoredSettingsAndFlags: what the set-up page saved is used unless a
// flag or an environment variable gives the setting; a saved zone that no
// longer loads is ignored.
func TestStoredSettingsAndFlags(t *testing.T) {
	dir := t.TempDir()
	st, err := store.OpenSQLite(filepath.Join(dir, "lectern.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveSettings(context.Background(), map[string]string{store.SettingOrganisation: "Saved Org", store.SettingTimeZone: "Europe/Berlin"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	open := func(args []string, env map[string]string) *App {
		t.Helper()
		for k, v := range env {
			t.Setenv(k, v)
		}
		cfg := DefaultConfig()
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		cfg.RegisterFlags(fs)
		if err := fs.Parse(append([]string{"--data", dir}, args...)); err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		app, err := Open(cfg, Assets{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { app.Close() })
		return app
	}
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		org, tz  string
		fixedOrg bool
	}{
		{"saved values", nil, nil, "Saved Org", "Europe/Berlin", false},
		{"a flag wins", []string{"--organisation", "Flag Org"}, nil, "Flag Org", "Europe/Berlin", true},
		{"the environment wins", nil, map[string]string{"LECTERN_TIMEZONE": "Asia/Tokyo"}, "Saved Org", "Asia/Tokyo", false},
		{"a flag at the default value still wins", []string{"--timezone", "UTC"}, nil, "Saved Org", "UTC", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := open(tt.args, tt.env)
			if app.Org.Name() != tt.org || app.Org.Location().String() != tt.tz || app.Config.Location().String() != tt.tz {
				t.Errorf("organisation %q in %s (config %s), want %q in %s", app.Org.Name(), app.Org.Location(), app.Config.Location(), tt.org, tt.tz)
			}
			if app.Config.Explicit("organisation") != tt.fixedOrg {
				t.Errorf("organisation explicit = %v, want %v", app.Config.Explicit("organisation"), tt.fixedOrg)
			}
		})
	}
}

func TestApplyStoredRefusesBadZone(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	err := cfg.ApplyStored(map[string]string{"timezone": "Mars/Olympus"})
	if err == nil || !strings.Contains(err.Error(), "Mars/Olympus") || cfg.Location().String() != "UTC" {
		t.Errorf("bad saved zone: %v, zone %s; want an error and UTC kept", err, cfg.Location())
	}
}

// TestOIDCSettings: single sign-on settings are checked when an issuer is
// given.
func TestOIDCSettings(t *testing.T) {
	tests := []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.OIDCIssuer = "http://idp.example.org" }, "https URL"},
		{func(c *Config) { c.OIDCIssuer = "https://idp.example.org" }, "client-id"},
		{func(c *Config) { c.OIDCIssuer, c.OIDCClientID, c.OIDCMatch = "https://idp.example.org", "x", "name" }, "--oidc-match"},
		{func(c *Config) { c.OIDCIssuer, c.OIDCClientID, c.OIDCGroupMap = "https://idp.example.org", "x", "a=" }, "--oidc-group-map"},
		{func(c *Config) { c.OIDCIssuer, c.OIDCClientID = "http://127.0.0.1:9000", "x" }, ""},
		{func(c *Config) {
			c.OIDCIssuer, c.OIDCClientID, c.OIDCGroupMap = "https://idp.example.org", "x", "g1=Warehouse; g2 = Office"
		}, ""},
		{func(c *Config) { c.ResetMaxRequests = 0 }, "--reset-max-requests"},
		{func(c *Config) { c.InviteTTL = 0 }, "--invite-ttl"},
		{func(c *Config) { c.DBRetries = -1 }, "--db-retries"},
		{func(c *Config) { c.DBRetries = 0 }, ""},
	}
	for i, tt := range tests {
		cfg := DefaultConfig()
		cfg.DataDir = t.TempDir()
		tt.set(&cfg)
		err := cfg.Validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("case %d: %v, want %q", i, err, tt.want)
		}
	}
	m, err := ParseGroupMap("g1=Warehouse; g2 = Office\n")
	if err != nil || len(m) != 2 || m["g2"] != "Office" {
		t.Errorf("ParseGroupMap = %v %v", m, err)
	}
}

// TestSetupCode: serve makes a one-time set-up code while no administrator
// exists, and none once one does.
func TestSetupCode(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	assets := Assets{Templates: os.DirFS(filepath.Join(fixture.Root(), "templates")), Static: os.DirFS(filepath.Join(fixture.Root(), "static"))}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := Open(cfg, assets, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.Handler(); err != nil {
		t.Fatal(err)
	}
	if len(app.SetupCode) < 20 {
		t.Errorf("set-up code %q on an empty Lectern, want a long random one", app.SetupCode)
	}
	if _, _, err := app.AddUser(context.Background(), "ada@example.org", "Ada", "", true); err != nil {
		t.Fatal(err)
	}
	app.Close()
	again, err := Open(cfg, assets, log)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if _, err := again.Handler(); err != nil {
		t.Fatal(err)
	}
	if again.SetupCode != "" {
		t.Errorf("set-up code %q with an administrator", again.SetupCode)
	}
}

// TestDBSetting: --db takes a PostgreSQL URL or sqlite:PATH; anything else is
// refused rather than opened as a new SQLite file; without it the data
// directory's file is the database.
func TestDBSetting(t *testing.T) {
	for db, want := range map[string]string{
		"": "",
		"postgres://lectern@db.example.org/lectern":        "",
		"postgresql://u:p@10.0.0.1:5432/x?sslmode=require": "",
		"sqlite:/var/lib/lectern/lectern.db":               "",
		"postgres:///nohost":                               "PostgreSQL URL",
		"sqlite:":                                          "--db",
		"mysql://u@h/x":                                    "--db",
		"/var/lib/lectern/lectern.db":                      "--db",
	} {
		cfg := DefaultConfig()
		cfg.DataDir = t.TempDir()
		cfg.DB = db
		err := cfg.Validate()
		if (want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), want)) {
			t.Errorf("--db %q: %v, want %q", db, err, want)
		}
		if err == nil && db == "" && cfg.Database() != filepath.Join(cfg.DataDir, "lectern.db") {
			t.Errorf("default database %q", cfg.Database())
		}
		if err == nil && db != "" && cfg.Database() != db {
			t.Errorf("--db %q: database %q", db, cfg.Database())
		}
	}
}

// TestConfigLTIDurations: the grade outbox's pauses take flags, default to
// their documented values, and are refused at 0.
func TestConfigLTIDurations(t *testing.T) {
	tests := []struct {
		args  []string
		probe time.Duration
		want  string // in the error; "" for none
	}{
		{nil, time.Minute, ""},
		{[]string{"--lti-probe-every", "20s"}, 20 * time.Second, ""},
		{[]string{"--lti-probe-every", "0"}, 0, "--lti-* durations"},
		{[]string{"--lti-retry-base", "0"}, time.Minute, "--lti-* durations"},
	}
	for _, tt := range tests {
		cfg := DefaultConfig()
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		cfg.RegisterFlags(fs)
		if err := fs.Parse(append([]string{"--data", t.TempDir()}, tt.args...)); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		if cfg.LTI.ProbeEvery != tt.probe {
			t.Errorf("%v: probe every %v, want %v", tt.args, cfg.LTI.ProbeEvery, tt.probe)
		}
		err := cfg.Validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.want)
		}
	}
}
