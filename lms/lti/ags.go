package lti

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/lectern/lectern/lms/store"
)

// Assignment and Grade Services: the worker that empties the grade outbox.
//
// Scores are queued by the run-time in the transaction of the commit that
// changed a result (lms/store/lti_scores.go). The worker sends the newest
// pending score of each learner and column, oldest first, marks it sent when
// the platform accepted it, and retries failures with back-off (from
// Opt.RetryBase doubling up to an hour). A score the platform refuses is
// tried Opt.ScoreMaxAttempts times, after which it waits, failed, for an
// admin; while the platform is down or unreachable its scores wait however
// long it takes. An older score never overwrites a newer one: the newer
// supersedes it before it goes out, only one score per learner and column is
// in flight, and each carries the time its result was reached as its
// timestamp, which platforms use to ignore older ones. A crash between the
// platform's answer and the mark sends the same score again, with the same
// timestamp: the gradebook does not change.
//
// When a score that had failed goes through, the platform's whole backlog is
// due at once. So that the backlog need not wait out its back-off after a
// short outage, a platform whose pending scores all wait is probed at most
// every Opt.ProbeEvery (a minute by default): its oldest pending score is
// sent early. If the platform accepts it, the backlog follows; if not, the
// score keeps its tries and its back-off. Failed scores are never probed.

const (
	scoreBatch       = 500
	scoreConcurrency = 8
	retryBase        = 30 * time.Second
	retryMax         = time.Hour
	probeEvery       = time.Minute
)

// backoff is the pause after a post's attempts-th failure: from
// Opt.RetryBase (30 s by default) doubling up to 120 times the base (an
// hour by default).
func (s *Service) backoff(attempts int) time.Duration {
	base := s.Opt.RetryBase
	if base <= 0 {
		base = retryBase
	}
	limit := min(retryMax, 120*base)
	d := base << min(attempts, 20)
	if d <= 0 || d > limit {
		return limit
	}
	return d
}

// transient is a failure of the platform rather than of the score (it is
// down, overloaded or unreachable): such scores are retried for as long as
// it takes, never marked failed.
type transient struct{ error }

func (t transient) Unwrap() error { return t.error }

// httpFailure classifies a platform's answer.
func httpFailure(what string, status int, body []byte) error {
	err := fmt.Errorf("%s: HTTP %d: %s", what, status, clip(string(body), 200))
	if status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status == http.StatusUnauthorized {
		return transient{err}
	}
	return err
}

type scorePayload struct {
	UserID           string   `json:"userId"`
	ScoreGiven       *float64 `json:"scoreGiven,omitempty"`
	ScoreMaximum     *float64 `json:"scoreMaximum,omitempty"`
	ActivityProgress string   `json:"activityProgress"`
	GradingProgress  string   `json:"gradingProgress"`
	Timestamp        string   `json:"timestamp"`
}

