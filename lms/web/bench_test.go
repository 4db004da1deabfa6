package web_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
)

// BenchmarkPlayerPage is the learner opening a course: session check, attempt
// lookup, navigation decision, a new launch row, the page rendered. It
// reports the median latency of one request as p50-ms.
func BenchmarkPlayerPage(b *testing.B) {
	e := newEnv(b)
	admin := e.signedIn("admin@example.org", true)
	if r := admin.upload("/admin/courses", fixture.ZipDir(b, fixture.Package("scorm12-multi")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		b.Fatalf("upload: %d %s", r.status, r.body)
	}
	learner := e.signedIn("learner@example.org", false)
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if r := learner.get("/courses/1"); r.status != http.StatusOK {
			b.Fatalf("player page: %d", r.status)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
}
