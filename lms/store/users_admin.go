package store

// What the admin pages and the bulk import need beyond users.go: a searchable
// user list with groups, editing a user, and importing many users at once.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// UserRow is a user with the names of their groups.
type UserRow struct {
	User
	Groups []string
}

// SearchUsers lists the users whose email or name contains query (every user
// when query is blank), by email, skipping offset and returning at most limit,
// with the number of users that match.
func (s *Store) SearchUsers(ctx context.Context, query string, offset, limit int) ([]UserRow, int, error) {
	q := s.read(ctx).Model(&User{})
	if query = strings.TrimSpace(query); query != "" {
		like := "%" + likeEscaper.Replace(query) + "%"
		op := likeOp(q)
		q = q.Where(`email `+op+` ? ESCAPE '\' OR name `+op+` ? ESCAPE '\'`, like, like)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("store: count users: %w", err)
	}
	var us []User
	if err := q.Order("email").Offset(offset).Limit(limit).Find(&us).Error; err != nil {
		return nil, 0, fmt.Errorf("store: search users: %w", err)
	}
	rows, err := s.withGroups(ctx, us)
	return rows, int(total), err
}

// likeOp is the case-insensitive LIKE of q's database: SQLite's LIKE
// ignores case (of ASCII letters); PostgreSQL's does not, its ILIKE does.
func likeOp(q *gorm.DB) string {
	if q.Dialector.Name() == "postgres" {
		return "ILIKE"
	}
	return "LIKE"
}

// likeEscaper makes a search text match literally inside LIKE ... ESCAPE '\'.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// UsersWithGroups lists every user with their groups, by email.
func (s *Store) UsersWithGroups(ctx context.Context) ([]UserRow, error) {
	var us []User
	if err := s.read(ctx).Order("email").Find(&us).Error; err != nil {
		return nil, fmt.Errorf("store: users: %w", err)
	}
	return s.withGroups(ctx, us)
}

// withGroups adds the group names of each user, by name.
func (s *Store) withGroups(ctx context.Context, us []User) ([]UserRow, error) {
	rows := make([]UserRow, len(us))
	at := make(map[uint]int, len(us))
	ids := make([]uint, len(us))
	for i, u := range us {
		rows[i].User, at[u.ID], ids[i] = u, i, u.ID
	}
	if len(us) == 0 {
		return rows, nil
	}
	var ms []struct {
		UserID uint
		Name   string
	}
	// Chunked to stay under SQLite's limit on bound parameters.
	for len(ids) > 0 {
		n := min(len(ids), 500)
		var part []struct {
			UserID uint
			Name   string
		}
		err := s.read(ctx).Table("memberships m").Select("m.user_id, g.name").
			Joins("JOIN groups g ON g.id = m.group_id").
			Where("m.user_id IN ?", ids[:n]).Order("g.name").Scan(&part).Error
		if err != nil {
			return nil, fmt.Errorf("store: groups of users: %w", err)
		}
		ms, ids = append(ms, part...), ids[n:]
	}
	for _, m := range ms {
		r := &rows[at[m.UserID]]
		r.Groups = append(r.Groups, m.Name)
	}
	return rows, nil
}

// UpdateUser changes a user's email, name and admin flag. ErrConflict when
// another user has the email.
func (s *Store) UpdateUser(ctx context.Context, userID uint, email, name string, admin bool) error {
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var old User
		if err := tx.First(&old, userID).Error; err != nil {
			return err
		}
		email = NormalizeEmail(email)
		if err := tx.Model(&User{}).Where("id = ?", userID).Updates(map[string]any{
			"email": email, "name": name, "admin": admin, "updated_at": s.now(),
		}).Error; err != nil {
			return err
		}
		changes := map[string]any{}
		if old.Email != email {
			changes["email"] = []string{old.Email, email}
		}
		if old.Name != name {
			changes["name"] = []string{old.Name, name}
		}
		if old.Admin != admin {
			changes["admin"] = []bool{old.Admin, admin}
		}
		if len(changes) == 0 {
			return nil
		}
		return s.auditFor(tx, "user.update", func(e *AuditEntry) {
			e.SubjectUserID, e.Target, e.Detail = Ref(userID), email, changes
		})
	})
	if err != nil {
		return fmt.Errorf("store: update user %d: %w", userID, notFound(err))
	}
	return nil
}

// ImportedUser is one user of a bulk import, as they should be after it: the
// user exists, has Name (when not blank) and is a member of Groups. Missing
// groups are created; memberships the user has beyond Groups are kept.
type ImportedUser struct {
	Email        string
	Name         string
	PasswordHash string // used only when the user is created
	Groups       []string
}

// ImportResult counts what an import changed.
type ImportResult struct {
	Created       int // users
	Renamed       int // existing users whose name changed
	Joined        int // memberships added
	GroupsCreated int
	Enrolled      int // enrolments made by the groups' course rules
}

