package cmi

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Access is what a SCO may do with an element.
type Access string

const (
	RO Access = "ro"
	WO Access = "wo"
	RW Access = "rw"
)

// Element is one entry of the data-model table. Name is a template in which
// "n" stands for a record index (cmi.interactions.n.correct_responses.n.pattern)
// and "{target=ID}" for a navigation target.
type Element struct {
	Name string `json:"name"`
	// Pattern matches concrete element names; its capture groups are the
	// indices in order (and, for navigation elements, the target).
	Pattern string `json:"pattern"`
	Access  Access `json:"access"`
	// Type names an entry of the schema's types, or "response"/"pattern" for
	// interaction responses whose format depends on the interaction type.
	Type     string   `json:"type"`
	Min      *float64 `json:"min,omitempty"`
	Max      *float64 `json:"max,omitempty"`
	MaxLen   int      `json:"maxLength,omitempty"`
	MaxLenOf string   `json:"maxLengthFrom,omitempty"` // "suspendData": the launch's State.SuspendDataMax
	// Default is the value GetValue returns before anything is set. Without
	// one, GetValue of an unset element fails with 403 in 2004 and returns
	// "" in 1.2.
	Default *string `json:"default,omitempty"`
	// Key elements may append a new record to their collection (index ==
	// _count). In 2004 any other element of a new record fails with 408: a
	// record's identifier must be set first.
	Key bool `json:"key,omitempty"`
	// DependsOn names (with the same indices) an element that must have a
	// value before this one may be set (408), e.g. the interaction type
	// before its learner_response.
	DependsOn string `json:"dependsOn,omitempty"`
	// Unique values may not repeat across the records of the collection (351).
	Unique bool `json:"unique,omitempty"`
	// WriteOnce values may be set again only to the same value (351).
	WriteOnce bool `json:"writeOnce,omitempty"`
	// Clears lists elements or collections (same indices) that are removed
	// when this element changes to a different value: changing an
	// interaction's type drops responses written for the old type.
	Clears []string `json:"clears,omitempty"`
	// Source marks values not kept in the state: "nav" values come from the
	// LMS's navigation callback (default "unknown"); "shared" values are
	// gated by the adl.data record's readable/writable permissions.
	Source string `json:"source,omitempty"`
	// Evaluate marks elements whose GetValue is computed: "completion"
	// (cmi.completion_status vs completion_threshold and progress_measure)
	// and "success" (cmi.success_status vs scaled_passing_score and
	// score.scaled). See doc.go.
	Evaluate string `json:"evaluate,omitempty"`

	typ *Type
	re  *regexp.Regexp
}

// dataModel is the data model of one version: the single definition used by
// the server (State, Runtime) and exported to the browser (Schema).
type dataModel struct {
	Version          Version
	DataModelVersion string
	Types            map[string]*Type
	Elements         []*Element
	// Collections are the arrays (templates) that have _count.
	Collections []string
	// Containers maps every non-leaf path (template) to its _children value;
	// "" means the path exists but does not support _children.
	Containers map[string]string
	// Interactions gives the response formats per interaction type (2004).
	Interactions map[string]*InteractionFormat
	// FixedCollections may not be appended to by the SCO (LMS-defined).
	FixedCollections []string

	byName  map[string]*Element
	targets []*Element
	colls   map[string]bool
	fixed   map[string]bool
}

var (
	modelOnce sync.Once
	models    map[Version]*dataModel
)

// modelFor returns the data model of a version (nil for an unknown version).
func modelFor(v Version) *dataModel {
	modelOnce.Do(func() {
		models = map[Version]*dataModel{V12: build(model12()), V2004: build(model2004())}
	})
	return models[v]
}

func str(s string) *string      { return &s }
func num(f float64) *float64    { return &f }
func strs(s ...string) []string { return s }

