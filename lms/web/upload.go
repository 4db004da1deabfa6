package web

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/course"
)

// uploadCourse imports a package as a new course.
func (s *Server) uploadCourse(c echo.Context) error { return s.upload(c, 0) }

// uploadVersion imports a package as the next version of a course.
func (s *Server) uploadVersion(c echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such course.")
	}
	if _, err := s.store.CourseByID(c.Request().Context(), uint(id)); err != nil {
		return err
	}
	return s.upload(c, uint(id))
}

// upload streams the "package" file of a multipart form to a temporary file
// (never into memory), then imports it. Answers JSON to the upload script and
// a page to a plain form post.
func (s *Server) upload(c echo.Context, courseID uint) error {
	path, filename, err := s.receiveUpload(c)
	if path != "" {
		defer os.Remove(path)
	}
	if err != nil {
		// A full disk or a broken staging folder says so, without its path.
		return s.uploadFailed(c, courseID, course.HidePaths(err.Error(), course.Folder{Path: s.opt.StagingDir, Name: "the staging folder"}))
	}
	uploader := currentUser(c).ID
	// A new course starts as a draft: test uploads and broken packages never
	// reach learners.
	res, err := s.importer.Import(c.Request().Context(), path, course.Options{CourseID: courseID, Filename: filename, UploadedBy: &uploader, Draft: true})
	var rejected *course.RejectedError
	if errors.As(err, &rejected) {
		return s.uploadFailed(c, courseID, rejected.Reason)
	}
	if err != nil {
		return err
	}
	url := fmt.Sprintf("/admin/courses/%d?imported=1", *res.ID)
	if wantsJSON(c) {
		return c.JSON(http.StatusCreated, map[string]any{"id": res.ID, "url": url, "warnings": res.Warnings})
	}
	return c.Redirect(http.StatusSeeOther, url)
}

func (s *Server) uploadFailed(c echo.Context, courseID uint, reason string) error {
	if wantsJSON(c) {
		return c.JSON(http.StatusUnprocessableEntity, map[string]string{"error": reason})
	}
	if courseID != 0 {
		return echo.NewHTTPError(http.StatusUnprocessableEntity, "The package was not imported: "+reason)
	}
	return s.renderCourseList(c, http.StatusUnprocessableEntity, reason)
}

// receiveUpload saves the uploaded zip and returns its temporary path.
func (s *Server) receiveUpload(c echo.Context) (path, filename string, err error) {
	var src io.Reader
	mr, err := multipartReader(c) // the body is bounded by limitBody
	if err != nil {
		return "", "", errors.New("the upload was not a file form")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return "", "", errors.New("choose a SCORM package (.zip) to upload")
		}
		if err != nil {
			return "", "", uploadReadError(err, s.opt.MaxUploadBytes)
		}
		if part.FormName() == "package" && part.FileName() != "" {
			src, filename = part, part.FileName()
			break
		}
		part.Close()
	}
	if err := os.MkdirAll(s.opt.StagingDir, 0o755); err != nil {
		return "", "", err
	}
	f, err := os.CreateTemp(s.opt.StagingDir, "upload-*.zip")
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	n, err := io.Copy(f, io.LimitReader(src, s.opt.MaxUploadBytes+1))
	if err == nil && n > s.opt.MaxUploadBytes {
		err = fmt.Errorf("the file is larger than the upload limit of %d MB", s.opt.MaxUploadBytes>>20)
	} else if err != nil {
		err = uploadReadError(err, s.opt.MaxUploadBytes)
	} else if n == 0 {
		err = errors.New("the uploaded file is empty")
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return f.Name(), filename, err
}

func uploadReadError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Errorf("the file is larger than the upload limit of %d MB", limit>>20)
	}
	if errors.Is(err, multipart.ErrMessageTooLarge) {
		return errors.New("the form is too large")
	}
	return fmt.Errorf("the upload was interrupted: %v", err)
}
