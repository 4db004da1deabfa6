package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// TestPostgresEnv names the variable that makes tests run on PostgreSQL:
// a server URL (postgres://user@host:port/db?sslmode=disable), or "require"
// for the local server's default one. When it is set, a test that cannot
// reach the server fails; it never falls back to SQLite.
const TestPostgresEnv = "LECTERN_TEST_POSTGRES"

// DefaultTestPostgres is the server that TestPostgresEnv=require means.
const DefaultTestPostgres = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// TestDSN is the database a test should open: the SQLite file at path, or,
// when TestPostgresEnv is set, a new empty PostgreSQL database that drop
// removes (drop is never nil).
func TestDSN(path string) (dsn string, drop func() error, err error) {
	server := os.Getenv(TestPostgresEnv)
	if server == "" {
		return path, func() error { return nil }, nil
	}
	if !IsPostgres(server) {
		server = DefaultTestPostgres
	}
	tmpl, err := testTemplate(server)
	if err != nil {
		return "", nil, err
	}
	return createDatabase(server, "lectern_test_", tmpl)
}

// testTemplate is a migrated database that test databases are copied from
// (copying is much faster than migrating), one per test binary: it is named
// after the binary's hash, so a change of code never meets an old schema.
// Templates older than a day are dropped when a new one is made.
func testTemplate(server string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	_, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return "", err
	}
	name := "lectern_tmpl_" + hex.EncodeToString(h.Sum(nil))[:16]
	ctx := context.Background()
	db, err := adminDB(server)
	if err != nil {
		return "", err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("store: test template: %w", redactURL(err, server))
	}
	defer conn.Close()
	// One process at a time makes templates (CREATE DATABASE cannot run in
	// a transaction, so the lock is the session's).
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", templateLockKey); err != nil {
		return "", fmt.Errorf("store: test template: %w", err)
	}
	defer conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1)", templateLockKey)
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		return "", err
	}
	if n > 0 {
		return name, nil
	}
	// Old templates: their binaries are gone or will be rebuilt.
	rows, err := conn.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'lectern\_tmpl\_%'
		AND COALESCE(shobj_description(oid, 'pg_database'), '') < $1`, fmt.Sprint(time.Now().Add(-24*time.Hour).Unix()))
	if err != nil {
		return "", err
	}
	var old []string
	for rows.Next() {
		var d string
		if rows.Scan(&d) == nil {
			old = append(old, d)
		}
	}
	rows.Close()
	for _, d := range old {
		conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+d+" WITH (FORCE)")
	}
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("store: test template: %w", err)
	}
	u, _ := url.Parse(server)
	u.Path = "/" + name
	st, err := OpenPostgres(u.String())
	if err == nil {
		err = st.Close()
	}
	if err != nil {
		conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return "", fmt.Errorf("store: test template: %w", err)
	}
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("COMMENT ON DATABASE %s IS '%d'", name, time.Now().Unix())); err != nil {
		return "", err
	}
	return name, nil
}

// templateLockKey is the advisory lock held while a test template is made.
const templateLockKey = 0x4c65637465726e02

// CreateTempDatabase creates a database with a random name that starts
// with prefix on the PostgreSQL server at serverURL (whose own database is
// used only to run CREATE and DROP). It returns the new database's URL and
// a function that drops it, connections and all.
func CreateTempDatabase(serverURL, prefix string) (dsn string, drop func() error, err error) {
	return createDatabase(serverURL, prefix, "")
}

func adminDB(serverURL string) (*sql.DB, error) {
	db, err := gorm.Open(postgres.Open(serverURL), &gorm.Config{Logger: logger.Default.LogMode(logger.Silent)})
	if err != nil {
		return nil, redactURL(err, serverURL)
	}
	return db.DB()
}

// createDatabase is CreateTempDatabase, copying the database template when
// one is named.
func createDatabase(serverURL, prefix, template string) (dsn string, drop func() error, err error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", nil, fmt.Errorf("store: PostgreSQL URL: %w", err)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	name := prefix + hex.EncodeToString(b[:])
	if strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
		return "", nil, errors.New("store: a database name takes lower-case letters, digits and _")
	}
	admin := func(q string) error {
		db, err := adminDB(serverURL)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.ExecContext(context.Background(), q)
		return err
	}
	create := "CREATE DATABASE " + name
	if template != "" {
		create += " TEMPLATE " + template
	}
	if err := admin(create); err != nil {
		return "", nil, fmt.Errorf("store: create database %s: %w", name, err)
	}
	u.Path = "/" + name
	return u.String(), func() error { return admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") }, nil
}
