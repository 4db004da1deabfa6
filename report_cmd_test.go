package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/lectern/lectern/internal/fixture"
)

// runReport runs reportCmd directly: the dispatch line in run is the lead's.
func runReport(t *testing.T, data string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := reportCmd(context.Background(), append(args, "--data", data, "--log-level", "warn"), &out, &errb)
	return out.String(), err
}

func TestReportCommand(t *testing.T) {
	data := t.TempDir()
	if _, _, err := lectern(t, data, "import", "--publish", fixture.ZipDir(t, fixture.Package("scorm12-single"))); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ email, name string }{{"lee@example.org", "=cmd|' /C calc'!A0"}, {"kim@example.org", "<script>Kim"}} {
		if _, _, err := lectern(t, data, "user", "add", "--email", u.email, "--name", u.name); err != nil {
			t.Fatal(err)
		}
		if _, _, err := lectern(t, data, "enrol", "--course", "1", "--email", u.email); err != nil {
			t.Fatal(err)
		}
	}

	out, err := runReport(t, data, "--course", "1", "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("CSV: %d records, %v\n%s", len(recs), err, out)
	}
	if recs[1][0] != "'=cmd|' /C calc'!A0" && recs[2][0] != "'=cmd|' /C calc'!A0" {
		t.Errorf("formula name not neutralised: %q", recs)
	}

	out, err = runReport(t, data, "--course", "1", "--format", "json", "--sort", "name")
	var rows []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil || len(rows) != 2 || rows[0]["learner"] != "<script>Kim" {
		t.Errorf("JSON: %v %v\n%s", rows, err, out)
	}

	file := filepath.Join(t.TempDir(), "r.xlsx")
	if _, err := runReport(t, data, "--course", "1", "--format", "xlsx", "-o", file); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if xr, _ := f.GetRows("Sheet1"); len(xr) != 3 {
		t.Errorf("XLSX: %d rows, want 3", len(xr))
	}
	f.Close()

	out, err = runReport(t, data, "--learner", "LEE@example.org", "--format", "csv")
	if err != nil || !strings.Contains(out, "Course") || strings.Count(out, "\n") != 2 {
		t.Errorf("transcript: %v\n%s", err, out)
	}

	bad := []struct {
		args []string
		want string
	}{
		{[]string{"--format", "csv"}, "want one of"},
		{[]string{"--course", "1", "--learner", "lee@example.org"}, "want one of"},
		{[]string{"--course", "1", "--format", "pdf"}, "--format"},
		{[]string{"--course", "9"}, "not found"},
		{[]string{"--learner", "ghost@example.org"}, "not found"},
		{[]string{"--course", "1", "--status", "bogus"}, "status"},
	}
	for _, b := range bad {
		if _, err := runReport(t, data, b.args...); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%v: %v, want an error with %q", b.args, err, b.want)
		}
	}
}
