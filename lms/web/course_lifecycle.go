package web

// The course's life as admins run it: details (title, description), the
// image, publishing, retiring, archiving, deleting, and test launches.
// Destructive steps ask first (see confirm.go).

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/store"
)

// CourseLimits bound what admins write about a course.
type CourseLimits struct {
	TitleMax       int // characters
	DescriptionMax int // characters
	Image          course.ImageLimits
}

func (l CourseLimits) titleMax() int {
	if l.TitleMax <= 0 {
		return course.DefaultTitleMax
	}
	return l.TitleMax
}

// statusWords says what each status means, for admins.
var statusWords = map[string]string{
	store.CourseDraft:     "Draft: only administrators see it. Test it, then publish it.",
	store.CoursePublished: "Published: learners can be enrolled, and see it among their courses.",
	store.CourseRetired:   "Retired: nobody new can be enrolled; learners who have records of it still see it, and its records stay in the reports.",
	store.CourseArchived:  "Archived: out of use and hidden from learners. Its records stay in the reports, and its certificates can still be verified.",
}

// statusAction is a button of the status section.
type statusAction struct {
	To, Label, Hint string
	Danger          bool
}

func statusActions(from string, hasRecords bool) []statusAction {
	var out []statusAction
	add := func(to, label, hint string, danger bool) {
		if store.CanMove(from, to) {
			out = append(out, statusAction{to, label, hint, danger})
		}
	}
	add(store.CoursePublished, map[bool]string{true: "Publish", false: "Reinstate"}[from == store.CourseDraft],
		"Learners can then be enrolled and see the course.", false)
	add(store.CourseRetired, map[bool]string{true: "Restore as retired", false: "Retire"}[from == store.CourseArchived],
		"Nobody new can be enrolled; records stay.", from != store.CourseArchived)
	if hasRecords {
		add(store.CourseArchived, "Archive", "Hides the course from everyone but administrators; records stay.", true)
	}
	return out
}

// courseSettingsView is the part of the course page admins edit.
type courseSettingsView struct {
	StatusText string
	Actions    []statusAction
	HasRecords bool
	Form       store.CourseDetails
	TitleMax   int
	DescMax    int
	ImageMax   string
	ImageURL   string
	Notice     string
	Error      string
	// Catalogue is the catalogue setting the form shows (the course's, or
	// what the admin chose when the change was refused), and Reason the
	// reason typed.
	Catalogue string
	Reason    string
	CatError  string
}

func (s *Server) settingsOf(c echo.Context, co *store.Course) (courseSettingsView, error) {
	has, err := s.store.CourseHasRecords(c.Request().Context(), co.ID)
	if err != nil {
		return courseSettingsView{}, err
	}
	return courseSettingsView{
		StatusText: statusWords[co.Status],
		Actions:    statusActions(co.Status, has),
		HasRecords: has,
		Form:       store.CourseDetails{Title: co.Title, Description: co.Description},
		TitleMax:   s.opt.CourseLimits.titleMax(),
		DescMax:    s.opt.CourseLimits.DescriptionMax,
		ImageMax:   sizeWords(s.imageLimits().MaxBytes),
		ImageURL:   courseImageURL(co),
		Catalogue:  co.Catalogue,
	}, nil
}

func (s *Server) imageLimits() course.ImageLimits {
	l := s.opt.CourseLimits.Image
	if l.MaxBytes <= 0 {
		l.MaxBytes = course.DefaultImageMaxBytes
	}
	if l.MaxPixels <= 0 {
		l.MaxPixels = course.DefaultImageMaxPixels
	}
	return l
}

// courseImageURL is where a course's image is served, "" without one. The
// hash in it changes with the image, so it can be cached.
func courseImageURL(co *store.Course) string {
	if co.ImageHash == "" {
		return ""
	}
	return fmt.Sprintf("/courses/%d/image?v=%s", co.ID, co.ImageHash)
}

func sizeWords(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// notEnrollable says why nobody can be enrolled in a course that is not
// published.
func notEnrollable(co *store.Course) string {
	switch co.Status {
	case store.CourseDraft:
		return "Nobody was enrolled: the course is a draft. Publish it first."
	case store.CourseRetired:
		return "Nobody was enrolled: the course is retired. Reinstate it to enrol learners again."
	}
	return "Nobody was enrolled: the course is archived."
}

func courseNotice(id uint, msg string) string {
	return fmt.Sprintf("/admin/courses/%d?notice=%s", id, url.QueryEscape(msg))
}

// updateCourseDetails renames and describes a course.
func (s *Server) updateCourseDetails(c echo.Context) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	d, msg := s.checkDetails(c.FormValue("title"), c.FormValue("description"))
	if msg != "" {
		return s.renderCourse(c, http.StatusUnprocessableEntity, func(v *courseView) { v.Settings.Form, v.Settings.Error = d, msg })
	}
	if err := s.store.UpdateCourseDetails(c.Request().Context(), co.ID, d); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, courseNotice(co.ID, "Details saved."))
}

