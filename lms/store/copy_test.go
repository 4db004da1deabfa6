package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCopySQLiteToPostgres: every row of an SQLite organisation arrives in
// an empty PostgreSQL database, counts checked table by table; new rows
// there get new ids; a second copy into the now full database, or a source
// with text PostgreSQL cannot store, is refused and changes nothing. Needs
// PostgreSQL: runs when LECTERN_TEST_POSTGRES is set (CI sets it).
func TestCopySQLiteToPostgres(t *testing.T) {
	if os.Getenv(TestPostgresEnv) == "" {
		t.Skip("needs PostgreSQL: set " + TestPostgresEnv)
	}
	ctx := WithActor(context.Background(), Actor{Name: "test", Via: ViaCLI})
	path := filepath.Join(t.TempDir(), "lectern.db")
	src, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	c := newCourse(t, src, "Fire safety", CoursePublished)
	var users []*User
	for _, email := range []string{"ada@example.org", "bo@example.org", "cy@example.org"} {
		u := &User{Email: email, Name: strings.ToUpper(email[:1]) + email[1:2], PasswordHash: "h", Active: true}
		if err := src.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
		due := time.Now().Add(48 * time.Hour).UTC()
		if _, _, err := src.Enrol(ctx, u.ID, c.ID, &due); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := src.CreateSession(ctx, "sess-hash", users[0].ID, time.Hour, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	if err := src.SetPassword(ctx, users[1].ID, "new"); err != nil {
		t.Fatal(err)
	}

	dsn := testDSN(t)
	dst, err := Open(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	counts, err := src.CopyTo(ctx, dst)
	if err != nil {
		t.Fatalf("copy: %v (%v)", err, counts)
	}
	got := map[string]TableCount{}
	for _, c := range counts {
		got[c.Table] = c
		if c.From != c.To {
			t.Errorf("%s: %d rows in the source, %d copied", c.Table, c.From, c.To)
		}
	}
	for table, want := range map[string]int64{"users": 3, "courses": 1, "course_versions": 1, "items": 1, "enrolments": 3, "sessions": 1} {
		if got[table].To != want {
			t.Errorf("%s: %d rows copied, want %d", table, got[table].To, want)
		}
	}
	if got["audit_entries"].To == 0 {
		t.Error("the audit trail was not copied")
	}
	// Every table of the source is accounted for.
	var tables []string
	src.rdb.Raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations'").Scan(&tables)
	for _, table := range tables {
		if _, ok := got[table]; !ok {
			t.Errorf("table %s was not copied", table)
		}
	}
	u, err := dst.UserByEmail(ctx, "BO@example.org")
	if err != nil || u.ID != users[1].ID || u.Name != users[1].Name {
		t.Fatalf("copied user: %+v %v", u, err)
	}
	if _, got, err := dst.SessionUser(ctx, "sess-hash", 0); err != nil || got.ID != users[0].ID {
		t.Errorf("copied session: %v", err)
	}
	n := &User{Email: "new@example.org", Name: "New", PasswordHash: "h"}
	if err := dst.CreateUser(ctx, n); err != nil || n.ID <= users[2].ID {
		t.Errorf("a user made after the copy: id %d (%v), want one past %d", n.ID, err, users[2].ID)
	}

	// Into a database that has rows: refused.
	if _, err := src.CopyTo(ctx, dst); err == nil || !strings.Contains(err.Error(), "empty database") {
		t.Errorf("second copy: %v, want a refusal", err)
	}

	// Text that is not UTF-8: refused, naming the row, and nothing copied.
	w, _ := src.db.DB()
	if _, err := w.Exec("UPDATE users SET name = ? WHERE id = ?", "Bad \xff name", users[2].ID); err != nil {
		t.Fatal(err)
	}
	dst2, err := Open(testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer dst2.Close()
	if _, err := src.CopyTo(ctx, dst2); err == nil || !strings.Contains(err.Error(), "UTF-8") || !strings.Contains(err.Error(), "users") {
		t.Errorf("copy of a name that is not UTF-8: %v", err)
	}
	var left int64
	dst2.db.Raw("SELECT COUNT(*) FROM courses").Scan(&left)
	if left != 0 {
		t.Errorf("a refused copy left %d courses", left)
	}
}
