package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/store/storetest"
)

// TestMigrateCommand: migrate brings a data folder's database to the current
// schema and says so; --db picks another database.
func TestMigrateCommand(t *testing.T) {
	data := t.TempDir()
	out, _, err := lectern(t, data, "migrate")
	if err != nil || !strings.Contains(out, "SQLite database is at schema version") {
		t.Fatalf("migrate: %q %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(data, "lectern.db")); err != nil {
		t.Error(err)
	}
	other := filepath.Join(t.TempDir(), "other.db")
	if out, _, err := lectern(t, data, "migrate", "--db", "sqlite:"+other); err != nil || !strings.Contains(out, "SQLite") {
		t.Fatalf("migrate --db sqlite: %q %v", out, err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("--db sqlite:PATH made no file: %v", err)
	}
	if _, _, err := lectern(t, data, "migrate", "--db", "mysql://x@y/z"); err == nil || !strings.Contains(err.Error(), "--db") {
		t.Errorf("migrate --db mysql: %v", err)
	}
}

// TestCopyCommand: bad arguments and a missing source are refused (no file
// is made); with PostgreSQL (LECTERN_TEST_POSTGRES), an organisation made
// on SQLite is copied, the counts are printed, and the commands then work on
// the copy through --db.
func TestCopyCommand(t *testing.T) {
	data := t.TempDir()
	missing := filepath.Join(t.TempDir(), "nothing.db")
	for _, args := range [][]string{
		{"copy"},
		{"copy", "--from", "sqlite:", "--to", "postgres://x@127.0.0.1/y"},
		{"copy", "--from", "/some/file.db", "--to", "postgres://x@127.0.0.1/y"},
		{"copy", "--from", "sqlite:" + missing, "--to", "sqlite:/tmp/x.db"},
	} {
		if _, _, err := lectern(t, data, args...); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
	if _, _, err := lectern(t, data, "copy", "--from", "sqlite:"+missing, "--to", "postgres://x@127.0.0.1:1/y"); err == nil ||
		!strings.Contains(err.Error(), "not an SQLite database") {
		t.Errorf("missing source: %v", err)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("a missing source was created: %v", err)
	}
	if os.Getenv(store.TestPostgresEnv) == "" {
		t.Skip("the copy itself needs PostgreSQL: set " + store.TestPostgresEnv)
	}
	if _, _, err := lectern(t, data, "import", "--publish", fixture.ZipDir(t, fixture.Package("scorm12-single"))); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lectern(t, data, "user", "add", "--email", "lee@example.org", "--name", "Lee"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := lectern(t, data, "enrol", "--course", "1", "--email", "lee@example.org"); err != nil {
		t.Fatal(err)
	}
	pg := storetest.DSN(t, "")
	out, _, err := lectern(t, data, "copy", "--from", "sqlite:"+filepath.Join(data, "lectern.db"), "--to", pg)
	if err != nil {
		t.Fatalf("copy: %v\n%s", err, out)
	}
	if !strings.Contains(out, "every count matches") || !strings.Contains(out, "enrolments") {
		t.Errorf("copy printed %q", out)
	}
	out, _, err = lectern(t, data, "user", "list", "--db", pg)
	if err != nil || !strings.Contains(out, "lee@example.org") {
		t.Errorf("user list on the copy: %q %v", out, err)
	}
	if out, _, err := lectern(t, data, "migrate", "--db", pg); err != nil || !strings.Contains(out, "PostgreSQL database is at schema version") {
		t.Errorf("migrate on PostgreSQL: %q %v", out, err)
	}
	if _, _, err := lectern(t, data, "copy", "--from", "sqlite:"+filepath.Join(data, "lectern.db"), "--to", pg); err == nil ||
		!strings.Contains(err.Error(), "empty database") {
		t.Errorf("copy into a full database: %v", err)
	}
}
