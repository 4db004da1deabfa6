package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// The grade outbox. A commit (or a launch's start or end) that changes an
// attempt's result queues a score for every gradebook column the learner is
// linked to, in the same transaction (see queueLTIScoresSQL); a worker in
// lms/lti sends them. For a learner with no LTI link the hook costs one
// indexed lookup that finds nothing.

// ltiQueueSQL inserts a pending score per gradebook link of the attempt's
// learner and course whose last queued result differs. Arguments: see
// ltiQueueArgs.
const ltiQueueSQL = `INSERT INTO lti_scores (grade_id, attempt_id, completion, success, score_scaled, progress_measure,
	state, next_at, attempts, last_error, created_at)
	SELECT g.id, a.id, ?, ?, ?, ?, 'pending', ?, 0, '', ?
	FROM attempts a JOIN lti_grades g ON g.user_id = a.user_id AND g.course_id = a.course_id
	WHERE a.id = ? AND g.last_state <> ?`

// ltiMarkSQL records the result just queued on the links.
const ltiMarkSQL = `UPDATE lti_grades SET last_state = ?
	WHERE last_state <> ? AND id IN (SELECT g.id FROM attempts a JOIN lti_grades g ON g.user_id = a.user_id AND g.course_id = a.course_id WHERE a.id = ?)`

// ltiResultKey is what a score post reports of a result: completion, success
// and score (progress alone changes too often to post each step).
func ltiResultKey(sum AttemptSummary) string {
	score := "-"
	if sum.ScoreScaled != nil {
		score = strconv.FormatFloat(*sum.ScoreScaled, 'g', 8, 64)
	}
	return sum.Completion + "|" + sum.Success + "|" + score
}

func ltiQueueArgs(attemptID uint, sum AttemptSummary, now time.Time) []any {
	return []any{sum.Completion, sum.Success, sum.ScoreScaled, sum.ProgressMeasure, now, now, attemptID, ltiResultKey(sum)}
}

func ltiMarkArgs(attemptID uint, sum AttemptSummary) []any {
	k := ltiResultKey(sum)
	return []any{k, k, attemptID}
}

// queueLTIScores is the hook on the gorm paths (start and end of a launch).
func queueLTIScores(tx *gorm.DB, attemptID uint, sum AttemptSummary, now time.Time) error {
	res := tx.Exec(ltiQueueSQL, ltiQueueArgs(attemptID, sum, now)...)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	return tx.Exec(ltiMarkSQL, ltiMarkArgs(attemptID, sum)...).Error
}

// LTIScoreJob is a pending score with what sending it needs.
type LTIScoreJob struct {
	LTIScore
	Subject        string
	PlacementID    uint
	PlatformID     uint
	LineItemURL    string
	LineItemsURL   string
	Scopes         string
	ResourceLinkID string
	Label          string // the placement's title, else the course's
	CourseID       uint
}

