// Command lectern is a lightweight SCORM LMS: one binary, one data folder.
package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/bench"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/demo"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/userimport"
)

//go:embed templates static
var embedded embed.FS

const usage = `Lectern: a lightweight SCORM LMS.

Usage:
  lectern serve [--data DIR] [--addr HOST:PORT] [--demo] [flags]
  lectern import [--data DIR] [--json] [--check] [--publish] [--course ID] FILE.zip
  lectern course (publish|retire|reinstate|archive|restore|delete) ID
  lectern course catalogue ID (enrolled|open) --reason R
  lectern user add --email E --name N [--admin] [--password P]
  lectern user list [--json]
  lectern user import [--dry-run] [--skip-invalid] users.csv
  lectern login-link --email E [--course ID]
  lectern group add NAME
  lectern group manager add|remove GROUP EMAIL    (managers see their groups' compliance)
  lectern group manager list GROUP
  lectern enrol --course ID (--email E | --group G) [--due YYYY-MM-DD | --due-days N]
  lectern enrolment unenrol (--enrolment ID | --course ID --email E) --reason R
  lectern enrolment due (--enrolment ID | --course ID --email E) (--date YYYY-MM-DD | --none) --reason R
  lectern enrolment exempt (--enrolment ID | --course ID --email E) [--lift] --reason R
  lectern enrolment offline (--enrolment ID | --course ID --email E) --date YYYY-MM-DD --note N
      [--score PERCENT] [--evidence FILE] --reason R
  lectern certificate (revoke|reissue) CODE --reason R
  lectern audit [--actor TEXT] [--learner EMAIL] [--course ID] [--action KIND.] [--from YYYY-MM-DD]
      [--to YYYY-MM-DD] [--format csv|xlsx|json] [-o FILE]
  lectern report (--course ID | --learner EMAIL) [--format csv|xlsx|json] [-o FILE]
  lectern bench commit [--learners 64] [--duration 20s] [--target CONTENT-URL --data DIR [--db URL]]
  lectern bench raw [--writers 64] [--duration 20s] [--data DIR]
  lectern bench lti [--concurrency 64] [--duration 20s] [--learners 1000] [--window 60s] [--scores 10000] [--db postgres://...]
  lectern lti platform add --issuer URL --client-id ID --deployment ID [--deployment ID ...]
      --auth-url URL --token-url URL --jwks-url URL [--name NAME] [--keep name,email|none]
  lectern lti platform list [--json]
  lectern lti platform remove ID
  lectern lti tool-config [--json]
  lectern lti key rotate|list
  lectern migrate [--db postgres://... | --data DIR]
  lectern copy --from sqlite:PATH --to postgres://...

Every command accepts the settings of "lectern serve -h"; each is also a
LECTERN_* environment variable.
`

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(os.Stderr, "lectern: %s\n\n%s", ue.msg, usage)
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "lectern:", err)
		os.Exit(1)
	}
}

// cliActor is who the audit trail names for command-line changes: the
// operating-system account that ran the command.
func cliActor() store.Actor {
	name := "command line"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name += " (" + u.Username + ")"
	}
	return store.Actor{Name: name, Via: store.ViaCLI}
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// run dispatches a command line; main and the CLI tests call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{"no command"}
	}
	cmd, args := args[0], args[1:]
	ctx = store.WithActor(ctx, cliActor())
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "import":
		return importCmd(ctx, args, stdout, stderr)
	case "user":
		if len(args) == 0 {
			return usageError{"user: want add or list"}
		}
		switch args[0] {
		case "add":
			return userAdd(ctx, args[1:], stdout, stderr)
		case "import":
			return userImport(ctx, args[1:], stdout, stderr)
		case "list":
			return userList(ctx, args[1:], stdout, stderr)
		}
		return usageError{"user: want add or list"}
	case "course":
		return courseCmd(ctx, args, stdout, stderr)
	case "login-link":
		return loginLink(ctx, args, stdout, stderr)
	case "group":
		if len(args) > 0 && args[0] == "manager" {
			return groupManagerCmd(ctx, args[1:], stdout, stderr)
		}
		if len(args) == 0 || args[0] != "add" {
			return usageError{"group: want add or manager"}
		}
		return groupAdd(ctx, args[1:], stdout, stderr)
	case "enrol":
		return enrolCmd(ctx, args, stdout, stderr)
	case "enrolment":
		return enrolmentCmd(ctx, args, stdout, stderr)
	case "certificate":
		return certificateCmd(ctx, args, stdout, stderr)
	case "audit":
		return auditCmd(ctx, args, stdout, stderr)
	case "report":
		return reportCmd(ctx, args, stdout, stderr)
	case "bench":
		if len(args) > 0 && args[0] == "lti" {
			return benchLTI(ctx, args[1:], stdout, stderr)
		}
		if len(args) > 0 && args[0] == "raw" {
			return benchRaw(ctx, args[1:], stdout, stderr)
		}
		if len(args) == 0 || args[0] != "commit" {
			return usageError{"bench: want commit, raw or lti"}
		}
		return benchCommit(ctx, args[1:], stdout, stderr)
	case "lti":
		return ltiCmd(ctx, args, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args, stdout, stderr)
	case "copy":
		return copyCmd(ctx, args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{"unknown command " + cmd}
}

