// Package storetest opens the store for tests of other packages: the SQLite
// file they name, or a fresh PostgreSQL database per test when
// LECTERN_TEST_POSTGRES is set (see store.TestDSN).
package storetest

import (
	"testing"

	"github.com/lectern/lectern/lms/store"
)

// DSN is the database a test should use in place of the SQLite file at
// path; a PostgreSQL database is dropped when the test ends, after the
// cleanups registered later (closing the store) have run.
func DSN(t testing.TB, path string) string {
	t.Helper()
	dsn, drop, err := store.TestDSN(path)
	if err != nil {
		t.Fatalf("test database (%s): %v", store.TestPostgresEnv, err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("dropping the test database: %v", err)
		}
	})
	return dsn
}

// Open opens the store for a test (see DSN) and closes it when the test ends.
func Open(t testing.TB, path string) *store.Store {
	t.Helper()
	st, err := store.Open(DSN(t, path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}
