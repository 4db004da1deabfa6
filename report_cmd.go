package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/lectern/lectern/lms/report"
)

// reportCmd writes a course report (--course ID) or a learner's transcript
// (--learner EMAIL) as CSV, XLSX or JSON, to a file or to stdout.
//
//	lectern report --course ID --format csv|xlsx|json [-o FILE]
//	lectern report --learner EMAIL --format csv|xlsx|json [-o FILE]
func reportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("report", stderr)
	courseID := c.fs.Uint("course", 0, "report on this course: one row per enrolled learner")
	learner := c.fs.String("learner", "", "transcript of this learner (email): every course and attempt")
	format := c.fs.String("format", report.CSV, "csv, xlsx or json")
	out := c.fs.String("o", "", "write to this file instead of stdout")
	group := c.fs.Uint("group", 0, "course report: only members of this group (id)")
	status := c.fs.String("status", "", `course report: only this status ("to do", "in progress", "overdue", "completed", "expired")`)
	sort := c.fs.String("sort", "", "course report: name, status, due, completed or score")
	if _, err := c.parse(args); err != nil {
		return err
	}
	if (*courseID == 0) == (*learner == "") {
		return usageError{"report: want one of --course or --learner"}
	}
	switch *format {
	case report.CSV, report.XLSX, report.JSON:
	default:
		return usageError{"report: --format must be csv, xlsx or json"}
	}
	app, err := c.open(stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	svc := &report.Service{Store: app.Store, Location: app.Config.Location()}

	// Resolve and validate everything before creating the output file.
	var write func(w io.Writer) error
	if *courseID != 0 {
		if _, err := app.Store.CourseByID(ctx, *courseID); err != nil {
			return err
		}
		q := report.Query{Group: *group, Status: *status, Sort: *sort}
		if _, err := svc.Filter(*courseID, q); err != nil {
			return err
		}
		if err := app.Compliance.Reconcile(ctx, 0); err != nil {
			return err
		}
		write = func(w io.Writer) error { return svc.Export(ctx, w, *format, *courseID, q) }
	} else {
		u, err := app.Store.UserByEmail(ctx, *learner)
		if err != nil {
			return fmt.Errorf("learner %s: %w", *learner, err)
		}
		if err := app.Compliance.Reconcile(ctx, u.ID); err != nil {
			return err
		}
		write = func(w io.Writer) error { return svc.ExportTranscript(ctx, w, *format, u.ID) }
	}
	if *out == "" {
		return write(stdout)
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(*out)
		return err
	}
	return f.Close()
}
