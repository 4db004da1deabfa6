// Package userimport reads a CSV file of users and plans what importing it
// would change, without writing anything. The web preview and the command
// line show the plan; Apply carries out its valid rows in one transaction.
//
// The file starts with a header row naming its columns, in any order and any
// case: email and name are required, groups is optional. A row's groups are
// separated by ";" or "|". An import only adds: it creates users and groups,
// renames users and adds memberships; it never removes a membership,
// deactivates anyone or changes a password.
package userimport

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lectern/lectern/lms/account"
	"github.com/lectern/lectern/lms/store"
)

// Limits of a file. Each new user costs a password hash (some 25 ms of one
// core), so MaxRows also bounds how long an import takes.
const (
	MaxImportBytes     = 5 << 20
	MaxRows            = 5000
	MaxNameLength      = 200 // characters, as the users table holds
	MaxGroupNameLength = 100 // characters
	MaxGroupsPerRow    = 50
)

// Errors that make the whole file unreadable. Each is wrapped with the
// detail (a line, a column name) and reads as a sentence after "The file was
// not read: ".
var (
	ErrTooLarge = fmt.Errorf("the file is larger than the limit of %d MB", MaxImportBytes>>20)
	ErrEmpty    = errors.New("the file is empty")
	ErrNotUTF8  = errors.New("the file is not UTF-8 text")
	ErrHeader   = errors.New("the header row is wrong")
	ErrSyntax   = errors.New("the file is not valid CSV")
	ErrTooMany  = fmt.Errorf("the file has more than %d users; split it into smaller files", MaxRows)
)

// Outcome is what importing a row would do.
type Outcome string

const (
	Create   Outcome = "create"    // a new user
	Update   Outcome = "update"    // a new name, new groups or both
	NoChange Outcome = "no change" // the user already is as the row says
	Invalid  Outcome = "error"     // the row has problems and is skipped
)

// Row is one user of the file and what importing it would do.
type Row struct {
	Line      int      // line of the file the row starts on; the header is line 1
	Email     string   // lower-cased when valid, as given otherwise
	Name      string   // trimmed, otherwise as given
	Groups    []string // trimmed and de-duplicated; existing groups in their stored spelling
	Outcome   Outcome
	Rename    bool     // the row changes an existing user's name ...
	OldName   string   // ... from this one
	Join      []string // groups the user would join
	NewGroups []string // those of Join that do not exist yet
	Problems  []string // why the row is Invalid
	Warnings  []string // accepted as given, but worth a look
}

// Describe says what importing the row would do, in words.
func (r Row) Describe() string {
	var parts []string
	switch r.Outcome {
	case Invalid:
		return "error: " + strings.Join(r.Problems, "; ")
	case NoChange:
		return "no change"
	case Create:
		parts = append(parts, "create")
	}
	if r.Rename {
		parts = append(parts, fmt.Sprintf("change the name from “%s” to “%s”", r.OldName, r.Name))
	}
	if len(r.Join) > 0 {
		parts = append(parts, "add to "+groupList(r.Join, r.NewGroups))
	}
	return strings.Join(parts, "; ")
}

func groupList(join, fresh []string) string {
	isNew := map[string]bool{}
	for _, g := range fresh {
		isNew[g] = true
	}
	names := make([]string, len(join))
	for i, g := range join {
		names[i] = g
		if isNew[g] {
			names[i] += " (new)"
		}
	}
	if len(names) == 1 {
		return "group " + names[0]
	}
	return "groups " + strings.Join(names, ", ")
}

// Plan is what importing a file would do. Nothing is written to make it.
type Plan struct {
	Rows      []Row
	NewGroups []string // groups the import creates, in order of appearance
	ToCreate  int
	ToUpdate  int
	Unchanged int
	Invalid   int
}

// Changes tells whether importing the plan would change anything.
func (p *Plan) Changes() bool { return p.ToCreate+p.ToUpdate > 0 }

// Digest identifies the plan: the same file against the same users gives
// the same digest, so a confirmation can check that it applies what was
// previewed.
func (p *Plan) Digest() string {
	b, _ := json.Marshal(p) // plain data: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Existing is what Lectern holds for a user the file names.
type Existing struct {
	Name   string
	Active bool
	Groups []string
}

// Directory is the users and groups a file is compared with.
type Directory struct {
	Users  map[string]Existing // by lower-cased email
	Groups []string            // names of the groups that exist
}

// Read reads a whole file, refusing one over MaxImportBytes after reading
// at most one byte more.
func Read(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the file: %w", err)
	}
	if len(data) > MaxImportBytes {
		return nil, ErrTooLarge
	}
	return data, nil
}

