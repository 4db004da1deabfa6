package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/lectern/lectern/lms/report"
)

// auditCmd writes the audit trail, newest first, filtered like the admins'
// page, as CSV, XLSX or JSON.
//
//	lectern audit [--actor TEXT] [--learner EMAIL] [--course ID] [--action KIND.]
//	    [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--format csv|xlsx|json] [-o FILE]
func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("audit", stderr)
	var q report.AuditQuery
	c.fs.StringVar(&q.Actor, "actor", "", "only actions by this person (text in their name or email)")
	c.fs.StringVar(&q.Learner, "learner", "", "only actions about this learner (email)")
	c.fs.StringVar(&q.Course, "course", "", "only actions about this course (id)")
	c.fs.StringVar(&q.Action, "action", "", "only this kind of action: enrolment., completion., certificate., course., user., group., token. or lti.")
	c.fs.StringVar(&q.From, "from", "", "from this day, YYYY-MM-DD, in the organisation's time zone")
	c.fs.StringVar(&q.To, "to", "", "to this day (inclusive), YYYY-MM-DD")
	format := c.fs.String("format", report.CSV, "csv, xlsx or json")
	out := c.fs.String("o", "", "write to this file instead of stdout")
	if _, err := c.parse(args); err != nil {
		return err
	}
	switch *format {
	case report.CSV, report.XLSX, report.JSON:
	default:
		return usageError{"audit: --format must be csv, xlsx or json"}
	}
	app, err := c.open(stderr)
	if err != nil {
		return err
	}
	defer app.Close()
	svc := &report.Service{Store: app.Store, Location: app.Config.Location()}
	f, err := svc.AuditFilter(ctx, q)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if *out == "" {
		return svc.ExportAudit(ctx, stdout, *format, f)
	}
	file, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := svc.ExportAudit(ctx, file, *format, f); err != nil {
		file.Close()
		os.Remove(*out)
		return err
	}
	return file.Close()
}
