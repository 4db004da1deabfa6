package store

import (
	"context"
	"errors"
	"testing"
)

// rowCounts counts the rows a launch could write.
func rowCounts(t *testing.T, s *Store) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"enrolments", "attempts", "launches", "audit_entries"} {
		var n int64
		if err := s.db.Table(table).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func setCatalogue(t *testing.T, s *Store, c *Course, catalogue string) {
	t.Helper()
	if err := s.SetCourseCatalogue(context.Background(), c.ID, catalogue, "test"); err != nil {
		t.Fatal(err)
	}
	c.Catalogue = catalogue
}

// TestCourseAccess: enrolment decides access to an enrolled-only course;
// an open published course takes everyone; drafts and archived courses
// nobody; an open retired course only those who started it.
func TestCourseAccess(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	ada, bob := newUser(t, s, "ada@example.org"), newUser(t, s, "bob@example.org")
	mk := func(title, status, catalogue string) *Course {
		c := newCourse(t, s, title, CoursePublished)
		if catalogue == CatalogueOpen {
			setCatalogue(t, s, c, catalogue)
		}
		if _, _, err := s.Enrol(ctx, ada.ID, c.ID, nil); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.OpenAttempt(ctx, bob.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		if status != CoursePublished {
			if err := s.SetCourseStatus(ctx, c.ID, status); err != nil {
				t.Fatal(err)
			}
		}
		c, err := s.CourseByID(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	draft := newCourse(t, s, "Draft", CourseDraft)
	setCatalogue(t, s, draft, CatalogueOpen)
	carol := newUser(t, s, "carol@example.org")
	for _, tc := range []struct {
		name   string
		course *Course
		user   *User
		want   Access
	}{
		{"enrolled-only, enrolled", mk("A", CoursePublished, CatalogueEnrolled), ada, AccessEnrolled},
		// Bob's attempt dates from before the setting (or his unenrolment):
		// it gives him no access.
		{"enrolled-only, attempt without enrolment", mk("B", CoursePublished, CatalogueEnrolled), bob, AccessNone},
		{"enrolled-only, stranger", mk("C", CoursePublished, CatalogueEnrolled), carol, AccessNone},
		{"open, stranger", mk("D", CoursePublished, CatalogueOpen), carol, AccessOpen},
		{"open, enrolled", mk("E", CoursePublished, CatalogueOpen), ada, AccessEnrolled},
		{"open draft", draft, carol, AccessNone},
		{"open archived, enrolled", mk("F", CourseArchived, CatalogueOpen), ada, AccessNone},
		{"open retired, stranger", mk("G", CourseRetired, CatalogueOpen), carol, AccessNone},
		{"open retired, started", mk("H", CourseRetired, CatalogueOpen), bob, AccessEnrolled},
		{"enrolled-only retired, enrolled", mk("I", CourseRetired, CatalogueEnrolled), ada, AccessEnrolled},
		{"enrolled-only retired, started", mk("J", CourseRetired, CatalogueEnrolled), bob, AccessNone},
	} {
		got, err := s.CourseAccess(ctx, tc.user.ID, tc.course)
		if err != nil || got != tc.want {
			t.Errorf("%s: access %d, %v; want %d", tc.name, got, err, tc.want)
		}
	}
}

// TestTakeCourseRefusedWritesNothing: a learner who may not take a course
// is refused, and no row of any kind is written.
func TestTakeCourseRefusedWritesNothing(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c := newCourse(t, s, "Anti-bribery", CoursePublished)
	ada := newUser(t, s, "ada@example.org")
	before := rowCounts(t, s)
	enrolled, err := s.TakeCourse(ctx, ada.ID, c.ID)
	if !errors.Is(err, ErrNotAvailable) || enrolled {
		t.Fatalf("take an enrolled-only course: %v, enrolled %v; want ErrNotAvailable", err, enrolled)
	}
	if after := rowCounts(t, s); after["enrolments"] != before["enrolments"] || after["attempts"] != before["attempts"] ||
		after["launches"] != before["launches"] || after["audit_entries"] != before["audit_entries"] {
		t.Errorf("rows before %v, after %v: the refusal wrote", before, after)
	}
	if _, err := s.TakeCourse(ctx, ada.ID, 9999); !errors.Is(err, ErrNotFound) {
		t.Errorf("no such course: %v, want ErrNotFound", err)
	}
	// Enrolled, she may take it, and nothing more is written.
	if _, _, err := s.Enrol(ctx, ada.ID, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	before = rowCounts(t, s)
	if enrolled, err := s.TakeCourse(ctx, ada.ID, c.ID); err != nil || enrolled {
		t.Errorf("take when enrolled: %v, enrolled %v; want nil, false", err, enrolled)
	}
	if after := rowCounts(t, s); after["enrolments"] != before["enrolments"] || after["audit_entries"] != before["audit_entries"] {
		t.Errorf("rows before %v, after %v: taking a course one is enrolled in wrote", before, after)
	}
}

// TestTakeCourseSelfEnrols: taking an open course enrols the learner once,
// without a due date, with one "enrolment.self" audit entry; the
// enrolment is like any other (the learner's enrolments list it).
func TestTakeCourseSelfEnrols(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c := newCourse(t, s, "Kitchen hygiene", CoursePublished)
	setCatalogue(t, s, c, CatalogueOpen)
	ada := newUser(t, s, "ada@example.org")
	before := rowCounts(t, s)
	enrolled, err := s.TakeCourse(ctx, ada.ID, c.ID)
	if err != nil || !enrolled {
		t.Fatalf("take an open course: %v, enrolled %v; want nil, true", err, enrolled)
	}
	after := rowCounts(t, s)
	if after["enrolments"] != before["enrolments"]+1 || after["audit_entries"] != before["audit_entries"]+1 || after["attempts"] != before["attempts"] {
		t.Errorf("rows before %v, after %v: want one enrolment and one audit entry more", before, after)
	}
	e, err := s.EnrolmentOf(ctx, ada.ID, c.ID)
	if err != nil || e.Source != SourceSelf || e.DueAt != nil || e.Cycle != 1 {
		t.Fatalf("enrolment %+v, %v: want source self, no due date, cycle 1", e, err)
	}
	entries, err := s.AuditEntries(ctx, AuditFilter{Action: "enrolment.self"}, 10)
	if err != nil || len(entries) != 1 {
		t.Fatalf("audit entries: %d, %v; want 1", len(entries), err)
	}
	if a := entries[0]; a.Reason != "self-enrolled" || a.SubjectUserID == nil || *a.SubjectUserID != ada.ID || a.CourseID == nil || *a.CourseID != c.ID {
		t.Errorf("audit entry %+v: want reason self-enrolled, subject Ada, the course", a.AuditEntry)
	}
	// A second launch finds her enrolled.
	if enrolled, err := s.TakeCourse(ctx, ada.ID, c.ID); err != nil || enrolled {
		t.Errorf("second take: %v, enrolled %v; want nil, false", err, enrolled)
	}
	if again := rowCounts(t, s); again["enrolments"] != after["enrolments"] || again["audit_entries"] != after["audit_entries"] {
		t.Errorf("rows after the second take %v, want %v", again, after)
	}
}

// TestLearnerCoursesCatalogue: the catalogue lists open published courses
// one is not enrolled in, never drafts, archived, retired (unless started)
// or enrolled-only courses.
func TestLearnerCoursesCatalogue(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	ada, bob := newUser(t, s, "ada@example.org"), newUser(t, s, "bob@example.org")
	open := newCourse(t, s, "Open", CoursePublished)
	setCatalogue(t, s, open, CatalogueOpen)
	newCourse(t, s, "Enrolled only", CoursePublished)
	draft := newCourse(t, s, "Open draft", CourseDraft)
	setCatalogue(t, s, draft, CatalogueOpen)
	for _, st := range []string{CourseRetired, CourseArchived} {
		c := newCourse(t, s, "Open "+st, CoursePublished)
		setCatalogue(t, s, c, CatalogueOpen)
		if _, _, err := s.OpenAttempt(ctx, bob.ID, c.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.SetCourseStatus(ctx, c.ID, st); err != nil {
			t.Fatal(err)
		}
	}
	titles := func(u *User) []string {
		cs, err := s.LearnerCourses(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Title)
		}
		return out
	}
	if got := titles(ada); len(got) != 1 || got[0] != "Open" {
		t.Errorf("Ada's catalogue: %q, want [Open]", got)
	}
	if got := titles(bob); len(got) != 2 || got[0] != "Open" || got[1] != "Open retired" {
		t.Errorf("Bob's catalogue: %q, want [Open, Open retired] (he started the retired one)", got)
	}
	// Enrolled in the open course, Ada finds it among her enrolments, not here.
	if _, err := s.TakeCourse(ctx, ada.ID, open.ID); err != nil {
		t.Fatal(err)
	}
	if got := titles(ada); len(got) != 0 {
		t.Errorf("Ada's catalogue once enrolled: %q, want none", got)
	}
}

// TestSetCourseCatalogue: the setting changes with a reason in the audit
// trail; an unknown value, a missing reason or no change are refused.
func TestSetCourseCatalogue(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c := newCourse(t, s, "Fire safety", CoursePublished)
	if c.Catalogue != CatalogueEnrolled {
		t.Fatalf("a new course's catalogue setting is %q, want %q", c.Catalogue, CatalogueEnrolled)
	}
	if err := s.SetCourseCatalogue(ctx, c.ID, "everyone", "why not"); !errors.Is(err, ErrCatalogue) {
		t.Errorf("unknown setting: %v, want ErrCatalogue", err)
	}
	if err := s.SetCourseCatalogue(ctx, c.ID, CatalogueOpen, ""); err == nil {
		t.Error("no reason: accepted")
	}
	if err := s.SetCourseCatalogue(ctx, c.ID, CatalogueEnrolled, "again"); !errors.Is(err, ErrAlready) {
		t.Errorf("same setting: %v, want ErrAlready", err)
	}
	if err := s.SetCourseCatalogue(ctx, 9999, CatalogueOpen, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("no such course: %v, want ErrNotFound", err)
	}
	if n, _ := s.CountAudit(ctx, AuditFilter{Action: "course.catalogue"}); n != 0 {
		t.Errorf("refused changes wrote %d audit entries", n)
	}
	if err := s.SetCourseCatalogue(ctx, c.ID, CatalogueOpen, "Open to all staff from May"); err != nil {
		t.Fatal(err)
	}
	got, _ := s.CourseByID(ctx, c.ID)
	if got.Catalogue != CatalogueOpen {
		t.Errorf("catalogue %q, want open", got.Catalogue)
	}
	entries, err := s.AuditEntries(ctx, AuditFilter{Action: "course.catalogue"}, 10)
	if err != nil || len(entries) != 1 || entries[0].Reason != "Open to all staff from May" ||
		entries[0].Detail["from"] != CatalogueEnrolled || entries[0].Detail["to"] != CatalogueOpen {
		t.Errorf("audit: %+v, %v; want one entry with the reason, from enrolled to open", entries, err)
	}
}

// TestMigrateCourseCatalogue: a database from before migration 17 gets
// the column, and its courses, once open to every learner, are for
// enrolled learners only.
func TestMigrateCourseCatalogue(t *testing.T) {
	path := testDSN(t)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	c := newCourse(t, s, "Old course", CoursePublished)
	for _, q := range []string{"ALTER TABLE courses DROP COLUMN catalogue", "DELETE FROM schema_migrations WHERE version = 17"} {
		if err := s.db.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	got, err := s.CourseByID(ctx, c.ID)
	if err != nil || got.Catalogue != CatalogueEnrolled || got.Title != "Old course" {
		t.Errorf("after migrating: %+v %v, want the course, enrolled-only", got, err)
	}
	if v, _ := s.SchemaVersion(ctx); v < 17 {
		t.Errorf("schema version %d, want at least 17", v)
	}
	// A course made now, whatever the code sets, starts enrolled-only.
	if err := s.db.Exec("INSERT INTO courses (title, created_at, updated_at) VALUES ('Raw', ?, ?)", s.now(), s.now()).Error; err != nil {
		t.Fatal(err)
	}
	var cat string
	if err := s.db.Raw("SELECT catalogue FROM courses WHERE title = 'Raw'").Scan(&cat).Error; err != nil || cat != CatalogueEnrolled {
		t.Errorf("the column's default: %q, %v; want enrolled", cat, err)
	}
}