// SupersedeLTIScores retires the pending and failed scores that a newer score
// of the same learner and column replaces: only the newest result is sent,
// so an older one can never overwrite it.
func (s *Store) SupersedeLTIScores(ctx context.Context) (int64, error) {
	res := s.db.WithContext(ctx).Exec(`UPDATE lti_scores SET state = ?
		WHERE state IN (?, ?) AND EXISTS (SELECT 1 FROM lti_scores n
			WHERE n.grade_id = lti_scores.grade_id AND n.id > lti_scores.id AND n.state <> ?)`,
		ScoreSuperseded, ScorePending, ScoreFailed, ScoreSuperseded)
	if res.Error != nil {
		return 0, fmt.Errorf("store: supersede scores: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// scoreJobs selects scores (as s) with what sending them needs.
func (s *Store) scoreJobs(ctx context.Context) *gorm.DB {
	return s.read(ctx).Table("lti_scores s").
		Select(`s.*, g.subject, g.placement_id, x.platform_id, p.line_item_url, p.line_items_url, p.scopes, p.resource_link_id,
			COALESCE(NULLIF(p.title, ''), c.title) AS label, g.course_id`).
		Joins("JOIN lti_grades g ON g.id = s.grade_id").
		Joins("JOIN lti_placements p ON p.id = g.placement_id").
		Joins("JOIN lti_contexts x ON x.id = p.context_row_id").
		Joins("JOIN courses c ON c.id = g.course_id")
}

// DueLTIScores lists pending scores due by now, oldest first.
func (s *Store) DueLTIScores(ctx context.Context, limit int) ([]LTIScoreJob, error) {
	var out []LTIScoreJob
	err := s.scoreJobs(ctx).
		Where("s.state = ? AND s.next_at <= ?", ScorePending, s.now()).
		Order("s.id").Limit(limit).Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: due scores: %w", err)
	}
	return out, nil
}

// LTIScoresToProbe lists, for each platform whose pending scores all wait
// out a back-off, the oldest of them: the outbox sends it early to learn
// whether the platform answers again.
func (s *Store) LTIScoresToProbe(ctx context.Context) ([]LTIScoreJob, error) {
	var out []LTIScoreJob
	err := s.scoreJobs(ctx).
		Where(`s.id IN (SELECT MIN(o.id) FROM lti_scores o
			JOIN lti_grades og ON og.id = o.grade_id
			JOIN lti_placements op ON op.id = og.placement_id
			JOIN lti_contexts ox ON ox.id = op.context_row_id
			WHERE o.state = ? GROUP BY ox.platform_id HAVING MIN(o.next_at) > ?)`, ScorePending, s.now()).
		Order("s.id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: scores to probe: %w", err)
	}
	return out, nil
}

// MarkLTIScoresSent records that the platform accepted scores.
func (s *Store) MarkLTIScoresSent(ctx context.Context, ids []uint) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now()
	err := s.db.WithContext(ctx).Model(&LTIScore{}).Where("id IN ? AND state = ?", ids, ScorePending).
		Updates(map[string]any{"state": ScoreSent, "sent_at": now, "attempts": gorm.Expr("attempts + 1"), "last_error": ""}).Error
	if err != nil {
		return fmt.Errorf("store: mark scores sent: %w", err)
	}
	return nil
}

// MarkLTIScoreRetry records a failed send: the score is tried again at next,
// or, when final, left failed for an admin to retry.
func (s *Store) MarkLTIScoreRetry(ctx context.Context, id uint, reason string, next time.Time, final bool) error {
	up := map[string]any{"attempts": gorm.Expr("attempts + 1"), "last_error": truncate(reason, 1000), "next_at": next}
	if final {
		up["state"] = ScoreFailed
	}
	err := s.db.WithContext(ctx).Model(&LTIScore{}).Where("id = ? AND state = ?", id, ScorePending).Updates(up).Error
	if err != nil {
		return fmt.Errorf("store: mark score %d: %w", id, err)
	}
	return nil
}

// DeferLTIScores moves the pending scores of a platform to next: the
// platform (not the scores) failed, e.g. its token endpoint is down. The try
// counts for the back-off, never towards failing them.
func (s *Store) DeferLTIScores(ctx context.Context, ids []uint, reason string, next time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.db.WithContext(ctx).Model(&LTIScore{}).Where("id IN ? AND state = ?", ids, ScorePending).
		Updates(map[string]any{"last_error": truncate(reason, 1000), "next_at": next, "attempts": gorm.Expr("attempts + 1")}).Error
	if err != nil {
		return fmt.Errorf("store: defer scores: %w", err)
	}
	return nil
}

