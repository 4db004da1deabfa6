package bench

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/lecterntest"
	"github.com/lectern/lectern/internal/ltiplatform"
	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/lti"
)

// TestLTIRunSmoke: the LTI load generator's three phases, small, against a
// Lectern of its own (on PostgreSQL with LECTERN_TEST_POSTGRES): every
// launch reaches the player, every learner of the start of term gets in,
// every score queued while the platform was down arrives. A score that
// arrives twice is logged with its posts, not failed: AGS score posts are
// idempotent (see the closing note of stop 18: CI saw one twice, twice).
func TestLTIRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	lec := lecterntest.Start(t, func(c *lms.Config) {
		c.LTI.RetryBase, c.LTI.OutboxInterval = 200*time.Millisecond, 300*time.Millisecond
		c.MaxConnsPerClient = 100_000
	})
	ctx := context.Background()
	zip := filepath.Join(t.TempDir(), "bench.zip")
	if err := BenchCourse(zip); err != nil {
		t.Fatal(err)
	}
	res, err := lec.App.Importer.Import(ctx, zip, course.Options{Filename: "bench.zip"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := ltiplatform.Start("localhost")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	tool := &ltiplatform.Tool{ClientID: "lectern-bench", DeploymentID: "bench", LoginURL: lec.URL + lti.PathLogin,
		LaunchURL: lec.URL + lti.PathLaunch, DeepLinkURL: lec.URL + lti.PathDeepLink, JWKSURL: lec.URL + lti.PathJWKS}
	p.AddTool(tool)
	if _, err := lec.App.LTI.AddPlatform(ctx, lti.PlatformInput{Name: "Bench platform", Issuer: p.Issuer, ClientID: tool.ClientID,
		AuthURL: p.AuthURL(), TokenURL: p.TokenURL(), JWKSURL: p.JWKSURL(), Deployments: []string{tool.DeploymentID}, Keep: "name,email"}, "test"); err != nil {
		t.Fatal(err)
	}
	r, err := RunLTI(ctx, LTIOptions{Platform: p, Tool: tool, CourseID: *res.ID, Concurrency: 8, Duration: time.Second,
		TermLearners: 20, TermWindow: time.Second, Scores: 10, Log: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(r)
	if r.Launches == 0 || r.LaunchErrors != 0 {
		t.Errorf("phase 1: %d launches, %d errors", r.Launches, r.LaunchErrors)
	}
	if r.TermOK != r.Term || r.Term != 20 {
		t.Errorf("start of term: %d of %d learners got in", r.TermOK, r.Term)
	}
	if r.Drained != r.Queued || r.Queued != 10 || r.Missing != 0 {
		t.Errorf("grade outbox: %d queued, %d delivered, %d missing", r.Queued, r.Drained, r.Missing)
	}
	// A result posted twice is a fault (the platform keeps it once, as
	// AGS posts are idempotent, but the outbox should not repeat itself).
	// A learner's earlier result arriving before the passing one is not:
	// see RunLTI.
	if r.Duplicates != 0 {
		t.Errorf("grade outbox: %d posts repeated a result: %s", r.Duplicates, strings.Join(r.DuplicatePosts, "; "))
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(b))
	return len(b), nil
}
