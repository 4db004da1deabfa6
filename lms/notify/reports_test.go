package notify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lectern/lectern/lms/notify"
	"github.com/lectern/lectern/lms/store"
)

// reportMail is a received report email: its text and its attachment.
type reportMail struct {
	To, Subject, Text string
	File              string // attachment name
	Type              string // attachment content type
	Data              []byte
}

func decodeReport(t *testing.T, r received) reportMail {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatalf("message does not parse: %v", err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("content type %q (%v), want multipart/mixed", m.Header.Get("Content-Type"), err)
	}
	out := reportMail{To: strings.Join(r.To, ","), Subject: subject}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for i := 0; ; i++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p) // quoted-printable is decoded by the reader
		if i == 0 {
			out.Text = string(b)
			continue
		}
		out.File, out.Type = p.FileName(), strings.SplitN(p.Header.Get("Content-Type"), ";", 2)[0]
		if out.Data, err = base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(b))); err != nil {
			t.Fatalf("attachment: %v", err)
		}
	}
	return out
}

func (e *env) reports(since int) []reportMail {
	var out []reportMail
	for _, r := range e.mb.Received()[since:] {
		out = append(out, decodeReport(e.t, r))
	}
	return out
}

// reportRound queues and delivers scheduled reports twice, as consecutive
// ticks would, and returns what the first pair did.
func (e *env) reportRound(n *notify.Notifier) (queued, sent int) {
	e.t.Helper()
	ctx := context.Background()
	for i := range 2 {
		q, err := n.QueueReports(ctx)
		if err != nil {
			e.t.Fatalf("queue reports: %v", err)
		}
		s, err := n.DeliverReports(ctx)
		if err != nil {
			e.t.Fatalf("deliver reports: %v", err)
		}
		if i == 0 {
			queued, sent = q, s
		} else if q != 0 || s != 0 {
			e.t.Errorf("second round queued %d and sent %d, want nothing", q, s)
		}
	}
	return queued, sent
}

