package cmi

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Type is a data type of the run-time data model, described so that the
// browser shim can check values with the same rules: a regular expression,
// a vocabulary, a numeric range and a length, applied in that order by
// checkValue (and documented in doc.go for the JavaScript side).
//
// Regular expressions are written in the common subset of Go's RE2 and
// JavaScript (compiled with the "u" flag): no lookaround, no backreferences,
// no \d \w \s, code points above U+00FF as \x{…} (Schema turns them into
// \u{…}). They always match the whole value (^…$).
type Type struct {
	// Regex the value must match. Empty means any string.
	Regex string `json:"regex,omitempty"`
	// URN, if set, must also match values that begin with "urn:" in any
	// letter case (long/short_identifier_type, RFC 2141 syntax).
	URN string `json:"urn,omitempty"`
	// Vocab lists tokens that are valid as they are. With Regex set, a value
	// is valid if it is in Vocab or matches Regex (cmi.interactions.n.result
	// is a state or a real number); without, it must be in Vocab.
	Vocab []string `json:"vocab,omitempty"`
	// Numeric values are parsed as IEEE doubles and must be finite and within
	// the element's min/max ("" is allowed only if Regex allows it).
	Numeric bool `json:"numeric,omitempty"`
	// Lang marks a localized_string_type: the value may start with a
	// {lang=<language_type>} delimiter, which is not counted in the length.
	Lang bool `json:"lang,omitempty"`
	// Language values that match Regex must also pass the code lists of
	// language_type (see language.go; "" is left to Regex).
	Language bool `json:"language,omitempty"`
	// MaxLen is the maximum length in Unicode code points; an element may
	// set its own.
	MaxLen int `json:"maxLength,omitempty"`

	re, urn *regexp.Regexp
}

func (t *Type) compile() {
	if t.Regex != "" {
		t.re = regexp.MustCompile(t.Regex)
	}
	if t.URN != "" {
		t.urn = regexp.MustCompile(t.URN)
	}
}

// Building blocks of the regular expressions.
const (
	reReal    = `[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)`
	reURIChar = `[A-Za-z0-9._~:/?#@!$&'()*+,;=-]|%[0-9A-Fa-f]{2}|[^\x00-\x{A0}]`
	reURN     = `^[Uu][Rr][Nn]:[A-Za-z0-9][A-Za-z0-9-]{0,31}:(?:[A-Za-z0-9()+,.:=@;$_!*'/?#-]|%[0-9A-Fa-f]{2})+$`

	// time(second,10,0): YYYY[-MM[-DD[Thh[:mm[:ss[.s[TZD]]]]]]], years
	// 1970-2038, real calendar days (29 February only in leap years), a time
	// zone designator only after fractional seconds (as the ADL test suite
	// requires).
	reYear  = `(?:19[7-9][0-9]|20[0-2][0-9]|203[0-8])`
	reLeap  = `(?:1972|1976|1980|1984|1988|1992|1996|2000|2004|2008|2012|2016|2020|2024|2028|2032|2036)`
	reMD    = `(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))`
	reClock = `T(?:[01][0-9]|2[0-3])(?::[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,2}(?:[Zz]|[+-](?:[01][0-9]|2[0-3])(?::[0-5][0-9])?)?)?)?)?`
	reTime  = `^(?:` + reYear + `(?:-(?:0[1-9]|1[0-2]))?|(?:` + reYear + `-` + reMD + `|` + reLeap + `-02-29)(?:` + reClock + `)?)$`

	// timeinterval(second,10,2): P[yY][mM][dD][T[hH][nM][s[.s]S]] with at
	// least one component, no dangling P or T, at most two decimals.
	reSecs     = `[0-9]+(?:\.[0-9]{1,2})?S`
	reTimePart = `T(?:[0-9]+H(?:[0-9]+M)?(?:` + reSecs + `)?|[0-9]+M(?:` + reSecs + `)?|` + reSecs + `)`
	reDatePart = `(?:[0-9]+Y(?:[0-9]+M)?(?:[0-9]+D)?|[0-9]+M(?:[0-9]+D)?|[0-9]+D)`
	reDuration = `^P(?:` + reDatePart + `(?:` + reTimePart + `)?|` + reTimePart + `)$`

	// SCORM 1.2 CMITimespan HHHH:MM:SS.SS. Minutes and seconds are two digits
	// but not range-checked: some authoring tools round 59.999 s up to "60"
	// and rejecting that would lose the learner's time.
	reTimespan = `^[0-9]{2,4}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,2})?$`
	reCMITime  = `^(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,2})?$`
)

