package compliance

// A change of a course's rules applies to the records already made: the
// admin sees what would change (a preview) and confirms it, and the rules
// and every record change are written together, each in the audit trail.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lectern/lectern/lms/store"
)

// ErrInvalidRules is a rule value that cannot be applied.
var ErrInvalidRules = errors.New("invalid course rules")

// ErrPreviewChanged: the records moved on since the preview the admin
// confirmed; the new preview is returned with it.
var ErrPreviewChanged = errors.New("the records changed since the preview")

// MaxAttemptsLimit and MaxValidityMonths bound the rules an admin may set.
const (
	MaxAttemptsLimit  = 100
	MaxValidityMonths = 120
)

// CheckRules validates rules.
func CheckRules(r store.CourseRules) error {
	switch {
	case r.PassRule != store.PassAuto && r.PassRule != store.PassRequired && r.PassRule != store.PassNotRequired:
		return fmt.Errorf("%w: the pass rule is %q, want auto, required or not-required", ErrInvalidRules, r.PassRule)
	case r.AttemptPolicy != store.AttemptBest && r.AttemptPolicy != store.AttemptLatest:
		return fmt.Errorf("%w: the attempt that counts is %q, want best or latest", ErrInvalidRules, r.AttemptPolicy)
	case r.MaxAttempts < 0 || r.MaxAttempts > MaxAttemptsLimit:
		return fmt.Errorf("%w: the maximum of attempts is %d, want 0 (no limit) to %d", ErrInvalidRules, r.MaxAttempts, MaxAttemptsLimit)
	case r.ValidityMonths != nil && (*r.ValidityMonths < 1 || *r.ValidityMonths > MaxValidityMonths):
		return fmt.Errorf("%w: a completion stays valid for 1 to %d months, or for ever", ErrInvalidRules, MaxValidityMonths)
	}
	return nil
}

// Preview is what applying rules to a course would change.
type Preview struct {
	Course   *store.Course
	Rules    store.CourseRules
	Sentence string // what counts under Rules
	Effects  Effects
	Lines    []PreviewLine // one per learner whose records change
	Changes  []store.RecordChange
	Digest   string // identifies the changes, so a confirmation applies what was shown
}

// PreviewLine is one learner's changes in words.
type PreviewLine struct {
	Learner string
	Changes []string
}

// Summary says the effects in one line, as the issue's admin reads them.
func (p *Preview) Summary() string {
	fx := p.Effects
	if fx == (Effects{}) {
		return "No record changes: every completion already follows these rules."
	}
	var parts []string
	add := func(n int, one, many string) {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, one, many)))
		}
	}
	add(fx.NoLongerCount, "completion would no longer count", "completions would no longer count")
	add(fx.Revoked, "certificate would be revoked", "certificates would be revoked")
	add(fx.NowCount, "completion would count", "completions would count")
	add(fx.Reissued, "certificate would be reissued", "certificates would be reissued")
	add(fx.ExpiryChanged, "expiry date would change", "expiry dates would change")
	return strings.Join(parts, ", ") + "."
}

// PreviewRules works out what rules would change in a course's records.
func (s *Service) PreviewRules(ctx context.Context, courseID uint, r store.CourseRules) (*Preview, error) {
	if err := CheckRules(r); err != nil {
		return nil, err
	}
	co, err := s.Store.CourseByID(ctx, courseID)
	if err != nil {
		return nil, err
	}
	crit, err := s.criteria(ctx, courseID, map[uint]map[uint]Criterion{})
	if err != nil {
		return nil, err
	}
	states, err := s.Store.EnrolmentStates(ctx, store.EvaluateFilter{CourseID: courseID, All: true})
	if err != nil {
		return nil, err
	}
	now := s.Store.Now()
	p := &Preview{Course: co, Rules: r}
	if co.CurrentVersionID != nil {
		p.Sentence = Sentence(r, crit(*co.CurrentVersionID))
	} else {
		p.Sentence = Sentence(r, Criterion{})
	}
	reason := "course rules changed"
	for i := range states {
		pl := planner{st: &states[i], rules: r, crit: crit, now: now}
		ch, fx := pl.recompute(reason)
		if ch.Changes() {
			p.Changes = append(p.Changes, ch)
			p.Lines = append(p.Lines, PreviewLine{Learner: states[i].UserName, Changes: s.describe(&ch, states[i].Attempts)})
		}
		p.Effects.add(fx)
	}
	// Certificates of learners no longer enrolled still verify: they follow
	// the rules too.
	orphans, err := s.Store.OrphanCompletions(ctx, courseID)
	if err != nil {
		return nil, err
	}
	var ids []uint
	for _, c := range orphans {
		if c.AttemptID != nil {
			ids = append(ids, *c.AttemptID)
		}
	}
	attempts, err := s.Store.AttemptsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, c := range orphans {
		st := &store.EnrolmentState{Completions: []store.Completion{c}}
		if c.AttemptID != nil {
			if a, ok := attempts[*c.AttemptID]; ok {
				st.Attempts = []store.CourseAttempt{a}
			}
		}
		pl := planner{st: st, rules: r, crit: crit, now: now}
		ch := store.RecordChange{UserID: c.UserID, CourseID: c.CourseID, Reason: reason}
		var fx Effects
		if c.Source != store.CompletionOffline && pl.valid(&c) && !pl.qualifies(pl.attempt(c.AttemptID)) {
			ch.Revoke = append(ch.Revoke, store.Revocation{CompletionID: c.ID, Kind: store.RevokedByRule, Reason: "does not meet the course's new pass rule"})
			fx.Revoked++
			fx.NoLongerCount++
		} else {
			fx = pl.expiries(&ch, nil)
		}
		if ch.Changes() {
			p.Changes = append(p.Changes, ch)
			p.Lines = append(p.Lines, PreviewLine{Learner: c.UserName + " (no longer enrolled)", Changes: s.describe(&ch, st.Attempts)})
		}
		p.Effects.add(fx)
	}
	sort.SliceStable(p.Lines, func(i, j int) bool { return p.Lines[i].Learner < p.Lines[j].Learner })
	p.Digest = digest(p)
	return p, nil
}

