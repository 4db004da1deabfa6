package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Run-time errors the content origin maps to answers.
var (
	ErrLaunchExpired    = errors.New("launch expired")
	ErrLaunchSuperseded = errors.New("launch taken over by a newer window")
	ErrLaunchEnded      = errors.New("launch already terminated")
	ErrSequence         = errors.New("commit out of sequence")
)

// ErrNoAttemptsLeft: the learner has made the most attempts the course allows.
var ErrNoAttemptsLeft = errors.New("no attempts left")

// OpenAttempt returns the learner's open attempt on a course, creating one on
// the course's current version when there is none.
func (s *Store) OpenAttempt(ctx context.Context, userID, courseID uint) (*Attempt, bool, error) {
	return s.OpenAttemptWithin(ctx, userID, courseID, 0, time.Time{})
}

// OpenAttemptWithin is OpenAttempt when at most max attempts may start at
// or after since (max 0: no limit): a new attempt beyond it is refused with
// ErrNoAttemptsLeft. The count is made in the transaction that creates the
// attempt, so two windows cannot both take the last one.
func (s *Store) OpenAttemptWithin(ctx context.Context, userID, courseID uint, max int, since time.Time) (*Attempt, bool, error) {
	return s.openAttempt(ctx, userID, courseID, max, since, false)
}

// StartNewAttempt starts a new attempt (within max since since, as
// OpenAttemptWithin) when the open one is finished, closing it; an open
// attempt that is not finished is returned as it is.
func (s *Store) StartNewAttempt(ctx context.Context, userID, courseID uint, max int, since time.Time) (*Attempt, bool, error) {
	return s.openAttempt(ctx, userID, courseID, max, since, true)
}

func (s *Store) openAttempt(ctx context.Context, userID, courseID uint, max int, since time.Time, fresh bool) (*Attempt, bool, error) {
	var a Attempt
	created := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var c Course
		if err := tx.First(&c, courseID).Error; err != nil {
			return err
		}
		// Drafts and archived courses run only as admins' test launches.
		if c.Status == CourseDraft || c.Status == CourseArchived {
			return fmt.Errorf("course %d is %s: %w", courseID, c.Status, ErrNotFound)
		}
		err := tx.Where("user_id = ? AND course_id = ? AND closed = ?", userID, courseID, false).
			Order("number DESC").First(&a).Error
		if err == nil && fresh && a.Completion == "completed" {
			if err := tx.Model(&Attempt{}).Where("id = ?", a.ID).Update("closed", true).Error; err != nil {
				return err
			}
			err = gorm.ErrRecordNotFound
		}
		if err == nil {
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if max > 0 {
			var n int64
			if err := tx.Model(&Attempt{}).Where("user_id = ? AND course_id = ? AND started_at >= ?", userID, courseID, since).Count(&n).Error; err != nil {
				return err
			}
			if n >= int64(max) {
				return ErrNoAttemptsLeft
			}
		}
		if c.CurrentVersionID == nil {
			return fmt.Errorf("course %d has no content: %w", courseID, ErrNotFound)
		}
		var last int
		if err := tx.Model(&Attempt{}).Where("user_id = ? AND course_id = ?", userID, courseID).
			Select("COALESCE(MAX(number), 0)").Scan(&last).Error; err != nil {
			return err
		}
		now := s.now()
		a = Attempt{UserID: userID, CourseID: courseID, VersionID: *c.CurrentVersionID, Number: last + 1,
			Completion: "not attempted", Success: "unknown", StartedAt: now, LastAccessAt: now}
		created = true
		return tx.Create(&a).Error
	})
	if err != nil {
		return nil, false, fmt.Errorf("store: open attempt: %w", notFound(err))
	}
	return &a, created, nil
}

// LatestAttempt returns a learner's most recent attempt on a course.
func (s *Store) LatestAttempt(ctx context.Context, userID, courseID uint) (*Attempt, error) {
	var a Attempt
	if err := s.read(ctx).Where("user_id = ? AND course_id = ?", userID, courseID).Order("number DESC").First(&a).Error; err != nil {
		return nil, fmt.Errorf("store: latest attempt: %w", notFound(err))
	}
	return &a, nil
}

