package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/store"
)

// TestCourseCatalogueCommand: lectern course catalogue opens a course to
// every learner and closes it again, each time with the reason in the
// audit trail; bad input changes nothing.
func TestCourseCatalogueCommand(t *testing.T) {
	data := t.TempDir()
	zip := fixture.ZipDir(t, fixture.Package("scorm12-single"))
	if _, _, err := lectern(t, data, "import", "--publish", zip); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args []string
		want string // in the output, or in the error when it starts with "!"
	}{
		{[]string{"course", "catalogue", "1", "open"}, "!give a reason"},
		{[]string{"course", "catalogue", "1", "everyone", "--reason", "x"}, "!not enrolled or open"},
		{[]string{"course", "catalogue", "1"}, "!want a course id, enrolled or open"},
		{[]string{"course", "catalogue", "x", "open", "--reason", "x"}, "!not a course id"},
		{[]string{"course", "catalogue", "2", "open", "--reason", "x"}, "!no course with id 2"},
		{[]string{"course", "catalogue", "1", "enrolled", "--reason", "x"}, "enrolled already; nothing changed"},
		{[]string{"course", "catalogue", "1", "open", "--reason", "Open to all staff"}, "Course 1 is now open to every learner"},
		{[]string{"course", "catalogue", "1", "enrolled", "--reason", "Back to assigned only"}, "Course 1 is now for enrolled learners only"},
	}
	for _, s := range steps {
		out, _, err := lectern(t, data, s.args...)
		if want, ok := strings.CutPrefix(s.want, "!"); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%v: %q %v, want an error with %q", s.args, out, err, want)
			}
		} else if err != nil || !strings.Contains(out, s.want) {
			t.Errorf("%v: %q %v, want %q", s.args, out, err, s.want)
		}
	}
	st, err := store.OpenSQLite(filepath.Join(data, "lectern.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.AuditEntries(context.Background(), store.AuditFilter{Action: "course.catalogue"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, r := range rows {
		reasons = append(reasons, r.Reason)
	}
	if got := strings.Join(reasons, "|"); got != "Back to assigned only|Open to all staff" {
		t.Errorf("audit reasons (newest first): %q, want the two changes", got)
	}
	if c, _ := st.CourseByID(context.Background(), 1); c.Catalogue != store.CatalogueEnrolled {
		t.Errorf("catalogue %q, want enrolled", c.Catalogue)
	}
}
