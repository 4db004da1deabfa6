package store

import (
	"gorm.io/gorm"
)

// compliancePolicy is migration 8: courses get a pass rule, an attempt
// policy, a maximum of attempts and the prior-work switch; versions their
// pass criterion; enrolments a source, exemption and the attempt that counts;
// completions become revocable, may come from an offline session (no
// attempt), and one attempt may back a revoked certificate and its
// reissue; evidence files get a table.
//
// Existing courses: one that required a pass keeps requiring it
// ("required"); the others get the new default ("auto": a pass is required
// when the package judges one, and a failure never counts). Nothing already
// recorded changes: completions recorded under the old rule stay until an
// admin confirms the recompute that the course's settings page offers.
func compliancePolicy(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, add := range []struct {
		model any
		cols  []string
	}{
		{&Course{}, []string{"PassRule", "AttemptPolicy", "MaxAttempts", "IgnorePriorWork"}},
		{&CourseVersion{}, []string{"PassJudged", "PassingScore"}},
		{&Enrolment{}, []string{"Source", "ExemptAt", "ExemptReason", "CountingAttemptID", "Outcome", "EvaluatedAt"}},
	} {
		for _, col := range add.cols {
			if !m.HasColumn(add.model, col) {
				if err := m.AddColumn(add.model, col); err != nil {
					return err
				}
			}
		}
	}
	if err := tx.Exec("UPDATE courses SET pass_rule = CASE WHEN require_pass THEN ? ELSE ? END", PassRequired, PassAuto).Error; err != nil {
		return err
	}
	if err := tx.Exec("UPDATE enrolments SET source = CASE WHEN cycle > 1 THEN ? WHEN group_id IS NOT NULL THEN ? ELSE ? END",
		SourceRecertification, SourceGroup, SourceDirect).Error; err != nil {
		return err
	}
	if err := rebuildCompletions(tx); err != nil {
		return err
	}
	return m.CreateTable(&Evidence{})
}

// rebuildCompletions recreates the completions table in today's shape
// (attempt_id nullable and no longer unique, new columns), keeping every
// row: SQLite cannot drop NOT NULL or a unique index in place.
func rebuildCompletions(tx *gorm.DB) error {
	m := tx.Migrator()
	if err := tx.Exec("ALTER TABLE completions RENAME TO completions_before_8").Error; err != nil {
		return err
	}
	// Index names are global to the database: free them for the new table.
	for _, idx := range []string{"idx_completions_enrolment_id", "idx_completions_user_id", "idx_completions_course_id",
		"idx_completions_attempt_id", "idx_completions_code"} {
		if err := tx.Exec("DROP INDEX IF EXISTS " + idx).Error; err != nil {
			return err
		}
	}
	if err := m.CreateTable(&Completion{}); err != nil {
		return err
	}
	const cols = "id, enrolment_id, user_id, course_id, attempt_id, cycle, completed_at, passed, score_scaled, expires_at, code, course_title, user_name, created_at"
	if err := tx.Exec("INSERT INTO completions ("+cols+", source, note, revoked_kind, revoked_reason) SELECT "+cols+
		", ?, '', '', '' FROM completions_before_8", CompletionAttempt).Error; err != nil {
		return err
	}
	if err := tx.Exec("DROP TABLE completions_before_8").Error; err != nil {
		return err
	}
	if tx.Dialector.Name() == "postgres" {
		// The copied ids do not move the new table's sequence.
		return tx.Exec("SELECT setval(pg_get_serial_sequence('completions', 'id'), COALESCE((SELECT MAX(id) FROM completions), 0) + 1, false)").Error
	}
	return nil
}
