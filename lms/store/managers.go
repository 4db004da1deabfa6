package store

// Managers: a user who manages groups sees and exports the compliance of
// their members and may remind the overdue ones, nothing else. Scheduled
// reports: a course's or a group's report emailed weekly or monthly.

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ManagedGroup makes a user a manager of a group.
type ManagedGroup struct {
	UserID    uint      `gorm:"primaryKey;autoIncrement:false"`
	User      User      `gorm:"constraint:OnDelete:CASCADE"`
	GroupID   uint      `gorm:"primaryKey;autoIncrement:false;index"`
	Group     Group     `gorm:"constraint:OnDelete:CASCADE"`
	CreatedAt time.Time `gorm:"not null"`
}

// MessageManagerReminder is a reminder a manager sent to an overdue member,
// at most one per enrolment cycle.
const MessageManagerReminder = "manager"

// managedMembersSQL selects the users in the groups that ? manages.
const managedMembersSQL = `SELECT ms.user_id FROM memberships ms JOIN managed_groups mg ON mg.group_id = ms.group_id WHERE mg.user_id = ?`

// AddManager makes a user a manager of a group; added is false when they
// already were.
func (s *Store) AddManager(ctx context.Context, userID, groupID uint) (added bool, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		var u User
		if err := tx.First(&u, userID).Error; err != nil {
			return err
		}
		var g Group
		if err := tx.First(&g, groupID).Error; err != nil {
			return err
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&ManagedGroup{UserID: userID, GroupID: groupID, CreatedAt: s.now()})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		added = true
		return s.auditFor(tx, "group.manager_add", func(e *AuditEntry) {
			e.SubjectUserID, e.GroupID, e.Target = Ref(userID), Ref(groupID), u.Email+" manages "+g.Name
		})
	})
	if err != nil {
		return false, fmt.Errorf("store: add manager: %w", notFound(err))
	}
	return added, nil
}

// RemoveManager ends a user's management of a group. Their scheduled
// reports of the group end with it.
func (s *Store) RemoveManager(ctx context.Context, userID, groupID uint) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("user_id = ? AND group_id = ?", userID, groupID).Delete(&ManagedGroup{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := tx.Where("owner_id = ? AND group_id = ?", userID, groupID).Delete(&ReportSchedule{}).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "group.manager_remove", func(e *AuditEntry) { e.SubjectUserID, e.GroupID = Ref(userID), Ref(groupID) })
	})
	if err != nil {
		return fmt.Errorf("store: remove manager: %w", err)
	}
	return nil
}

// ManagedGroups lists the groups a user manages, by name.
func (s *Store) ManagedGroups(ctx context.Context, userID uint) ([]Group, error) {
	var gs []Group
	err := s.read(ctx).Joins("JOIN managed_groups mg ON mg.group_id = groups.id").
		Where("mg.user_id = ?", userID).Order("groups.name").Find(&gs).Error
	if err != nil {
		return nil, fmt.Errorf("store: managed groups: %w", err)
	}
	return gs, nil
}

// GroupManagers lists the managers of a group, by name.
func (s *Store) GroupManagers(ctx context.Context, groupID uint) ([]User, error) {
	var us []User
	err := s.read(ctx).Joins("JOIN managed_groups mg ON mg.user_id = users.id").
		Where("mg.group_id = ?", groupID).Order("users.name, users.email").Find(&us).Error
	if err != nil {
		return nil, fmt.Errorf("store: group managers: %w", err)
	}
	return us, nil
}

// Manages tells whether a user manages a group.
func (s *Store) Manages(ctx context.Context, userID, groupID uint) (bool, error) {
	var n int64
	err := s.read(ctx).Model(&ManagedGroup{}).Where("user_id = ? AND group_id = ?", userID, groupID).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("store: manages: %w", err)
	}
	return n > 0, nil
}

