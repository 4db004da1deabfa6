package cmi

import (
	"slices"
	"strings"
)

// Reserved separators of SCORM 2004 interaction responses.
const (
	sepList  = "[,]"
	sepPair  = "[.]"
	sepRange = "[:]"
)

// InteractionFormat describes, for one cmi.interactions.n.type, the format
// of correct_responses.n.pattern and of learner_response, and the rules on
// the set of correct responses.
type InteractionFormat struct {
	Pattern  ResponseFormat `json:"pattern"`
	Response ResponseFormat `json:"response"`
	// MaxPatterns is a hard maximum of correct_responses records (SetValue
	// of one more fails with 351); 0 means no maximum. The spec's other
	// limits (10 choice patterns, 36 choices, …) are smallest permitted
	// maximums an LMS must at least support, so they are not enforced.
	MaxPatterns int `json:"maxPatterns,omitempty"`
	// UniquePatterns forbids two correct_responses that mean the same:
	// "set" compares the items in any order (choice), "list" compares the
	// whole pattern (sequencing). A duplicate fails with 351.
	UniquePatterns string `json:"uniquePatterns,omitempty"`
}

// ResponseFormat is the structure of one response or pattern value.
//
// Validation (mirrored by the shim, see doc.go): strip leading {name=value}
// delimiters whose name is in Delimiters (any order, each at most once;
// anything else stays part of the value), where "lang" takes a
// language_type and the others true or false; then if List, the rest is ""
// (valid only if AllowEmpty) or items separated by "[,]", each checked with
// Item, distinct if Unique; otherwise the rest is one Item. Every failure is
// a type mismatch (406).
//
// The ADL test decides where {lang=} goes. In a long-fill-in pattern it is
// one of the leading delimiters ({lang=en}{case_matters=true}… has 4,000
// characters of text after both). In fill-in it belongs to the first item:
// {case_matters} and {order_matters} come first, and after {lang=} they are
// text ({lang=en}{case_matters=x}a is the item "{case_matters=x}a").
type ResponseFormat struct {
	Delimiters []string `json:"delimiters,omitempty"`
	List       bool     `json:"list,omitempty"`
	AllowEmpty bool     `json:"allowEmpty,omitempty"`
	Unique     bool     `json:"unique,omitempty"`
	Item       Item     `json:"item"`
}

// Item is one part of a response.
//
//   - Type (with MaxLen): the item is a value of that type.
//   - Pair: the item is left[.]right with exactly one "[.]"; Left and Right
//     name the types of both sides. With OptionalParts either side may be
//     empty but not both. With RightRange the right side may instead be a
//     numeric range (below).
//   - Range: the item is min[:]max with exactly one "[:]"; either bound may
//     be empty, each given bound is a real, and min <= max.
type Item struct {
	Type          string `json:"type,omitempty"`
	MaxLen        int    `json:"maxLength,omitempty"`
	Pair          bool   `json:"pair,omitempty"`
	Left          string `json:"left,omitempty"`
	Right         string `json:"right,omitempty"`
	RightMaxLen   int    `json:"rightMaxLength,omitempty"`
	OptionalParts bool   `json:"optionalParts,omitempty"`
	RightRange    bool   `json:"rightRange,omitempty"`
	Range         bool   `json:"range,omitempty"`
}

func interactionFormats() map[string]*InteractionFormat {
	shortID := Item{Type: "short_identifier_type"}
	pair := Item{Pair: true, Left: "short_identifier_type", Right: "short_identifier_type"}
	step := Item{Pair: true, Left: "short_identifier_type", Right: "characterstring", RightMaxLen: 250,
		OptionalParts: true, RightRange: true}
	return map[string]*InteractionFormat{
		"true-false": {
			Pattern:     ResponseFormat{Item: Item{Type: "boolean"}},
			Response:    ResponseFormat{Item: Item{Type: "boolean"}},
			MaxPatterns: 1,
		},
		"choice": {
			Pattern:        ResponseFormat{List: true, AllowEmpty: true, Unique: true, Item: shortID},
			Response:       ResponseFormat{List: true, AllowEmpty: true, Unique: true, Item: shortID},
			UniquePatterns: "set",
		},
		"fill-in": {
			Pattern: ResponseFormat{Delimiters: []string{"case_matters", "order_matters"}, List: true, AllowEmpty: true,
				Item: Item{Type: "localized_string_type", MaxLen: 250}},
			Response: ResponseFormat{List: true, AllowEmpty: true, Item: Item{Type: "localized_string_type", MaxLen: 250}},
		},
		"long-fill-in": {
			Pattern: ResponseFormat{Delimiters: []string{"case_matters", "lang"},
				Item: Item{Type: "localized_string_type", MaxLen: 4000}},
			Response: ResponseFormat{Item: Item{Type: "localized_string_type", MaxLen: 4000}},
		},
		"likert": {
			Pattern:     ResponseFormat{Item: shortID},
			Response:    ResponseFormat{Item: shortID},
			MaxPatterns: 1,
		},
		"matching": {
			Pattern:  ResponseFormat{List: true, Item: pair},
			Response: ResponseFormat{List: true, AllowEmpty: true, Item: pair},
		},
		"performance": {
			Pattern:  ResponseFormat{Delimiters: []string{"order_matters"}, List: true, Item: step},
			Response: ResponseFormat{List: true, Item: step},
		},
		"sequencing": {
			Pattern:        ResponseFormat{List: true, Item: shortID},
			Response:       ResponseFormat{List: true, Item: shortID},
			UniquePatterns: "list",
		},
		"numeric": {
			Pattern:     ResponseFormat{Item: Item{Range: true}},
			Response:    ResponseFormat{Item: Item{Type: "real"}},
			MaxPatterns: 1,
		},
		"other": {
			Pattern:     ResponseFormat{Item: Item{Type: "characterstring", MaxLen: 4000}},
			Response:    ResponseFormat{Item: Item{Type: "characterstring", MaxLen: 4000}},
			MaxPatterns: 1,
		},
	}
}

