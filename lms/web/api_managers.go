package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/store"
)

type apiManager struct {
	ID    uint   `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
}

func (s *Server) apiGroupParam(c echo.Context) (*store.Group, error) {
	gid, err := apiID(c.Param("id"), "group")
	if err != nil {
		return nil, err
	}
	g, err := s.store.GroupByID(c.Request().Context(), gid)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiNotFoundErr("group")
	}
	return g, err
}

// apiManagers lists the managers of a group.
func (s *Server) apiManagers(c echo.Context) error {
	g, err := s.apiGroupParam(c)
	if err != nil {
		return err
	}
	us, err := s.store.GroupManagers(c.Request().Context(), g.ID)
	if err != nil {
		return err
	}
	out := make([]apiManager, 0, len(us))
	for _, u := range us {
		out = append(out, apiManager{ID: u.ID, Email: u.Email, Name: u.Name})
	}
	return c.JSON(http.StatusOK, map[string]any{"group": toAPIGroup(*g), "managers": out})
}

// apiAddManager makes a user, named by id or email, a manager of a group.
func (s *Server) apiAddManager(c echo.Context) error {
	g, err := s.apiGroupParam(c)
	if err != nil {
		return err
	}
	var in struct {
		User  uint   `json:"user"`
		Email string `json:"email"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u, err := s.apiUserRef(c, in.User, in.Email)
	if err != nil {
		return err
	}
	added, err := s.store.AddManager(c.Request().Context(), u.ID, g.ID)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if added {
		status = http.StatusCreated
	}
	return c.JSON(status, map[string]any{"group": toAPIGroup(*g), "user": u.ID, "added": added})
}

// apiRemoveManager ends a user's management of a group.
func (s *Server) apiRemoveManager(c echo.Context) error {
	g, err := s.apiGroupParam(c)
	if err != nil {
		return err
	}
	uid, err := apiID(c.Param("user"), "user")
	if err != nil {
		return err
	}
	err = s.store.RemoveManager(c.Request().Context(), uid, g.ID)
	if errors.Is(err, store.ErrNotFound) {
		return apiErr(http.StatusNotFound, "not_found", "User %d does not manage group %d.", uid, g.ID)
	} else if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
