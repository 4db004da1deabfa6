package main

// Corrections from the command line: one learner's enrolment (unenrol, due
// date, exemption, offline completion) and certificates (revoke, reissue).
// Each needs --reason and writes exactly one audit entry naming the command
// line; bad input changes nothing.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/lectern/lectern/lms"
	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/store"
)

const enrolmentUsage = "enrolment: want unenrol, due, exempt or offline, with (--enrolment ID | --course ID --email E) and --reason R"

// enrolmentCmd corrects one learner's enrolment.
func enrolmentCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{enrolmentUsage}
	}
	sub := args[0]
	switch sub {
	case "unenrol", "due", "exempt", "offline":
	default:
		return usageError{enrolmentUsage}
	}
	c := newCommand("enrolment "+sub, stderr)
	enrolmentID := c.fs.Uint("enrolment", 0, "the enrolment's id (or --course and --email)")
	courseID := c.fs.Uint("course", 0, "the course's id")
	email := c.fs.String("email", "", "the learner's email")
	reason := c.fs.String("reason", "", "why (required; the audit trail keeps it)")
	var (
		date, note, score, evidence *string
		none, lift                  *bool
	)
	switch sub {
	case "due":
		date = c.fs.String("date", "", "the new due date, YYYY-MM-DD (end of that day in the organisation's time zone)")
		none = c.fs.Bool("none", false, "remove the due date")
	case "exempt":
		lift = c.fs.Bool("lift", false, "lift the exemption instead")
	case "offline":
		date = c.fs.String("date", "", "the day of the session, YYYY-MM-DD")
		note = c.fs.String("note", "", "what the session was")
		score = c.fs.String("score", "", "optional score, a percentage from 0 to 100")
		evidence = c.fs.String("evidence", "", "optional evidence file (an attendance sheet)")
	}
	app, _, err := c.start(args[1:], stderr, 0, enrolmentUsage)
	if err != nil {
		return err
	}
	defer app.Close()
	e, who, err := findEnrolment(ctx, app, *enrolmentID, *courseID, *email)
	if err != nil {
		return err
	}
	comp := app.Compliance
	switch sub {
	case "unenrol":
		err = comp.Unenrol(ctx, e.ID, *reason)
		if err == nil {
			fmt.Fprintf(stdout, "Unenrolled %s; their completions and certificates stay\n", who)
		}
	case "due":
		var due *time.Time
		switch {
		case *none && *date != "":
			return usageError{"enrolment due: give --date or --none, not both"}
		case *none:
		case *date == "":
			return usageError{"enrolment due: give --date YYYY-MM-DD, or --none"}
		default:
			d, derr := comp.ParseDate(*date)
			if derr != nil {
				return derr
			}
			due = &d
		}
		err = comp.SetDue(ctx, e.ID, due, *reason)
		if err == nil {
			fmt.Fprintf(stdout, "Changed the due date of %s%s\n", who, dueText(app, due))
		}
	case "exempt":
		err = comp.SetExempt(ctx, e.ID, !*lift, *reason)
		if err == nil && *lift {
			fmt.Fprintf(stdout, "Lifted the exemption of %s\n", who)
		} else if err == nil {
			fmt.Fprintf(stdout, "Exempted %s: they count as compliant\n", who)
		}
	case "offline":
		in := compliance.Offline{Date: *date, Note: *note}
		if v := strings.TrimSpace(*score); v != "" {
			f, perr := strconv.ParseFloat(v, 64)
			if perr != nil || f < 0 || f > 100 {
				return usageError{"enrolment offline: --score is a percentage from 0 to 100"}
			}
			f /= 100
			in.Score = &f
		}
		if *evidence != "" {
			data, rerr := readEvidence(*evidence, app.Config.EvidenceMaxBytes)
			if rerr != nil {
				return rerr
			}
			in.Evidence, in.EvidenceFilename = data, *evidence
		}
		var done *store.Completion
		done, err = comp.RecordOffline(ctx, e.ID, in, app.Config.EvidenceMaxBytes, *reason)
		if err == nil {
			fmt.Fprintf(stdout, "Recorded an offline completion for %s with certificate %s\n", who, done.Code)
		}
	}
	return correctionError(err)
}

// readEvidence reads an evidence file of at most max bytes.
func readEvidence(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is larger than the evidence limit of %d bytes (--evidence-max-bytes)", path, max)
	}
	return data, nil
}

// findEnrolment finds an enrolment by id, or by course and learner.
func findEnrolment(ctx context.Context, app *lms.App, id, courseID uint, email string) (*store.Enrolment, string, error) {
	switch {
	case id != 0 && (courseID != 0 || email != ""):
		return nil, "", usageError{"name the enrolment by --enrolment, or by --course and --email, not both"}
	case id != 0:
		e, err := app.Store.EnrolmentByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, "", fmt.Errorf("no enrolment with id %d", id)
		} else if err != nil {
			return nil, "", err
		}
		u, err := app.Store.UserByID(ctx, e.UserID)
		if err != nil {
			return nil, "", err
		}
		return e, fmt.Sprintf("%s in course %d", u.Email, e.CourseID), nil
	case courseID == 0 || strings.TrimSpace(email) == "":
		return nil, "", usageError{"name the enrolment by --enrolment ID, or by --course ID and --email E"}
	}
	co, err := app.Store.CourseByID(ctx, courseID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", fmt.Errorf("no course with id %d", courseID)
	} else if err != nil {
		return nil, "", err
	}
	u, err := app.Store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", fmt.Errorf("no user with email %s", strings.TrimSpace(email))
	} else if err != nil {
		return nil, "", err
	}
	e, err := app.Store.EnrolmentOf(ctx, u.ID, co.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", fmt.Errorf("%s is not enrolled in course %d %q", u.Email, co.ID, co.Title)
	} else if err != nil {
		return nil, "", err
	}
	return e, fmt.Sprintf("%s in course %d %q", u.Email, co.ID, co.Title), nil
}

// correctionError words a refused correction for the command line.
func correctionError(err error) error {
	if err != nil && errors.Is(err, compliance.ErrInvalid) {
		return errors.New(strings.TrimPrefix(err.Error(), compliance.ErrInvalid.Error()+": "))
	}
	return err
}

const certificateUsage = "certificate: want revoke or reissue, a certificate code and --reason R"

// certificateCmd revokes or reissues a certificate.
func certificateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "revoke" && args[0] != "reissue") {
		return usageError{certificateUsage}
	}
	c := newCommand("certificate "+args[0], stderr)
	reason := c.fs.String("reason", "", "why (required; the audit trail keeps it)")
	app, pos, err := c.start(args[1:], stderr, 1, certificateUsage)
	if err != nil {
		return err
	}
	defer app.Close()
	code := strings.ToUpper(strings.TrimSpace(pos[0]))
	if _, err := app.Store.CompletionByCode(ctx, code); errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no certificate with code %s", code)
	} else if err != nil {
		return err
	}
	if args[0] == "revoke" {
		if err := app.Compliance.RevokeCertificate(ctx, code, *reason); err != nil {
			return correctionError(err)
		}
		fmt.Fprintf(stdout, "Revoked certificate %s: /verify says so from now on\n", code)
		return nil
	}
	fresh, err := app.Compliance.ReissueCertificate(ctx, code, *reason)
	if err != nil {
		return correctionError(err)
	}
	fmt.Fprintf(stdout, "Reissued certificate %s as %s\n", code, fresh.Code)
	return nil
}
