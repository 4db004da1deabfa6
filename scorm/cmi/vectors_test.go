package cmi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// The shared test vectors run here against Runtime and, later, in Chromium
// against the JavaScript shim. Their format is described in doc.go.

type vectorCase struct {
	Name    string            `json:"name"`
	Version Version           `json:"version"`
	Init    Init              `json:"init"`
	Nav     map[string]string `json:"nav,omitempty"`
	Tags    []string          `json:"tags,omitempty"`
	Calls   []vectorCall      `json:"calls"`
}

type vectorCall struct {
	Call string   `json:"call"`
	Args []string `json:"args,omitempty"`
	Ret  *string  `json:"ret,omitempty"`
	Err  *string  `json:"err,omitempty"`
	// Init replaces the case's Init from a _relaunch on.
	Init *Init `json:"init,omitempty"`
}

// mapNav answers adl.nav.request_valid.* from a table keyed "continue",
// "previous", "choice:<target>" or "jump:<target>".
type mapNav map[string]string

func (m mapNav) RequestValid(request, target string) string {
	key := request
	if target != "" {
		key += ":" + target
	}
	if v, ok := m[key]; ok {
		return v
	}
	return "unknown"
}

func loadVectors(t testing.TB) []vectorCase {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "cmi", "vectors.json"))
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	var cases []vectorCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatalf("parse vectors: %v", err)
	}
	return cases
}

func TestVectors(t *testing.T) {
	cases := loadVectors(t)
	names := map[string]bool{}
	calls := 0
	for _, vc := range cases {
		if names[vc.Name] {
			t.Errorf("duplicate vector name %q", vc.Name)
		}
		names[vc.Name] = true
		calls += len(vc.Calls)
		t.Run(vc.Name, func(t *testing.T) {
			init := vc.Init
			s, err := NewState(vc.Version, init, nil)
			if err != nil {
				t.Fatalf("NewState: %v", err)
			}
			rt := NewRuntime(s)
			rt.Nav = mapNav(vc.Nav)
			for i, c := range vc.Calls {
				if c.Call == "_relaunch" {
					// What the LMS does between two launches of the SCO.
					if c.Init != nil {
						init = *c.Init
					}
					rt.State.EndSession()
					s, err := NewState(vc.Version, init, rt.State)
					if err != nil {
						t.Fatalf("call %d: _relaunch: NewState: %v", i, err)
					}
					rt = NewRuntime(s)
					rt.Nav = mapNav(vc.Nav)
					continue
				}
				got := rt.Call(c.Call, c.Args...)
				gotErr := rt.GetLastError()
				if c.Ret != nil && got != *c.Ret {
					t.Errorf("call %d: %s(%q) = %q, want %q (error %s: %s)",
						i, c.Call, c.Args, got, *c.Ret, gotErr, rt.GetDiagnostic(""))
				}
				if c.Err != nil && gotErr != *c.Err {
					t.Errorf("call %d: %s(%q): error %s (%s), want %s",
						i, c.Call, c.Args, gotErr, rt.GetDiagnostic(""), *c.Err)
				}
			}
		})
	}
	t.Logf("%d vectors, %d calls", len(cases), calls)
}
