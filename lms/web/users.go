package web

// Admin pages for users: list and search, create, edit, deactivate and
// reactivate, password reset, sign-in links and group membership.
//
// Secrets (a generated password, a sign-in link) are shown once, in the
// answer to the POST that made them, never carried in a redirect URL.

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

const (
	usersPerPage = 50
	maxNameRunes = 200 // the users table holds 200 characters
)

// userForm is what the create and edit forms hold.
type userForm struct {
	Email, Name string
	Admin       bool
}

type usersView struct {
	Users       []store.UserRow
	Query       string
	Page, Pages int
	Total       int
	Prev, Next  string // page URLs, "" when there is none
	Form        userForm
	Error       string
	MinPassword int
	Bulk        *bulkOutcome // what a bulk email did
	BulkError   string
	Mode        string // the password choice of the add form
	LinkTTL     string // how long emailed links last, in words
	InviteTTL   string
}

func withBulk(b *bulkOutcome) func(*usersView)  { return func(v *usersView) { v.Bulk = b } }
func withBulkError(msg string) func(*usersView) { return func(v *usersView) { v.BulkError = msg } }

func (s *Server) adminUsers(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, userForm{}, "")
}

func (s *Server) renderUsers(c echo.Context, status int, form userForm, formErr string, opts ...func(*usersView)) error {
	query := strings.TrimSpace(c.QueryParam("q"))
	if utf8.RuneCountInString(query) > 100 {
		query = string([]rune(query)[:100])
	}
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	users, total, err := s.store.SearchUsers(c.Request().Context(), query, (page-1)*usersPerPage, usersPerPage)
	if err != nil {
		return err
	}
	v := usersView{Users: users, Query: query, Page: page, Total: total, Form: form, Error: formErr,
		Pages: max(1, (total+usersPerPage-1)/usersPerPage), MinPassword: account.MinPasswordLength, Mode: c.FormValue("password_mode")}
	if v.Mode == "" {
		v.Mode = "invite"
	}
	v.LinkTTL, v.InviteTTL = humanDuration(s.opt.EmailLinkTTL), humanDuration(s.opt.InviteTTL)
	for _, o := range opts {
		o(&v)
	}
	pageURL := func(n int) string {
		q := url.Values{}
		if query != "" {
			q.Set("q", query)
		}
		if n > 1 {
			q.Set("page", strconv.Itoa(n))
		}
		if len(q) == 0 {
			return "/admin/users"
		}
		return "/admin/users?" + q.Encode()
	}
	if page > 1 {
		v.Prev = pageURL(min(page-1, v.Pages))
	}
	if page < v.Pages {
		v.Next = pageURL(page + 1)
	}
	return s.render(c, status, "admin_users", "Users", v)
}

// checkUserForm validates the fields shared by create and edit.
func checkUserForm(f userForm) string {
	switch {
	case f.Email == "":
		return "Enter an email address."
	case !account.ValidEmail(f.Email):
		return fmt.Sprintf("“%s” is not a valid email address.", f.Email)
	case f.Name == "":
		return "Enter a name."
	case utf8.RuneCountInString(f.Name) > maxNameRunes:
		return fmt.Sprintf("The name is longer than %d characters.", maxNameRunes)
	case strings.IndexFunc(f.Name, unicode.IsControl) >= 0:
		return "The name contains a line break or another control character."
	}
	return ""
}

func readUserForm(c echo.Context) userForm {
	return userForm{
		Email: strings.TrimSpace(c.FormValue("email")),
		Name:  strings.TrimSpace(c.FormValue("name")),
		Admin: c.FormValue("admin") == "1",
	}
}