// IsManager tells whether a user manages any group.
func (s *Store) IsManager(ctx context.Context, userID uint) (bool, error) {
	var n int64
	err := s.read(ctx).Model(&ManagedGroup{}).Where("user_id = ?", userID).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("store: is manager: %w", err)
	}
	return n > 0, nil
}

// ManagesLearner tells whether a learner is in one of the groups a manager
// manages.
func (s *Store) ManagesLearner(ctx context.Context, managerID, learnerID uint) (bool, error) {
	var n int64
	err := s.read(ctx).Raw("SELECT COUNT(*) FROM ("+managedMembersSQL+") x WHERE x.user_id = ?", managerID, learnerID).Scan(&n).Error
	if err != nil {
		return false, fmt.Errorf("store: manages learner: %w", err)
	}
	return n > 0, nil
}

// ManagedCourseIDs lists the courses in which members of the manager's
// groups are enrolled.
func (s *Store) ManagedCourseIDs(ctx context.Context, managerID uint) ([]uint, error) {
	var ids []uint
	err := s.read(ctx).Raw("SELECT DISTINCT e.course_id FROM enrolments e WHERE e.user_id IN ("+managedMembersSQL+") ORDER BY e.course_id", managerID).
		Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: managed courses: %w", err)
	}
	return ids, nil
}

// GroupCourseIDs lists the courses in which members of a group are
// enrolled, by title.
func (s *Store) GroupCourseIDs(ctx context.Context, groupID uint) ([]uint, error) {
	var ids []uint
	err := s.read(ctx).Raw(`SELECT c.id FROM courses c WHERE c.id IN (SELECT e.course_id FROM enrolments e
		WHERE e.user_id IN (SELECT user_id FROM memberships WHERE group_id = ?)) ORDER BY c.title, c.id`, groupID).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("store: group courses: %w", err)
	}
	return ids, nil
}

// OverdueInGroup lists the reminders a manager may send: one per overdue
// enrolment of an active member of the group, in a course still in use.
// Learners from an LTI platform hear from it, not from Lectern.
func (s *Store) OverdueInGroup(ctx context.Context, groupID uint) ([]Reminder, error) {
	var rs []Reminder
	err := s.read(ctx).Table("enrolments e").
		Select(`e.id AS enrolment_id, e.cycle, e.user_id, u.email AS user_email, u.name AS user_name, u.admin AS user_admin,
			e.course_id, c.title AS course_title, e.enrolled_at, e.due_at, e.expires_at`).
		Joins("JOIN users u ON u.id = e.user_id").
		Joins("JOIN courses c ON c.id = e.course_id").
		Where("e.user_id IN (SELECT user_id FROM memberships WHERE group_id = ?)", groupID).
		Where("u.active = ?", true).
		Where("NOT EXISTS (SELECT 1 FROM lti_identities li WHERE li.user_id = u.id)").
		Where("c.status IN ?", []string{CoursePublished, CourseRetired}).
		Where("e.completed_at IS NULL AND e.exempt_at IS NULL AND e.due_at IS NOT NULL AND e.due_at < ?", s.now().UTC()).
		Order("u.name, e.id").Scan(&rs).Error
	if err != nil {
		return nil, fmt.Errorf("store: overdue in group: %w", err)
	}
	for i := range rs {
		rs[i].Kind = MessageManagerReminder
	}
	return rs, nil
}

// QueueManagerReminders stores a manager's reminders, at most one per
// enrolment cycle, with one audit entry for the group; queued is how many
// were new.
func (s *Store) QueueManagerReminders(ctx context.Context, groupID uint, ms []*Message) (queued int, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		for _, m := range ms {
			m.ID, m.CreatedAt, m.SentAt, m.Attempts, m.LastError, m.Kind = 0, now, nil, 0, "", MessageManagerReminder
			res := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "enrolment_id"}, {Name: "kind"}, {Name: "cycle"}},
				DoNothing: true,
			}).Create(m)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected > 0 {
				queued++
			}
		}
		return s.auditFor(tx, "group.remind_overdue", func(e *AuditEntry) {
			e.GroupID, e.Detail = Ref(groupID), map[string]any{"overdue": len(ms), "queued": queued}
		})
	})
	if err != nil {
		return 0, fmt.Errorf("store: queue manager reminders: %w", err)
	}
	return queued, nil
}

