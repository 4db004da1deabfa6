package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestMigration8FromOldDatabase: a database made before migration 8 keeps
// its completions (certificates still verify), a course that required a
// pass keeps requiring it and the others get the new default, and
// completions without an attempt (offline) become possible.
func TestMigration8FromOldDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lectern.db")
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var courses []uint
	for _, title := range []string{"Strict", "Lenient"} {
		v := &CourseVersion{Edition: "1.2", Title: title, ContentDir: title}
		if err := s.CreateCourseVersion(ctx, 0, v, nil, func(*CourseVersion) error { return nil }); err != nil {
			t.Fatal(err)
		}
		courses = append(courses, v.CourseID)
	}
	u := &User{Email: "lee@example.org", Name: "Lee", PasswordHash: "x"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	e, _, err := s.Enrol(ctx, u.ID, courses[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	// Put the database back to how migration 6 left it.
	old := []string{
		"DROP TABLE completions",
		`CREATE TABLE completions (id integer PRIMARY KEY AUTOINCREMENT, enrolment_id integer NOT NULL, user_id integer NOT NULL,
			course_id integer NOT NULL, attempt_id integer NOT NULL, cycle integer NOT NULL, completed_at datetime NOT NULL,
			passed numeric NOT NULL, score_scaled real, expires_at datetime, code text NOT NULL, course_title text NOT NULL,
			user_name text NOT NULL, created_at datetime NOT NULL)`,
		"CREATE INDEX idx_completions_enrolment_id ON completions(enrolment_id)",
		"CREATE INDEX idx_completions_user_id ON completions(user_id)",
		"CREATE INDEX idx_completions_course_id ON completions(course_id)",
		"CREATE UNIQUE INDEX idx_completions_attempt_id ON completions(attempt_id)",
		"CREATE UNIQUE INDEX idx_completions_code ON completions(code)",
		"DROP TABLE evidences",
		"DELETE FROM schema_migrations WHERE version >= 8",
		"UPDATE courses SET require_pass = true, pass_rule = '' WHERE title = 'Strict'",
		"UPDATE courses SET pass_rule = '' WHERE title = 'Lenient'",
	}
	for _, q := range old {
		if err := s.db.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	now := time.Now().UTC()
	if err := s.db.Exec(`INSERT INTO completions (enrolment_id, user_id, course_id, attempt_id, cycle, completed_at, passed, code, course_title, user_name, created_at)
		VALUES (?, ?, ?, 42, 1, ?, true, 'AAAA-BBBB-CCCC', 'Strict', 'Lee', ?)`, e.ID, u.ID, courses[0], now, now).Error; err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = OpenSQLite(path)
	if err != nil {
		t.Fatalf("migrating: %v", err)
	}
	defer s.Close()
	c, err := s.CompletionByCode(ctx, "AAAA-BBBB-CCCC")
	if err != nil || c.AttemptID == nil || *c.AttemptID != 42 || c.Source != CompletionAttempt || c.RevokedAt != nil {
		t.Fatalf("kept completion: %+v, %v", c, err)
	}
	for i, want := range []string{PassRequired, PassAuto} {
		co, _ := s.CourseByID(ctx, courses[i])
		if co.PassRule != want || co.AttemptPolicy != AttemptBest || co.IgnorePriorWork {
			t.Errorf("course %q: rule %q, policy %q, ignore prior work %v; want %q, best, false", co.Title, co.PassRule, co.AttemptPolicy, co.IgnorePriorWork, want)
		}
	}
	// An offline completion has no attempt; a reissue shares one.
	for _, code := range []string{"OFFL-INE0-0001", "REIS-SUED-0002"} {
		comp := &Completion{EnrolmentID: e.ID, UserID: u.ID, CourseID: courses[0], Cycle: 1, CompletedAt: now, Code: code, CourseTitle: "Strict", UserName: "Lee"}
		if code[0] == 'R' {
			comp.AttemptID = c.AttemptID
		}
		if err := s.db.Create(comp).Error; err != nil {
			t.Errorf("%s: %v", code, err)
		}
	}
	if err := s.db.Create(&Completion{EnrolmentID: e.ID, UserID: u.ID, CourseID: courses[0], Cycle: 1, CompletedAt: now, Code: "AAAA-BBBB-CCCC", CourseTitle: "x", UserName: "x"}).Error; err == nil {
		t.Error("a second certificate with the same code was accepted")
	}
	if v, _ := s.SchemaVersion(ctx); v != migrations[len(migrations)-1].version {
		t.Errorf("schema version %d", v)
	}
}