// command is one subcommand's flags on top of the shared configuration.
type command struct {
	fs  *flag.FlagSet
	cfg lms.Config
}

func newCommand(name string, stderr io.Writer) *command {
	c := &command{fs: flag.NewFlagSet("lectern "+name, flag.ContinueOnError), cfg: lms.DefaultConfig()}
	c.fs.SetOutput(stderr)
	c.cfg.RegisterFlags(c.fs)
	return c
}

// parse accepts flags before and after positional arguments.
func (c *command) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := c.fs.Parse(args); err != nil {
			return nil, err
		}
		args = c.fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if err := c.cfg.Validate(); err != nil {
		return nil, err
	}
	return pos, nil
}

func (c *command) open(stderr io.Writer) (*lms.App, error) {
	log := newLogger(stderr, c.cfg.LogLevel)
	templates, err := fs.Sub(embedded, "templates")
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(embedded, "static")
	if err != nil {
		return nil, err
	}
	return lms.Open(c.cfg, lms.Assets{Templates: templates, Static: static}, log)
}

// start parses the command line, checks the number of positional arguments
// (want < 0: any) and opens Lectern's data folder. The caller closes the app.
func (c *command) start(args []string, stderr io.Writer, want int, usage string) (*lms.App, []string, error) {
	pos, err := c.parse(args)
	if err != nil {
		return nil, nil, err
	}
	if want >= 0 && len(pos) != want {
		return nil, nil, usageError{usage}
	}
	app, err := c.open(stderr)
	return app, pos, err
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// tuneGC lets the heap grow to five times the live data before collecting
// (unless GOGC says otherwise): the server's live heap is a few megabytes, and
// collecting less often buys a fifth more commits per second on two cores.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	tuneGC()
	c := newCommand("serve", stderr)
	withDemo := c.fs.Bool("demo", false, "fill an empty data folder with a demo organisation (users, groups, courses, completions)")
	app, _, err := c.start(args, stderr, -1, "")
	if err != nil {
		return err
	}
	defer app.Close()
	if *withDemo {
		logins, err := demo.Seed(ctx, app)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if logins == nil {
			fmt.Fprintln(stdout, "The data folder already has users: no demo data added.")
		}
		for _, l := range logins {
			role := "learner"
			if l.Admin {
				role = "admin"
			}
			fmt.Fprintf(stdout, "Demo %s: %s / %s\n", role, l.Email, l.Password)
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	return app.Serve(ctx, func(lmsAddr, contentAddr string) {
		fmt.Fprintf(stdout, "Lectern is running at %s (content origin %s, data in %s)\n", app.Config.BaseURL, app.Config.ContentURL, app.Config.DataDir)
		if app.SetupCode != "" {
			fmt.Fprintf(stdout, "Lectern has no administrator yet. Set it up at %s/setup on this machine,\nor from another one at %s/setup?code=%s (the code works until set-up is done).\n",
				app.Config.BaseURL, app.Config.BaseURL, app.SetupCode)
		}
	})
}

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("import", stderr)
	asJSON := c.fs.Bool("json", false, "print the course as one JSON object")
	check := c.fs.Bool("check", false, "validate the package without storing it")
	courseID := c.fs.Uint("course", 0, "add the package as a new version of this course")
	publish := c.fs.Bool("publish", false, "publish a new course at once (it starts as a draft that only admins see)")
	app, pos, err := c.start(args, stderr, 1, "import: want one FILE.zip")
	if err != nil {
		return err
	}
	defer app.Close()
	if *publish && *courseID != 0 {
		return usageError{"import: --publish is for a new course; publish an existing one with lectern course publish ID"}
	}
	res, err := app.Importer.Import(ctx, pos[0], course.Options{CheckOnly: *check, CourseID: *courseID, Filename: filepath.Base(pos[0]), Draft: true})
	if err != nil {
		var rej *course.RejectedError
		if errors.As(err, &rej) {
			return fmt.Errorf("%s: %s", filepath.Base(pos[0]), rej.Reason)
		}
		return err
	}
	if *publish && res.ID != nil {
		if err := app.Store.SetCourseStatus(ctx, *res.ID, store.CoursePublished); err != nil {
			return err
		}
	}
	if res.ID != nil {
		co, err := app.Store.CourseByID(ctx, *res.ID)
		if err != nil {
			return err
		}
		res.Status = co.Status
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	if *check {
		fmt.Fprintf(stdout, "OK: %q, SCORM %s, %d SCOs, %d launchable items (not stored)\n", res.Title, res.Version, res.SCOCount, res.LaunchableCount)
	} else {
		fmt.Fprintf(stdout, "Imported course %d (version %d, %s): %q, SCORM %s, %d SCOs, %d launchable items\n",
			*res.ID, res.CourseVersion, res.Status, res.Title, res.Version, res.SCOCount, res.LaunchableCount)
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(stdout, "warning:", w)
	}
	return nil
}

// courseCmd moves a course through its life, or deletes it.
func courseCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const want = "course: want publish, retire, reinstate, archive, restore or delete, and a course id; or catalogue"
	if len(args) == 0 {
		return usageError{want}
	}
	// Each step, with the statuses it starts from.
	steps := map[string]struct {
		to   string
		from []string
		done string
	}{
		"publish":   {store.CoursePublished, []string{store.CourseDraft}, "published"},
		"retire":    {store.CourseRetired, []string{store.CoursePublished}, "retired"},
		"reinstate": {store.CoursePublished, []string{store.CourseRetired}, "reinstated"},
		"archive":   {store.CourseArchived, []string{store.CoursePublished, store.CourseRetired}, "archived"},
		"restore":   {store.CourseRetired, []string{store.CourseArchived}, "restored"},
		"delete":    {},
	}
	if args[0] == "catalogue" {
		return courseCatalogueCmd(ctx, args[1:], stdout, stderr)
	}
	step, ok := steps[args[0]]
	if !ok {
		return usageError{want}
	}
	c := newCommand("course "+args[0], stderr)
	app, pos, err := c.start(args[1:], stderr, 1, want)
	if err != nil {
		return err
	}
	defer app.Close()
	id, err := strconv.ParseUint(pos[0], 10, 32)
	if err != nil {
		return usageError{fmt.Sprintf("course: %q is not a course id", pos[0])}
	}
	co, err := app.Store.CourseByID(ctx, uint(id))
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no course with id %d", id)
	} else if err != nil {
		return err
	}
	if args[0] == "delete" {
		if err := app.Importer.Delete(ctx, co.ID); errors.Is(err, store.ErrHasRecords) {
			return fmt.Errorf("course %d has learner records (enrolments, attempts or completions): archive it instead (lectern course archive %d)", co.ID, co.ID)
		} else if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Deleted course %d %q\n", co.ID, co.Title)
		return nil
	}
	if !slices.Contains(step.from, co.Status) {
		return fmt.Errorf("course %d is %s: it cannot be %s", co.ID, co.Status, step.done)
	}
	if err := app.Store.SetCourseStatus(ctx, co.ID, step.to); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Course %d %q is now %s\n", co.ID, co.Title, step.to)
	return nil
}

func userAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("user add", stderr)
	email := c.fs.String("email", "", "email address (sign-in name)")
	name := c.fs.String("name", "", "full name")
	admin := c.fs.Bool("admin", false, "make the user an administrator")
	password := c.fs.String("password", "", "password (generated and printed once when omitted)")
	app, _, err := c.start(args, stderr, -1, "")
	if err != nil {
		return err
	}
	defer app.Close()
	u, generated, err := app.AddUser(ctx, *email, *name, *password, *admin)
	if err != nil {
		return err
	}
	role := "learner"
	if u.Admin {
		role = "admin"
	}
	fmt.Fprintf(stdout, "Created %s %s (%s)\n", role, u.Email, u.Name)
	if generated != "" {
		fmt.Fprintf(stdout, "Password: %s\n(shown once; it is stored only as a hash)\n", generated)
	}
	return nil
}

func userList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("user list", stderr)
	asJSON := c.fs.Bool("json", false, "print JSON")
	app, _, err := c.start(args, stderr, -1, "")
	if err != nil {
		return err
	}
	defer app.Close()
	users, err := app.Store.Users(ctx)
	if err != nil {
		return err
	}
	type row struct {
		ID     uint   `json:"id"`
		Email  string `json:"email"`
		Name   string `json:"name"`
		Admin  bool   `json:"admin"`
		Active bool   `json:"active"`
	}
	rows := make([]row, 0, len(users))
	for _, u := range users {
		rows = append(rows, row{u.ID, u.Email, u.Name, u.Admin, u.Active})
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rows)
	}
	for _, r := range rows {
		role, state := "learner", ""
		if r.Admin {
			role = "admin"
		}
		if !r.Active {
			state = " (deactivated)"
		}
		fmt.Fprintf(stdout, "%d\t%s\t%s\t%s%s\n", r.ID, r.Email, r.Name, role, state)
	}
	return nil
}

