package notify_test

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // the tests' time zones, whatever the machine has

	"github.com/lectern/lectern/internal/fixture"
	"github.com/lectern/lectern/lms/course"
	"github.com/lectern/lectern/lms/notify"
	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/scorm"
)

// env is a Lectern database with one course, a movable clock and a
// mailbox.
type env struct {
	t        *testing.T
	path     string
	st       *store.Store
	courseID uint
	mb       *mailbox
	loc      *time.Location

	mu  sync.Mutex
	now time.Time
}

var t0 = time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC) // 09:00 in Los Angeles

func newEnv(t *testing.T) *env {
	return newEnvWith(t, fixture.ZipDir(t, fixture.Package("scorm12-single")))
}

func newEnvWith(t *testing.T, zip string) *env {
	t.Helper()
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := &env{t: t, path: filepath.Join(dir, "lectern.db"), loc: loc, now: t0}
	e.open()
	im := &course.Importer{Store: e.st, ContentDir: filepath.Join(dir, "content"),
		StagingDir: filepath.Join(dir, "staging"), Limits: scorm.DefaultLimits()}
	res, err := im.Import(context.Background(), zip, course.Options{})
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	e.courseID = *res.ID
	e.mb = startMailbox(t, mailboxOptions{})
	return e
}

func (e *env) open() {
	e.t.Helper()
	st, err := store.OpenSQLite(e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	st.SetClock(func() time.Time {
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.now
	})
	e.st = st
	e.t.Cleanup(func() { st.Close() })
}

// restart closes the database and opens it again, as a new process would.
func (e *env) restart() {
	e.t.Helper()
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.open()
}

func (e *env) setNow(t time.Time) {
	e.mu.Lock()
	e.now = t
	e.mu.Unlock()
}

func (e *env) user(email, name string) *store.User {
	e.t.Helper()
	u := &store.User{Email: email, Name: name, PasswordHash: "x"}
	if err := e.st.CreateUser(context.Background(), u); err != nil {
		e.t.Fatal(err)
	}
	return u
}

func (e *env) enrol(u *store.User, due *time.Time) *store.Enrolment {
	e.t.Helper()
	en, _, err := e.st.Enrol(context.Background(), u.ID, e.courseID, due)
	if err != nil {
		e.t.Fatal(err)
	}
	return en
}

// endOfDay is how compliance stores due dates: the last second of the day
// in the organisation's zone.
func (e *env) endOfDay(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 23, 59, 59, 0, e.loc).UTC()
	return &t
}

// smtp is a Sender that delivers to the env's mailbox.
func (e *env) smtp() *notify.SMTPSender {
	return &notify.SMTPSender{Host: e.mb.Host, Port: e.mb.Port, From: "lectern@tea.example", FromName: "Tea Academy",
		TLS: notify.TLSNone, Timeout: 5 * time.Second, LocalName: "lectern.test"}
}

func (e *env) notifier(s notify.Sender) *notify.Notifier {
	return &notify.Notifier{Store: e.st, Sender: s, Location: e.loc, BaseURL: "https://lms.tea.example/",
		Organisation: "Tea Academy", DueSoonDays: 7, ExpiryNoticeDays: 30}
}

// round runs Queue and Deliver twice, as consecutive ticks would, and
// returns what the first pair did.
func (e *env) round(n *notify.Notifier) (queued, sent int) {
	e.t.Helper()
	ctx := context.Background()
	for i := range 2 {
		q, err := n.Queue(ctx)
		if err != nil {
			e.t.Fatalf("queue: %v", err)
		}
		s, err := n.Deliver(ctx)
		if err != nil {
			e.t.Fatalf("deliver: %v", err)
		}
		if i == 0 {
			queued, sent = q, s
		} else if q != 0 || s != 0 {
			e.t.Errorf("second round queued %d and sent %d, want nothing", q, s)
		}
	}
	return queued, sent
}

// email is a received message, decoded.
type email struct {
	To      string
	Header  mail.Header
	Subject string
	Body    string
	Raw     string
}

func decode(t *testing.T, r received) email {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatalf("message does not parse: %v\n%s", err, r.Data)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject %q: %v", m.Header.Get("Subject"), err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return email{To: strings.Join(r.To, ","), Header: m.Header, Subject: subject,
		Body: strings.ReplaceAll(string(body), "\r\n", "\n"), Raw: string(r.Data)}
}

