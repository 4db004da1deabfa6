// Package cmi is the SCORM run-time data model of SCORM 1.2 (every optional
// element: LMS-RTE3) and SCORM 2004 4th Edition (which 2nd and 3rd Edition
// content also uses): elements, data types, error codes, the API call rules,
// and status evaluation. It is the single definition behind both sides of
// the runtime: the server re-validates and applies every value a SCO sets
// with it, and the browser shim answers GetValue/SetValue synchronously from
// the JSON schema it exports. Shared test vectors
// (testdata/cmi/vectors.json) run against Runtime here and against the shim
// in the browser, so the two cannot drift.
//
// # How the LMS uses it
//
// Launch. Build the launch's state from what the LMS knows and the stored
// state of the attempt (nil for the first launch):
//
//	st, err := cmi.NewState(cmi.V2004, cmi.Init{LearnerID: …, CompletionThreshold: …}, prev)
//
// NewState decides resume versus new attempt (NewAttemptNeeded on prev),
// sets cmi.entry, and writes every LMS-owned value from Init. Send the
// browser the schema (Schema(version), cacheable) and the state (JSON of
// *State). Store st.
//
// Commit. The shim sends the SetValue calls since the last commit, in
// order. Apply them to the stored state; the batch is all or nothing:
//
//	if err := st.Apply(changes); err != nil { … *cmi.SetError names the change … }
//	sum := st.Summary() // → attempt summary columns
//
// Terminate. After applying the final batch, call st.EndSession(): it adds
// session_time to total_time exactly once and settles the 1.2 lesson_status.
// Call it also when a session ends without Terminate (window closed,
// timeout). Runtime.Terminate calls it for Go-side use and the vectors.
//
// Next launch. NewState(v, init, stored) resumes (entry "resume" after exit
// "suspend"; 1.2 also re-enters with entry "" after a normal exit) or
// starts a fresh attempt; st.NewAttemptNeeded() tells the LMS in advance
// whether to open a new attempt row.
//
// Shared data (adl.data, 4th Edition) is global to learner and course: pass
// the current values in Init.SharedData, and after each commit store
// State.SharedData() back.
//
// # Decisions where the specs leave room
//
//   - suspend_data: limit from Init.SuspendDataMax, default 64,000
//     characters for both versions (1.2's 4,096 is too small for real
//     content).
//   - Lengths are in Unicode code points. A value longer than an element's
//     limit (its SPM) is refused: 407 in 2004, 405 in 1.2; truncating would
//     silently corrupt data such as suspend_data.
//   - SPMs on counts (36 choices, 10 choice patterns, 250 interactions …)
//     are minimums an LMS must support and are not enforced; hard maximums
//     are (one correct response for true-false, likert, numeric, other).
//   - Interaction responses that do not fit their type's format fail with
//     406 whatever the cause, including the length of one part.
//   - SCORM 1.2 CMIFeedback (student_response, pattern) is checked for
//     length only, since 1.2 content commonly writes other formats. 1.2
//     scores are 0..100. CMITimespan minutes/seconds are two digits but not
//     range-checked.
//   - language_type is checked against the ISO code lists, as the ADL test
//     requires (language.go): ISO 639-1 and 639-2 primary subtags, ISO 3166
//     two-letter subtags. ISO 639-3 codes ("ruq") are refused; codes
//     withdrawn in 2008 (mo, mol, scc, scr, sh), former country codes and
//     "UK" are accepted.
//   - An index written with a leading zero ("cmi.interactions.01.id") is an
//     index that is always out of range (SetValue 351, GetValue 301, as ADL
//     expects), never a second name for record 1.
//   - Changing an interaction's type removes its learner_response and
//     correct_responses (as the ADL sample RTE does): they were validated
//     for the old type.
//   - 1.2 lesson_status at LMSFinish: mastery score (with credit and a raw
//     score) decides passed/failed; a status never set becomes completed
//     ("browsed" in browse mode).
//   - Attempts: 2004 continues only after exit "suspend"; 1.2 starts a new
//     attempt after "logout" or "time-out".
//   - After LMSFinish a 1.2 API answers 301 and LMSInitialize 101.
//   - 1.2 cmi.comments is replaced by SetValue, not appended to.
//   - Stored values are what the SCO set; evaluated statuses (2004
//     thresholds, 1.2 mastery score) come from GetValue and Summary, so read
//     Summary rather than Values for reports.
//
// # The schema and what the shim must do
//
// Schema(v) is a JSON object (SchemaDoc): apiName, functions (2004 name →
// this version's name), errors (code → string), codes (failure kind → code),
// callCodes, argumentCode, commitFailureCode, types, elements, collections,
// fixedCollections, containers (non-leaf path → _children, "" if none),
// interactions (2004 response formats), separators, languageRegex,
// languages and regions (2004: space-separated lower-case ISO 639 and ISO
// 3166 codes). Compile every regex with new RegExp(src, "u"). Lengths count
// code points ([...s].length).
//
// A language code (a {lang=} delimiter, a type with language set) is valid
// if it matches languageRegex and, in lower case and split at "-", its
// first subtag is "i" or "x", or it is in languages and every later subtag
// of two characters is in regions.
//
// The shim starts from the State JSON ({version, values, counts, shared,
// suspendDataMax}) and keeps the same maps. Every function resets the last
// error to 0 unless it fails; GetLastError, GetErrorString and GetDiagnostic
// never change it. GetErrorString returns errors[code] or "".
//
// Call state: callCodes[fn] = [before Initialize, running, after Terminate];
// a non-zero entry is the error for calling fn in that phase (return "false",
// or "" for GetValue). Initialize, Terminate and Commit fail with
// argumentCode unless their parameter is "". Terminate commits, then the
// server ends the session.
//
// Indices: an index segment of a name is all digits. One with a leading
// zero ("01") or above 2^30 stands for 2^30, an index no collection
// reaches: the name is well-formed but always out of range. A literal "n"
// segment makes a name undefined. Diagnostics quote an index as written.
//
// GetValue(name), in this order (first failure wins, returning ""):
//
//  1. name "" → codes.getEmpty.
//  2. name ends in ._children/._count/._version: let P be the part before
//     it and T = P with index segments replaced by "n". If T is not a
//     container or element (or P has a literal "n") → codes.undefined.
//     _version: P "cmi" → dataModelVersion, else codes.noVersion. _children:
//     containers[T] == "" → codes.noChildren. _count: T not in
//     collections → codes.noCount. Then every index in P must be below the
//     count of its collection (counts[path up to that index]) else
//     codes.getIndex. Answer containers[T] or counts[P] (0 if absent).
//  3. Find the element whose pattern matches name (capture groups: indices,
//     or the navigation target) → none: codes.undefined.
//  4. access "wo" → codes.writeOnly.
//  5. Each index must be below its collection's count → codes.getIndex.
//  6. source "nav": ask the LMS's navigation state (continue, previous,
//     choice/jump with target); "unknown" if it cannot tell. source
//     "shared": shared[index].readable false → codes.writeOnly; no value or
//     "" (an empty store counts as never written) → codes.notInitialized.
//  7. evaluate "completion": if values has cmi.completion_threshold, answer
//     "unknown" without cmi.progress_measure, else "completed" if
//     progress_measure >= threshold, else "incomplete". evaluate "success":
//     the same with cmi.scaled_passing_score, cmi.score.scaled, "passed",
//     "failed". Without the threshold, fall through.
//  8. values[name] if present, else the element's default, else
//     codes.notInitialized (0 in 1.2: answer "").
//
// SetValue(name, value), in this order (first failure wins, returning
// "false"; nothing is changed unless every step passes):
//
//  1. name "" → codes.setEmpty.
//  2. keyword suffix: unknown parent → codes.undefined, else
//     codes.keywordSet.
//  3. No pattern matches → codes.undefined. access "ro" → codes.readOnly.
//  4. Indices, outermost first, with n = count of the collection (0 inside
//     a record this call creates): index > n, or index >= n for a
//     fixedCollection → codes.setIndex. index == n creates a record; in 2004
//     that is allowed only at the innermost level and for a "key" element,
//     otherwise codes.dependency.
//  5. dependsOn (with this name's indices) has no value → codes.dependency.
//  6. source "shared": shared[index].writable false → codes.readOnly.
//  7. type "pattern"/"response": the format is interactions[values[
//     cmi.interactions.<i>.type]]; when creating pattern record i >=
//     maxPatterns (> 0) → codes.setFailure.
//  8. Validate the value: for "pattern"/"response" with the ResponseFormat
//     (see ResponseFormat and Item; every failure → codes.type); otherwise
//     with the type, the element's min/max and maxLength (maxLengthFrom
//     "suspendData" → state.suspendDataMax; no maxLength → the type's):
//     checkValue's order — {lang=}
//     delimiter (lang types; bad language → type), vocab match → valid,
//     regex mismatch → type (vocab without regex: not in vocab → type),
//     language set and a non-empty value that is not a valid language code →
//     type, "urn:" prefix not matching urn → type, numeric: not finite or
//     out of min/max → range, length over the limit → range.
//  9. writeOnce: an existing different value → codes.setFailure. unique:
//     another record of the collection has the same value, or for patterns
//     with uniquePatterns another pattern means the same ("set": same items
//     in any order, "list": identical) → codes.setFailure.
//  10. Apply: increment the counts of created records; if the element has
//     clears and its value changes, remove those elements/collections
//     (values and counts under them); store values[name] = value; remember
//     {element, value} for the next commit.
//
// # Test vectors
//
// testdata/cmi/vectors.json is an array of cases:
//
//	{"name": "…", "version": "1.2"|"2004", "init": {Init as JSON},
//	 "nav": {"continue": "true", "choice:<target>": "false", …},
//	 "tags": ["server"],
//	 "calls": [{"call": "SetValue", "args": ["cmi.score.scaled", "1.5"], "ret": "false", "err": "407"},
//	           {"call": "_relaunch", "init": {…}}, …]}
//
// Each case starts with NewState(version, init, nil) and a new API instance.
// After each call the runner compares the return value with "ret" and
// GetLastError() with "err". 1.2 cases use the LMS… names. "_relaunch" is
// the LMS between two launches: EndSession, then NewState with the case's
// init (or the call's) and the previous state, and a new API instance.
// Cases tagged "server" need that server round trip; a pure browser run
// without a server skips them. "nav" answers adl.nav.request_valid (absent
// keys: "unknown").
package cmi
