package cts

import (
	_ "embed"
	"encoding/json"
	"strings"
	"sync"

	"golang.org/x/text/language"
)

//go:embed driver.js
var driverJS string

// driverConfig is what driver.js receives as CTS_CONFIG.
type driverConfig struct {
	Run       string            `json:"run"` // unique per run: the localStorage key
	TC        string            `json:"tc"`
	LearnerID string            `json:"learnerId"`
	Grace     bool              `json:"grace"` // the start chooses an item: tolerate the LMS's own first launch
	ISO3      map[string]string `json:"iso3"`
	Visits    []driverVisit     `json:"visits"`
}

type driverVisit struct {
	Act      string          `json:"act"`
	UIQ      string          `json:"uiq,omitempty"` // question texts joined with ~
	UIA      string          `json:"uia,omitempty"`
	Text     string          `json:"text,omitempty"`
	Grace    bool            `json:"grace,omitempty"` // after this visit the tester relaunches and chooses
	Commands []driverCommand `json:"commands"`
}

type driverCommand struct {
	M   string   `json:"m"`
	E   string   `json:"e"`
	V   string   `json:"v"`
	A   string   `json:"a"`
	X   string   `json:"x"`
	R   string   `json:"r"`
	H   string   `json:"h,omitempty"`
	IDs []string `json:"ids,omitempty"`
	L   int      `json:"l"`
}

// DriverScript returns the script injected into every frame for one run of
// tc as the learner with the given id.
func DriverScript(tc *TestCase, run, learnerID string) (string, error) {
	cfg := driverConfig{
		Run: run, TC: tc.ID, LearnerID: learnerID, ISO3: iso3(),
		Grace: tc.Start() != "." && tc.ID != "DDM",
	}
	for _, v := range tc.Visits {
		dv := driverVisit{Act: v.Act, UIA: v.UIA, Text: v.Text, Commands: []driverCommand{}}
		var qs []string
		for _, q := range v.UIQ {
			qs = append(qs, q.Text)
		}
		dv.UIQ = strings.Join(qs, "~")
		if steps, err := Plan(v.CUI); err == nil && choosesAfterLaunch(steps) {
			dv.Grace = true
		}
		for _, c := range v.Commands {
			dv.Commands = append(dv.Commands, driverCommand{
				M: c.Method, E: c.Element, V: c.Value, A: c.Arg, X: c.Expect, R: c.Error, H: c.Hint, IDs: c.IDs, L: c.Line,
			})
		}
		cfg.Visits = append(cfg.Visits, dv)
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		return "", err
	}
	// The configuration goes in as a string literal: only a test SCO page
	// parses it, the LMS pages only scan it.
	lit, err := json.Marshal(string(b))
	if err != nil {
		return "", err
	}
	return strings.Replace(driverJS, "})(CTS_CONFIG);", "})("+string(lit)+");", 1), nil
}

var iso3Once = sync.OnceValue(func() map[string]string {
	// ISO 639-2 codes (terminology and bibliographic) of languages that have
	// an ISO 639-1 code, for learner_preference.language (FORMAT.md §2.7).
	m := map[string]string{}
	var b [3]byte
	for b[0] = 'a'; b[0] <= 'z'; b[0]++ {
		for b[1] = 'a'; b[1] <= 'z'; b[1]++ {
			for b[2] = 'a'; b[2] <= 'z'; b[2]++ {
				base, err := language.ParseBase(string(b[:]))
				if err != nil {
					continue
				}
				if s := base.String(); len(s) == 2 {
					m[string(b[:])] = s
				}
			}
		}
	}
	// Bibliographic codes that differ from the terminology ones.
	for b, t := range map[string]string{
		"alb": "sq", "arm": "hy", "baq": "eu", "bur": "my", "chi": "zh", "cze": "cs", "dut": "nl", "fre": "fr", "geo": "ka", "ger": "de",
		"gre": "el", "ice": "is", "mac": "mk", "mao": "mi", "may": "ms", "per": "fa", "rum": "ro", "slo": "sk", "tib": "bo", "wel": "cy",
	} {
		m[b] = t
	}
	return m
})

func iso3() map[string]string { return iso3Once() }
