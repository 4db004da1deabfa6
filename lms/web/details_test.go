package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/scorm/cmi"
)

// TestInteractionReports: the answers a SCO reported come out per course and
// per attempt, with spreadsheet formulas neutralised.
func TestInteractionReports(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn("admin@example.org", true)
	if r := admin.upload("/admin/courses", fixture.ZipDir(t, fixture.Package("scorm2004v4-seq")), admin.csrf("/admin/courses"), true); r.status != http.StatusCreated {
		t.Fatalf("upload: %d", r.status)
	}
	e.publish(1)
	u := e.addUser("lee@example.org", false)
	ctx := context.Background()
	rt := &runtime.Service{Store: e.store, ContentDir: e.content, LaunchTTL: time.Hour, SuspendDataMax: 64000}
	c, err := rt.Open(ctx, u, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rt.Start(ctx, c.Token); err != nil {
		t.Fatal(err)
	}
	hostile := "=cmd|' /C calc'!A0"
	_, err = rt.Commit(ctx, runtime.CommitRequest{Token: c.Token, Seq: 1, Changes: []cmi.Change{
		{Element: "cmi.interactions.0.id", Value: "q1"},
		{Element: "cmi.interactions.0.type", Value: "fill-in"},
		{Element: "cmi.interactions.0.learner_response", Value: hostile},
		{Element: "cmi.interactions.0.result", Value: "incorrect"},
		{Element: "cmi.interactions.0.latency", Value: "PT12S"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/admin/courses/1/interactions.csv", "/admin/attempts/1/interactions.csv"} {
		r := admin.get(path)
		if r.status != http.StatusOK {
			t.Fatalf("%s: %d", path, r.status)
		}
		recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\uFEFF"))).ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("%s: %d records, %v", path, len(recs), err)
		}
		row := strings.Join(recs[1], "|")
		if !strings.Contains(row, "q1|fill-in") || !strings.Contains(row, "'"+hostile) || !strings.Contains(row, "PT12S") {
			t.Errorf("%s: row %q: want q1, the neutralised response and the latency", path, row)
		}
	}
	if r := admin.get("/admin/courses/1/objectives.csv"); r.status != http.StatusOK || !strings.Contains(r.body, "scene_obj") {
		t.Errorf("objectives: %d, want the manifest's objective", r.status)
	}
	if r := e.signedIn("eve@example.org", false).get("/admin/courses/1/interactions.csv"); r.status != http.StatusForbidden {
		t.Errorf("learner: %d, want 403", r.status)
	}
}
