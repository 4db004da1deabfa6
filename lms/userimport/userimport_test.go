package userimport

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/lms/store"
)

var dir = Directory{
	Users: map[string]Existing{
		"ada@example.org":   {Name: "Ada Lovelace", Active: true, Groups: []string{"Engineering"}},
		"grace@example.org": {Name: "Grace Hopper", Active: false},
	},
	Groups: []string{"Engineering", "Sales"},
}

func TestParseFileErrors(t *testing.T) {
	tests := []struct {
		name, file string
		want       error
		say        string // in the message
	}{
		{"empty", "", ErrEmpty, "empty"},
		{"only blanks", " \n\r\n ", ErrEmpty, "empty"},
		{"only a byte order mark", "\uFEFF", ErrEmpty, "empty"},
		{"header only", "email,name,groups\n", ErrEmpty, "no users"},
		{"header and empty cells", "email,name,groups\n,,\n , ,\n", ErrEmpty, "no users"},
		{"latin-1", "email,name\nb@example.org,Bj\xf6rn\n", ErrNotUTF8, "line 2"},
		{"utf-16", "\xff\xfee\x00m\x00", ErrNotUTF8, "UTF-16"},
		{"no header", "ada@example.org,Ada\n", ErrHeader, "must name the columns"},
		{"missing name", "email,groups\na@example.org,x\n", ErrHeader, "column name is missing"},
		{"missing email", "Name\nAda\n", ErrHeader, "column email is missing"},
		{"extra column", "email,name,Phone\na@example.org,A,1\n", ErrHeader, "unknown column “Phone”"},
		{"extra columns", "email,name,phone,dept\na@example.org,A,1,2\n", ErrHeader, "unknown columns “phone”, “dept”"},
		{"duplicate column", "email,name,EMAIL\n", ErrHeader, "appears twice"},
		{"unnamed column", "email,,name\n", ErrHeader, "column 2 has no name"},
		{"semicolons", "email;name;groups\na@example.org;A;x\n", ErrHeader, "separated by “;”"},
		{"bare quote", "email,name\na@example.org,Anne \"Nan\" Smith\n", ErrSyntax, "line 2"},
		{"open quote", "email,name\na@example.org,\"Anne\n", ErrSyntax, "not closed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(strings.NewReader(tc.file), dir)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v (plan %v), want %v", err, p, tc.want)
			}
			if !strings.Contains(err.Error(), tc.say) {
				t.Errorf("message %q does not say %q", err, tc.say)
			}
		})
	}
}

func TestParseSizeLimit(t *testing.T) {
	file := func(size int) []byte {
		b := []byte("email,name\nnew@example.org,New\n")
		return append(b, bytes.Repeat([]byte("\n"), size-len(b))...)
	}
	if _, err := Parse(bytes.NewReader(file(MaxImportBytes)), dir); err != nil {
		t.Errorf("at the limit: %v", err)
	}
	if _, err := Parse(bytes.NewReader(file(MaxImportBytes+1)), dir); !errors.Is(err, ErrTooLarge) {
		t.Errorf("one byte over: %v, want ErrTooLarge", err)
	}
	// A huge stream is refused after the limit, not read to its end.
	huge := &countingReader{n: 50 << 20}
	if _, err := Parse(huge, dir); !errors.Is(err, ErrTooLarge) {
		t.Errorf("50 MB: %v, want ErrTooLarge", err)
	}
	if huge.read > MaxImportBytes+1 {
		t.Errorf("read %d bytes of a 50 MB stream, want at most %d", huge.read, MaxImportBytes+1)
	}
}

type countingReader struct{ n, read int }

func (c *countingReader) Read(p []byte) (int, error) {
	if c.read >= c.n {
		return 0, errors.New("EOF")
	}
	k := min(len(p), c.n-c.read)
	for i := range p[:k] {
		p[i] = 'a'
	}
	c.read += k
	return k, nil
}

func TestParseTooManyRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("email,name\n")
	for i := range MaxRows + 1 {
		fmt.Fprintf(&b, "u%d@example.org,U\n", i)
	}
	if _, err := Parse(strings.NewReader(b.String()), dir); !errors.Is(err, ErrTooMany) {
		t.Errorf("%d rows: %v, want ErrTooMany", MaxRows+1, err)
	}
}

