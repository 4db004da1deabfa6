// Package store is Lectern's persistence: the only package that knows GORM and
// SQL. Its methods read like sentences (UserByEmail, CreateCourseVersion) and
// return the sentinel errors below, wrapped with context.
package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// Store wraps the database handle.
type Store struct {
	db  *gorm.DB
	now func() time.Time
}

// OpenSQLite opens (creating if needed) the SQLite database at path and brings
// its schema up to date.
//
// Durability and concurrency settings: WAL so readers never block the writer;
// synchronous=FULL so an acknowledged transaction survives power loss as well
// as a crash; a busy timeout instead of "database is locked" errors; every
// transaction starts IMMEDIATE, so two writers queue at BEGIN rather than
// failing on lock upgrade; foreign keys enforced.
func OpenSQLite(path string) (*Store, error) {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	db, err := gorm.Open(sqlite.Open(dsn), &gorm.Config{
		Logger:                 logger.Default.LogMode(logger.Silent),
		SkipDefaultTransaction: true,
		TranslateError:         true,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	s := &Store{db: db, now: func() time.Time { return time.Now().UTC() }}
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the database.
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// SetClock replaces the store's clock; tests use it to move time.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// Now is the store's notion of the current time (UTC).
func (s *Store) Now() time.Time { return s.now() }

func (s *Store) tx(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(fn)
}

// notFound turns GORM's record-not-found into ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrConflict
	}
	return err
}