func types2004() map[string]*Type {
	return map[string]*Type{
		"characterstring":       {},
		"localized_string_type": {Lang: true},
		"language_type":         {Regex: `^(?:` + reLang + `)$`, Language: true, MaxLen: 250},
		// cmi.learner_preference.language may be "" (no preference).
		"language_preference":   {Regex: `^(?:|` + reLang + `)$`, Language: true, MaxLen: 250},
		"long_identifier_type":  {Regex: `^(?:` + reURIChar + `)+$`, URN: reURN, MaxLen: 4000},
		"short_identifier_type": {Regex: `^(?:` + reURIChar + `)+$`, URN: reURN, MaxLen: 250},
		"real":                  {Regex: `^` + reReal + `$`, Numeric: true},
		"time":                  {Regex: reTime},
		"timeinterval":          {Regex: reDuration},
		"boolean":               {Vocab: []string{"true", "false"}},
		"completion_status":     {Vocab: []string{"completed", "incomplete", "not attempted", "unknown"}},
		"success_status":        {Vocab: []string{"passed", "failed", "unknown"}},
		"credit":                {Vocab: []string{"credit", "no-credit"}},
		"entry":                 {Vocab: []string{"ab-initio", "resume", ""}},
		"exit":                  {Vocab: []string{"time-out", "suspend", "logout", "normal", ""}},
		"mode":                  {Vocab: []string{"browse", "normal", "review"}},
		"time_limit_action":     {Vocab: []string{"exit,message", "continue,message", "exit,no message", "continue,no message"}},
		"audio_captioning":      {Vocab: []string{"-1", "0", "1"}},
		"interaction_type": {Vocab: []string{"true-false", "choice", "fill-in", "long-fill-in", "likert",
			"matching", "performance", "sequencing", "numeric", "other"}},
		"result": {Vocab: []string{"correct", "incorrect", "unanticipated", "neutral"}, Regex: `^` + reReal + `$`, Numeric: true},
		"nav_request": {Regex: `^(?:continue|previous|exit|exitAll|abandon|abandonAll|suspendAll|_none_|\{target=(?:` +
			reURIChar + `)+\}(?:choice|jump))$`},
		"nav_valid": {Vocab: []string{"true", "false", "unknown"}},
	}
}

func types12() map[string]*Type {
	return map[string]*Type{
		"CMIString255":  {MaxLen: 255},
		"CMIString4096": {MaxLen: 4096},
		// No white space or unprintable characters (SCORM 1.2 RTE 3.4.2).
		"CMIIdentifier": {Regex: `^[^\x00-\x20\x7F]+$`, MaxLen: 255},
		"CMIDecimal":    {Regex: `^` + reReal + `$`, Numeric: true},
		// CMIDecimal or CMIBlank: scores may be reset to "".
		"CMIDecimalOrBlank": {Regex: `^(?:|` + reReal + `)$`, Numeric: true},
		"CMISInteger":       {Regex: `^[-+]?[0-9]+$`, Numeric: true},
		"CMITime":           {Regex: reCMITime},
		"CMITimespan":       {Regex: reTimespan},
		// CMIFeedback formats in 1.2 are loose and real content (Storyline,
		// Captivate) writes 2004-style or free text into them; rejecting it
		// would only lose learner data, so only the length is enforced.
		"CMIFeedback": {MaxLen: 255},
		// lesson_status as the SCO may set it: "not attempted" is only ever
		// the LMS's initial value.
		"CMIStatus":          {Vocab: []string{"passed", "completed", "failed", "incomplete", "browsed"}},
		"CMIObjectiveStatus": {Vocab: []string{"passed", "completed", "failed", "incomplete", "browsed", "not attempted"}},
		"CMIExit":            {Vocab: []string{"time-out", "suspend", "logout", ""}},
		"CMICredit":          {Vocab: []string{"credit", "no-credit"}},
		"CMIEntry":           {Vocab: []string{"ab-initio", "resume", ""}},
		"CMIMode":            {Vocab: []string{"normal", "review", "browse"}},
		"CMITimeLimitAction": {Vocab: []string{"exit,message", "exit,no message", "continue,message", "continue,no message"}},
		"CMIInteractionType": {Vocab: []string{"true-false", "choice", "fill-in", "matching", "performance", "sequencing", "likert", "numeric"}},
		"CMIResult":          {Vocab: []string{"correct", "wrong", "unanticipated", "neutral"}, Regex: `^` + reReal + `$`, Numeric: true},
	}
}