func model2004() *dataModel {
	const (
		ia  = "cmi.interactions.n."
		obj = "cmi.objectives.n."
	)
	id := "long_identifier_type"
	return &dataModel{
		Version:          V2004,
		DataModelVersion: "1.0",
		Types:            types2004(),
		Interactions:     interactionFormats(),
		Collections: strs("cmi.comments_from_learner", "cmi.comments_from_lms", "cmi.interactions",
			"cmi.interactions.n.objectives", "cmi.interactions.n.correct_responses", "cmi.objectives", "adl.data"),
		FixedCollections: strs("cmi.comments_from_lms", "adl.data"),
		Containers: map[string]string{
			"cmi.comments_from_learner": "comment,location,timestamp",
			"cmi.comments_from_lms":     "comment,location,timestamp",
			"cmi.interactions":          "id,type,objectives,timestamp,correct_responses,weighting,learner_response,result,latency,description",
			"cmi.learner_preference":    "audio_level,language,delivery_speed,audio_captioning",
			"cmi.objectives":            "id,score,success_status,completion_status,progress_measure,description",
			"cmi.objectives.n.score":    "scaled,raw,min,max",
			"cmi.score":                 "scaled,raw,min,max",
			"adl.data":                  "id,store",
		},
		Elements: []*Element{
			{Name: "cmi.comments_from_learner.n.comment", Access: RW, Type: "localized_string_type", MaxLen: 4000, Key: true},
			{Name: "cmi.comments_from_learner.n.location", Access: RW, Type: "characterstring", MaxLen: 250, Key: true},
			{Name: "cmi.comments_from_learner.n.timestamp", Access: RW, Type: "time", Key: true},
			{Name: "cmi.comments_from_lms.n.comment", Access: RO, Type: "localized_string_type", MaxLen: 4000},
			{Name: "cmi.comments_from_lms.n.location", Access: RO, Type: "characterstring", MaxLen: 250},
			{Name: "cmi.comments_from_lms.n.timestamp", Access: RO, Type: "time"},
			{Name: "cmi.completion_status", Access: RW, Type: "completion_status", Default: str("unknown"), Evaluate: "completion"},
			{Name: "cmi.completion_threshold", Access: RO, Type: "real", Min: num(0), Max: num(1)},
			{Name: "cmi.credit", Access: RO, Type: "credit", Default: str("credit")},
			{Name: "cmi.entry", Access: RO, Type: "entry", Default: str("ab-initio")},
			{Name: "cmi.exit", Access: WO, Type: "exit"},
			{Name: ia + "id", Access: RW, Type: id, Key: true},
			{Name: ia + "type", Access: RW, Type: "interaction_type",
				Clears: strs(ia+"learner_response", ia+"correct_responses")},
			{Name: ia + "objectives.n.id", Access: RW, Type: id, Key: true, Unique: true},
			{Name: ia + "timestamp", Access: RW, Type: "time"},
			{Name: ia + "correct_responses.n.pattern", Access: RW, Type: "pattern", Key: true, DependsOn: ia + "type"},
			{Name: ia + "weighting", Access: RW, Type: "real"},
			{Name: ia + "learner_response", Access: RW, Type: "response", DependsOn: ia + "type"},
			{Name: ia + "result", Access: RW, Type: "result"},
			{Name: ia + "latency", Access: RW, Type: "timeinterval"},
			{Name: ia + "description", Access: RW, Type: "localized_string_type", MaxLen: 250},
			{Name: "cmi.launch_data", Access: RO, Type: "characterstring", MaxLen: 4000},
			{Name: "cmi.learner_id", Access: RO, Type: id},
			{Name: "cmi.learner_name", Access: RO, Type: "localized_string_type", MaxLen: 250},
			{Name: "cmi.learner_preference.audio_level", Access: RW, Type: "real", Min: num(0), Default: str("1")},
			{Name: "cmi.learner_preference.language", Access: RW, Type: "language_preference", Default: str("")},
			{Name: "cmi.learner_preference.delivery_speed", Access: RW, Type: "real", Min: num(0), Default: str("1")},
			{Name: "cmi.learner_preference.audio_captioning", Access: RW, Type: "audio_captioning", Default: str("0")},
			{Name: "cmi.location", Access: RW, Type: "characterstring", MaxLen: 1000},
			{Name: "cmi.max_time_allowed", Access: RO, Type: "timeinterval"},
			{Name: "cmi.mode", Access: RO, Type: "mode", Default: str("normal")},
			{Name: obj + "id", Access: RW, Type: id, Key: true, Unique: true, WriteOnce: true},
			{Name: obj + "score.scaled", Access: RW, Type: "real", Min: num(-1), Max: num(1)},
			{Name: obj + "score.raw", Access: RW, Type: "real"},
			{Name: obj + "score.min", Access: RW, Type: "real"},
			{Name: obj + "score.max", Access: RW, Type: "real"},
			{Name: obj + "success_status", Access: RW, Type: "success_status", Default: str("unknown")},
			{Name: obj + "completion_status", Access: RW, Type: "completion_status", Default: str("unknown")},
			{Name: obj + "progress_measure", Access: RW, Type: "real", Min: num(0), Max: num(1)},
			{Name: obj + "description", Access: RW, Type: "localized_string_type", MaxLen: 250},
			{Name: "cmi.progress_measure", Access: RW, Type: "real", Min: num(0), Max: num(1)},
			{Name: "cmi.scaled_passing_score", Access: RO, Type: "real", Min: num(-1), Max: num(1)},
			{Name: "cmi.score.scaled", Access: RW, Type: "real", Min: num(-1), Max: num(1)},
			{Name: "cmi.score.raw", Access: RW, Type: "real"},
			{Name: "cmi.score.min", Access: RW, Type: "real"},
			{Name: "cmi.score.max", Access: RW, Type: "real"},
			{Name: "cmi.session_time", Access: WO, Type: "timeinterval"},
			{Name: "cmi.success_status", Access: RW, Type: "success_status", Default: str("unknown"), Evaluate: "success"},
			{Name: "cmi.suspend_data", Access: RW, Type: "characterstring", MaxLenOf: "suspendData"},
			{Name: "cmi.time_limit_action", Access: RO, Type: "time_limit_action", Default: str("continue,no message")},
			{Name: "cmi.total_time", Access: RO, Type: "timeinterval", Default: str("PT0H0M0S")},
			{Name: "adl.nav.request", Access: RW, Type: "nav_request", Default: str("_none_")},
			{Name: "adl.nav.request_valid.continue", Access: RO, Type: "nav_valid", Source: "nav"},
			{Name: "adl.nav.request_valid.previous", Access: RO, Type: "nav_valid", Source: "nav"},
			{Name: "adl.nav.request_valid.choice.{target=ID}", Access: RO, Type: "nav_valid", Source: "nav"},
			{Name: "adl.nav.request_valid.jump.{target=ID}", Access: RO, Type: "nav_valid", Source: "nav"},
			{Name: "adl.data.n.id", Access: RO, Type: id},
			{Name: "adl.data.n.store", Access: RW, Type: "characterstring", MaxLen: 64000, Source: "shared"},
		},
	}
}

