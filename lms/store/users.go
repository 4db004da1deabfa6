package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// NormalizeEmail is how emails are compared and stored.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// CreateUser stores a new user; ErrConflict when the email is taken.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	u.Email = NormalizeEmail(u.Email)
	now := s.now()
	u.CreatedAt, u.UpdatedAt = now, now
	u.Active = true
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(u).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "user.create", func(e *AuditEntry) {
			e.SubjectUserID, e.Target, e.Detail = Ref(u.ID), u.Email, map[string]any{"name": u.Name, "admin": u.Admin}
		})
	})
	if err != nil {
		return fmt.Errorf("store: create user %s: %w", u.Email, notFound(err))
	}
	return nil
}

// UserByID finds a user.
func (s *Store) UserByID(ctx context.Context, id uint) (*User, error) {
	var u User
	if err := s.read(ctx).First(&u, id).Error; err != nil {
		return nil, fmt.Errorf("store: user %d: %w", id, notFound(err))
	}
	return &u, nil
}

// UserByEmail finds a user by email, case-insensitively.
func (s *Store) UserByEmail(ctx context.Context, email string) (*User, error) {
	var u User
	if err := s.read(ctx).Where("email = ?", NormalizeEmail(email)).First(&u).Error; err != nil {
		return nil, fmt.Errorf("store: user %s: %w", NormalizeEmail(email), notFound(err))
	}
	return &u, nil
}

// Users lists every user by email.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	var us []User
	err := s.read(ctx).Order("email").Find(&us).Error
	return us, err
}

// SetPassword replaces a user's password hash and signs them out everywhere.
func (s *Store) SetPassword(ctx context.Context, userID uint, hash string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"password_hash": hash, "updated_at": s.now()})
		if res.Error != nil {
			return fmt.Errorf("store: set password: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: set password for user %d: %w", userID, ErrNotFound)
		}
		if err := tx.Where("user_id = ?", userID).Delete(&Session{}).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "user.password", func(e *AuditEntry) { e.SubjectUserID = Ref(userID) })
	})
}

// SetUserActive activates or deactivates a user. Deactivation revokes every
// session and unused sign-in link of the user in the same transaction.
func (s *Store) SetUserActive(ctx context.Context, userID uint, active bool) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"active": active, "updated_at": s.now()})
		if res.Error != nil {
			return fmt.Errorf("store: set user active: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: set user %d active: %w", userID, ErrNotFound)
		}
		action := "user.activate"
		if !active {
			action = "user.deactivate"
			if err := tx.Where("user_id = ?", userID).Delete(&Session{}).Error; err != nil {
				return err
			}
			if err := tx.Where("user_id = ? AND used_at IS NULL", userID).Delete(&LoginLink{}).Error; err != nil {
				return err
			}
			// Their open course windows stop too: every live launch ends
			// now, so nothing more is started, committed or served for it.
			now := s.now()
			if err := tx.Model(&Launch{}).Where("user_id = ? AND expires_at > ?", userID, now).
				Updates(map[string]any{"terminated": true, "expires_at": now}).Error; err != nil {
				return err
			}
		}
		return s.auditFor(tx, action, func(e *AuditEntry) { e.SubjectUserID = Ref(userID) })
	})
	if err == nil && !active {
		s.launchesEnded()
	}
	return err
}

// CreateSession stores a session under the hash of its token and records
// the user's sign-in.
func (s *Store) CreateSession(ctx context.Context, tokenHash string, userID uint, lifetime time.Duration, remote string) (*Session, error) {
	now := s.now()
	sess := &Session{ID: tokenHash, UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(lifetime), RemoteAddr: remote}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(sess).Error; err != nil {
			return err
		}
		return tx.Model(&User{}).Where("id = ?", userID).UpdateColumn("last_sign_in_at", now).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: create session: %w", err)
	}
	return sess, nil
}

// SessionUser returns the active user of a session that has neither expired
// nor been idle longer than idle (0: no idle limit). Revoked, expired, idle
// and deactivated all read as ErrNotFound.
func (s *Store) SessionUser(ctx context.Context, tokenHash string, idle time.Duration) (*Session, *User, error) {
	var sess Session
	now := s.now()
	q := s.read(ctx).Preload("User").Where("id = ? AND expires_at > ?", tokenHash, now)
	if idle > 0 {
		q = q.Where("last_seen_at >= ?", now.Add(-idle))
	}
	if err := q.First(&sess).Error; err != nil {
		return nil, nil, fmt.Errorf("store: session: %w", notFound(err))
	}
	if !sess.User.Active {
		return nil, nil, fmt.Errorf("store: session of deactivated user %d: %w", sess.UserID, ErrNotFound)
	}
	return &sess, &sess.User, nil
}

// TouchSession records that a session was used now (for the idle limit).
func (s *Store) TouchSession(ctx context.Context, tokenHash string) error {
	if err := s.db.WithContext(ctx).Model(&Session{}).Where("id = ?", tokenHash).Update("last_seen_at", s.now()).Error; err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// DeleteSession revokes one session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	return s.db.WithContext(ctx).Where("id = ?", tokenHash).Delete(&Session{}).Error
}

// DeleteExpiredSessions removes sessions and links past their expiry.
func (s *Store) DeleteExpiredSessions(ctx context.Context) error {
	now := s.now()
	if err := s.db.WithContext(ctx).Where("expires_at <= ?", now).Delete(&Session{}).Error; err != nil {
		return err
	}
	return s.db.WithContext(ctx).Where("expires_at <= ?", now).Delete(&LoginLink{}).Error
}

// CreateLoginLink stores a sign-in link under the hash of its token.
func (s *Store) CreateLoginLink(ctx context.Context, tokenHash string, userID uint, courseID *uint, ttl time.Duration) error {
	now := s.now()
	l := &LoginLink{ID: tokenHash, UserID: userID, Purpose: LinkSignIn, CourseID: courseID, ExpiresAt: now.Add(ttl), CreatedAt: now}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(l).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "user.login_link", func(e *AuditEntry) {
			e.SubjectUserID, e.Detail = Ref(userID), map[string]any{"expires": l.ExpiresAt}
			if courseID != nil {
				e.CourseID = Ref(*courseID)
			}
		})
	})
	if err != nil {
		return fmt.Errorf("store: create login link: %w", err)
	}
	return nil
}

// UseLoginLink uses a sign-in link (see UseLink).
func (s *Store) UseLoginLink(ctx context.Context, tokenHash string) (*LoginLink, error) {
	return s.UseLink(ctx, tokenHash, LinkSignIn)
}

// UserSessions lists a user's unexpired sessions, newest first.
func (s *Store) UserSessions(ctx context.Context, userID uint) ([]Session, error) {
	var out []Session
	err := s.read(ctx).Where("user_id = ? AND expires_at > ?", userID, s.now()).Order("created_at DESC").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("store: sessions of user %d: %w", userID, err)
	}
	return out, nil
}
