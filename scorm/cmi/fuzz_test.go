package cmi

import (
	"maps"
	"strconv"
	"strings"
	"testing"
)

// fuzzBase is a state with records of every kind, so that fuzzed names
// reach deep into interactions, objectives and shared data.
func fuzzBase(t testing.TB, v Version) *State {
	s := newState(t, v, Init{SharedData: []SharedData{{ID: "d", Readable: true, Writable: true}}, SuspendDataMax: 100})
	var kv []string
	if v == V2004 {
		for i, typ := range []string{"true-false", "choice", "fill-in", "long-fill-in", "likert", "matching",
			"performance", "sequencing", "numeric", "other"} {
			p := "cmi.interactions." + strconv.Itoa(i) + "."
			kv = append(kv, p+"id", "q"+strconv.Itoa(i), p+"type", typ)
		}
		kv = append(kv, "cmi.interactions.1.correct_responses.0.pattern", "a[,]b", "cmi.objectives.0.id", "o0",
			"cmi.comments_from_learner.0.comment", "hi")
	} else {
		kv = append(kv, "cmi.interactions.0.id", "q0", "cmi.objectives.0.id", "o0")
	}
	var changes []Change
	for i := 0; i < len(kv); i += 2 {
		changes = append(changes, Change{kv[i], kv[i+1]})
	}
	if err := s.Apply(changes); err != nil {
		t.Fatalf("fuzz base: %v", err)
	}
	return s
}

func FuzzSetValue(f *testing.F) {
	for _, v := range []Version{V12, V2004} {
		for _, el := range modelFor(v).Elements {
			for _, idx := range []string{"0", "1", "2"} {
				name := strings.ReplaceAll(el.Name, ".n.", "."+idx+".")
				name = strings.ReplaceAll(name, "{target=ID}", "{target=x}")
				f.Add(v == V12, name, "")
				f.Add(v == V12, name, "1")
				f.Add(v == V12, name, "a[,]b")
			}
		}
	}
	for _, s := range []string{"true", "0.5", "PT1M", "00:01:00", "{lang=en}x", "1[.]a[,]2[.]b", "{case_matters=true}x",
		"s[.]1[:]2", "urn:a:b", "2024-01-01T00:00:00.5Z", "suspend", "{target=x}choice", "passed"} {
		f.Add(false, "cmi.interactions.1.learner_response", s)
		f.Add(false, "cmi.location", s)
	}
	f.Add(false, "cmi.interactions.0.type", "choice")
	f.Add(false, "cmi.objectives._count", "1")
	f.Add(true, "cmi.core._children", "x")

	bases := map[Version]*State{V12: fuzzBase(f, V12), V2004: fuzzBase(f, V2004)}
	f.Fuzz(func(t *testing.T, v12 bool, name, value string) {
		v := V2004
		if v12 {
			v = V12
		}
		base := bases[v]
		s := base.Clone()
		rt := NewRuntime(s)
		rt.Initialize("")
		before := s.Clone()

		ok := rt.SetValue(name, value) == "true"
		code := rt.GetLastError()
		if ok != (code == "0") {
			t.Fatalf("SetValue(%q, %q) returned %v with error %s", name, value, ok, code)
		}
		if !ok {
			if !maps.Equal(s.Values, before.Values) || !maps.Equal(s.Counts, before.Counts) {
				t.Fatalf("refused SetValue(%q, %q) (error %s) changed the state", name, value, code)
			}
		} else {
			r, _ := s.model().resolve(name)
			// An empty shared store reads as never written (403).
			if r.el.Access != WO && r.el.Evaluate == "" && (r.el.Source != "shared" || value != "") {
				if got := rt.GetValue(name); got != value || rt.GetLastError() != "0" {
					t.Fatalf("GetValue(%q) after SetValue(%q) = %q, error %s", name, value, got, rt.GetLastError())
				}
			}
		}
		// GetValue of anything must not panic and must follow the error
		// convention: "" whenever there is an error.
		if got := rt.GetValue(name); rt.GetLastError() != "0" && got != "" {
			t.Fatalf("GetValue(%q) = %q with error %s", name, got, rt.GetLastError())
		}
		checkInvariants(t, s)

		// The server, applying what the browser sent, ends up with the same
		// state.
		server := base.Clone()
		if err := server.Apply(rt.Pending()); err != nil {
			t.Fatalf("server refused what the runtime accepted: %v", err)
		}
		if !maps.Equal(server.Values, s.Values) || !maps.Equal(server.Counts, s.Counts) {
			t.Fatalf("server and runtime states differ after SetValue(%q, %q)", name, value)
		}
	})
}

// checkInvariants verifies that every stored value lies inside existing
// records and that counts are positive.
func checkInvariants(t *testing.T, s *State) {
	t.Helper()
	m := s.model()
	for k, c := range s.Counts {
		if c <= 0 {
			t.Fatalf("count %s = %d", k, c)
		}
	}
	for k := range s.Values {
		r, ok := m.resolve(k)
		if !ok {
			t.Fatalf("stored value for %q, which is not an element", k)
		}
		for l := range r.idx {
			if coll := k[:r.cut[l]]; r.idx[l] >= s.Counts[coll] {
				t.Fatalf("stored %q outside %s (count %d)", k, coll, s.Counts[coll])
			}
		}
	}
}

func TestInvariantsAfterVectors(t *testing.T) {
	// The vectors drive the states through every rule; each must end
	// consistent.
	for _, vc := range loadVectors(t) {
		s, err := NewState(vc.Version, vc.Init, nil)
		if err != nil {
			t.Fatal(err)
		}
		rt := NewRuntime(s)
		for _, c := range vc.Calls {
			if c.Call != "_relaunch" {
				rt.Call(c.Call, c.Args...)
			}
		}
		checkInvariants(t, s)
	}
}
