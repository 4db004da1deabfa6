package compliance

// Corrections: what an admin changes in one learner's records, from the
// web, the command line or the API alike. Each needs a reason and writes
// exactly one audit entry.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lectern/lectern/lms/store"
)

// ErrInvalid is a correction the admin must fix (the message says how).
var ErrInvalid = errors.New("invalid correction")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// CheckReason trims a reason and refuses a missing or overlong one.
func CheckReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", invalid("give a reason: the audit trail keeps it")
	case utf8.RuneCountInString(reason) > store.MaxReasonLength:
		return "", invalid("the reason is longer than %d characters", store.MaxReasonLength)
	case strings.IndexFunc(reason, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0:
		return "", invalid("the reason contains a control character")
	}
	return reason, nil
}

// Unenrol removes a learner's enrolment; completions and certificates stay.
func (s *Service) Unenrol(ctx context.Context, enrolmentID uint, reason string) error {
	reason, err := CheckReason(reason)
	if err != nil {
		return err
	}
	return s.Store.Unenrol(ctx, enrolmentID, reason)
}

// SetDue changes one learner's due date; nil removes it. A date in the past
// is refused: a due date must be achievable.
func (s *Service) SetDue(ctx context.Context, enrolmentID uint, due *time.Time, reason string) error {
	reason, err := CheckReason(reason)
	if err != nil {
		return err
	}
	if due != nil && !due.After(s.Store.Now()) {
		return invalid("the due date %s is in the past", s.day(due))
	}
	err = s.Store.SetEnrolmentDue(ctx, enrolmentID, due, reason)
	if errors.Is(err, store.ErrAlready) {
		return invalid("the learner is due then already")
	}
	return err
}

// SetExempt exempts a learner or lifts the exemption.
func (s *Service) SetExempt(ctx context.Context, enrolmentID uint, exempt bool, reason string) error {
	reason, err := CheckReason(reason)
	if err != nil {
		return err
	}
	err = s.Store.SetExempt(ctx, enrolmentID, exempt, reason)
	if errors.Is(err, store.ErrAlready) {
		if exempt {
			return invalid("the learner is exempt already")
		}
		return invalid("the learner is not exempt")
	}
	return err
}

// Offline is an offline completion as an admin records it.
type Offline struct {
	Date  string   // YYYY-MM-DD, in the organisation's time zone: the day of the session
	Note  string   // what it was ("Fire drill with the site warden")
	Score *float64 // optional, as a fraction
	// Evidence is an optional file (an attendance sheet) of at most
	// EvidenceMaxBytes.
	Evidence         []byte
	EvidenceFilename string
}

// MaxNoteLength bounds an offline completion's note.
const MaxNoteLength = 500

// RecordOffline records an offline completion for the enrolment's current
// cycle, with a certificate like any other, valid for the course's period
// from the session's day.
func (s *Service) RecordOffline(ctx context.Context, enrolmentID uint, in Offline, evidenceMax int64, reason string) (*store.Completion, error) {
	reason, err := CheckReason(reason)
	if err != nil {
		return nil, err
	}
	day, err := s.ParseDay(in.Date)
	if err != nil {
		return nil, invalid("the date of the session: %v", err)
	}
	if day.After(s.Store.Now()) {
		return nil, invalid("the session on %s has not happened yet", strings.TrimSpace(in.Date))
	}
	note := strings.TrimSpace(in.Note)
	switch {
	case note == "":
		return nil, invalid("say what the session was")
	case utf8.RuneCountInString(note) > MaxNoteLength:
		return nil, invalid("the description is longer than %d characters", MaxNoteLength)
	}
	if sc := in.Score; sc != nil && (*sc < 0 || *sc > 1) {
		return nil, invalid("a score is a percentage from 0 to 100")
	}
	var ev *store.Evidence
	if in.Evidence != nil || in.EvidenceFilename != "" {
		if ev, err = EvidenceOf(in.Evidence, in.EvidenceFilename, evidenceMax); err != nil {
			return nil, err
		}
	}
	e, err := s.Store.EnrolmentByID(ctx, enrolmentID)
	if err != nil {
		return nil, err
	}
	co, err := s.Store.CourseByID(ctx, e.CourseID)
	if err != nil {
		return nil, err
	}
	u, err := s.Store.UserByID(ctx, e.UserID)
	if err != nil {
		return nil, err
	}
	comp := &store.Completion{CompletedAt: day, Passed: true, ScoreScaled: in.Score, ExpiresAt: Expiry(store.RulesOf(co), day),
		Code: NewCode(), CourseTitle: co.Title, UserName: u.Name, Note: note}
	err = s.Store.RecordOfflineCompletion(ctx, enrolmentID, comp, ev, reason)
	if errors.Is(err, store.ErrAlready) {
		return nil, invalid("the learner's current cycle is completed already; revoke that completion first to replace it")
	}
	if err != nil {
		return nil, err
	}
	return comp, nil
}

// EvidenceOf checks an evidence file: not empty, at most max bytes, a plain
// name. Its type is sniffed, never taken from the client.
func EvidenceOf(data []byte, filename string, max int64) (*store.Evidence, error) {
	name := filepath.Base(strings.ReplaceAll(strings.TrimSpace(filename), `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, name)
	switch {
	case len(data) == 0:
		return nil, invalid("the evidence file is empty")
	case int64(len(data)) > max:
		return nil, fmt.Errorf("%w: the evidence file is larger than the limit of %d bytes", ErrTooLarge, max)
	case name == "" || name == "." || name == "/":
		name = "evidence"
	}
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	sum := sha256.Sum256(data)
	return &store.Evidence{Filename: name, ContentType: http.DetectContentType(data), Size: int64(len(data)),
		SHA256: hex.EncodeToString(sum[:]), Data: data}, nil
}

// ErrTooLarge is an evidence file over the limit.
var ErrTooLarge = errors.New("too large")

// RevokeCertificate revokes a certificate by its code.
func (s *Service) RevokeCertificate(ctx context.Context, code, reason string) error {
	reason, err := CheckReason(reason)
	if err != nil {
		return err
	}
	err = s.Store.RevokeCertificate(ctx, code, reason)
	if errors.Is(err, store.ErrAlready) {
		return invalid("the certificate is revoked already")
	}
	return err
}

// ReissueCertificate replaces a certificate with a new one (new code,
// the learner's current name); the old one reads as revoked.
func (s *Service) ReissueCertificate(ctx context.Context, code, reason string) (*store.Completion, error) {
	reason, err := CheckReason(reason)
	if err != nil {
		return nil, err
	}
	c, err := s.Store.ReissueCertificate(ctx, code, NewCode(), reason)
	if errors.Is(err, store.ErrAlready) {
		return nil, invalid("the certificate was replaced already; reissue the newest one")
	}
	return c, err
}