// TestScheduledReports: weekly and monthly reports go once per period in
// the organisation's time zone, also across a restart, with the file
// attached; a manager's course report holds their groups' members only, and
// a manager who no longer manages gets nothing.
func TestScheduledReports(t *testing.T) {
	ctx := store.WithActor(context.Background(), store.Actor{Name: "test", Via: store.ViaCLI})
	e := newEnv(t)
	ann := e.user("ann@tea.example", "Ann Learner")
	bob := e.user("bob@tea.example", "Bob Outsider")
	admin := &store.User{Email: "admin@tea.example", Name: "Ada Admin", PasswordHash: "x", Admin: true}
	if err := e.st.CreateUser(ctx, admin); err != nil {
		t.Fatal(err)
	}
	boss := e.user("boss@tea.example", "Bea Boss")
	e.enrol(ann, e.endOfDay(2026, 3, 20))
	e.enrol(bob, e.endOfDay(2026, 3, 20))
	g, err := e.st.CreateGroup(ctx, "Tea room")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddMember(ctx, ann.ID, g.ID, func(time.Time, store.DueRule) *time.Time { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddManager(ctx, boss.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	course := e.courseID
	schedule := func(owner *store.User, courseID, groupID *uint, format, period string, to ...string) *store.ReportSchedule {
		r := &store.ReportSchedule{CourseID: courseID, GroupID: groupID, Format: format, Period: period, Recipients: to,
			OwnerID: owner.ID, LastPeriod: notify.Period(period, e.st.Now(), e.loc)}
		if err := e.st.CreateSchedule(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	schedule(admin, &course, nil, "csv", store.PeriodWeekly, "x@tea.example", "y@tea.example")
	schedule(boss, nil, &g.ID, "xlsx", store.PeriodMonthly, "boss@tea.example")
	schedule(boss, &course, nil, "csv", store.PeriodWeekly, "boss@tea.example")
	n := e.notifier(e.smtp())

	// t0 is Sunday 1 March in Los Angeles: week 9 and March are stored.
	if q, s := e.reportRound(n); q != 0 || s != 0 {
		t.Errorf("at creation: queued %d, sent %d; want nothing", q, s)
	}
	// Monday 00:30 in Los Angeles, still Sunday in UTC: week 10 began.
	e.setNow(time.Date(2026, 3, 2, 0, 30, 0, 0, e.loc))
	if q, s := e.reportRound(n); q != 3 || s != 3 {
		t.Errorf("week 10: queued %d, sent %d; want 3, 3", q, s)
	}
	got := e.reports(0)
	var to []string
	for _, m := range got {
		to = append(to, m.To)
		if !strings.HasPrefix(m.Subject, "Weekly report, 2026-W10: course “Brewing Green Tea”") || m.Type != "text/csv" ||
			!strings.HasSuffix(m.File, ".csv") || !strings.Contains(m.Text, "as it stood on") {
			t.Errorf("email to %s: subject %q, file %q (%s)\n%s", m.To, m.Subject, m.File, m.Type, m.Text)
		}
		csv := string(m.Data)
		if !strings.Contains(csv, "Ann Learner") {
			t.Errorf("report to %s lacks Ann:\n%s", m.To, csv)
		}
		// The manager's report holds the members of their group only.
		if outsider := strings.Contains(csv, "Bob Outsider"); outsider != (m.To != "boss@tea.example") {
			t.Errorf("report to %s: Bob listed %v\n%s", m.To, outsider, csv)
		}
	}
	slices.Sort(to)
	if want := []string{"boss@tea.example", "x@tea.example", "y@tea.example"}; !slices.Equal(to, want) {
		t.Errorf("sent to %v, want %v", to, want)
	}

	// A restart repeats nothing within the week.
	e.setNow(time.Date(2026, 3, 8, 23, 0, 0, 0, e.loc))
	e.restart()
	n = e.notifier(e.smtp())
	if q, s := e.reportRound(n); q != 0 || s != 0 {
		t.Errorf("after restart in week 10: queued %d, sent %d; want nothing", q, s)
	}
	// The manager leaves the group: their schedule of it ends, and their
	// course report finds no group to show.
	if err := e.st.RemoveManager(ctx, boss.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	e.setNow(time.Date(2026, 3, 9, 8, 0, 0, 0, e.loc))
	if q, s := e.reportRound(n); q != 2 || s != 2 {
		t.Errorf("week 11: queued %d, sent %d; want 2 (the admin's only)", q, s)
	}
	if err := func() error { _, err := e.st.AddManager(ctx, boss.ID, g.ID); return err }(); err != nil {
		t.Fatal(err)
	}
	schedule(boss, nil, &g.ID, "xlsx", store.PeriodMonthly, "boss@tea.example")

	// 31 March, 23:00 in Los Angeles is 1 April in UTC: still March there.
	before := len(e.mb.Received())
	e.setNow(time.Date(2026, 3, 31, 23, 0, 0, 0, e.loc))
	e.reportRound(n) // week 14 of the admin's and the manager's course reports
	for _, m := range e.reports(before) {
		if strings.HasPrefix(m.Subject, "Monthly") {
			t.Errorf("monthly report sent in March: %q", m.Subject)
		}
	}
	before = len(e.mb.Received())
	e.setNow(time.Date(2026, 4, 1, 6, 0, 0, 0, e.loc))
	if q, s := e.reportRound(n); q != 1 || s != 1 {
		t.Errorf("April: queued %d, sent %d; want the monthly report", q, s)
	}
	ms := e.reports(before)
	if len(ms) != 1 || ms[0].Subject != "Monthly report, 2026-04: group “Tea room”" ||
		ms[0].Type != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Fatalf("monthly report %+v", ms)
	}
	f, err := excelize.OpenReader(bytes.NewReader(ms[0].Data))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil || len(rows) != 2 || rows[0][0] != "Course" || rows[1][0] != "Brewing Green Tea" || rows[1][1] != "Ann Learner" {
		t.Errorf("xlsx rows %q %v, want a header and Ann's row", rows, err)
	}

	// Each delivery is recorded as sent, with an audit entry.
	entries, err := e.st.AuditEntries(ctx, store.AuditFilter{Action: "report_schedule.sent"}, 100)
	if err != nil || len(entries) != len(e.mb.Received()) {
		t.Errorf("%d sent entries (%v), want %d", len(entries), err, len(e.mb.Received()))
	}
}