func model12() *dataModel {
	const (
		ia  = "cmi.interactions.n."
		obj = "cmi.objectives.n."
	)
	score := func(name string) *Element {
		return &Element{Name: name, Access: RW, Type: "CMIDecimalOrBlank", Min: num(0), Max: num(100), Key: true}
	}
	return &dataModel{
		Version:          V12,
		DataModelVersion: "3.4",
		Types:            types12(),
		Collections:      strs("cmi.objectives", "cmi.interactions", "cmi.interactions.n.objectives", "cmi.interactions.n.correct_responses"),
		Containers: map[string]string{
			"cmi.core":               "student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,lesson_mode,exit,session_time",
			"cmi.core.score":         "raw,min,max",
			"cmi.objectives":         "id,score,status",
			"cmi.objectives.n.score": "raw,min,max",
			"cmi.student_data":       "mastery_score,max_time_allowed,time_limit_action",
			"cmi.student_preference": "audio,language,speed,text",
			"cmi.interactions":       "id,objectives,time,type,correct_responses,weighting,student_response,result,latency",
		},
		Elements: []*Element{
			{Name: "cmi.core.student_id", Access: RO, Type: "CMIIdentifier"},
			{Name: "cmi.core.student_name", Access: RO, Type: "CMIString255"},
			{Name: "cmi.core.lesson_location", Access: RW, Type: "CMIString255"},
			{Name: "cmi.core.credit", Access: RO, Type: "CMICredit", Default: str("credit")},
			{Name: "cmi.core.lesson_status", Access: RW, Type: "CMIStatus", Default: str("not attempted")},
			{Name: "cmi.core.entry", Access: RO, Type: "CMIEntry", Default: str("ab-initio")},
			score("cmi.core.score.raw"),
			score("cmi.core.score.min"),
			score("cmi.core.score.max"),
			{Name: "cmi.core.total_time", Access: RO, Type: "CMITimespan", Default: str("0000:00:00.00")},
			{Name: "cmi.core.lesson_mode", Access: RO, Type: "CMIMode", Default: str("normal")},
			{Name: "cmi.core.exit", Access: WO, Type: "CMIExit"},
			{Name: "cmi.core.session_time", Access: WO, Type: "CMITimespan"},
			{Name: "cmi.suspend_data", Access: RW, Type: "CMIString4096", MaxLenOf: "suspendData"},
			{Name: "cmi.launch_data", Access: RO, Type: "CMIString4096"},
			{Name: "cmi.comments", Access: RW, Type: "CMIString4096"},
			{Name: "cmi.comments_from_lms", Access: RO, Type: "CMIString4096"},
			{Name: obj + "id", Access: RW, Type: "CMIIdentifier", Key: true},
			score(obj + "score.raw"),
			score(obj + "score.min"),
			score(obj + "score.max"),
			{Name: obj + "status", Access: RW, Type: "CMIObjectiveStatus", Key: true, Default: str("not attempted")},
			{Name: "cmi.student_data.mastery_score", Access: RO, Type: "CMIDecimal", Min: num(0), Max: num(100)},
			{Name: "cmi.student_data.max_time_allowed", Access: RO, Type: "CMITimespan"},
			{Name: "cmi.student_data.time_limit_action", Access: RO, Type: "CMITimeLimitAction"},
			{Name: "cmi.student_preference.audio", Access: RW, Type: "CMISInteger", Min: num(-1), Max: num(100), Default: str("0")},
			{Name: "cmi.student_preference.language", Access: RW, Type: "CMIString255", Default: str("")},
			{Name: "cmi.student_preference.speed", Access: RW, Type: "CMISInteger", Min: num(-100), Max: num(100), Default: str("0")},
			{Name: "cmi.student_preference.text", Access: RW, Type: "CMISInteger", Min: num(-1), Max: num(1), Default: str("0")},
			// SCORM 1.2 interactions are write-only journal records.
			{Name: ia + "id", Access: WO, Type: "CMIIdentifier", Key: true},
			{Name: ia + "objectives.n.id", Access: WO, Type: "CMIIdentifier", Key: true},
			{Name: ia + "time", Access: WO, Type: "CMITime", Key: true},
			{Name: ia + "type", Access: WO, Type: "CMIInteractionType", Key: true},
			{Name: ia + "correct_responses.n.pattern", Access: WO, Type: "CMIFeedback", Key: true},
			{Name: ia + "weighting", Access: WO, Type: "CMIDecimal", Key: true},
			{Name: ia + "student_response", Access: WO, Type: "CMIFeedback", Key: true},
			{Name: ia + "result", Access: WO, Type: "CMIResult", Key: true},
			{Name: ia + "latency", Access: WO, Type: "CMITimespan", Key: true},
		},
	}
}

