package cts

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lectern/lectern/internal/browser"
)

// TestDriverJudge runs driver.js's judging (FORMAT.md §2.7) in Chromium on
// a table of returned values.
func TestDriverJudge(t *testing.T) {
	ctx := browser.New(t, time.Minute)
	script, err := DriverScript(&TestCase{ID: "X", Header: map[string]string{"start": "."}}, "judge", "42")
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](script)); err != nil {
		t.Fatal(err)
	}
	type cmd struct {
		M string `json:"m"`
		X string `json:"x"`
		R string `json:"r"`
	}
	cases := []struct {
		method, elem, want, got string
		pass                    bool
		hint, id                string
		err                     string // returned error code; default "0"
		wantErr                 string // the error code the command expects; default err
	}{
		{method: "GET", elem: "cmi.score.scaled", want: "0.5", got: "0.50", pass: true},
		{method: "GET", elem: "cmi.score.scaled", want: "0.5", got: ".5", pass: true},
		{method: "GET", elem: "cmi.objectives.3.score.raw", want: "0.5", got: "0.5000001", pass: true},
		{method: "GET", elem: "cmi.score.scaled", want: "0.5", got: "0.51"},
		{method: "GET", elem: "cmi.score.scaled", want: "0", got: ""},
		{method: "GET", elem: "cmi.total_time", want: "PT0H0M0S", got: "PT0S", pass: true},
		{method: "GET", elem: "cmi.total_time", want: "PT0H0M0S", got: "P0D", pass: true},
		{method: "GET", elem: "cmi.total_time", want: "PT3M", got: "PT180S", pass: true},
		{method: "GET", elem: "cmi.total_time", want: "P29D", got: "P0Y029DT0H", pass: true},
		{method: "GET", elem: "cmi.total_time", want: "PT2H20S", got: "PT2H0M20.00S", pass: true},
		{method: "GET", elem: "cmi.total_time", want: "PT1M", got: "PT2M"},
		{method: "GET", elem: "cmi.interactions.0.timestamp", want: "2003-07-25T09:45:58.55-03:00", got: "2003-07-25T12:45:58.55Z", pass: true},
		{method: "GET", elem: "cmi.interactions.0.timestamp", want: "2004", got: "2004-01-01T00:00:00", pass: true},
		{method: "GET", elem: "cmi.interactions.0.timestamp", want: "2004", got: "2004-01-01T00:00:01"},
		{method: "GET", elem: "cmi._children", want: "a,b,c", got: "c,a,b", pass: true},
		{method: "GET", elem: "cmi._children", want: "a,b,c", got: "a,b"},
		{method: "GET", elem: "cmi.comments_from_learner.0.comment", want: "abc", got: "{lang=en}abc", pass: true},
		{method: "GET", elem: "cmi.comments_from_learner.0.comment", want: "abc", got: "{lang=fr}abc"},
		{method: "GET", elem: "cmi.comments_from_learner.0.comment", want: "", got: "{lang=en}", pass: true},
		{method: "GET", elem: "cmi.learner_preference.language", want: "ind", got: "ID", pass: true},
		{method: "GET", elem: "cmi.learner_preference.language", want: "fre", got: "fr", pass: true},
		{method: "GET", elem: "cmi.learner_preference.language", want: "en-US", got: "eng-us", pass: true},
		{method: "GET", elem: "cmi.learner_preference.language", want: "fr", got: "de"},
		{method: "GET", elem: "cmi.interactions.1.learner_response", hint: "choice", want: "a[,]b", got: "b[,]a", pass: true},
		{method: "GET", elem: "cmi.interactions.1.learner_response", want: "a[,]b", got: "b[,]a"},
		{method: "GET", elem: "cmi.interactions.1.correct_responses.0.pattern", hint: "fill-in", want: "Abc", got: "abc", pass: true},
		{method: "GET", elem: "cmi.interactions.1.correct_responses.0.pattern", hint: "fill-in", want: "{case_matters=true}Abc", got: "{case_matters=true}abc"},
		{method: "GET", elem: "cmi.interactions.1.correct_responses.0.pattern", hint: "fill-in", want: "{order_matters=false}a[,]b", got: "{order_matters=false}b[,]a", pass: true},
		{method: "GET", elem: "cmi.interactions.1.correct_responses.0.pattern", hint: "fill-in", want: "{order_matters=false}a[,]b", got: "b[,]a"},
		{method: "GET", elem: "cmi.interactions.1.correct_responses.0.pattern", hint: "long-fill-in", want: "{case_matters=false}{lang=en-US}z", got: "{lang=en-US}z", pass: true},
		{method: "GET", elem: "cmi.interactions.1.correct_responses.0.pattern", hint: "long-fill-in", want: "{lang=fr}z", got: "z"},
		{method: "GET", elem: "cmi.interactions.1.correct_responses.0.pattern", hint: "long-fill-in", want: "{case_matters=true}{lang=eng}z", got: "{lang=en}{case_matters=true}z", pass: true},
		{method: "GET", elem: "cmi.interactions.1.correct_responses.0.pattern", hint: "long-fill-in", want: "{case_matters=true}z", got: "Z"},
		{method: "GET", elem: "cmi.interactions.1.correct_responses.0.pattern", hint: "numeric", want: "1[:]2", got: "1.0[:]2.00", pass: true},
		{method: "GET", elem: "cmi.interactions.1.correct_responses.0.pattern", hint: "numeric", want: "[:]2", got: "[:]2", pass: true},
		{method: "GET", elem: "cmi.interactions.1.correct_responses.0.pattern", hint: "matching", want: "a[.]b[,]c[.]d", got: "c[.]d[,]a[.]b"},
		{method: "GET", elem: "cmi.interactions.1.correct_responses.0.pattern", hint: "performance", want: "{order_matters=false}a[.]1[,]b[.]2", got: "{order_matters=false}b[.]2[,]a[.]1", pass: true},
		{method: "GET", elem: "cmi.interactions.1.result", want: "1.5", got: "1.50", pass: true},
		{method: "GET", elem: "cmi.location", want: "x", got: "x", err: "403", wantErr: "0"},
		{method: "GET", elem: "cmi.learner_name", want: "whatever", got: "Learner Two", pass: true},
		{method: "GET", elem: "cmi.learner_id", want: "m", got: "42", pass: true},
		{method: "GET", elem: "cmi.learner_id", want: "m", got: "m"},
		{method: "GET", elem: "adl.nav.request_valid.choice.{target=a}", want: "true", got: "unknown", pass: true, err: "301"},
		{method: "GET", elem: "adl.nav.request_valid.choice.{target=a}", want: "true", got: ""},
		{method: "GET", elem: "adl.nav.request_valid.continue", want: "true", got: "false", pass: true},
		{method: "GET", elem: "cmi.comments_from_lms.0.comment", want: "x", got: "", pass: true, err: "403"},
		{method: "GET", elem: "cmi.comments_from_lms", want: "", got: "", pass: true, err: "401"},
		{method: "GET", elem: "cmi.objectives._count", want: "1", got: "01"},
		{method: "GET", elem: "cmi.objectives.2.id", want: "", got: "obj1", id: "obj1", pass: true},
		{method: "GET", elem: "cmi.objectives.2.id", want: "", got: "obj2", id: "obj1"},
		{method: "GES", want: "less255", got: "No error", pass: true},
		{method: "GES", want: "emptyCS", got: "x"},
		{method: "GeDi", want: "emptyCS", got: "some diagnostic", pass: true},
		{method: "I", want: "true", got: "True"},
		{method: "SET", want: "false", got: "false", pass: true, err: "406"},
	}
	for _, c := range cases {
		e := c.err
		if e == "" {
			e = "0"
		}
		we := c.wantErr
		if we == "" {
			we = e
		}
		b, _ := json.Marshal(cmd{M: c.method, X: c.want, R: we})
		id := "undefined"
		if c.id != "" {
			id = fmt.Sprintf("%q", c.id)
		}
		expr := fmt.Sprintf("window.__ctsJudge.judge(%s, %q, %q, %q, %s, %q)", b, c.elem, c.got, e, id, c.hint)
		why, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if (why == "") != c.pass {
			t.Errorf("%s %s: want %q, got %q (hint %q): pass %v, want %v (%s)", c.method, c.elem, c.want, c.got, c.hint, why == "", c.pass, why)
		}
	}
}
