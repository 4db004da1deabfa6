package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// TestReady: a store is ready when its migrations are current and a real
// write succeeds; the check's write leaves nothing behind.
func TestReady(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lectern.db")
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("fresh store not ready: %v", err)
	}
	// A migration this build knows is missing (an older schema): not ready.
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	last := migrations[len(migrations)-1]
	if _, err := db.Exec("DELETE FROM schema_migrations WHERE version = ?", last.version); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); err == nil || !strings.Contains(err.Error(), "is not applied") {
		t.Fatalf("store with migration %d missing: %v, want not ready", last.version, err)
	}
}

// TestReadOnlyDatabaseRefused: a database file that cannot be written is
// refused at start with a clear message.
func TestReadOnlyDatabaseRefused(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes read-only files: run as another user")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "lectern.db")
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(path, 0o400); err != nil {
		t.Fatal(err)
	}
	_, err = OpenSQLite(path)
	if err == nil || !strings.Contains(err.Error(), "cannot be written") {
		t.Fatalf("read-only database opened: %v", err)
	}
}

// TestDatabaseFileMode: a new database file is readable by its owner only.
func TestDatabaseFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lectern.db")
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			continue // no WAL file yet
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %o, want 600", filepath.Base(p), mode)
		}
	}
}
