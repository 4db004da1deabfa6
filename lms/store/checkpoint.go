package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
)

// SQLite's write-ahead log grows with every transaction until a checkpoint
// copies its pages into the database file. By default the connection that
// commits runs the checkpoint once the log passes 1,000 pages, inside the
// commit that crossed the line, so every few commit groups one group (and
// every learner waiting on it) also waits for the copy. Lectern's writer
// turns that off; a checkpointer on a connection of its own copies the log
// in the background. Its checkpoints are PASSIVE: they never wait for, or
// block, the writer or a reader, and copy what no reader still needs.
//
// The writer starts the log again from its beginning only when a
// transaction begins with all of the log copied. Under steady commits that
// never happens by itself: a PASSIVE checkpoint copies the log as it was
// when the checkpoint began, and the writer has added to it meanwhile. The
// log then grows without end (1.9 GB after 65,000 commits of the load
// generator), and every write extends the file, which the file system pays
// for in zeroed blocks (a fifth of the server's CPU in a profile). So the
// checkpointer repeats its pass while each pass leaves less behind, and when
// what the writer added during a pass is small (tailFrames), it takes the
// writer's only connection for one last short pass: the next transaction
// then finds the log fully copied and starts it again from the beginning.
// A writer waits at most for that last pass.
//
// Durability is the log's: a committed transaction is in the synced log
// whether or not a checkpoint has copied it yet.

// CheckpointEvery is how often the checkpointer copies the log.
const CheckpointEvery = 250 * time.Millisecond

// tailFrames is how many frames the writer may have added during a pass
// for the checkpointer to hold the writer for the last one; maxPasses bounds
// the passes of one round.
const (
	tailFrames = 1024 // 4 MB of 4 KB pages
	maxPasses  = 8
)

// journalSizeLimit is the size, in bytes, that a log which restarts from
// its beginning is cut back to when it has grown past it.
const journalSizeLimit = 64 << 20

// startCheckpointer opens the checkpointer's connection and runs it until
// the store closes. writer is the writer's pool of one connection.
func (s *Store) startCheckpointer(dsn string, cfg *gorm.Config, writer *sql.DB) error {
	db, err := gorm.Open(sqlite.Open(dsn), cfg)
	if err != nil {
		return fmt.Errorf("store: open the checkpointer's connection: %w", err)
	}
	c, err := db.DB()
	if err != nil {
		return err
	}
	c.SetMaxOpenConns(1)
	s.checkpointDone = make(chan struct{})
	go func() {
		defer close(s.checkpointDone)
		defer c.Close()
		t := time.NewTicker(CheckpointEvery)
		defer t.Stop()
		for {
			select {
			case <-s.closing:
				return
			case <-t.C:
				// A failed checkpoint loses nothing (the log keeps the
				// pages); the next tick tries again.
				s.checkpointRound(db, writer)
			}
		}
	}()
	return nil
}

// checkpointRound copies the log in passes until what the writer adds
// during a pass is small, then copies the rest with the writer held, so
// that the writer's next transaction starts the log again. When maxPasses
// do not get there (checkpoints slower than the writer), it holds the
// writer all the same: one longer wait, and a log that stays bounded.
func (s *Store) checkpointRound(db *gorm.DB, writer *sql.DB) {
	prev := -1 // the log's length when the previous pass began
	for range maxPasses {
		f, err := checkpoint(db)
		if err != nil {
			return
		}
		s.checkpoints.Add(1)
		if f[0] == 0 || f[1] < f[0] {
			return // empty, or a reader still needs frames: nothing to finish
		}
		if prev >= 0 && f[0]-prev <= tailFrames {
			break
		}
		prev = f[0]
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	held, err := writer.Conn(ctx) // the writer's only connection: no transaction runs meanwhile
	if err != nil {
		return
	}
	defer held.Close()
	if _, err := checkpoint(db); err == nil {
		s.checkpoints.Add(1)
		s.tailCheckpoints.Add(1)
	}
}

// checkpoint copies what it can of the log into the database file and
// returns the frames in the log and the frames copied.
func checkpoint(db *gorm.DB) ([2]int, error) {
	var busy int
	var frames [2]int
	err := db.WithContext(context.Background()).Raw("PRAGMA wal_checkpoint(PASSIVE)").Row().Scan(&busy, &frames[0], &frames[1])
	return frames, err
}
