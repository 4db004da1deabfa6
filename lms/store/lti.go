package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErrAmbiguous is a login that names an issuer with several registrations
// but no client id.
var ErrAmbiguous = errors.New("ambiguous")

// CreateLTIPlatform registers a platform with its deployment ids;
// ErrConflict when the issuer and client id are registered already.
func (s *Store) CreateLTIPlatform(ctx context.Context, p *LTIPlatform) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		p.ID, p.CreatedAt = 0, s.now()
		if err := tx.Create(p).Error; err != nil {
			return err
		}
		for _, d := range p.Deployments {
			if err := tx.Create(&LTIDeployment{PlatformID: p.ID, DeploymentID: d, CreatedAt: p.CreatedAt}).Error; err != nil {
				return err
			}
		}
		return s.auditFor(tx, "lti.platform_add", func(e *AuditEntry) { e.Target, e.Detail = p.Issuer, platformDetail(p) })
	})
	if err != nil {
		return fmt.Errorf("store: register platform %s: %w", p.Issuer, notFound(err))
	}
	return nil
}

func (s *Store) withDeployments(ctx context.Context, ps []LTIPlatform) error {
	if len(ps) == 0 {
		return nil
	}
	ids := make([]uint, len(ps))
	for i := range ps {
		ids[i] = ps[i].ID
	}
	var ds []LTIDeployment
	if err := s.read(ctx).Where("platform_id IN ?", ids).Order("created_at, deployment_id").Find(&ds).Error; err != nil {
		return err
	}
	for i := range ps {
		ps[i].Deployments = []string{}
		for _, d := range ds {
			if d.PlatformID == ps[i].ID {
				ps[i].Deployments = append(ps[i].Deployments, d.DeploymentID)
			}
		}
	}
	return nil
}

// LTIPlatforms lists the registered platforms with their deployments.
func (s *Store) LTIPlatforms(ctx context.Context) ([]LTIPlatform, error) {
	var ps []LTIPlatform
	if err := s.read(ctx).Order("id").Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("store: platforms: %w", err)
	}
	if err := s.withDeployments(ctx, ps); err != nil {
		return nil, fmt.Errorf("store: platforms: %w", err)
	}
	return ps, nil
}

// LTIPlatformByID finds a platform with its deployments.
func (s *Store) LTIPlatformByID(ctx context.Context, id uint) (*LTIPlatform, error) {
	var ps []LTIPlatform
	if err := s.read(ctx).Where("id = ?", id).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("store: platform %d: %w", id, err)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("store: platform %d: %w", id, ErrNotFound)
	}
	if err := s.withDeployments(ctx, ps); err != nil {
		return nil, fmt.Errorf("store: platform %d: %w", id, err)
	}
	return &ps[0], nil
}

// LTIPlatformFor finds the registration of issuer with clientID; with no
// client id, the issuer's only registration (ErrAmbiguous when it has more).
func (s *Store) LTIPlatformFor(ctx context.Context, issuer, clientID string) (*LTIPlatform, error) {
	q := s.read(ctx).Where("issuer = ?", issuer)
	if clientID != "" {
		q = q.Where("client_id = ?", clientID)
	}
	var ps []LTIPlatform
	if err := q.Limit(2).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("store: platform %s: %w", issuer, err)
	}
	switch len(ps) {
	case 0:
		return nil, fmt.Errorf("store: platform %s: %w", issuer, ErrNotFound)
	case 2:
		return nil, fmt.Errorf("store: platform %s: %w", issuer, ErrAmbiguous)
	}
	if err := s.withDeployments(ctx, ps); err != nil {
		return nil, fmt.Errorf("store: platform %s: %w", issuer, err)
	}
	return &ps[0], nil
}