// AttemptByID finds an attempt.
func (s *Store) AttemptByID(ctx context.Context, id uint) (*Attempt, error) {
	var a Attempt
	if err := s.read(ctx).First(&a, id).Error; err != nil {
		return nil, fmt.Errorf("store: attempt %d: %w", id, notFound(err))
	}
	return &a, nil
}

// ScoStates returns the run-time rows of an attempt.
func (s *Store) ScoStates(ctx context.Context, attemptID uint) ([]ScoState, error) {
	var out []ScoState
	err := s.read(ctx).Where("attempt_id = ?", attemptID).Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: states of attempt %d: %w", attemptID, err)
	}
	return out, nil
}

// CreateLaunch records a new delivery of item in attempt under the hash of
// its token, and makes item the attempt's current item (a review launch
// changes nothing of the attempt).
//
// seq, when given, is sequencing state to write in the same transaction.
func (s *Store) CreateLaunch(ctx context.Context, tokenHash string, a *Attempt, itemID uint, ttl time.Duration, review bool, seq ...*SeqWrite) (*Launch, error) {
	now := s.now()
	l := &Launch{ID: tokenHash, AttemptID: a.ID, ItemID: itemID, UserID: a.UserID, VersionID: a.VersionID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(ttl), Review: review}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(l).Error; err != nil {
			return err
		}
		if review {
			return nil
		}
		for _, w := range seq {
			if err := s.writeSeq(tx, w, now); err != nil {
				return err
			}
		}
		return tx.Model(&Attempt{}).Where("id = ?", a.ID).
			Updates(map[string]any{"current_item_id": itemID, "suspended": false, "last_access_at": now}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: create launch: %w", err)
	}
	return l, nil
}

// LaunchByToken finds a live launch: not expired, not superseded.
func (s *Store) LaunchByToken(ctx context.Context, tokenHash string) (*Launch, error) {
	var l Launch
	if err := s.read(ctx).Preload("Attempt").First(&l, "id = ?", tokenHash).Error; err != nil {
		return nil, fmt.Errorf("store: launch: %w", notFound(err))
	}
	if err := s.liveLaunch(&l); err != nil {
		return nil, fmt.Errorf("store: launch: %w", err)
	}
	return &l, nil
}

func (s *Store) liveLaunch(l *Launch) error {
	switch {
	case l.SupersededAt != nil:
		return ErrLaunchSuperseded
	case !l.ExpiresAt.After(s.now()):
		return ErrLaunchExpired
	}
	return nil
}

// ScoUpdate is what a start or commit writes to a SCO's row.
type ScoUpdate struct {
	State           []byte
	Completion      string
	Success         string
	ScoreScaled     *float64
	ScoreRaw        *float64
	ProgressMeasure *float64
	TotalSeconds    float64
	Shared          map[string]string // adl.data targets written, by target id
	SharedGlobal    bool              // the stores are the learner's across all courses (sharedDataGlobalToSystem)
}

// over puts a sequencing result (completion, success, scores, progress)
// over a roll-up of the SCO rows, keeping the rows' total time.
func (sum *AttemptSummary) over(rows AttemptSummary) AttemptSummary {
	out := *sum
	out.TotalSeconds = rows.TotalSeconds
	return out
}

// AttemptRollup computes an attempt's summary from all its SCO rows.
type AttemptRollup func(versionID uint, states []ScoState) AttemptSummary

// AttemptSummary is the attempt's columns after a roll-up.
type AttemptSummary struct {
	Completion      string
	Success         string
	ScoreScaled     *float64
	ScoreRaw        *float64
	ProgressMeasure *float64
	TotalSeconds    float64
}

func (u *ScoUpdate) apply(st *ScoState, now time.Time) {
	st.State, st.Completion, st.Success = u.State, u.Completion, u.Success
	st.ScoreScaled, st.ScoreRaw, st.ProgressMeasure = u.ScoreScaled, u.ScoreRaw, u.ProgressMeasure
	st.TotalSeconds, st.UpdatedAt = u.TotalSeconds, now
}