func loginLink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("login-link", stderr)
	email := c.fs.String("email", "", "email of the user to sign in")
	courseID := c.fs.Uint("course", 0, "open this course after signing in")
	app, _, err := c.start(args, stderr, -1, "")
	if err != nil {
		return err
	}
	defer app.Close()
	link, err := app.LoginLink(ctx, *email, *courseID)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, link)
	return nil
}

// benchCommit loads the run-time commit endpoint over loopback with
// concurrent learners, in a scratch folder, and prints the figures.
func benchCommit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("lectern bench commit", flag.ContinueOnError)
	flags.SetOutput(stderr)
	learners := flags.Int("learners", 64, "concurrent learners, each committing as fast as it is answered")
	duration := flags.Duration("duration", 20*time.Second, "how long to load")
	target := flags.String("target", "", "content origin URL of a running Lectern (or of a proxy in front of several) to load from this process, instead of a server in this process")
	db := flags.String("db", "", "with --target: the server's database (its --db; default: lectern.db in --data)")
	data := flags.String("data", "", "with --target: the server's data folder (its --data), where the bench course goes")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *learners < 1 || *duration <= 0 {
		return usageError{"bench commit: --learners and --duration must be positive"}
	}
	if *target != "" {
		if *data == "" {
			return usageError{"bench commit: --target needs --data, the server's data folder"}
		}
		if u, err := url.Parse(*target); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError{"bench commit: --target must be an http(s) URL of the content origin"}
		}
		if *db == "" {
			*db = filepath.Join(*data, "lectern.db")
		}
		fmt.Fprintf(stdout, "loading %s with %d learners for %v from this process ...\n", *target, *learners, *duration)
		r, err := bench.RunAgainst(ctx, bench.Target{ContentURL: *target, DB: *db, DataDir: *data},
			bench.Options{Learners: *learners, Duration: *duration})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, r)
		return nil
	}
	if *db != "" || *data != "" {
		return usageError{"bench commit: --db and --data go with --target"}
	}
	tuneGC()
	dir, err := os.MkdirTemp("", "lectern-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	templates, _ := fs.Sub(embedded, "templates")
	static, _ := fs.Sub(embedded, "static")
	fmt.Fprintf(stdout, "loading the commit endpoint with %d learners for %v ...\n", *learners, *duration)
	r, err := bench.Run(ctx, bench.Options{Learners: *learners, Duration: *duration, DataDir: dir}, templates, static)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, r)
	return nil
}