// ReportSchedule emails a course's or a group's report every week or month.
// A manager's schedule shows only members of the groups they manage, as
// they are when it is sent.
type ReportSchedule struct {
	ID         uint     `gorm:"primaryKey"`
	CourseID   *uint    `gorm:"index"`
	Course     *Course  `gorm:"constraint:OnDelete:CASCADE"`
	GroupID    *uint    `gorm:"index"`
	Group      *Group   `gorm:"constraint:OnDelete:CASCADE"`
	Format     string   `gorm:"size:4;not null"`  // "csv" or "xlsx"
	Period     string   `gorm:"size:10;not null"` // PeriodWeekly or PeriodMonthly
	Recipients []string `gorm:"serializer:json;not null"`
	OwnerID    uint     `gorm:"not null;index"`
	Owner      User     `gorm:"constraint:OnDelete:CASCADE"`
	// LastPeriod is the period whose report was last queued ("2026-W10",
	// "2026-03"): stored, so a restart sends no period twice.
	LastPeriod string    `gorm:"size:10;not null;default:''"`
	CreatedAt  time.Time `gorm:"not null"`
}

// Schedule periods.
const (
	PeriodWeekly  = "weekly"
	PeriodMonthly = "monthly"
)

// ReportDelivery is one scheduled report to one address for one period.
type ReportDelivery struct {
	ID         uint           `gorm:"primaryKey"`
	ScheduleID uint           `gorm:"not null;uniqueIndex:idx_report_delivery"`
	Schedule   ReportSchedule `gorm:"constraint:OnDelete:CASCADE"`
	Period     string         `gorm:"size:10;not null;uniqueIndex:idx_report_delivery"`
	To         string         `gorm:"size:254;not null;uniqueIndex:idx_report_delivery"`
	CreatedAt  time.Time      `gorm:"not null"`
	SentAt     *time.Time     `gorm:"index"`
	Attempts   int            `gorm:"not null;default:0"`
	LastError  string         `gorm:"size:1000;not null;default:''"`
}

// ScheduleRow is a schedule with the names it refers to.
type ScheduleRow struct {
	ReportSchedule
	CourseTitle *string
	GroupName   *string
	OwnerName   string
	OwnerEmail  string
	OwnerAdmin  bool
	OwnerActive bool
}

// Subject is what the report is of, in words.
func (r ScheduleRow) Subject() string {
	switch {
	case r.CourseTitle != nil:
		return "course “" + *r.CourseTitle + "”"
	case r.GroupName != nil:
		return "group “" + *r.GroupName + "”"
	}
	return "nothing"
}

// CreateSchedule stores a schedule, audited.
func (s *Store) CreateSchedule(ctx context.Context, r *ReportSchedule) error {
	if (r.CourseID == nil) == (r.GroupID == nil) {
		return fmt.Errorf("store: create schedule: want a course or a group")
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r.ID, r.CreatedAt = 0, s.now()
		if err := tx.Omit(clause.Associations).Create(r).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "report_schedule.create", func(e *AuditEntry) {
			e.CourseID, e.GroupID = r.CourseID, r.GroupID
			e.Target = fmt.Sprintf("schedule %d", r.ID)
			e.Detail = map[string]any{"format": r.Format, "period": r.Period, "recipients": r.Recipients}
		})
	})
	if err != nil {
		return fmt.Errorf("store: create schedule: %w", notFound(err))
	}
	return nil
}

