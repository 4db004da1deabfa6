package cmi

import (
	"fmt"
	"strconv"
)

// Version names the run-time data model a SCO speaks. SCORM 2004 2nd, 3rd
// and 4th Edition content all use V2004: the 4th Edition model is a superset
// whose additions (adl.data, jump) are simply never called by older content.
type Version string

const (
	V12   Version = "1.2"
	V2004 Version = "2004"
)

// Error codes. SCORM 1.2 and 2004 reuse numbers with different meanings (403
// is "read only" in 1.2 and "not initialized" in 2004), so the data-model
// logic never uses a number directly: it reports a failure kind and the
// version's code table turns it into a number (see kindCodes).
const (
	CodeNoError = 0

	// SCORM 2004.
	CodeGeneralException             = 101
	CodeGeneralInitializationFailure = 102
	CodeAlreadyInitialized           = 103
	CodeContentInstanceTerminated    = 104
	CodeGeneralTerminationFailure    = 111
	CodeTerminationBeforeInit        = 112
	CodeTerminationAfterTermination  = 113
	CodeRetrieveBeforeInit           = 122
	CodeRetrieveAfterTermination     = 123
	CodeStoreBeforeInit              = 132
	CodeStoreAfterTermination        = 133
	CodeCommitBeforeInit             = 142
	CodeCommitAfterTermination       = 143
	CodeGeneralArgumentError         = 201
	CodeGeneralGetFailure            = 301
	CodeGeneralSetFailure            = 351
	CodeGeneralCommitFailure         = 391
	CodeUndefinedElement             = 401
	CodeUnimplementedElement         = 402
	CodeValueNotInitialized          = 403
	CodeReadOnly                     = 404
	CodeWriteOnly                    = 405
	CodeTypeMismatch                 = 406
	CodeValueOutOfRange              = 407
	CodeDependencyNotEstablished     = 408

	// SCORM 1.2 (only those whose number means something else in 2004).
	Code12InvalidArgument   = 201
	Code12NoChildren        = 202
	Code12NoCount           = 203
	Code12NotInitialized    = 301
	Code12NotImplemented    = 401
	Code12KeywordSet        = 402
	Code12ReadOnly          = 403
	Code12WriteOnly         = 404
	Code12IncorrectDataType = 405
)

var errorStrings = map[Version]map[int]string{
	V12: {
		0:   "No error",
		101: "General exception",
		201: "Invalid argument error",
		202: "Element cannot have children",
		203: "Element not an array - cannot have count",
		301: "Not initialized",
		401: "Not implemented error",
		402: "Invalid set value, element is a keyword",
		403: "Element is read only",
		404: "Element is write only",
		405: "Incorrect data type",
	},
	V2004: {
		0:   "No Error",
		101: "General Exception",
		102: "General Initialization Failure",
		103: "Already Initialized",
		104: "Content Instance Terminated",
		111: "General Termination Failure",
		112: "Termination Before Initialization",
		113: "Termination After Termination",
		122: "Retrieve Data Before Initialization",
		123: "Retrieve Data After Termination",
		132: "Store Data Before Initialization",
		133: "Store Data After Termination",
		142: "Commit Before Initialization",
		143: "Commit After Termination",
		201: "General Argument Error",
		301: "General Get Failure",
		351: "General Set Failure",
		391: "General Commit Failure",
		401: "Undefined Data Model Element",
		402: "Unimplemented Data Model Element",
		403: "Data Model Element Value Not Initialized",
		404: "Data Model Element Is Read Only",
		405: "Data Model Element Is Write Only",
		406: "Data Model Element Type Mismatch",
		407: "Data Model Element Value Out Of Range",
		408: "Data Model Dependency Not Established",
	},
}

// ErrorString is the standard text for an error code of the version, or ""
// for a code the version does not define (what GetErrorString must return).
func ErrorString(v Version, code int) string { return errorStrings[v][code] }

// kind is a data-model failure independent of version.
type kind string

const (
	kUndefined      kind = "undefined"      // no such element
	kReadOnly       kind = "readOnly"       // SetValue on a read-only element
	kWriteOnly      kind = "writeOnly"      // GetValue on a write-only element
	kKeywordSet     kind = "keywordSet"     // SetValue on _children/_count/_version
	kNoChildren     kind = "noChildren"     // _children on an element without children
	kNoCount        kind = "noCount"        // _count on an element that is not a collection
	kNoVersion      kind = "noVersion"      // _version anywhere but cmi._version
	kType           kind = "type"           // value does not match the data type
	kRange          kind = "range"          // value outside the range or longer than allowed
	kGetIndex       kind = "getIndex"       // GetValue with an index >= _count
	kSetIndex       kind = "setIndex"       // SetValue with an index > _count (records must be appended in order)
	kSetFailure     kind = "setFailure"     // uniqueness, write-once, collection maximum
	kDependency     kind = "dependency"     // a required element (id, type) is not set yet
	kNotInitialized kind = "notInitialized" // GetValue of an element that has no value yet
	kGetEmpty       kind = "getEmpty"       // GetValue("")
	kSetEmpty       kind = "setEmpty"       // SetValue("", …)
)

// kindCodes maps failure kinds to each version's error code. It is exported
// in the schema so that the browser shim reports the same numbers. A 1.2
// entry of 0 means the situation is not an error in 1.2 (GetValue of an
// unset element returns "" and 0).
var kindCodes = map[Version]map[kind]int{
	V12: {
		kUndefined: 201, kReadOnly: 403, kWriteOnly: 404, kKeywordSet: 402,
		kNoChildren: 202, kNoCount: 203, kNoVersion: 201, kType: 405, kRange: 405,
		kGetIndex: 201, kSetIndex: 201, kSetFailure: 101, kDependency: 101,
		kNotInitialized: 0, kGetEmpty: 201, kSetEmpty: 201,
	},
	V2004: {
		kUndefined: 401, kReadOnly: 404, kWriteOnly: 405, kKeywordSet: 404,
		kNoChildren: 301, kNoCount: 301, kNoVersion: 301, kType: 406, kRange: 407,
		kGetIndex: 301, kSetIndex: 351, kSetFailure: 351, kDependency: 408,
		kNotInitialized: 403, kGetEmpty: 301, kSetEmpty: 351,
	},
}

// dmError is a data-model failure with a diagnostic for GetDiagnostic.
type dmError struct {
	kind kind
	diag string
}

func (e *dmError) Error() string { return string(e.kind) + ": " + e.diag }

func fail(k kind, format string, args ...any) *dmError {
	return &dmError{kind: k, diag: fmt.Sprintf(format, args...)}
}

// SetError reports why a change in a batch (Apply) was refused. Index is the
// position of the change in the batch; Code is the error code the SCO would
// have seen from SetValue.
type SetError struct {
	Index      int
	Element    string
	Code       int
	Diagnostic string
}

func (e *SetError) Error() string {
	return "cmi: change " + strconv.Itoa(e.Index) + " " + strconv.Quote(e.Element) +
		": error " + strconv.Itoa(e.Code) + ": " + e.Diagnostic
}