// payload turns a result into an AGS score.
func payload(j *store.LTIScoreJob) scorePayload {
	p := scorePayload{UserID: j.Subject, Timestamp: j.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000000Z")}
	switch j.Completion {
	case "completed":
		p.ActivityProgress = "Completed"
	case "incomplete":
		p.ActivityProgress = "InProgress"
	case "not attempted":
		p.ActivityProgress = "Initialized"
	default:
		p.ActivityProgress = "Started"
	}
	switch {
	case j.Success == "passed" || j.Success == "failed" || j.Completion == "completed":
		p.GradingProgress = "FullyGraded"
	case j.Completion == "not attempted":
		p.GradingProgress = "NotReady"
	default:
		p.GradingProgress = "Pending"
	}
	if j.ScoreScaled != nil {
		given := math.Round(math.Max(0, math.Min(1, *j.ScoreScaled))*ScoreMaximum*100) / 100
		max := float64(ScoreMaximum)
		p.ScoreGiven, p.ScoreMaximum = &given, &max
	}
	return p
}

// RunOutbox delivers scores every interval until ctx ends.
func (s *Service) RunOutbox(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.DeliverScores(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("LTI grade outbox", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

var deliverMu sync.Mutex // one delivery round at a time in a process

// DeliverScores sends every score that is due, and the probes of platforms
// whose scores all wait, and returns how many the platforms accepted.
func (s *Service) DeliverScores(ctx context.Context) (int, error) {
	deliverMu.Lock()
	defer deliverMu.Unlock()
	sent := 0
	for pass := 0; ctx.Err() == nil; pass++ {
		if _, err := s.Store.SupersedeLTIScores(ctx); err != nil {
			return sent, err
		}
		jobs, err := s.Store.DueLTIScores(ctx, scoreBatch)
		if err != nil {
			return sent, err
		}
		// The round's probes, by score id, are picked once, after
		// superseding: each is the newest score of its column.
		var probe map[uint]bool
		if pass == 0 {
			extra, err := s.probes(ctx)
			if err != nil {
				return sent, err
			}
			probe = make(map[uint]bool, len(extra))
			for _, j := range extra {
				probe[j.ID] = true
			}
			jobs = append(jobs, extra...)
		}
		if len(jobs) == 0 {
			return sent, nil
		}
		// One score per learner and column in flight: the newest.
		newest := map[uint]int{}
		for i, j := range jobs {
			if k, ok := newest[j.GradeID]; !ok || jobs[k].ID < j.ID {
				newest[j.GradeID] = i
			}
		}
		byPlatform := map[uint][]*store.LTIScoreJob{}
		for _, i := range newest {
			byPlatform[jobs[i].PlatformID] = append(byPlatform[jobs[i].PlatformID], &jobs[i])
		}
		progress := false
		for pid, js := range byPlatform {
			n, err := s.deliverPlatform(ctx, pid, js, probe)
			sent += n
			if err != nil {
				s.Log.Warn("LTI grade outbox: platform unreachable", "platform", pid, "err", err)
			}
			progress = true
		}
		if !progress {
			return sent, nil
		}
	}
	return sent, ctx.Err()
}

// probes picks the scores sent early this round: for each platform whose
// pending scores all wait out a back-off and that was not probed within
// Opt.ProbeEvery, the oldest of them.
func (s *Service) probes(ctx context.Context) ([]store.LTIScoreJob, error) {
	jobs, err := s.Store.LTIScoresToProbe(ctx)
	if err != nil || len(jobs) == 0 {
		return nil, err
	}
	every := s.Opt.ProbeEvery
	if every <= 0 {
		every = probeEvery
	}
	now := time.Now()
	s.probeMu.Lock()
	defer s.probeMu.Unlock()
	if s.probed == nil {
		s.probed = map[uint]time.Time{}
	}
	out := jobs[:0]
	for _, j := range jobs {
		if last, ok := s.probed[j.PlatformID]; ok && now.Sub(last) < every {
			continue
		}
		s.probed[j.PlatformID] = now
		out = append(out, j)
	}
	return out, nil
}

// deliverPlatform sends one platform's scores; those in probe are probes,
// whose failure costs their score nothing.
func (s *Service) deliverPlatform(ctx context.Context, platformID uint, jobs []*store.LTIScoreJob, probe map[uint]bool) (int, error) {
	sort.Slice(jobs, func(a, b int) bool { return jobs[a].ID < jobs[b].ID })
	postpone := func(err error) (int, error) {
		var ids, probes []uint
		attempts := 0
		for _, j := range jobs {
			if probe[j.ID] {
				probes = append(probes, j.ID)
				continue
			}
			ids = append(ids, j.ID)
			attempts = max(attempts, j.Attempts)
		}
		// The platform failed, not the scores: they wait without a limit.
		if derr := s.Store.DeferLTIScores(ctx, ids, err.Error(), time.Now().UTC().Add(s.backoff(attempts))); derr != nil {
			return 0, derr
		}
		if derr := s.Store.MarkLTIProbeFailed(ctx, probes, err.Error()); derr != nil {
			return 0, derr
		}
		return 0, err
	}
	p, err := s.Store.LTIPlatformByID(ctx, platformID)
	if errors.Is(err, store.ErrNotFound) {
		return postpone(errors.New("the platform is no longer registered"))
	} else if err != nil {
		return 0, err
	}
	token, err := s.token(ctx, p, ScopeScore)
	if err != nil {
		return postpone(err)
	}
	// Placements that know only where line items live get theirs first.
	lineItems := map[uint]string{}
	for _, j := range jobs {
		if j.LineItemURL != "" {
			lineItems[j.PlacementID] = j.LineItemURL
		}
	}
	for _, j := range jobs {
		if _, ok := lineItems[j.PlacementID]; ok {
			continue
		}
		u, err := s.lineItem(ctx, p, j)
		if err != nil {
			s.failScore(ctx, j, err, probe[j.ID])
			lineItems[j.PlacementID] = ""
			continue
		}
		lineItems[j.PlacementID] = u
	}
	var (
		mu   sync.Mutex
		done []uint
		wg   sync.WaitGroup
		sem  = make(chan struct{}, scoreConcurrency)
	)
	for _, j := range jobs {
		li := lineItems[j.PlacementID]
		if li == "" {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func(j *store.LTIScoreJob) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := s.postScore(ctx, p, token, li, j); err != nil {
				s.failScore(ctx, j, err, probe[j.ID])
				return
			}
			mu.Lock()
			done = append(done, j.ID)
			mu.Unlock()
		}(j)
	}
	wg.Wait()
	if err := s.Store.MarkLTIScoresSent(ctx, done); err != nil {
		return 0, err
	}
	// A platform that answers again (a score that had failed, or a probe,
	// went through) gets its backlog at once.
	if len(done) > 0 && slices.ContainsFunc(jobs, func(j *store.LTIScoreJob) bool { return j.Attempts > 0 || probe[j.ID] }) {
		if _, err := s.Store.WakeLTIScores(ctx, p.ID); err != nil {
			return len(done), err
		}
	}
	return len(done), nil
}

// failScore records a failed send: a try and a back-off, or, for a probe,
// only the reason.
func (s *Service) failScore(ctx context.Context, j *store.LTIScoreJob, err error, probe bool) {
	var merr error
	if probe {
		merr = s.Store.MarkLTIProbeFailed(ctx, []uint{j.ID}, err.Error())
	} else {
		var tr transient
		final := j.Attempts+1 >= s.Opt.ScoreMaxAttempts && !errors.As(err, &tr)
		merr = s.Store.MarkLTIScoreRetry(ctx, j.ID, err.Error(), time.Now().UTC().Add(s.backoff(j.Attempts)), final)
	}
	if merr != nil {
		s.Log.Error("LTI grade outbox: mark failure", "score", j.ID, "err", merr)
	}
}

// scoresURL is the line item's scores endpoint (its query kept).
func scoresURL(lineItem string) (string, error) {
	u, err := url.Parse(lineItem)
	if err != nil {
		return "", err
	}
	u.Path += "/scores"
	return u.String(), nil
}

func (s *Service) postScore(ctx context.Context, p *store.LTIPlatform, token, lineItem string, j *store.LTIScoreJob) error {
	u, err := scoresURL(lineItem)
	if err != nil {
		return fmt.Errorf("line item URL: %w", err)
	}
	body, status, err := s.callJSON(ctx, http.MethodPost, u, token, "application/vnd.ims.lis.v1.score+json", "", payload(j))
	if err != nil {
		return transient{fmt.Errorf("score post: %w", err)}
	}
	if status == http.StatusUnauthorized {
		s.forgetToken(p, ScopeScore)
	}
	if status < 200 || status > 299 {
		return httpFailure("score post", status, body)
	}
	return nil
}

type lineItemJSON struct {
	ID             string  `json:"id,omitempty"`
	ScoreMaximum   float64 `json:"scoreMaximum"`
	Label          string  `json:"label"`
	ResourceID     string  `json:"resourceId,omitempty"`
	ResourceLinkID string  `json:"resourceLinkId,omitempty"`
}

// lineItem finds the placement's line item among the platform's, creating it
// when there is none.
func (s *Service) lineItem(ctx context.Context, p *store.LTIPlatform, j *store.LTIScoreJob) (string, error) {
	if j.LineItemsURL == "" || !hasScope(j.Scopes, ScopeLineItem) {
		return "", errors.New("the platform gave this activity no gradebook column")
	}
	token, err := s.token(ctx, p, ScopeLineItem)
	if err != nil {
		return "", err
	}
	u, err := url.Parse(j.LineItemsURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("resource_link_id", j.ResourceLinkID)
	u.RawQuery = q.Encode()
	body, status, err := s.call(ctx, http.MethodGet, u.String(), token, "", "application/vnd.ims.lis.v2.lineitemcontainer+json", nil)
	if err != nil {
		return "", fmt.Errorf("line items: %w", err)
	}
	if status == http.StatusOK {
		var items []lineItemJSON
		if json.Unmarshal(body, &items) == nil {
			for _, it := range items {
				if it.ID != "" && (it.ResourceLinkID == j.ResourceLinkID || it.ResourceID == ResourceID(j.CourseID)) {
					return it.ID, s.Store.SetLTILineItem(ctx, j.PlacementID, it.ID)
				}
			}
		}
	}
	body, status, err = s.callJSON(ctx, http.MethodPost, j.LineItemsURL, token, "application/vnd.ims.lis.v2.lineitem+json",
		"application/vnd.ims.lis.v2.lineitem+json",
		lineItemJSON{ScoreMaximum: ScoreMaximum, Label: j.Label, ResourceID: ResourceID(j.CourseID), ResourceLinkID: j.ResourceLinkID})
	if err != nil {
		return "", fmt.Errorf("create line item: %w", err)
	}
	var created lineItemJSON
	if status < 200 || status > 299 || json.Unmarshal(body, &created) != nil || created.ID == "" {
		return "", fmt.Errorf("create line item: HTTP %d: %s", status, clip(string(body), 200))
	}
	return created.ID, s.Store.SetLTILineItem(ctx, j.PlacementID, created.ID)
}