// DeleteSchedule removes a schedule, audited; ownerID != 0 removes it only
// if that user made it.
func (s *Store) DeleteSchedule(ctx context.Context, id, ownerID uint) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var r ReportSchedule
		q := tx.Where("id = ?", id)
		if ownerID != 0 {
			q = q.Where("owner_id = ?", ownerID)
		}
		if err := q.First(&r).Error; err != nil {
			return err
		}
		if err := tx.Delete(&ReportSchedule{}, id).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "report_schedule.delete", func(e *AuditEntry) {
			e.CourseID, e.GroupID, e.Target = r.CourseID, r.GroupID, fmt.Sprintf("schedule %d", r.ID)
			e.Detail = map[string]any{"format": r.Format, "period": r.Period, "recipients": r.Recipients}
		})
	})
	if err != nil {
		return fmt.Errorf("store: delete schedule: %w", notFound(err))
	}
	return nil
}

func (s *Store) scheduleRows(ctx context.Context) *gorm.DB {
	return s.read(ctx).Table("report_schedules r").Select(`r.*, c.title AS course_title, g.name AS group_name,
		u.name AS owner_name, u.email AS owner_email, u.admin AS owner_admin, u.active AS owner_active`).
		Joins("LEFT JOIN courses c ON c.id = r.course_id").
		Joins("LEFT JOIN groups g ON g.id = r.group_id").
		Joins("JOIN users u ON u.id = r.owner_id")
}

// Schedules lists the schedules, of one owner when ownerID != 0.
func (s *Store) Schedules(ctx context.Context, ownerID uint) ([]ScheduleRow, error) {
	q := s.scheduleRows(ctx)
	if ownerID != 0 {
		q = q.Where("r.owner_id = ?", ownerID)
	}
	var rows []ScheduleRow
	if err := q.Order("r.id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: schedules: %w", err)
	}
	return rows, nil
}

// ScheduleByID reads one schedule with its names.
func (s *Store) ScheduleByID(ctx context.Context, id uint) (*ScheduleRow, error) {
	var rows []ScheduleRow
	if err := s.scheduleRows(ctx).Where("r.id = ?", id).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: schedule %d: %w", id, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("store: schedule %d: %w", id, ErrNotFound)
	}
	return &rows[0], nil
}

// QueueScheduledReport records that period's report of a schedule is due:
// one delivery per recipient, and the period as the schedule's last, in one
// transaction with its audit entry. It queues nothing when the schedule's
// last period is no longer from (another round got there first).
func (s *Store) QueueScheduledReport(ctx context.Context, r *ScheduleRow, from, period string) (int, error) {
	n := 0
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&ReportSchedule{}).Where("id = ? AND last_period = ?", r.ID, from).Update("last_period", period)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		now := s.now()
		for _, to := range r.Recipients {
			res := tx.Clauses(clause.OnConflict{DoNothing: true}).
				Create(&ReportDelivery{ScheduleID: r.ID, Period: period, To: to, CreatedAt: now})
			if res.Error != nil {
				return res.Error
			}
			n += int(res.RowsAffected)
		}
		return s.auditFor(tx, "report_schedule.due", func(e *AuditEntry) {
			e.CourseID, e.GroupID, e.Target = r.CourseID, r.GroupID, fmt.Sprintf("schedule %d", r.ID)
			e.Detail = map[string]any{"period": period, "recipients": r.Recipients, "format": r.Format}
		})
	})
	if err != nil {
		return 0, fmt.Errorf("store: queue scheduled report %d: %w", r.ID, err)
	}
	return n, nil
}

// UnsentDeliveries lists scheduled reports waiting to go, oldest first.
func (s *Store) UnsentDeliveries(ctx context.Context, maxAttempts, limit int) ([]ReportDelivery, error) {
	q := s.read(ctx).Where("sent_at IS NULL")
	if maxAttempts > 0 {
		q = q.Where("attempts < ?", maxAttempts)
	}
	var ds []ReportDelivery
	if err := q.Order("id").Limit(limit).Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("store: unsent deliveries: %w", err)
	}
	return ds, nil
}