// Parse reads a CSV file and plans its import against dir. A file it cannot
// read at all is an error (see the Err variables); problems of single rows
// are in the plan, as rows with the outcome Invalid.
func Parse(r io.Reader, dir Directory) (*Plan, error) {
	data, err := Read(r)
	if err != nil {
		return nil, err
	}
	rows, err := readRows(data)
	if err != nil {
		return nil, err
	}
	return plan(rows, dir), nil
}

var columnNames = []string{"email", "name", "groups"}

// readRows decodes the file into rows checked on their own, without the
// directory.
func readRows(data []byte) ([]Row, error) {
	if bytes.HasPrefix(data, []byte{0xFF, 0xFE}) || bytes.HasPrefix(data, []byte{0xFE, 0xFF}) {
		return nil, fmt.Errorf("%w: it is UTF-16 (Excel's “Unicode text”); save it as “CSV UTF-8”", ErrNotUTF8)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF")) // Excel's CSV UTF-8 starts with a byte order mark
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w (line %d is not); save it as “CSV UTF-8”", ErrNotUTF8, invalidLine(data))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ErrEmpty
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1 // a row of the wrong width is that row's problem, not the file's
	header, err := cr.Read()
	if err != nil {
		return nil, syntaxError(err)
	}
	cols, err := columns(header)
	if err != nil {
		return nil, err
	}
	var rows []Row
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, syntaxError(err)
		}
		if blank(rec) {
			continue // spreadsheets leave rows of empty cells behind
		}
		if len(rows) == MaxRows {
			return nil, ErrTooMany
		}
		line, _ := cr.FieldPos(0)
		rows = append(rows, checkRow(line, rec, cols, len(header)))
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: it has a header row but no users", ErrEmpty)
	}
	return rows, nil
}

