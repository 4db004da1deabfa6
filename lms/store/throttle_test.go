package store

import (
	"context"
	"testing"
	"time"
)

// TestThrottleAtLimit: N failures within the window lock a key, N-1 do
// not; the lock lifts when the window has passed; a success forgets the
// key's failures; two throttles on one database (two instances) share the
// count; expired failures are swept.
func TestThrottleAtLimit(t *testing.T) {
	dsn := testDSN(t)
	a, err := Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a.SetClock(clock)
	b.SetClock(clock)
	const max = 3
	const window = 15 * time.Minute
	ta, tb := a.Throttle("sign-in", max, window), b.Throttle("sign-in", max, window)
	blocked := func(th *Throttle, keys ...string) (bool, time.Duration) {
		t.Helper()
		ok, wait, err := th.Blocked(ctx, keys...)
		if err != nil {
			t.Fatal(err)
		}
		return ok, wait
	}
	fail := func(th *Throttle, keys ...string) {
		t.Helper()
		if err := th.Fail(ctx, keys...); err != nil {
			t.Fatal(err)
		}
	}
	// Failures split across the two instances add up.
	fail(ta, "a@x")
	now = now.Add(time.Second)
	fail(tb, "a@x")
	for _, th := range []*Throttle{ta, tb} {
		if ok, _ := blocked(th, "a@x"); ok {
			t.Fatalf("blocked after %d failures, limit %d", max-1, max)
		}
	}
	fail(ta, "a@x") // N-th failure: the N+1-th attempt is refused, at either instance
	for i, th := range []*Throttle{ta, tb} {
		ok, wait := blocked(th, "a@x", "10.0.0.1")
		if !ok || wait != window-time.Second {
			t.Fatalf("instance %d after %d failures: blocked=%v wait=%v, want true %v", i, max, ok, wait, window-time.Second)
		}
	}
	if ok, _ := blocked(tb, "b@x"); ok {
		t.Error("another key is blocked")
	}
	if ok, _ := blocked(b.Throttle("reset", max, window), "a@x"); ok {
		t.Error("another throttle's key is blocked")
	}
	now = now.Add(window - time.Second - time.Microsecond)
	if ok, _ := blocked(tb, "a@x"); !ok {
		t.Error("unblocked before the window passed")
	}
	now = now.Add(time.Microsecond)
	if ok, _ := blocked(tb, "a@x"); ok {
		t.Error("still blocked after the window passed")
	}
	fail(ta, "c@x")
	if err := tb.Succeed(ctx, "c@x"); err != nil {
		t.Fatal(err)
	}
	fail(ta, "c@x")
	fail(tb, "c@x")
	if ok, _ := blocked(ta, "c@x"); ok {
		t.Error("a success did not reset the count")
	}

	// Failures of keys that never come back are swept once they have
	// expired.
	count := func() int64 {
		var n int64
		if err := a.db.Model(&ThrottleEvent{}).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 4 {
		t.Errorf("%d failures stored, want 4 (a@x's two of 09:00:01, c@x's two)", n)
	}
	now = now.Add(window + throttleSweepEvery)
	fail(ta, "d@x")
	if n := count(); n != 1 {
		t.Errorf("%d failures stored after the sweep, want d@x's 1", n)
	}
}