// checkResponse validates a learner_response or pattern value.
func (m *dataModel) checkResponse(f *ResponseFormat, v string) *dmError {
	rest, err := stripDelimiters(f.Delimiters, v)
	if err != nil {
		return err
	}
	if !f.List {
		return m.checkItem(&f.Item, rest)
	}
	if rest == "" {
		if f.AllowEmpty {
			return nil
		}
		return fail(kType, "the value must not be empty")
	}
	items := strings.Split(rest, sepList)
	for i, it := range items {
		if err := m.checkItem(&f.Item, it); err != nil {
			err.diag = "item " + itoa(i+1) + ": " + err.diag
			return err
		}
	}
	if f.Unique {
		for i := 1; i < len(items); i++ {
			if slices.Contains(items[:i], items[i]) {
				return fail(kType, "item %q appears twice", clip(items[i]))
			}
		}
	}
	return nil
}

// stripDelimiters removes the leading delimiters allowed by names and
// returns the rest; it fails if an allowed delimiter has an invalid value.
func stripDelimiters(names []string, v string) (string, *dmError) {
	var seen []string
	for len(names) > 0 && strings.HasPrefix(v, "{") {
		eq := strings.IndexByte(v, '=')
		end := strings.IndexByte(v, '}')
		if eq < 0 || end < eq {
			break
		}
		name := v[1:eq]
		if !slices.Contains(names, name) || slices.Contains(seen, name) {
			break
		}
		switch val := v[eq+1 : end]; {
		case name == "lang":
			if !validLanguage(val) {
				return "", fail(kType, "%q is not a valid language code (RFC 3066, ISO 639, ISO 3166)", clip(val))
			}
		case val != "true" && val != "false":
			return "", fail(kType, "the value of {%s=…} must be true or false", name)
		}
		seen = append(seen, name)
		v = v[end+1:]
	}
	return v, nil
}

func (m *dataModel) checkItem(it *Item, v string) *dmError {
	switch {
	case it.Range:
		return checkRange(v)
	case it.Pair:
		left, right, ok := strings.Cut(v, sepPair)
		if !ok || strings.Contains(right, sepPair) {
			return fail(kType, "%q must be two parts separated by exactly one [.]", clip(v))
		}
		if it.OptionalParts && left == "" && right == "" {
			return fail(kType, "both parts of %q are empty", v)
		}
		if left != "" || !it.OptionalParts {
			if err := m.checkPart(it.Left, left, 0); err != nil {
				return err
			}
		}
		if right != "" || !it.OptionalParts {
			if it.RightRange && strings.Contains(right, sepRange) {
				return checkRange(right)
			}
			return m.checkPart(it.Right, right, it.RightMaxLen)
		}
		return nil
	default:
		return m.checkPart(it.Type, v, it.MaxLen)
	}
}

// checkPart checks one part of a response against a type. Inside a response
// every failure, length included, is a type mismatch: the response as a
// whole does not have the format of its interaction type.
func (m *dataModel) checkPart(typ, v string, maxLen int) *dmError {
	if err := checkValue(m.Types[typ], v, nil, nil, maxLen); err != nil {
		return fail(kType, "%s", err.diag)
	}
	return nil
}

// checkRange validates a numeric range "min[:]max".
func checkRange(v string) *dmError {
	lo, hi, ok := strings.Cut(v, sepRange)
	if !ok || strings.Contains(hi, sepRange) {
		return fail(kType, "%q must be a range min[:]max with exactly one [:]", clip(v))
	}
	var bounds [2]float64
	for i, s := range []string{lo, hi} {
		if s == "" {
			continue
		}
		if !realRe.MatchString(s) {
			return fail(kType, "range bound %q is not a real number", clip(s))
		}
		f, ok := parseFinite(s)
		if !ok {
			return fail(kType, "range bound %q is too large", clip(s))
		}
		bounds[i] = f
	}
	if lo != "" && hi != "" && bounds[0] > bounds[1] {
		return fail(kType, "range minimum %s is greater than its maximum %s", lo, hi)
	}
	return nil
}

// samePattern reports whether two correct-response patterns mean the same
// under the interaction's UniquePatterns rule.
func samePattern(rule, a, b string) bool {
	switch rule {
	case "list":
		return a == b
	case "set":
		x, y := strings.Split(a, sepList), strings.Split(b, sepList)
		if a == "" || b == "" {
			return a == b
		}
		slices.Sort(x)
		slices.Sort(y)
		return slices.Equal(x, y)
	}
	return false
}
