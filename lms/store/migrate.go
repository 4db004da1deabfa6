package store

import (
	"context"
	"fmt"

	"gorm.io/gorm"
)

// migration is one numbered schema change. Released migrations are never
// edited: a change of schema is a new entry at the end of the list.
type migration struct {
	version int
	name    string
	up      func(tx *gorm.DB) error
}

var migrations = []migration{
	{1, "accounts, sessions, courses and versions", func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&User{}, &Session{}, &LoginLink{}, &Course{}, &CourseVersion{}, &Item{})
	}},
	{2, "run-time: attempts, SCO states, launches, commit journal", func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&Attempt{}, &ScoState{}, &Launch{}, &Commit{}, &SharedValue{})
	}},
	{3, "compliance: groups, enrolments, completions, messages", func(tx *gorm.DB) error {
		m := tx.Migrator()
		// Migration 1 creates courses from today's model, so the columns may
		// already be there on a new database.
		for _, col := range []string{"ValidityMonths", "RequirePass"} {
			if !m.HasColumn(&Course{}, col) {
				if err := m.AddColumn(&Course{}, col); err != nil {
					return err
				}
			}
		}
		return m.CreateTable(&Group{}, &Membership{}, &GroupEnrolment{}, &Enrolment{}, &Completion{}, &Message{})
	}},
	{4, "API tokens", func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&APIToken{})
	}},
	{5, "report indexes", createReportIndexes},
}

// migrate applies the migrations the database has not seen yet, each in its
// own transaction together with its bookkeeping row.
func (s *Store) migrate(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	if err := db.AutoMigrate(&schemaMigration{}); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	var done []int
	if err := db.Model(&schemaMigration{}).Pluck("version", &done).Error; err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	applied := make(map[int]bool, len(done))
	for _, v := range done {
		applied[v] = true
	}
	for _, m := range migrations {
		if applied[m.version] {
			continue
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := m.up(tx); err != nil {
				return err
			}
			return tx.Create(&schemaMigration{Version: m.version, Name: m.name, AppliedAt: s.now()}).Error
		})
		if err != nil {
			return fmt.Errorf("store: migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

// SchemaVersion is the number of the newest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.read(ctx).Model(&schemaMigration{}).Select("COALESCE(MAX(version), 0)").Scan(&v).Error
	return v, err
}
