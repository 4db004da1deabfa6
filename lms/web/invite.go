package web

// Administrators send account emails: an invitation to choose a password
// (to one user, to a group's members who never signed in, to users created
// on the web, by CSV or by the API), and sign-in links to a selection of
// users. Each email is one audit entry.

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/store"
)

// maxBulkUsers bounds one bulk email: the users page shows 50 at a time.
const maxBulkUsers = 500

// inviteUser (re)sends the invitation: a new link, and the old one stops
// working.
func (s *Server) inviteUser(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	if !u.Active {
		return s.renderUser(c, http.StatusUnprocessableEntity, u, userPage{Error: "The user is deactivated: reactivate them first."})
	}
	expires, err := s.emailLink(c.Request().Context(), u, store.LinkInvitation, nil, inviter(c), adminAudit(c, "user.invite", u))
	if err != nil {
		return err
	}
	s.log.Info("invitation sent", "user", u.Email, "by", currentUser(c).Email)
	return s.renderUser(c, http.StatusOK, u, userPage{Notice: fmt.Sprintf(
		"An invitation to choose a password is on its way to %s. Its link works once, until %s; an earlier invitation’s link no longer works.", u.Email, s.when(expires))})
}

// emailLinkFor emails one user a sign-in link, optionally opening a course.
func (s *Server) emailLinkFor(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	switch {
	case !u.Active:
		return s.renderUser(c, http.StatusUnprocessableEntity, u, userPage{Error: "The user is deactivated: reactivate them first."})
	case u.Admin:
		return s.renderUser(c, http.StatusUnprocessableEntity, u, userPage{Error: "Sign-in links are for learners; administrators sign in with their password."})
	}
	courseID, msg := s.courseField(c)
	if msg != "" {
		return s.renderUser(c, http.StatusUnprocessableEntity, u, userPage{Error: msg})
	}
	audit := adminAudit(c, "user.sign-in-link", u)
	audit.CourseID = courseID
	expires, err := s.emailLink(c.Request().Context(), u, store.LinkSignIn, courseID, inviter(c), audit)
	if err != nil {
		return err
	}
	return s.renderUser(c, http.StatusOK, u, userPage{Notice: fmt.Sprintf("A sign-in link is on its way to %s; it works once, until %s.", u.Email, s.when(expires))})
}

// courseField reads the optional course of a sign-in link form.
func (s *Server) courseField(c echo.Context) (*uint, string) {
	v := c.FormValue("course")
	if v == "" {
		return nil, ""
	}
	id, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return nil, "Choose a course from the list."
	}
	co, err := s.store.CourseByID(c.Request().Context(), uint(id))
	if err != nil {
		return nil, "That course no longer exists."
	}
	return &co.ID, ""
}

// bulkOutcome is what a bulk email did, shown on the users page.
type bulkOutcome struct {
	What    string // plural: "sign-in links"
	One     string // singular: "sign-in link"
	Sent    []string
	Skipped []string // "email: reason"
}

// emailUsers sends sign-in links or invitations to the users ticked on the
// users page.
func (s *Server) emailUsers(c echo.Context) error {
	var purpose, action, what, one string
	switch c.FormValue("action") {
	case "sign-in-link":
		purpose, action, what, one = store.LinkSignIn, "user.sign-in-link", "sign-in links", "sign-in link"
	case "invitation":
		purpose, action, what, one = store.LinkInvitation, "user.invite", "invitations", "invitation"
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "Say whether to send sign-in links or invitations.")
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The form could not be read.")
	}
	var ids []uint
	seen := map[uint]bool{}
	for _, v := range form["user"] {
		id, err := strconv.ParseUint(v, 10, 32)
		if err != nil || seen[uint(id)] {
			continue
		}
		seen[uint(id)] = true
		ids = append(ids, uint(id))
	}
	if len(ids) == 0 {
		return s.renderUsers(c, http.StatusUnprocessableEntity, userForm{}, "",
			withBulkError("Tick the users to send "+what+" to."))
	}
	if len(ids) > maxBulkUsers {
		return s.renderUsers(c, http.StatusUnprocessableEntity, userForm{}, "",
			withBulkError(fmt.Sprintf("Send to at most %d users at once.", maxBulkUsers)))
	}
	ctx := c.Request().Context()
	users, err := s.store.UsersByIDs(ctx, ids)
	if err != nil {
		return err
	}
	out := &bulkOutcome{What: what, One: one}
	for i := range users {
		u := &users[i]
		switch {
		case !u.Active:
			out.Skipped = append(out.Skipped, u.Email+": deactivated")
			continue
		case u.Admin && purpose == store.LinkSignIn:
			out.Skipped = append(out.Skipped, u.Email+": administrators sign in with their password")
			continue
		}
		if _, err := s.emailLink(ctx, u, purpose, nil, inviter(c), adminAudit(c, action, u)); err != nil {
			return err
		}
		out.Sent = append(out.Sent, u.Email)
	}
	s.log.Info("bulk email", "what", what, "sent", len(out.Sent), "skipped", len(out.Skipped), "by", currentUser(c).Email)
	return s.renderUsers(c, http.StatusOK, userForm{}, "", withBulk(out))
}

