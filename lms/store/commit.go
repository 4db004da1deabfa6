package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// The run-time commit is Lectern's hot path. It runs on database/sql with
// statements prepared once on the writer (GORM would prepare them again in
// every transaction), in plain SQL that SQLite and PostgreSQL both accept (a
// PostgreSQL store rebinds ? to $n).

// CommitRequest is one batch of changes from a launch.
type CommitRequest struct {
	TokenHash string
	Seq       int64
	Terminate bool
	// StateID, when known, is the SCO's ScoState row (it never changes for
	// a launch), which saves a query.
	StateID uint
	// SingleSCO says the course has one launchable item: the attempt's
	// roll-up is then this SCO's row and needs no query.
	SingleSCO bool
	// Apply returns the SCO's new row and the journal of changes (JSON).
	// stored is the SCO's stored state: an Apply that has worked on a copy
	// of it already asks whether the copy is still what is stored (Is),
	// without reading it; otherwise it reads it (Load).
	Apply func(l *Launch, stored StoredState) (up *ScoUpdate, journal []byte, err error)
	// Sequence, when set (SCORM 2004 sequencing), gets the attempt's stored
	// activity tree (nil when none) and the SCO's new row, and returns the
	// sequencing state to write in the same transaction.
	Sequence func(l *Launch, up *ScoUpdate, tree []byte) (*SeqWrite, error)
	// MaxAttemptBytes, when positive, is the attempt's budget: the stored
	// run-time data of all its SCOs together. A commit that would take the
	// attempt past it, and grow it, is refused with *AttemptBudgetError
	// and changes nothing.
	MaxAttemptBytes int64
}

// StoredState is a SCO's stored run-time state, inside a commit's
// transaction.
type StoredState struct {
	Load func() ([]byte, error)       // reads it
	Is   func(b []byte) (bool, error) // says whether it is b, byte for byte
}

// AttemptBudgetError refuses a commit that would take an attempt's stored
// run-time data past its budget.
type AttemptBudgetError struct {
	Size, Max int64 // bytes the attempt would hold; its budget
}

func (e *AttemptBudgetError) Error() string {
	return fmt.Sprintf("the attempt's stored data would be %d bytes, over its budget of %d bytes", e.Size, e.Max)
}

// CommitResult says what happened to a commit.
type CommitResult struct {
	Launch    *Launch
	Duplicate bool // already applied: acknowledged again, nothing changed
}

// ApplyCommit applies one commit of a launch: sequence check, the SCO's new
// state, the journal row, the attempt's roll-up. A commit whose sequence
// number was already applied is acknowledged without being applied again;
// any other gap is refused.
//
// Commits from many learners are grouped: one writer goroutine applies every
// commit waiting in the queue inside one durable transaction. A refused
// commit changes nothing and does not affect the others: a group with a
// refusal runs again with each commit under its own savepoint. The caller
// returns only after the transaction is durable.
func (s *Store) ApplyCommit(ctx context.Context, req CommitRequest, ttl time.Duration, rollup AttemptRollup) (*CommitResult, error) {
	job := &commitJob{req: req, ttl: ttl, rollup: rollup, done: make(chan struct{})}
	if err := s.startCommitter(); err != nil {
		return nil, err
	}
	select {
	case s.commits <- job:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.closing:
		return nil, errors.New("store: closed")
	}
	<-job.done // once queued, a job always completes: its outcome is never half-known
	if job.err != nil {
		return nil, fmt.Errorf("store: commit: %w", job.err)
	}
	if req.Terminate && job.res != nil && !job.res.Duplicate {
		s.launchesEnded()
	}
	return job.res, nil
}

type commitJob struct {
	req    CommitRequest
	ttl    time.Duration
	rollup AttemptRollup
	res    *CommitResult
	err    error
	done   chan struct{}
}

// SequenceGapError is a commit whose number does not follow the last one.
type SequenceGapError struct{ Got, Want int64 }