// DeleteLTIPlatform removes a registration: its launches stop working. The
// users, enrolments and results it created stay (they are records).
func (s *Store) DeleteLTIPlatform(ctx context.Context, id uint) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id = ?", id).Delete(&LTIPlatform{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := tx.Where("platform_id = ?", id).Delete(&LTIDeployment{}).Error; err != nil {
			return err
		}
		if err := tx.Where("platform_id = ?", id).Delete(&LTISession{}).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "lti.platform_remove", func(e *AuditEntry) { e.Detail = map[string]any{"platform": id} })
	})
	if err != nil {
		return fmt.Errorf("store: remove platform %d: %w", id, err)
	}
	return nil
}

// SetLTIPlatformKeep changes what Lectern keeps from a platform's launches
// (from the next launch of each user on).
func (s *Store) SetLTIPlatformKeep(ctx context.Context, id uint, keepName, keepEmail bool) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&LTIPlatform{}).Where("id = ?", id).Updates(map[string]any{"keep_name": keepName, "keep_email": keepEmail})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return s.auditFor(tx, "lti.platform_keep", func(e *AuditEntry) {
			e.Detail = map[string]any{"platform": id, "keepName": keepName, "keepEmail": keepEmail}
		})
	})
	if err != nil {
		return fmt.Errorf("store: platform %d: %w", id, err)
	}
	return nil
}

func platformDetail(p *LTIPlatform) map[string]any {
	return map[string]any{"platform": p.ID, "name": p.Name, "clientId": p.ClientID, "deployments": p.Deployments,
		"keepName": p.KeepName, "keepEmail": p.KeepEmail, "source": p.Source}
}

// AddLTIDeployment accepts one more deployment id from a platform.
func (s *Store) AddLTIDeployment(ctx context.Context, platformID uint, deploymentID string) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&LTIPlatform{}, platformID).Error; err != nil {
			return notFound(err)
		}
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&LTIDeployment{PlatformID: platformID, DeploymentID: deploymentID, CreatedAt: s.now()})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		return s.auditFor(tx, "lti.deployment_add", func(e *AuditEntry) {
			e.Detail = map[string]any{"platform": platformID, "deployment": deploymentID}
		})
	})
	if err != nil {
		return fmt.Errorf("store: add deployment: %w", err)
	}
	return nil
}

// LTIKeys lists the keys still published, newest first; the first unretired
// one signs.
func (s *Store) LTIKeys(ctx context.Context) ([]LTIKey, error) {
	var ks []LTIKey
	err := s.read(ctx).Where("remove_at IS NULL OR remove_at > ?", s.now()).Order("created_at DESC, id").Find(&ks).Error
	if err != nil {
		return nil, fmt.Errorf("store: LTI keys: %w", err)
	}
	return ks, nil
}

// AddLTIKey makes k the signing key. The keys it replaces are retired and
// stay published for keepOld, then are deleted.
func (s *Store) AddLTIKey(ctx context.Context, k *LTIKey, keepOld time.Duration) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		remove := now.Add(keepOld)
		if err := tx.Model(&LTIKey{}).Where("retired_at IS NULL").
			Updates(map[string]any{"retired_at": now, "remove_at": remove}).Error; err != nil {
			return err
		}
		if err := tx.Where("remove_at IS NOT NULL AND remove_at <= ?", now).Delete(&LTIKey{}).Error; err != nil {
			return err
		}
		k.CreatedAt, k.RetiredAt, k.RemoveAt = now, nil, nil
		if err := tx.Create(k).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "lti.key_rotate", func(e *AuditEntry) {
			e.Target, e.Detail = k.ID, map[string]any{"oldKeysPublishedUntil": remove}
		})
	})
	if err != nil {
		return fmt.Errorf("store: add LTI key: %w", err)
	}
	return nil
}

// CreateLTIState records an OIDC login in progress.
func (s *Store) CreateLTIState(ctx context.Context, st *LTIState, ttl time.Duration) error {
	now := s.now()
	st.CreatedAt, st.ExpiresAt, st.UsedAt = now, now.Add(ttl), nil
	if err := s.db.WithContext(ctx).Create(st).Error; err != nil {
		return fmt.Errorf("store: create LTI state: %w", err)
	}
	return nil
}