// splitLang splits a localized_string_type into its language and text. A
// value without a complete leading {lang=…} delimiter is all text.
func splitLang(v string) (lang string, text string, has bool) {
	if !strings.HasPrefix(v, "{lang=") {
		return "", v, false
	}
	end := strings.IndexByte(v, '}')
	if end < 0 {
		return "", v, false
	}
	return v[len("{lang="):end], v[end+1:], true
}

// checkValue validates v against a type with an element's numeric range and
// length limit (maxLen 0: the type's own). The order of the checks is part of
// the contract with the browser shim.
func checkValue(t *Type, v string, min, max *float64, maxLen int) *dmError {
	text := v
	if t.Lang {
		if lang, rest, ok := splitLang(v); ok {
			if !validLanguage(lang) {
				return fail(kType, "%q is not a valid language code (RFC 3066, ISO 639, ISO 3166)", clip(lang))
			}
			text = rest
		}
	}
	if slices.Contains(t.Vocab, text) {
		return nil
	}
	if t.re != nil {
		if !t.re.MatchString(text) {
			if len(t.Vocab) > 0 {
				return fail(kType, "%q is neither one of %q nor a valid value", clip(text), t.Vocab)
			}
			return fail(kType, "%q does not have the required format", clip(text))
		}
	} else if len(t.Vocab) > 0 {
		return fail(kType, "%q is not one of %q", clip(text), t.Vocab)
	}
	if t.Language && text != "" && !validLanguage(text) {
		return fail(kType, "%q is not a valid language code (RFC 3066, ISO 639, ISO 3166)", clip(text))
	}
	if t.urn != nil && hasPrefixFold(text, "urn:") && !t.urn.MatchString(text) {
		return fail(kType, "%q is not a valid URN (urn:<NID>:<NSS>, RFC 2141)", clip(text))
	}
	if t.Numeric && text != "" {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !isRangeErr(err) {
			return fail(kType, "%q is not a number", clip(text))
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return fail(kRange, "%q is too large", clip(text))
		}
		if min != nil && f < *min {
			return fail(kRange, "%s is below the minimum %s", text, formatFloat(*min))
		}
		if max != nil && f > *max {
			return fail(kRange, "%s is above the maximum %s", text, formatFloat(*max))
		}
	}
	if maxLen == 0 {
		maxLen = t.MaxLen
	}
	if maxLen > 0 && len(text) > maxLen { // bytes >= code points: count only when it may matter
		if n := utf8.RuneCountInString(text); n > maxLen {
			return fail(kRange, "value has %d characters, more than the maximum of %d", n, maxLen)
		}
	}
	return nil
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// clip shortens a value quoted in a diagnostic.
func clip(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// formatFloat renders a number the way SCORM values are written: shortest
// form that round-trips, never an exponent.
func formatFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

var realRe = regexp.MustCompile(`^` + reReal + `$`)

// parseFinite parses a real that already matched reReal.
func parseFinite(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return 0, false
	}
	return f, !math.IsInf(f, 0) && !math.IsNaN(f)
}

func itoa(i int) string { return strconv.Itoa(i) }