// createUser adds a user. The administrator chooses how they get in:
// an invitation email to choose their password (password_mode=invite), a
// generated password shown once (generate, or no mode and no password), or
// the password typed (set, or no mode with a password).
func (s *Server) createUser(c echo.Context) error {
	form := readUserForm(c)
	if msg := checkUserForm(form); msg != "" {
		return s.renderUsers(c, http.StatusUnprocessableEntity, form, msg)
	}
	password := c.FormValue("password")
	mode := c.FormValue("password_mode")
	switch mode {
	case "":
		mode = map[bool]string{true: "generate", false: "set"}[password == ""]
	case "invite", "generate":
		password = ""
	case "set":
		if password == "" {
			return s.renderUsers(c, http.StatusUnprocessableEntity, form, "Type the password, or choose another way for the user to get in.")
		}
	default:
		return s.renderUsers(c, http.StatusUnprocessableEntity, form, "Choose how the user gets in.")
	}
	generated := password == ""
	if generated {
		password = account.GeneratePassword()
	}
	if err := account.CheckPasswordPolicy(password); err != nil {
		return s.renderUsers(c, http.StatusUnprocessableEntity, form, passwordProblem(err))
	}
	hash, err := account.HashPassword(password)
	if err != nil {
		return err
	}
	u := &store.User{Email: form.Email, Name: form.Name, PasswordHash: hash, Admin: form.Admin}
	if err := s.store.CreateUser(c.Request().Context(), u); errors.Is(err, store.ErrConflict) {
		return s.renderUsers(c, http.StatusUnprocessableEntity, form, fmt.Sprintf("A user with the email %s already exists.", store.NormalizeEmail(form.Email)))
	} else if err != nil {
		return err
	}
	s.log.Info("user created", "user", u.Email, "admin", u.Admin, "by", currentUser(c).Email)
	v := userPage{Notice: fmt.Sprintf("%s was added.", u.Email)}
	if mode == "invite" {
		v.Notice = fmt.Sprintf("%s was added, and an invitation to choose a password is on its way (its link works until %s).",
			u.Email, s.when(s.store.Now().Add(s.opt.InviteTTL)))
		if msg := s.inviteNew(c, u); msg != "" {
			v.Notice, v.Error = fmt.Sprintf("%s was added.", u.Email), msg
		}
	} else if generated {
		v.Secret = &shownOnce{Label: "Password", Value: password,
			Note: "Give it to " + u.Name + " now: Lectern shows it only once and does not store it in clear."}
	} else {
		v.Notice = fmt.Sprintf("%s was added with the password you chose.", u.Email)
	}
	return s.renderUser(c, http.StatusCreated, u, v)
}

func passwordProblem(err error) string {
	switch {
	case errors.Is(err, account.ErrWeakPassword):
		return fmt.Sprintf("The password is too short: use at least %d characters, or leave it empty to generate one.", account.MinPasswordLength)
	case errors.Is(err, account.ErrLongPassword):
		return fmt.Sprintf("The password is too long: use at most %d bytes.", account.MaxPasswordLength)
	}
	return "The password cannot be used."
}

// userPage is the per-request part of the user page: a form being
// corrected, a message, a secret to show once.
type userPage struct {
	Edited *userForm // a form sent back for correction
	Error  string
	Notice string
	Secret *shownOnce
}

// shownOnce is a secret shown once: a generated password or a sign-in link.
type shownOnce struct {
	Label, Value, Note string
}

type userView struct {
	userPage
	User         *store.User
	Form         userForm
	Self         bool
	Groups       []store.Group // the user's
	Others       []store.Group // groups the user could join
	Courses      []store.CourseSummary
	LinkMinutes  int
	MinPassword  int
	InviteTTL    string
	EmailLinkTTL string
}

// userNotices are the messages a redirect back to the user page may ask for.
var userNotices = map[string]string{
	"saved":       "The changes were saved.",
	"deactivated": "The user was deactivated and signed out everywhere.",
	"reactivated": "The user was reactivated and can sign in again.",
	"joined":      "The user was added to the group.",
	"left":        "The user was removed from the group. Their enrolments stay.",
}

func (s *Server) adminUser(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	return s.renderUser(c, http.StatusOK, u, userPage{Notice: userNotices[c.QueryParam("done")]})
}

func (s *Server) renderUser(c echo.Context, status int, u *store.User, p userPage) error {
	ctx := c.Request().Context()
	v := userView{userPage: p, User: u, Form: userForm{Email: u.Email, Name: u.Name, Admin: u.Admin},
		Self: currentUser(c).ID == u.ID, LinkMinutes: int(s.loginLinkTTL() / time.Minute), MinPassword: account.MinPasswordLength,
		InviteTTL: humanDuration(s.opt.InviteTTL), EmailLinkTTL: humanDuration(s.opt.EmailLinkTTL)}
	if p.Edited != nil {
		v.Form = *p.Edited
	}
	var err error
	if v.Groups, err = s.store.UserGroups(ctx, u.ID); err != nil {
		return err
	}
	all, err := s.store.Groups(ctx)
	if err != nil {
		return err
	}
	member := map[uint]bool{}
	for _, g := range v.Groups {
		member[g.ID] = true
	}
	for _, g := range all {
		if !member[g.ID] {
			v.Others = append(v.Others, g)
		}
	}
	courses, err := s.store.Courses(ctx)
	if err != nil {
		return err
	}
	for _, co := range courses {
		if co.CurrentVersionID != nil {
			v.Courses = append(v.Courses, co)
		}
	}
	return s.render(c, status, "admin_user", u.Name, v)
}

