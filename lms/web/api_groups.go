package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/store"
)

type apiGroup struct {
	ID        uint   `json:"id"`
	Name      string `json:"name"`
	CreatedAt string `json:"createdAt"`
}

func toAPIGroup(g store.Group) apiGroup {
	return apiGroup{ID: g.ID, Name: g.Name, CreatedAt: apiTimeOf(g.CreatedAt)}
}

func (s *Server) apiGroups(c echo.Context) error {
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	all, err := s.store.Groups(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]apiGroup, 0, p.Limit)
	for _, g := range slicePage(all, p) {
		out = append(out, toAPIGroup(g))
	}
	return listPage(c, p, out, len(all))
}

func (s *Server) apiCreateGroup(c echo.Context) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return apiInvalid("A group name has 1 to 200 characters.")
	}
	g, err := s.store.CreateGroup(c.Request().Context(), name)
	if errors.Is(err, store.ErrConflict) {
		return apiErr(http.StatusConflict, "conflict", "A group named %q already exists.", name)
	} else if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, fmt.Sprintf("/api/v1/groups/%d", g.ID))
	return c.JSON(http.StatusCreated, toAPIGroup(*g))
}

// apiAddMember puts a user, named by id or email, in a group, which enrols
// them in the group's courses.
func (s *Server) apiAddMember(c echo.Context) error {
	ctx := c.Request().Context()
	gid, err := apiID(c.Param("id"), "group")
	if err != nil {
		return err
	}
	g, err := s.store.GroupByID(ctx, gid)
	if errors.Is(err, store.ErrNotFound) {
		return apiNotFoundErr("group")
	} else if err != nil {
		return err
	}
	var in struct {
		User   uint   `json:"user"`
		Email  string `json:"email"`
		Invite bool   `json:"invite"` // email an invitation if the user never signed in
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, err := s.apiUserRef(c, in.User, in.Email)
	if err != nil {
		return err
	}
	added, err := s.store.AddMember(ctx, u.ID, g.ID, s.memberDueFor)
	if err != nil {
		return err
	}
	invited := false
	if in.Invite && u.LastSignInAt == nil {
		audit := store.UserActor(currentUser(c), store.ViaAPI).Audit("user.invite")
		audit.SubjectUserID, audit.GroupID, audit.Target = store.Ref(u.ID), store.Ref(g.ID), u.Email
		if _, err := s.emailLink(ctx, u, store.LinkInvitation, nil, "", audit); err != nil {
			return err
		}
		invited = true
	}
	status := http.StatusOK
	if added {
		status = http.StatusCreated
	}
	return c.JSON(status, map[string]any{"group": toAPIGroup(*g), "user": u.ID, "added": added, "invited": invited})
}

// apiUserRef finds the active user a request names by id or by email.
func (s *Server) apiUserRef(c echo.Context, id uint, email string) (*store.User, error) {
	email = strings.TrimSpace(email)
	var u *store.User
	var err error
	switch {
	case id != 0 && email != "":
		return nil, apiInvalid("Name the user by \"user\" (id) or by \"email\", not both.")
	case id != 0:
		u, err = s.store.UserByID(c.Request().Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, apiInvalid("There is no user with id %d.", id)
		}
	case email != "":
		u, err = s.store.UserByEmail(c.Request().Context(), email)
		if errors.Is(err, store.ErrNotFound) {
			return nil, apiInvalid("No user has the email %s.", store.NormalizeEmail(email))
		}
	default:
		return nil, apiInvalid("Name the user by \"user\" (id) or by \"email\".")
	}
	if err != nil {
		return nil, err
	}
	if !u.Active {
		return nil, apiInvalid("The user %s is deactivated.", u.Email)
	}
	return u, nil
}