// LTIStateByID reads a login's state without using it.
func (s *Store) LTIStateByID(ctx context.Context, hash string) (*LTIState, error) {
	var st LTIState
	if err := s.read(ctx).Where("id = ?", hash).First(&st).Error; err != nil {
		return nil, fmt.Errorf("store: LTI state: %w", notFound(err))
	}
	return &st, nil
}

// UseLTIState marks an unused, unexpired state as used and returns it;
// ErrNotFound for a state that is unknown, used or expired. The conditional
// update makes it single-use even when two requests race.
func (s *Store) UseLTIState(ctx context.Context, hash string) (*LTIState, error) {
	var st LTIState
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&LTIState{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", hash, now).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return tx.Where("id = ?", hash).First(&st).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: use LTI state: %w", notFound(err))
	}
	return &st, nil
}

// ConsumeLTIState uses a login's state once and, when code is not nil, stores
// the verified launch under its code, in one transaction; ErrNotFound when
// the state was used or expired meanwhile.
func (s *Store) ConsumeLTIState(ctx context.Context, hash string, code *LTILaunchCode, ttl time.Duration) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&LTIState{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", hash, now).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if code == nil {
			return nil
		}
		code.CreatedAt, code.ExpiresAt, code.UsedAt = now, now.Add(ttl), nil
		return tx.Create(code).Error
	})
	if err != nil {
		return fmt.Errorf("store: use LTI state: %w", err)
	}
	return nil
}

// LTILaunchCodeByID reads a launch code without using it.
func (s *Store) LTILaunchCodeByID(ctx context.Context, hash string) (*LTILaunchCode, error) {
	var c LTILaunchCode
	if err := s.read(ctx).Where("id = ? AND used_at IS NULL AND expires_at > ?", hash, s.now()).First(&c).Error; err != nil {
		return nil, fmt.Errorf("store: LTI launch code: %w", notFound(err))
	}
	return &c, nil
}

// CreateLTILaunchCode stores a verified launch under the hash of its code.
func (s *Store) CreateLTILaunchCode(ctx context.Context, c *LTILaunchCode, ttl time.Duration) error {
	now := s.now()
	c.CreatedAt, c.ExpiresAt, c.UsedAt = now, now.Add(ttl), nil
	if err := s.db.WithContext(ctx).Create(c).Error; err != nil {
		return fmt.Errorf("store: create LTI launch code: %w", err)
	}
	return nil
}

// UseLTILaunchCode uses a launch code once; ErrNotFound when it is unknown,
// used or expired.
func (s *Store) UseLTILaunchCode(ctx context.Context, hash string) (*LTILaunchCode, error) {
	var c LTILaunchCode
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&LTILaunchCode{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", hash, now).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return tx.Where("id = ?", hash).First(&c).Error
	})
	if err != nil {
		return nil, fmt.Errorf("store: use LTI launch code: %w", notFound(err))
	}
	return &c, nil
}

// DeleteExpiredLTI removes states, launch codes, sessions and registration
// links past their expiry, and keys past their publication.
func (s *Store) DeleteExpiredLTI(ctx context.Context) error {
	now := s.now()
	db := s.db.WithContext(ctx)
	for _, m := range []any{&LTIState{}, &LTILaunchCode{}, &LTISession{}, &LTIRegistration{}} {
		if err := db.Where("expires_at <= ?", now).Delete(m).Error; err != nil {
			return fmt.Errorf("store: expire LTI rows: %w", err)
		}
	}
	if err := db.Where("remove_at IS NOT NULL AND remove_at <= ?", now).Delete(&LTIKey{}).Error; err != nil {
		return fmt.Errorf("store: expire LTI keys: %w", err)
	}
	return nil
}

// LTIPerson is a platform user as Lectern keeps them: Name and Email are
// empty when the platform's settings say not to keep them, and Handle names
// the user then.
type LTIPerson struct {
	Subject string
	Name    string
	Email   string
	Handle  string // stable, opaque, unique per issuer and subject
}

