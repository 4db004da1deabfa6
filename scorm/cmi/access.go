package cmi

import (
	"strconv"
	"strings"
)

// Navigator answers adl.nav.request_valid.* for the SCO. The LMS's
// sequencer implements it; without one every answer is "unknown".
type Navigator interface {
	// RequestValid reports whether a navigation request would be honoured
	// now: request is "continue", "previous", "choice" or "jump", target the
	// activity identifier for choice and jump. It answers "true", "false" or
	// "unknown".
	RequestValid(request, target string) string
}

// GetValue is the data-model half of the API's GetValue: it returns the
// value of an element, or the error the SCO must see. Call-state rules are
// Runtime's.
func (s *State) GetValue(name string, nav Navigator) (string, int, string) {
	if err := s.ready(); err != nil {
		return "", CodeGeneralException, err.Error()
	}
	v, err := s.get(name, nav)
	if err != nil {
		return "", kindCodes[s.Version][err.kind], err.diag
	}
	return v, 0, ""
}

// SetValue is the data-model half of the API's SetValue. It returns 0 or the
// error code, and a diagnostic.
func (s *State) SetValue(name, value string) (int, string) {
	if err := s.ready(); err != nil {
		return CodeGeneralException, err.Error()
	}
	if err := s.set(name, value); err != nil {
		return kindCodes[s.Version][err.kind], err.diag
	}
	return 0, ""
}

// keyword handles names ending in _children, _count or _version. handled is
// false for any other name.
func (s *State) keyword(name string, set bool) (value string, err *dmError, handled bool) {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return "", nil, false
	}
	kw, parent := name[i+1:], name[:i]
	if kw != "_children" && kw != "_count" && kw != "_version" {
		return "", nil, false
	}
	m := s.model()
	tmpl, idx, cut, ok := normalize(parent)
	if !ok || !m.known(tmpl) {
		return "", fail(kUndefined, "%s is not a data model element", parent), true
	}
	if set {
		return "", fail(kKeywordSet, "%s is a keyword and read only", name), true
	}
	switch kw {
	case "_version":
		if parent == "cmi" {
			return m.DataModelVersion, nil, true
		}
		return "", fail(kNoVersion, "only cmi has _version"), true
	case "_children":
		if m.Containers[tmpl] == "" {
			return "", fail(kNoChildren, "%s does not have _children", parent), true
		}
	case "_count":
		if !m.isCollection(tmpl) {
			return "", fail(kNoCount, "%s is not a collection and has no _count", parent), true
		}
	}
	for l := range idx {
		if coll := parent[:cut[l]]; idx[l] >= s.Counts[coll] {
			return "", fail(kGetIndex, "%s has %d records, there is no index %s", coll, s.Counts[coll], indexAt(parent, cut[l])), true
		}
	}
	if kw == "_count" {
		return strconv.Itoa(s.Counts[parent]), nil, true
	}
	return m.Containers[tmpl], nil, true
}

func (s *State) get(name string, nav Navigator) (string, *dmError) {
	if name == "" {
		return "", fail(kGetEmpty, "the element name is empty")
	}
	if v, err, ok := s.keyword(name, false); ok {
		return v, err
	}
	r, ok := s.model().resolve(name)
	if !ok {
		return "", fail(kUndefined, "%s is not a data model element", name)
	}
	el := r.el
	if el.Access == WO {
		return "", fail(kWriteOnly, "%s is write only", name)
	}
	for l := range r.idx {
		if coll := name[:r.cut[l]]; r.idx[l] >= s.Counts[coll] {
			return "", fail(kGetIndex, "%s has %d records, there is no index %s", coll, s.Counts[coll], indexAt(name, r.cut[l]))
		}
	}
	switch el.Source {
	case "nav":
		if nav == nil {
			return "unknown", nil
		}
		req := strings.TrimPrefix(el.Name, "adl.nav.request_valid.")
		req, _, _ = strings.Cut(req, ".")
		return nav.RequestValid(req, r.target), nil
	case "shared":
		if i := r.idx[0]; i >= len(s.Shared) || !s.Shared[i].Readable {
			return "", fail(kWriteOnly, "adl.data.%d is not readable by this SCO (readSharedData=false)", i)
		}
		// An empty store is one never written (ADL: SetValue "" then
		// GetValue answers 403).
		if s.Values[name] == "" {
			return "", fail(kNotInitialized, "%s has no value yet", name)
		}
	}
	switch el.Evaluate {
	case "completion":
		return s.completionStatus(), nil
	case "success":
		return s.successStatus(), nil
	}
	if v, ok := s.Values[name]; ok {
		return v, nil
	}
	if el.Default != nil {
		return *el.Default, nil
	}
	return "", fail(kNotInitialized, "%s has no value yet", name)
}

// completionStatus evaluates cmi.completion_status (SCORM 2004 RTE 4.2.4.1):
// with a completion_threshold the LMS decides from progress_measure, and
// answers "unknown" while there is none; without, the SCO's value stands.
func (s *State) completionStatus() string {
	if th, ok := s.Values["cmi.completion_threshold"]; ok {
		pm, ok := s.Values["cmi.progress_measure"]
		if !ok {
			return "unknown"
		}
		if atof(pm) >= atof(th) {
			return "completed"
		}
		return "incomplete"
	}
	return s.get1("cmi.completion_status")
}

