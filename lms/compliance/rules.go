package compliance

// The pass policy: which finished attempt counts for an enrolment, whether it
// qualifies, and what an enrolment's records should be under a course's
// rules. Reconcile applies it as learners finish attempts; a change of the
// rules applies it to every existing record, after a preview.

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/lectern/lectern/lms/store"
)

// Criterion is what a course version's package says about passing.
type Criterion struct {
	Judged bool     // the package decides pass or fail
	Score  *float64 // its passing score as a fraction, when it names one
}

// CriterionOf reads a version's criterion (unknown reads as not judged).
func CriterionOf(v *store.CourseVersion) Criterion {
	c := Criterion{Score: v.PassingScore}
	if v.PassJudged != nil {
		c.Judged = *v.PassJudged
	}
	return c
}

// PassNeeded tells whether a completion needs a pass under rules for a
// package with criterion c.
func PassNeeded(r store.CourseRules, c Criterion) bool {
	switch r.PassRule {
	case store.PassRequired:
		return true
	case store.PassNotRequired:
		return false
	}
	return c.Judged
}

// Qualifies tells whether a finished attempt counts under the rules: passed
// when a pass is needed; under the default rule also never a reported
// failure, so that a failed quiz never certifies even in a package that
// names no passing score.
func Qualifies(r store.CourseRules, c Criterion, a *store.CourseAttempt) bool {
	if a == nil || !a.Finished() {
		return false
	}
	if PassNeeded(r, c) {
		return a.Success == "passed"
	}
	if r.PassRule == store.PassNotRequired {
		return true
	}
	return a.Success != "failed"
}

// Expiry is when a completion made at completed stops being valid (nil:
// never).
func Expiry(r store.CourseRules, completed time.Time) *time.Time {
	if m := r.ValidityMonths; m != nil && *m > 0 {
		t := completed.AddDate(0, *m, 0)
		return &t
	}
	return nil
}

// Percent formats a fraction as a percentage, as every page and export
// shows scores: one decimal, dropped when it is zero.
func Percent(f float64) string {
	p := math.Round(f*1000) / 10
	if p == math.Trunc(p) {
		return fmt.Sprintf("%.0f%%", p)
	}
	return fmt.Sprintf("%.1f%%", p)
}