// StartLaunch begins the run-time session of a launch: every other live launch
// of the same SCO in the attempt is superseded (a second window takes over),
// and begin turns the SCO's previous state (nil on first launch) into the
// session's state, which is saved.
//
// seq, when given, is sequencing state to write in the same transaction.
func (s *Store) StartLaunch(ctx context.Context, tokenHash string, ttl time.Duration, rollup AttemptRollup,
	begin func(l *Launch, prev *ScoState) (*ScoUpdate, error), seq ...*SeqWrite) (*Launch, error) {
	var l Launch
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Preload("Attempt").First(&l, "id = ?", tokenHash).Error; err != nil {
			return err
		}
		if err := s.liveLaunch(&l); err != nil {
			return err
		}
		if l.Terminated {
			return ErrLaunchEnded // a terminated session is final: never started again
		}
		now := s.now()
		if !l.Review {
			// A review window takes over nothing: the learner's own window
			// of the same SCO keeps running.
			if err := tx.Model(&Launch{}).
				Where("attempt_id = ? AND item_id = ? AND id <> ? AND superseded_at IS NULL AND review = ?", l.AttemptID, l.ItemID, l.ID, false).
				Update("superseded_at", now).Error; err != nil {
				return err
			}
		}
		var st ScoState
		err := tx.Where("attempt_id = ? AND item_id = ?", l.AttemptID, l.ItemID).First(&st).Error
		var prev *ScoState
		switch {
		case err == nil:
			prev = &st
		case errors.Is(err, gorm.ErrRecordNotFound):
			st = ScoState{AttemptID: l.AttemptID, ItemID: l.ItemID}
		default:
			return err
		}
		up, err := begin(&l, prev)
		if err != nil {
			return err
		}
		l.Started, l.Terminated, l.LastSeenAt, l.ExpiresAt = true, false, now, now.Add(ttl)
		if l.Review {
			// Review stores nothing of the SCO's: the attempt stays as it was.
			return tx.Model(&Launch{}).Where("id = ?", l.ID).Updates(map[string]any{
				"started": true, "terminated": false, "last_seen_at": now, "expires_at": l.ExpiresAt,
			}).Error
		}
		up.apply(&st, now)
		st.Sessions++
		if err := tx.Save(&st).Error; err != nil {
			return err
		}
		l.StateID = st.ID
		if err := tx.Model(&Launch{}).Where("id = ?", l.ID).Updates(map[string]any{
			"started": true, "terminated": false, "last_seen_at": now, "expires_at": l.ExpiresAt,
		}).Error; err != nil {
			return err
		}
		for _, w := range seq {
			if err := s.writeSeq(tx, w, now); err != nil {
				return err
			}
		}
		return s.rollUp(tx, l.AttemptID, l.VersionID, rollup, now)
	})
	if err != nil {
		return nil, fmt.Errorf("store: start launch: %w", notFound(err))
	}
	s.launchesEnded() // other windows of the SCO were superseded
	return &l, nil
}

// rollUp recomputes the attempt's summary columns from its SCO rows.
func (s *Store) rollUp(tx *gorm.DB, attemptID, versionID uint, rollup AttemptRollup, now time.Time) error {
	var states []ScoState
	if err := tx.Raw(`SELECT item_id, completion, success, score_scaled, score_raw, progress_measure, total_seconds, sessions
		FROM sco_states WHERE attempt_id = ?`, attemptID).Scan(&states).Error; err != nil {
		return err
	}
	sum := rollup(versionID, states)
	var completedAt *time.Time
	if sum.Completion == "completed" {
		completedAt = &now // kept only the first time: see COALESCE
	}
	if err := tx.Exec(`UPDATE attempts SET completion = ?, success = ?, score_scaled = ?, score_raw = ?, progress_measure = ?,
		total_seconds = ?, last_access_at = ?, completed_at = COALESCE(completed_at, ?) WHERE id = ?`,
		sum.Completion, sum.Success, sum.ScoreScaled, sum.ScoreRaw, sum.ProgressMeasure, sum.TotalSeconds, now, completedAt, attemptID).Error; err != nil {
		return err
	}
	return queueLTIScores(tx, attemptID, sum, now) // LTI grade outbox, same transaction
}

