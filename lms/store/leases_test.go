package store

import (
	"context"
	"testing"
	"time"
)

// TestLeases: one holder at a time; the holder renews; another takes over
// when the lease runs out (its holder died) or is released; a job's lease
// does not hold another job.
func TestLeases(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	take := func(holder string, want bool) {
		t.Helper()
		got, err := s.TakeLease(ctx, "notifier", holder, 30*time.Second)
		if err != nil || got != want {
			t.Fatalf("%s takes the lease at %s: %v %v, want %v", holder, now.Format(time.TimeOnly), got, err, want)
		}
	}
	take("a", true)
	take("b", false)
	now = now.Add(20 * time.Second)
	take("a", true) // renewed until 09:00:50
	now = now.Add(20 * time.Second)
	take("b", false) // 09:00:40: a's renewal still holds
	if ok, err := s.TakeLease(ctx, "lti-outbox", "b", 30*time.Second); !ok || err != nil {
		t.Errorf("another job's lease: %v %v", ok, err)
	}
	now = now.Add(11 * time.Second) // a stopped renewing: ran out at 09:00:50
	take("b", true)
	take("a", false)
	if err := s.ReleaseLease(ctx, "notifier", "a"); err != nil { // not a's to release
		t.Fatal(err)
	}
	take("a", false)
	if err := s.ReleaseLease(ctx, "notifier", "b"); err != nil {
		t.Fatal(err)
	}
	take("a", true)
}

// TestReadyOnEitherDatabase: store.Ready (the /readyz check) on the test's
// database, SQLite or PostgreSQL: ready when current, not ready when a
// migration row is missing, and its test write leaves nothing behind.
func TestReadyOnEitherDatabase(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("fresh store not ready: %v", err)
	}
	var before time.Time
	s.db.Raw("SELECT MAX(applied_at) FROM schema_migrations").Scan(&before)
	if err := s.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	var after time.Time
	s.db.Raw("SELECT MAX(applied_at) FROM schema_migrations").Scan(&after)
	if !after.Equal(before) {
		t.Errorf("the check's write stayed: %v became %v", before, after)
	}
	if err := s.db.Exec("DELETE FROM schema_migrations WHERE version = ?", migrations[0].version).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); err == nil {
		t.Error("ready with a migration missing")
	}
}

// TestWriterQueueNeverDeadlocks: a statement run for the first time while a
// transaction holds the writer waits for that transaction, and the
// transaction may run the same statement meanwhile. (GORM's cache of
// prepared statements made the transaction wait for the waiting statement's
// preparation, which waited for the transaction's connection: an instance's
// lease renewal once hung a server this way.)
func TestWriterQueueNeverDeadlocks(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	q := s.rebind("INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)")
	tx := s.db.WithContext(ctx).Begin()
	if tx.Error != nil {
		t.Fatal(tx.Error)
	}
	if err := tx.Exec(s.rebind("DELETE FROM leases WHERE name = ?"), "nobody").Error; err != nil {
		t.Fatal(err)
	}
	queued := make(chan error, 1)
	go func() { queued <- s.db.WithContext(ctx).Exec(q, "outside", "b", s.now()).Error }()
	// Let the statement outside reach the writer's queue first; whatever the
	// order, both must finish.
	time.Sleep(200 * time.Millisecond)
	if err := tx.Exec(q, "inside", "a", s.now()).Error; err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit().Error; err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-queued:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the statement queued behind the transaction never ran: the writer is deadlocked")
	}
	var n int64
	if err := s.db.Table("leases").Where("name IN ?", []string{"inside", "outside"}).Count(&n).Error; err != nil || n != 2 {
		t.Errorf("leases written: %d (%v), want 2", n, err)
	}
}