// build compiles a model: types, name patterns, lookup tables, and every
// non-leaf path as a container.
func build(m *dataModel) *dataModel {
	for _, t := range m.Types {
		t.compile()
	}
	m.byName = map[string]*Element{}
	m.colls = map[string]bool{}
	m.fixed = map[string]bool{}
	for _, c := range m.Collections {
		m.colls[c] = true
	}
	for _, c := range m.FixedCollections {
		m.fixed[c] = true
	}
	for _, el := range m.Elements {
		if el.Type != "response" && el.Type != "pattern" {
			el.typ = m.Types[el.Type]
			if el.typ == nil {
				panic("cmi: element " + el.Name + " has unknown type " + el.Type)
			}
		}
		el.Pattern = namePattern(el.Name)
		el.re = regexp.MustCompile(el.Pattern)
		if strings.Contains(el.Name, "{target=") {
			m.targets = append(m.targets, el)
		} else {
			m.byName[el.Name] = el
		}
		// Every proper prefix is a container (cmi, cmi.interactions.n, …).
		for i := range len(el.Name) {
			if el.Name[i] == '.' {
				if _, ok := m.Containers[el.Name[:i]]; !ok {
					m.Containers[el.Name[:i]] = ""
				}
			}
		}
	}
	return m
}

// namePattern turns a template into the regular expression exported for
// the shim: "n" segments become indices (all digits), "{target=ID}"
// captures a non-empty target.
func namePattern(name string) string {
	var b strings.Builder
	b.WriteString("^")
	for i, seg := range strings.Split(name, ".") {
		if i > 0 {
			b.WriteString(`\.`)
		}
		switch seg {
		case "n":
			b.WriteString(`([0-9]+)`)
		case "{target=ID}":
			// Not ".": it excludes different line terminators in Go and JS.
			b.WriteString(`\{target=([^}]+)\}`)
		default:
			b.WriteString(regexp.QuoteMeta(seg))
		}
	}
	b.WriteString("$")
	return b.String()
}

