package web_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
)

// BenchmarkPlayerPage is the learner launching a course (the launch POST and
// the player page it redirects to): session and CSRF checks, attempt lookup,
// navigation decision, a new launch row, the page rendered. It reports the
// median latency of one launch as p50-ms.
func BenchmarkPlayerPage(b *testing.B) {
	e := newEnv(b)
	admin := e.signedIn("admin@example.org", true)
	if r := admin.upload("/admin/courses", fixture.ZipDir(b, fixture.Package("scorm12-multi")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		b.Fatalf("upload: %d %s", r.status, r.body)
	}
	e.publish(1)
	learner := e.signedIn("learner@example.org", false)
	lee, err := e.store.UserByEmail(context.Background(), "learner@example.org")
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := e.store.Enrol(context.Background(), lee.ID, 1, nil); err != nil {
		b.Fatal(err)
	}
	tok := learner.csrf("/courses/1")
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if r := learner.launch("/courses/1", tok); r.status != http.StatusOK || !strings.Contains(r.body, "player-frame") {
			b.Fatalf("launch: %d", r.status)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}
