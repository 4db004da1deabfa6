package web

// The learner's side of a course outside the player: the end page the
// player goes to when a session ends, and the result line of the
// dashboard's cards.

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
)

func resultURL(courseID uint) string {
	return "/courses/" + strconv.FormatUint(uint64(courseID), 10) + "/result"
}

// itemStatus is the outline's status word of each item of a course without
// an activity tree, from the attempt's SCO states.
func (s *Server) itemStatus(ctx context.Context, opened *runtime.Course) (map[string]string, error) {
	states, err := s.store.ScoStates(ctx, opened.Attempt.ID)
	if err != nil {
		return nil, err
	}
	ident := make(map[uint]string, len(opened.Items))
	for _, it := range opened.Items {
		ident[it.ID] = it.Identifier
	}
	out := map[string]string{}
	for _, st := range states {
		if w := statusWord(st.Completion, st.Success, st.Sessions > 0); w != "" {
			out[ident[st.ItemID]] = w
		}
	}
	return out, nil
}

// statusWord is what the outline and the end page call a result: passed or
// failed when assessed, else completed, else incomplete once started.
func statusWord(completion, success string, started bool) string {
	switch {
	case success == "passed" || success == "failed":
		return success
	case completion == "completed":
		return "completed"
	case started || completion == "incomplete":
		return "incomplete"
	}
	return ""
}

// resultLine says a result in a few words: "Passed with 85%", "Failed with
// 40%", "Completed", "Completed with 70%".
func resultLine(completion, success string, score *float64) string {
	with := ""
	if score != nil {
		with = " with " + compliance.Percent(*score)
	}
	switch {
	case success == "passed":
		return "Passed" + with
	case success == "failed":
		return "Failed" + with
	case completion == "completed":
		return "Completed" + with
	}
	return ""
}

// endView is the end page of a course: how the learner's attempt went and
// what they can do next.
type endView struct {
	Course      *store.Course
	Attempt     *store.Attempt // the learner's latest attempt; nil before the first
	Result      store.AttemptSummary
	Line        string // "Passed with 85%", …
	Suspended   bool   // saved to continue later
	Unfinished  bool   // the attempt is open: the learner can continue it
	CanStart    bool   // another attempt is allowed
	Left        int    // attempts left, when the course limits them
	Max         int
	Certificate *store.Completion // the certificate of the current cycle, if any
}

// courseResult is the course's end page: the player goes there when the
// content or the sequencing ends the session, so the learner never faces
// an empty frame.
func (s *Server) courseResult(c echo.Context) error {
	co, err := s.courseParam(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	u := currentUser(c)
	// The attempt that just ended may make a completion and a certificate.
	if err := s.comp.Reconcile(ctx, u.ID); err != nil {
		return err
	}
	sit, err := s.store.AttemptSituation(ctx, u.ID, co.ID)
	if err != nil {
		return err
	}
	if sit.Latest == nil && sit.Enrolment == nil {
		if ok, err := s.maySee(c, co); err != nil {
			return err
		} else if !ok {
			return s.refuseCourse(c, co)
		}
	}
	v := endView{Course: co, Attempt: sit.Latest, CanStart: sit.MayStart(), Max: sit.Rules.MaxAttempts}
	if sit.Rules.MaxAttempts > 0 {
		v.Left = max(0, sit.Rules.MaxAttempts-sit.InCycle)
	}
	if a := sit.Latest; a != nil {
		v.Result = store.AttemptSummary{Completion: a.Completion, Success: a.Success, ScoreScaled: a.ScoreScaled}
		v.Line = resultLine(a.Completion, a.Success, a.ScoreScaled)
		v.Suspended = a.Suspended && !a.Closed
		v.Unfinished = !a.Closed && !(a.Completion == "completed" && !a.Suspended)
	}
	if sit.Enrolment != nil {
		if v.Certificate, err = s.cycleCertificate(ctx, u.ID, sit.Enrolment); err != nil {
			return err
		}
	}
	return s.render(c, http.StatusOK, "course_result", co.Title, v)
}

// cycleCertificate is the valid certificate of an enrolment's current cycle.
func (s *Server) cycleCertificate(ctx context.Context, userID uint, e *store.Enrolment) (*store.Completion, error) {
	cs, err := s.store.Completions(ctx, userID)
	if err != nil {
		return nil, err
	}
	for i := range cs {
		if cs[i].EnrolmentID == e.ID && cs[i].Cycle == e.Cycle && cs[i].RevokedAt == nil {
			return &cs[i], nil
		}
	}
	return nil, nil
}

// cardView is what a dashboard card shows beyond the enrolment's status.
type cardView struct {
	Result      string // "Passed with 85%", "Failed with 40%", "Completed", or ""
	Left        int    // attempts left, when the course limits them
	Limited     bool
	Certificate string // certificate code, when the current cycle has one
}

// cards works out each enrolment's card: the result of the attempt that
// counts (or the latest finished one), the attempts left and the
// certificate.
func (s *Server) cards(ctx context.Context, userID uint, rows []enrolmentView, completions []store.Completion) (map[uint]cardView, error) {
	inCycle, err := s.store.AttemptsInCycle(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("web: dashboard: %w", err)
	}
	out := make(map[uint]cardView, len(rows))
	for _, r := range rows {
		var cv cardView
		switch {
		case r.CountingNumber != nil && r.CountingSuccess != nil:
			cv.Result = resultLine("completed", *r.CountingSuccess, r.CountingScore)
		case r.AttemptCompletion != nil && *r.AttemptCompletion == "completed":
			success := ""
			if r.AttemptSuccess != nil {
				success = *r.AttemptSuccess
			}
			cv.Result = resultLine("completed", success, nil)
		}
		if r.MaxAttempts > 0 {
			cv.Limited, cv.Left = true, max(0, r.MaxAttempts-inCycle[r.CourseID])
		}
		for _, cp := range completions {
			if cp.EnrolmentID == r.ID && cp.Cycle == r.Cycle && cp.RevokedAt == nil {
				cv.Certificate = cp.Code
			}
		}
		out[r.ID] = cv
	}
	return out, nil
}
