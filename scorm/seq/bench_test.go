package seq

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/scorm"
)

// benchNavigation measures one navigation decision as the server makes it:
// the tree is built from the manifest and its stored state, the request is
// processed (request to delivery), the new validity of every activity is
// computed for the player, and the tree is stored again. It reports the
// p50 and p99 of that work.
func benchNavigation(b *testing.B, org *scorm.Organization) {
	tr, _ := Build(org, 1)
	tr.BeginSession()
	if _, err := tr.Navigate("", tr.OpeningRequest()); err != nil {
		// Courses whose root has no flow start by a choice.
		for _, n := range tr.Nodes() {
			if n.Launchable && tr.Valid("").Items[n.ID].Enabled {
				if _, err := tr.Navigate("", Request{Kind: Choice, Target: n.ID}); err == nil {
					break
				}
			}
		}
	}
	state, err := json.Marshal(tr)
	if err != nil {
		b.Fatal(err)
	}
	var leaves []string
	for _, n := range tr.Nodes() {
		if n.Launchable {
			leaves = append(leaves, n.ID)
		}
	}
	times := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		t, _ := Build(org, 1)
		if err := json.Unmarshal(state, t); err != nil {
			b.Fatal(err)
		}
		req := Request{Kind: Continue}
		if i%2 == 1 {
			req = Request{Kind: Choice, Target: leaves[i%len(leaves)]}
		}
		_, _ = t.Navigate("", req)
		t.Valid("")
		if _, err := json.Marshal(t); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkNavigateT01b runs on the largest package of the ADL suite
// (LECTERN_TEST_ADL_CTS must name the suite).
func BenchmarkNavigateT01b(b *testing.B) {
	dir := os.Getenv("LECTERN_TEST_ADL_CTS")
	if dir == "" {
		b.Skip("set LECTERN_TEST_ADL_CTS to the ADL conformance suite")
	}
	data, err := os.ReadFile(filepath.Join(dir, "packages", "T-01b", "imsmanifest.xml"))
	if err != nil {
		b.Fatal(err)
	}
	p, err := scorm.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	benchNavigation(b, p.DefaultOrg)
}

// BenchmarkNavigateLarge runs on a generated course of 20 modules of 25
// lessons (520 activities) with flow, choice, a pre-condition and a
// rollup rule on every module.
func BenchmarkNavigateLarge(b *testing.B) {
	var sb strings.Builder
	for m := range 20 {
		var lessons strings.Builder
		for l := range 25 {
			lessons.WriteString(item(fmt.Sprintf("m%dl%d", m, l)))
		}
		sb.WriteString(cluster(fmt.Sprintf("m%d", m), lessons.String(), sq(flowOn+`<imsss:sequencingRules><imsss:preConditionRule><imsss:ruleConditions><imsss:ruleCondition condition="satisfied"/></imsss:ruleConditions><imsss:ruleAction action="skip"/></imsss:preConditionRule></imsss:sequencingRules><imsss:rollupRules><imsss:rollupRule childActivitySet="atLeastPercent" minimumPercent="0.8"><imsss:rollupConditions><imsss:rollupCondition condition="completed"/></imsss:rollupConditions><imsss:rollupAction action="completed"/></imsss:rollupRule></imsss:rollupRules>`)))
	}
	tr, _ := build(b, sb.String()+sq(flowOn))
	if n := len(tr.Nodes()); n != 521 {
		b.Fatalf("%d activities", n)
	}
	p := tr.Root
	org := &scorm.Organization{Identifier: p.ID, Title: p.Title, Sequencing: p.Def}
	var items func(ns []*Node) []*scorm.Item
	items = func(ns []*Node) []*scorm.Item {
		var out []*scorm.Item
		for _, n := range ns {
			it := &scorm.Item{Identifier: n.ID, Title: n.Title, Visible: true, Sequencing: n.Def, Children: items(n.Children)}
			if n.Launchable {
				it.Launch = "sco.html"
			}
			out = append(out, it)
		}
		return out
	}
	org.Items = items(p.Children)
	benchNavigation(b, org)
}

// BenchmarkCommitTreeT01b is what persisting the activity tree adds to a
// commit on the largest package of the ADL suite: the stored tree is read
// back onto the built tree, the SCO's data is reported to its activity and
// rolled up, and the tree is encoded to be written in the commit's
// transaction (LECTERN_TEST_ADL_CTS must name the suite). It reports the
// p50 and p99 and the size of the stored tree.
func BenchmarkCommitTreeT01b(b *testing.B) {
	dir := os.Getenv("LECTERN_TEST_ADL_CTS")
	if dir == "" {
		b.Skip("set LECTERN_TEST_ADL_CTS to the ADL conformance suite")
	}
	data, err := os.ReadFile(filepath.Join(dir, "packages", "T-01b", "imsmanifest.xml"))
	if err != nil {
		b.Fatal(err)
	}
	p, err := scorm.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	tr, _ := Build(p.DefaultOrg, 1)
	tr.BeginSession()
	if _, err := tr.Navigate("", tr.OpeningRequest()); err != nil {
		b.Fatal(err)
	}
	cur := tr.Current().ID
	state, err := json.Marshal(tr)
	if err != nil {
		b.Fatal(err)
	}
	score := 0.8
	times := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		t, _ := Build(p.DefaultOrg, 1)
		if err := json.Unmarshal(state, t); err != nil {
			b.Fatal(err)
		}
		if err := t.Report(cur, Report{Completion: "incomplete", Success: "passed", ScoreScaled: &score}); err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(t); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(times)
	b.ReportMetric(float64(times[len(times)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(times[len(times)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(len(state)), "tree-bytes")
}
