package store

import (
	"fmt"

	"gorm.io/gorm"
)

// migrateAccounts is migration 7: stored settings, the purpose of a link
// (sign-in, invitation, reset), users' sign-in time, language and single
// sign-on identity, and account emails in the outbox, which have no
// enrolment. Migrations 1 and 3 create users, links and messages from
// today's models, so on a new database the columns are already there.
func migrateAccounts(tx *gorm.DB) error {
	m := tx.Migrator()
	if !m.HasTable(&Setting{}) {
		if err := m.CreateTable(&Setting{}); err != nil {
			return err
		}
	}
	add := func(model any, cols ...string) error {
		for _, col := range cols {
			if !m.HasColumn(model, col) {
				if err := m.AddColumn(model, col); err != nil {
					return fmt.Errorf("add %s: %w", col, err)
				}
			}
		}
		return nil
	}
	if err := add(&User{}, "LastSignInAt", "Language", "SSOIssuer", "SSOSubject"); err != nil {
		return err
	}
	if !m.HasIndex(&User{}, "idx_user_sso") {
		if err := m.CreateIndex(&User{}, "idx_user_sso"); err != nil {
			return err
		}
	}
	if err := add(&LoginLink{}, "Purpose"); err != nil {
		return err
	}
	// Users who signed in before sign-ins were recorded have: a session or a
	// used link shows it. Without this they would read as never signed in.
	if err := tx.Exec(`UPDATE users SET last_sign_in_at = (SELECT MAX(created_at) FROM sessions WHERE sessions.user_id = users.id)
		WHERE last_sign_in_at IS NULL AND EXISTS (SELECT 1 FROM sessions WHERE sessions.user_id = users.id)`).Error; err != nil {
		return err
	}
	if err := tx.Exec(`UPDATE users SET last_sign_in_at = (SELECT MAX(used_at) FROM login_links WHERE login_links.user_id = users.id)
		WHERE last_sign_in_at IS NULL AND EXISTS (SELECT 1 FROM login_links WHERE login_links.user_id = users.id AND used_at IS NOT NULL)`).Error; err != nil {
		return err
	}

	// messages.enrolment_id becomes optional. SQLite cannot drop NOT NULL in
	// place: the table is rebuilt, which loses its indexes, so they are made
	// again from the model.
	cols, err := m.ColumnTypes(&Message{})
	if err != nil {
		return err
	}
	for _, c := range cols {
		if c.Name() != "enrolment_id" {
			continue
		}
		if nullable, ok := c.Nullable(); ok && !nullable {
			if err := m.AlterColumn(&Message{}, "EnrolmentID"); err != nil {
				return fmt.Errorf("messages.enrolment_id: %w", err)
			}
		}
	}
	if err := add(&Message{}, "LinkID", "Link"); err != nil {
		return err
	}
	for _, idx := range []string{"idx_message_once", "idx_messages_user_id", "idx_messages_created_at", "idx_messages_sent_at", "idx_messages_link_id"} {
		if !m.HasIndex(&Message{}, idx) {
			if err := m.CreateIndex(&Message{}, idx); err != nil {
				return fmt.Errorf("index %s: %w", idx, err)
			}
		}
	}
	return nil
}