func TestParseRows(t *testing.T) {
	tests := []struct {
		name     string
		row      string // after the header "email,name,groups"
		outcome  Outcome
		problem  string // in Problems
		warning  string // in Warnings
		email    string
		groups   []string
		join     []string
		newGroup []string
	}{
		{name: "new user", row: "New@Example.org , New Person ,", outcome: Create, email: "new@example.org"},
		{name: "new user with groups", row: "new@example.org,New,Sales; Night shift |sales|", outcome: Create,
			groups: []string{"Sales", "Night shift"}, join: []string{"Sales", "Night shift"}, newGroup: []string{"Night shift"}},
		{name: "existing group in another case", row: "new@example.org,New,engineering", outcome: Create,
			groups: []string{"Engineering"}, join: []string{"Engineering"}},
		{name: "no change", row: "ADA@example.org,Ada Lovelace,Engineering", outcome: NoChange},
		{name: "blank name keeps the name", row: "ada@example.org,,", outcome: NoChange},
		{name: "rename", row: "ada@example.org,Ada King,", outcome: Update},
		{name: "join", row: "ada@example.org,Ada Lovelace,Engineering;Sales", outcome: Update, join: []string{"Sales"}},
		{name: "deactivated user", row: "grace@example.org,Grace Hopper,Sales", outcome: Update, warning: "deactivated"},
		{name: "new user without a name", row: "new@example.org,,", outcome: Invalid, problem: "name is required"},
		{name: "missing email", row: ",Someone,", outcome: Invalid, problem: "email is missing"},
		{name: "invalid email", row: "not-an-address,Someone,", outcome: Invalid, problem: "not a valid email"},
		{name: "display name", row: "Ada <ada@example.org>,Ada,", outcome: Invalid, problem: "not a valid email"},
		{name: "long name", row: "new@example.org," + strings.Repeat("é", MaxNameLength+1) + ",", outcome: Invalid, problem: "longer than 200"},
		{name: "name at the limit", row: "new@example.org," + strings.Repeat("é", MaxNameLength) + ",", outcome: Create},
		{name: "name with a line break", row: "new@example.org,\"Two\nLines\",", outcome: Invalid, problem: "control character"},
		{name: "long group", row: "new@example.org,New," + strings.Repeat("g", MaxGroupNameLength+1), outcome: Invalid, problem: "longer than 100"},
		{name: "too many groups", row: "new@example.org,New," + strings.Repeat("g;", 0) + manyGroups(MaxGroupsPerRow+1), outcome: Invalid, problem: "at most 50"},
		{name: "short row", row: "new@example.org,New", outcome: Invalid, problem: "2 values but the header has 3"},
		{name: "long row", row: "new@example.org,New,,extra", outcome: Invalid, problem: "4 values"},
		{name: "formula name", row: "new@example.org,=cmd|' /C calc'!A0,", outcome: Create, warning: "starts with “=”"},
		{name: "plus name", row: "new@example.org,+1 Someone,", outcome: Create, warning: "formula"},
		{name: "minus name", row: "new@example.org,-Someone,", outcome: Create, warning: "formula"},
		{name: "at name", row: "new@example.org,@SUM(A1),", outcome: Create, warning: "formula"},
		{name: "formula group", row: "new@example.org,New,=HYPERLINK(x)", outcome: Create, warning: "group name",
			newGroup: []string{"=HYPERLINK(x)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(strings.NewReader("email,name,groups\n"+tc.row+"\n"), dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Rows) != 1 {
				t.Fatalf("got %d rows, want 1", len(p.Rows))
			}
			r := p.Rows[0]
			if r.Outcome != tc.outcome {
				t.Errorf("outcome %q (problems %q), want %q", r.Outcome, r.Problems, tc.outcome)
			}
			if r.Line != 2 {
				t.Errorf("line %d, want 2", r.Line)
			}
			if tc.problem != "" && !strings.Contains(strings.Join(r.Problems, "|"), tc.problem) {
				t.Errorf("problems %q, want one saying %q", r.Problems, tc.problem)
			}
			if tc.problem == "" && len(r.Problems) > 0 {
				t.Errorf("unexpected problems %q", r.Problems)
			}
			if tc.warning != "" && !strings.Contains(strings.Join(r.Warnings, "|"), tc.warning) {
				t.Errorf("warnings %q, want one saying %q", r.Warnings, tc.warning)
			}
			if tc.email != "" && r.Email != tc.email {
				t.Errorf("email %q, want %q", r.Email, tc.email)
			}
			if tc.groups != nil && !reflect.DeepEqual(r.Groups, tc.groups) {
				t.Errorf("groups %q, want %q", r.Groups, tc.groups)
			}
			if tc.join != nil && !reflect.DeepEqual(r.Join, tc.join) {
				t.Errorf("join %q, want %q", r.Join, tc.join)
			}
			if !reflect.DeepEqual(r.NewGroups, tc.newGroup) {
				t.Errorf("new groups %q, want %q", r.NewGroups, tc.newGroup)
			}
		})
	}
}

func manyGroups(n int) string {
	var gs []string
	for i := range n {
		gs = append(gs, fmt.Sprint("group ", i))
	}
	return strings.Join(gs, ";")
}