func (e *env) emails() []email {
	var out []email
	for _, r := range e.mb.Received() {
		out = append(out, decode(e.t, r))
	}
	return out
}

// sent lists "address: subject" of every message received, in order.
func (e *env) sent() []string {
	var out []string
	for _, m := range e.emails() {
		out = append(out, m.To+": "+m.Subject)
	}
	return out
}

func TestEachReminderSentOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	ann := e.user("ann@tea.example", "Ann Learner")
	bob := e.user("bob@tea.example", "Bob Learner")
	e.enrol(ann, e.endOfDay(2026, 3, 20))
	bobEn := e.enrol(bob, nil)
	// Bob completed already; his completion expires in 40 days.
	expires := t0.AddDate(0, 0, 40)
	if ok, err := e.st.RecordCompletion(ctx, &store.Completion{EnrolmentID: bobEn.ID, UserID: bob.ID, CourseID: e.courseID,
		AttemptID: ref(9999), Cycle: 1, CompletedAt: t0, Passed: true, ExpiresAt: &expires, Code: "TEST-0000-0001",
		CourseTitle: "Brewing Green Tea", UserName: bob.Name}); err != nil || !ok {
		t.Fatalf("record completion: %v, %v", ok, err)
	}
	n := e.notifier(e.smtp())

	want := []string{"ann@tea.example: New course: Brewing Green Tea"}
	if q, s := e.round(n); q != 1 || s != 1 {
		t.Errorf("enrolment: queued %d, sent %d; want 1, 1", q, s)
	}
	if got := e.sent(); !slices.Equal(got, want) {
		t.Fatalf("after enrolment sent %q, want %q", got, want)
	}

	e.setNow(t0.AddDate(0, 0, 14))
	want = append(want, "ann@tea.example: Due soon: Brewing Green Tea", "bob@tea.example: Expiring soon: Brewing Green Tea")
	if q, s := e.round(n); q != 2 || s != 2 {
		t.Errorf("due soon and expiring: queued %d, sent %d; want 2, 2", q, s)
	}
	if got := e.sent(); !slices.Equal(got, want) {
		t.Fatalf("after 14 days sent %q, want %q", got, want)
	}

	// A restart loses nothing and repeats nothing.
	e.setNow(t0.AddDate(0, 0, 15))
	e.restart()
	n = e.notifier(e.smtp())
	if q, s := e.round(n); q != 0 || s != 0 {
		t.Errorf("after restart: queued %d, sent %d; want nothing", q, s)
	}

	e.setNow(t0.AddDate(0, 0, 21))
	want = append(want, "ann@tea.example: Overdue: Brewing Green Tea")
	e.round(n)
	if got := e.sent(); !slices.Equal(got, want) {
		t.Fatalf("after 21 days sent %q, want %q", got, want)
	}

	// Recertification starts a new cycle: a new enrolment message, once.
	rows, err := e.st.Enrolments(ctx, store.EnrolmentFilter{UserID: bob.ID})
	if err != nil || len(rows) != 1 {
		t.Fatalf("bob's enrolments: %v, %v", rows, err)
	}
	if err := e.st.StartCycle(ctx, &rows[0].Enrolment); err != nil {
		t.Fatal(err)
	}
	want = append(want, "bob@tea.example: Time to renew: Brewing Green Tea")
	e.round(n)
	e.restart()
	n = e.notifier(e.smtp())
	e.round(n)
	if got := e.sent(); !slices.Equal(got, want) {
		t.Fatalf("after recertification sent %q, want %q", got, want)
	}

	// Every message's row says it was sent.
	msgs, err := e.st.Messages(ctx, store.MessageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != len(want) {
		t.Errorf("%d messages stored, want %d", len(msgs), len(want))
	}
	for _, m := range msgs {
		if m.State() != store.MessageSent || m.Attempts != 1 {
			t.Errorf("message %d (%s): state %q after %d attempts, want sent after 1", m.ID, m.Kind, m.State(), m.Attempts)
		}
	}
}

