package web

// "Forgot your password?": anyone may ask for a reset link for an address.
// The answer never tells whether the address has an account: it is the same
// page, sent before the address is even looked up, since the lookup and
// the email are made in the background. Requests are throttled per address
// (silently: the answer stays the same) and per client address (openly,
// since that reveals nothing about accounts).

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

type forgotView struct {
	Email string
	Sent  bool
	Error string
}

// resetRequest is one address to send a reset link to, if it has an account.
type resetRequest struct {
	email string
}

// maxBackgroundResets bounds the reset requests worked on at once; more
// are dropped (and logged), which a throttled attacker cannot reach anyway.
const maxBackgroundResets = 8

func (s *Server) forgotPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "forgot", "Forgot your password?", forgotView{Email: strings.TrimSpace(c.QueryParam("email"))})
}

func (s *Server) forgot(c echo.Context) error {
	email := store.NormalizeEmail(c.FormValue("email"))
	v := forgotView{Email: email}
	if !account.ValidEmail(email) {
		v.Error = "Enter the email address you sign in with."
		return s.render(c, http.StatusUnprocessableEntity, "forgot", "Forgot your password?", v)
	}
	addr := "addr:" + c.RealIP()
	ctx := c.Request().Context()
	if blocked, wait, err := s.resetAddr.Blocked(ctx, addr); err != nil {
		return err
	} else if blocked {
		v.Error = tooManyResets(wait)
		return s.render(c, http.StatusTooManyRequests, "forgot", "Forgot your password?", v)
	}
	if err := s.resetAddr.Fail(ctx, addr); err != nil {
		return err
	}
	blocked, _, err := s.resetLimiter.Blocked(ctx, email)
	if err != nil {
		return err
	}
	if !blocked {
		if err := s.resetLimiter.Fail(ctx, email); err != nil {
			return err
		}
		s.queueReset(resetRequest{email: email})
	} else {
		s.log.Info("password reset throttled", "email", email, "addr", c.RealIP())
	}
	v.Sent = true
	return s.render(c, http.StatusOK, "forgot", "Forgot your password?", v)
}

// queueReset works on a request in the background, so that the answer
// leaves before the address is looked up.
func (s *Server) queueReset(r resetRequest) {
	select {
	case s.resets <- r:
	default:
		s.log.Warn("password reset dropped: too many at once", "email", r.email)
		return
	}
	s.accounts.Add(1)
	go func() {
		defer s.accounts.Done()
		req := <-s.resets
		if err := s.sendReset(context.Background(), req.email); err != nil {
			s.log.Error("password reset", "email", req.email, "err", err)
		}
	}()
}

// sendReset emails a reset link when email belongs to an active user.
func (s *Server) sendReset(ctx context.Context, email string) error {
	u, err := s.store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		s.log.Info("password reset for an unknown address", "email", email)
		return nil
	}
	if err != nil {
		return err
	}
	if !u.Active {
		s.log.Info("password reset for a deactivated user", "email", email)
		return nil
	}
	audit := &store.AuditEntry{ActorID: store.Ref(u.ID), ActorName: u.Name + " <" + u.Email + ">", Via: store.ViaWeb,
		Action: "account.reset-request", SubjectUserID: store.Ref(u.ID), Target: u.Email}
	if _, err := s.emailLink(ctx, u, store.LinkReset, nil, "", audit); err != nil {
		return err
	}
	s.log.Info("password reset link sent", "user", u.Email)
	return nil
}

func tooManyResets(wait time.Duration) string {
	mins := int(wait.Minutes() + 0.5)
	if mins < 1 {
		mins = 1
	}
	unit := "minutes"
	if mins == 1 {
		unit = "minute"
	}
	return "Too many requests from your network. Try again in " + strconv.Itoa(mins) + " " + unit + "."
}
