// Package store is Lectern's persistence: the only package that knows GORM and
// SQL. Its methods read like sentences (UserByEmail, CreateCourseVersion) and
// return the sentinel errors below, wrapped with context.
package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// Store wraps the database handles. Writes go through db, which has a
// single connection: SQLite allows one writer, and queueing writers in Go is
// fair and fast where SQLite's busy handler would make them sleep. Reads use
// rdb, a pool of read-only connections that WAL lets run beside the writer.
type Store struct {
	db  *gorm.DB
	rdb *gorm.DB
	now func() time.Time

	commits       chan *commitJob // see ApplyCommit
	stmts         *commitStmts
	committerErr  error
	committerOnce sync.Once
	committerDone chan struct{}
	closing       chan struct{}
	closeOnce     sync.Once
}

// read is the handle for queries that change nothing.
func (s *Store) read(ctx context.Context) *gorm.DB { return s.rdb.WithContext(ctx) }

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
	gcfg := &gorm.Config{
		Logger:                 logger.Default.LogMode(logger.Silent),
		SkipDefaultTransaction: true,
		PrepareStmt:            true,
		TranslateError:         true,
	}
	db, err := gorm.Open(sqlite.Open("file:"+path+"?"+q.Encode()), gcfg)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	w, err := db.DB()
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	s := &Store{db: db, rdb: db, now: func() time.Time { return time.Now().UTC() }, closing: make(chan struct{})}
	// The schema must exist before read-only connections open.
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, err
	}
	q.Set("_txlock", "deferred")
	q.Set("_query_only", "1")
	if s.rdb, err = gorm.Open(sqlite.Open("file:"+path+"?"+q.Encode()), gcfg); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s for reading: %w", path, err)
	}
	if r, err := s.rdb.DB(); err == nil {
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
	}
	return s, nil
}

// Close releases the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	if s.committerDone != nil {
		<-s.committerDone
	}
	var errs []error
	for _, g := range []*gorm.DB{s.rdb, s.db} {
		if sqlDB, err := g.DB(); err == nil {
			errs = append(errs, sqlDB.Close())
		}
		if s.rdb == s.db {
			break
		}
	}
	return errors.Join(errs...)
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