// userParam loads the user named by the :id of the path.
func (s *Server) userParam(c echo.Context) (*store.User, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such user.")
	}
	u, err := s.store.UserByID(c.Request().Context(), uint(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such user.")
	}
	return u, err
}

func (s *Server) backToUser(c echo.Context, u *store.User, done string) error {
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/users/%d?done=%s", u.ID, done))
}

// updateUser changes a user's email, name and role.
func (s *Server) updateUser(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	form := readUserForm(c)
	fail := func(msg string) error {
		return s.renderUser(c, http.StatusUnprocessableEntity, u, userPage{Edited: &form, Error: msg})
	}
	if msg := checkUserForm(form); msg != "" {
		return fail(msg)
	}
	if u.ID == currentUser(c).ID && u.Admin && !form.Admin {
		return fail("You cannot remove your own administrator role; ask another administrator.")
	}
	err = s.store.UpdateUser(c.Request().Context(), u.ID, form.Email, form.Name, form.Admin)
	if errors.Is(err, store.ErrConflict) {
		return fail(fmt.Sprintf("Another user has the email %s.", store.NormalizeEmail(form.Email)))
	} else if err != nil {
		return err
	}
	if u.Admin != form.Admin {
		s.log.Info("user role changed", "user", u.Email, "admin", form.Admin, "by", currentUser(c).Email)
	}
	return s.backToUser(c, u, "saved")
}

// setUserActive deactivates or reactivates a user; the form says which, so
// that a request without it changes nothing.
func (s *Server) setUserActive(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	var active bool
	switch c.FormValue("active") {
	case "true":
		active = true
	case "false":
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "Say whether to deactivate or reactivate the user.")
	}
	if !active && u.ID == currentUser(c).ID {
		return s.renderUser(c, http.StatusUnprocessableEntity, u, userPage{Error: "You cannot deactivate your own account; ask another administrator."})
	}
	if !active && !confirmed(c) {
		return s.askConfirm(c, confirmView{Heading: "Deactivate " + u.Name + "?",
			Message: u.Name + " (" + u.Email + ") will be signed out everywhere and will not be able to sign in; their sign-in links stop working. Their records and certificates stay, and you can reactivate them later.",
			Fields:  []confirmField{{"active", "false"}}, Button: "Deactivate " + u.Name, Cancel: fmt.Sprintf("/admin/users/%d", u.ID)})
	}
	if err := s.store.SetUserActive(c.Request().Context(), u.ID, active); err != nil {
		return err
	}
	s.log.Info("user active changed", "user", u.Email, "active", active, "by", currentUser(c).Email)
	if active {
		return s.backToUser(c, u, "reactivated")
	}
	return s.backToUser(c, u, "deactivated")
}

// resetPassword sets a generated password (shown once) or the one the admin
// typed. Either way the user is signed out everywhere.
func (s *Server) resetPassword(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	var password string
	switch c.FormValue("mode") {
	case "generate":
		if !confirmed(c) {
			return s.askConfirm(c, confirmView{Heading: "Give " + u.Name + " a new password?",
				Message: "Their current password stops working and they are signed out everywhere. Lectern shows the new password to you once.",
				Fields:  []confirmField{{"mode", "generate"}}, Button: "Generate a new password", Cancel: fmt.Sprintf("/admin/users/%d", u.ID)})
		}
		password = account.GeneratePassword()
	case "set":
		password = c.FormValue("password")
		if err := account.CheckPasswordPolicy(password); err != nil {
			return s.renderUser(c, http.StatusUnprocessableEntity, u, userPage{Error: passwordProblem(err)})
		}
		// The typed password is not carried through a confirmation page:
		// the form's required box is the confirmation.
		if !confirmed(c) {
			return s.renderUser(c, http.StatusUnprocessableEntity, u, userPage{Error: "Tick the box to confirm that " + u.Name + "’s password is replaced and they are signed out everywhere."})
		}
	default:
		return echo.NewHTTPError(http.StatusBadRequest, "Say whether to generate a password or set the one typed.")
	}
	hash, err := account.HashPassword(password)
	if err != nil {
		return err
	}
	if err := s.store.SetPassword(c.Request().Context(), u.ID, hash); err != nil {
		return err
	}
	s.log.Info("password reset", "user", u.Email, "by", currentUser(c).Email)
	p := userPage{Notice: fmt.Sprintf("The password of %s was changed; they are signed out everywhere.", u.Email)}
	if c.FormValue("mode") == "generate" {
		p.Secret = &shownOnce{Label: "New password", Value: password,
			Note: "Give it to " + u.Name + " now: Lectern shows it only once and does not store it in clear."}
	}
	return s.renderUser(c, http.StatusOK, u, p)
}