// EndLaunch closes a launch whose SCO went away, with end applied to its
// state if the SCO had not terminated (the LMS ends the session for it). The
// attempt is marked suspended or closed as the navigation decided.
//
// seq, when given, is sequencing state to write in the same transaction.
func (s *Store) EndLaunch(ctx context.Context, tokenHash string, rollup AttemptRollup,
	end func(st *ScoState) (*ScoUpdate, error), suspend, close bool, seq ...*SeqWrite) (*Launch, error) {
	var l Launch
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&l, "id = ?", tokenHash).Error; err != nil {
			return err
		}
		if err := s.liveLaunch(&l); err != nil {
			return err
		}
		now := s.now()
		if l.Review {
			l.Terminated = true
			return tx.Model(&Launch{}).Where("id = ?", l.ID).Updates(map[string]any{
				"terminated": true, "expires_at": now, "last_seen_at": now,
			}).Error
		}
		// A SCO that terminated keeps its state, unless the learner suspends:
		// then it is marked suspended whatever the SCO said on leaving.
		if l.Started && (!l.Terminated || suspend) {
			var st ScoState
			if err := tx.Where("attempt_id = ? AND item_id = ?", l.AttemptID, l.ItemID).First(&st).Error; err != nil {
				return err
			}
			up, err := end(&st)
			if err != nil {
				return err
			}
			up.apply(&st, now)
			if err := tx.Save(&st).Error; err != nil {
				return err
			}
		}
		l.Terminated = true
		expires := now
		for _, w := range seq {
			if w != nil && w.KeepLaunch {
				expires = l.ExpiresAt
			}
		}
		if err := tx.Model(&Launch{}).Where("id = ?", l.ID).Updates(map[string]any{
			"terminated": true, "expires_at": expires, "last_seen_at": now,
		}).Error; err != nil {
			return err
		}
		for _, w := range seq {
			if err := s.writeSeq(tx, w, now); err != nil {
				return err
			}
		}
		if err := s.rollUp(tx, l.AttemptID, l.VersionID, rollup, now); err != nil {
			return err
		}
		return tx.Model(&Attempt{}).Where("id = ?", l.AttemptID).
			Updates(map[string]any{"suspended": suspend, "closed": close}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: end launch: %w", notFound(err))
	}
	s.launchesEnded()
	return &l, nil
}

// LaunchContent is what the content origin needs to serve a live launch's
// files.
type LaunchContent struct {
	Dir       string    // the course version's content folder, relative to the content root
	ExpiresAt time.Time // the launch is live until then, unless it ends first
}

// ContentOfLaunch returns the content folder (relative) of a live launch's
// course version; the content origin serves files from it. A launch that
// expired, was superseded or terminated serves nothing: ErrLaunchExpired,
// ErrLaunchSuperseded or ErrLaunchEnded.
func (s *Store) ContentOfLaunch(ctx context.Context, tokenHash string) (*LaunchContent, error) {
	var row struct {
		ContentDir   string
		ExpiresAt    time.Time
		SupersededAt *time.Time
		Terminated   bool
	}
	err := s.read(ctx).Table("launches l").
		Select("v.content_dir, l.expires_at, l.superseded_at, l.terminated").
		Joins("JOIN attempts a ON a.id = l.attempt_id").
		Joins("JOIN course_versions v ON v.id = a.version_id").
		Where("l.id = ?", tokenHash).Scan(&row).Error
	if err != nil {
		return nil, fmt.Errorf("store: launch content: %w", err)
	}
	if row.ContentDir == "" {
		return nil, fmt.Errorf("store: launch content: %w", ErrNotFound)
	}
	if err := s.liveLaunch(&Launch{ExpiresAt: row.ExpiresAt, SupersededAt: row.SupersededAt}); err != nil {
		return nil, fmt.Errorf("store: launch content: %w", err)
	}
	if row.Terminated {
		return nil, fmt.Errorf("store: launch content: %w", ErrLaunchEnded)
	}
	return &LaunchContent{Dir: row.ContentDir, ExpiresAt: row.ExpiresAt}, nil
}

