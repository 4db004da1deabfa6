// Package org holds the organisation's name and time zone as Lectern uses
// them while it runs. They come from flags, the environment or the set-up
// page, and the set-up page can change them without a restart, so every
// service reads them here instead of keeping a copy.
package org

import (
	"sync/atomic"
	"time"
)

// Profile is safe for concurrent use. The zero value is "Lectern" in UTC.
type Profile struct {
	v atomic.Pointer[state]
}

type state struct {
	name string
	loc  *time.Location
}

// New returns a profile with name and loc (nil: UTC).
func New(name string, loc *time.Location) *Profile {
	p := &Profile{}
	p.Set(name, loc)
	return p
}

// Set replaces both values.
func (p *Profile) Set(name string, loc *time.Location) {
	if loc == nil {
		loc = time.UTC
	}
	p.v.Store(&state{name: name, loc: loc})
}

// Name is the organisation's name.
func (p *Profile) Name() string {
	if p == nil {
		return "Lectern"
	}
	if s := p.v.Load(); s != nil {
		return s.name
	}
	return "Lectern"
}

// Location is the organisation's time zone.
func (p *Profile) Location() *time.Location {
	if p == nil {
		return time.UTC
	}
	if s := p.v.Load(); s != nil {
		return s.loc
	}
	return time.UTC
}