func (e *SequenceGapError) Error() string {
	return fmt.Sprintf("%v: got %d, want %d", ErrSequence, e.Got, e.Want)
}
func (e *SequenceGapError) Unwrap() error { return ErrSequence }

// maxGroup bounds how many commits share one transaction.
const maxGroup = 128

// commitStmts are the prepared statements of the hot path.
type commitStmts struct {
	launch, advance, stateID, state, stateIs, updateState, journal, updateLaunch, states, updateAttempt, upsertShared *sql.Stmt
	ltiQueue, ltiMark, tree, upsertTree, upsertGlobal, stateSizes                                                     *sql.Stmt
}

func (s *Store) startCommitter() error {
	s.committerOnce.Do(func() {
		w, err := s.db.DB()
		if err != nil {
			s.committerErr = err
			return
		}
		prep := func(q string) *sql.Stmt {
			if err != nil {
				return nil
			}
			var st *sql.Stmt
			st, err = w.Prepare(s.rebind(q))
			return st
		}
		// On PostgreSQL other instances commit too: the launch row is locked
		// for the transaction, so commits of one launch apply one at a time
		// in sequence order and a replay sees the sequence number its twin
		// wrote (and is acknowledged as a duplicate, not applied twice).
		// SQLite has one writer: its transactions never overlap.
		lockLaunch := ""
		if s.pg {
			lockLaunch = " FOR UPDATE"
		}
		s.stmts = &commitStmts{
			launch: prep(`SELECT id, attempt_id, item_id, user_id, version_id, seq, started, terminated, superseded_at, expires_at, review
				FROM launches WHERE id = ?` + lockLaunch),
			// advance moves a live launch on to the commit's number in one
			// statement (it locks the row on PostgreSQL as FOR UPDATE does);
			// it changes no row when the commit is anything but the next
			// one of a started, live launch (see applyCommit). It returns
			// nothing: RETURNING made the statement eight times slower on
			// SQLite (56 µs against 6.4), and what the commit needs of the
			// launch besides never changes (launchKeys).
			advance: prep(`UPDATE launches SET seq = ?, terminated = ?, last_seen_at = ?, expires_at = ?
				WHERE id = ? AND seq = ? AND started AND NOT terminated AND superseded_at IS NULL AND expires_at > ?`),
			stateID: prep(`SELECT id FROM sco_states WHERE attempt_id = ? AND item_id = ?`),
			state:   prep(`SELECT state FROM sco_states WHERE id = ?`),
			stateIs: prep(`SELECT state = ? FROM sco_states WHERE id = ?`),
			updateState: prep(`UPDATE sco_states SET state = ?, completion = ?, success = ?, score_scaled = ?, score_raw = ?,
				progress_measure = ?, total_seconds = ?, updated_at = ? WHERE id = ?`),
			journal:      prep(`INSERT INTO commits (launch_id, attempt_id, item_id, seq, changes, terminate, at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			updateLaunch: prep(`UPDATE launches SET seq = ?, terminated = ?, last_seen_at = ?, expires_at = ? WHERE id = ?`),
			states: prep(`SELECT item_id, completion, success, score_scaled, score_raw, progress_measure, total_seconds, sessions
				FROM sco_states WHERE attempt_id = ?`),
			updateAttempt: prep(`UPDATE attempts SET completion = ?, success = ?, score_scaled = ?, score_raw = ?, progress_measure = ?,
				total_seconds = ?, last_access_at = ?, completed_at = COALESCE(completed_at, ?) WHERE id = ?`),
			upsertShared: prep(`INSERT INTO shared_values (user_id, scope_id, target_id, value, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (user_id, scope_id, target_id) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`),
			ltiQueue: prep(ltiQueueSQL),
			ltiMark:  prep(ltiMarkSQL),
			tree:     prep(`SELECT state FROM seq_trees WHERE attempt_id = ?`),
			stateSizes: prep(`SELECT COALESCE(SUM(CASE WHEN id = ? THEN 0 ELSE LENGTH(state) END), 0),
				COALESCE(SUM(CASE WHEN id = ? THEN LENGTH(state) ELSE 0 END), 0) FROM sco_states WHERE attempt_id = ?`),
			upsertTree: prep(`INSERT INTO seq_trees (attempt_id, state, updated_at) VALUES (?, ?, ?)
				ON CONFLICT (attempt_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`),
			upsertGlobal: prep(`INSERT INTO global_objectives (user_id, scope_id, target_id, state, updated_at) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (user_id, scope_id, target_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`),
		}
		if err != nil {
			s.committerErr = fmt.Errorf("store: prepare commit statements: %w", err)
			return
		}
		s.commits = make(chan *commitJob, maxGroup)
		s.committerDone = make(chan struct{})
		// SQLite has one writer connection: one committer. PostgreSQL
		// runs transactions side by side, and a committer spends most of
		// its time waiting for the server's answers, so several share the
		// queue there (the launch row lock orders commits of one launch).
		n := 1
		if s.pg {
			n = pgCommitters
		}
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.committer(w)
			}()
		}
		go func() {
			wg.Wait()
			close(s.committerDone)
		}()
	})
	return s.committerErr
}

// pgCommitters is how many committers apply commit groups at once on
// PostgreSQL, each in its own transaction on its own connection (of the
// pool's 16).
const pgCommitters = 4

// committer applies the queued commits, a group per transaction. It is the
// single writer of commits on SQLite; on PostgreSQL it is one of
// pgCommitters.
func (s *Store) committer(w *sql.DB) {
	batch := make([]*commitJob, 0, maxGroup)
	for {
		select {
		case <-s.closing:
			return
		case j := <-s.commits:
			batch = append(batch[:0], j)
		}
	fill:
		for len(batch) < maxGroup {
			select {
			case j := <-s.commits:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		s.applyGroup(w, batch)
	}
}

// DefaultCommitRetries is how many times a commit that PostgreSQL ended as
// a serialization failure or a deadlock is tried again (see SetCommitRetries).
const DefaultCommitRetries = 3

// SetCommitRetries sets how many times a run-time commit that the database
// ended as a serialization failure or a deadlock (PostgreSQL's SQLSTATE
// 40001 and 40P01: two instances' commit groups locked the same launches in
// opposite orders) is tried again before its error reaches the caller.
// Retrying is safe there: such a commit changed nothing, and commits are
// idempotent (a replay is acknowledged, never applied twice). Call it
// before the first commit.
func (s *Store) SetCommitRetries(n int) { s.commitRetries = max(n, 0) }

// retryable says whether err ended a transaction that can simply run again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// applyGroup applies a batch and completes its jobs; the jobs that the
// database ended as a serialization failure or deadlock go round again, up
// to the store's commit retries.
func (s *Store) applyGroup(w *sql.DB, batch []*commitJob) {
	for try := 0; ; try++ {
		s.applyGroupOnce(w, batch)
		again := batch[:0:0]
		for _, j := range batch {
			if try < s.commitRetries && retryable(j.err) {
				j.res, j.err = nil, nil
				again = append(again, j)
				continue
			}
			close(j.done)
		}
		if len(again) == 0 {
			return
		}
		batch = again
		time.Sleep(time.Duration(1+try) * 5 * time.Millisecond) // let the other transaction finish
	}
}

// applyGroupOnce applies a batch in one transaction and records each job's
// outcome (without completing the jobs).
func (s *Store) applyGroupOnce(w *sql.DB, batch []*commitJob) {
	if s.pg {
		// Lock the launch rows in one order, the same in every group of
		// every instance, so that two groups never wait for each other
		// in a circle. The sort is stable: commits of one launch keep
		// their order.
		slices.SortStableFunc(batch, func(a, b *commitJob) int { return strings.Compare(a.req.TokenHash, b.req.TokenHash) })
	}
	err := func() error {
		ctx := context.Background()
		tx, err := w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if len(batch) == 1 {
			// Alone in its transaction, a refused commit rolls the
			// transaction back: no savepoint needed.
			j := batch[0]
			if j.res, j.err = s.applyCommit(ctx, tx, j.req, j.ttl, j.rollup); j.err != nil {
				return nil
			}
			return tx.Commit()
		}
		// Commits are refused rarely: a group first runs without a
		// savepoint per commit. When one is refused, the transaction is
		// rolled back and the group runs again, each commit under its
		// own savepoint, so that the refusal changes nothing else. Groups
		// then keep their savepoints until one has no refusal: a learner
		// who sends refused commits back to back makes the writer pay a
		// savepoint per commit, not every group twice.
		if !s.refusing.Load() {
			if s.applyAll(ctx, tx, batch) {
				return tx.Commit()
			}
			if err := tx.Rollback(); err != nil {
				return err
			}
			s.groupReplays.Add(1)
			if tx, err = w.BeginTx(ctx, nil); err != nil {
				return err
			}
			defer tx.Rollback()
		}
		refused := false
		defer func() { s.refusing.Store(refused) }()
		for i, j := range batch {
			sp := fmt.Sprintf("c%d", i)
			if _, err := tx.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
				return err
			}
			j.res, j.err = s.applyCommit(ctx, tx, j.req, j.ttl, j.rollup)
			if j.err != nil {
				refused = true
				if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+sp); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT "+sp); err != nil {
				return err
			}
		}
		return tx.Commit()
	}()
	for _, j := range batch {
		if err != nil && j.err == nil {
			j.res, j.err = nil, err
		}
	}
}

// applyAll applies a group's commits in tx without savepoints and says
// whether every one was applied (or acknowledged as a duplicate). It stops
// at the first refusal, leaving the transaction to be rolled back.
func (s *Store) applyAll(ctx context.Context, tx *sql.Tx, batch []*commitJob) bool {
	for _, j := range batch {
		if j.res, j.err = s.applyCommit(ctx, tx, j.req, j.ttl, j.rollup); j.err != nil {
			return false
		}
	}
	return true
}

func (s *Store) applyCommit(ctx context.Context, tx *sql.Tx, req CommitRequest, ttl time.Duration, rollup AttemptRollup) (*CommitResult, error) {
	st := s.stmts
	now := s.now()
	l := Launch{ID: req.TokenHash, Seq: req.Seq, Started: true, Terminated: req.Terminate, LastSeenAt: now, ExpiresAt: now.Add(ttl)}
	// The next commit of a live launch, the usual case, moves the launch on
	// in one statement once the launch is known here. Anything else (a
	// replay, a gap, an ended launch, a launch not seen yet) reads the
	// launch, which says which.
	advanced := false
	if k, ok := s.launchKeys.get(l.ID); ok {
		res, err := tx.StmtContext(ctx, st.advance).ExecContext(ctx, l.Seq, l.Terminated, now, l.ExpiresAt, l.ID, req.Seq-1, now)
		if err != nil {
			return nil, err
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, err
		} else if n == 1 {
			advanced = true
			l.AttemptID, l.ItemID, l.UserID, l.VersionID, l.Review = k.attemptID, k.itemID, k.userID, k.versionID, k.review
		}
	}
	if !advanced {
		read, err := s.launchToCommit(ctx, tx, req)
		if err != nil {
			return nil, err
		}
		if l = read; l.Seq >= req.Seq {
			return &CommitResult{Launch: &l, Duplicate: true}, nil
		}
	}
	if l.Review {
		// Review: acknowledged in order, never stored.
		l.Seq, l.Terminated, l.LastSeenAt, l.ExpiresAt = req.Seq, req.Terminate, now, now.Add(ttl)
		if !advanced {
			if _, err := tx.StmtContext(ctx, st.updateLaunch).ExecContext(ctx, l.Seq, l.Terminated, now, l.ExpiresAt, l.ID); err != nil {
				return nil, err
			}
		}
		return &CommitResult{Launch: &l}, nil
	}
	rowID := req.StateID
	if rowID == 0 {
		err := tx.StmtContext(ctx, st.stateID).QueryRowContext(ctx, l.AttemptID, l.ItemID).Scan(&rowID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%w: no state for the launch", ErrSequence)
		} else if err != nil {
			return nil, err
		}
	}
	storedLen := int64(-1) // the stored state's size, once Apply has learnt it
	up, journal, err := req.Apply(&l, StoredState{
		Load: func() ([]byte, error) {
			var state []byte
			err := tx.StmtContext(ctx, st.state).QueryRowContext(ctx, rowID).Scan(&state)
			if err == nil {
				storedLen = int64(len(state))
			}
			return state, err
		},
		Is: func(b []byte) (bool, error) {
			var same sql.NullBool // NULL when b is nil
			err := tx.StmtContext(ctx, st.stateIs).QueryRowContext(ctx, b, rowID).Scan(&same)
			if err == nil && same.Valid && same.Bool {
				storedLen = int64(len(b))
			}
			return same.Valid && same.Bool, err
		},
	})
	if err != nil {
		return nil, err
	}
	if req.MaxAttemptBytes > 0 {
		var others, before int64
		if req.SingleSCO && storedLen >= 0 {
			// The attempt holds this SCO's row alone, whose size Apply
			// has just read or confirmed.
			before = storedLen
		} else if err := tx.StmtContext(ctx, st.stateSizes).QueryRowContext(ctx, rowID, rowID, l.AttemptID).Scan(&others, &before); err != nil {
			return nil, err
		}
		if after := others + int64(len(up.State)); after > req.MaxAttemptBytes && after > others+before {
			return nil, &AttemptBudgetError{Size: after, Max: req.MaxAttemptBytes}
		}
	}
	if _, err := tx.StmtContext(ctx, st.updateState).ExecContext(ctx, up.State, up.Completion, up.Success, up.ScoreScaled,
		up.ScoreRaw, up.ProgressMeasure, up.TotalSeconds, now, rowID); err != nil {
		return nil, err
	}
	if len(up.Shared) > 0 {
		scope := l.AttemptID // local to the attempt, or 0: the learner's across the system
		if up.SharedGlobal {
			scope = 0
		}
		for target, v := range up.Shared {
			if _, err := tx.StmtContext(ctx, st.upsertShared).ExecContext(ctx, l.UserID, scope, target, v, now); err != nil {
				return nil, err
			}
		}
	}
	if _, err := tx.StmtContext(ctx, st.journal).ExecContext(ctx, l.ID, l.AttemptID, l.ItemID, req.Seq, journal, req.Terminate, now); err != nil {
		return nil, err
	}
	if !advanced {
		l.Seq, l.Terminated, l.LastSeenAt, l.ExpiresAt = req.Seq, req.Terminate, now, now.Add(ttl)
		if _, err := tx.StmtContext(ctx, st.updateLaunch).ExecContext(ctx, l.Seq, l.Terminated, now, l.ExpiresAt, l.ID); err != nil {
			return nil, err
		}
	}
	var seqw *SeqWrite
	if req.Sequence != nil {
		tree, err := s.loadTreeSQL(ctx, tx, l.AttemptID)
		if err != nil {
			return nil, err
		}
		if seqw, err = req.Sequence(&l, up, tree); err != nil {
			return nil, err
		}
		if err := s.writeSeqSQL(ctx, tx, seqw, now); err != nil {
			return nil, err
		}
	}
	states, err := s.attemptStates(ctx, tx, l, req, up)
	if err != nil {
		return nil, err
	}
	sum := rollup(l.VersionID, states)
	if seqw != nil && seqw.Summary != nil {
		sum = seqw.Summary.over(sum)
	}
	var completedAt *time.Time
	if sum.Completion == "completed" {
		completedAt = &now // kept only the first time: see COALESCE
	}
	if _, err := tx.StmtContext(ctx, st.updateAttempt).ExecContext(ctx, sum.Completion, sum.Success, sum.ScoreScaled, sum.ScoreRaw,
		sum.ProgressMeasure, sum.TotalSeconds, now, completedAt, l.AttemptID); err != nil {
		return nil, err
	}
	// LTI grade outbox: a changed result is queued for the platform's
	// gradebook in this transaction (see lti_scores.go).
	if res, err := tx.StmtContext(ctx, st.ltiQueue).ExecContext(ctx, ltiQueueArgs(l.AttemptID, sum, now)...); err != nil {
		return nil, err
	} else if n, _ := res.RowsAffected(); n > 0 {
		if _, err := tx.StmtContext(ctx, st.ltiMark).ExecContext(ctx, ltiMarkArgs(l.AttemptID, sum)...); err != nil {
			return nil, err
		}
	}
	return &CommitResult{Launch: &l}, nil
}

// launchToCommit reads the launch of a commit that did not move it on and
// says why: the launch as stored when the commit is a replay (its number
// already applied), an error when it is refused. Should the launch read
// take the commit after all (it changed between the two statements), it is
// returned with the number before the commit's, and the commit goes on.
func (s *Store) launchToCommit(ctx context.Context, tx *sql.Tx, req CommitRequest) (Launch, error) {
	var l Launch
	err := tx.StmtContext(ctx, s.stmts.launch).QueryRowContext(ctx, req.TokenHash).Scan(
		&l.ID, &l.AttemptID, &l.ItemID, &l.UserID, &l.VersionID, &l.Seq, &l.Started, &l.Terminated, &l.SupersededAt, &l.ExpiresAt, &l.Review)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return l, ErrNotFound
	case err != nil:
		return l, err
	}
	s.launchKeys.put(l)
	if req.Seq <= l.Seq && req.Seq > 0 {
		return l, nil
	}
	if err := s.liveLaunch(&l); err != nil {
		return l, err
	}
	switch {
	case !l.Started:
		return l, fmt.Errorf("%w: the launch was not started", ErrSequence)
	case l.Terminated:
		return l, ErrLaunchEnded
	case req.Seq != l.Seq+1:
		return l, &SequenceGapError{Got: req.Seq, Want: l.Seq + 1}
	}
	return l, nil
}

// launchKeyCache holds, by launch, what the commit path needs of a launch
// row that never changes after it is made: its attempt, item, learner,
// course version and whether it is a review. A launch's id is the hash of a
// random token, never reused, so an entry is never wrong, only missing.
type launchKeyCache struct {
	mu sync.Mutex
	m  map[string]launchKey
}

type launchKey struct {
	attemptID, itemID, userID, versionID uint
	review                               bool
}

// maxLaunchKeys bounds the cache; when full it starts again empty.
const maxLaunchKeys = 20_000

func (c *launchKeyCache) get(id string) (launchKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.m[id]
	return k, ok
}

func (c *launchKeyCache) put(l Launch) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxLaunchKeys {
		c.m = make(map[string]launchKey)
	}
	c.m[l.ID] = launchKey{attemptID: l.AttemptID, itemID: l.ItemID, userID: l.UserID, versionID: l.VersionID, review: l.Review}
}

// attemptStates reads the summary of every SCO row of the attempt, or, for
// a course of one SCO, takes the row just written.
func (s *Store) attemptStates(ctx context.Context, tx *sql.Tx, l Launch, req CommitRequest, up *ScoUpdate) ([]ScoState, error) {
	if req.SingleSCO {
		return []ScoState{{ItemID: l.ItemID, Completion: up.Completion, Success: up.Success, ScoreScaled: up.ScoreScaled,
			ScoreRaw: up.ScoreRaw, ProgressMeasure: up.ProgressMeasure, TotalSeconds: up.TotalSeconds}}, nil
	}
	rows, err := tx.StmtContext(ctx, s.stmts.states).QueryContext(ctx, l.AttemptID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var states []ScoState
	for rows.Next() {
		var r ScoState
		if err := rows.Scan(&r.ItemID, &r.Completion, &r.Success, &r.ScoreScaled, &r.ScoreRaw, &r.ProgressMeasure, &r.TotalSeconds, &r.Sessions); err != nil {
			return nil, err
		}
		states = append(states, r)
	}
	return states, rows.Err()
}
