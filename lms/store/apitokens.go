package store

// API tokens: bearer credentials an administrator makes for automation. Only
// the SHA-256 of a token is stored, like sessions; a token acts with the
// authority of the administrator who made it, and stops working when that
// account is deactivated or loses its administrator role.

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Scopes of an API token.
const (
	ScopeRead      = "read"       // GET only
	ScopeReadWrite = "read-write" // everything the API offers
)

// APIToken is one API credential. Revoking deletes the row.
type APIToken struct {
	ID          uint       `gorm:"primaryKey"`
	Name        string     `gorm:"size:100;not null"`
	Scope       string     `gorm:"size:20;not null"`
	Hash        string     `gorm:"size:64;not null;uniqueIndex"` // hex SHA-256 of the token
	CreatedByID uint       `gorm:"not null;index"`
	CreatedBy   User       `gorm:"constraint:OnDelete:CASCADE"`
	CreatedAt   time.Time  `gorm:"not null"`
	ExpiresAt   *time.Time // nil: never
	LastUsedAt  *time.Time
}

// lastUsedGranularity bounds the writes that recording use costs: at most one
// per token per minute.
const lastUsedGranularity = time.Minute

// CreateAPIToken stores a token; t.Hash must be set.
func (s *Store) CreateAPIToken(ctx context.Context, t *APIToken) error {
	t.CreatedAt = s.now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(t).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "token.create", func(e *AuditEntry) {
			e.Target = t.Name
			e.Detail = map[string]any{"token": t.ID, "scope": t.Scope, "expires": t.ExpiresAt}
		})
	})
	if err != nil {
		return fmt.Errorf("store: create API token %q: %w", t.Name, notFound(err))
	}
	return nil
}

// APITokens lists every token with its creator, newest first.
func (s *Store) APITokens(ctx context.Context) ([]APIToken, error) {
	var ts []APIToken
	if err := s.read(ctx).Preload("CreatedBy").Order("created_at DESC, id DESC").Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("store: API tokens: %w", err)
	}
	return ts, nil
}

// RevokeAPIToken deletes a token; ErrNotFound when there is none.
func (s *Store) RevokeAPIToken(ctx context.Context, id uint) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var t APIToken
		if err := tx.First(&t, id).Error; err != nil {
			return err
		}
		if err := tx.Delete(&APIToken{}, id).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "token.revoke", func(e *AuditEntry) {
			e.Target, e.Detail = t.Name, map[string]any{"token": t.ID, "scope": t.Scope}
		})
	})
	if err != nil {
		return fmt.Errorf("store: revoke API token %d: %w", id, notFound(err))
	}
	return nil
}

// UseAPIToken finds the unexpired token with this hash whose creator is
// still an active administrator, and records that it was used. Unknown,
// revoked, expired and orphaned tokens all read as ErrNotFound.
func (s *Store) UseAPIToken(ctx context.Context, hash string) (*APIToken, *User, error) {
	now := s.now()
	var t APIToken
	err := s.read(ctx).Preload("CreatedBy").
		Where("hash = ? AND (expires_at IS NULL OR expires_at > ?)", hash, now).First(&t).Error
	if err != nil {
		return nil, nil, fmt.Errorf("store: API token: %w", notFound(err))
	}
	if u := t.CreatedBy; !u.Active || !u.Admin {
		return nil, nil, fmt.Errorf("store: API token of user %d, no longer an active administrator: %w", u.ID, ErrNotFound)
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) >= lastUsedGranularity {
		if err := s.db.WithContext(ctx).Model(&APIToken{}).Where("id = ?", t.ID).Update("last_used_at", now).Error; err != nil {
			return nil, nil, fmt.Errorf("store: API token used: %w", err)
		}
		t.LastUsedAt = &now
	}
	return &t, &t.CreatedBy, nil
}
