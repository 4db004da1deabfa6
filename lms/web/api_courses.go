package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/store"
)

type apiCourse struct {
	ID             uint   `json:"id"`
	Title          string `json:"title"`
	Published      bool   `json:"published"` // has a version learners can open
	Version        *int   `json:"version"`   // number of the current version
	ValidityMonths *int   `json:"validityMonths"`
	RequirePass    bool   `json:"requirePass"`
	CreatedAt      string `json:"createdAt"`
	UpdatedAt      string `json:"updatedAt"`
}

func toAPICourse(c store.Course, version *int) apiCourse {
	return apiCourse{ID: c.ID, Title: c.Title, Published: c.CurrentVersionID != nil, Version: version,
		ValidityMonths: c.ValidityMonths, RequirePass: c.RequirePass,
		CreatedAt: apiTimeOf(c.CreatedAt), UpdatedAt: apiTimeOf(c.UpdatedAt)}
}

func (s *Server) apiCourses(c echo.Context) error {
	p, err := apiPage(c)
	if err != nil {
		return err
	}
	all, err := s.store.Courses(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]apiCourse, 0, p.Limit)
	for _, co := range slicePage(all, p) {
		var v *int
		if co.CurrentVersionID != nil {
			n := co.VersionNumber
			v = &n
		}
		out = append(out, toAPICourse(co.Course, v))
	}
	return listPage(c, p, out, len(all))
}

// apiCourseParam loads the course of the :id path parameter.
func (s *Server) apiCourseByID(c echo.Context, id uint) (*store.Course, error) {
	co, err := s.store.CourseByID(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiNotFoundErr("course")
	}
	return co, err
}

func (s *Server) apiCourse(c echo.Context) error {
	id, err := apiID(c.Param("id"), "course")
	if err != nil {
		return err
	}
	co, err := s.apiCourseByID(c, id)
	if err != nil {
		return err
	}
	var v *int
	if co.CurrentVersionID != nil {
		cv, err := s.store.VersionByID(c.Request().Context(), *co.CurrentVersionID)
		if err != nil {
			return err
		}
		v = &cv.Number
	}
	return c.JSON(http.StatusOK, toAPICourse(*co, v))
}