// loginLinkFor makes a single-use sign-in link for a learner, as
// `lectern user link` does, optionally opening a course. Links are for
// learners only: an administrator's account is not handed around by link.
func (s *Server) loginLinkFor(c echo.Context) error {
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
	ctx := c.Request().Context()
	var courseID *uint
	if v := c.FormValue("course"); v != "" {
		id, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return s.renderUser(c, http.StatusUnprocessableEntity, u, userPage{Error: "Choose a course from the list."})
		}
		co, err := s.store.CourseByID(ctx, uint(id))
		if errors.Is(err, store.ErrNotFound) {
			return s.renderUser(c, http.StatusUnprocessableEntity, u, userPage{Error: "That course no longer exists."})
		} else if err != nil {
			return err
		}
		courseID = &co.ID
	}
	token := account.NewToken()
	if err := s.store.CreateLoginLink(ctx, account.HashToken(token), u.ID, courseID, s.loginLinkTTL()); err != nil {
		return err
	}
	s.log.Info("sign-in link made", "user", u.Email, "by", currentUser(c).Email)
	expires := s.store.Now().Add(s.loginLinkTTL()).In(s.location())
	return s.renderUser(c, http.StatusOK, u, userPage{Secret: &shownOnce{
		Label: "Sign-in link", Value: strings.TrimSuffix(s.opt.BaseURL, "/") + "/login/link/" + token,
		Note: fmt.Sprintf("It works once, until %s. Lectern shows it only once.", expires.Format("2006-01-02 15:04 MST")),
	}})
}

func (s *Server) loginLinkTTL() time.Duration {
	if s.opt.LoginLinkTTL > 0 {
		return s.opt.LoginLinkTTL
	}
	return 15 * time.Minute
}

// memberDueFor resolves due dates when joining a group enrols the user.
func (s *Server) memberDueFor(enrolled time.Time, r store.DueRule) *time.Time {
	if s.comp == nil {
		return nil
	}
	return s.comp.DueFor(enrolled, r)
}

// groupField reads the group a membership form names.
func (s *Server) groupField(c echo.Context) (*store.Group, string) {
	id, err := strconv.ParseUint(c.FormValue("group"), 10, 32)
	if err != nil {
		return nil, "Choose a group."
	}
	g, err := s.store.GroupByID(c.Request().Context(), uint(id))
	if err != nil {
		return nil, "That group no longer exists."
	}
	return g, ""
}

// joinGroup adds the user to a group, which enrols them in its courses.
func (s *Server) joinGroup(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	g, msg := s.groupField(c)
	if g == nil {
		return s.renderUser(c, http.StatusUnprocessableEntity, u, userPage{Error: msg})
	}
	if _, err := s.store.AddMember(c.Request().Context(), u.ID, g.ID, s.memberDueFor); err != nil {
		return err
	}
	return s.backToUser(c, u, "joined")
}

// leaveGroup takes the user out of a group; enrolments stay.
func (s *Server) leaveGroup(c echo.Context) error {
	u, err := s.userParam(c)
	if err != nil {
		return err
	}
	g, msg := s.groupField(c)
	if g == nil {
		return s.renderUser(c, http.StatusUnprocessableEntity, u, userPage{Error: msg})
	}
	if !confirmed(c) {
		return s.askConfirm(c, confirmView{Heading: "Remove " + u.Name + " from " + g.Name + "?",
			Message: "They leave the group; the enrolments the group gave them stay. Courses the group is enrolled in later will not be assigned to them.",
			Fields:  []confirmField{{"group", fmt.Sprint(g.ID)}}, Button: "Remove from " + g.Name, Cancel: fmt.Sprintf("/admin/users/%d", u.ID)})
	}
	if err := s.store.RemoveMember(c.Request().Context(), u.ID, g.ID); err != nil {
		return err
	}
	return s.backToUser(c, u, "left")
}
