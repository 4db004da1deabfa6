package store

import (
	"context"
	"errors"
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
	{6, "audit trail", func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&AuditEntry{})
	}},
	{7, "LTI 1.3 tool: platforms, keys, launches, placements, grade outbox", func(tx *gorm.DB) error {
		return tx.Migrator().CreateTable(&LTIPlatform{}, &LTIDeployment{}, &LTIKey{}, &LTIState{}, &LTILaunchCode{},
			&LTIIdentity{}, &LTIContext{}, &LTIPlacement{}, &LTIGrade{}, &LTIScore{}, &LTISession{}, &LTIRegistration{})
	}},
	{8, "pass policy, corrections, offline completions", compliancePolicy},
	{9, "LTI: the storage frame of a login", func(tx *gorm.DB) error {
		if m := tx.Migrator(); !m.HasColumn(&LTIState{}, "StorageTarget") {
			return m.AddColumn(&LTIState{}, "StorageTarget")
		}
		return nil
	}},
	{10, "LTI: table names", func(tx *gorm.DB) error {
		// Migration 7 first ran with GORM's default names for three tables.
		m := tx.Migrator()
		for old, now := range map[string]string{"lt_iplatforms": "lti_platforms", "lt_ideployments": "lti_deployments", "lt_iplacements": "lti_placements"} {
			if m.HasTable(old) && !m.HasTable(now) {
				if err := m.RenameTable(old, now); err != nil {
					return err
				}
			}
		}
		return nil
	}},
	{11, "review launches", func(tx *gorm.DB) error {
		if tx.Migrator().HasColumn(&Launch{}, "Review") {
			return nil
		}
		return tx.Migrator().AddColumn(&Launch{}, "Review")
	}},
	{12, "accounts: settings, invitations and resets, single sign-on, account emails", migrateAccounts},
	{13, "SCORM 2004 sequencing: activity trees of attempts, global objectives", func(tx *gorm.DB) error {
		for _, t := range []any{&SeqTree{}, &GlobalObjective{}} {
			if !tx.Migrator().HasTable(t) {
				if err := tx.Migrator().CreateTable(t); err != nil {
					return err
				}
			}
		}
		return nil
	}},
	{14, "course lifecycle: description, image, status; test launches", courseLifecycle},
	{15, "leases: one instance at a time runs each background job", func(tx *gorm.DB) error {
		if tx.Migrator().HasTable(&Lease{}) {
			return nil
		}
		return tx.Migrator().CreateTable(&Lease{})
	}},
	{16, "managers of groups; scheduled report emails", managersAndSchedules},
	{17, "course catalogue: enrolled learners only, or open to every learner", courseCatalogue},
	{18, "throttling: failed sign-ins and reset requests counted in the database", func(tx *gorm.DB) error {
		if tx.Migrator().HasTable(&ThrottleEvent{}) {
			return nil
		}
		return tx.Migrator().CreateTable(&ThrottleEvent{})
	}},
	{19, "commit journal: no index by launch", func(tx *gorm.DB) error {
		return tx.Exec("DROP INDEX IF EXISTS idx_commits_launch_id").Error
	}},
}

// migrate applies the migrations the database has not seen yet, each in its
// own transaction together with its bookkeeping row.
//
// On PostgreSQL several instances may start at once: each transaction takes
// an advisory lock first and looks again at what is applied, so a migration
// runs once, whichever instance gets there first.
func (s *Store) migrate(ctx context.Context) error {
	db := s.db.WithContext(ctx)
	lock := func(tx *gorm.DB) error {
		if !s.pg {
			return nil
		}
		return tx.Exec("SELECT pg_advisory_xact_lock(?)", migrateLockKey).Error
	}
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := lock(tx); err != nil {
			return err
		}
		return tx.AutoMigrate(&schemaMigration{})
	})
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	applied := func(tx *gorm.DB) (map[int]bool, error) {
		var done []int
		if err := tx.Model(&schemaMigration{}).Pluck("version", &done).Error; err != nil {
			return nil, err
		}
		m := make(map[int]bool, len(done))
		for _, v := range done {
			m[v] = true
		}
		return m, nil
	}
	seen, err := applied(db)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	for _, m := range migrations {
		if seen[m.version] {
			continue
		}
		err := db.Transaction(func(tx *gorm.DB) error {
			if err := lock(tx); err != nil {
				return err
			}
			if s.pg {
				// Another instance may have applied it while this one waited.
				now, err := applied(tx)
				if err != nil || now[m.version] {
					return err
				}
			}
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

// migrateLockKey is the PostgreSQL advisory lock that migrations hold.
const migrateLockKey = 0x4c65637465726e01 // "Lectern" and 1

// SchemaVersion is the number of the newest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.read(ctx).Model(&schemaMigration{}).Select("COALESCE(MAX(version), 0)").Scan(&v).Error
	return v, err
}

// errReadyRollback undoes Ready's test write.
var errReadyRollback = errors.New("store: ready check rolled back")

// Ready says whether the store can serve: every migration this build knows
// is applied, and a real write succeeds (made in a transaction that is
// rolled back, so it leaves nothing). It works the same on every dialect.
func (s *Store) Ready(ctx context.Context) error {
	var done []int
	if err := s.read(ctx).Model(&schemaMigration{}).Pluck("version", &done).Error; err != nil {
		return fmt.Errorf("store: ready: reading migrations: %w", err)
	}
	have := make(map[int]bool, len(done))
	for _, v := range done {
		have[v] = true
	}
	for _, m := range migrations {
		if !have[m.version] {
			return fmt.Errorf("store: ready: migration %d (%s) is not applied", m.version, m.name)
		}
	}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Exec("UPDATE schema_migrations SET applied_at = applied_at WHERE version = ?", migrations[len(migrations)-1].version)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return fmt.Errorf("the test write changed %d rows, want 1", res.RowsAffected)
		}
		return errReadyRollback
	})
	if err != nil && !errors.Is(err, errReadyRollback) {
		return fmt.Errorf("store: ready: the database cannot be written: %w", err)
	}
	return nil
}
