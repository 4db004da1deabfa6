package store

import (
	"context"
	"fmt"
	"time"
)

// ThrottleEvent is one counted attempt (a failed sign-in, a failed password
// check, a password-reset request) against a key: an account's email or a
// client address. The counts live in the database so that every instance
// sharing it sees the same ones; a row is worthless once ExpiresAt has
// passed and is swept.
type ThrottleEvent struct {
	ID        uint64    `gorm:"primaryKey"`
	Key       string    `gorm:"size:400;not null;index:idx_throttle_events_key_at,priority:1"`
	At        time.Time `gorm:"not null;index:idx_throttle_events_key_at,priority:2"`
	ExpiresAt time.Time `gorm:"not null;index"`
}

// throttleSweepEvery is how often an instance deletes the expired failures
// of all keys (each key's own are deleted whenever it fails again).
const throttleSweepEvery = time.Minute

// Throttle refuses further attempts for a key while it has max failures
// within a sliding window. Two Throttles with the same name on one database
// (two instances) share their counts.
type Throttle struct {
	s      *Store
	name   string
	max    int
	window time.Duration
}

// Throttle returns the throttle name that allows max failures per key
// within window.
func (s *Store) Throttle(name string, max int, window time.Duration) *Throttle {
	return &Throttle{s: s, name: name, max: max, window: window}
}

func (t *Throttle) key(k string) string { return t.name + ":" + k }

// Blocked reports whether any of keys is locked, and for how long.
func (t *Throttle) Blocked(ctx context.Context, keys ...string) (bool, time.Duration, error) {
	now := t.s.now()
	var wait time.Duration
	for _, k := range keys {
		// The max-th most recent failure within the window decides when
		// the key is free again.
		var at []time.Time
		err := t.s.read(ctx).Model(&ThrottleEvent{}).Where("key = ? AND at > ?", t.key(k), now.Add(-t.window)).
			Order("at DESC").Limit(t.max).Pluck("at", &at).Error
		if err != nil {
			return false, 0, fmt.Errorf("store: throttle %s: %w", t.name, err)
		}
		if len(at) >= t.max && t.max > 0 {
			if w := at[t.max-1].Add(t.window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait > 0, wait, nil
}

// Fail records a failed attempt for every key.
func (t *Throttle) Fail(ctx context.Context, keys ...string) error {
	now := t.s.now()
	rows := make([]ThrottleEvent, len(keys))
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = t.key(k)
		rows[i] = ThrottleEvent{Key: names[i], At: now, ExpiresAt: now.Add(t.window)}
	}
	if len(rows) == 0 {
		return nil
	}
	err := t.s.db.WithContext(ctx).Where("key IN ? AND expires_at <= ?", names, now).Delete(&ThrottleEvent{}).Error
	if err == nil {
		err = t.s.db.WithContext(ctx).Create(&rows).Error
	}
	if err != nil {
		return fmt.Errorf("store: throttle %s: %w", t.name, err)
	}
	return t.s.sweepThrottleEvents(ctx, now)
}

// Succeed forgets the failures of key (a successful sign-in for that email).
func (t *Throttle) Succeed(ctx context.Context, key string) error {
	if err := t.s.db.WithContext(ctx).Where("key = ?", t.key(key)).Delete(&ThrottleEvent{}).Error; err != nil {
		return fmt.Errorf("store: throttle %s: %w", t.name, err)
	}
	return nil
}

// sweepThrottleEvents deletes the expired failures of every key, at most
// once every throttleSweepEvery per store: failures of keys that never come
// back (a spray of addresses) would otherwise stay for ever.
func (s *Store) sweepThrottleEvents(ctx context.Context, now time.Time) error {
	last := s.throttleSwept.Load()
	if now.UnixNano()-last < int64(throttleSweepEvery) && now.UnixNano() >= last {
		return nil
	}
	if !s.throttleSwept.CompareAndSwap(last, now.UnixNano()) {
		return nil // another request sweeps
	}
	if err := s.db.WithContext(ctx).Where("expires_at <= ?", now).Delete(&ThrottleEvent{}).Error; err != nil {
		return fmt.Errorf("store: sweep throttle events: %w", err)
	}
	return nil
}
