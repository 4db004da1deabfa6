package web

// Destructive actions ask first, without JavaScript: the action's button
// posts to its own URL, which answers with a confirmation page naming what
// will happen; only the page's button, which adds confirm=yes, acts. A
// request without it never changes anything.

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// confirmView is a confirmation page.
type confirmView struct {
	Heading string
	Message string
	Action  string // the URL the confirmation posts to
	Fields  []confirmField
	Button  string
	Cancel  string // where "Cancel" leads
}

type confirmField struct{ Name, Value string }

// confirmed reports whether the request carries the confirmation.
func confirmed(c echo.Context) bool { return c.FormValue("confirm") == "yes" }

// askConfirm renders the confirmation page for the current request.
func (s *Server) askConfirm(c echo.Context, v confirmView) error {
	v.Action = c.Request().URL.Path
	return s.render(c, http.StatusOK, "confirm", v.Heading, v)
}
