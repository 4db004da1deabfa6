package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/store"
)

type apiCourse struct {
	ID          uint   `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// Status is draft, published, retired or archived.
	Status string `json:"status"`
	// Published: learners can be enrolled and open it (status "published").
	Published bool `json:"published"`
	// Catalogue is who may take it: "enrolled" (enrolled learners only) or
	// "open" (every signed-in learner; starting it enrols them).
	Catalogue      string  `json:"catalogue"`
	Version        *int    `json:"version"` // number of the current version
	Image          *string `json:"image"`   // URL of the course's image in this API; null without one
	ValidityMonths *int    `json:"validityMonths"`
	RequirePass    bool    `json:"requirePass"`
	CreatedAt      string  `json:"createdAt"`
	UpdatedAt      string  `json:"updatedAt"`
}

func toAPICourse(c store.Course, version *int) apiCourse {
	out := apiCourse{ID: c.ID, Title: c.Title, Description: c.Description, Status: c.Status,
		Published: c.Status == store.CoursePublished && c.CurrentVersionID != nil, Catalogue: c.Catalogue, Version: version,
		ValidityMonths: c.ValidityMonths, RequirePass: c.RequirePass,
		CreatedAt: apiTimeOf(c.CreatedAt), UpdatedAt: apiTimeOf(c.UpdatedAt)}
	if c.ImageHash != "" {
		u := fmt.Sprintf("/api/v1/courses/%d/image?v=%s", c.ID, c.ImageHash)
		out.Image = &u
	}
	return out
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
	if st := c.QueryParam("status"); st != "" {
		if _, ok := statusWords[st]; !ok {
			return apiErr(http.StatusBadRequest, "bad_request", "status must be draft, published, retired or archived.")
		}
		kept := all[:0]
		for _, co := range all {
			if co.Status == st {
				kept = append(kept, co)
			}
		}
		all = kept
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

func (s *Server) apiCourseParam(c echo.Context) (*store.Course, error) {
	id, err := apiID(c.Param("id"), "course")
	if err != nil {
		return nil, err
	}
	return s.apiCourseByID(c, id)
}

func (s *Server) apiCourse(c echo.Context) error {
	co, err := s.apiCourseParam(c)
	if err != nil {
		return err
	}
	return s.apiCourseAnswer(c, http.StatusOK, co.ID)
}

func (s *Server) apiCourseAnswer(c echo.Context, status int, id uint) error {
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
	return c.JSON(status, toAPICourse(*co, v))
}

// apiCoursePatch holds what a PATCH may change; absent fields stay.
type apiCoursePatch struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Status      *string `json:"status"`
	// Catalogue changes who may take the course; Reason (required with it)
	// goes to the audit trail.
	Catalogue *string `json:"catalogue"`
	Reason    *string `json:"reason"`
}

// apiUpdateCourse renames, describes, opens or closes (catalogue),
// publishes, retires, reinstates, archives or restores a course. The details are saved before the status
// changes, each with its audit entry.
func (s *Server) apiUpdateCourse(c echo.Context) error {
	co, err := s.apiCourseParam(c)
	if err != nil {
		return err
	}
	var in apiCoursePatch
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	if in.Status != nil && *in.Status != co.Status && !store.CanMove(co.Status, *in.Status) {
		if _, ok := statusWords[*in.Status]; !ok {
			return apiInvalid("status must be draft, published, retired or archived.")
		}
		return apiErr(http.StatusConflict, "conflict", "A %s course cannot become %s.", co.Status, *in.Status)
	}
	var reason string
	if in.Catalogue != nil && *in.Catalogue != co.Catalogue {
		if _, ok := catalogueWords[*in.Catalogue]; !ok {
			return apiInvalid("catalogue must be enrolled or open.")
		}
		if in.Reason != nil {
			reason = *in.Reason
		}
		if reason, err = compliance.CheckReason(reason); err != nil {
			return apiInvalid("%s: a change of catalogue needs a reason (the audit trail keeps it).", strings.TrimPrefix(err.Error(), compliance.ErrInvalid.Error()+": "))
		}
	}
	if in.Title != nil || in.Description != nil {
		title, desc := co.Title, co.Description
		if in.Title != nil {
			title = *in.Title
		}
		if in.Description != nil {
			desc = *in.Description
		}
		d, msg := s.checkDetails(title, desc)
		if msg != "" {
			return apiInvalid("%s", msg)
		}
		if err := s.store.UpdateCourseDetails(ctx, co.ID, d); err != nil {
			return err
		}
	}
	if in.Catalogue != nil && *in.Catalogue != co.Catalogue {
		if err := s.store.SetCourseCatalogue(ctx, co.ID, *in.Catalogue, reason); err != nil && !errors.Is(err, store.ErrAlready) {
			return err
		}
	}
	if in.Status != nil && *in.Status != co.Status {
		err := s.store.SetCourseStatus(ctx, co.ID, *in.Status)
		if errors.Is(err, store.ErrTransition) {
			return apiErr(http.StatusConflict, "conflict", "%s", err.Error())
		} else if err != nil {
			return err
		}
	}
	return s.apiCourseAnswer(c, http.StatusOK, co.ID)
}

// apiDeleteCourse deletes a course without learner records; one with
// records is refused (409 has_records) and can only be archived.
func (s *Server) apiDeleteCourse(c echo.Context) error {
	co, err := s.apiCourseParam(c)
	if err != nil {
		return err
	}
	err = s.importer.Delete(c.Request().Context(), co.ID)
	if errors.Is(err, store.ErrHasRecords) {
		return apiErr(http.StatusConflict, "has_records", "The course has learner records (enrolments, attempts or completions), so it cannot be deleted; archive it with PATCH {\"status\": \"archived\"}.")
	} else if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// apiCourseImage serves a course's image to a token.
func (s *Server) apiCourseImage(c echo.Context) error {
	co, err := s.apiCourseParam(c)
	if err != nil {
		return err
	}
	if co.ImageHash == "" {
		return apiNotFoundErr("image")
	}
	return s.sendCourseImage(c, co)
}