// LTILaunchInput is a verified launch, translated by lms/lti into Lectern's
// terms.
type LTILaunchInput struct {
	PlatformID     uint
	Issuer         string
	DeploymentID   string
	Person         LTIPerson
	ContextID      string // "" when the launch has no context
	ContextTitle   string
	ResourceLinkID string // "" for a deep-linking request
	ResourceTitle  string
	CourseID       *uint // the course the launch names (custom course_id), checked to exist
	Learner        bool
	Instructor     bool
	// Assignment and Grade Services, when offered.
	LineItemURL, LineItemsURL, Scopes string
	CanScore                          bool // the score scope was granted
	MembershipsURL                    string
	// The window's session.
	SessionHash string
	SessionTTL  time.Duration
	CodeHash    string // the launch code, used up in the same transaction

	DeepLink  []byte
	ReturnURL string
}

// LTILaunchResult is what the launch became in Lectern.
type LTILaunchResult struct {
	User      User
	Created   bool // the user is new
	Context   *LTIContext
	Placement *LTIPlacement
	Enrolment *Enrolment // set for a learner on a placement with a course
	Enrolled  bool       // the enrolment is new
	Session   LTISession
}

// auditEntry is the journal's line of an accepted launch, by the platform's
// user: what it was and what it created.
func (in *LTILaunchInput) auditEntry(out *LTILaunchResult) *AuditEntry {
	e := UserActor(&out.User, ViaLTI).Audit("lti.launch")
	e.SubjectUserID = Ref(out.User.ID)
	e.Target = in.Issuer
	d := map[string]any{"result": "accepted", "platform": in.PlatformID, "deployment": in.DeploymentID,
		"instructor": in.Instructor, "userCreated": out.Created}
	if in.DeepLink != nil {
		d["message"] = "deep linking"
	}
	if out.Context != nil {
		d["context"] = in.ContextID
		e.GroupID = Ref(out.Context.GroupID)
	}
	if out.Placement != nil {
		d["resourceLink"] = in.ResourceLinkID
		if out.Placement.CourseID != nil {
			e.CourseID = out.Placement.CourseID
		}
	}
	if out.Enrolment != nil {
		d["enrolment"], d["enrolmentCreated"] = out.Enrolment.ID, out.Enrolled
	}
	e.Detail = d
	return e
}

// SyntheticEmail is the address of an LTI user whose email Lectern does not
// keep (or whose email belongs to another account): unique and undeliverable.
func SyntheticEmail(handle string) string { return strings.ToLower(handle) + "@lti.invalid" }

// ApplyLTILaunch makes a verified launch real, in one transaction: the user
// (created on first launch, named as the platform's settings allow), the
// context and its group, the placement, the learner's membership, enrolment
// and gradebook link, and the window's session. Repeating a launch creates
// nothing new.
//
// Launches of one context arrive together (a class following a link): on
// PostgreSQL two transactions can both find no group, placement or user and
// both create it; the second fails on the unique index. Nothing of it was
// written, and the row it wanted now exists: it runs again and finds it.
func (s *Store) ApplyLTILaunch(ctx context.Context, in *LTILaunchInput) (*LTILaunchResult, error) {
	for try := 0; ; try++ {
		out, err := s.applyLTILaunch(ctx, in)
		if !errors.Is(err, gorm.ErrDuplicatedKey) || try == ltiLaunchRetries {
			return out, err
		}
	}
}

// ltiLaunchRetries is how many times a launch that lost a race to create a
// row runs again (each race needs one).
const ltiLaunchRetries = 3

