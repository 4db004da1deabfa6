package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMigrateAccountsFromVersion6: a database made before migration 7 had
// messages.enrolment_id NOT NULL and no link columns; the migration keeps
// its messages and indexes, lets account emails (no enrolment) in, and still
// holds each reminder to once per cycle.
func TestMigrateAccountsFromVersion6(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lectern.db")
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	old := []string{
		"DROP TABLE messages",
		"CREATE TABLE `messages` (`id` integer PRIMARY KEY AUTOINCREMENT,`user_id` integer NOT NULL,`enrolment_id` integer NOT NULL,`kind` text NOT NULL,`cycle` integer NOT NULL,`to` text NOT NULL,`subject` text NOT NULL,`body` text NOT NULL,`created_at` datetime NOT NULL,`sent_at` datetime,`attempts` integer NOT NULL,`last_error` text)",
		"CREATE INDEX `idx_messages_sent_at` ON `messages`(`sent_at`)",
		"CREATE INDEX `idx_messages_created_at` ON `messages`(`created_at`)",
		"CREATE UNIQUE INDEX `idx_message_once` ON `messages`(`enrolment_id`,`kind`,`cycle`)",
		"CREATE INDEX `idx_messages_user_id` ON `messages`(`user_id`)",
		"INSERT INTO messages (user_id, enrolment_id, kind, cycle, `to`, subject, body, created_at, attempts) VALUES (1, 7, 'enrolment', 1, 'a@x.org', 'S', 'B', '2026-01-01 00:00:00', 0)",
		fmt.Sprintf("DELETE FROM schema_migrations WHERE version = %d", accountsMigration(t)),
		"DROP TABLE settings",
	}
	for _, q := range old {
		if err := s.db.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	if s, err = OpenSQLite(path); err != nil {
		t.Fatalf("migrate from version 6: %v", err)
	}
	defer s.Close()
	m, err := s.MessageByID(ctx, 1)
	if err != nil || m.EnrolmentID == nil || *m.EnrolmentID != 7 || m.Body != "B" {
		t.Fatalf("the old message after the migration: %+v %v", m, err)
	}
	for _, idx := range []string{"idx_message_once", "idx_messages_user_id", "idx_messages_created_at", "idx_messages_sent_at", "idx_messages_link_id"} {
		if !s.db.Migrator().HasIndex(&Message{}, idx) {
			t.Errorf("index %s is missing after the migration", idx)
		}
	}
	for range 2 {
		if err := s.db.Create(&Message{UserID: 1, Kind: MessageInvitation, To: "a@x.org", Subject: "S", Body: "B", CreatedAt: time.Now()}).Error; err != nil {
			t.Errorf("account email without an enrolment: %v", err)
		}
	}
	e := uint(7)
	if queued, err := s.QueueMessage(ctx, &Message{UserID: 1, EnrolmentID: &e, Kind: "enrolment", Cycle: 1, To: "a@x.org", Subject: "S", Body: "B"}); err != nil || queued {
		t.Errorf("the same reminder again: queued=%v %v, want held by the unique key", queued, err)
	}
	if _, err := s.Settings(ctx); err != nil {
		t.Errorf("settings after the migration: %v", err)
	}
}

// accountsMigration is the number of the migration under test.
func accountsMigration(t *testing.T) int {
	for _, m := range migrations {
		if strings.HasPrefix(m.name, "accounts:") {
			return m.version
		}
	}
	t.Fatal("no accounts migration")
	return 0
}

// TestLinksAreSingleUseAndPurposeBound: a link is used once even by two
// racing requests, only for its purpose, and not after it expired or its
// user was deactivated.
func TestLinksAreSingleUseAndPurposeBound(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	u := &User{Email: "lee@example.org", Name: "Lee", PasswordHash: "h"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.IssueLink(ctx, &LoginLink{ID: "inv", UserID: u.ID, Purpose: LinkInvitation, ExpiresAt: now.Add(time.Hour)}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UseLoginLink(ctx, "inv"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an invitation used as a sign-in link: %v, want ErrNotFound", err)
	}
	results := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := s.SetPasswordWithLink(ctx, "inv", LinkInvitation, "new-hash")
			results <- err
		}()
	}
	ok := 0
	for range 2 {
		if err := <-results; err == nil {
			ok++
		} else if !errors.Is(err, ErrNotFound) {
			t.Errorf("racing use: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d racing uses succeeded, want 1", ok)
	}
	if err := s.IssueLink(ctx, &LoginLink{ID: "old", UserID: u.ID, Purpose: LinkReset, ExpiresAt: now.Add(time.Hour)}, nil, nil); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if _, err := s.PeekLink(ctx, "old", LinkReset); !errors.Is(err, ErrNotFound) {
		t.Errorf("expired link: %v", err)
	}
	if err := s.IssueLink(ctx, &LoginLink{ID: "fresh", UserID: u.ID, Purpose: LinkReset, ExpiresAt: now.Add(time.Hour)}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserActive(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetPasswordWithLink(ctx, "fresh", LinkReset, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("link of a deactivated user: %v", err)
	}
}
