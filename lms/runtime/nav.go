package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm"
	"github.com/lectern/lectern/scorm/cmi"
	"github.com/lectern/lectern/scorm/seq"
)

// Moved is the answer to a navigation request: the next launch, the end,
// or (SCORM 2004) nothing delivered while the session goes on.
type Moved struct {
	Token     string   // launch token of the next item; "" when nothing is delivered
	Item      *ItemRef // the next item
	End       bool
	Suspended bool
	Nav       *Nav // nothing delivered: what may be requested next (with the same token)
}

// NotAllowedError is a navigation request the engine refused, with why.
type NotAllowedError struct {
	Code, Reason string
}

func (e *NotAllowedError) Error() string {
	return fmt.Sprintf("navigation not allowed: %s (%s)", e.Reason, e.Code)
}
func (e *NotAllowedError) Unwrap() error { return ErrNotAllowed }

// Navigate ends the current launch (ending its SCO session if the SCO did not
// terminate) and delivers what the navigation engine decides.
func (s *Service) Navigate(ctx context.Context, token string, req seq.Request) (*Moved, error) {
	l, err := s.Store.LaunchByToken(ctx, account.HashToken(token))
	if err != nil {
		return nil, err
	}
	c, engine, err := s.load(ctx, &l.Attempt)
	if err != nil {
		return nil, err
	}
	c.Review = l.Review
	cur := itemByID(c.Items, l.ItemID)
	if cur == nil {
		return nil, fmt.Errorf("runtime: launch names item %d: %w", l.ItemID, store.ErrNotFound)
	}
	if c.seq != nil {
		return s.navigateSequenced(ctx, l, c, req)
	}
	d, err := engine.Navigate(cur.Identifier, req)
	if err != nil {
		if errors.Is(err, seq.ErrNotAllowed) {
			return nil, fmt.Errorf("%w: %v", ErrNotAllowed, err)
		}
		return nil, err
	}
	suspend := d.Suspend
	end := func(row *store.ScoState) (*store.ScoUpdate, error) {
		var st cmi.State
		if err := json.Unmarshal(row.State, &st); err != nil {
			return nil, fmt.Errorf("stored state: %w", err)
		}
		if suspend {
			// Suspending keeps the SCO's data for resume whatever it said.
			st.Values[exitElement(st.Version)] = "suspend"
		}
		st.EndSession()
		return update(&st)
	}
	// Ending the session without suspending ends the attempt in SCORM 2004
	// (exitAll, or continuing past the last activity): the next launch starts
	// a new one. SCORM 1.2 has no such request; there the attempt closes only
	// once the course is complete, so "Finish" never loses a learner's work.
	closeAttempt := d.End && !d.Suspend &&
		(c.Attempt.Completion == "completed" || c.Version.Edition != scorm.SCORM12.String())
	if _, err := s.Store.EndLaunch(ctx, l.ID, rollup(c.Items), end, suspend, closeAttempt); err != nil {
		return nil, err
	}
	s.forget(l.ID)
	if d.Deliver == "" {
		return &Moved{End: d.End, Suspended: d.Suspend}, nil
	}
	// Re-read the attempt: ending the launch changed its summary.
	a, err := s.Store.AttemptByID(ctx, l.AttemptID)
	if err != nil {
		return nil, err
	}
	c.Attempt = a
	if err := s.deliver(ctx, c, engine, d.Deliver); err != nil {
		return nil, err
	}
	return &Moved{Token: c.Token, Item: &ItemRef{ID: c.Current.Identifier, Title: c.Current.Title}}, nil
}

// navigateSequenced runs a navigation request through the attempt's
// activity tree: the current launch ends (its SCO session too, if the SCO
// did not terminate) in the same transaction as the new tree is stored.
func (s *Service) navigateSequenced(ctx context.Context, l *store.Launch, c *Course, req seq.Request) (*Moved, error) {
	tr := c.seq.tree
	if l.Review {
		// A review stores no tree: it replays from the stored one, placed
		// on the item this window shows.
		tr.BeginSession()
		if it := itemByID(c.Items, l.ItemID); it != nil {
			if _, err := tr.Navigate("", seq.Request{Kind: seq.Choice, Target: it.Identifier}); err != nil {
				_, _ = tr.Navigate("", tr.OpeningRequest())
			}
		}
	}
	d, err := tr.Navigate("", req)
	if err != nil {
		what := req.Kind
		if req.Target != "" {
			what += " " + req.Target
		}
		s.refused(c, what, err)
		var r *seq.Refusal
		if errors.As(err, &r) {
			return nil, &NotAllowedError{Code: r.Code, Reason: r.Reason}
		}
		return nil, err
	}
	w, err := c.seq.write()
	if err != nil {
		return nil, err
	}
	suspend := d.Suspend
	end := func(row *store.ScoState) (*store.ScoUpdate, error) {
		var st cmi.State
		if err := json.Unmarshal(row.State, &st); err != nil {
			return nil, fmt.Errorf("stored state: %w", err)
		}
		if suspend {
			st.Values[exitElement(st.Version)] = "suspend"
		}
		st.EndSession()
		return update(&st)
	}
	// The attempt closes when the session ends with the course complete;
	// otherwise the next launch starts a new session on the same tree
	// (attempt counts and limits carry on).
	closeAttempt := d.End && !d.Suspend && summaryOf(tr).Completion == "completed"
	w.KeepLaunch = !d.End && d.Deliver == ""
	if _, err := s.Store.EndLaunch(ctx, l.ID, seqRollup(c.Items, tr), end, suspend, closeAttempt, w); err != nil {
		return nil, err
	}
	if d.Deliver == "" {
		s.forget(l.ID)
		if d.End {
			return &Moved{End: true, Suspended: d.Suspend}, nil
		}
		nav := navTree(tr)
		return &Moved{Nav: &nav}, nil
	}
	s.forget(l.ID)
	a, err := s.Store.AttemptByID(ctx, l.AttemptID)
	if err != nil {
		return nil, err
	}
	c.Attempt = a
	c.seq.loaded = w.Tree
	if err := s.deliver(ctx, c, tr, d.Deliver); err != nil {
		return nil, err
	}
	return &Moved{Token: c.Token, Item: &ItemRef{ID: c.Current.Identifier, Title: c.Current.Title}}, nil
}

func exitElement(v cmi.Version) string {
	if v == cmi.V12 {
		return "cmi.core.exit"
	}
	return "cmi.exit"
}
