package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/store"
)

// auditActions opens the data folder's database and lists the actions and
// ways in of the entries after id, oldest first, with the newest id.
func auditActions(t *testing.T, data string, after uint) (actions []string, last uint) {
	t.Helper()
	st, err := store.OpenSQLite(filepath.Join(data, "lectern.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.AuditEntries(context.Background(), store.AuditFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	last = after
	for i := len(rows) - 1; i >= 0; i-- {
		r := rows[i]
		if r.ID <= after {
			continue
		}
		if r.Via != store.ViaCLI || r.ActorID != nil || r.ActorName == "" {
			t.Errorf("%s: via %q by %v %q, want the command line", r.Action, r.Via, r.ActorID, r.ActorName)
		}
		actions, last = append(actions, r.Action), r.ID
	}
	return actions, last
}

// TestCommandsAreAudited: each changing command writes exactly one audit
// entry (the import of a file, one per user it changes); failed commands
// write none.
func TestCommandsAreAudited(t *testing.T) {
	data := t.TempDir()
	csv := filepath.Join(t.TempDir(), "users.csv")
	os.WriteFile(csv, []byte("email,name,groups\nzoe@example.org,Zoe,Site A\n"), 0o644)
	zip := fixture.ZipDir(t, fixture.Package("scorm12-single"))
	steps := []struct {
		args []string
		want []string
	}{
		{[]string{"import", zip}, []string{"course.import"}},
		{[]string{"import", "--course", "1", zip}, []string{"course.version"}},
		{[]string{"import", "--check", zip}, nil},
		{[]string{"course", "publish", "1"}, []string{"course.publish"}},
		{[]string{"user", "add", "--email", "lee@example.org", "--name", "Lee"}, []string{"user.create"}},
		{[]string{"user", "add", "--email", "lee@example.org", "--name", "Lee"}, nil}, // refused: exists
		{[]string{"group", "add", "Site North"}, []string{"group.create"}},
		{[]string{"enrol", "--course", "1", "--email", "lee@example.org"}, []string{"enrolment.create"}},
		{[]string{"enrol", "--course", "1", "--email", "lee@example.org", "--due", "2001-01-01"}, nil}, // refused
		{[]string{"enrol", "--course", "1", "--group", "Site North", "--due-days", "7"}, []string{"enrolment.group"}},
		{[]string{"login-link", "--email", "lee@example.org"}, []string{"user.login_link"}},
		{[]string{"user", "import", csv}, []string{"user.import"}},
		{[]string{"user", "import", csv}, nil}, // unchanged
		{[]string{"user", "list"}, nil},
	}
	var last uint
	for _, s := range steps {
		lectern(t, data, s.args...)
		var got []string
		got, last = auditActions(t, data, last)
		if len(got) != len(s.want) || (len(got) > 0 && got[0] != s.want[0]) {
			t.Errorf("%v: audit entries %v, want %v", s.args, got, s.want)
		}
	}
}
