package web

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

type groupsView struct {
	Groups []store.Group
	Error  string
	Name   string
}

func (s *Server) groups(c echo.Context) error { return s.renderGroups(c, http.StatusOK, "", "") }

func (s *Server) renderGroups(c echo.Context, status int, name, formErr string) error {
	gs, err := s.store.Groups(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_groups", "Groups", groupsView{Groups: gs, Error: formErr, Name: name})
}

func (s *Server) createGroup(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("name"))
	if name == "" || len(name) > 200 {
		return s.renderGroups(c, http.StatusUnprocessableEntity, name, "A group name has 1 to 200 characters.")
	}
	g, err := s.store.CreateGroup(c.Request().Context(), name)
	if errors.Is(err, store.ErrConflict) {
		return s.renderGroups(c, http.StatusUnprocessableEntity, name, fmt.Sprintf("A group named %q already exists.", name))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/groups/%d", g.ID))
}

type groupView struct {
	Group      *store.Group
	Members    []store.User
	Managers   []store.User
	Enrolments []enrolmentView
	Courses    []store.CourseSummary // published, to enrol the group in
	Error      string
	Notice     string
}

func (s *Server) groupParam(c echo.Context) (*store.Group, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such group.")
	}
	return s.store.GroupByID(c.Request().Context(), uint(id))
}

func (s *Server) group(c echo.Context) error {
	return s.renderGroup(c, http.StatusOK, c.QueryParam("notice"), "")
}

func (s *Server) renderGroup(c echo.Context, status int, notice, formErr string) error {
	ctx := c.Request().Context()
	g, err := s.groupParam(c)
	if err != nil {
		return err
	}
	members, err := s.store.GroupMembers(ctx, g.ID)
	if err != nil {
		return err
	}
	rows, err := s.store.Enrolments(ctx, store.EnrolmentFilter{GroupID: g.ID})
	if err != nil {
		return err
	}
	courses, err := s.enrollableCourses(c)
	if err != nil {
		return err
	}
	managers, err := s.store.GroupManagers(ctx, g.ID)
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_group", g.Name, groupView{Group: g, Members: members, Managers: managers, Enrolments: s.enrolmentViews(rows), Courses: courses, Notice: notice, Error: formErr})
}

// addMember adds a user, by email, to a group; the group's courses are
// assigned to them at once.
func (s *Server) addMember(c echo.Context) error {
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
	added, err := s.store.AddMember(ctx, u.ID, g.ID, s.comp.DueFor)
	if err != nil {
		return err
	}
	msg := u.Email + " is already a member."
	if added {
		msg = u.Email + " was added and enrolled in the group's courses."
	}
	// The administrator may invite a newcomer who never signed in.
	if c.FormValue("invite") == "1" && u.Active && u.LastSignInAt == nil {
		audit := adminAudit(c, "user.invite", u)
		audit.GroupID = store.Ref(g.ID)
		if _, err := s.emailLink(ctx, u, store.LinkInvitation, nil, inviter(c), audit); err != nil {
			return err
		}
		msg += " An invitation to choose a password is on its way."
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/groups/%d?notice=%s", g.ID, url.QueryEscape(msg)))
}

func (s *Server) removeMember(c echo.Context) error {
	g, err := s.groupParam(c)
	if err != nil {
		return err
	}
	uid, err := strconv.ParseUint(c.Param("user"), 10, 32)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such member.")
	}
	if !confirmed(c) {
		u, err := s.store.UserByID(c.Request().Context(), uint(uid))
		if err != nil {
			return echo.NewHTTPError(http.StatusNotFound, "No such member.")
		}
		return s.askConfirm(c, confirmView{Heading: "Remove " + u.Name + " from " + g.Name + "?",
			Message: "They leave the group; the enrolments the group gave them stay.",
			Button:  "Remove from " + g.Name, Cancel: fmt.Sprintf("/admin/groups/%d", g.ID)})
	}
	if err := s.store.RemoveMember(c.Request().Context(), uint(uid), g.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/groups/%d?notice=%s", g.ID, url.QueryEscape("Removed from the group. Their enrolments stay.")))
}