func (s *Store) applyLTILaunch(ctx context.Context, in *LTILaunchInput) (*LTILaunchResult, error) {
	out := &LTILaunchResult{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		if in.CodeHash != "" {
			res := tx.Model(&LTILaunchCode{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", in.CodeHash, now).Update("used_at", now)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return ErrNotFound
			}
		}
		u, created, err := s.ltiUser(tx, in.PlatformID, in.Issuer, in.Person, now)
		if err != nil {
			return err
		}
		out.User, out.Created = *u, created
		if in.ContextID != "" {
			if out.Context, err = s.ltiContext(tx, in, now); err != nil {
				return err
			}
		}
		if in.ResourceLinkID != "" && out.Context != nil {
			if out.Placement, err = s.ltiPlacement(tx, out.Context.ID, in, now); err != nil {
				return err
			}
		}
		if in.Learner && out.Context != nil {
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).
				Create(&Membership{UserID: u.ID, GroupID: out.Context.GroupID, CreatedAt: now}).Error; err != nil {
				return err
			}
		}
		if in.Learner && out.Placement != nil && out.Placement.CourseID != nil {
			if out.Enrolment, out.Enrolled, _, err = s.enrol(tx, u.ID, *out.Placement.CourseID, nil, nil); err != nil {
				return err
			}
			if in.CanScore && (out.Placement.LineItemURL != "" || out.Placement.LineItemsURL != "") {
				g := LTIGrade{PlacementID: out.Placement.ID, UserID: u.ID, CourseID: *out.Placement.CourseID, Subject: in.Person.Subject, CreatedAt: now}
				if err := tx.Clauses(clause.OnConflict{
					Columns:   []clause.Column{{Name: "placement_id"}, {Name: "user_id"}},
					DoUpdates: clause.Assignments(map[string]any{"course_id": g.CourseID}),
				}).Create(&g).Error; err != nil {
					return err
				}
			}
		}
		out.Session = LTISession{ID: in.SessionHash, UserID: u.ID, PlatformID: in.PlatformID, Instructor: in.Instructor,
			DeepLink: in.DeepLink, ReturnURL: in.ReturnURL, CreatedAt: now, ExpiresAt: now.Add(in.SessionTTL)}
		if out.Context != nil {
			out.Session.ContextID = &out.Context.ID
		}
		if out.Placement != nil {
			out.Session.PlacementID = &out.Placement.ID
		}
		if err := tx.Create(&out.Session).Error; err != nil {
			return err
		}
		return s.audit(tx, in.auditEntry(out))
	})
	if err != nil {
		return nil, fmt.Errorf("store: apply LTI launch: %w", err)
	}
	return out, nil
}

// ltiUser finds or creates the user of (issuer, subject) and brings their name
// and email in line with what the platform's settings keep. An email that
// belongs to another Lectern account is not taken over: the platform's word
// is no proof of owning that account.
func (s *Store) ltiUser(tx *gorm.DB, platformID uint, issuer string, p LTIPerson, now time.Time) (*User, bool, error) {
	name := p.Name
	if name == "" {
		name = "Learner " + p.Handle
	}
	email := SyntheticEmail(p.Handle)
	if p.Email != "" {
		var n int64
		if err := tx.Model(&User{}).Where("email = ? AND id NOT IN (SELECT user_id FROM lti_identities WHERE issuer = ? AND subject = ?)",
			NormalizeEmail(p.Email), issuer, p.Subject).Count(&n).Error; err != nil {
			return nil, false, err
		}
		if n == 0 {
			email = NormalizeEmail(p.Email)
		}
	}
	var id LTIIdentity
	err := tx.Where("issuer = ? AND subject = ?", issuer, p.Subject).First(&id).Error
	if err == nil {
		var u User
		if err := tx.First(&u, id.UserID).Error; err != nil {
			return nil, false, err
		}
		if u.Name != name || u.Email != email {
			u.Name, u.Email, u.UpdatedAt = name, email, now
			if err := tx.Model(&User{}).Where("id = ?", u.ID).
				Updates(map[string]any{"name": name, "email": email, "updated_at": now}).Error; err != nil {
				return nil, false, err
			}
		}
		return &u, false, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, false, err
	}
	u := User{Email: email, Name: name, Active: true, CreatedAt: now, UpdatedAt: now}
	if err := tx.Create(&u).Error; err != nil {
		return nil, false, err
	}
	if err := tx.Create(&LTIIdentity{Issuer: issuer, Subject: p.Subject, UserID: u.ID, PlatformID: platformID, CreatedAt: now}).Error; err != nil {
		return nil, false, err
	}
	return &u, true, nil
}

