package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/store"
)

// AttemptURL is the address of an attempt's audit timeline, for links from
// other admin pages.
func AttemptURL(id uint) string { return fmt.Sprintf("/admin/attempts/%d", id) }

// auditMaxShown is how many characters of a value the timeline shows before a
// "show all" disclosure.
const auditMaxShown = 80

type attemptView struct {
	*store.AttemptAudit
	Launches []auditLaunchView
	Started  string
	Reported string // the attempt's total time as the SCOs reported it
	Measured string // the sum of the launches' measured times
}

type auditLaunchView struct {
	Item        string
	Started     string
	LastSeen    string
	Measured    string
	State       string // terminated, superseded, open
	SessionTime string // the last session time the SCO reported in this launch
	Commits     []auditCommitView
}

type auditCommitView struct {
	At        string
	Seq       int64
	Terminate bool
	Changes   []auditChangeView
}

type auditChangeView struct {
	Element  string
	Old, New auditValue
	Time     bool // a time the SCO reports: set beside the measured time
}

type auditValue struct {
	Full, Short []string // the value in pieces, so that long words can wrap between them
	Long        bool
	Empty       bool
}

// auditWrap is the length of the pieces of a value; the page lets lines
// break between pieces, so an unbroken value cannot widen the page.
const auditWrap = 20

func auditShort(s string) auditValue {
	r := []rune(s)
	v := auditValue{Full: pieces(r), Empty: s == ""}
	if len(r) <= auditMaxShown {
		v.Short = v.Full
		return v
	}
	v.Short, v.Long = pieces(r[:auditMaxShown]), true
	v.Short[len(v.Short)-1] += "…"
	return v
}

func pieces(r []rune) []string {
	var out []string
	for len(r) > auditWrap {
		out = append(out, string(r[:auditWrap]))
		r = r[auditWrap:]
	}
	return append(out, string(r))
}

// isReportedTime tells whether an element is a time the SCO reports (SCORM 1.2
// and 2004 names).
func isReportedTime(element string) bool {
	switch element {
	case "cmi.core.session_time", "cmi.session_time", "cmi.core.total_time", "cmi.total_time":
		return true
	}
	return false
}

// adminAttempt shows an attempt's audit timeline: every launch with the
// commits the journal kept, and the time reported beside the time measured.
func (s *Server) adminAttempt(c echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, "No such attempt.")
	}
	a, err := s.store.AttemptAudit(c.Request().Context(), uint(id))
	if err != nil {
		return err
	}
	v := attemptView{AttemptAudit: a, Reported: auditDuration(time.Duration(a.Attempt.TotalSeconds * float64(time.Second)))}
	v.Started = s.auditClock(a.Attempt.StartedAt)
	var measured time.Duration
	for _, l := range a.Launches {
		d := l.Launch.LastSeenAt.Sub(l.Launch.CreatedAt)
		if d < 0 {
			d = 0
		}
		measured += d
		lv := auditLaunchView{Item: l.ItemTitle, Started: s.auditClock(l.Launch.CreatedAt), LastSeen: s.auditClock(l.Launch.LastSeenAt), Measured: auditDuration(d), State: "open"}
		switch {
		case l.Launch.Terminated:
			lv.State = "terminated"
		case l.Launch.SupersededAt != nil:
			lv.State = "superseded"
		}
		if l.Launch.Review {
			lv.State = "review (nothing stored), " + lv.State
		}
		for _, cm := range l.Commits {
			cv := auditCommitView{At: s.auditClock(cm.At), Seq: cm.Seq, Terminate: cm.Terminate}
			for _, ch := range cm.Changes {
				t := isReportedTime(ch.Element)
				if t && strings.HasSuffix(ch.Element, "session_time") {
					lv.SessionTime = ch.New
				}
				cv.Changes = append(cv.Changes, auditChangeView{Element: ch.Element, Old: auditShort(ch.Old), New: auditShort(ch.New), Time: t})
			}
			lv.Commits = append(lv.Commits, cv)
		}
		v.Launches = append(v.Launches, lv)
	}
	v.Measured = auditDuration(measured)
	return s.render(c, http.StatusOK, "admin_attempt", fmt.Sprintf("Attempt %d: %s", a.Attempt.Number, a.UserName), v)
}

// auditClock formats a moment to the second in the organisation's zone.
func (s *Server) auditClock(t time.Time) string {
	loc := s.location()
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format("2 Jan 2006 15:04:05 MST")
}

// duration formats d as 1h 02m 03s, 2m 05s or 7s.
func auditDuration(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, sec := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h > 0:
		return fmt.Sprintf("%dh %02dm %02ds", h, m, sec)
	case m > 0:
		return fmt.Sprintf("%dm %02ds", m, sec)
	}
	return fmt.Sprintf("%ds", sec)
}