// checkDetails tidies a title (one line, trimmed) and a description
// (trimmed, Unix line ends) and checks them against the limits; msg says
// what is wrong, "" when nothing is.
func (s *Server) checkDetails(title, description string) (d store.CourseDetails, msg string) {
	d = store.CourseDetails{
		Title:       strings.Join(strings.Fields(title), " "),
		Description: strings.TrimSpace(strings.ReplaceAll(description, "\r\n", "\n")),
	}
	lim := s.opt.CourseLimits
	switch n := utf8.RuneCountInString(d.Title); {
	case !utf8.ValidString(d.Title) || !utf8.ValidString(d.Description):
		return d, "The title or the description is not valid text."
	case n == 0:
		return d, "A course needs a title."
	case n > lim.titleMax():
		return d, fmt.Sprintf("The title has %d characters; course titles have at most %d.", n, lim.titleMax())
	}
	if n := utf8.RuneCountInString(d.Description); n > lim.DescriptionMax {
		return d, fmt.Sprintf("The description has %d characters; descriptions have at most %d.", n, lim.DescriptionMax)
	}
	return d, ""
}

// catalogueWords says what each catalogue setting means, for admins.
var catalogueWords = map[string]string{
	store.CatalogueEnrolled: "Enrolled learners only: learners see and open the course only when an administrator, a group or an LTI platform enrols them. Anyone else who follows a link to it is told it is not available.",
	store.CatalogueOpen:     "Open to every signed-in learner: it is listed under “Other courses” on every learner’s page, and starting it enrols the learner (without a due date), so their results count in reports and compliance.",
}

// setCourseCatalogue changes who may take a course, with a reason for the
// audit trail.
func (s *Server) setCourseCatalogue(c echo.Context) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	to, reason := c.FormValue("catalogue"), c.FormValue("reason")
	fail := func(status int, msg string) error {
		return s.renderCourse(c, status, func(v *courseView) {
			v.Settings.Catalogue, v.Settings.Reason, v.Settings.CatError = to, reason, msg
		})
	}
	if _, ok := catalogueWords[to]; !ok {
		return fail(http.StatusUnprocessableEntity, "Choose who may take the course: enrolled learners only, or every learner.")
	}
	reason, err = compliance.CheckReason(reason)
	if err != nil {
		return fail(http.StatusUnprocessableEntity, "The setting was not changed: "+strings.TrimPrefix(err.Error(), compliance.ErrInvalid.Error()+": ")+".")
	}
	err = s.store.SetCourseCatalogue(c.Request().Context(), co.ID, to, reason)
	if errors.Is(err, store.ErrAlready) {
		return c.Redirect(http.StatusSeeOther, courseNotice(co.ID, "Nothing changed: that is the course’s setting already."))
	} else if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, courseNotice(co.ID, catalogueNotice[to]))
}

var catalogueNotice = map[string]string{
	store.CatalogueEnrolled: "The course is now for enrolled learners only. Learners who are enrolled keep it.",
	store.CatalogueOpen:     "The course is now open to every learner.",
}

// uploadCourseImage replaces a course's image with an uploaded one, encoded
// again by Lectern.
func (s *Server) uploadCourseImage(c echo.Context) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	lim := s.imageLimits()
	fail := func(msg string) error {
		return s.renderCourse(c, http.StatusUnprocessableEntity, func(v *courseView) { v.Settings.Error = "The image was not saved: " + msg })
	}
	file, err := imagePart(c)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fail(fmt.Sprintf("The image is larger than the limit of %s.", sizeWords(lim.MaxBytes)))
		}
		return fail(err.Error())
	}
	img, err := course.ProcessImage(file, lim)
	if errors.Is(err, course.ErrImage) {
		return fail(err.Error())
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fail(fmt.Sprintf("The image is larger than the limit of %s.", sizeWords(lim.MaxBytes)))
	}
	if err != nil {
		return err
	}
	if err := s.store.SetCourseImage(c.Request().Context(), co.ID, img); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, courseNotice(co.ID, "Image saved."))
}

// imageFormSlack is room for the multipart framing and the CSRF field beside
// an image (limitBody allows the image limit plus this).
const imageFormSlack = 64 << 10

// imagePart finds the "image" file of a multipart form without reading the
// whole form into memory.
func imagePart(c echo.Context) (io.Reader, error) {
	mr, err := multipartReader(c) // the body is bounded by limitBody
	if err != nil {
		return nil, errors.New("the upload was not a file form.")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, errors.New("choose an image file.")
		}
		if err != nil {
			return nil, err
		}
		if part.FormName() == "image" && part.FileName() != "" {
			return part, nil
		}
		part.Close()
	}
}

