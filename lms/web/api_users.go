package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

type apiUser struct {
	ID        uint     `json:"id"`
	Email     string   `json:"email"`
	Name      string   `json:"name"`
	Admin     bool     `json:"admin"`
	Active    bool     `json:"active"`
	Groups    []string `json:"groups"`
	CreatedAt string   `json:"createdAt"`
	UpdatedAt string   `json:"updatedAt"`
}

func toAPIUser(u store.User, groups []string) apiUser {
	if groups == nil {
		groups = []string{}
	}
	return apiUser{ID: u.ID, Email: u.Email, Name: u.Name, Admin: u.Admin, Active: u.Active, Groups: groups,
		CreatedAt: apiTimeOf(u.CreatedAt), UpdatedAt: apiTimeOf(u.UpdatedAt)}
}

// apiUsers lists users by email; ?q= searches email and name.
func (s *Server) apiUsers(c echo.Context) error {
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	rows, total, err := s.store.SearchUsers(c.Request().Context(), c.QueryParam("q"), p.Offset, p.Limit)
	if err != nil {
		return err
	}
	out := make([]apiUser, len(rows))
	for i, r := range rows {
		out[i] = toAPIUser(r.User, r.Groups)
	}
	return listPage(c, p, out, total)
}

func (s *Server) apiUserParam(c echo.Context) (*store.User, error) {
	id, err := apiID(c.Param("id"), "user")
	if err != nil {
		return nil, err
	}
	u, err := s.store.UserByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiNotFoundErr("user")
	}
	return u, err
}

// userJSON answers with a user and their groups.
func (s *Server) userJSON(c echo.Context, status int, u *store.User) error {
	gs, err := s.store.UserGroups(c.Request().Context(), u.ID)
	if err != nil {
		return err
	}
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.Name
	}
	return c.JSON(status, toAPIUser(*u, names))
}

func (s *Server) apiUser(c echo.Context) error {
	u, err := s.apiUserParam(c)
	if err != nil {
		return err
	}
	return s.userJSON(c, http.StatusOK, u)
}

type apiNewUser struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Admin    bool   `json:"admin"`
	Password string `json:"password"` // optional; without it the user signs in by link
	Invite   bool   `json:"invite"`   // email an invitation to choose a password
}

// apiCreateUser adds a user. A password generated for lack of one is not
// returned: such users sign in with links an administrator sends.
func (s *Server) apiCreateUser(c echo.Context) error {
	var in apiNewUser
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	form := userForm{Email: strings.TrimSpace(in.Email), Name: strings.TrimSpace(in.Name), Admin: in.Admin}
	if msg := checkUserForm(form); msg != "" {
		return apiInvalid("%s", msg)
	}
	password := in.Password
	if password == "" {
		password = account.GeneratePassword()
	}
	if err := account.CheckPasswordPolicy(password); err != nil {
		return apiInvalid("%s", passwordProblem(err))
	}
	hash, err := account.HashPassword(password)
	if err != nil {
		return err
	}
	u := &store.User{Email: form.Email, Name: form.Name, PasswordHash: hash, Admin: form.Admin}
	if err := s.store.CreateUser(c.Request().Context(), u); errors.Is(err, store.ErrConflict) {
		return apiErr(http.StatusConflict, "conflict", "A user with the email %s already exists.", store.NormalizeEmail(form.Email))
	} else if err != nil {
		return err
	}
	s.log.Info("user created", "user", u.Email, "admin", u.Admin, "by", currentUser(c).Email, "via", "api")
	if in.Invite {
		audit := store.UserActor(currentUser(c), store.ViaAPI).Audit("user.invite")
		audit.SubjectUserID, audit.Target = store.Ref(u.ID), u.Email
		if _, err := s.emailLink(c.Request().Context(), u, store.LinkInvitation, nil, "", audit); err != nil {
			return err
		}
	}
	c.Response().Header().Set(echo.HeaderLocation, fmt.Sprintf("/api/v1/users/%d", u.ID))
	return s.userJSON(c, http.StatusCreated, u)
}

// apiUserPatch holds the fields a PATCH may change; absent ones stay.
type apiUserPatch struct {
	Email  *string `json:"email"`
	Name   *string `json:"name"`
	Admin  *bool   `json:"admin"`
	Active *bool   `json:"active"`
}

// apiUpdateUser changes a user's email, name, role or active state.
// Deactivating signs the user out everywhere.
func (s *Server) apiUpdateUser(c echo.Context) error {
	u, err := s.apiUserParam(c)
	if err != nil {
		return err
	}
	var in apiUserPatch
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	self := u.ID == currentUser(c).ID
	if in.Email != nil || in.Name != nil || in.Admin != nil {
		form := userForm{Email: u.Email, Name: u.Name, Admin: u.Admin}
		if in.Email != nil {
			form.Email = strings.TrimSpace(*in.Email)
		}
		if in.Name != nil {
			form.Name = strings.TrimSpace(*in.Name)
		}
		if in.Admin != nil {
			form.Admin = *in.Admin
		}
		if msg := checkUserForm(form); msg != "" {
			return apiInvalid("%s", msg)
		}
		if self && u.Admin && !form.Admin {
			return apiInvalid("A token cannot remove the administrator role of the account that made it.")
		}
		err := s.store.UpdateUser(ctx, u.ID, form.Email, form.Name, form.Admin)
		if errors.Is(err, store.ErrConflict) {
			return apiErr(http.StatusConflict, "conflict", "Another user has the email %s.", store.NormalizeEmail(form.Email))
		} else if err != nil {
			return err
		}
		if u.Admin != form.Admin {
			s.log.Info("user role changed", "user", u.Email, "admin", form.Admin, "by", currentUser(c).Email, "via", "api")
		}
	}
	if in.Active != nil && *in.Active != u.Active {
		if self && !*in.Active {
			return apiInvalid("A token cannot deactivate the account that made it.")
		}
		if err := s.store.SetUserActive(ctx, u.ID, *in.Active); err != nil {
			return err
		}
		s.log.Info("user active changed", "user", u.Email, "active", *in.Active, "by", currentUser(c).Email, "via", "api")
	}
	if u, err = s.store.UserByID(ctx, u.ID); err != nil {
		return err
	}
	return s.userJSON(c, http.StatusOK, u)
}
