package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/lectern/lectern/internal/fixture"
)

// lectern runs a command line against a data folder and returns its output.
func lectern(t *testing.T, data string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	args = append(args, "--data", data, "--log-level", "warn")
	err = run(context.Background(), args, &out, &errb)
	return out.String(), errb.String(), err
}

func TestUserAddAndLoginLink(t *testing.T) {
	data := t.TempDir()
	out, _, err := lectern(t, data, "user", "add", "--email", "ada@example.org", "--name", "Ada Lovelace", "--admin")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`Password: (\S{20})\n`).FindStringSubmatch(out)
	if !strings.Contains(out, "Created admin ada@example.org") || m == nil {
		t.Fatalf("user add printed %q: want the created admin and a generated password", out)
	}
	if _, _, err := lectern(t, data, "user", "add", "--email", "ADA@example.org", "--name", "Again"); err == nil ||
		!strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate email: err %v, want 'already exists'", err)
	}
	for _, bad := range [][]string{
		{"--email", "not-an-email", "--name", "X"},
		{"--email", "b@example.org", "--name", ""},
		{"--email", "b@example.org", "--name", "B", "--password", "short"},
	} {
		if _, _, err := lectern(t, data, append([]string{"user", "add"}, bad...)...); err == nil {
			t.Errorf("user add %v: accepted", bad)
		}
	}
	out, _, err = lectern(t, data, "user", "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var users []struct {
		Email string
		Admin bool
	}
	if err := json.Unmarshal([]byte(out), &users); err != nil || len(users) != 1 || !users[0].Admin {
		t.Errorf("user list --json = %s (%v): want one admin", out, err)
	}

	out, _, err = lectern(t, data, "login-link", "--email", "ada@example.org", "--base-url", "https://lms.example.org")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^https://lms\.example\.org/login/link/[A-Za-z0-9_-]{43}\n$`).MatchString(out) {
		t.Errorf("login-link printed %q", out)
	}
	if _, _, err := lectern(t, data, "login-link", "--email", "nobody@example.org"); err == nil {
		t.Error("login-link for an unknown user succeeded")
	}
	if _, _, err := lectern(t, data, "login-link", "--email", "ada@example.org", "--course", "7"); err == nil ||
		!strings.Contains(err.Error(), "no course") {
		t.Errorf("login-link for a missing course: %v", err)
	}
}

type importJSON struct {
	ID            *uint  `json:"id"`
	Title         string `json:"title"`
	Version       string `json:"version"`
	Organizations []struct {
		Identifier string     `json:"identifier"`
		Title      string     `json:"title"`
		Items      []itemJSON `json:"items"`
	} `json:"organizations"`
	SCOCount        int      `json:"scoCount"`
	LaunchableCount int      `json:"launchableCount"`
	Warnings        []string `json:"warnings"`
}

type itemJSON struct {
	Identifier string     `json:"identifier"`
	Title      string     `json:"title"`
	Launch     string     `json:"launch"`
	ScormType  string     `json:"scormType"`
	Visible    bool       `json:"visible"`
	Children   []itemJSON `json:"children"`
}

func TestImportJSON(t *testing.T) {
	data := t.TempDir()
	zip := fixture.ZipDir(t, fixture.Package("scorm12-multi"))

	out, _, err := lectern(t, data, "import", "--json", "--check", zip)
	if err != nil {
		t.Fatal(err)
	}
	var checked importJSON
	if err := json.Unmarshal([]byte(out), &checked); err != nil {
		t.Fatalf("import --check --json printed %q: %v", out, err)
	}
	if checked.ID != nil {
		t.Errorf("--check gave id %d, want null", *checked.ID)
	}
	if entries, _ := os.ReadDir(filepath.Join(data, "content")); len(entries) != 0 {
		t.Errorf("--check stored content: %d entries", len(entries))
	}

	out, _, err = lectern(t, data, "import", zip, "--json") // flags after the file work too
	if err != nil {
		t.Fatal(err)
	}
	var got importJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("import --json printed %q: %v", out, err)
	}
	if got.ID == nil || *got.ID != 1 || got.Version != "1.2" || len(got.Organizations) == 0 {
		t.Fatalf("import --json = %+v", got)
	}
	if got.SCOCount != checked.SCOCount || got.LaunchableCount != checked.LaunchableCount || got.SCOCount == 0 {
		t.Errorf("counts: import %d/%d, check %d/%d", got.SCOCount, got.LaunchableCount, checked.SCOCount, checked.LaunchableCount)
	}
	var launchable int
	var walk func([]itemJSON)
	walk = func(items []itemJSON) {
		for _, it := range items {
			if it.Launch != "" {
				launchable++
				if it.ScormType != "sco" && it.ScormType != "asset" {
					t.Errorf("item %s launches %q with scormType %q", it.Identifier, it.Launch, it.ScormType)
				}
			}
			walk(it.Children)
		}
	}
	walk(got.Organizations[0].Items)
	if launchable != got.LaunchableCount {
		t.Errorf("tree has %d launchable items, launchableCount %d", launchable, got.LaunchableCount)
	}
	if _, err := os.Stat(filepath.Join(data, "content", "1", "1", "imsmanifest.xml")); err != nil {
		t.Errorf("content not stored: %v", err)
	}

	out, _, err = lectern(t, data, "import", "--course", "1", zip)
	if err != nil || !strings.Contains(out, "Imported course 1 (version 2, draft)") {
		t.Errorf("import --course 1: %q %v", out, err)
	}
}

