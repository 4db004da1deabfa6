package store

// Accounts beyond users.go: links that set a password (invitations and
// resets) as well as sign-in links, the account emails that carry them, a
// learner's own changes, and single sign-on identities.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Purposes of a LoginLink.
const (
	LinkSignIn     = "sign-in"    // signs in once, optionally opening a course
	LinkInvitation = "invitation" // a new user chooses their password
	LinkReset      = "reset"      // a user who forgot their password chooses a new one
)

// Account email kinds (Message.Kind), beside the reminders.
const (
	MessageInvitation = "invitation"
	MessageReset      = "password-reset"
	MessageSignInLink = "sign-in-link"
)

// LinkMarker stands in a message's body for its link, which is kept apart
// (Message.Link) and forgotten once the message is sent. It holds control
// characters, which names and titles in bodies never contain.
const LinkMarker = "\x1f[link]\x1f"

// IssueLink stores a link and the email that carries it, with one audit
// entry, in one transaction. A new invitation or reset voids the user's
// unused links of the same purpose, so only the newest works.
func (s *Store) IssueLink(ctx context.Context, l *LoginLink, m *Message, audit *AuditEntry) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		if l.Purpose == "" {
			l.Purpose = LinkSignIn
		}
		if l.Purpose != LinkSignIn {
			if err := tx.Where("user_id = ? AND purpose = ? AND used_at IS NULL", l.UserID, l.Purpose).Delete(&LoginLink{}).Error; err != nil {
				return err
			}
		}
		l.CreatedAt = now
		if err := tx.Create(l).Error; err != nil {
			return err
		}
		if m != nil {
			id := l.ID
			m.LinkID, m.CreatedAt, m.SentAt, m.Attempts, m.LastError = &id, now, nil, 0, ""
			m.ID = 0
			if err := tx.Create(m).Error; err != nil {
				return err
			}
		}
		if audit != nil {
			return s.audit(tx, audit)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: issue %s link: %w", l.Purpose, err)
	}
	return nil
}

// PeekLink returns an unused, unexpired link of purpose with its (active)
// user, without using it: the page a link opens shows who it is for and asks
// before anything happens, since mail scanners open links too.
func (s *Store) PeekLink(ctx context.Context, tokenHash, purpose string) (*LoginLink, error) {
	var l LoginLink
	err := s.read(ctx).Preload("User").
		Where("id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", tokenHash, purpose, s.now()).
		First(&l).Error
	if err != nil {
		return nil, fmt.Errorf("store: link: %w", notFound(err))
	}
	if !l.User.Active {
		return nil, fmt.Errorf("store: link of deactivated user: %w", ErrNotFound)
	}
	return &l, nil
}

// UseLink marks an unused, unexpired link of purpose as used and returns it
// with its user; single use even when two requests race for it.
func (s *Store) UseLink(ctx context.Context, tokenHash, purpose string) (*LoginLink, error) {
	var link LoginLink
	err := s.tx(ctx, func(tx *gorm.DB) error {
		return useLink(tx, tokenHash, purpose, s.now(), &link)
	})
	if err != nil {
		return nil, fmt.Errorf("store: use %s link: %w", purpose, notFound(err))
	}
	return &link, nil
}

func useLink(tx *gorm.DB, tokenHash, purpose string, now time.Time, link *LoginLink) error {
	res := tx.Model(&LoginLink{}).
		Where("id = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", tokenHash, purpose, now).
		Update("used_at", now)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	if err := tx.Preload("User").First(link, "id = ?", tokenHash).Error; err != nil {
		return err
	}
	if !link.User.Active {
		return ErrNotFound // the update rolls back with the transaction
	}
	return nil
}

