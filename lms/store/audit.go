package store

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
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
	changes := journalChanges(commits)
	for k, c := range commits {
		ca := CommitAudit{Commit: c, Changes: changes[k]}
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

// journalChanges reads the journal entries: each change is [element, old,
// new], or [element, new] when the old value is the last new value that an
// earlier commit of the same launch recorded for the element (the run-time
// leaves it out then; see runtime.applyChanges). The old values are filled in
// launch by launch in sequence order; out[k] is commits[k]'s changes.
func journalChanges(commits []Commit) [][]Change {
	order := make([]int, len(commits))
	for k := range order {
		order[k] = k
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ca, cb := commits[a], commits[b]
		if c := strings.Compare(ca.LaunchID, cb.LaunchID); c != 0 {
			return c
		}
		return cmp.Compare(ca.Seq, cb.Seq)
	})
	out := make([][]Change, len(commits))
	var launch string
	var recorded map[string]string // the launch's last recorded new value of each element
	for _, k := range order {
		c := commits[k]
		if recorded == nil || c.LaunchID != launch {
			launch, recorded = c.LaunchID, map[string]string{}
		}
		var raw [][]string
		if err := json.Unmarshal(c.Changes, &raw); err != nil {
			// The journal is evidence: show what is there rather than fail.
			out[k] = []Change{{Element: "(unreadable journal entry)", New: string(c.Changes)}}
			continue
		}
		for _, r := range raw {
			ch := Change{}
			switch len(r) {
			case 0:
			case 1:
				ch.Element = r[0]
			case 2:
				ch.Element, ch.Old, ch.New = r[0], recorded[r[0]], r[1]
			default:
				ch.Element, ch.Old, ch.New = r[0], r[1], r[2]
			}
			out[k] = append(out[k], ch)
		}
		// A batch that sets an element twice records the value before
		// the batch as the old value of both: update after the batch.
		for _, ch := range out[k] {
			recorded[ch.Element] = ch.New
		}
	}
	return out
}