// MarkLTIProbeFailed records why a probe of pending scores failed, and
// nothing else: a probe costs a score neither a try nor its back-off.
func (s *Store) MarkLTIProbeFailed(ctx context.Context, ids []uint, reason string) error {
	if len(ids) == 0 {
		return nil
	}
	err := s.db.WithContext(ctx).Model(&LTIScore{}).Where("id IN ? AND state = ?", ids, ScorePending).
		Update("last_error", truncate(reason, 1000)).Error
	if err != nil {
		return fmt.Errorf("store: mark probe failed: %w", err)
	}
	return nil
}

// WakeLTIScores makes a platform's waiting scores due now: it answered again
// after failures, so its backlog need not wait out each score's back-off.
func (s *Store) WakeLTIScores(ctx context.Context, platformID uint) (int64, error) {
	now := s.now()
	res := s.db.WithContext(ctx).Exec(`UPDATE lti_scores SET next_at = ? WHERE state = ? AND next_at > ? AND grade_id IN
		(SELECT g.id FROM lti_grades g JOIN lti_placements p ON p.id = g.placement_id JOIN lti_contexts x ON x.id = p.context_row_id
		 WHERE x.platform_id = ?)`, now, ScorePending, now, platformID)
	if res.Error != nil {
		return 0, fmt.Errorf("store: wake scores: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// SetLTILineItem records the line item found or created for a placement.
func (s *Store) SetLTILineItem(ctx context.Context, placementID uint, url string) error {
	err := s.db.WithContext(ctx).Model(&LTIPlacement{}).Where("id = ?", placementID).
		Updates(map[string]any{"line_item_url": url, "updated_at": s.now()}).Error
	if err != nil {
		return fmt.Errorf("store: placement %d line item: %w", placementID, err)
	}
	return nil
}

// RetryLTIScore puts a failed score back in the queue, due now.
// A pending score is made due now.
func (s *Store) RetryLTIScore(ctx context.Context, id uint) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&LTIScore{}).Where("id = ? AND state IN ?", id, []string{ScoreFailed, ScorePending}).
			Updates(map[string]any{"state": ScorePending, "attempts": 0, "next_at": s.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return s.auditFor(tx, "lti.score_retry", func(e *AuditEntry) { e.Detail = map[string]any{"score": id} })
	})
	if err != nil {
		return fmt.Errorf("store: retry score %d: %w", id, err)
	}
	return nil
}

// LTIScoreRow is a score as the admin's outbox page shows it.
type LTIScoreRow struct {
	LTIScore
	UserName    string
	UserEmail   string
	CourseTitle string
	Placement   string
	Platform    string
}

// LTIScoreRows lists scores in a state ("" for pending and failed), newest
// first.
func (s *Store) LTIScoreRows(ctx context.Context, state string, limit, offset int) ([]LTIScoreRow, error) {
	q := s.read(ctx).Table("lti_scores s").
		Select(`s.*, u.name AS user_name, u.email AS user_email, c.title AS course_title, p.title AS placement, pl.name AS platform`).
		Joins("JOIN lti_grades g ON g.id = s.grade_id").
		Joins("JOIN users u ON u.id = g.user_id").
		Joins("JOIN courses c ON c.id = g.course_id").
		Joins("JOIN lti_placements p ON p.id = g.placement_id").
		Joins("JOIN lti_contexts x ON x.id = p.context_row_id").
		Joins("LEFT JOIN lti_platforms pl ON pl.id = x.platform_id")
	if state == "" {
		q = q.Where("s.state IN ?", []string{ScorePending, ScoreFailed})
	} else {
		q = q.Where("s.state = ?", state)
	}
	var rows []LTIScoreRow
	if err := q.Order("s.id DESC").Limit(limit).Offset(offset).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: score outbox: %w", err)
	}
	return rows, nil
}

// LTIScoreCounts counts scores by state.
func (s *Store) LTIScoreCounts(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		State string
		N     int64
	}
	if err := s.read(ctx).Model(&LTIScore{}).Select("state, COUNT(*) AS n").Group("state").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: count scores: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.State] = r.N
	}
	return out, nil
}
