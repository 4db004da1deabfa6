// Package demo fills an empty Lectern with an organisation to look at: an
// admin, learners in groups, two small courses written for Lectern, some
// completions and an overdue learner. `lectern serve --demo` uses it.
package demo

import (
	"archive/zip"
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/runtime"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm/cmi"
	"github.com/lectern/lectern/scorm/seq"
)

//go:embed courses
var courses embed.FS

// Sign-in details printed for the newcomer.
type Login struct {
	Email, Password string
	Admin           bool
}

// Seed fills the app's data folder if it has no users yet; otherwise it does
// nothing and returns nil logins.
func Seed(ctx context.Context, app *lms.App) ([]Login, error) {
	users, err := app.Store.Users(ctx)
	if err != nil {
		return nil, err
	}
	if len(users) > 0 {
		return nil, nil
	}
	var ids []uint
	for _, name := range []string{"fire-safety", "data-protection"} {
		zipPath, err := zipCourse(name)
		if err != nil {
			return nil, err
		}
		res, err := app.Importer.Import(ctx, zipPath, course.Options{Filename: name + ".zip"})
		os.Remove(zipPath)
		if err != nil {
			return nil, fmt.Errorf("demo: import %s: %w", name, err)
		}
		ids = append(ids, *res.ID)
	}
	fire, privacy := ids[0], ids[1]
	twelve := 12
	rules := store.CourseRules{PassRule: store.PassRequired, AttemptPolicy: store.AttemptBest, ValidityMonths: &twelve}
	if _, err := app.Compliance.ApplyRules(ctx, fire, rules, "demo set-up", ""); err != nil {
		return nil, err
	}

	logins := []Login{{Email: "admin@demo.lectern.test", Password: "demo-admin-password", Admin: true}}
	if _, _, err := app.AddUser(ctx, logins[0].Email, "Alex Admin", logins[0].Password, true); err != nil {
		return nil, err
	}
	people := []struct{ email, name, group string }{
		{"ana@demo.lectern.test", "Ana Alvarez", "Warehouse"},
		{"ben@demo.lectern.test", "Ben Baker", "Warehouse"},
		{"chloe@demo.lectern.test", "Chloé Chen", "Office"},
		{"dev@demo.lectern.test", "Dev Desai", "Office"},
	}
	groups := map[string]uint{}
	learners := map[string]*store.User{}
	for _, p := range people {
		u, _, err := app.AddUser(ctx, p.email, p.name, "demo-learner-password", false)
		if err != nil {
			return nil, err
		}
		learners[p.email] = u
		gid, ok := groups[p.group]
		if !ok {
			g, err := app.AddGroup(ctx, p.group)
			if err != nil {
				return nil, err
			}
			gid, groups[p.group] = g.ID, g.ID
		}
		if _, err := app.Store.AddMember(ctx, u.ID, gid, app.Compliance.DueFor); err != nil {
			return nil, err
		}
	}
	logins = append(logins, Login{Email: people[0].email, Password: "demo-learner-password"})
	thirty := 30
	for _, gid := range groups {
		if _, err := app.Store.EnrolGroup(ctx, gid, fire, store.DueRule{Days: &thirty}, app.Compliance.DueFor); err != nil {
			return nil, err
		}
	}
	if _, err := app.Store.EnrolGroup(ctx, groups["Office"], privacy, store.DueRule{Days: &thirty}, app.Compliance.DueFor); err != nil {
		return nil, err
	}
	// Ben has passed fire safety; Chloé completed data protection; Dev's
	// fire safety was due three days ago.
	if err := completeFireSafety(ctx, app.Runtime, learners["ben@demo.lectern.test"], fire); err != nil {
		return nil, err
	}
	if err := completeDataProtection(ctx, app.Runtime, learners["chloe@demo.lectern.test"], privacy); err != nil {
		return nil, err
	}
	late := app.Store.Now().AddDate(0, 0, -3)
	if _, _, err := app.Store.Enrol(ctx, learners["dev@demo.lectern.test"].ID, fire, &late); err != nil {
		return nil, err
	}
	if err := app.Compliance.Reconcile(ctx, 0); err != nil {
		return nil, err
	}
	return logins, nil
}

// zipCourse writes an embedded course folder to a temporary zip.
func zipCourse(name string) (string, error) {
	f, err := os.CreateTemp("", "lectern-demo-*.zip")
	if err != nil {
		return "", err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	root := path.Join("courses", name)
	err = fs.WalkDir(courses, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		w, err := zw.Create(p[len(root)+1:])
		if err != nil {
			return err
		}
		src, err := courses.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(w, src)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("demo: zip %s: %w", name, err)
	}
	return filepath.Clean(f.Name()), nil
}

// run plays SCO sessions through the run-time, as the player would: open
// the course, then for each session start, commit and terminate, and
// navigate (the last request ends the session).
func run(ctx context.Context, rt *runtime.Service, u *store.User, courseID uint, sessions [][]cmi.Change, then []string) error {
	c, err := rt.Open(ctx, u, courseID)
	if err != nil {
		return err
	}
	token := c.Token
	for i, changes := range sessions {
		if token == "" {
			return fmt.Errorf("demo: course %d has nothing to launch", courseID)
		}
		if _, err := rt.Start(ctx, token); err != nil {
			return err
		}
		if _, err := rt.Commit(ctx, runtime.CommitRequest{Token: token, Seq: 1, Terminate: true, Changes: changes}); err != nil {
			return err
		}
		moved, err := rt.Navigate(ctx, token, seq.Request{Kind: then[i]})
		if err != nil {
			return err
		}
		token = moved.Token
	}
	return nil
}

func completeFireSafety(ctx context.Context, rt *runtime.Service, u *store.User, courseID uint) error {
	return run(ctx, rt, u, courseID, [][]cmi.Change{{
		{Element: "cmi.core.lesson_location", Value: "3"},
		{Element: "cmi.core.score.raw", Value: "100"},
		{Element: "cmi.core.lesson_status", Value: "completed"},
		{Element: "cmi.core.session_time", Value: "00:06:40"},
	}}, []string{seq.ExitAll})
}

func completeDataProtection(ctx context.Context, rt *runtime.Service, u *store.User, courseID uint) error {
	lesson := []cmi.Change{
		{Element: "cmi.progress_measure", Value: "1"},
		{Element: "cmi.completion_status", Value: "completed"},
		{Element: "cmi.exit", Value: "normal"},
		{Element: "cmi.session_time", Value: "PT4M"},
	}
	quiz := []cmi.Change{
		{Element: "cmi.score.scaled", Value: "1"},
		{Element: "cmi.completion_status", Value: "completed"},
		{Element: "cmi.exit", Value: "normal"},
		{Element: "cmi.session_time", Value: "PT2M30S"},
	}
	return run(ctx, rt, u, courseID, [][]cmi.Change{lesson, quiz}, []string{seq.Continue, seq.ExitAll})
}