// ltiContext finds or creates a context and the group of its learners.
func (s *Store) ltiContext(tx *gorm.DB, in *LTILaunchInput, now time.Time) (*LTIContext, error) {
	var c LTIContext
	err := tx.Where("issuer = ? AND deployment_id = ? AND context_id = ?", in.Issuer, in.DeploymentID, in.ContextID).First(&c).Error
	switch {
	case err == nil:
		up := map[string]any{}
		if in.ContextTitle != "" && in.ContextTitle != c.Title {
			up["title"], c.Title = in.ContextTitle, in.ContextTitle
		}
		if in.MembershipsURL != "" && in.MembershipsURL != c.MembershipsURL {
			up["memberships_url"], c.MembershipsURL = in.MembershipsURL, in.MembershipsURL
		}
		if len(up) > 0 {
			if err := tx.Model(&LTIContext{}).Where("id = ?", c.ID).Updates(up).Error; err != nil {
				return nil, err
			}
		}
		return &c, nil
	case !errors.Is(err, gorm.ErrRecordNotFound):
		return nil, err
	}
	title := in.ContextTitle
	if title == "" {
		title = in.ContextID
	}
	g := Group{Name: truncate(fmt.Sprintf("LTI: %s · %s", title, shortID(in.Issuer, in.DeploymentID, in.ContextID)), 200), CreatedAt: now}
	if err := tx.Create(&g).Error; err != nil {
		return nil, err
	}
	c = LTIContext{Issuer: in.Issuer, DeploymentID: in.DeploymentID, ContextID: in.ContextID, PlatformID: in.PlatformID,
		Title: truncate(title, 500), GroupID: g.ID, MembershipsURL: in.MembershipsURL, CreatedAt: now}
	if err := tx.Create(&c).Error; err != nil {
		return nil, err
	}
	return &c, nil
}

// shortID tells contexts with the same title apart in group names.
func shortID(parts ...string) string {
	h := uint32(2166136261) // FNV-1a: a label, not a secret
	for _, p := range parts {
		for i := 0; i < len(p); i++ {
			h = (h ^ uint32(p[i])) * 16777619
		}
		h = (h ^ 0) * 16777619
	}
	return fmt.Sprintf("%08x", h)
}