// invalidLine is the line of the first byte that is not UTF-8.
func invalidLine(data []byte) int {
	off := 0
	for off < len(data) {
		r, n := utf8.DecodeRune(data[off:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		off += n
	}
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

func syntaxError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return fmt.Errorf("%w: %v", ErrSyntax, err)
	}
	why := pe.Err.Error()
	switch {
	case errors.Is(pe.Err, csv.ErrBareQuote):
		why = `a " appears inside a value that is not in quotes (put the value in double quotes and write the " inside it twice)`
	case errors.Is(pe.Err, csv.ErrQuote):
		why = `a value in quotes is not closed, or has text after its closing "`
	}
	return fmt.Errorf("%w: line %d: %s", ErrSyntax, pe.Line, why)
}

// columns maps each known column to its index in the header.
func columns(header []string) (map[string]int, error) {
	if len(header) == 1 && strings.ContainsAny(header[0], ";\t") {
		return nil, fmt.Errorf("%w: the columns seem to be separated by “;” or tabs; Lectern reads comma-separated files (email,name,groups)", ErrHeader)
	}
	cols := map[string]int{}
	var unknown []string
	for i, h := range header {
		h = strings.TrimSpace(h)
		n := strings.ToLower(h)
		switch {
		case strings.Contains(h, "@"):
			return nil, fmt.Errorf("%w: the first row must name the columns (email,name,groups), but it holds “%s”", ErrHeader, h)
		case n == "":
			return nil, fmt.Errorf("%w: column %d has no name", ErrHeader, i+1)
		case !known(n):
			unknown = append(unknown, "“"+h+"”")
		case hasKey(cols, n):
			return nil, fmt.Errorf("%w: the column %s appears twice", ErrHeader, n)
		default:
			cols[n] = i
		}
	}
	if len(unknown) == 1 {
		return nil, fmt.Errorf("%w: unknown column %s; the columns are email, name and (optionally) groups", ErrHeader, unknown[0])
	}
	if len(unknown) > 1 {
		return nil, fmt.Errorf("%w: unknown columns %s; the columns are email, name and (optionally) groups", ErrHeader, strings.Join(unknown, ", "))
	}
	for _, need := range []string{"email", "name"} {
		if !hasKey(cols, need) {
			return nil, fmt.Errorf("%w: the column %s is missing; the columns are email, name and (optionally) groups", ErrHeader, need)
		}
	}
	return cols, nil
}

func known(name string) bool {
	for _, c := range columnNames {
		if c == name {
			return true
		}
	}
	return false
}

func hasKey(m map[string]int, k string) bool { _, ok := m[k]; return ok }

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// checkRow reads one record and finds the problems it has on its own.
func checkRow(line int, rec []string, cols map[string]int, width int) Row {
	field := func(col string) string {
		if i, ok := cols[col]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	row := Row{Line: line, Email: field("email"), Name: field("name")}
	if len(rec) != width {
		row.problem("the row has %d values but the header has %d columns", len(rec), width)
	}
	switch {
	case row.Email == "":
		row.problem("the email is missing")
	case !account.ValidEmail(row.Email):
		row.problem("“%s” is not a valid email address", row.Email)
	default:
		row.Email = store.NormalizeEmail(row.Email)
	}
	switch {
	case utf8.RuneCountInString(row.Name) > MaxNameLength:
		row.problem("the name is longer than %d characters", MaxNameLength)
	case hasControl(row.Name):
		row.problem("the name contains a line break or another control character")
	case formulaLike(row.Name):
		row.warn("the name starts with “%c”: it is stored as given, but a spreadsheet could read it as a formula", row.Name[0])
	}
	seen := map[string]bool{}
	for _, g := range strings.FieldsFunc(field("groups"), func(r rune) bool { return r == ';' || r == '|' }) {
		g = strings.TrimSpace(g)
		key := strings.ToLower(g)
		if g == "" || seen[key] {
			continue
		}
		seen[key] = true
		switch {
		case utf8.RuneCountInString(g) > MaxGroupNameLength:
			row.problem("the group name “%s…” is longer than %d characters", truncate(g, 20), MaxGroupNameLength)
			continue
		case hasControl(g):
			row.problem("a group name contains a line break or another control character")
			continue
		case formulaLike(g):
			row.warn("the group name “%s” starts with “%c”: it is stored as given, but a spreadsheet could read it as a formula", g, g[0])
		}
		row.Groups = append(row.Groups, g)
	}
	if len(row.Groups) > MaxGroupsPerRow {
		row.problem("the row names %d groups; at most %d are allowed", len(row.Groups), MaxGroupsPerRow)
	}
	return row
}

func (r *Row) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

func (r *Row) warn(format string, args ...any) {
	r.Warnings = append(r.Warnings, fmt.Sprintf(format, args...))
}

func hasControl(s string) bool { return strings.IndexFunc(s, unicode.IsControl) >= 0 }

// formulaLike tells whether a spreadsheet would take s for a formula (the
// OWASP "CSV injection" list; tab and carriage return are control
// characters and refused anyway).
func formulaLike(s string) bool { return s != "" && strings.ContainsRune("=+-@", rune(s[0])) }

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// plan compares the checked rows with the directory.
func plan(rows []Row, dir Directory) *Plan {
	// An email twice in the file is ambiguous: neither row wins.
	lines := map[string][]int{}
	for _, r := range rows {
		if len(r.Problems) == 0 {
			lines[r.Email] = append(lines[r.Email], r.Line)
		}
	}
	for i := range rows {
		r := &rows[i]
		if ls := lines[r.Email]; len(r.Problems) == 0 && len(ls) > 1 {
			var others []string
			for _, l := range ls {
				if l != r.Line {
					others = append(others, fmt.Sprint(l))
				}
			}
			r.problem("the email also appears on line %s", strings.Join(others, ", "))
		}
	}

	// Group names match existing groups whatever their case; a new group
	// takes the spelling of its first row.
	spelling := map[string]string{}
	existing := map[string]bool{}
	for _, g := range dir.Groups {
		spelling[strings.ToLower(g)] = g
		existing[strings.ToLower(g)] = true
	}
	p := &Plan{}
	created := map[string]bool{}
	for i := range rows {
		r := &rows[i]
		if len(r.Problems) > 0 {
			r.Outcome = Invalid
			p.Invalid++
			continue
		}
		for j, g := range r.Groups {
			key := strings.ToLower(g)
			if s, ok := spelling[key]; ok {
				r.Groups[j] = s
			} else {
				spelling[key] = g
			}
		}
		old, found := dir.Users[r.Email]
		member := map[string]bool{}
		if found {
			for _, g := range old.Groups {
				member[strings.ToLower(g)] = true
			}
		} else if r.Name == "" {
			r.problem("a name is required for a new user")
			r.Outcome = Invalid
			p.Invalid++
			continue
		}
		for _, g := range r.Groups {
			key := strings.ToLower(g)
			if member[key] {
				continue
			}
			r.Join = append(r.Join, g)
			if !existing[key] {
				r.NewGroups = append(r.NewGroups, g)
				if !created[key] {
					created[key] = true
					p.NewGroups = append(p.NewGroups, g)
				}
			}
		}
		switch {
		case !found:
			r.Outcome = Create
			p.ToCreate++
			continue
		case r.Name != "" && r.Name != old.Name:
			r.Rename, r.OldName = true, old.Name
		}
		if !old.Active {
			r.warn("the user is deactivated and stays deactivated")
		}
		if r.Rename || len(r.Join) > 0 {
			r.Outcome = Update
			p.ToUpdate++
		} else {
			r.Outcome = NoChange
			p.Unchanged++
		}
	}
	p.Rows = rows
	return p
}
