package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// AttemptAudit is an attempt with everything its audit timeline shows: who,
// which course version, each launch and the journal of commits.
type AttemptAudit struct {
	Attempt     Attempt
	UserName    string
	UserEmail   string
	CourseTitle string
	VersionNum  int
	Edition     string
	Launches    []LaunchAudit
}

// LaunchAudit is one launch (a session of one SCO) with its commits in order.
type LaunchAudit struct {
	Launch    Launch
	ItemTitle string
	Commits   []CommitAudit
}

// CommitAudit is one journal row with its changes decoded.
type CommitAudit struct {
	Commit
	Changes []Change
}

// Change is one element a commit set: the value before and after.
type Change struct{ Element, Old, New string }

// AttemptAudit reads an attempt's journal: launches by creation time, each
// with its commits by sequence number.
func (s *Store) AttemptAudit(ctx context.Context, attemptID uint) (*AttemptAudit, error) {
	var head struct {
		UserName, UserEmail, CourseTitle, Edition string
		VersionNum                                int
	}
	out := &AttemptAudit{}
	if err := s.read(ctx).First(&out.Attempt, attemptID).Error; err != nil {
		return nil, fmt.Errorf("store: attempt %d: %w", attemptID, notFound(err))
	}
	err := s.read(ctx).Table("attempts a").
		Select("u.name AS user_name, u.email AS user_email, c.title AS course_title, v.number AS version_num, v.edition").
		Joins("JOIN users u ON u.id = a.user_id").
		Joins("JOIN courses c ON c.id = a.course_id").
		Joins("JOIN course_versions v ON v.id = a.version_id").
		Where("a.id = ?", attemptID).Scan(&head).Error
	if err != nil {
		return nil, fmt.Errorf("store: attempt %d: %w", attemptID, err)
	}
	out.UserName, out.UserEmail, out.CourseTitle, out.VersionNum, out.Edition = head.UserName, head.UserEmail, head.CourseTitle, head.VersionNum, head.Edition

	var launches []struct {
		Launch
		ItemTitle string
	}
	err = s.read(ctx).Table("launches l").Select("l.*, i.title AS item_title").
		Joins("LEFT JOIN items i ON i.id = l.item_id").
		Where("l.attempt_id = ?", attemptID).Order("l.created_at, l.id").Scan(&launches).Error
	if err != nil {
		return nil, fmt.Errorf("store: attempt %d launches: %w", attemptID, err)
	}
	index := map[string]int{}
	for _, l := range launches {
		index[l.ID] = len(out.Launches)
		out.Launches = append(out.Launches, LaunchAudit{Launch: l.Launch, ItemTitle: l.ItemTitle})
	}
	var commits []Commit
	if err := s.read(ctx).Where("attempt_id = ?", attemptID).Order("at, seq, id").Find(&commits).Error; err != nil {
		return nil, fmt.Errorf("store: attempt %d commits: %w", attemptID, err)
	}
	for _, c := range commits {
		ca := CommitAudit{Commit: c}
		var raw [][]string
		if err := json.Unmarshal(c.Changes, &raw); err != nil {
			// The journal is evidence: show what is there rather than fail.
			ca.Changes = []Change{{Element: "(unreadable journal entry)", New: string(c.Changes)}}
		}
		for _, r := range raw {
			ch := Change{}
			if len(r) > 0 {
				ch.Element = r[0]
			}
			if len(r) > 1 {
				ch.Old = r[1]
			}
			if len(r) > 2 {
				ch.New = r[2]
			}
			ca.Changes = append(ca.Changes, ch)
		}
		i, ok := index[c.LaunchID]
		if !ok { // a launch row removed by clean-up: keep its commits visible
			i = len(out.Launches)
			index[c.LaunchID] = i
			out.Launches = append(out.Launches, LaunchAudit{Launch: Launch{ID: c.LaunchID, AttemptID: attemptID, ItemID: c.ItemID, CreatedAt: c.At, LastSeenAt: c.At}})
		}
		out.Launches[i].Commits = append(out.Launches[i].Commits, ca)
	}
	return out, nil
}

// CompletionTimes lists when completions were recorded since from, oldest
// first, for charts.
func (s *Store) CompletionTimes(ctx context.Context, from time.Time) ([]time.Time, error) {
	var ts []time.Time
	if err := s.read(ctx).Model(&Completion{}).Where("completed_at >= ?", from).Order("completed_at").Pluck("completed_at", &ts).Error; err != nil {
		return nil, fmt.Errorf("store: completion times: %w", err)
	}
	return ts, nil
}
