package web

// Admins make users managers of groups, on the group's page.

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/store"
)

// addManager makes a user, by email, a manager of the group.
func (s *Server) addManager(c echo.Context) error {
	ctx := c.Request().Context()
	g, err := s.groupParam(c)
	if err != nil {
		return err
	}
	email := c.FormValue("email")
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return s.renderGroup(c, http.StatusUnprocessableEntity, "", fmt.Sprintf("No user has the address %q.", strings.TrimSpace(email)))
	} else if err != nil {
		return err
	}
	if !u.Active {
		return s.renderGroup(c, http.StatusUnprocessableEntity, "", u.Email+" is deactivated and cannot manage a group.")
	}
	added, err := s.store.AddManager(ctx, u.ID, g.ID)
	if err != nil {
		return err
	}
	msg := u.Email + " already manages " + g.Name + "."
	if added {
		msg = u.Email + " now manages " + g.Name + ": they see and export its members' compliance under “Your teams”."
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/groups/%d?notice=%s", g.ID, url.QueryEscape(msg)))
}

// removeManager ends a user's management of the group, after asking.
func (s *Server) removeManager(c echo.Context) error {
	ctx := c.Request().Context()
	g, err := s.groupParam(c)
	if err != nil {
		return err
	}
	uid, err := strconv.ParseUint(c.Param("user"), 10, 32)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such manager.")
	}
	u, err := s.store.UserByID(ctx, uint(uid))
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such manager.")
	}
	if !confirmed(c) {
		return s.askConfirm(c, confirmView{Heading: "Stop " + u.Name + " managing " + g.Name + "?",
			Message: "They no longer see the group's members or their compliance, and the reports they scheduled for the group stop.",
			Button:  "Stop managing " + g.Name, Cancel: fmt.Sprintf("/admin/groups/%d", g.ID)})
	}
	if err := s.store.RemoveManager(ctx, u.ID, g.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/groups/%d?notice=%s", g.ID, url.QueryEscape(u.Email+" no longer manages "+g.Name+".")))
}
