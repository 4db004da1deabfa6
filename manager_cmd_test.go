package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lectern/lectern/lms/store"
)

// TestGroupManagerCommands: the operator makes and unmakes managers; bad
// input is refused and changes nothing; each change is audited.
func TestGroupManagerCommands(t *testing.T) {
	data := t.TempDir()
	lectern(t, data, "user", "add", "--email", "bea@example.org", "--name", "Bea")
	lectern(t, data, "group", "add", "Site North")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"group", "manager"}, "want add"},
		{[]string{"group", "manager", "promote", "Site North", "bea@example.org"}, "want add"},
		{[]string{"group", "manager", "add", "Site North"}, "want add"},
		{[]string{"group", "manager", "add", "Nowhere", "bea@example.org"}, "no group"},
		{[]string{"group", "manager", "add", "Site North", "ghost@example.org"}, "no user"},
		{[]string{"group", "manager", "remove", "Site North", "bea@example.org"}, "does not manage"},
	} {
		if _, _, err := lectern(t, data, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error with %q", tt.args, err, tt.want)
		}
	}
	if out, _, _ := lectern(t, data, "group", "manager", "list", "Site North"); out != "" {
		t.Fatalf("managers after refused commands: %q", out)
	}
	if out, _, err := lectern(t, data, "group", "manager", "add", "Site North", "BEA@example.org"); err != nil || !strings.Contains(out, `bea@example.org now manages "Site North"`) {
		t.Fatalf("add: %q %v", out, err)
	}
	if out, _, err := lectern(t, data, "group", "manager", "add", "Site North", "bea@example.org"); err != nil || !strings.Contains(out, "already manages") {
		t.Errorf("add again: %q %v", out, err)
	}
	if out, _, _ := lectern(t, data, "group", "manager", "list", "Site North"); out != "bea@example.org\tBea\n" {
		t.Errorf("list: %q", out)
	}
	if out, _, err := lectern(t, data, "group", "manager", "remove", "Site North", "bea@example.org"); err != nil || !strings.Contains(out, "no longer manages") {
		t.Errorf("remove: %q %v", out, err)
	}
	st, err := store.OpenSQLite(filepath.Join(data, "lectern.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	entries, err := st.AuditEntries(context.Background(), store.AuditFilter{Action: "group."}, 10)
	var got []string
	for _, e := range entries {
		if strings.HasPrefix(e.Action, "group.manager") {
			got = append(got, e.Action+" via "+e.Via)
		}
	}
	if err != nil || strings.Join(got, ",") != "group.manager_remove via cli,group.manager_add via cli" {
		t.Errorf("audit %q %v", got, err)
	}
}
