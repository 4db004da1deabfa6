package account

import (
	"sync"
	"time"
)

// Throttle counts failed sign-ins per key (an email, a client address) in a
// sliding window and refuses further attempts for a key while it has max
// failures within the window. Counts live in
// memory: a restart forgives, which is acceptable for a single-binary LMS
// and keeps the database out of the attack path.
type Throttle struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu       sync.Mutex
	failures map[string][]time.Time
}

// NewThrottle allows max failures per key within window.
func NewThrottle(max int, window time.Duration, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	return &Throttle{max: max, window: window, now: now, failures: map[string][]time.Time{}}
}

// Blocked reports whether any key is locked, and for how long.
func (t *Throttle) Blocked(keys ...string) (bool, time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	var wait time.Duration
	for _, k := range keys {
		fs := t.recent(k, now)
		if len(fs) >= t.max {
			// Unlocked when enough of the failures have left the window.
			if w := fs[len(fs)-t.max].Add(t.window).Sub(now); w > wait {
				wait = w
			}
		}
	}
	return wait > 0, wait
}

// Fail records a failed attempt for every key.
func (t *Throttle) Fail(keys ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	for _, k := range keys {
		t.failures[k] = append(t.recent(k, now), now)
	}
	if len(t.failures) > 100_000 { // bound memory under a spray of keys
		for k := range t.failures {
			if len(t.recent(k, now)) == 0 {
				delete(t.failures, k)
			}
		}
	}
}

// Succeed forgets the failures of key (a successful sign-in for that email).
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.failures, key)
}

// recent drops failures older than the window. Caller holds mu.
func (t *Throttle) recent(k string, now time.Time) []time.Time {
	fs := t.failures[k]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= t.window {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(t.failures, k)
		return nil
	}
	t.failures[k] = fs
	return fs
}