func TestImportRejects(t *testing.T) {
	data := t.TempDir()
	notZip := filepath.Join(t.TempDir(), "course.zip")
	os.WriteFile(notZip, []byte("plain text"), 0o644)
	_, _, err := lectern(t, data, "import", "--json", notZip)
	if err == nil {
		t.Fatal("a text file was imported")
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "course.zip: ") || strings.Contains(msg, "\n") {
		t.Errorf("reason %q: want one line naming the file", msg)
	}
	if entries, _ := os.ReadDir(filepath.Join(data, "staging")); len(entries) != 0 {
		t.Errorf("staging left behind: %d entries", len(entries))
	}
	if _, _, err := lectern(t, data, "import"); err == nil {
		t.Error("import without a file succeeded")
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	data := t.TempDir()
	t.Setenv("LECTERN_LOGIN_LINK_TTL", "not-a-duration")
	if _, _, err := lectern(t, data, "user", "list"); err == nil || !strings.Contains(err.Error(), "LECTERN_LOGIN_LINK_TTL") {
		t.Errorf("malformed environment value: err %v, want it named", err)
	}
	t.Setenv("LECTERN_LOGIN_LINK_TTL", "5m")
	t.Setenv("LECTERN_ADDR", "nonsense")
	if _, _, err := lectern(t, data, "user", "list"); err == nil || !strings.Contains(err.Error(), "--addr") {
		t.Errorf("bad address from the environment: err %v", err)
	}
}

func TestGroupAndEnrol(t *testing.T) {
	data := t.TempDir()
	if _, _, err := lectern(t, data, "import", "--publish", fixture.ZipDir(t, fixture.Package("scorm12-single"))); err != nil {
		t.Fatal(err)
	}
	lectern(t, data, "user", "add", "--email", "lee@example.org", "--name", "Lee")
	if out, _, err := lectern(t, data, "group", "add", "Site North"); err != nil || !strings.Contains(out, `Created group "Site North"`) {
		t.Fatalf("group add: %q %v", out, err)
	}
	bad := []struct {
		args []string
		want string
	}{
		{[]string{"group", "add", "Site North"}, "already exists"},
		{[]string{"enrol", "--course", "1", "--email", "ghost@example.org"}, "no user"},
		{[]string{"enrol", "--course", "9", "--email", "lee@example.org"}, "no course"},
		{[]string{"enrol", "--course", "1", "--group", "Nowhere"}, "no group"},
		{[]string{"enrol", "--course", "1", "--email", "lee@example.org", "--due", "2001-01-01"}, "in the past"},
		{[]string{"enrol", "--course", "1", "--email", "lee@example.org", "--due", "31/12/2030"}, "not a date"},
		{[]string{"enrol", "--course", "1", "--email", "lee@example.org", "--due", "2030-01-01", "--due-days", "3"}, "not both"},
	}
	for _, tt := range bad {
		if _, _, err := lectern(t, data, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error with %q", tt.args, err, tt.want)
		}
	}
	if _, _, err := lectern(t, data, "enrol", "--course", "1"); err == nil {
		t.Error("enrol without a user or group succeeded")
	}
	out, _, err := lectern(t, data, "enrol", "--course", "1", "--email", "lee@example.org", "--due", "2030-06-30", "--timezone", "Europe/Berlin")
	if err != nil || !strings.Contains(out, "Enrolled lee@example.org in course 1, due 30 June 2030 23:59 CEST") {
		t.Errorf("enrol: %q %v", out, err)
	}
	if out, _, err := lectern(t, data, "enrol", "--course", "1", "--group", "Site North", "--due-days", "14"); err != nil || !strings.Contains(out, "0 new enrolments") {
		t.Errorf("enrol group: %q %v", out, err)
	}
}

func TestUserImport(t *testing.T) {
	data := t.TempDir()
	csv := filepath.Join(t.TempDir(), "users.csv")
	os.WriteFile(csv, []byte("email,name,groups\nzoe@example.org,Zoë Ødegård,Site A;Site B\nnot-an-email,Nope,\n"), 0o644)
	if _, _, err := lectern(t, data, "user", "import", csv); err == nil || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("import with a bad row: %v, want refused", err)
	}
	if out, _, _ := lectern(t, data, "user", "list"); strings.Contains(out, "zoe@") {
		t.Fatal("a refused import wrote users")
	}
	out, _, err := lectern(t, data, "user", "import", "--skip-invalid", csv)
	if err != nil || !strings.Contains(out, "1 users created") || !strings.Contains(out, "2 groups created") {
		t.Fatalf("import: %q %v", out, err)
	}
	out, _, err = lectern(t, data, "user", "import", "--skip-invalid", csv)
	if err != nil || !strings.Contains(out, "0 to create, 0 to update, 1 unchanged") || strings.Contains(out, "Imported") {
		t.Errorf("second import: %q %v, want no change", out, err)
	}
	os.WriteFile(csv, []byte("mail,name\nx@example.org,X\n"), 0o644)
	if _, _, err := lectern(t, data, "user", "import", csv); err == nil {
		t.Error("a file with wrong columns was imported")
	}
}

