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
	if err := s.db.WithContext(ctx).Create(u).Error; err != nil {
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
		return tx.Where("user_id = ?", userID).Delete(&Session{}).Error
	})
}

// SetUserActive activates or deactivates a user. Deactivation revokes every
// session and unused sign-in link of the user in the same transaction.
func (s *Store) SetUserActive(ctx context.Context, userID uint, active bool) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{"active": active, "updated_at": s.now()})
		if res.Error != nil {
			return fmt.Errorf("store: set user active: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: set user %d active: %w", userID, ErrNotFound)
		}
		if active {
			return nil
		}
		if err := tx.Where("user_id = ?", userID).Delete(&Session{}).Error; err != nil {
			return err
		}
		return tx.Where("user_id = ? AND used_at IS NULL", userID).Delete(&LoginLink{}).Error
	})
}

// CreateSession stores a session under the hash of its token.
func (s *Store) CreateSession(ctx context.Context, tokenHash string, userID uint, lifetime time.Duration, remote string) (*Session, error) {
	now := s.now()
	sess := &Session{ID: tokenHash, UserID: userID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(lifetime), RemoteAddr: remote}
	if err := s.db.WithContext(ctx).Create(sess).Error; err != nil {
		return nil, fmt.Errorf("store: create session: %w", err)
	}
	return sess, nil
}

// SessionUser returns the active user of an unexpired session. Revoked,
// expired and deactivated all read as ErrNotFound.
func (s *Store) SessionUser(ctx context.Context, tokenHash string) (*Session, *User, error) {
	var sess Session
	err := s.read(ctx).Preload("User").
		Where("id = ? AND expires_at > ?", tokenHash, s.now()).First(&sess).Error
	if err != nil {
		return nil, nil, fmt.Errorf("store: session: %w", notFound(err))
	}
	if !sess.User.Active {
		return nil, nil, fmt.Errorf("store: session of deactivated user %d: %w", sess.UserID, ErrNotFound)
	}
	return &sess, &sess.User, nil
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
	l := &LoginLink{ID: tokenHash, UserID: userID, CourseID: courseID, ExpiresAt: now.Add(ttl), CreatedAt: now}
	if err := s.db.WithContext(ctx).Create(l).Error; err != nil {
		return fmt.Errorf("store: create login link: %w", err)
	}
	return nil
}

// UseLoginLink marks an unused, unexpired link as used and returns it with its
// user. The conditional update makes the link single-use even when two
// requests race for it.
func (s *Store) UseLoginLink(ctx context.Context, tokenHash string) (*LoginLink, error) {
	var link LoginLink
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&LoginLink{}).
			Where("id = ? AND used_at IS NULL AND expires_at > ?", tokenHash, now).
			Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return tx.Preload("User").First(&link, "id = ?", tokenHash).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: use login link: %w", notFound(err))
	}
	if !link.User.Active {
		return nil, fmt.Errorf("store: login link of deactivated user: %w", ErrNotFound)
	}
	return &link, nil
}
