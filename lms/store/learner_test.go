package store

import (
	"context"
	"testing"
	"time"
)

// TestAttemptsInCycle counts a learner's attempts per enrolled course from
// the start of the current cycle: not another learner's, not admins' test
// launches, not attempts at a course without an enrolment, not attempts
// from before the cycle.
func TestAttemptsInCycle(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	c, other := newCourse(t, s, "Ladders", CoursePublished), newCourse(t, s, "Knots", CoursePublished)
	lee, ann := newUser(t, s, "lee@example.org"), newUser(t, s, "ann@example.org")
	for _, u := range []*User{lee, ann} {
		if _, _, err := s.Enrol(ctx, u.ID, c.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	start := func(u *User, courseID uint) *Attempt {
		t.Helper()
		a, _, err := s.StartNewAttempt(ctx, u.ID, courseID, 0, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.db.Model(&Attempt{}).Where("id = ?", a.ID).Update("completion", "completed").Error; err != nil {
			t.Fatal(err)
		}
		return a
	}
	first := start(lee, c.ID)
	start(lee, c.ID)
	start(ann, c.ID)
	start(lee, other.ID) // not enrolled
	if _, err := s.StartTestAttempt(ctx, lee.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.AttemptsInCycle(ctx, lee.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[c.ID] != 2 {
		t.Fatalf("attempts in cycle %v, want %d: 2", got, c.ID)
	}
	// A new cycle that starts after the first attempt leaves it out (a
	// millisecond later: PostgreSQL keeps microseconds, not nanoseconds).
	if err := s.db.Model(&Enrolment{}).Where("user_id = ? AND course_id = ?", lee.ID, c.ID).
		Update("enrolled_at", first.StartedAt.Add(time.Millisecond)).Error; err != nil {
		t.Fatal(err)
	}
	var second Attempt
	if err := s.db.Where("user_id = ? AND course_id = ? AND number = 2", lee.ID, c.ID).First(&second).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.db.Model(&Attempt{}).Where("id = ?", second.ID).Update("started_at", first.StartedAt.Add(time.Second)).Error; err != nil {
		t.Fatal(err)
	}
	if got, err := s.AttemptsInCycle(ctx, lee.ID); err != nil || got[c.ID] != 1 {
		t.Errorf("after a new cycle: %v %v, want 1", got, err)
	}
}