// SetPasswordWithLink uses an invitation or reset link to set the user's
// password: the link is used up, the user's other set-password links are
// voided and their sessions revoked, and one audit entry is written, all in
// one transaction.
func (s *Store) SetPasswordWithLink(ctx context.Context, tokenHash, purpose, passwordHash string) (*LoginLink, error) {
	var link LoginLink
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		if err := useLink(tx, tokenHash, purpose, now, &link); err != nil {
			return err
		}
		uid := link.UserID
		if err := tx.Model(&User{}).Where("id = ?", uid).Updates(map[string]any{"password_hash": passwordHash, "updated_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ? AND purpose <> ? AND used_at IS NULL", uid, LinkSignIn).Delete(&LoginLink{}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ?", uid).Delete(&Session{}).Error; err != nil {
			return err
		}
		return s.audit(tx, &AuditEntry{ActorID: &uid, ActorName: link.User.Name + " <" + link.User.Email + ">", Via: ViaWeb,
			Action: "account.password-" + purpose, SubjectUserID: &uid, Target: link.User.Email})
	})
	if err != nil {
		return nil, fmt.Errorf("store: set password with %s link: %w", purpose, notFound(err))
	}
	return &link, nil
}

// ChangeOwnPassword is a user changing their own password: every other
// session of theirs is revoked (keepSession stays), with one audit entry.
func (s *Store) ChangeOwnPassword(ctx context.Context, u *User, passwordHash, keepSession string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"password_hash": passwordHash, "updated_at": s.now()})
		if res.Error != nil {
			return fmt.Errorf("store: change password: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: change password of user %d: %w", u.ID, ErrNotFound)
		}
		if err := tx.Where("user_id = ? AND id <> ?", u.ID, keepSession).Delete(&Session{}).Error; err != nil {
			return err
		}
		if err := tx.Where("user_id = ? AND purpose = ? AND used_at IS NULL", u.ID, LinkReset).Delete(&LoginLink{}).Error; err != nil {
			return err
		}
		return s.audit(tx, &AuditEntry{ActorID: Ref(u.ID), ActorName: u.Name + " <" + u.Email + ">", Via: ViaWeb,
			Action: "account.password", SubjectUserID: Ref(u.ID), Target: u.Email})
	})
}

// UpdateOwnAccount is a user changing their own name and language, with one
// audit entry that says what changed; nothing is written when nothing did.
func (s *Store) UpdateOwnAccount(ctx context.Context, u *User, name, language string) error {
	detail := map[string]any{}
	if name != u.Name {
		detail["name"] = map[string]string{"old": u.Name, "new": name}
	}
	if language != u.Language {
		detail["language"] = map[string]string{"old": u.Language, "new": language}
	}
	if len(detail) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"name": name, "language": language, "updated_at": s.now()})
		if res.Error != nil {
			return fmt.Errorf("store: update account: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: update account of user %d: %w", u.ID, ErrNotFound)
		}
		return s.audit(tx, &AuditEntry{ActorID: Ref(u.ID), ActorName: u.Name + " <" + u.Email + ">", Via: ViaWeb,
			Action: "account.update", SubjectUserID: Ref(u.ID), Target: u.Email, Detail: detail})
	})
}

// UsersByIDs loads the users with the given ids, by email; unknown ids are
// left out.
func (s *Store) UsersByIDs(ctx context.Context, ids []uint) ([]User, error) {
	var out []User
	for len(ids) > 0 {
		n := min(len(ids), 500)
		var part []User
		if err := s.read(ctx).Where("id IN ?", ids[:n]).Order("email").Find(&part).Error; err != nil {
			return nil, fmt.Errorf("store: users by id: %w", err)
		}
		out, ids = append(out, part...), ids[n:]
	}
	return out, nil
}

// NeverSignedIn lists the active members of a group who have never signed
// in, by email.
func (s *Store) NeverSignedIn(ctx context.Context, groupID uint) ([]User, error) {
	var us []User
	err := s.read(ctx).Model(&User{}).
		Joins("JOIN memberships m ON m.user_id = users.id").
		Where("m.group_id = ? AND users.active = ? AND users.last_sign_in_at IS NULL", groupID, true).
		Order("users.email").Find(&us).Error
	if err != nil {
		return nil, fmt.Errorf("store: members of group %d who never signed in: %w", groupID, err)
	}
	return us, nil
}

// ErrIdentityTaken means a Lectern user is already linked to another
// account at the identity provider.
var ErrIdentityTaken = errors.New("linked to another single sign-on account")

// UserBySSO finds the user linked to subject at issuer.
func (s *Store) UserBySSO(ctx context.Context, issuer, subject string) (*User, error) {
	var u User
	if err := s.read(ctx).Where("sso_issuer = ? AND sso_subject = ?", issuer, subject).First(&u).Error; err != nil {
		return nil, fmt.Errorf("store: user of %s at %s: %w", subject, issuer, notFound(err))
	}
	return &u, nil
}