// Sentence says in one sentence what counts for a course, for its page:
// "Counts when completed with a pass of at least 80% (the best attempt
// counts; at most 3 attempts); valid for 12 months."
func Sentence(r store.CourseRules, c Criterion) string {
	var b strings.Builder
	b.WriteString("Counts when ")
	switch {
	case PassNeeded(r, c) && c.Score != nil:
		fmt.Fprintf(&b, "completed with a pass of at least %s", Percent(*c.Score))
	case PassNeeded(r, c):
		b.WriteString("completed with a pass")
	case r.PassRule == store.PassNotRequired:
		b.WriteString("completed, passed or not")
	default:
		b.WriteString("completed without a failing result")
	}
	var notes []string
	if r.AttemptPolicy == store.AttemptLatest {
		notes = append(notes, "the latest attempt counts")
	} else {
		notes = append(notes, "the best attempt counts")
	}
	if r.MaxAttempts > 0 {
		notes = append(notes, fmt.Sprintf("at most %d %s", r.MaxAttempts, plural(r.MaxAttempts, "attempt", "attempts")))
	}
	fmt.Fprintf(&b, " (%s)", strings.Join(notes, "; "))
	if m := r.ValidityMonths; m != nil && *m > 0 {
		fmt.Fprintf(&b, "; valid for %d %s", *m, plural(*m, "month", "months"))
	}
	if r.IgnorePriorWork {
		b.WriteString("; only work done after enrolment counts")
	}
	b.WriteString(".")
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// planner works out one enrolment's records under rules.
type planner struct {
	st    *store.EnrolmentState
	rules store.CourseRules
	crit  func(versionID uint) Criterion
	now   time.Time
}

func (p *planner) qualifies(a *store.CourseAttempt) bool {
	if a == nil {
		return false
	}
	return Qualifies(p.rules, p.crit(a.VersionID), a)
}

func (p *planner) attempt(id *uint) *store.CourseAttempt {
	if id == nil {
		return nil
	}
	for i := range p.st.Attempts {
		if p.st.Attempts[i].ID == *id {
			return &p.st.Attempts[i]
		}
	}
	return nil
}

// revoked tells whether an attempt's certificate was revoked in a way that
// keeps it from counting again: by an admin, by a later attempt, and (unless
// ruleAgain) by a rule change.
func (p *planner) revoked(attemptID uint, ruleAgain bool) (bool, *store.Completion) {
	for i := range p.st.Completions {
		c := &p.st.Completions[i]
		if c.AttemptID == nil || *c.AttemptID != attemptID || c.RevokedAt == nil || c.ReplacedByID != nil {
			continue
		}
		if c.RevokedKind == store.RevokedByRule && ruleAgain {
			return false, c
		}
		return true, c
	}
	return false, nil
}

// certified is the attempt's valid completion, if any.
func (p *planner) certified(attemptID uint) *store.Completion {
	for i := range p.st.Completions {
		c := &p.st.Completions[i]
		if c.AttemptID != nil && *c.AttemptID == attemptID && c.RevokedAt == nil {
			return c
		}
	}
	return nil
}

// valid: not revoked and not expired at now.
func (p *planner) valid(c *store.Completion) bool {
	return c.RevokedAt == nil && (c.ExpiresAt == nil || c.ExpiresAt.After(p.now))
}

// priorWork: completions from before an enrolment count for its first
// cycle, unless the course says otherwise.
func (p *planner) priorWork() bool { return p.st.Cycle == 1 && !p.rules.IgnorePriorWork }

// eligible lists the finished attempts that may count in the current cycle:
// those started in it and, for a first cycle, earlier ones still valid.
func (p *planner) eligible(ruleAgain bool) []*store.CourseAttempt {
	var out []*store.CourseAttempt
	for i := range p.st.Attempts {
		a := &p.st.Attempts[i]
		if !a.Finished() {
			continue
		}
		if gone, _ := p.revoked(a.ID, ruleAgain); gone {
			continue
		}
		if a.StartedAt.Before(p.st.EnrolledAt) {
			if !p.priorWork() {
				continue
			}
			if exp := Expiry(p.rules, *a.CompletedAt); exp != nil && !exp.After(p.now) {
				continue
			}
		}
		out = append(out, a)
	}
	return out
}

// pick chooses the attempt that counts: the latest finished one, or the
// best (qualifying first, then the highest score, then the earliest).
func (p *planner) pick(as []*store.CourseAttempt) *store.CourseAttempt {
	var best *store.CourseAttempt
	score := func(a *store.CourseAttempt) float64 {
		if a.ScoreScaled == nil {
			return math.Inf(-1)
		}
		return *a.ScoreScaled
	}
	for _, a := range as {
		if best == nil {
			best = a
			continue
		}
		if p.rules.AttemptPolicy == store.AttemptLatest {
			if a.Number > best.Number {
				best = a
			}
			continue
		}
		qa, qb := p.qualifies(a), p.qualifies(best)
		switch {
		case qa != qb:
			if qa {
				best = a
			}
		case score(a) != score(best):
			if score(a) > score(best) {
				best = a
			}
		case qa && a.CompletedAt.Before(*best.CompletedAt), !qa && a.Number > best.Number:
			best = a
		}
	}
	return best
}

// current is the valid completion of the enrolment's current cycle.
func (p *planner) current() *store.Completion {
	var cur *store.Completion
	for i := range p.st.Completions {
		c := &p.st.Completions[i]
		if c.EnrolmentID == p.st.ID && c.Cycle == p.st.Cycle && c.RevokedAt == nil {
			cur = c // by completion time: the newest wins
		}
	}
	return cur
}

// adoptable is the newest valid completion made outside this enrolment
// (under one since removed) that counts for its first cycle.
func (p *planner) adoptable() *store.Completion {
	if p.st.Cycle != 1 {
		return nil
	}
	var out *store.Completion
	for i := range p.st.Completions {
		c := &p.st.Completions[i]
		if c.EnrolmentID == p.st.ID || !p.valid(c) {
			continue
		}
		if c.CompletedAt.Before(p.st.EnrolledAt) && !p.priorWork() {
			continue
		}
		if c.Source != store.CompletionOffline && !p.qualifies(p.attempt(c.AttemptID)) {
			continue
		}
		out = c
	}
	return out
}

func (p *planner) change() store.RecordChange {
	return store.RecordChange{EnrolmentID: p.st.ID, Cycle: p.st.Cycle, UserID: p.st.UserID, CourseID: p.st.CourseID}
}

// newCompletion is the completion an attempt makes.
func (p *planner) newCompletion(a *store.CourseAttempt) *store.Completion {
	id := a.ID
	return &store.Completion{
		UserID: p.st.UserID, CourseID: p.st.CourseID, AttemptID: &id, CompletedAt: *a.CompletedAt,
		Passed: a.Success == "passed", ScoreScaled: a.ScoreScaled, ExpiresAt: Expiry(p.rules, *a.CompletedAt),
		Code: NewCode(), CourseTitle: p.st.CourseTitle, UserName: p.st.UserName, Source: store.CompletionAttempt,
	}
}

func (p *planner) issueReason(a *store.CourseAttempt) string {
	if a.StartedAt.Before(p.st.EnrolledAt) {
		return fmt.Sprintf("attempt %d, finished before the enrolment and still valid, counts", a.Number)
	}
	return fmt.Sprintf("attempt %d finished and counts", a.Number)
}

// reconcile is what learners' progress changes: a qualifying attempt is
// recorded, an earlier completion is adopted, and under "latest attempt
// counts" a later attempt that does not qualify revokes the certificate.
// Nothing else already recorded changes.
func (p *planner) reconcile() store.RecordChange {
	ch := p.change()
	counting := p.pick(p.eligible(false))
	if counting != nil {
		id := counting.ID
		ch.CountingAttemptID = &id
		ch.Outcome = store.OutcomeFailed
		if p.qualifies(counting) {
			ch.Outcome = store.OutcomeCounts
		}
	}
	if cur := p.current(); cur != nil {
		if a := p.attempt(cur.AttemptID); a != nil && p.rules.AttemptPolicy == store.AttemptLatest &&
			counting != nil && counting.Number > a.Number && !p.qualifies(counting) {
			ch.Revoke = append(ch.Revoke, store.Revocation{CompletionID: cur.ID, Kind: store.RevokedByAttempt,
				Reason: fmt.Sprintf("attempt %d, the latest, does not count; the latest attempt counts", counting.Number)})
			return ch
		}
		ch.Outcome = store.OutcomeCounts
		if counting == nil || !p.qualifies(counting) {
			ch.CountingAttemptID = cur.AttemptID
		}
		return ch
	}
	if counting != nil && p.qualifies(counting) && p.certified(counting.ID) == nil {
		ch.Issue, ch.Reason = p.newCompletion(counting), p.issueReason(counting)
		return ch
	}
	if c := p.adoptable(); c != nil {
		ch.Adopt, ch.Reason = c.ID, "a valid completion from before this enrolment counts for it"
		ch.Outcome, ch.CountingAttemptID = store.OutcomeCounts, c.AttemptID
		return ch
	}
	if ch.Outcome == store.OutcomeCounts {
		ch.Outcome = "" // qualifies, but its certificate belongs elsewhere and no longer counts
	}
	return ch
}

// Effects counts what a recompute changes, for the preview.
type Effects struct {
	NoLongerCount int // completions that stop counting (revoked, or expired by a shorter validity)
	Revoked       int // certificates revoked
	NowCount      int // completions that start counting (recorded, reissued or adopted)
	Reissued      int // of those, certificates reissued after a rule had revoked them
	ExpiryChanged int // expiry dates moved
}

func (e *Effects) add(o Effects) {
	e.NoLongerCount += o.NoLongerCount
	e.Revoked += o.Revoked
	e.NowCount += o.NowCount
	e.Reissued += o.Reissued
	e.ExpiryChanged += o.ExpiryChanged
}

// recompute is what rules (new ones) make of every record of the
// enrolment: valid completions that do not qualify are revoked, expiry
// dates follow the validity, and a cycle without a completion gets one when
// its attempt now qualifies (reissuing a certificate a rule had revoked).
func (p *planner) recompute(reason string) (store.RecordChange, Effects) {
	ch := p.change()
	ch.Reason = reason
	var fx Effects
	counting := p.pick(p.eligible(true))
	revoking := map[uint]bool{}
	revoke := func(c *store.Completion, why string) {
		ch.Revoke = append(ch.Revoke, store.Revocation{CompletionID: c.ID, Kind: store.RevokedByRule, Reason: why})
		revoking[c.ID] = true
		fx.Revoked++
		fx.NoLongerCount++
	}
	cur := p.current()
	for i := range p.st.Completions {
		c := &p.st.Completions[i]
		if c.EnrolmentID != p.st.ID || !p.valid(c) || c.Source == store.CompletionOffline {
			continue
		}
		a := p.attempt(c.AttemptID)
		switch {
		case !p.qualifies(a):
			revoke(c, "does not meet the course's new pass rule")
		case c == cur && p.rules.AttemptPolicy == store.AttemptLatest && counting != nil && counting.Number > a.Number && !p.qualifies(counting):
			revoke(c, fmt.Sprintf("attempt %d, the latest, does not count; the latest attempt counts", counting.Number))
		}
	}
	fx.add(p.expiries(&ch, revoking))
	if cur == nil || revoking[cur.ID] {
		switch {
		case counting != nil && p.qualifies(counting) && p.certified(counting.ID) == nil:
			ch.Issue = p.newCompletion(counting)
			fx.NowCount++
			if _, old := p.revoked(counting.ID, true); old != nil {
				ch.Replaces = old.ID
				fx.Reissued++
			}
		case p.adoptable() != nil:
			ch.Adopt = p.adoptable().ID
			fx.NowCount++
		}
	}
	switch {
	case ch.Issue != nil || ch.Adopt != 0 || (cur != nil && !revoking[cur.ID]):
		ch.Outcome = store.OutcomeCounts
	case counting != nil && !p.qualifies(counting):
		ch.Outcome = store.OutcomeFailed
	}
	if counting != nil {
		id := counting.ID
		ch.CountingAttemptID = &id
	}
	return ch, fx
}

// expiries moves the expiry of the enrolment's completions (and orphans')
// to what the validity says, for those valid before or after.
func (p *planner) expiries(ch *store.RecordChange, skip map[uint]bool) Effects {
	var fx Effects
	for i := range p.st.Completions {
		c := &p.st.Completions[i]
		if (p.st.ID != 0 && c.EnrolmentID != p.st.ID) || c.RevokedAt != nil || skip[c.ID] {
			continue
		}
		to := Expiry(p.rules, c.CompletedAt)
		if sameTime(to, c.ExpiresAt) {
			continue
		}
		wasValid := c.ExpiresAt == nil || c.ExpiresAt.After(p.now)
		isValid := to == nil || to.After(p.now)
		if !wasValid && !isValid {
			continue // history: it had run out and still has
		}
		ch.Expiry = append(ch.Expiry, store.ExpiryChange{CompletionID: c.ID, From: c.ExpiresAt, To: to})
		fx.ExpiryChanged++
		if wasValid && !isValid {
			fx.NoLongerCount++
		}
		if !wasValid && isValid {
			fx.NowCount++
		}
	}
	return fx
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
