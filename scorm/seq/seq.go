// Package seq decides navigation: which activity (item) to deliver for a
// navigation request and which requests are valid now. The player asks an
// Engine and never decides by itself, so the full SCORM 2004 sequencing
// engine can replace the Flow engine without touching the player.
package seq

import (
	"errors"
	"fmt"
)

// Activity is a node of the activity tree (an item of the organization).
type Activity struct {
	ID            string
	Title         string
	Launchable    bool // has content to deliver
	Visible       bool
	Prerequisites *Prerequisite // SCORM 1.2 only
	Children      []*Activity
	Parent        *Activity
}

// Status is what the engine knows of an activity's tracking data.
type Status struct {
	Completion string // completed, incomplete, not attempted, unknown
	Success    string // passed, failed, unknown
	Attempted  bool
}

// LessonStatus is the SCORM 1.2 style single status used by prerequisites.
func (s Status) LessonStatus() string {
	switch {
	case s.Success == "passed" || s.Success == "failed":
		return s.Success
	case s.Completion == "completed":
		return "completed"
	case s.Completion == "incomplete" || s.Attempted:
		return "incomplete"
	}
	return "not attempted"
}

// Request kinds, named as in SCORM 2004 (adl.nav.request).
const (
	Start      = "start"
	ResumeAll  = "resumeAll"
	Continue   = "continue"
	Previous   = "previous"
	Choice     = "choice"
	Jump       = "jump"
	Exit       = "exit"
	ExitAll    = "exitAll"
	SuspendAll = "suspendAll"
	Abandon    = "abandon"
	AbandonAll = "abandonAll"
)

// Request is one navigation request; Target is set for choice and jump.
type Request struct {
	Kind   string `json:"kind"`
	Target string `json:"target,omitempty"`
}

// Decision is the engine's answer: deliver an activity, or end the session.
type Decision struct {
	Deliver string // activity ID; "" when nothing is delivered
	End     bool   // the sequencing session ends (exitAll, suspendAll, end of course)
	Suspend bool   // the attempt is suspended, to be resumed later
}

// Validity tells the player which controls to enable (and answers
// adl.nav.request_valid.*).
type Validity struct {
	Continue bool
	Previous bool
	Choice   map[string]bool // activity ID -> may be chosen now
	Jump     map[string]bool // activity ID -> may be jumped to now (SCORM 2004 4th edition)
	// The requests that end or leave the current activity.
	Exit, ExitAll, Abandon, AbandonAll, SuspendAll bool
	// Items says, per activity, whether the outline offers it and why
	// not; nil for engines that only know Choice.
	Items map[string]Item
}

// ErrNotAllowed means the request is not valid now; the player stays where it is.
var ErrNotAllowed = errors.New("navigation request not allowed")

// Engine decides navigation over a tree given the activities' status.
type Engine interface {
	Navigate(current string, req Request) (Decision, error)
	Valid(current string) Validity
}

// Flow is the navigation of SCORM 1.2 and the default of SCORM 2004 before
// sequencing: continue and previous walk the launchable activities in tree
// order, choice picks any of them; SCORM 1.2 prerequisites must hold.
type Flow struct {
	order  []*Activity // launchable activities, depth-first
	byID   map[string]*Activity
	status func(id string) Status
}

// NewFlow builds a Flow engine over roots; status reports tracking data.
func NewFlow(roots []*Activity, status func(id string) Status) *Flow {
	f := &Flow{byID: map[string]*Activity{}, status: status}
	var walk func([]*Activity, *Activity)
	walk = func(as []*Activity, parent *Activity) {
		for _, a := range as {
			a.Parent = parent
			f.byID[a.ID] = a
			if a.Launchable {
				f.order = append(f.order, a)
			}
			walk(a.Children, a)
		}
	}
	walk(roots, nil)
	return f
}