// ref is a resolved element name.
type ref struct {
	el     *Element
	name   string // the concrete name, which is also the key in State.Values
	idx    []int  // record indices, outermost first
	cut    []int  // name[:cut[i]] is the collection path of level i
	target string // navigation target
}

// resolve finds the element a concrete name refers to. It is equivalent to
// matching every Element.Pattern (TestResolveMatchesPatterns), only faster.
func (m *dataModel) resolve(name string) (ref, bool) {
	if strings.Contains(name, "{target=") {
		for _, el := range m.targets {
			if sm := el.re.FindStringSubmatch(name); sm != nil {
				return ref{el: el, name: name, target: sm[1]}, true
			}
		}
		return ref{}, false
	}
	tmpl, idx, cut, ok := normalize(name)
	if !ok {
		return ref{}, false
	}
	el := m.byName[tmpl]
	if el == nil {
		return ref{}, false
	}
	return ref{el: el, name: name, idx: idx, cut: cut}, true
}

// normalize replaces index segments by "n". An index with a leading zero
// ("01") or too large for any collection becomes maxIndex, which is always
// out of range: the name is well-formed (ADL expects 351 from SetValue, not
// 401) but never addresses a record, so no value is ever stored under a
// second spelling of an index.
func normalize(name string) (tmpl string, idx []int, cut []int, ok bool) {
	// A literal "n" segment is the placeholder of templates, never a name
	// a SCO may use (the exported patterns do not match it either).
	if strings.Contains("."+name+".", ".n.") {
		return "", nil, nil, false
	}
	if !strings.ContainsAny(name, "0123456789") {
		return name, nil, nil, true
	}
	var b strings.Builder
	b.Grow(len(name))
	start := 0
	for start <= len(name) {
		end := strings.IndexByte(name[start:], '.')
		if end < 0 {
			end = len(name)
		} else {
			end += start
		}
		seg := name[start:end]
		if start > 0 {
			b.WriteByte('.')
		}
		if isDigits(seg) {
			n, err := strconv.Atoi(seg)
			if err != nil || n > maxIndex || (len(seg) > 1 && seg[0] == '0') {
				n = maxIndex
			}
			idx = append(idx, n)
			cut = append(cut, start-1)
			b.WriteByte('n')
		} else {
			b.WriteString(seg)
		}
		start = end + 1
	}
	return b.String(), idx, cut, true
}

// maxIndex bounds indices so that index arithmetic cannot overflow.
const maxIndex = 1 << 30

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// element returns the table entry for a template name such as
// "cmi.interactions.n.id", or nil.
func (m *dataModel) element(template string) *Element {
	if el := m.byName[template]; el != nil {
		return el
	}
	for _, el := range m.targets {
		if el.Name == template {
			return el
		}
	}
	return nil
}

// isCollection reports whether a template path has _count.
func (m *dataModel) isCollection(tmpl string) bool { return m.colls[tmpl] }

// known reports whether a template path exists in the model at all.
func (m *dataModel) known(tmpl string) bool {
	if _, ok := m.Containers[tmpl]; ok {
		return true
	}
	return m.byName[tmpl] != nil || slices.ContainsFunc(m.targets, func(e *Element) bool { return e.Name == tmpl })
}

// instantiate replaces the "n" segments of a template by indices.
func instantiate(tmpl string, idx []int) string {
	if len(idx) == 0 {
		return tmpl
	}
	segs := strings.Split(tmpl, ".")
	k := 0
	for i, s := range segs {
		if s == "n" && k < len(idx) {
			segs[i] = strconv.Itoa(idx[k])
			k++
		}
	}
	return strings.Join(segs, ".")
}
