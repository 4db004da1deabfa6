package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/store"
)

const outboxPage = 50

type outboxView struct {
	Messages   []store.MessageRow
	Page, Last int
	Total      int64
}

// outbox lists the emails Lectern has queued, sent or is holding, newest
// first. Without SMTP configured it is where the reminders can be read.
func (s *Server) outbox(c echo.Context) error {
	ctx := c.Request().Context()
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	f := store.MessageFilter{Limit: outboxPage, Offset: (page - 1) * outboxPage}
	total, err := s.store.CountMessages(ctx, f)
	if err != nil {
		return err
	}
	msgs, err := s.store.Messages(ctx, f)
	if err != nil {
		return err
	}
	last := max(1, int((total+outboxPage-1)/outboxPage))
	return s.render(c, http.StatusOK, "admin_outbox", "Outbox", outboxView{Messages: msgs, Page: page, Last: last, Total: total})
}