// benchRaw measures the floor of the commit figures: a raw SQLite upsert
// of a commit's payload, one row per durable transaction, in its own
// process.
func benchRaw(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("lectern bench raw", flag.ContinueOnError)
	flags.SetOutput(stderr)
	writers := flags.Int("writers", 64, "concurrent writers, each upserting its own row as fast as it can")
	duration := flags.Duration("duration", 20*time.Second, "how long to write")
	data := flags.String("data", "", "folder for the scratch database (default: a new temporary folder), on the disk to measure")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if *writers < 1 || *duration <= 0 {
		return usageError{"bench raw: --writers and --duration must be positive"}
	}
	dir, err := os.MkdirTemp(*data, "lectern-raw-")
	if err != nil {
		return fmt.Errorf("bench raw: a scratch folder in --data %q: %w", *data, err)
	}
	defer os.RemoveAll(dir)
	r, err := bench.RawUpserts(ctx, filepath.Join(dir, "raw.db"), bench.RawPayload(), *duration, *writers)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, r)
	return nil
}

func groupAdd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("group add", stderr)
	app, pos, err := c.start(args, stderr, 1, "group add: want one NAME")
	if err != nil {
		return err
	}
	defer app.Close()
	g, err := app.AddGroup(ctx, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Created group %q (id %d)\n", g.Name, g.ID)
	return nil
}

func enrolCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("enrol", stderr)
	courseID := c.fs.Uint("course", 0, "course id")
	email := c.fs.String("email", "", "enrol this user")
	group := c.fs.String("group", "", "enrol this group (and its future members)")
	due := c.fs.String("due", "", "due date, YYYY-MM-DD, end of day in the organisation's time zone")
	dueDays := c.fs.Int("due-days", 0, "due this many days after enrolment")
	if _, err := c.parse(args); err != nil {
		return err
	}
	if *courseID == 0 || (*email == "") == (*group == "") {
		return usageError{"enrol: want --course and one of --email or --group"}
	}
	app, err := c.open(stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	in := lms.DueInput{Date: *due, Days: *dueDays}
	if *email != "" {
		e, created, err := app.EnrolEmail(ctx, *courseID, *email, in)
		if err != nil {
			return err
		}
		verb := "Enrolled"
		if !created {
			verb = "Already enrolled; updated"
		}
		fmt.Fprintf(stdout, "%s %s in course %d%s\n", verb, store.NormalizeEmail(*email), *courseID, dueText(app, e.DueAt))
		return nil
	}
	n, err := app.EnrolGroupName(ctx, *courseID, *group, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Enrolled group %q in course %d: %d new enrolments; members who join later are enrolled too\n", *group, *courseID, n)
	return nil
}

func dueText(app *lms.App, due *time.Time) string {
	if due == nil {
		return " (no due date)"
	}
	return ", due " + due.In(app.Config.Location()).Format("2 January 2006 15:04 MST")
}

// userImport creates and updates users from a CSV file (email, name, groups),
// all valid rows in one transaction. Importing the same file again changes
// nothing.
func userImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("user import", stderr)
	dryRun := c.fs.Bool("dry-run", false, "show what would change, change nothing")
	skipInvalid := c.fs.Bool("skip-invalid", false, "import the valid rows even when some rows have errors")
	app, pos, err := c.start(args, stderr, 1, "user import: want one users.csv")
	if err != nil {
		return err
	}
	defer app.Close()
	f, err := os.Open(pos[0])
	if err != nil {
		return err
	}
	defer f.Close()
	dir, err := userimport.Load(ctx, app.Store)
	if err != nil {
		return err
	}
	plan, err := userimport.Parse(f, dir)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Base(pos[0]), err)
	}
	for _, r := range plan.Rows {
		fmt.Fprintf(stdout, "line %d\t%s\t%s\n", r.Line, r.Email, r.Describe())
	}
	fmt.Fprintf(stdout, "%d to create, %d to update, %d unchanged, %d with errors\n", plan.ToCreate, plan.ToUpdate, plan.Unchanged, plan.Invalid)
	if plan.Invalid > 0 && !*skipInvalid {
		return fmt.Errorf("%d rows have errors; nothing was imported (fix them, or use --skip-invalid)", plan.Invalid)
	}
	if *dryRun || !plan.Changes() {
		return nil
	}
	res, err := userimport.Apply(ctx, app.Store, plan, app.Compliance.DueFor)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Imported: %d users created, %d renamed, %d group memberships, %d groups created, %d enrolments\n",
		res.Created, res.Renamed, res.Joined, res.GroupsCreated, res.Enrolled)
	return nil
}
