package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
)

// courseView is a course with one version's tree.
type courseView struct {
	Course   *store.Course
	Version  *store.CourseVersion
	Versions []store.CourseVersion
	Items    []store.Item
	Tree     []*treeNode
	Imported bool
	Error    string
	Sentence string // what counts, in one sentence
	Settings courseSettingsView
}

func (s *Server) loadCourse(c echo.Context) (*courseView, error) {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "No such course.")
	}
	ctx := c.Request().Context()
	co, err := s.store.CourseByID(ctx, uint(id))
	if err != nil {
		return nil, err
	}
	cv := &courseView{Course: co}
	if co.CurrentVersionID == nil {
		return nil, echo.NewHTTPError(http.StatusNotFound, "This course has no content yet.")
	}
	if cv.Version, err = s.store.VersionByID(ctx, *co.CurrentVersionID); err != nil {
		return nil, err
	}
	if cv.Items, err = s.store.VersionItems(ctx, cv.Version.ID); err != nil {
		return nil, err
	}
	cv.Tree = buildTree(cv.Items)
	return cv, nil
}

type treeNode struct {
	Item     store.Item
	Children []*treeNode
}

// buildTree nests items (in depth-first order) under their parents.
func buildTree(items []store.Item) []*treeNode {
	byID := make(map[uint]*treeNode, len(items))
	var roots []*treeNode
	for _, it := range items {
		n := &treeNode{Item: it}
		byID[it.ID] = n
		if p := it.ParentID; p != nil && byID[*p] != nil {
			byID[*p].Children = append(byID[*p].Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots
}

// playerView is the player page: the course tree, the navigation controls
// and the frame on the content origin that runs the SCO.
type playerView struct {
	Course     *store.Course
	Tree       []*treeNode
	Current    string
	FrameURL   string
	ContentURL string
	Nav        runtime.Nav
	HideLMSUI  map[string][]string
	Outline    []*runtime.OutlineItem // SCORM 2004: the activity tree
	Single     bool                   // one launchable item: no outline, no Previous/Next
	Ended      bool                   // the sequencing session ended: show the result
	Result     store.AttemptSummary
	ResultURL  string // where the player goes when the session ends
	LTISession string // set in an LTI window: leaving goes to its end page, and it may open in a new window
	Review     bool   // review mode: nothing the learner does changes the result
	Test       bool   // an admin's test launch: nothing is recorded
	// Relaunch is where the player goes when its launch turns out to have
	// ended as the page loaded (a reload of a SCO that finished on unload).
	Relaunch string
	// ItemStatus is each item's status word for the outline of a course
	// without an activity tree (SCORM 1.2); SCORM 2004 has it in Outline.
	ItemStatus map[string]string
}

// player opens a course for the learner: it finds or starts the attempt,
// decides what to launch and frames it from the content origin. A course
// whose attempt is finished (or whose attempts are used up) opens the
// choice between reviewing and starting again instead: neither happens
// without the learner asking.
//
// It answers POST /courses/:id: opening a course writes (an attempt,
// a launch), so it is never a GET.
func (s *Server) player(c echo.Context) error {
	co, _, choose, err := s.courseSituation(c)
	if err != nil || choose {
		return err
	}
	if err := s.take(c, co); err != nil {
		return err
	}
	ctx := c.Request().Context()
	opened, err := s.rt.Open(ctx, currentUser(c), co.ID)
	if err != nil {
		return err
	}
	if opened.Ended && opened.Token == "" {
		// The sequencing session ended as it opened: the end page says
		// how it went and what comes next.
		return c.Redirect(http.StatusSeeOther, resultURL(co.ID))
	}
	return s.showPlayer(c, co, opened)
}

// showPlayer answers a learner's launch POST: the launch goes into a cookie
// of its course and the browser is sent to GET /courses/:id/play, which
// shows it; a reload of the player page is then a plain GET that opens the
// same launch again (the browser does not ask to send the form again, and
// nothing is written). A course with nothing to launch shows the player at
// once.
func (s *Server) showPlayer(c echo.Context, co *store.Course, opened *runtime.Course) error {
	if opened.Token == "" {
		return s.renderPlayer(c, co, opened)
	}
	c.SetCookie(&http.Cookie{Name: s.playCookie(co.ID), Value: opened.Token, Path: "/", HttpOnly: true,
		Secure: s.opt.SecureCookies, SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/courses/%d/play", co.ID))
}

// playCookie names the cookie that holds the learner's launch of a course
// (HttpOnly: no script reads it; __Host- over https, so no other host sets it).
func (s *Server) playCookie(courseID uint) string {
	name := fmt.Sprintf("lectern-play-%d", courseID)
	if s.opt.SecureCookies {
		name = "__Host-" + name
	}
	return name
}

// playPage is GET /courses/:id/play: the player of the launch the last
// launch POST made. It writes nothing: a launch that has ended, was taken
// over or expired, or a missing or foreign cookie, sends the learner to the
// course page, whose button opens the course again.
func (s *Server) playPage(c echo.Context) error {
	co, err := s.learnerCourse(c)
	if err != nil {
		return err
	}
	again := func() error { return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/courses/%d", co.ID)) }
	ck, err := c.Cookie(s.playCookie(co.ID))
	if err != nil || ck.Value == "" {
		return again()
	}
	opened, err := s.rt.Reopen(c.Request().Context(), currentUser(c).ID, co.ID, ck.Value)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrLaunchEnded) ||
			errors.Is(err, store.ErrLaunchSuperseded) || errors.Is(err, store.ErrLaunchExpired) {
			return again()
		}
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.renderPlayer(c, co, opened, fmt.Sprintf("/courses/%d", co.ID))
}

// courseSituation reads the course of :id and the learner's attempts at
// it. choose says the choice between reviewing and starting again was
// rendered: the attempt is finished, or the attempts are used up.
func (s *Server) courseSituation(c echo.Context) (*store.Course, *store.AttemptSituation, bool, error) {
	co, err := s.learnerCourse(c)
	if err != nil {
		return nil, nil, false, err
	}
	sit, err := s.store.AttemptSituation(c.Request().Context(), currentUser(c).ID, co.ID)
	if err != nil {
		return nil, nil, false, err
	}
	// A suspended attempt resumes: the learner saved their place in it
	// (SCORM 2004 suspendAll), even when it already counts as completed.
	finished := sit.Open == nil || sit.Open.Completion == "completed" && !sit.Open.Suspended
	if finished && (sit.Finished != nil || !sit.MayStart()) {
		return co, sit, true, s.renderChoice(c, http.StatusOK, co, sit, "")
	}
	return co, sit, false, nil
}

// coursePage is GET /courses/:id: it changes nothing. It shows the choice
// between reviewing and starting again, or a Start (Resume) button that
// POSTs to /courses/:id; a script presses it at once, so a link to
// a course still opens it. A learner not enrolled in an open course is
// told first that starting it enrols them, and presses Start themselves.
func (s *Server) coursePage(c echo.Context) error {
	co, sit, choose, err := s.courseSituation(c)
	if err != nil || choose {
		return err
	}
	acc, err := s.store.CourseAccess(c.Request().Context(), currentUser(c).ID, co)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "course_launch", co.Title, struct {
		Course *store.Course
		Resume bool
		Enrol  bool // starting enrols the learner (an open course)
	}{co, sit.Open != nil, acc == store.AccessOpen})
}

// learnerCourse is the course of the :id parameter when the signed-in user
// may open it as a learner: not a draft or an archived course (admins try
// those with a test launch), and, for learners, one they are enrolled in or
// an open one (see store.CourseAccess); other courses are refused with
// the "not available" page (unavailableError). It writes nothing.
func (s *Server) learnerCourse(c echo.Context) (*store.Course, error) {
	co, err := s.courseParam(c)
	if err != nil {
		return nil, err
	}
	if co.Status == store.CourseDraft || co.Status == store.CourseArchived {
		msg := "No such course."
		if currentUser(c).Admin {
			msg = fmt.Sprintf("This course is %s, so learners cannot open it. Use “Test launch” on its page to try it.", co.Status)
		}
		return nil, echo.NewHTTPError(http.StatusNotFound, msg)
	}
	if ok, err := s.maySee(c, co); err != nil {
		return nil, err
	} else if !ok {
		return nil, &unavailableError{co}
	}
	return co, nil
}

// take is the step before a launch writes anything: a learner who may not
// take the course is refused, and one who opens an open course is enrolled
// in it (store.TakeCourse). Admins open any course they can see, as before;
// an open course enrols them like anyone.
func (s *Server) take(c echo.Context, co *store.Course) error {
	u := currentUser(c)
	_, err := s.store.TakeCourse(c.Request().Context(), u.ID, co.ID)
	switch {
	case errors.Is(err, store.ErrNotAvailable) && u.Admin:
		return nil
	case errors.Is(err, store.ErrNotAvailable):
		return &unavailableError{co}
	}
	return err
}

// unavailableError refuses a learner a course they may not take; the error
// handler shows the "not available" page (403).
type unavailableError struct{ course *store.Course }

func (e *unavailableError) Error() string {
	return fmt.Sprintf("course %d is not available to this learner", e.course.ID)
}

func (e *unavailableError) Unwrap() error { return store.ErrNotAvailable }

// reviewCourse opens the learner's finished attempt in review mode.
func (s *Server) reviewCourse(c echo.Context) error {
	co, err := s.learnerCourse(c)
	if err != nil {
		return err
	}
	opened, err := s.rt.Review(c.Request().Context(), currentUser(c), co.ID)
	if errors.Is(err, store.ErrNotFound) {
		return s.choiceError(c, co, "There is no finished attempt to review yet.")
	} else if err != nil {
		return err
	}
	return s.showPlayer(c, co, opened)
}

// adminReviewAttempt opens any learner's attempt in review mode.
func (s *Server) adminReviewAttempt(c echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such attempt.")
	}
	opened, err := s.rt.ReviewAttempt(c.Request().Context(), uint(id))
	if err != nil {
		return err
	}
	co, err := s.store.CourseByID(c.Request().Context(), opened.Attempt.CourseID)
	if err != nil {
		return err
	}
	return s.renderPlayer(c, co, opened)
}

// startAgain starts a new attempt, when the course allows another.
func (s *Server) startAgain(c echo.Context) error {
	co, err := s.learnerCourse(c)
	if err != nil {
		return err
	}
	if err := s.take(c, co); err != nil {
		return err
	}
	opened, err := s.rt.StartAgain(c.Request().Context(), currentUser(c), co.ID)
	if errors.Is(err, store.ErrNoAttemptsLeft) {
		return s.choiceError(c, co, "You have made every attempt this course allows.")
	} else if err != nil {
		return err
	}
	return s.showPlayer(c, co, opened)
}

func (s *Server) choiceError(c echo.Context, co *store.Course, msg string) error {
	sit, err := s.store.AttemptSituation(c.Request().Context(), currentUser(c).ID, co.ID)
	if err != nil {
		return err
	}
	return s.renderChoice(c, http.StatusConflict, co, sit, msg)
}

// choiceView is the page of a course whose attempt is finished.
type choiceView struct {
	Course     *store.Course
	Situation  *store.AttemptSituation
	Shown      *store.Attempt // the attempt the page describes: the one that counts, or the latest finished
	Sentence   string
	CanStart   bool
	Left       int // attempts left, when the course limits them
	Completion *store.Completion
	Error      string
}

func (s *Server) renderChoice(c echo.Context, status int, co *store.Course, sit *store.AttemptSituation, msg string) error {
	v := choiceView{Course: co, Situation: sit, Shown: sit.ReviewAttempt(), CanStart: sit.MayStart(), Error: msg}
	if sit.Rules.MaxAttempts > 0 {
		v.Left = max(0, sit.Rules.MaxAttempts-sit.InCycle)
	}
	var err error
	if v.Sentence, err = s.sentenceOf(c, co, sit.Rules); err != nil {
		return err
	}
	if sit.Enrolment != nil {
		cs, err := s.store.Completions(c.Request().Context(), currentUser(c).ID)
		if err != nil {
			return err
		}
		for i := range cs {
			if cs[i].EnrolmentID == sit.Enrolment.ID && cs[i].Cycle == sit.Enrolment.Cycle && cs[i].RevokedAt == nil {
				v.Completion = &cs[i]
				break
			}
		}
	}
	return s.render(c, status, "course_choice", co.Title, v)
}

// renderPlayer frames the delivered SCO.
// A relaunch URL, when given, is where the player goes should the launch
// have ended meanwhile.
func (s *Server) renderPlayer(c echo.Context, co *store.Course, opened *runtime.Course, relaunch ...string) error {
	v := s.newPlayerView(co, opened)
	if len(relaunch) > 0 {
		v.Relaunch = relaunch[0]
	}
	if v.Outline == nil {
		var err error
		if v.ItemStatus, err = s.itemStatus(c.Request().Context(), opened); err != nil {
			return err
		}
	}
	// The player frames the content origin, and only it.
	c.Response().Header().Set("Content-Security-Policy", pageCSP(s.opt.ContentURL, "'self'"))
	return s.render(c, http.StatusOK, "player", co.Title, v)
}

// newPlayerView is the player page of an opened course.
func (s *Server) newPlayerView(co *store.Course, opened *runtime.Course) playerView {
	v := playerView{Course: co, Tree: buildTree(opened.Items), ContentURL: s.opt.ContentURL, Nav: opened.Nav, HideLMSUI: opened.HideLMSUI,
		Review: opened.Review, Outline: opened.Outline, Single: opened.Single, Ended: opened.Ended, Result: opened.Result,
		ResultURL: resultURL(co.ID), Test: opened.Attempt.Test}
	if v.Test {
		// A test launch has no result of the learner's: back to the course.
		v.ResultURL = fmt.Sprintf("/admin/courses/%d", co.ID)
	}
	if opened.Current != nil {
		v.Current = opened.Current.Identifier
		v.FrameURL = s.opt.ContentURL + "/player/" + opened.Token
		if opened.Attempt != nil {
			v.FrameURL += "#k=" + s.sealKeyOf(opened.Attempt.UserID, opened.Attempt.CourseID)
		}
	}
	return v
}

// sealKeyOf is the key with which the player frame seals a learner's pending
// batches of a course in the browser's storage, which every package on the
// content origin can read (see static/scorm-api.js, sealedStore). It reaches
// the frame in its URL's fragment, which is never sent to a server: only
// this page, on the LMS origin, knows it. It is the same on every load of the
// course, so that the next load opens what the last one left.
func (s *Server) sealKeyOf(userID, courseID uint) string {
	mac := hmac.New(sha256.New, s.sealKey)
	fmt.Fprintf(mac, "%d/%d", userID, courseID)
	return hex.EncodeToString(mac.Sum(nil))
}

func (s *Server) adminCourses(c echo.Context) error {
	return s.renderCourseList(c, http.StatusOK, "")
}

// courseListView is the admin course list: courses in use first, archived
// ones apart.
type courseListView struct {
	Courses  []store.CourseSummary
	Archived []store.CourseSummary
	Error    string
	Notice   string
	MaxMB    int64
}

func (s *Server) renderCourseList(c echo.Context, status int, uploadErr string) error {
	courses, err := s.store.Courses(c.Request().Context())
	if err != nil {
		return err
	}
	v := courseListView{Error: uploadErr, Notice: c.QueryParam("notice"), MaxMB: s.opt.MaxUploadBytes >> 20}
	for _, co := range courses {
		if co.Status == store.CourseArchived {
			v.Archived = append(v.Archived, co)
		} else {
			v.Courses = append(v.Courses, co)
		}
	}
	return s.render(c, status, "admin_courses", "Courses", v)
}

func (s *Server) adminCourse(c echo.Context) error {
	return s.renderCourse(c, http.StatusOK, nil)
}

// renderCourse shows the admin course page; edit adjusts the view (a form's
// values and error) before it is rendered.
func (s *Server) renderCourse(c echo.Context, status int, edit func(*courseView)) error {
	cv, err := s.loadCourse(c)
	if err != nil {
		return err
	}
	if cv.Versions, err = s.store.CourseVersions(c.Request().Context(), cv.Course.ID); err != nil {
		return err
	}
	if cv.Settings, err = s.settingsOf(c, cv.Course); err != nil {
		return err
	}
	cv.Imported = c.QueryParam("imported") == "1"
	cv.Sentence = compliance.Sentence(store.RulesOf(cv.Course), compliance.CriterionOf(cv.Version))
	cv.Settings.Notice = c.QueryParam("notice")
	if edit != nil {
		edit(cv)
	}
	return s.render(c, status, "admin_course", cv.Course.Title, cv)
}
