package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// newCourse stores a one-item course with the given status.
func newCourse(t testing.TB, s *Store, title, status string) *Course {
	t.Helper()
	v := &CourseVersion{Edition: "1.2", Title: title, SCOCount: 1, LaunchableCount: 1, CourseStatus: status}
	items := []Item{{Identifier: "i1", Title: "Page", Launch: "index.html", ScormType: "sco", Visible: true, ParentPosition: -1}}
	if err := s.CreateCourseVersion(context.Background(), 0, v, items, func(*CourseVersion) error { return nil }); err != nil {
		t.Fatal(err)
	}
	c, err := s.CourseByID(context.Background(), v.CourseID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newUser(t testing.TB, s *Store, email string) *User {
	t.Helper()
	u := &User{Email: email, Name: email, PasswordHash: "h"}
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func noDue(time.Time, DueRule) *time.Time { return nil }

// TestCourseLifecycle: the allowed moves, enrolments refused outside
// "published", group rules that stop and start again, and audit entries.
func TestCourseLifecycle(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c := newCourse(t, s, "Fire safety", CourseDraft)
	lee, ann := newUser(t, s, "lee@example.org"), newUser(t, s, "ann@example.org")
	g, err := s.CreateGroup(ctx, "Warehouse")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddMember(ctx, lee.ID, g.ID, noDue); err != nil {
		t.Fatal(err)
	}

	if _, _, err := s.Enrol(ctx, lee.ID, c.ID, nil); !errors.Is(err, ErrNotEnrollable) {
		t.Errorf("enrol in a draft: %v, want ErrNotEnrollable", err)
	}
	if _, err := s.EnrolGroup(ctx, g.ID, c.ID, DueRule{}, noDue); !errors.Is(err, ErrNotEnrollable) {
		t.Errorf("enrol a group in a draft: %v, want ErrNotEnrollable", err)
	}
	if _, _, err := s.OpenAttempt(ctx, lee.ID, c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("open a draft: %v, want not found", err)
	}
	for _, to := range []string{CourseRetired, CourseArchived, CourseDraft} {
		if err := s.SetCourseStatus(ctx, c.ID, to); !errors.Is(err, ErrTransition) {
			t.Errorf("draft to %s: %v, want ErrTransition", to, err)
		}
	}
	before := lastAudit(t, s)
	if err := s.SetCourseStatus(ctx, c.ID, CoursePublished); err != nil {
		t.Fatal(err)
	}
	if a := lastAudit(t, s); a.ID == before.ID || a.Action != "course.publish" || a.CourseID == nil || *a.CourseID != c.ID {
		t.Errorf("audit after publishing: %+v", a)
	}
	if n, err := s.EnrolGroup(ctx, g.ID, c.ID, DueRule{}, noDue); err != nil || n != 1 {
		t.Fatalf("enrol group: %d %v", n, err)
	}
	if err := s.SetCourseStatus(ctx, c.ID, CourseRetired); err != nil {
		t.Fatal(err)
	}
	// Retired: no new enrolment, not even through the group's rule; the
	// existing one stays and its due date may still change.
	if _, _, err := s.Enrol(ctx, ann.ID, c.ID, nil); !errors.Is(err, ErrNotEnrollable) {
		t.Errorf("enrol in a retired course: %v, want ErrNotEnrollable", err)
	}
	if added, err := s.AddMember(ctx, ann.ID, g.ID, noDue); err != nil || !added {
		t.Fatalf("join group: %v %v", added, err)
	}
	due := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, created, err := s.Enrol(ctx, lee.ID, c.ID, &due); err != nil || created {
		t.Errorf("change the due date of an existing enrolment in a retired course: created %v, %v", created, err)
	}
	rows, _ := s.Enrolments(ctx, EnrolmentFilter{CourseID: c.ID})
	if len(rows) != 1 || rows[0].UserID != lee.ID || rows[0].CourseStatus != CourseRetired {
		t.Errorf("enrolments of the retired course: %+v, want Lee's only, marked retired", rows)
	}
	// Lee holds a record and may still open it; Ann may not.
	if _, _, err := s.OpenAttempt(ctx, lee.ID, c.ID); err != nil {
		t.Errorf("Lee opens the retired course: %v", err)
	}
	if ok, _ := s.HoldsRecord(ctx, ann.ID, c.ID); ok {
		t.Error("Ann holds a record of a course she was never enrolled in")
	}
	// Reinstated, the group's rule enrols its members again.
	if err := s.SetCourseStatus(ctx, c.ID, CoursePublished); err != nil {
		t.Fatal(err)
	}
	bob := newUser(t, s, "bob@example.org")
	if _, err := s.AddMember(ctx, bob.ID, g.ID, noDue); err != nil {
		t.Fatal(err)
	}
	if rows, _ := s.Enrolments(ctx, EnrolmentFilter{CourseID: c.ID}); len(rows) != 2 {
		t.Errorf("%d enrolments after reinstating and a new member, want Lee and Bob", len(rows))
	}
	// With records the course cannot be deleted; archived, nobody is
	// reminded and nobody opens it.
	if _, err := s.DeleteCourse(ctx, c.ID); !errors.Is(err, ErrHasRecords) {
		t.Errorf("delete with records: %v, want ErrHasRecords", err)
	}
	if err := s.SetCourseStatus(ctx, c.ID, CourseArchived); err != nil {
		t.Fatal(err)
	}
	if rs, err := s.DueReminders(ctx, 7, 30); err != nil || len(rs) != 0 {
		t.Errorf("reminders about an archived course: %+v %v", rs, err)
	}
	if _, _, err := s.OpenAttempt(ctx, lee.ID, c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("open an archived course: %v, want not found", err)
	}
	if err := s.SetCourseStatus(ctx, c.ID, CourseRetired); err != nil {
		t.Errorf("restore as retired: %v", err)
	}
	if rs, _ := s.DueReminders(ctx, 7, 30); len(rs) != 2 {
		t.Errorf("%d reminders about the restored, retired course, want its 2 enrolment messages", len(rs))
	}
}

// TestRecertificationStopsWhenRetired: a completion that expires in a
// retired course starts no new cycle.
func TestRecertificationStopsWhenRetired(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c := newCourse(t, s, "Forklift", CoursePublished)
	lee := newUser(t, s, "lee@example.org")
	e, _, err := s.Enrol(ctx, lee.ID, c.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := s.OpenAttempt(ctx, lee.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	done := time.Now().UTC().Add(-400 * 24 * time.Hour)
	exp := done.Add(365 * 24 * time.Hour)
	if ok, err := s.RecordCompletion(ctx, &Completion{EnrolmentID: e.ID, UserID: lee.ID, CourseID: c.ID, AttemptID: Ref(a.ID), Cycle: 1,
		CompletedAt: done, ExpiresAt: &exp, Code: "AAAA-BBBB-CCCC", CourseTitle: c.Title, UserName: lee.Name}); err != nil || !ok {
		t.Fatalf("record completion: %v %v", ok, err)
	}
	if es, _ := s.DueForRecertification(ctx, time.Now()); len(es) != 1 {
		t.Fatalf("%d due for recertification while published, want 1", len(es))
	}
	if err := s.SetCourseStatus(ctx, c.ID, CourseRetired); err != nil {
		t.Fatal(err)
	}
	if es, _ := s.DueForRecertification(ctx, time.Now()); len(es) != 0 {
		t.Errorf("%d due for recertification while retired, want none", len(es))
	}
}

// TestTestAttemptsAreNoRecord: an admin's test launch, completed and
// passed, reaches no enrolment row, completion candidate, transcript,
// report or learner list, and does not stop the course being deleted.
func TestTestAttemptsAreNoRecord(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c := newCourse(t, s, "Fire safety", CourseDraft)
	ada := newUser(t, s, "ada@example.org")
	first, err := s.StartTestAttempt(ctx, ada.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.StartTestAttempt(ctx, ada.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Test || a.CourseID != 0 || a.Number != 2 {
		t.Errorf("test attempt %+v: want Test, no course, number 2", a)
	}
	if old, _ := s.AttemptByID(ctx, first.ID); !old.Closed {
		t.Error("the earlier test attempt is still open")
	}
	now := s.now()
	if err := s.db.Model(&Attempt{}).Where("id = ?", a.ID).Updates(map[string]any{
		"completion": "completed", "success": "passed", "score_scaled": 0.9, "completed_at": now}).Error; err != nil {
		t.Fatal(err)
	}
	if has, _ := s.CourseHasRecords(ctx, c.ID); has {
		t.Error("a test launch counts as a record")
	}
	// Ada is also enrolled, as a learner: her row shows no attempt.
	if err := s.SetCourseStatus(ctx, c.ID, CoursePublished); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Enrol(ctx, ada.ID, c.ID, nil); err != nil {
		t.Fatal(err)
	}
	rows, _ := s.Enrolments(ctx, EnrolmentFilter{UserID: ada.ID})
	if len(rows) != 1 || rows[0].AttemptID != nil {
		t.Errorf("enrolment rows %+v: the test attempt shows", rows)
	}
	if sts, err := s.EnrolmentStates(ctx, EvaluateFilter{All: true}); err != nil || len(sts) != 1 || len(sts[0].Attempts) != 0 {
		t.Errorf("what compliance evaluates: %+v %v, want Ada's enrolment without attempts", sts, err)
	}
	var n int
	err = s.EachTranscriptRow(ctx, ada.ID, func(r *TranscriptRow) error {
		if r.AttemptID != nil {
			t.Errorf("transcript row with the test attempt: %+v", r)
		}
		n++
		return nil
	})
	if err != nil || n != 1 {
		t.Errorf("transcript: %d rows, %v", n, err)
	}
	err = s.EachReportRow(ctx, ReportFilter{CourseID: c.ID, Now: now}, func(r *ReportRow) error {
		if r.AttemptID != nil || r.Attempts != 0 {
			t.Errorf("report row shows the test attempt: %+v", r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.EachDetailSource(ctx, c.ID, 0, func(d *DetailSource) error {
		t.Errorf("interaction source from a test launch: %+v", d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Her real attempt is a separate one, numbered 1.
	real, _, err := s.OpenAttempt(ctx, ada.ID, c.ID)
	if err != nil || real.Test || real.Number != 1 || real.ID == a.ID {
		t.Errorf("real attempt %+v %v", real, err)
	}
}

// TestDeleteCourseWithTestLaunches: a course tried only by test launches is
// deleted with them, their journal and shared data included.
func TestDeleteCourseWithTestLaunches(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c := newCourse(t, s, "Fire safety", CourseDraft)
	keep := newCourse(t, s, "Other", CoursePublished)
	ada := newUser(t, s, "ada@example.org")
	a, err := s.StartTestAttempt(ctx, ada.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.StartTestAttempt(ctx, ada.ID, keep.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint{a.ID, other.ID} {
		if err := s.db.Create(&Commit{LaunchID: "l", AttemptID: id, ItemID: 1, Seq: 1, Changes: []byte("[]"), At: s.now()}).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.db.Create(&SharedValue{UserID: ada.ID, ScopeID: id, TargetID: "t", Value: "v", UpdatedAt: s.now()}).Error; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetCourseImage(ctx, c.ID, &CourseImage{ContentType: "image/png", Data: []byte("png"), Width: 1, Height: 1, Hash: "h"}); err != nil {
		t.Fatal(err)
	}
	dirs, err := s.DeleteCourse(ctx, c.ID)
	if err != nil || len(dirs) != 1 {
		t.Fatalf("delete: %v %v", dirs, err)
	}
	for _, q := range []struct {
		table string
		n     int64
	}{{"attempts", 1}, {"commits", 1}, {"shared_values", 1}, {"course_versions", 1}, {"items", 1}, {"course_images", 0}, {"courses", 1}} {
		var n int64
		if err := s.db.Table(q.table).Count(&n).Error; err != nil || n != q.n {
			t.Errorf("%s: %d rows (%v), want %d (the other course's)", q.table, n, err, q.n)
		}
	}
	if a := lastAudit(t, s); a.Action != "course.delete" || a.Target != "Fire safety" {
		t.Errorf("last audit entry %+v, want course.delete", a)
	}
}

func lastAudit(t *testing.T, s *Store) AuditEntryRow {
	t.Helper()
	rows, err := s.AuditEntries(context.Background(), AuditFilter{}, 1)
	if err != nil || len(rows) != 1 {
		t.Fatalf("audit: %v %v", rows, err)
	}
	return rows[0]
}

// TestMigrateCourseLifecycle: a database from before the course lifecycle
// gets its columns, and its courses stay visible (published).
func TestMigrateCourseLifecycle(t *testing.T) {
	path := testDSN(t)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	c := newCourse(t, s, "Old course", CourseDraft)
	var version int
	for _, m := range migrations {
		if m.name == "course lifecycle: description, image, status; test launches" {
			version = m.version
		}
	}
	// Back to the schema before the migration.
	for _, q := range []string{"DROP INDEX idx_course_status", "ALTER TABLE courses DROP COLUMN status", "ALTER TABLE courses DROP COLUMN description",
		"ALTER TABLE courses DROP COLUMN renamed", "ALTER TABLE courses DROP COLUMN image_hash", "ALTER TABLE attempts DROP COLUMN test",
		"DROP TABLE course_images"} {
		if err := s.db.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := s.db.Exec("DELETE FROM schema_migrations WHERE version >= ?", version).Error; err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err = Open(path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.CourseByID(context.Background(), c.ID)
	if err != nil || got.Status != CoursePublished || got.Title != "Old course" {
		t.Errorf("after migrating: %+v %v, want the course, published", got, err)
	}
	if _, err := s.CourseImageOf(context.Background(), c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("course_images: %v", err)
	}
}
