package store

import (
	"context"
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
// block, the writer or a reader, and copy what no reader still needs; the
// writer starts the log again from its beginning once all of it is copied.
// Durability is the log's: a committed transaction is in the synced log
// whether or not a checkpoint has copied it yet.

// CheckpointEvery is how often the checkpointer copies the log.
const CheckpointEvery = 250 * time.Millisecond

// startCheckpointer opens the checkpointer's connection and runs it until
// the store closes.
func (s *Store) startCheckpointer(dsn string, cfg *gorm.Config) error {
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
				if _, err := checkpoint(db); err == nil {
					s.checkpoints.Add(1)
				}
			}
		}
	}()
	return nil
}

// checkpoint copies what it can of the log into the database file and
// returns the frames in the log and the frames copied.
func checkpoint(db *gorm.DB) ([2]int, error) {
	var busy int
	var frames [2]int
	err := db.WithContext(context.Background()).Raw("PRAGMA wal_checkpoint(PASSIVE)").Row().Scan(&busy, &frames[0], &frames[1])
	return frames, err
}