// Deliveries lists the deliveries of a schedule, newest first.
func (s *Store) Deliveries(ctx context.Context, scheduleID uint) ([]ReportDelivery, error) {
	var ds []ReportDelivery
	if err := s.read(ctx).Where("schedule_id = ?", scheduleID).Order("id DESC").Limit(50).Find(&ds).Error; err != nil {
		return nil, fmt.Errorf("store: deliveries: %w", err)
	}
	return ds, nil
}

// DeliveryRow is a scheduled report's delivery with what it was a report of.
type DeliveryRow struct {
	ReportDelivery
	OwnerID        uint
	OwnerName      string
	Format         string
	SchedulePeriod string // weekly or monthly
	CourseTitle    *string
	GroupName      *string
}

// Subject is what the report is of, in words.
func (d DeliveryRow) Subject() string {
	return ScheduleRow{CourseTitle: d.CourseTitle, GroupName: d.GroupName}.Subject()
}

// DeliveryHistory lists the deliveries of scheduled reports, newest first,
// at most limit; of the schedules of one owner when ownerID != 0. The
// deliveries of a stopped schedule go with it (its audit entries stay).
func (s *Store) DeliveryHistory(ctx context.Context, ownerID uint, limit int) ([]DeliveryRow, error) {
	q := s.read(ctx).Table("report_deliveries d").
		Select(`d.*, r.owner_id, u.name AS owner_name, r.format, r.period AS schedule_period,
			c.title AS course_title, g.name AS group_name`).
		Joins("JOIN report_schedules r ON r.id = d.schedule_id").
		Joins("JOIN users u ON u.id = r.owner_id").
		Joins("LEFT JOIN courses c ON c.id = r.course_id").
		Joins("LEFT JOIN groups g ON g.id = r.group_id")
	if ownerID != 0 {
		q = q.Where("r.owner_id = ?", ownerID)
	}
	var rows []DeliveryRow
	if err := q.Order("d.id DESC").Limit(limit).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: delivery history: %w", err)
	}
	return rows, nil
}

// MarkDeliverySent records that a scheduled report went out, with its audit
// entry.
func (s *Store) MarkDeliverySent(ctx context.Context, d *ReportDelivery, r *ScheduleRow) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&ReportDelivery{}).Where("id = ? AND sent_at IS NULL", d.ID).
			Updates(map[string]any{"sent_at": s.now().UTC(), "attempts": gorm.Expr("attempts + 1"), "last_error": ""})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return s.audit(tx, &AuditEntry{Action: "report_schedule.sent", CourseID: r.CourseID, GroupID: r.GroupID,
			Target: d.To, ActorName: SystemActor.Name, Via: ViaSystem,
			Detail: map[string]any{"schedule": r.ID, "period": d.Period, "format": r.Format}})
	})
	if err != nil {
		return fmt.Errorf("store: mark delivery %d sent: %w", d.ID, err)
	}
	return nil
}

// MarkDeliveryFailed records a failed try; counted says whether it counts
// as an attempt (a refusal of the message) or not (the server was away).
func (s *Store) MarkDeliveryFailed(ctx context.Context, id uint, reason string, counted bool) error {
	up := map[string]any{"last_error": truncate(reason, 1000)}
	if counted {
		up["attempts"] = gorm.Expr("attempts + 1")
	}
	if err := s.db.WithContext(ctx).Model(&ReportDelivery{}).Where("id = ? AND sent_at IS NULL", id).Updates(up).Error; err != nil {
		return fmt.Errorf("store: mark delivery %d failed: %w", id, err)
	}
	return nil
}

// managersAndSchedules is the migration of this file's tables.
func managersAndSchedules(tx *gorm.DB) error {
	for _, t := range []any{&ManagedGroup{}, &ReportSchedule{}, &ReportDelivery{}} {
		if tx.Migrator().HasTable(t) {
			continue
		}
		if err := tx.Migrator().CreateTable(t); err != nil {
			return err
		}
	}
	return nil
}
