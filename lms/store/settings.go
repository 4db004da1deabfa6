package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Setting is one value an administrator saved in Lectern itself rather
// than in a flag: the organisation's name and time zone from the set-up
// page.
type Setting struct {
	Key       string    `gorm:"primaryKey;size:100"`
	Value     string    `gorm:"size:2000;not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// Keys of the stored settings.
const (
	SettingOrganisation = "organisation"
	SettingTimeZone     = "timezone"
	// SettingSetUp records when the set-up page created the first admin; its
	// primary key makes a second set-up fail even when two race.
	SettingSetUp = "setup.completed"
)

// Settings returns every stored setting by key.
func (s *Store) Settings(ctx context.Context) (map[string]string, error) {
	var rows []Setting
	if err := s.read(ctx).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: settings: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

// SaveSettings stores values by key, with one audit entry listing them
// and, for each key in before, what it was ("organisation.before").
func (s *Store) SaveSettings(ctx context.Context, values map[string]string, before ...map[string]string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := saveSettings(tx, values, s.now()); err != nil {
			return err
		}
		return s.auditFor(tx, "settings.change", func(e *AuditEntry) {
			e.Target = "organisation settings"
			e.Detail = map[string]any{}
			for k, v := range values {
				e.Detail[k] = v
				for _, b := range before {
					if old, ok := b[k]; ok {
						e.Detail[k+".before"] = old
					}
				}
			}
		})
	})
}

func saveSettings(tx *gorm.DB, values map[string]string, now time.Time) error {
	for k, v := range values {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "key"}},
			DoUpdates: clause.AssignmentColumns([]string{"value", "updated_at"}),
		}).Create(&Setting{Key: k, Value: v, UpdatedAt: now}).Error
		if err != nil {
			return fmt.Errorf("store: save setting %s: %w", k, err)
		}
	}
	return nil
}

// ErrSetUpDone means an administrator exists, so the set-up page is closed.
var ErrSetUpDone = errors.New("Lectern is already set up")

// HasAdmin reports whether any administrator exists, active or not.
func (s *Store) HasAdmin(ctx context.Context) (bool, error) {
	var n int64
	if err := s.read(ctx).Model(&User{}).Where("admin = ?", true).Limit(1).Count(&n).Error; err != nil {
		return false, fmt.Errorf("store: has admin: %w", err)
	}
	return n > 0, nil
}

// SetUp is the first run: it stores the organisation's settings and creates
// the first administrator, in one transaction, only while no administrator
// exists. ErrSetUpDone otherwise; ErrConflict when the email is taken (by a
// learner made on the command line).
func (s *Store) SetUp(ctx context.Context, admin *User, values map[string]string) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&User{}).Where("admin = ?", true).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrSetUpDone
		}
		now := s.now()
		// The marker's primary key makes a second set-up fail on any database.
		if err := tx.Create(&Setting{Key: SettingSetUp, Value: now.Format(time.RFC3339), UpdatedAt: now}).Error; err != nil {
			if errors.Is(notFound(err), ErrConflict) {
				return ErrSetUpDone
			}
			return err
		}
		if err := saveSettings(tx, values, now); err != nil {
			return err
		}
		admin.Email = NormalizeEmail(admin.Email)
		admin.Admin, admin.Active = true, true
		admin.CreatedAt, admin.UpdatedAt = now, now
		if err := tx.Create(admin).Error; err != nil {
			return notFound(err)
		}
		id := admin.ID
		e := &AuditEntry{ActorID: &id, ActorName: admin.Name + " <" + admin.Email + ">", Via: ViaWeb, Action: "setup",
			SubjectUserID: &id, Target: admin.Email, Detail: map[string]any{}}
		for k, v := range values {
			e.Detail[k] = v
		}
		return s.audit(tx, e)
	})
	if err != nil {
		return fmt.Errorf("store: set up: %w", err)
	}
	return nil
}
