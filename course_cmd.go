package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/store"
)

// courseCatalogueCmd sets who may take a course: enrolled learners only, or
// every learner (open, self-enrolment). The reason goes to the audit trail.
func courseCatalogueCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const want = "course catalogue: want a course id, enrolled or open, and --reason R"
	c := newCommand("course catalogue", stderr)
	reason := c.fs.String("reason", "", "why (required; the audit trail keeps it)")
	app, pos, err := c.start(args, stderr, 2, want)
	if err != nil {
		return err
	}
	defer app.Close()
	id, err := strconv.ParseUint(pos[0], 10, 32)
	if err != nil {
		return usageError{fmt.Sprintf("course catalogue: %q is not a course id", pos[0])}
	}
	to := pos[1]
	if to != store.CatalogueEnrolled && to != store.CatalogueOpen {
		return usageError{fmt.Sprintf("course catalogue: %q is not enrolled or open", to)}
	}
	r, err := compliance.CheckReason(*reason)
	if err != nil {
		return fmt.Errorf("course catalogue: %s", strings.TrimPrefix(err.Error(), compliance.ErrInvalid.Error()+": "))
	}
	err = app.Store.SetCourseCatalogue(ctx, uint(id), to, r)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("no course with id %d", id)
	case errors.Is(err, store.ErrAlready):
		fmt.Fprintf(stdout, "Course %d is %s already; nothing changed\n", id, to)
		return nil
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "Course %d is now %s\n", id, map[string]string{store.CatalogueEnrolled: "for enrolled learners only", store.CatalogueOpen: "open to every learner"}[to])
	return nil
}