func (s *Server) removeCourseImage(c echo.Context) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	if err := s.store.SetCourseImage(c.Request().Context(), co.ID, nil); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, courseNotice(co.ID, "Image removed."))
}

// setCourseStatus publishes, retires, reinstates, archives or restores a
// course. Retiring and archiving ask first.
func (s *Server) setCourseStatus(c echo.Context) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	to := c.FormValue("status")
	if !store.CanMove(co.Status, to) {
		return s.renderCourse(c, http.StatusUnprocessableEntity, func(v *courseView) {
			v.Settings.Error = fmt.Sprintf("A %s course cannot become %s.", co.Status, to)
		})
	}
	if (to == store.CourseRetired && co.Status == store.CoursePublished || to == store.CourseArchived) && !confirmed(c) {
		q := confirmView{
			Heading: "Retire " + co.Title + "?",
			Message: "Nobody new can be enrolled in it, and groups stop enrolling their new members. Learners who are enrolled or have started it keep it, and all records stay. You can reinstate it later.",
			Button:  "Retire the course",
			Fields:  []confirmField{{"status", to}},
			Cancel:  fmt.Sprintf("/admin/courses/%d", co.ID),
		}
		if to == store.CourseArchived {
			q.Heading, q.Button = "Archive "+co.Title+"?", "Archive the course"
			q.Message = "The course disappears for learners, nobody can be enrolled, and no reminders are sent about it. Its records stay in the reports and its certificates can still be verified. You can restore it later as retired."
		}
		return s.askConfirm(c, q)
	}
	err = s.store.SetCourseStatus(c.Request().Context(), co.ID, to)
	if errors.Is(err, store.ErrTransition) {
		return s.renderCourse(c, http.StatusUnprocessableEntity, func(v *courseView) { v.Settings.Error = "The status was not changed: " + err.Error() })
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, courseNotice(co.ID, "The course is now "+to+"."))
}

// deleteCourse deletes a course that has no learner records, after asking.
func (s *Server) deleteCourse(c echo.Context) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	has, err := s.store.CourseHasRecords(ctx, co.ID)
	if err != nil {
		return err
	}
	if has {
		return s.renderCourse(c, http.StatusConflict, func(v *courseView) {
			v.Settings.Error = "This course has learner records (enrolments, attempts or completions), so it cannot be deleted. Archive it instead: its records stay."
		})
	}
	if !confirmed(c) {
		return s.askConfirm(c, confirmView{
			Heading: "Delete " + co.Title + "?",
			Message: "The course, all its versions and their content are deleted for good. Nobody has records of it, so no report changes. This cannot be undone.",
			Button:  "Delete the course",
			Cancel:  fmt.Sprintf("/admin/courses/%d", co.ID),
		})
	}
	err = s.importer.Delete(ctx, co.ID)
	if errors.Is(err, store.ErrHasRecords) {
		return s.renderCourse(c, http.StatusConflict, func(v *courseView) {
			v.Settings.Error = "Someone was enrolled meanwhile, so the course was not deleted. Archive it instead."
		})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/courses?notice="+url.QueryEscape(fmt.Sprintf("The course %q was deleted.", co.Title)))
}

// testLaunch opens the course's current version for the admin in the
// player, on an attempt no report, compliance figure or certificate sees.
func (s *Server) testLaunch(c echo.Context) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	opened, err := s.rt.OpenTest(c.Request().Context(), currentUser(c), co.ID)
	if err != nil {
		return err
	}
	return s.renderPlayer(c, co, opened)
}

// courseImage serves a course's image to whoever may see the course. The
// bytes are Lectern's own encoding (see course.ProcessImage).
func (s *Server) courseImage(c echo.Context) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	if ok, err := s.maySee(c, co); err != nil {
		return err
	} else if !ok || co.ImageHash == "" {
		return echo.NewHTTPError(http.StatusNotFound, "No such image.")
	}
	return s.sendCourseImage(c, co)
}

// sendCourseImage answers with a course's image, as an inert file.
func (s *Server) sendCourseImage(c echo.Context, co *store.Course) error {
	img, err := s.store.CourseImageOf(c.Request().Context(), co.ID)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", fmt.Sprintf(`inline; filename="course-%d%s"`, co.ID, map[bool]string{true: ".png", false: ".jpg"}[img.ContentType == "image/png"]))
	if c.QueryParam("v") == img.Hash {
		h.Set("Cache-Control", "private, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "private, no-cache")
	}
	return c.Blob(http.StatusOK, img.ContentType, img.Data)
}

// maySee tells whether the signed-in user may see a course: admins see
// every course; learners those they may take (store.CourseAccess): the
// courses they are enrolled in, and open ones.
func (s *Server) maySee(c echo.Context, co *store.Course) (bool, error) {
	u := currentUser(c)
	if u.Admin {
		return true, nil
	}
	acc, err := s.store.CourseAccess(c.Request().Context(), u.ID, co)
	return acc != store.AccessNone, err
}
