package store

import (
	"context"
	"fmt"
	"time"
)

// Lease names the instance that runs a background job (the notifier, the
// LTI grade outbox) until ExpiresAt. Instances sharing a database take the
// lease in turn: the holder renews it well before it runs out, and when the
// holder dies, another takes it once it has run out.
type Lease struct {
	Name      string    `gorm:"primaryKey;size:64"`
	Holder    string    `gorm:"size:200;not null"`
	ExpiresAt time.Time `gorm:"not null"`
}

// TakeLease makes holder the runner of the job name until ttl from now, when
// no one holds it or the lease has run out; a holder renews by taking it
// again. It says whether holder has the lease now.
func (s *Store) TakeLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	now := s.now()
	res := s.db.WithContext(ctx).Exec(`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		WHERE leases.holder = excluded.holder OR leases.expires_at < ?`, name, holder, now.Add(ttl), now)
	if res.Error != nil {
		return false, fmt.Errorf("store: lease %s: %w", name, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// ReleaseLease gives up holder's lease of name (when an instance stops), so
// that another instance takes the job at once.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := s.db.WithContext(ctx).Exec("DELETE FROM leases WHERE name = ? AND holder = ?", name, holder).Error; err != nil {
		return fmt.Errorf("store: release lease %s: %w", name, err)
	}
	return nil
}