// successStatus evaluates cmi.success_status (RTE 4.2.22.1): with a
// scaled_passing_score the LMS decides from score.scaled ("unknown" while
// there is none); without, the SCO's value stands.
func (s *State) successStatus() string {
	if sps, ok := s.Values["cmi.scaled_passing_score"]; ok {
		sc, ok := s.Values["cmi.score.scaled"]
		if !ok {
			return "unknown"
		}
		if atof(sc) >= atof(sps) {
			return "passed"
		}
		return "failed"
	}
	return s.get1("cmi.success_status")
}

func atof(s string) float64 {
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func (s *State) set(name, value string) *dmError {
	if name == "" {
		return fail(kSetEmpty, "the element name is empty")
	}
	if _, err, ok := s.keyword(name, true); ok {
		return err
	}
	m := s.model()
	r, ok := m.resolve(name)
	if !ok {
		return fail(kUndefined, "%s is not a data model element", name)
	}
	el := r.el
	if el.Access == RO {
		return fail(kReadOnly, "%s is read only", name)
	}
	// Records are appended in order: index == _count creates one.
	last := len(r.idx) - 1
	create := -1 // first level whose record this SetValue creates
	for l := range r.idx {
		coll := name[:r.cut[l]]
		n := s.Counts[coll]
		if create >= 0 {
			n = 0 // inside a record created by this call
		}
		switch {
		case r.idx[l] > n || (m.fixed[coll] && r.idx[l] >= n):
			return fail(kSetIndex, "%s has %d records: index %s is out of order (the next one is %d)", coll, n, indexAt(name, r.cut[l]), n)
		case r.idx[l] == n:
			if s.Version == V2004 && (l < last || !el.Key) {
				return fail(kDependency, "%s.%d does not exist: set its identifier first", coll, r.idx[l])
			}
			if create < 0 {
				create = l
			}
		}
	}
	if el.DependsOn != "" {
		dep := instantiate(el.DependsOn, r.idx)
		if _, ok := s.Values[dep]; !ok {
			return fail(kDependency, "%s must be set before %s", dep, name)
		}
	}
	if el.Source == "shared" {
		if i := r.idx[0]; i >= len(s.Shared) || !s.Shared[i].Writable {
			return fail(kReadOnly, "adl.data.%d is not writable by this SCO (writeSharedData=false)", i)
		}
	}
	var format *InteractionFormat
	if el.Type == "pattern" || el.Type == "response" {
		format = m.Interactions[s.Values[interactionPrefix(r)+"type"]]
		if format == nil {
			return fail(kDependency, "the interaction has no valid type")
		}
		if create == last && format.MaxPatterns > 0 && r.idx[last] >= format.MaxPatterns {
			return fail(kSetFailure, "a %s interaction has at most %d correct response(s)",
				s.Values[interactionPrefix(r)+"type"], format.MaxPatterns)
		}
	}
	if err := s.check(r, value); err != nil {
		return err
	}
	if el.WriteOnce {
		if cur, ok := s.Values[name]; ok && cur != value {
			return fail(kSetFailure, "%s is already %q and cannot change", name, clip(cur))
		}
	}
	if el.Unique || (format != nil && el.Type == "pattern" && format.UniquePatterns != "") {
		coll := name[:r.cut[last]]
		suffix := name[strings.IndexByte(name[r.cut[last]+1:], '.')+r.cut[last]+1:]
		for j := range s.Counts[coll] {
			if j == r.idx[last] {
				continue
			}
			other, ok := s.Values[coll+"."+strconv.Itoa(j)+suffix]
			if !ok {
				continue
			}
			if (el.Unique && other == value) || (format != nil && samePattern(format.UniquePatterns, other, value)) {
				return fail(kSetFailure, "%s.%d already has this value; values must be unique", coll, j)
			}
		}
	}
	// Apply.
	if create >= 0 {
		for l := create; l <= last; l++ {
			coll := name[:r.cut[l]]
			s.setCount(coll, s.Counts[coll]+1)
		}
	}
	if len(el.Clears) > 0 {
		if old, ok := s.Values[name]; ok && old != value {
			for _, c := range el.Clears {
				p := instantiate(c, r.idx)
				if m.isCollection(c) {
					s.clearCollection(p)
				} else {
					s.delValue(p)
				}
			}
		}
	}
	s.putValue(name, value)
	return nil
}

// indexAt is the index segment after the dot at cut, as the SCO wrote it
// ("01", not the out-of-range index it stands for).
func indexAt(name string, cut int) string {
	seg, _, _ := strings.Cut(name[cut+1:], ".")
	return seg
}

// interactionPrefix is "cmi.interactions.<i>." for an element inside an
// interaction record.
func interactionPrefix(r ref) string {
	return "cmi.interactions." + strconv.Itoa(r.idx[0]) + "."
}

// check validates a value for an element (type, range, length, interaction
// format). It does not look at access, indices or dependencies.
func (s *State) check(r ref, value string) *dmError {
	el := r.el
	switch el.Type {
	case "pattern", "response":
		f := s.model().Interactions[s.Values[interactionPrefix(r)+"type"]]
		if f == nil {
			return fail(kDependency, "the interaction has no valid type")
		}
		if el.Type == "pattern" {
			return s.model().checkResponse(&f.Pattern, value)
		}
		return s.model().checkResponse(&f.Response, value)
	}
	maxLen := el.MaxLen
	if el.MaxLenOf == "suspendData" {
		maxLen = s.SuspendDataMax
	}
	return checkValue(el.typ, value, el.Min, el.Max, maxLen)
}