func (s *Store) ltiPlacement(tx *gorm.DB, contextRowID uint, in *LTILaunchInput, now time.Time) (*LTIPlacement, error) {
	var p LTIPlacement
	err := tx.Where("context_row_id = ? AND resource_link_id = ?", contextRowID, in.ResourceLinkID).First(&p).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		p = LTIPlacement{ContextRowID: contextRowID, ResourceLinkID: in.ResourceLinkID, Title: truncate(in.ResourceTitle, 500),
			CourseID: in.CourseID, LineItemURL: in.LineItemURL, LineItemsURL: in.LineItemsURL, Scopes: in.Scopes, CreatedAt: now, UpdatedAt: now}
		return &p, tx.Create(&p).Error
	case err != nil:
		return nil, err
	}
	up := map[string]any{}
	if in.ResourceTitle != "" && in.ResourceTitle != p.Title {
		up["title"], p.Title = truncate(in.ResourceTitle, 500), in.ResourceTitle
	}
	// The platform's word now wins: a custom course_id changed in the
	// platform moves the placement.
	if in.CourseID != nil && (p.CourseID == nil || *p.CourseID != *in.CourseID) {
		up["course_id"], p.CourseID = *in.CourseID, in.CourseID
	}
	if in.LineItemURL != "" && in.LineItemURL != p.LineItemURL {
		up["line_item_url"], p.LineItemURL = in.LineItemURL, in.LineItemURL
	}
	if in.LineItemsURL != p.LineItemsURL {
		up["line_items_url"], p.LineItemsURL = in.LineItemsURL, in.LineItemsURL
	}
	if in.Scopes != p.Scopes {
		up["scopes"], p.Scopes = in.Scopes, in.Scopes
	}
	if len(up) > 0 {
		up["updated_at"] = now
		if err := tx.Model(&LTIPlacement{}).Where("id = ?", p.ID).Updates(up).Error; err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// LTISessionByToken returns an unexpired window session and its active user.
func (s *Store) LTISessionByToken(ctx context.Context, hash string) (*LTISession, error) {
	var ls LTISession
	err := s.read(ctx).Preload("User").Where("id = ? AND expires_at > ?", hash, s.now()).First(&ls).Error
	if err != nil {
		return nil, fmt.Errorf("store: LTI session: %w", notFound(err))
	}
	if !ls.User.Active {
		return nil, fmt.Errorf("store: LTI session of deactivated user %d: %w", ls.UserID, ErrNotFound)
	}
	return &ls, nil
}

// CreateLTISession starts another window's session from an existing one (the
// "open in a new window" fallback).
func (s *Store) CreateLTISession(ctx context.Context, ls *LTISession, ttl time.Duration) error {
	now := s.now()
	ls.CreatedAt, ls.ExpiresAt = now, now.Add(ttl)
	if err := s.db.WithContext(ctx).Omit("User").Create(ls).Error; err != nil {
		return fmt.Errorf("store: create LTI session: %w", err)
	}
	return nil
}

// DeleteLTISession ends a window's session.
func (s *Store) DeleteLTISession(ctx context.Context, hash string) error {
	return s.db.WithContext(ctx).Where("id = ?", hash).Delete(&LTISession{}).Error
}

// LTIPlacementByID finds a placement.
func (s *Store) LTIPlacementByID(ctx context.Context, id uint) (*LTIPlacement, error) {
	var p LTIPlacement
	if err := s.read(ctx).First(&p, id).Error; err != nil {
		return nil, fmt.Errorf("store: placement %d: %w", id, notFound(err))
	}
	return &p, nil
}

// LTIContextByID finds a context.
func (s *Store) LTIContextByID(ctx context.Context, id uint) (*LTIContext, error) {
	var c LTIContext
	if err := s.read(ctx).First(&c, id).Error; err != nil {
		return nil, fmt.Errorf("store: LTI context %d: %w", id, notFound(err))
	}
	return &c, nil
}

// SetLTIPlacementCourse makes a placement open a course (an instructor chose
// it).
func (s *Store) SetLTIPlacementCourse(ctx context.Context, placementID, courseID uint) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&Course{}, courseID).Error; err != nil {
			return err
		}
		res := tx.Model(&LTIPlacement{}).Where("id = ?", placementID).Updates(map[string]any{"course_id": courseID, "updated_at": s.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return s.auditFor(tx, "lti.placement", func(e *AuditEntry) {
			e.CourseID, e.Detail = Ref(courseID), map[string]any{"placement": placementID}
		})
	})
	if err != nil {
		return fmt.Errorf("store: placement %d course: %w", placementID, notFound(err))
	}
	return nil
}

// LTIRosterMember is one learner of a context's roster (NRPS).
type LTIRosterMember struct {
	Person LTIPerson
	Active bool
}

// RosterResult counts what a roster sync changed.
type RosterResult struct {
	Members, Created, Joined, Enrolled int
}