// inviteGroup invites the group's active members who have never signed in.
func (s *Server) inviteGroup(c echo.Context) error {
	g, err := s.groupParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	users, err := s.store.NeverSignedIn(ctx, g.ID)
	if err != nil {
		return err
	}
	for i := range users {
		u := &users[i]
		audit := adminAudit(c, "user.invite", u)
		audit.GroupID = store.Ref(g.ID)
		if _, err := s.emailLink(ctx, u, store.LinkInvitation, nil, inviter(c), audit); err != nil {
			return err
		}
	}
	msg := "Every member has signed in before: no invitation was needed."
	if n := len(users); n > 0 {
		msg = fmt.Sprintf("Invitations are on their way to %d %s who never signed in.", n, map[bool]string{true: "member", false: "members"}[n == 1])
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/groups/%d?notice=%s", g.ID, url.QueryEscape(msg)))
}

// inviteEnrolled invites, when the administrator ticked it on an enrolment
// form, the learners just enrolled in co who are active and never signed
// in: the members of group (if not 0) and users. Each invitation names the
// course and opens it once the password is chosen; one audit entry each.
// via says where the request came from (store.ViaWeb or store.ViaAPI).
func (s *Server) inviteEnrolled(c echo.Context, via string, co *store.Course, group uint, users []*store.User) (int, error) {
	ctx := c.Request().Context()
	var todo []store.User
	if group != 0 {
		members, err := s.store.NeverSignedIn(ctx, group)
		if err != nil {
			return 0, err
		}
		todo = members
	}
	for _, u := range users {
		if u.Active && u.LastSignInAt == nil {
			todo = append(todo, *u)
		}
	}
	seen := map[uint]bool{}
	for i := range todo {
		u := &todo[i]
		if seen[u.ID] {
			continue
		}
		seen[u.ID] = true
		audit := store.UserActor(currentUser(c), via).Audit("user.invite")
		audit.SubjectUserID, audit.Target, audit.CourseID = store.Ref(u.ID), u.Email, store.Ref(co.ID)
		if group != 0 {
			audit.GroupID = store.Ref(group)
		}
		by := inviter(c)
		if via == store.ViaAPI {
			by = ""
		}
		if _, err := s.emailLink(ctx, u, store.LinkInvitation, store.Ref(co.ID), by, audit); err != nil {
			return 0, err
		}
	}
	return len(seen), nil
}

// invitedSentence tells the administrator how many invitations left.
func invitedSentence(n int) string {
	if n == 0 {
		return " Everyone enrolled has signed in before: no invitation was needed."
	}
	return fmt.Sprintf(" Invitations to choose a password are on their way to %d %s who never signed in.", n,
		map[bool]string{true: "learner", false: "learners"}[n == 1])
}

// inviteNew sends the invitation of a user just created, when the
// administrator asked for it. It reports a failure in words rather than
// failing the creation, which has happened.
func (s *Server) inviteNew(c echo.Context, u *store.User) string {
	if _, err := s.emailLink(c.Request().Context(), u, store.LinkInvitation, nil, inviter(c), adminAudit(c, "user.invite", u)); err != nil {
		s.log.Error("invitation of a new user", "user", u.Email, "err", err)
		return "The invitation could not be queued; send it again from the user’s page."
	}
	return ""
}

// apiInvite (re)sends a user's invitation.
func (s *Server) apiInvite(c echo.Context) error {
	u, err := s.apiUserParam(c)
	if err != nil {
		return err
	}
	if !u.Active {
		return apiInvalid("The user %s is deactivated.", u.Email)
	}
	audit := store.UserActor(currentUser(c), store.ViaAPI).Audit("user.invite")
	audit.SubjectUserID, audit.Target = store.Ref(u.ID), u.Email
	expires, err := s.emailLink(c.Request().Context(), u, store.LinkInvitation, nil, "", audit)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"user": u.ID, "email": u.Email, "expiresAt": apiTimeOf(expires)})
}