// TestCourseTitleSetting: --course-title-max N keeps a title of N
// characters and shortens one of N+1, with a warning; out of range, it is
// refused.
func TestCourseTitleSetting(t *testing.T) {
	data := t.TempDir()
	zip := fixture.Titled(t, fixture.Package("scorm12-single"), "Brewing Green Tea") // 17 characters
	for _, tt := range []struct {
		max      string
		title    string
		warnings int
	}{{"17", "Brewing Green Tea", 0}, {"16", "Brewing Green…", 1}} {
		out, _, err := lectern(t, data, "import", "--check", "--json", "--course-title-max", tt.max, zip)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Title    string
			Warnings []string
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err)
		}
		if got.Title != tt.title || len(got.Warnings) != tt.warnings {
			t.Errorf("--course-title-max %s: %q with %d warnings %q, want %q with %d", tt.max, got.Title, len(got.Warnings), got.Warnings, tt.title, tt.warnings)
		}
	}
	for _, bad := range []struct{ env, value, want string }{
		{"LECTERN_COURSE_TITLE_MAX", "501", "--course-title-max"},
		{"LECTERN_COURSE_TITLE_MAX", "0", "--course-title-max"},
		{"LECTERN_COURSE_IMAGE_MAX_BYTES", "0", "--course-image-max-bytes"},
		{"LECTERN_COURSE_IMAGE_MAX_PIXELS", "-1", "--course-image-max-pixels"},
		{"LECTERN_COURSE_DESCRIPTION_MAX", "-1", "--course-description-max"},
	} {
		t.Run(bad.env+"="+bad.value, func(t *testing.T) {
			t.Setenv(bad.env, bad.value)
			if _, _, err := lectern(t, data, "user", "list"); err == nil || !strings.Contains(err.Error(), bad.want) {
				t.Errorf("err %v, want one naming %s", err, bad.want)
			}
		})
	}
	t.Setenv("LECTERN_COURSE_TITLE_MAX", "500")
	if _, _, err := lectern(t, data, "user", "list"); err != nil {
		t.Errorf("--course-title-max 500: %v", err)
	}
}

// TestCourseCommand: the course lifecycle from the command line.
func TestCourseCommand(t *testing.T) {
	data := t.TempDir()
	zip := fixture.ZipDir(t, fixture.Package("scorm12-single"))
	out, _, err := lectern(t, data, "import", "--json", zip)
	if err != nil || !strings.Contains(out, `"status": "draft"`) {
		t.Fatalf("import: %q %v, want a draft", out, err)
	}
	if _, _, err := lectern(t, data, "import", "--publish", "--course", "1", zip); err == nil {
		t.Error("--publish with --course was accepted")
	}
	if _, _, err := lectern(t, data, "user", "add", "--email", "lee@example.org", "--name", "Lee"); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		args []string
		want string // in the output, or in the error when it starts with "!"
	}{
		{[]string{"enrol", "--course", "1", "--email", "lee@example.org"}, "!a draft: publish it first"},
		{[]string{"course", "retire", "1"}, "!is draft: it cannot be retired"},
		{[]string{"course", "publish", "1"}, "is now published"},
		{[]string{"enrol", "--course", "1", "--email", "lee@example.org"}, "Enrolled lee@example.org"},
		{[]string{"course", "delete", "1"}, "!has learner records"},
		{[]string{"course", "retire", "1"}, "is now retired"},
		{[]string{"course", "publish", "1"}, "!cannot be published"},
		{[]string{"course", "reinstate", "1"}, "is now published"},
		{[]string{"course", "archive", "1"}, "is now archived"},
		{[]string{"course", "restore", "1"}, "is now retired"},
		{[]string{"course", "delete", "2"}, "!no course with id 2"},
		{[]string{"course", "delete", "x"}, "!not a course id"},
		{[]string{"course", "vanish", "1"}, "!want publish"},
		{[]string{"import", "--publish", zip}, "(version 1, published)"},
		{[]string{"course", "delete", "2"}, "Deleted course 2"},
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
	if _, err := os.Stat(filepath.Join(data, "content", "2")); !os.IsNotExist(err) {
		t.Errorf("content of the deleted course: %v", err)
	}
}