func TestParsePlan(t *testing.T) {
	file := "\uFEFFGroups,EMAIL,Name\r\n" +
		"Sales|Warehouse,one@example.org,One\r\n" +
		",,\r\n" +
		"warehouse,TWO@example.org,Two\r\n" +
		",two@example.org,Two again\r\n" +
		"Engineering,ada@example.org,Ada Lovelace\r\n" +
		"Depot,bad@,Bad\r\n"
	p, err := Parse(strings.NewReader(file), dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range p.Rows {
		got = append(got, strconv.Itoa(r.Line)+" "+string(r.Outcome)+" "+r.Describe())
	}
	want := []string{
		"2 create create; add to groups Sales, Warehouse (new)",
		"4 error error: the email also appears on line 5",
		"5 error error: the email also appears on line 4",
		"6 no change no change",
		"7 error error: “bad@” is not a valid email address",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Depot is named only by an invalid row: it is not created.
	if !reflect.DeepEqual(p.NewGroups, []string{"Warehouse"}) {
		t.Errorf("new groups %q, want [Warehouse]", p.NewGroups)
	}
	if p.ToCreate != 1 || p.ToUpdate != 0 || p.Unchanged != 1 || p.Invalid != 3 {
		t.Errorf("counts create %d update %d unchanged %d invalid %d, want 1 0 1 3", p.ToCreate, p.ToUpdate, p.Unchanged, p.Invalid)
	}
	again, _ := Parse(strings.NewReader(file), dir)
	if p.Digest() != again.Digest() {
		t.Error("the same file and directory give different digests")
	}
	other := Directory{Users: map[string]Existing{}, Groups: dir.Groups}
	if changed, _ := Parse(strings.NewReader(file), other); changed.Digest() == p.Digest() {
		t.Error("a different directory gives the same digest")
	}
}

func TestApply(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(filepath.Join(t.TempDir(), "lectern.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	st.SetClock(func() time.Time { return now })
	if err := st.CreateUser(ctx, &store.User{Email: "ada@example.org", Name: "Ada", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	days := 14
	dueFor := func(enrolled time.Time, r store.DueRule) *time.Time {
		d := enrolled.AddDate(0, 0, *r.Days)
		return &d
	}
	sales, _ := st.CreateGroup(ctx, "Sales")
	course := &store.CourseVersion{Title: "Safety", Edition: "1.2"}
	if err := st.CreateCourseVersion(ctx, 0, course, nil, func(*store.CourseVersion) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EnrolGroup(ctx, sales.ID, course.CourseID, store.DueRule{Days: &days}, dueFor); err != nil {
		t.Fatal(err)
	}

	file := "email,name,groups\n" +
		"ada@example.org,Ada King,sales;Night\n" +
		"new@example.org,New Person,Night\n" +
		"bad,Bad,Depot\n"
	run := func() store.ImportResult {
		t.Helper()
		d, err := Load(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(strings.NewReader(file), d)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Apply(ctx, st, p, dueFor)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	got := run()
	want := store.ImportResult{Created: 1, Renamed: 1, Joined: 3, GroupsCreated: 1, Enrolled: 1}
	if got != want {
		t.Errorf("first import %+v, want %+v", got, want)
	}
	if got := run(); got != (store.ImportResult{}) {
		t.Errorf("second import %+v, want no change", got)
	}
	u, err := st.UserByEmail(ctx, "new@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") || !u.Active {
		t.Errorf("new user: hash %q active %v, want an argon2id hash and active", u.PasswordHash, u.Active)
	}
	ada, _ := st.UserByEmail(ctx, "ada@example.org")
	if ada.Name != "Ada King" {
		t.Errorf("renamed user: %q, want Ada King", ada.Name)
	}
	es, _ := st.Enrolments(ctx, store.EnrolmentFilter{UserID: ada.ID})
	if len(es) != 1 || es[0].DueAt == nil || !es[0].DueAt.Equal(now.AddDate(0, 0, days)) {
		t.Errorf("Ada's enrolments %+v, want one due in %d days", es, days)
	}
	if _, err := st.GroupByName(ctx, "Depot"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("group of an invalid row: %v, want not created", err)
	}
}

// FuzzParse: any input gives a plan or an error, never a panic, and the
// plan's counts agree with its rows.
func FuzzParse(f *testing.F) {
	f.Add("email,name,groups\nada@example.org,Ada,Engineering;Sales\nnew@example.org,New,\n")
	f.Add("\uFEFFName,Email\r\n\"A, B\",a@example.org\r\n")
	f.Add("email,name\n\"unterminated\n")
	f.Add("email,name,groups\nx@example.org,=1+1,|;|\n")
	f.Fuzz(func(t *testing.T, file string) {
		p, err := Parse(strings.NewReader(file), dir)
		if err != nil {
			return
		}
		if n := p.ToCreate + p.ToUpdate + p.Unchanged + p.Invalid; n != len(p.Rows) || n == 0 {
			t.Fatalf("counts add up to %d for %d rows", n, len(p.Rows))
		}
		for _, r := range p.Rows {
			if (r.Outcome == Invalid) != (len(r.Problems) > 0) {
				t.Fatalf("row %d: outcome %q with problems %q", r.Line, r.Outcome, r.Problems)
			}
		}
	})
}