// ImportUsers applies a bulk import in one transaction: every user is
// changed, or none is. It describes the wanted state rather than the changes,
// so a file imported twice, or a user created between preview and import,
// still ends where the file says. Joining a group enrols the user in the
// group's courses, with due dates from dueFor, as AddMember does.
func (s *Store) ImportUsers(ctx context.Context, users []ImportedUser, dueFor func(enrolled time.Time, r DueRule) *time.Time) (ImportResult, error) {
	var res ImportResult
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := s.now()
		groups := map[string]uint{}
		for _, iu := range users {
			email := NormalizeEmail(iu.Email)
			var u User
			detail := map[string]any{}
			err := tx.Where("email = ?", email).First(&u).Error
			switch {
			case errors.Is(err, gorm.ErrRecordNotFound):
				if iu.PasswordHash == "" || iu.Name == "" {
					return fmt.Errorf("user %s: a new user needs a name and a password hash", email)
				}
				u = User{Email: email, Name: iu.Name, PasswordHash: iu.PasswordHash, Active: true, CreatedAt: now, UpdatedAt: now}
				if err := tx.Create(&u).Error; err != nil {
					return fmt.Errorf("create user %s: %w", email, notFound(err))
				}
				res.Created++
				detail["created"], detail["name"] = true, u.Name
			case err != nil:
				return fmt.Errorf("user %s: %w", email, err)
			case iu.Name != "" && iu.Name != u.Name:
				if err := tx.Model(&User{}).Where("id = ?", u.ID).Updates(map[string]any{"name": iu.Name, "updated_at": now}).Error; err != nil {
					return fmt.Errorf("rename user %s: %w", email, err)
				}
				res.Renamed++
				detail["name"] = []string{u.Name, iu.Name}
			}
			for _, name := range iu.Groups {
				gid, ok := groups[name]
				if !ok {
					var created bool
					if gid, created, err = findOrCreateGroup(tx, name, now); err != nil {
						return err
					}
					if created {
						res.GroupsCreated++
					}
					groups[name] = gid
				}
				joined, enrolled, err := s.joinGroup(tx, u.ID, gid, now, dueFor)
				if err != nil {
					return fmt.Errorf("add %s to group %q: %w", email, name, err)
				}
				if joined {
					res.Joined++
					detail["groups"] = append(asStrings(detail["groups"]), name)
				}
				if enrolled > 0 {
					res.Enrolled += enrolled
					detail["enrolments"] = asInt(detail["enrolments"]) + enrolled
				}
			}
			if len(detail) > 0 {
				if err := s.auditFor(tx, "user.import", func(e *AuditEntry) {
					e.SubjectUserID, e.Target, e.Detail = Ref(u.ID), email, detail
				}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return ImportResult{}, fmt.Errorf("store: import users: %w", err)
	}
	return res, nil
}

func asStrings(v any) []string { s, _ := v.([]string); return s }
func asInt(v any) int          { n, _ := v.(int); return n }

func findOrCreateGroup(tx *gorm.DB, name string, now time.Time) (id uint, created bool, err error) {
	var g Group
	err = tx.Where("name = ?", name).First(&g).Error
	if err == nil {
		return g.ID, false, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, false, fmt.Errorf("group %q: %w", name, err)
	}
	g = Group{Name: name, CreatedAt: now}
	if err := tx.Create(&g).Error; err != nil {
		return 0, false, fmt.Errorf("create group %q: %w", name, notFound(err))
	}
	return g.ID, true, nil
}

// joinGroup is AddMember inside a caller's transaction: it adds the
// membership and, when it is new, enrols the user in the group's courses.
func (s *Store) joinGroup(tx *gorm.DB, userID, groupID uint, now time.Time, dueFor func(time.Time, DueRule) *time.Time) (joined bool, enrolled int, err error) {
	r := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&Membership{UserID: userID, GroupID: groupID, CreatedAt: now})
	if r.Error != nil || r.RowsAffected == 0 {
		return false, 0, r.Error
	}
	var ges []GroupEnrolment
	// A retired or archived course enrols nobody new, though the group's
	// rule stays (and works again if the course is reinstated).
	if err := tx.Where("group_id = ? AND course_id IN (SELECT id FROM courses WHERE status = ?)", groupID, CoursePublished).
		Find(&ges).Error; err != nil {
		return true, 0, err
	}
	for _, ge := range ges {
		gid := groupID
		_, created, _, err := s.enrol(tx, userID, ge.CourseID, &gid, dueFor(now, DueRule{At: ge.DueAt, Days: ge.DueDays}))
		if err != nil {
			return true, enrolled, err
		}
		if created {
			enrolled++
		}
	}
	return true, enrolled, nil
}