// ApplyRules sets a course's rules and recomputes its records. With a
// digest (from the preview the admin saw), ErrPreviewChanged comes back,
// with the new preview, when the changes differ. A change that touches
// records needs a reason.
func (s *Service) ApplyRules(ctx context.Context, courseID uint, r store.CourseRules, reason, digest string) (*Preview, error) {
	p, err := s.PreviewRules(ctx, courseID, r)
	if err != nil {
		return nil, err
	}
	if digest != "" && digest != p.Digest {
		return p, ErrPreviewChanged
	}
	reason = strings.TrimSpace(reason)
	if len(p.Changes) > 0 && reason == "" {
		return p, fmt.Errorf("%w: say why: the change alters learners' records", ErrInvalidRules)
	}
	for i := range p.Changes {
		p.Changes[i].Reason = "course rules changed"
		if reason != "" {
			p.Changes[i].Reason += ": " + reason
		}
	}
	fx := p.Effects
	summary := map[string]any{"noLongerCount": fx.NoLongerCount, "revoked": fx.Revoked, "nowCount": fx.NowCount,
		"reissued": fx.Reissued, "expiryChanged": fx.ExpiryChanged}
	if err := s.Store.SetCourseRules(ctx, courseID, r, reason, summary, p.Changes); err != nil {
		if errors.Is(err, store.ErrStale) {
			np, perr := s.PreviewRules(ctx, courseID, r)
			if perr != nil {
				return nil, perr
			}
			return np, ErrPreviewChanged
		}
		return nil, err
	}
	return p, nil
}

// digest identifies a preview's changes (not its certificate codes, which
// are new each time).
func digest(p *Preview) string {
	h := sha256.New()
	fmt.Fprintf(h, "%+v\n", p.Rules)
	for _, c := range p.Changes {
		fmt.Fprintf(h, "%d/%d adopt %d replaces %d", c.EnrolmentID, c.Cycle, c.Adopt, c.Replaces)
		if c.Issue != nil {
			fmt.Fprintf(h, " issue %v", *c.Issue.AttemptID)
		}
		for _, r := range c.Revoke {
			fmt.Fprintf(h, " revoke %d", r.CompletionID)
		}
		for _, x := range c.Expiry {
			fmt.Fprintf(h, " expiry %d %v", x.CompletionID, x.To)
		}
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))[:24]
}

// describe says a learner's changes in words.
func (s *Service) describe(c *store.RecordChange, attempts []store.CourseAttempt) []string {
	number := func(id *uint) string {
		if id == nil {
			return "the offline completion"
		}
		for _, a := range attempts {
			if a.ID == *id {
				return fmt.Sprintf("attempt %d", a.Number)
			}
		}
		return "an attempt"
	}
	var out []string
	for _, r := range c.Revoke {
		out = append(out, fmt.Sprintf("certificate revoked: %s", r.Reason))
	}
	for _, x := range c.Expiry {
		out = append(out, fmt.Sprintf("expiry %s → %s", s.day(x.From), s.day(x.To)))
	}
	if c.Issue != nil {
		verb := "now counts: certificate issued"
		if c.Replaces != 0 {
			verb = "counts again: certificate reissued"
		}
		out = append(out, fmt.Sprintf("%s %s", number(c.Issue.AttemptID), verb))
	}
	if c.Adopt != 0 {
		out = append(out, "an earlier completion now counts")
	}
	return out
}

// day formats a date in the organisation's time zone ("never" for nil).
func (s *Service) day(t *time.Time) string {
	if t == nil {
		return "never"
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2 Jan 2006")
}