func TestMessageContent(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	ann := e.user("ann@tea.example", "Ann Learner")
	bob := e.user("bob@tea.example", "Bob Learner")
	e.enrol(ann, e.endOfDay(2026, 3, 20))
	bobEn := e.enrol(bob, nil)
	expires := t0.AddDate(0, 0, 40) // 2026-04-10 17:00 UTC, 10:00 in Los Angeles (summer time)
	if _, err := e.st.RecordCompletion(ctx, &store.Completion{EnrolmentID: bobEn.ID, UserID: bob.ID, CourseID: e.courseID,
		AttemptID: ref(9999), Cycle: 1, CompletedAt: t0, ExpiresAt: &expires, Code: "TEST-0000-0002",
		CourseTitle: "Brewing Green Tea", UserName: bob.Name}); err != nil {
		t.Fatal(err)
	}
	n := e.notifier(e.smtp())
	e.round(n)
	e.setNow(t0.AddDate(0, 0, 14))
	e.round(n)
	e.setNow(t0.AddDate(0, 0, 21))
	e.round(n)

	link := "https://lms.tea.example/courses/" + strconv.FormatUint(uint64(e.courseID), 10)
	tests := []struct {
		subject string
		has     []string
	}{
		{"New course: Brewing Green Tea", []string{"Hello Ann Learner,", "enrolled in the course “Brewing Green Tea”",
			"by the end of Friday 20 March 2026"}},
		{"Due soon: Brewing Green Tea", []string{"Hello Ann Learner,", "is due by the end of Friday 20 March 2026"}},
		{"Overdue: Brewing Green Tea", []string{"was due by the end of Friday 20 March 2026", "as soon as you can"}},
		{"Expiring soon: Brewing Green Tea", []string{"Hello Bob Learner,", "expires on Friday 10 April 2026 at 10:00 PDT"}},
	}
	got := map[string]email{}
	for _, m := range e.emails() {
		got[m.Subject] = m
	}
	for _, tt := range tests {
		m, ok := got[tt.subject]
		if !ok {
			t.Errorf("no message %q among %q", tt.subject, e.sent())
			continue
		}
		for _, s := range append(tt.has, "Open the course: "+link+"\n", "Tea Academy") {
			if !strings.Contains(m.Body, s) {
				t.Errorf("%q: body lacks %q:\n%s", tt.subject, s, m.Body)
			}
		}
		// The due date is 21 March in UTC; only the organisation's zone counts.
		if strings.Contains(m.Body, "21 March") {
			t.Errorf("%q: body shows the UTC date:\n%s", tt.subject, m.Body)
		}
		if from := m.Header.Get("From"); from != `"Tea Academy" <lectern@tea.example>` {
			t.Errorf("%q: From %q", tt.subject, from)
		}
		if to := m.Header.Get("To"); !strings.Contains(to, "@tea.example>") {
			t.Errorf("%q: To %q", tt.subject, to)
		}
		if d, err := m.Header.Date(); err != nil || time.Since(d).Abs() > time.Minute {
			t.Errorf("%q: Date %q (%v)", tt.subject, m.Header.Get("Date"), err)
		}
		if id := m.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@tea.example>") {
			t.Errorf("%q: Message-ID %q", tt.subject, id)
		}
		if ct := m.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
			t.Errorf("%q: Content-Type %q, want plain text", tt.subject, ct)
		}
	}
}

func TestNothingSentToDeactivatedUsers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	carl := e.user("carl@tea.example", "Carl")
	dora := e.user("dora@tea.example", "Dora")
	e.enrol(carl, e.endOfDay(2026, 3, 20))
	e.enrol(dora, e.endOfDay(2026, 3, 20))

	// Dora leaves before anything is queued: nothing is queued for her.
	if err := e.st.SetUserActive(ctx, dora.ID, false); err != nil {
		t.Fatal(err)
	}
	if q, err := e.notifier(nil).Queue(ctx); err != nil || q != 1 {
		t.Fatalf("queue: %d, %v; want 1 (Carl only)", q, err)
	}
	// Carl leaves while his message waits: it is held, not sent.
	if err := e.st.SetUserActive(ctx, carl.ID, false); err != nil {
		t.Fatal(err)
	}
	n := e.notifier(e.smtp())
	for _, day := range []int{0, 14, 21} { // enrolment, due soon, overdue
		e.setNow(t0.AddDate(0, 0, day))
		if q, s := e.round(n); q != 0 || s != 0 {
			t.Errorf("day %d: queued %d, sent %d; want nothing", day, q, s)
		}
	}
	if got := e.mb.Rcpts(); got != 0 {
		t.Fatalf("the mail server saw %d recipients, want none: %q", got, e.sent())
	}
	msgs, err := e.st.Messages(ctx, store.MessageFilter{})
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages: %v, %v; want Carl's one", msgs, err)
	}
	if st := msgs[0].State(); st != store.MessageHeld {
		t.Errorf("Carl's message is %q, want %q", st, store.MessageHeld)
	}

	// Reactivated, Carl gets what still applies: his enrolment message and
	// the overdue one, not the "due soon" that passed while he was away.
	if err := e.st.SetUserActive(ctx, carl.ID, true); err != nil {
		t.Fatal(err)
	}
	e.round(n)
	want := []string{"carl@tea.example: New course: Brewing Green Tea", "carl@tea.example: Overdue: Brewing Green Tea"}
	if got := e.sent(); !slices.Equal(got, want) {
		t.Errorf("after reactivation sent %q, want %q", got, want)
	}
}