// SyncLTIRoster brings a context's learners into Lectern: users are created
// as a launch would create them, join the context's group and are enrolled in
// the courses of the context's placements, so that those who have not
// launched yet show in its reports as not started. Inactive members are not
// added.
func (s *Store) SyncLTIRoster(ctx context.Context, contextRowID uint, members []LTIRosterMember) (*RosterResult, error) {
	res := &RosterResult{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var c LTIContext
		if err := tx.First(&c, contextRowID).Error; err != nil {
			return err
		}
		var courses []uint
		if err := tx.Model(&LTIPlacement{}).Where("context_row_id = ? AND course_id IS NOT NULL", c.ID).
			Distinct().Pluck("course_id", &courses).Error; err != nil {
			return err
		}
		now := s.now()
		for _, m := range members {
			if !m.Active {
				continue
			}
			res.Members++
			u, created, err := s.ltiUser(tx, c.PlatformID, c.Issuer, m.Person, now)
			if err != nil {
				return err
			}
			if created {
				res.Created++
			}
			r := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&Membership{UserID: u.ID, GroupID: c.GroupID, CreatedAt: now})
			if r.Error != nil {
				return r.Error
			}
			res.Joined += int(r.RowsAffected)
			for _, cid := range courses {
				_, made, _, err := s.enrol(tx, u.ID, cid, nil, nil)
				if err != nil {
					return err
				}
				if made {
					res.Enrolled++
				}
			}
		}
		return s.auditFor(tx, "lti.roster", func(e *AuditEntry) {
			e.GroupID, e.Target = Ref(c.GroupID), c.Title
			e.Detail = map[string]any{"context": c.ContextID, "members": res.Members, "created": res.Created, "joined": res.Joined, "enrolled": res.Enrolled}
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: roster sync: %w", notFound(err))
	}
	return res, nil
}

// CreateLTIRegistration stores a dynamic registration link's token hash.
func (s *Store) CreateLTIRegistration(ctx context.Context, hash string, ttl time.Duration) error {
	now := s.now()
	if err := s.db.WithContext(ctx).Create(&LTIRegistration{ID: hash, CreatedAt: now, ExpiresAt: now.Add(ttl)}).Error; err != nil {
		return fmt.Errorf("store: create registration link: %w", err)
	}
	return nil
}

// LTIRegistrationValid tells whether a registration link can still be used.
func (s *Store) LTIRegistrationValid(ctx context.Context, hash string) error {
	var n int64
	if err := s.read(ctx).Model(&LTIRegistration{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", hash, s.now()).Count(&n).Error; err != nil {
		return fmt.Errorf("store: registration link: %w", err)
	}
	if n == 0 {
		return fmt.Errorf("store: registration link: %w", ErrNotFound)
	}
	return nil
}

// RegisterLTIPlatform uses a registration link once to register the platform
// it brought; ErrNotFound when the link is used or expired.
func (s *Store) RegisterLTIPlatform(ctx context.Context, hash string, p *LTIPlatform) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		res := tx.Model(&LTIRegistration{}).Where("id = ? AND used_at IS NULL AND expires_at > ?", hash, now).Update("used_at", now)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		p.ID, p.CreatedAt = 0, now
		if err := tx.Create(p).Error; err != nil {
			return err
		}
		for _, d := range p.Deployments {
			if err := tx.Create(&LTIDeployment{PlatformID: p.ID, DeploymentID: d, CreatedAt: now}).Error; err != nil {
				return err
			}
		}
		if err := tx.Model(&LTIRegistration{}).Where("id = ?", hash).Update("platform_id", p.ID).Error; err != nil {
			return err
		}
		return s.auditFor(tx, "lti.platform_add", func(e *AuditEntry) { e.Target, e.Detail = p.Issuer, platformDetail(p) })
	})
	if err != nil {
		return fmt.Errorf("store: dynamic registration: %w", notFound(err))
	}
	return nil
}

// LaunchOfLTIUser tells whether a launch belongs to a learner who came from
// an LTI platform (the content origin then lets the platform's page frame it).
func (s *Store) LaunchOfLTIUser(ctx context.Context, tokenHash string) (bool, error) {
	var n int64
	err := s.read(ctx).Table("launches l").Joins("JOIN lti_identities i ON i.user_id = l.user_id").
		Where("l.id = ?", tokenHash).Limit(1).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("store: launch of LTI user: %w", err)
	}
	return n > 0, nil
}

// LTICounts counts the rows launches create, for the admin page and for
// tests that a refused launch created nothing.
func (s *Store) LTICounts(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for name, m := range map[string]any{"users": &User{}, "identities": &LTIIdentity{}, "contexts": &LTIContext{},
		"placements": &LTIPlacement{}, "sessions": &LTISession{}, "enrolments": &Enrolment{}, "attempts": &Attempt{},
		"grades": &LTIGrade{}, "memberships": &Membership{}, "launchCodes": &LTILaunchCode{}} {
		var n int64
		if err := s.read(ctx).Model(m).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("store: LTI counts: %w", err)
		}
		out[name] = n
	}
	return out, nil
}
