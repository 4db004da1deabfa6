package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/userimport"
)

// uploadFormSlack is room for the multipart framing and the fields beside a
// package file.
const uploadFormSlack = 1 << 20

// largeBodies are the routes that may take more than a small form, with their
// limits. They are admin routes: anyone else gets the form limit there too,
// so no anonymous or learner request can make the server read much.
func (s *Server) largeBodies() map[string]int64 {
	upload := s.opt.MaxUploadBytes + uploadFormSlack
	return map[string]int64{
		"POST /admin/courses":                upload,
		"POST /admin/courses/:id/versions":   upload,
		"POST /admin/users/import":           userimport.MaxImportBytes + importFormSlack,
		"POST /admin/users/import/confirm":   maxConfirmBytes,
		"POST /admin/enrolments/:id/offline": s.opt.EvidenceMaxBytes + offlineFormSlack,
		"POST /admin/courses/:id/image":      s.imageLimits().MaxBytes + imageFormSlack,
	}
}

// limitBody bounds the body of every request before anything reads it: a
// declared length over the route's limit is refused at once, and a body
// without one stops being read at the limit.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		limit := s.opt.MaxFormBytes
		key := r.Method + " " + c.Path()
		if strings.HasPrefix(c.Path(), apiPrefix) {
			return next(c) // read only after the token is checked, at most apiMaxBodyBytes
		}
		if strings.HasPrefix(c.Path(), "/lti/") {
			return next(c) // bounded by the LTI handlers (lti.go), so that a refusal is audited
		}
		if s.large[key] > 0 {
			if u := currentUser(c); u != nil && u.Admin {
				limit = s.large[key]
				// A large upload outlasts the server's read and write
				// timeouts; it gets its own deadline.
				if s.opt.TransferTimeout > 0 {
					rc := http.NewResponseController(c.Response().Writer)
					deadline := time.Now().Add(s.opt.TransferTimeout)
					_ = rc.SetReadDeadline(deadline)
					_ = rc.SetWriteDeadline(deadline)
				}
			}
		}
		if r.ContentLength > limit {
			msg := fmt.Sprintf("The request is larger than the %d bytes this page accepts.", limit)
			if limit > s.opt.MaxFormBytes {
				msg = "The file is larger than the limit of " + strconv.FormatInt(limit>>20, 10) + " MB."
				if isUpload(key) {
					msg = fmt.Sprintf("The file is larger than the upload limit of %d MB.", s.opt.MaxUploadBytes>>20)
				}
			}
			return echo.NewHTTPError(http.StatusRequestEntityTooLarge, msg)
		}
		r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
		return next(c)
	}
}

func isUpload(key string) bool {
	return key == "POST /admin/courses" || key == "POST /admin/courses/:id/versions"
}
