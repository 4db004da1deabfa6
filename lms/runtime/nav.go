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

// Moved is the answer to a navigation request: the next launch, or the end.
type Moved struct {
	Token     string   // launch token of the next item; "" when the session ended
	Item      *ItemRef // the next item
	End       bool
	Suspended bool
}

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
	cur := itemByID(c.Items, l.ItemID)
	if cur == nil {
		return nil, fmt.Errorf("runtime: launch names item %d: %w", l.ItemID, store.ErrNotFound)
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

func exitElement(v cmi.Version) string {
	if v == cmi.V12 {
		return "cmi.core.exit"
	}
	return "cmi.exit"
}
