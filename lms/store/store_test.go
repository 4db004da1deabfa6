package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestMigrateFromEmpty: a new database gets every migration, and opening it
// again applies nothing twice.
func TestMigrateFromEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lectern.db")
	for i := 0; i < 2; i++ {
		s, err := OpenSQLite(path)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		v, err := s.SchemaVersion(context.Background())
		if err != nil || v != migrations[len(migrations)-1].version {
			t.Errorf("open %d: schema version %d (%v), want %d", i, v, err, migrations[len(migrations)-1].version)
		}
		s.Close()
	}
	for i, m := range migrations {
		if m.version != i+1 {
			t.Errorf("migration %d is numbered %d: numbers must run 1, 2, 3 without gaps", i, m.version)
		}
	}
}

func TestUsersAndSessions(t *testing.T) {
	s, err := OpenSQLite(filepath.Join(t.TempDir(), "lectern.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
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
	if _, got, err := s.SessionUser(ctx, "hash"); err != nil || got.ID != u.ID {
		t.Fatalf("session: %v", err)
	}
	if err := s.SetPassword(ctx, u.ID, "new"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionUser(ctx, "hash"); !errors.Is(err, ErrNotFound) {
		t.Errorf("session after a password change: %v, want revoked", err)
	}
}
