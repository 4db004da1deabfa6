package cmi

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"strings"
)

// SchemaDoc is the data model of one version as the browser shim receives
// it. Everything the shim needs to answer GetValue/SetValue exactly like
// Runtime is here; doc.go describes the algorithm it must run over it.
type SchemaDoc struct {
	Version Version `json:"version"`
	// APIName is the window property the SCO looks for.
	APIName string `json:"apiName"`
	// Functions maps the 2004 method names to this version's names.
	Functions        map[string]string `json:"functions"`
	DataModelVersion string            `json:"dataModelVersion"`
	// Errors are the standard strings (GetErrorString), keyed by code.
	Errors map[string]string `json:"errors"`
	// Codes maps data-model failure kinds to error codes (0: no error).
	Codes map[string]int `json:"codes"`
	// CallCodes gives, per function, the error when called before
	// Initialize, while running, and after Terminate (0: allowed).
	CallCodes map[string][3]int `json:"callCodes"`
	// ArgumentCode is the error for a non-empty parameter of Initialize,
	// Terminate or Commit; CommitFailureCode for a failed commit.
	ArgumentCode      int `json:"argumentCode"`
	CommitFailureCode int `json:"commitFailureCode"`
	// LanguageRegex is the syntax of a language_type ({lang=…} delimiters,
	// types with language set); Languages (ISO 639 codes) and Regions (ISO
	// 3166 codes), space-separated and lower case, are the code lists its
	// subtags must come from (2004).
	LanguageRegex    string                        `json:"languageRegex"`
	Languages        string                        `json:"languages,omitempty"`
	Regions          string                        `json:"regions,omitempty"`
	Types            map[string]*Type              `json:"types"`
	Elements         []*Element                    `json:"elements"`
	Collections      []string                      `json:"collections"`
	FixedCollections []string                      `json:"fixedCollections,omitempty"`
	Containers       map[string]string             `json:"containers"`
	Interactions     map[string]*InteractionFormat `json:"interactions,omitempty"`
	// Separators of interaction responses (2004).
	Separators map[string]string `json:"separators,omitempty"`
}

// Schema returns the JSON document of a version's data model for the
// browser shim. Regular expressions are converted to JavaScript syntax
// (compile them with the "u" flag).
func Schema(v Version) ([]byte, error) {
	d, err := schemaFor(v)
	if err != nil {
		return nil, err
	}
	return json.Marshal(d)
}

// schemaFor returns the schema document of a version.
func schemaFor(v Version) (*SchemaDoc, error) {
	m := modelFor(v)
	if m == nil {
		return nil, fmt.Errorf("cmi: unknown version %q", v)
	}
	d := &SchemaDoc{
		Version:           v,
		DataModelVersion:  m.DataModelVersion,
		Errors:            map[string]string{},
		Codes:             map[string]int{},
		CallCodes:         callCodes[v],
		ArgumentCode:      argumentCode[v],
		CommitFailureCode: commitFailureCode[v],
		LanguageRegex:     jsRegex(`^(?:` + reLang + `)$`),
		Types:             map[string]*Type{},
		Collections:       m.Collections,
		FixedCollections:  m.FixedCollections,
		Containers:        maps.Clone(m.Containers),
		Interactions:      m.Interactions,
	}
	if v == V12 {
		d.APIName = "API"
		d.Functions = map[string]string{
			"Initialize": "LMSInitialize", "Terminate": "LMSFinish", "GetValue": "LMSGetValue",
			"SetValue": "LMSSetValue", "Commit": "LMSCommit", "GetLastError": "LMSGetLastError",
			"GetErrorString": "LMSGetErrorString", "GetDiagnostic": "LMSGetDiagnostic",
		}
	} else {
		d.APIName = "API_1484_11"
		d.Functions = map[string]string{}
		for _, f := range []string{"Initialize", "Terminate", "GetValue", "SetValue", "Commit",
			"GetLastError", "GetErrorString", "GetDiagnostic"} {
			d.Functions[f] = f
		}
		d.Separators = map[string]string{"list": sepList, "pair": sepPair, "range": sepRange}
		d.Languages = strings.Join(strings.Fields(isoLanguages), " ")
		d.Regions = strings.Join(strings.Fields(isoRegions), " ")
	}
	for code, s := range errorStrings[v] {
		d.Errors[strconv.Itoa(code)] = s
	}
	for k, code := range kindCodes[v] {
		d.Codes[string(k)] = code
	}
	for name, t := range m.Types {
		c := *t
		c.Regex, c.URN = jsRegex(t.Regex), jsRegex(t.URN)
		d.Types[name] = &c
	}
	for _, el := range m.Elements {
		c := *el
		c.Pattern = jsRegex(el.Pattern)
		d.Elements = append(d.Elements, &c)
	}
	return d, nil
}

// jsRegex rewrites the one construct where Go and JavaScript differ in our
// regular expressions: code points written \x{…} in Go are \u{…} in JS.
func jsRegex(s string) string { return strings.ReplaceAll(s, `\x{`, `\u{`) }
