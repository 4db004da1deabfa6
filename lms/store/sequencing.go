package store

// The SCORM 2004 sequencing state of attempts: the activity tree of each
// attempt (as the sequencing engine stores it) and the learners' global
// objectives. The store keeps them as opaque JSON; lms/runtime gives them
// meaning. They are written in the same transaction as the commit, launch
// or navigation that changed them.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// SeqTree is the sequencing state (activity tree) of one attempt.
type SeqTree struct {
	AttemptID uint      `gorm:"primaryKey;autoIncrement:false"`
	Attempt   Attempt   `gorm:"constraint:OnDelete:CASCADE"`
	State     []byte    `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// GlobalObjective is one shared objective (imsss:mapInfo targetObjectiveID)
// of a learner: across all courses (ScopeID 0, objectivesGlobalToSystem) or
// within one attempt (ScopeID is the attempt).
type GlobalObjective struct {
	UserID    uint      `gorm:"primaryKey;autoIncrement:false"`
	ScopeID   uint      `gorm:"primaryKey;autoIncrement:false"`
	TargetID  string    `gorm:"primaryKey;size:4000"`
	State     []byte    `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// SeqWrite is the sequencing state a change leaves behind.
type SeqWrite struct {
	AttemptID uint
	Tree      []byte            // the whole tree; nil: unchanged
	UserID    uint              // whose global objectives
	ScopeID   uint              // 0: global to system; else the attempt
	Globals   map[string][]byte // changed global objectives by target id
	// Summary, when set, is the attempt's result from the root activity;
	// it replaces the completion, success and scores of the roll-up from
	// the SCO rows (the total time still adds up the SCOs).
	Summary *AttemptSummary
	// KeepLaunch: the navigation delivered nothing and the session goes
	// on, so the ended launch stays usable for the next navigation request.
	KeepLaunch bool
}

// SeqTreeOf returns an attempt's stored tree; ErrNotFound when the attempt
// has none yet.
func (s *Store) SeqTreeOf(ctx context.Context, attemptID uint) ([]byte, error) {
	var row SeqTree
	if err := s.read(ctx).First(&row, "attempt_id = ?", attemptID).Error; err != nil {
		return nil, fmt.Errorf("store: sequencing state of attempt %d: %w", attemptID, notFound(err))
	}
	return row.State, nil
}

// GlobalObjectives returns a learner's global objectives in a scope.
func (s *Store) GlobalObjectives(ctx context.Context, userID, scopeID uint) (map[string][]byte, error) {
	var rows []GlobalObjective
	if err := s.read(ctx).Where("user_id = ? AND scope_id = ?", userID, scopeID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: global objectives: %w", err)
	}
	out := make(map[string][]byte, len(rows))
	for _, r := range rows {
		out[r.TargetID] = r.State
	}
	return out, nil
}

// SaveSeq writes sequencing state in its own transaction.
func (s *Store) SaveSeq(ctx context.Context, w *SeqWrite) error {
	err := s.tx(ctx, func(tx *gorm.DB) error { return s.writeSeq(tx, w, s.now()) })
	if err != nil {
		return fmt.Errorf("store: save sequencing state: %w", err)
	}
	return nil
}

// writeSeq writes sequencing state inside a GORM transaction.
func (s *Store) writeSeq(tx *gorm.DB, w *SeqWrite, now time.Time) error {
	if w == nil {
		return nil
	}
	if w.Tree != nil {
		if err := tx.Exec(`INSERT INTO seq_trees (attempt_id, state, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (attempt_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
			w.AttemptID, w.Tree, now).Error; err != nil {
			return err
		}
	}
	for id, st := range w.Globals {
		if err := tx.Exec(`INSERT INTO global_objectives (user_id, scope_id, target_id, state, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (user_id, scope_id, target_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
			w.UserID, w.ScopeID, id, st, now).Error; err != nil {
			return err
		}
	}
	return nil
}

// writeSeqSQL is writeSeq on the commit path's database/sql transaction.
func (s *Store) writeSeqSQL(ctx context.Context, tx *sql.Tx, w *SeqWrite, now time.Time) error {
	if w == nil {
		return nil
	}
	if w.Tree != nil {
		if _, err := tx.StmtContext(ctx, s.stmts.upsertTree).ExecContext(ctx, w.AttemptID, w.Tree, now); err != nil {
			return err
		}
	}
	for id, st := range w.Globals {
		if _, err := tx.StmtContext(ctx, s.stmts.upsertGlobal).ExecContext(ctx, w.UserID, w.ScopeID, id, st, now); err != nil {
			return err
		}
	}
	return nil
}

// loadTreeSQL reads an attempt's tree inside the commit transaction (nil
// when there is none).
func (s *Store) loadTreeSQL(ctx context.Context, tx *sql.Tx, attemptID uint) ([]byte, error) {
	var state []byte
	err := tx.StmtContext(ctx, s.stmts.tree).QueryRowContext(ctx, attemptID).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return state, err
}
