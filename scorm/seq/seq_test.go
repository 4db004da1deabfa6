package seq

import (
	"errors"
	"testing"
)

func TestPrerequisites(t *testing.T) {
	status := map[string]string{"a": "passed", "b": "completed", "c": "incomplete", "d": "failed", "e": "browsed"}
	st := func(id string) string { return status[id] }
	tests := []struct {
		expr string
		want bool
	}{
		{"", true},
		{"a", true},
		{"c", false},
		{"a & b", true},
		{"a&c", false},
		{"a | c", true},
		{"~c", true},
		{"~a", false},
		{"a AND b", true},
		{"(a and c) OR b", true},
		{"(a AND c) OR NOT b", false},
		{"2*{a,b,c}", true},
		{"3*{a,b,c}", false},
		{`c = "incomplete"`, true},
		{`c <> "incomplete"`, false},
		{`d = "f"`, true},
		{"e", false}, // browsed does not satisfy
		{"unknown", false},
		{"mm-ITEM-x1 & mm-ITEM-x2", false},
	}
	for _, tt := range tests {
		p, err := ParsePrerequisite(tt.expr)
		if err != nil {
			t.Errorf("ParsePrerequisite(%q): %v", tt.expr, err)
			continue
		}
		if got := p.Satisfied(st); got != tt.want {
			t.Errorf("%q satisfied = %v, want %v", tt.expr, got, tt.want)
		}
	}
	for _, bad := range []string{"a &", "(a | b", "a b", "2*{a,b", "a = ", "& a", ")"} {
		if _, err := ParsePrerequisite(bad); err == nil {
			t.Errorf("ParsePrerequisite(%q) accepted a malformed expression", bad)
		}
	}
}

func tree() []*Activity {
	p, _ := ParsePrerequisite("m1")
	return []*Activity{
		{ID: "m1", Launchable: true, Visible: true},
		{ID: "unit", Visible: true, Children: []*Activity{
			{ID: "m2", Launchable: true, Visible: true, Prerequisites: p},
			{ID: "m3", Launchable: true, Visible: false},
		}},
	}
}

func TestFlow(t *testing.T) {
	status := map[string]Status{}
	f := NewFlow(tree(), func(id string) Status { return status[id] })

	d, err := f.Navigate("", Request{Kind: Start})
	if err != nil || d.Deliver != "m1" {
		t.Fatalf("start: %+v %v, want m1", d, err)
	}
	// m2 needs m1: continue skips it while m1 is incomplete.
	if d, _ := f.Navigate("m1", Request{Kind: Continue}); d.Deliver != "m3" {
		t.Errorf("continue with m1 incomplete: %+v, want m3", d)
	}
	if _, err := f.Navigate("m1", Request{Kind: Choice, Target: "m2"}); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("choice of m2 before m1: %v, want ErrNotAllowed", err)
	}
	if v := f.Valid("m1"); v.Choice["m2"] || !v.Choice["m3"] || v.Previous || !v.Continue {
		t.Errorf("valid at m1: %+v", v)
	}
	status["m1"] = Status{Completion: "completed"}
	if d, _ := f.Navigate("m1", Request{Kind: Continue}); d.Deliver != "m2" {
		t.Errorf("continue with m1 completed: %+v, want m2", d)
	}
	if d, _ := f.Navigate("m2", Request{Kind: Previous}); d.Deliver != "m1" {
		t.Errorf("previous from m2: %+v, want m1", d)
	}
	if d, _ := f.Navigate("m3", Request{Kind: Continue}); !d.End {
		t.Errorf("continue past the end: %+v, want End", d)
	}
	if d, _ := f.Navigate("", Request{Kind: Choice, Target: "unit"}); d.Deliver != "m2" {
		t.Errorf("choice of a cluster: %+v, want its first child", d)
	}
	if d, _ := f.Navigate("", Request{Kind: Start}); d.Deliver != "m2" {
		t.Errorf("start with m1 completed: %+v, want first not completed (m2)", d)
	}
	if d, _ := f.Navigate("m3", Request{Kind: ResumeAll}); d.Deliver != "m3" {
		t.Errorf("resume at m3: %+v", d)
	}
	if d, _ := f.Navigate("m3", Request{Kind: SuspendAll}); !d.End || !d.Suspend {
		t.Errorf("suspendAll: %+v", d)
	}
	if _, err := f.Navigate("m3", Request{Kind: "teleport"}); err == nil {
		t.Error("unknown request accepted")
	}
}

func FuzzPrerequisite(f *testing.F) {
	for _, s := range []string{"a & b", "(a|b)&~c", "2*{a,b,c}", `a = "passed"`, "a AND (b OR c)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePrerequisite(s)
		if err != nil {
			return
		}
		p.Satisfied(func(string) string { return "passed" })
		p.Identifiers()
	})
}