// available reports whether a may be delivered: its prerequisites hold.
func (f *Flow) available(a *Activity) bool {
	return a.Prerequisites.Satisfied(func(id string) string { return f.status(id).LessonStatus() })
}

func (f *Flow) index(id string) int {
	for i, a := range f.order {
		if a.ID == id {
			return i
		}
	}
	return -1
}

// step finds the next available activity from index i in direction dir.
func (f *Flow) step(i, dir int) *Activity {
	for j := i + dir; j >= 0 && j < len(f.order); j += dir {
		if f.available(f.order[j]) {
			return f.order[j]
		}
	}
	return nil
}

// Navigate implements Engine.
func (f *Flow) Navigate(current string, req Request) (Decision, error) {
	cur := f.index(current)
	switch req.Kind {
	case Start, ResumeAll:
		if a := f.byID[current]; a != nil && a.Launchable && f.available(a) {
			return Decision{Deliver: a.ID}, nil
		}
		// The first activity not yet completed, else the first one.
		for _, a := range f.order {
			if f.available(a) && f.status(a.ID).Completion != "completed" && f.status(a.ID).Success != "passed" {
				return Decision{Deliver: a.ID}, nil
			}
		}
		if a := f.step(-1, 1); a != nil {
			return Decision{Deliver: a.ID}, nil
		}
		return Decision{}, fmt.Errorf("%w: nothing can be launched", ErrNotAllowed)
	case Continue:
		if cur < 0 {
			return Decision{}, fmt.Errorf("%w: continue without a current activity", ErrNotAllowed)
		}
		if a := f.step(cur, 1); a != nil {
			return Decision{Deliver: a.ID}, nil
		}
		return Decision{End: true}, nil // past the last activity: the course is over
	case Previous:
		if a := f.step(cur, -1); cur >= 0 && a != nil {
			return Decision{Deliver: a.ID}, nil
		}
		return Decision{}, fmt.Errorf("%w: no previous activity", ErrNotAllowed)
	case Choice, Jump:
		a := f.byID[req.Target]
		if a == nil {
			return Decision{}, fmt.Errorf("%w: no activity %q", ErrNotAllowed, req.Target)
		}
		if !a.Launchable {
			// Choosing a cluster delivers its first available descendant.
			if d := f.firstIn(a); d != nil {
				return Decision{Deliver: d.ID}, nil
			}
			return Decision{}, fmt.Errorf("%w: %q has nothing to launch", ErrNotAllowed, req.Target)
		}
		if !f.available(a) {
			return Decision{}, fmt.Errorf("%w: the prerequisites of %q are not met", ErrNotAllowed, req.Target)
		}
		return Decision{Deliver: a.ID}, nil
	case Exit, Abandon:
		return Decision{}, nil // the activity ends; the learner chooses what next
	case ExitAll, AbandonAll:
		return Decision{End: true}, nil
	case SuspendAll:
		return Decision{End: true, Suspend: true}, nil
	}
	return Decision{}, fmt.Errorf("%w: unknown request %q", ErrNotAllowed, req.Kind)
}

func (f *Flow) firstIn(a *Activity) *Activity {
	for _, c := range a.Children {
		if c.Launchable && f.available(c) {
			return c
		}
		if d := f.firstIn(c); d != nil {
			return d
		}
	}
	return nil
}

// Valid implements Engine.
func (f *Flow) Valid(current string) Validity {
	v := Validity{Choice: map[string]bool{}}
	cur := f.index(current)
	if cur >= 0 {
		v.Continue = true // continuing past the last activity ends the course
		v.Previous = f.step(cur, -1) != nil
		v.Exit, v.ExitAll, v.Abandon, v.AbandonAll, v.SuspendAll = true, true, true, true, true
	}
	for id, a := range f.byID {
		if a.Launchable {
			v.Choice[id] = f.available(a)
		} else {
			v.Choice[id] = f.firstIn(a) != nil
		}
	}
	return v
}
