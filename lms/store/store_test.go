package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testDSN is the database of a test: an SQLite file in its temporary
// folder, or a new PostgreSQL database when LECTERN_TEST_POSTGRES is set
// (dropped when the test ends).
func testDSN(t testing.TB) string {
	t.Helper()
	dsn, drop, err := TestDSN(filepath.Join(t.TempDir(), "lectern.db"))
	if err != nil {
		t.Fatalf("test database (%s): %v", TestPostgresEnv, err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("dropping the test database: %v", err)
		}
	})
	return dsn
}

// openTest opens the store of a test (see testDSN).
func openTest(t testing.TB) *Store {
	t.Helper()
	s, err := Open(testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestMigrateFromEmpty: a new database gets every migration, and opening it
// again applies nothing twice.
func TestMigrateFromEmpty(t *testing.T) {
	path := testDSN(t)
	for i := 0; i < 2; i++ {
		s, err := Open(path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		v, err := s.SchemaVersion(context.Background())
		if err != nil || v != migrations[len(migrations)-1].version {
			t.Errorf("open %d: schema version %d (%v), want %d", i, v, err, migrations[len(migrations)-1].version)
		}
		s.Close()
	}
	// Numbers are handed out ahead of landing, so one may land before a
	// smaller one: the list must ascend, and the migrator applies what a
	// database lacks whatever the order it arrives in.
	for i, m := range migrations {
		if i > 0 && m.version <= migrations[i-1].version {
			t.Errorf("migration %d is numbered %d after %d: numbers must ascend", i, m.version, migrations[i-1].version)
		}
	}
}

func TestUsersAndSessions(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	u := &User{Email: " Ada@Example.org ", Name: "Ada", PasswordHash: "h"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if u.Email != "ada@example.org" {
		t.Errorf("email stored as %q", u.Email)
	}
	if err := s.CreateUser(ctx, &User{Email: "ADA@example.org", Name: "Again", PasswordHash: "h"}); !errors.Is(err, ErrConflict) {
		t.Errorf("duplicate email: %v, want ErrConflict", err)
	}
	if _, err := s.UserByEmail(ctx, "nobody@example.org"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown email: %v, want ErrNotFound", err)
	}
	if _, err := s.CreateSession(ctx, "hash", u.ID, 3600e9, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if _, got, err := s.SessionUser(ctx, "hash", 0); err != nil || got.ID != u.ID {
		t.Fatalf("session: %v", err)
	}
	if err := s.SetPassword(ctx, u.ID, "new"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionUser(ctx, "hash", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("session after a password change: %v, want revoked", err)
	}
}

// TestRebind: PostgreSQL's placeholders are numbered; a ? inside quotes is
// text, not a placeholder; SQLite keeps its own.
func TestRebind(t *testing.T) {
	pg := &Store{pg: true}
	for in, want := range map[string]string{
		"SELECT 1":        "SELECT 1",
		"a = ? AND b = ?": "a = $1 AND b = $2",
		`x LIKE '?%' AND "we?rd" = ? OR y = 'it''s ?'`: `x LIKE '?%' AND "we?rd" = $1 OR y = 'it''s ?'`,
	} {
		if got := pg.rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
		if got := (&Store{}).rebind(in); got != in {
			t.Errorf("SQLite rebind(%q) = %q", in, got)
		}
	}
}

// TestOpenChoosesTheDatabase: a postgres:// URL that cannot be reached is
// an error naming PostgreSQL (never a new SQLite file), and its password
// stays out of the message; sqlite:PATH is a file.
func TestOpenChoosesTheDatabase(t *testing.T) {
	_, err := Open("postgres://lectern:s3cret-pw@127.0.0.1:1/lectern?sslmode=disable&connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "PostgreSQL") || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("unreachable PostgreSQL: %v", err)
	}
	path := filepath.Join(t.TempDir(), "x.db")
	s, err := Open("sqlite:" + path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Dialect() != "sqlite" {
		t.Errorf("dialect %q", s.Dialect())
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("sqlite:PATH made no file: %v", err)
	}
}
