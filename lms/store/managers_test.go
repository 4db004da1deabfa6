package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestManagers: a manager's groups, learners and courses, audited changes,
// and the migration run again on a database that has its tables.
func TestManagers(t *testing.T) {
	s := openTest(t)
	ctx := WithActor(context.Background(), Actor{Name: "op", Via: ViaCLI})
	c := newCourse(t, s, "Fire safety", CoursePublished)
	boss, lee, ann := newUser(t, s, "boss@example.org"), newUser(t, s, "lee@example.org"), newUser(t, s, "ann@example.org")
	ware, _ := s.CreateGroup(ctx, "Warehouse")
	office, _ := s.CreateGroup(ctx, "Office")
	for _, m := range []struct{ u, g uint }{{lee.ID, ware.ID}, {ann.ID, office.ID}} {
		if _, err := s.AddMember(ctx, m.u, m.g, noDue); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []uint{lee.ID, ann.ID} {
		if _, _, err := s.Enrol(ctx, u, c.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	if ok, _ := s.IsManager(ctx, boss.ID); ok {
		t.Error("boss is a manager before being made one")
	}
	if added, err := s.AddManager(ctx, boss.ID, ware.ID); err != nil || !added {
		t.Fatalf("add manager: %v %v", added, err)
	}
	if added, err := s.AddManager(ctx, boss.ID, ware.ID); err != nil || added {
		t.Errorf("add manager again: %v %v, want not added", added, err)
	}
	if _, err := s.AddManager(ctx, boss.ID, 999); !errors.Is(err, ErrNotFound) {
		t.Errorf("manager of no group: %v, want ErrNotFound", err)
	}
	if ok, _ := s.ManagesLearner(ctx, boss.ID, lee.ID); !ok {
		t.Error("boss does not manage lee, in the Warehouse")
	}
	if ok, _ := s.ManagesLearner(ctx, boss.ID, ann.ID); ok {
		t.Error("boss manages ann, in the Office")
	}
	gs, _ := s.ManagedGroups(ctx, boss.ID)
	if len(gs) != 1 || gs[0].Name != "Warehouse" {
		t.Errorf("managed groups %+v, want the Warehouse", gs)
	}
	if ms, _ := s.GroupManagers(ctx, ware.ID); len(ms) != 1 || ms[0].ID != boss.ID {
		t.Errorf("group managers %+v", ms)
	}
	if ids, _ := s.ManagedCourseIDs(ctx, boss.ID); len(ids) != 1 || ids[0] != c.ID {
		t.Errorf("managed courses %v, want [%d]", ids, c.ID)
	}

	sched := &ReportSchedule{GroupID: &ware.ID, Format: "csv", Period: PeriodWeekly, Recipients: []string{"a@example.org", "b@example.org"}, OwnerID: boss.ID}
	if err := s.CreateSchedule(ctx, sched); err != nil {
		t.Fatal(err)
	}
	row, err := s.ScheduleByID(ctx, sched.ID)
	if err != nil || row.GroupName == nil || *row.GroupName != "Warehouse" || len(row.Recipients) != 2 {
		t.Fatalf("schedule %+v %v", row, err)
	}
	if n, err := s.QueueScheduledReport(ctx, row, "", "2026-W10"); err != nil || n != 2 {
		t.Errorf("queue: %d %v, want 2", n, err)
	}
	if n, err := s.QueueScheduledReport(ctx, row, "", "2026-W10"); err != nil || n != 0 {
		t.Errorf("queue from a stale period: %d %v, want nothing", n, err)
	}
	ds, _ := s.UnsentDeliveries(ctx, 10, 100)
	if len(ds) != 2 {
		t.Fatalf("deliveries %+v", ds)
	}
	if err := s.MarkDeliverySent(ctx, &ds[0], row); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDeliverySent(ctx, &ds[0], row); !errors.Is(err, ErrNotFound) {
		t.Errorf("sent twice: %v, want ErrNotFound", err)
	}

	// Removing the manager ends their schedules of the group.
	if err := s.RemoveManager(ctx, boss.ID, ware.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveManager(ctx, boss.ID, ware.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove again: %v, want ErrNotFound", err)
	}
	if rows, _ := s.Schedules(ctx, 0); len(rows) != 0 {
		t.Errorf("schedules after the manager left: %+v", rows)
	}
	var actions []string
	s.db.Model(&AuditEntry{}).Where("action LIKE 'group.manager%' OR action LIKE 'report_schedule%'").Order("id").Pluck("action", &actions)
	want := "group.manager_add report_schedule.create report_schedule.due report_schedule.sent group.manager_remove"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("audit %q, want %q", got, want)
	}
	// The migration runs again safely on a database that has its tables.
	if err := managersAndSchedules(s.db); err != nil {
		t.Errorf("migration again: %v", err)
	}
}