// DeleteOldLaunches removes the rows of launches that expired before
// before (the attempt's journal keeps its commits, which name the launch),
// and returns how many went.
func (s *Store) DeleteOldLaunches(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("expires_at < ?", before).Delete(&Launch{})
		n = res.RowsAffected
		return res.Error
	})
	if err != nil {
		return 0, fmt.Errorf("store: delete old launches: %w", err)
	}
	if n > 0 {
		s.launchesEnded()
	}
	return n, nil
}

// VersionOfLaunch returns the course version a launch belongs to, whether or
// not the launch is still live.
func (s *Store) VersionOfLaunch(ctx context.Context, tokenHash string) (*CourseVersion, error) {
	var v CourseVersion
	err := s.read(ctx).Table("course_versions").Select("course_versions.*").
		Joins("JOIN attempts a ON a.version_id = course_versions.id").
		Joins("JOIN launches l ON l.attempt_id = a.id").
		Where("l.id = ?", tokenHash).Take(&v).Error
	if err != nil {
		return nil, fmt.Errorf("store: version of launch: %w", notFound(err))
	}
	return &v, nil
}

// SharedValues returns the learner's adl.data stores in a scope (an attempt,
// or 0 for the stores global to the system).
func (s *Store) SharedValues(ctx context.Context, userID, scopeID uint) (map[string]string, error) {
	var rows []SharedValue
	if err := s.read(ctx).Where("user_id = ? AND scope_id = ?", userID, scopeID).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: shared data: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.TargetID] = r.Value
	}
	return out, nil
}

// AttemptSituation is where a learner stands in a course, for choosing
// between resuming, reviewing and starting again.
type AttemptSituation struct {
	Rules      CourseRules
	Enrolment  *Enrolment // nil when the learner is not enrolled
	CycleStart time.Time  // start of the enrolment's current cycle (zero: not enrolled)
	Open       *Attempt   // the open attempt, if any
	Latest     *Attempt   // the latest attempt, if any
	Finished   *Attempt   // the latest finished (completed) attempt of the current cycle
	Counting   *Attempt   // the attempt that counts for the enrolment, if any
	InCycle    int        // attempts started in the current cycle
}

// MayStart tells whether the course allows the learner another attempt.
func (s *AttemptSituation) MayStart() bool {
	return s.Rules.MaxAttempts == 0 || s.InCycle < s.Rules.MaxAttempts
}

// ReviewAttempt is the attempt a review shows: the one that counts, else
// the latest finished one, else none.
func (s *AttemptSituation) ReviewAttempt() *Attempt {
	if s.Counting != nil {
		return s.Counting
	}
	return s.Finished
}

// AttemptSituation reads a learner's attempts at a course with its rules.
func (s *Store) AttemptSituation(ctx context.Context, userID, courseID uint) (*AttemptSituation, error) {
	var c Course
	if err := s.read(ctx).First(&c, courseID).Error; err != nil {
		return nil, fmt.Errorf("store: course %d: %w", courseID, notFound(err))
	}
	out := &AttemptSituation{Rules: RulesOf(&c)}
	var e Enrolment
	err := s.read(ctx).Where("user_id = ? AND course_id = ?", userID, courseID).First(&e).Error
	switch {
	case err == nil:
		out.Enrolment, out.CycleStart = &e, e.EnrolledAt
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return nil, fmt.Errorf("store: enrolment: %w", err)
	}
	var as []Attempt
	if err := s.read(ctx).Where("user_id = ? AND course_id = ?", userID, courseID).Order("number").Find(&as).Error; err != nil {
		return nil, fmt.Errorf("store: attempts: %w", err)
	}
	for i := range as {
		a := &as[i]
		out.Latest = a
		if !a.Closed {
			out.Open = a
		}
		if !a.StartedAt.Before(out.CycleStart) {
			out.InCycle++
			if a.Completion == "completed" && a.CompletedAt != nil {
				out.Finished = a
			}
		}
		if out.Enrolment != nil && out.Enrolment.CountingAttemptID != nil && *out.Enrolment.CountingAttemptID == a.ID {
			out.Counting = a
		}
	}
	return out, nil
}