// LinkSSO links a user to subject at issuer, with one audit entry; a user
// already linked to another subject gets ErrIdentityTaken.
func (s *Store) LinkSSO(ctx context.Context, u *User, issuer, subject string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&User{}).Where("id = ? AND (sso_subject IS NULL OR (sso_issuer = ? AND sso_subject = ?))", u.ID, issuer, subject).
			UpdateColumns(map[string]any{"sso_issuer": issuer, "sso_subject": subject, "updated_at": s.now()})
		if res.Error != nil {
			return fmt.Errorf("store: link user %d to single sign-on: %w", u.ID, notFound(res.Error))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("store: link user %d to single sign-on: %w", u.ID, ErrIdentityTaken)
		}
		u.SSOIssuer, u.SSOSubject = &issuer, &subject
		return s.audit(tx, &AuditEntry{ActorID: Ref(u.ID), ActorName: u.Name + " <" + u.Email + ">", Via: ViaSSO,
			Action: "account.sso-link", SubjectUserID: Ref(u.ID), Target: u.Email, Detail: map[string]any{"issuer": issuer, "subject": subject}})
	})
}

// ViaSSO marks what single sign-on did (AuditEntry.Via).
const ViaSSO = "sso"

// CreateSSOUser creates a user signing in for the first time through single
// sign-on (just-in-time), linked to subject at issuer, with one audit entry.
func (s *Store) CreateSSOUser(ctx context.Context, u *User, issuer, subject string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		u.Email = NormalizeEmail(u.Email)
		u.CreatedAt, u.UpdatedAt, u.Active = now, now, true
		u.SSOIssuer, u.SSOSubject = &issuer, &subject
		if err := tx.Create(u).Error; err != nil {
			return fmt.Errorf("store: create user %s: %w", u.Email, notFound(err))
		}
		return s.audit(tx, &AuditEntry{ActorName: "Single sign-on (" + issuer + ")", Via: ViaSSO,
			Action: "user.create", SubjectUserID: Ref(u.ID), Target: u.Email, Detail: map[string]any{"issuer": issuer, "subject": subject}})
	})
}

// SyncSSOGroups makes the user a member of each group in join (by name,
// existing groups only) and, of the groups in managed, of no other; each
// membership added or removed writes an audit entry. Joining a group enrols
// the user in its courses, as AddMember does. It returns the names of the
// groups in join that do not exist.
func (s *Store) SyncSSOGroups(ctx context.Context, u *User, join, managed []string, dueFor func(time.Time, DueRule) *time.Time) (missing []string, err error) {
	err = s.tx(ctx, func(tx *gorm.DB) error {
		missing = nil
		now := s.now()
		want := map[string]bool{}
		for _, name := range join {
			want[name] = true
			var g Group
			err := tx.Where("name = ?", name).First(&g).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				missing = append(missing, name)
				continue
			} else if err != nil {
				return err
			}
			joined, _, err := s.joinGroup(tx, u.ID, g.ID, now, dueFor)
			if err != nil {
				return err
			}
			if joined {
				if err := s.audit(tx, &AuditEntry{ActorName: "Single sign-on", Via: ViaSSO, Action: "group.join",
					SubjectUserID: Ref(u.ID), GroupID: Ref(g.ID), Target: u.Email}); err != nil {
					return err
				}
			}
		}
		for _, name := range managed {
			if want[name] {
				continue
			}
			var g Group
			err := tx.Where("name = ?", name).First(&g).Error
			if errors.Is(err, gorm.ErrRecordNotFound) {
				continue
			} else if err != nil {
				return err
			}
			res := tx.Where("user_id = ? AND group_id = ?", u.ID, g.ID).Delete(&Membership{})
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected > 0 {
				if err := s.audit(tx, &AuditEntry{ActorName: "Single sign-on", Via: ViaSSO, Action: "group.leave",
					SubjectUserID: Ref(u.ID), GroupID: Ref(g.ID), Target: u.Email}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: single sign-on groups of %s: %w", u.Email, err)
	}
	return missing, nil
}
