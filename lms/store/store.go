// Package store is Lectern's persistence: the only package that knows GORM and
// SQL. Its methods read like sentences (UserByEmail, CreateCourseVersion) and
// return the sentinel errors below, wrapped with context.
package store

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/driver/postgres"
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
//
// On PostgreSQL both are the same pool of connections: the server handles
// concurrent writers itself.
type Store struct {
	db  *gorm.DB
	rdb *gorm.DB
	now func() time.Time
	pg  bool // the database is PostgreSQL (else SQLite)

	commits       chan *commitJob // see ApplyCommit
	stmts         *commitStmts
	committerErr  error
	committerOnce sync.Once
	committerDone chan struct{}
	commitRetries int // see SetCommitRetries
	// groupReplays counts the commit groups run again with a savepoint per
	// commit because one of them was refused (see applyGroupOnce).
	groupReplays atomic.Int64
	// refusing: the last group run with savepoints had a refused commit,
	// so the next one starts with them (see applyGroupOnce).
	refusing   atomic.Bool
	launchKeys launchKeyCache // see applyCommit
	closing    chan struct{}
	closeOnce  sync.Once

	// SQLite: the background checkpointer (checkpoint.go) and how many
	// checkpoints it has run.
	checkpointDone chan struct{}
	checkpoints    atomic.Int64
	// tailCheckpoints counts the last passes run with the writer held.
	tailCheckpoints atomic.Int64

	// launchGen counts the launches ended here (terminated, superseded,
	// ended by a deactivation, swept): the content origin keeps a launch's
	// folder for a minute and looks again once this number moves.
	launchGen atomic.Int64

	// throttleSwept is when (Unix nanoseconds, store clock) this store
	// last swept expired sign-in failures.
	throttleSwept atomic.Int64
}

// LaunchGeneration changes whenever a launch stops being live in this
// process, so a cache of live launches knows when to look again.
func (s *Store) LaunchGeneration() int64 { return s.launchGen.Load() }

func (s *Store) launchesEnded() { s.launchGen.Add(1) }

// read is the handle for queries that change nothing.
func (s *Store) read(ctx context.Context) *gorm.DB { return s.rdb.WithContext(ctx) }

// Open opens the database that dsn names and brings its schema up to date:
// a postgres:// (or postgresql://) URL selects PostgreSQL; anything else is
// the path of an SQLite file, optionally written sqlite:PATH.
func Open(dsn string) (*Store, error) {
	if IsPostgres(dsn) {
		return OpenPostgres(dsn)
	}
	return OpenSQLite(strings.TrimPrefix(dsn, "sqlite:"))
}

// IsPostgres says whether dsn names a PostgreSQL database.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Dialect is "postgres" or "sqlite".
func (s *Store) Dialect() string {
	if s.pg {
		return "postgres"
	}
	return "sqlite"
}

// OpenPostgres opens the PostgreSQL database at url (through pgx) and brings
// its schema up to date. Every transaction is a PostgreSQL transaction at
// READ COMMITTED: the statements that need more (the commit path's launch
// row) lock the rows they read.
func OpenPostgres(url string) (*Store, error) {
	gcfg := &gorm.Config{
		Logger:                 logger.Default.LogMode(logger.Silent),
		SkipDefaultTransaction: true,
		TranslateError:         true,
	}
	db, err := gorm.Open(postgres.Open(url), gcfg)
	if err != nil {
		return nil, fmt.Errorf("store: open PostgreSQL: %w", redactURL(err, url))
	}
	w, err := db.DB()
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(16)
	w.SetMaxIdleConns(16)
	w.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, rdb: db, pg: true, now: func() time.Time { return time.Now().UTC() }, closing: make(chan struct{}),
		commitRetries: DefaultCommitRetries}
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// redactURL keeps a password in url out of err's text.
func redactURL(err error, raw string) error {
	u, perr := url.Parse(raw)
	if perr != nil || u.User == nil {
		return err
	}
	if p, ok := u.User.Password(); ok && p != "" {
		return errors.New(strings.ReplaceAll(err.Error(), p, "xxxxx"))
	}
	return err
}

// rebind turns the ? placeholders of q into PostgreSQL's $1, $2... for the
// statements that bypass GORM (which rebinds its own). A ? inside a quoted
// string or identifier is left alone.
func (s *Store) rebind(q string) string {
	if !s.pg {
		return q
	}
	var b strings.Builder
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
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
	// A new database file is the owner's only (0600), like session.key:
	// SQLite gives its -wal and -shm files the same mode.
	if f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600); err == nil {
		f.Close()
	}
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_txlock", "immediate")
	// No GORM PrepareStmt on the writer: its statement cache makes a
	// transaction that runs a statement wait for another goroutine's
	// preparation of it, and that preparation waits for the transaction's
	// connection, the writer's only one (TestWriterQueueNeverDeadlocks). The
	// commit path prepares its own statements on the writer (commitStmts).
	// The readers, which run no transactions and no query inside another,
	// keep the cache.
	gcfg := &gorm.Config{
		Logger:                 logger.Default.LogMode(logger.Silent),
		SkipDefaultTransaction: true,
		TranslateError:         true,
	}
	dsn := "file:" + path + "?" + q.Encode()
	db, err := gorm.Open(sqlite.Open(dsn), gcfg)
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
	// The writer leaves checkpoints to the checkpointer (checkpoint.go),
	// and cuts a log that restarts back to journalSizeLimit. Should its
	// connection ever be opened again, it checkpoints itself, as SQLite
	// does by default.
	for _, pragma := range []string{"PRAGMA wal_autocheckpoint = 0", fmt.Sprintf("PRAGMA journal_size_limit = %d", journalSizeLimit)} {
		if _, err := w.Exec(pragma); err != nil {
			w.Close()
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
	}
	s := &Store{db: db, rdb: db, now: func() time.Time { return time.Now().UTC() }, closing: make(chan struct{}),
		commitRetries: DefaultCommitRetries}
	// The schema must exist before read-only connections open.
	if err := s.migrate(context.Background()); err != nil {
		s.Close()
		return nil, err
	}
	q.Set("_txlock", "deferred")
	q.Set("_query_only", "1")
	rcfg := *gcfg
	rcfg.PrepareStmt = true
	if s.rdb, err = gorm.Open(sqlite.Open("file:"+path+"?"+q.Encode()), &rcfg); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: open %s for reading: %w", path, err)
	}
	if r, err := s.rdb.DB(); err == nil {
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
	}
	if err := s.startCheckpointer(dsn, gcfg, w); err != nil {
		s.Close()
		return nil, err
	}
	// A database that cannot be written (a read-only file or folder) would
	// answer every sign-in and commit with an error: refuse it now.
	if err := s.Ready(context.Background()); err != nil {
		s.Close()
		return nil, fmt.Errorf("store: %s cannot be written (is the file or its folder read-only?): %w", path, err)
	}
	return s, nil
}

// Close releases the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	if s.committerDone != nil {
		<-s.committerDone
	}
	if s.checkpointDone != nil {
		<-s.checkpointDone
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
