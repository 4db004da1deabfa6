package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lectern/lectern/internal/dbdump"
	"github.com/lectern/lectern/internal/fixture"
)

// TestCorrectionCommands: every correction from the command line needs a
// reason, writes exactly one audit entry with it and changes only what it
// corrects; bad input is refused with a clear error and changes nothing.
func TestCorrectionCommands(t *testing.T) {
	data := t.TempDir()
	zip := fixture.ZipDir(t, fixture.Package("scorm12-single"))
	for _, args := range [][]string{
		{"import", "--publish", zip},
		{"user", "add", "--email", "lee@example.org", "--name", "Lee"},
		{"user", "add", "--email", "kim@example.org", "--name", "Kim"},
		{"enrol", "--course", "1", "--email", "lee@example.org"},
		{"enrol", "--course", "1", "--email", "kim@example.org"},
	} {
		if _, _, err := lectern(t, data, args...); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
	}
	_, last := auditActions(t, data, 0)
	db := filepath.Join(data, "lectern.db")
	snapshot := func() dbdump.Snapshot { return dbdump.Take(t, db, "audit_entries", "sessions", "api_tokens") }
	sheet := filepath.Join(t.TempDir(), "attendance.pdf")
	os.WriteFile(sheet, []byte("%PDF-1.4 attendance sheet"), 0o644)
	big := filepath.Join(t.TempDir(), "big.pdf")
	os.WriteFile(big, make([]byte, 1001), 0o644)
	yesterday := time.Now().AddDate(0, 0, -2).Format("2006-01-02")
	nextMonth := time.Now().AddDate(0, 1, 0).Format("2006-01-02")
	tomorrow := time.Now().AddDate(0, 0, 2).Format("2006-01-02")
	lee := []string{"--course", "1", "--email", "lee@example.org"}
	with := func(head []string, tail ...string) []string {
		return append(append(slices.Clone(head), lee...), tail...)
	}

	// step runs a command; want is its one audit action ("" for a refusal,
	// then errWant is in its error), tables what it may change.
	step := func(args []string, action, errWant string, tables ...string) string {
		t.Helper()
		before := snapshot()
		out, _, err := lectern(t, data, args...)
		var got []string
		got, last = auditActions(t, data, last)
		changed := dbdump.Changed(before, snapshot())
		slices.Sort(tables)
		if !slices.Equal(changed, tables) {
			t.Errorf("%v: changed %v, want %v", args, changed, tables)
		}
		if action == "" {
			if err == nil || !strings.Contains(err.Error(), errWant) {
				t.Errorf("%v: err %v, want %q", args, err, errWant)
			}
			if len(got) != 0 {
				t.Errorf("%v: refused, yet audit entries %v", args, got)
			}
			return out
		}
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if len(got) != 1 || got[0] != action {
			t.Errorf("%v: audit entries %v, want exactly one %s", args, got, action)
		}
		return out
	}

	step(with([]string{"enrolment", "due", "--date", nextMonth}), "", "give a reason")
	step(with([]string{"enrolment", "due", "--date", "2001-01-01", "--reason", "x"}), "", "in the past")
	step(with([]string{"enrolment", "due", "--date", "31/12/2030", "--reason", "x"}), "", "not a date")
	step([]string{"enrolment", "due", "--course", "1", "--email", "nobody@example.org", "--date", nextMonth, "--reason", "x"}, "", "no user with email nobody@example.org")
	step([]string{"enrolment", "due", "--course", "9", "--email", "lee@example.org", "--date", nextMonth, "--reason", "x"}, "", "no course with id 9")
	step([]string{"enrolment", "unenrol", "--enrolment", "99", "--reason", "x"}, "", "no enrolment with id 99")
	step(with([]string{"enrolment", "exempt", "--reason", "  "}), "", "give a reason")
	step(with([]string{"enrolment", "exempt", "--lift", "--reason", "x"}), "", "not exempt")
	step(with([]string{"enrolment", "unenrol"}), "", "give a reason")
	step(with([]string{"enrolment", "offline", "--date", tomorrow, "--note", "Drill", "--reason", "x"}), "", "has not happened yet")
	step(with([]string{"enrolment", "offline", "--date", "yesterday", "--note", "Drill", "--reason", "x"}), "", "not a date")
	step(with([]string{"enrolment", "offline", "--date", yesterday, "--reason", "x"}), "", "say what the session was")
	step(with([]string{"enrolment", "offline", "--date", yesterday, "--note", "Drill", "--reason", "x", "--evidence", big, "--evidence-max-bytes", "1000"}), "", "larger than the evidence limit of 1000 bytes")
	step([]string{"certificate", "revoke", "AAAA-BBBB-CCCC", "--reason", "x"}, "", "no certificate with code AAAA-BBBB-CCCC")

	step(with([]string{"enrolment", "due", "--date", nextMonth, "--reason", "on leave"}), "enrolment.due", "", "enrolments")
	step(with([]string{"enrolment", "due", "--none", "--reason", "no deadline after all"}), "enrolment.due", "", "enrolments")
	step(with([]string{"enrolment", "exempt", "--reason", "holds the external certificate"}), "enrolment.exempt", "", "enrolments")
	step(with([]string{"enrolment", "exempt", "--lift", "--reason", "it lapsed"}), "enrolment.unexempt", "", "enrolments")
	out := step(with([]string{"enrolment", "offline", "--date", yesterday, "--note", "Fire drill", "--score", "85", "--evidence", sheet, "--evidence-max-bytes", "1000", "--reason", "classroom session"}),
		"completion.offline", "", "completions", "enrolments", "evidences")
	code := regexp.MustCompile(`certificate (\S{4}-\S{4}-\S{4})`).FindStringSubmatch(out)
	if code == nil {
		t.Fatalf("offline printed %q: want the certificate code", out)
	}
	step(with([]string{"enrolment", "offline", "--date", yesterday, "--note", "Again", "--reason", "x"}), "", "completed already")
	step([]string{"certificate", "revoke", code[1]}, "", "give a reason")
	step([]string{"certificate", "revoke", strings.ToLower(code[1]), "--reason", "wrong learner"}, "certificate.revoke", "", "completions", "enrolments")
	step([]string{"certificate", "revoke", code[1], "--reason", "x"}, "", "revoked already")
	out = step([]string{"certificate", "reissue", code[1], "--reason", "revoked by mistake"}, "certificate.reissue", "", "completions", "enrolments")
	if !strings.Contains(out, "Reissued certificate "+code[1]+" as ") {
		t.Errorf("reissue printed %q", out)
	}
	step(with([]string{"enrolment", "unenrol", "--reason", "left the company"}), "enrolment.unenrol", "", "enrolments")
	step(with([]string{"enrolment", "unenrol", "--reason", "again"}), "", "not enrolled")

	// lectern audit lists what the corrections wrote, filtered.
	out, _, err := lectern(t, data, "audit", "--learner", "lee@example.org", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct{ Action, Reason, Via string }
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("audit --format json: %v\n%s", err, out)
	}
	var actions []string
	for _, r := range rows {
		actions = append(actions, r.Action)
	}
	want := []string{"enrolment.unenrol", "certificate.reissue", "certificate.revoke", "completion.offline", "enrolment.unexempt", "enrolment.exempt", "enrolment.due", "enrolment.due", "enrolment.create", "user.create"}
	if !slices.Equal(actions, want) || rows[0].Reason != "left the company" || rows[0].Via != "cli" {
		t.Errorf("audit of Lee: %v, want %v; newest %+v", actions, want, rows[0])
	}
	out, _, err = lectern(t, data, "audit", "--action", "certificate.", "--course", "1")
	if err != nil || strings.Count(out, "\n") != 3 || !strings.HasPrefix(out, "\uFEFFWhen (UTC),Who,Via,Action") {
		t.Errorf("audit --action certificate. as CSV (%v):\n%s", err, out)
	}
	xlsx := filepath.Join(t.TempDir(), "audit.xlsx")
	if _, _, err := lectern(t, data, "audit", "--format", "xlsx", "-o", xlsx); err != nil {
		t.Fatal(err)
	}
	if f, err := excelize.OpenFile(xlsx); err != nil {
		t.Errorf("audit xlsx: %v", err)
	} else {
		rows, _ := f.GetRows("Sheet1")
		if len(rows) < 10 {
			t.Errorf("audit xlsx: %d rows", len(rows))
		}
		f.Close()
	}
	for _, bad := range [][]string{{"--learner", "nobody@example.org"}, {"--course", "9"}, {"--from", "today"}, {"--format", "pdf"}} {
		if _, _, err := lectern(t, data, append([]string{"audit"}, bad...)...); err == nil {
			t.Errorf("audit %v: no error", bad)
		}
	}
}
