package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

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
}

// player opens a course for the learner: it finds or starts the attempt,
// decides what to launch and frames it from the content origin.
func (s *Server) player(c echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such course.")
	}
	ctx := c.Request().Context()
	co, err := s.store.CourseByID(ctx, uint(id))
	if err != nil {
		return err
	}
	opened, err := s.rt.Open(ctx, currentUser(c), co.ID)
	if err != nil {
		return err
	}
	v := playerView{Course: co, Tree: buildTree(opened.Items), ContentURL: s.opt.ContentURL, Nav: opened.Nav, HideLMSUI: opened.HideLMSUI}
	if opened.Current != nil {
		v.Current = opened.Current.Identifier
		v.FrameURL = s.opt.ContentURL + "/player/" + opened.Token
	}
	// The player frames the content origin, and only it.
	c.Response().Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-src "+s.opt.ContentURL+"; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'")
	return s.render(c, http.StatusOK, "player", co.Title, v)
}

func (s *Server) adminCourses(c echo.Context) error {
	return s.renderCourseList(c, http.StatusOK, "")
}

func (s *Server) renderCourseList(c echo.Context, status int, uploadErr string) error {
	courses, err := s.store.Courses(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, status, "admin_courses", "Courses", struct {
		Courses []store.CourseSummary
		Error   string
		MaxMB   int64
	}{courses, uploadErr, s.opt.MaxUploadBytes >> 20})
}

func (s *Server) adminCourse(c echo.Context) error {
	cv, err := s.loadCourse(c)
	if err != nil {
		return err
	}
	if cv.Versions, err = s.store.CourseVersions(c.Request().Context(), cv.Course.ID); err != nil {
		return err
	}
	cv.Imported = c.QueryParam("imported") == "1"
	return s.render(c, http.StatusOK, "admin_course", cv.Course.Title, cv)
}