func TestOutboxWithoutSender(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, name := range []string{"ann", "bob", "cid"} {
		e.enrol(e.user(name+"@tea.example", name), nil)
	}
	n := e.notifier(nil)
	if q, s := e.round(n); q != 3 || s != 0 {
		t.Fatalf("queued %d, sent %d; want 3, 0", q, s)
	}
	if total, err := e.st.CountMessages(ctx, store.MessageFilter{Unsent: true}); err != nil || total != 3 {
		t.Errorf("unsent count %d (%v), want 3", total, err)
	}
	page1, err := e.st.Messages(ctx, store.MessageFilter{Unsent: true, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	page2, err := e.st.Messages(ctx, store.MessageFilter{Unsent: true, Limit: 2, Offset: 2})
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, m := range append(page1, page2...) {
		to = append(to, m.To)
		if m.SentAt != nil || m.State() != store.MessageWaiting || m.Attempts != 0 {
			t.Errorf("%s: state %q, sent %v, attempts %d; want waiting", m.To, m.State(), m.SentAt, m.Attempts)
		}
		if m.Subject != "New course: Brewing Green Tea" || !strings.Contains(m.Body, "/courses/") {
			t.Errorf("%s: subject %q, body %q", m.To, m.Subject, m.Body)
		}
	}
	if want := []string{"cid@tea.example", "bob@tea.example", "ann@tea.example"}; !slices.Equal(to, want) {
		t.Errorf("outbox pages list %q, want newest first %q", to, want)
	}
	if len(e.mb.Received()) != 0 {
		t.Errorf("mail went out without a sender")
	}

	// Configuring SMTP later sends the waiting messages, once.
	e.restart()
	n = e.notifier(e.smtp())
	if q, s := e.round(n); q != 0 || s != 3 {
		t.Errorf("with SMTP: queued %d, sent %d; want 0, 3", q, s)
	}
}

func TestFailedDeliveryIsRetried(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.enrol(e.user("ann@tea.example", "Ann"), nil)
	n := e.notifier(e.smtp())
	if _, err := n.Queue(ctx); err != nil {
		t.Fatal(err)
	}

	// The server refuses the recipient for now.
	e.mb.Refuse(true)
	if s, err := n.Deliver(ctx); s != 0 || err != nil {
		t.Errorf("refused: sent %d, err %v; want 0, nil (the message's own failure)", s, err)
	}
	msgs, _ := e.st.Messages(ctx, store.MessageFilter{})
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if m.SentAt != nil || m.Attempts != 1 || !strings.Contains(m.LastError, "451") || m.State() != store.MessageFailed {
		t.Errorf("after refusal: sent %v, attempts %d, error %q, state %q; want unsent, 1, a 451 error, failed",
			m.SentAt, m.Attempts, m.LastError, m.State())
	}

	// The server is unreachable: the round stops with an error.
	down := e.smtp()
	down.Port = closedPort(t)
	n.Sender = down
	if s, err := n.Deliver(ctx); s != 0 || err == nil {
		t.Errorf("server down: sent %d, err %v; want 0 and an error", s, err)
	}
	got, _ := e.st.MessageByID(ctx, m.ID)
	if got.SentAt != nil || got.Attempts != 1 || !strings.Contains(got.LastError, "connect") {
		t.Errorf("server down: sent %v, attempts %d, error %q; want unsent, still 1 attempt, the connection error",
			got.SentAt, got.Attempts, got.LastError)
	}

	// A later Deliver succeeds, across a restart.
	e.mb.Refuse(false)
	e.restart()
	n = e.notifier(e.smtp())
	if s, err := n.Deliver(ctx); s != 1 || err != nil {
		t.Fatalf("retry: sent %d, err %v; want 1", s, err)
	}
	got, _ = e.st.MessageByID(ctx, m.ID)
	if got.SentAt == nil || got.Attempts != 2 || got.LastError != "" {
		t.Errorf("after retry: sent %v, attempts %d, error %q; want sent after 2 attempts, no error", got.SentAt, got.Attempts, got.LastError)
	}
	if s, _ := n.Deliver(ctx); s != 0 || len(e.mb.Received()) != 1 {
		t.Errorf("sent again: %d more, %d received", s, len(e.mb.Received()))
	}
}

func TestDeliveryGivesUpAfterMaxAttempts(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.enrol(e.user("ann@tea.example", "Ann"), nil)
	e.mb.Refuse(true)
	n := e.notifier(e.smtp())
	n.MaxAttempts = 2
	n.Queue(ctx)
	for range 4 {
		n.Deliver(ctx)
	}
	if got := e.mb.Rcpts(); got != 2 {
		t.Errorf("tried %d times, want 2", got)
	}
	msgs, _ := e.st.Messages(ctx, store.MessageFilter{Unsent: true})
	if len(msgs) != 1 || msgs[0].Attempts != 2 || msgs[0].LastError == "" {
		t.Errorf("outbox %+v; want the message, unsent after 2 attempts with its error", msgs)
	}
}

func TestHeaderInjectionIsNeutralised(t *testing.T) {
	manifest := `<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="inject" version="1.0" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
  xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="o"><organization identifier="o">
    <title>Tea&#13;&#10;Bcc: victim@evil.example&#13;&#10;&#13;&#10;Fake body</title>
    <item identifier="i" identifierref="r"><title>Page</title></item>
  </organization></organizations>
  <resources><resource identifier="r" type="webcontent" adlcp:scormtype="sco" href="index.html">
    <file href="index.html"/></resource></resources>
</manifest>`
	zip := fixture.ZipFiles(t, map[string]string{"imsmanifest.xml": manifest, "index.html": "<p>hi</p>"})
	e := newEnvWith(t, zip)
	// Imports make titles one line; a course from before that check, or a
	// title set another way, may still hold line breaks.
	if err := e.st.UpdateCourseDetails(context.Background(), e.courseID, store.CourseDetails{Title: "Tea\r\nBcc: victim@evil.example\r\n\r\nFake body"}); err != nil {
		t.Fatal(err)
	}
	c, err := e.st.CourseByID(context.Background(), e.courseID)
	if err != nil || !strings.Contains(c.Title, "\n") {
		t.Fatalf("course title %q (%v): the test needs a line break in it", c.Title, err)
	}
	e.enrol(e.user("eve@tea.example", "Eve\r\nBcc: victim2@evil.example\r\nX-Evil: 1"), nil)
	e.round(e.notifier(e.smtp()))

	got := e.mb.Received()
	if len(got) != 1 {
		t.Fatalf("received %d messages, want 1", len(got))
	}
	if !slices.Equal(got[0].To, []string{"eve@tea.example"}) {
		t.Errorf("recipients %q, want only eve", got[0].To)
	}
	m := decode(t, got[0])
	head, _, _ := strings.Cut(m.Raw, "\r\n\r\n")
	allowed := []string{"Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type",
		"Content-Transfer-Encoding", "Auto-Submitted"}
	for line := range strings.SplitSeq(head, "\r\n") {
		if strings.HasPrefix(line, " ") {
			continue // folded
		}
		name, _, _ := strings.Cut(line, ":")
		if !slices.Contains(allowed, name) {
			t.Errorf("unexpected header line %q in\n%s", line, head)
		}
	}
	if want := "New course: Tea Bcc: victim@evil.example Fake body"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	if !strings.Contains(m.Body, "Hello Eve Bcc: victim2@evil.example X-Evil: 1,\n") {
		t.Errorf("the name should stay on the greeting line:\n%s", m.Body)
	}
	if !strings.Contains(m.Body, "“Tea Bcc: victim@evil.example Fake body”") {
		t.Errorf("the title should stay on one line:\n%s", m.Body)
	}
}

// closedPort returns a port on 127.0.0.1 where nothing listens.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func ref(id uint) *uint { return &id }
