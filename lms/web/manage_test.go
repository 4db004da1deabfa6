package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lectern/lectern/lms/store"
	"github.com/lectern/lectern/lms/web"
)

// managerEnv: a course, two groups with one overdue learner each, and a
// manager of the Warehouse only, made one by an admin on the group page.
type managerEnv struct {
	*env
	admin, manager            *browser
	courseID                  uint
	ware, office              *store.Group
	lee, ann, boss, adminUser *store.User
}

func newManagerEnv(t *testing.T, opts ...envOption) *managerEnv {
	t.Helper()
	e := newEnv(t, opts...)
	ctx := context.Background()
	m := &managerEnv{env: e}
	m.admin = e.signedIn("admin@example.org", true)
	m.manager = e.signedIn("boss@example.org", false)
	m.boss, _ = e.store.UserByEmail(ctx, "boss@example.org")
	m.adminUser, _ = e.store.UserByEmail(ctx, "admin@example.org")
	m.lee, m.ann = e.addUser("lee@example.org", false), e.addUser("ann@example.org", false)
	v := &store.CourseVersion{Title: "Forklift <b>safety</b>", Edition: "1.2", ContentDir: "x"}
	if err := e.store.CreateCourseVersion(ctx, 0, v, nil, func(*store.CourseVersion) error { return nil }); err != nil {
		t.Fatal(err)
	}
	m.courseID = v.CourseID
	var err error
	if m.ware, err = e.store.CreateGroup(ctx, "Warehouse"); err != nil {
		t.Fatal(err)
	}
	if m.office, err = e.store.CreateGroup(ctx, "Office"); err != nil {
		t.Fatal(err)
	}
	noDue := func(time.Time, store.DueRule) *time.Time { return nil }
	due := time.Date(2026, 2, 20, 23, 59, 59, 0, time.UTC) // before the test clock: overdue
	for _, p := range []struct {
		u *store.User
		g *store.Group
	}{{m.lee, m.ware}, {m.ann, m.office}} {
		if _, err := e.store.AddMember(ctx, p.u.ID, p.g.ID, noDue); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.store.Enrol(ctx, p.u.ID, m.courseID, &due); err != nil {
			t.Fatal(err)
		}
	}
	// Before being made a manager, the manager's pages are closed.
	if r := m.manager.get("/manage"); r.status != http.StatusForbidden {
		t.Fatalf("/manage before being a manager: %d, want 403", r.status)
	}
	page := fmt.Sprintf("/admin/groups/%d", m.ware.ID)
	r := m.admin.post(page+"/managers", url.Values{"email": {"boss@example.org"}}, m.admin.csrf(page))
	if r.status != http.StatusSeeOther {
		t.Fatalf("make manager: %d\n%s", r.status, r.body)
	}
	if r := m.admin.get(page); !strings.Contains(r.body, "boss@example.org") || !strings.Contains(r.body, "Stop managing") {
		t.Errorf("group page does not list its manager:\n%s", r.body)
	}
	return m
}

// TestManagerSeesOnlyTheirTeams: the dashboard, reports, transcripts and
// exports of a manager hold their groups' members only; other groups'
// learners by URL id, other groups as filters and admin pages are refused.
func TestManagerSeesOnlyTheirTeams(t *testing.T) {
	m := newManagerEnv(t)
	r := m.manager.get("/manage")
	if r.status != http.StatusOK || !strings.Contains(r.body, "User lee@example.org") || strings.Contains(r.body, "ann@example.org") {
		t.Errorf("dashboard %d: want lee and not ann\n%s", r.status, r.body)
	}
	if !strings.Contains(r.body, "Forklift &lt;b&gt;safety&lt;/b&gt;") {
		t.Errorf("dashboard does not show the course title escaped")
	}
	if home := m.manager.get("/"); !strings.Contains(home.body, `href="/manage"`) {
		t.Errorf("a manager's pages do not link to their teams")
	}
	if home := m.env.signedIn("plain@example.org", false).get("/"); strings.Contains(home.body, `href="/manage"`) {
		t.Errorf("a learner's pages link to the managers' pages")
	}

	for _, c := range []struct {
		path string
		want int
		has  string
		not  string
	}{
		{fmt.Sprintf("/manage/users/%d", m.lee.ID), http.StatusOK, "lee@example.org", ""},
		{fmt.Sprintf("/manage/users/%d", m.ann.ID), http.StatusForbidden, "", "ann@example.org"},
		{fmt.Sprintf("/manage/users/%d/transcript.csv", m.ann.ID), http.StatusForbidden, "", "Forklift"},
		{fmt.Sprintf("/manage/users/%d", m.adminUser.ID), http.StatusForbidden, "", ""},
		{fmt.Sprintf("/manage/courses/%d/report", m.courseID), http.StatusOK, "lee@example.org", "ann@example.org"},
		{fmt.Sprintf("/manage/courses/%d/report.csv", m.courseID), http.StatusOK, "lee@example.org", "ann@example.org"},
		{fmt.Sprintf("/manage/courses/%d/report.csv?group=%d", m.courseID, m.ware.ID), http.StatusOK, "lee@example.org", "ann@example.org"},
		{fmt.Sprintf("/manage/courses/%d/report.csv?group=%d", m.courseID, m.office.ID), http.StatusForbidden, "", "ann@example.org"},
		{fmt.Sprintf("/manage/courses/%d/report.xlsx", m.courseID), http.StatusOK, "", ""},
		{"/admin", http.StatusForbidden, "", ""},
		{"/admin/users", http.StatusForbidden, "", ""},
		{"/admin/courses", http.StatusForbidden, "", ""},
		{fmt.Sprintf("/admin/groups/%d", m.ware.ID), http.StatusForbidden, "", ""},
		{fmt.Sprintf("/admin/courses/%d/report.csv", m.courseID), http.StatusForbidden, "", "ann@example.org"},
		{fmt.Sprintf("/admin/users/%d/transcript", m.ann.ID), http.StatusForbidden, "", "ann@example.org"},
	} {
		r := m.manager.get(c.path)
		if r.status != c.want {
			t.Errorf("GET %s: %d, want %d", c.path, r.status, c.want)
		}
		if c.has != "" && !strings.Contains(r.body, c.has) {
			t.Errorf("GET %s: no %q", c.path, c.has)
		}
		if c.not != "" && strings.Contains(r.body, c.not) {
			t.Errorf("GET %s: shows %q", c.path, c.not)
		}
	}

	// Admin actions by POST are refused too, with a valid token.
	token := m.manager.formToken()
	for _, p := range []string{"/admin/users", fmt.Sprintf("/admin/groups/%d/managers", m.office.ID), "/admin/tokens",
		fmt.Sprintf("/admin/courses/%d/delete", m.courseID)} {
		if r := m.manager.post(p, url.Values{"email": {"boss@example.org"}, "name": {"x"}, "confirm": {"yes"}}, token); r.status != http.StatusForbidden {
			t.Errorf("POST %s as manager: %d, want 403", p, r.status)
		}
	}
	if ok, _ := m.store.Manages(context.Background(), m.boss.ID, m.office.ID); ok {
		t.Error("the manager made themselves manager of the Office")
	}
	if _, err := m.store.CourseByID(context.Background(), m.courseID); err != nil {
		t.Errorf("course after a manager's delete: %v", err)
	}

	// The API: no session admits, and a token of a user who is not an
	// administrator is refused.
	if r := m.manager.get("/api/v1/users"); r.status != http.StatusUnauthorized {
		t.Errorf("API with a manager's session: %d, want 401", r.status)
	}
	tok := m.apiToken(m.boss, store.ScopeRead, nil)
	if r := m.api(http.MethodGet, "/api/v1/users", tok, ""); r.status != http.StatusUnauthorized {
		t.Errorf("API with a manager's token: %d, want 401", r.status)
	}
}

// TestManagerReminders: a manager reminds the overdue members of their own
// group, once per cycle, with a confirmation, a CSRF token and an audit
// entry; forged requests and other groups change nothing.
func TestManagerReminders(t *testing.T) {
	m := newManagerEnv(t)
	ctx := context.Background()
	remind := fmt.Sprintf("/manage/groups/%d/remind", m.ware.ID)
	count := func() int {
		var n int
		rows, _ := m.store.Messages(ctx, store.MessageFilter{Limit: 100})
		for _, r := range rows {
			if r.Kind == store.MessageManagerReminder {
				n++
			}
		}
		return n
	}
	if r := m.manager.post(remind, url.Values{"confirm": {"yes"}}, "forged"); r.status != http.StatusForbidden {
		t.Errorf("forged CSRF: %d, want 403", r.status)
	}
	if r := m.manager.post(remind, url.Values{"confirm": {"yes"}}, ""); r.status != http.StatusForbidden {
		t.Errorf("no CSRF: %d, want 403", r.status)
	}
	token := m.manager.formToken()
	office := fmt.Sprintf("/manage/groups/%d/remind", m.office.ID)
	if r := m.manager.post(office, url.Values{"confirm": {"yes"}}, token); r.status != http.StatusForbidden {
		t.Errorf("remind another group: %d, want 403", r.status)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d reminders queued by refused requests", n)
	}
	if r := m.manager.post(remind, url.Values{}, token); r.status != http.StatusOK || !strings.Contains(r.body, "Send the reminders") {
		t.Errorf("remind without confirming: %d, want the confirmation page", r.status)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d reminders queued before confirming", n)
	}
	r := m.manager.post(remind, url.Values{"confirm": {"yes"}}, token)
	if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "1+reminder+sent") {
		t.Fatalf("remind: %d %s", r.status, r.header.Get("Location"))
	}
	rows, _ := m.store.Messages(ctx, store.MessageFilter{Limit: 100})
	var got *store.MessageRow
	for i := range rows {
		if rows[i].Kind == store.MessageManagerReminder {
			got = &rows[i]
		}
	}
	if got == nil || got.To != "lee@example.org" || !strings.Contains(got.Body, "User boss@example.org, your manager") {
		t.Fatalf("reminder %+v", got)
	}
	r = m.manager.post(remind, url.Values{"confirm": {"yes"}}, token)
	if r.status != http.StatusSeeOther || !strings.Contains(r.header.Get("Location"), "0+reminders+sent") {
		t.Errorf("remind again: %d %s, want none sent", r.status, r.header.Get("Location"))
	}
	entries, err := m.store.AuditEntries(ctx, store.AuditFilter{Action: "group.remind_overdue"}, 10)
	if err != nil || len(entries) != 2 || entries[0].ActorID == nil || *entries[0].ActorID != m.boss.ID {
		t.Errorf("audit %+v %v, want two entries by the manager", entries, err)
	}
}

// TestSchedules: recipients are validated and limited (N and N+1), a
// manager schedules their own groups only, and stopping asks first.
func TestSchedules(t *testing.T) {
	const max = 3
	m := newManagerEnv(t, func(o *web.Options) { o.ReportMaxRecipients = max })
	ctx := context.Background()
	token := m.manager.formToken()
	post := func(b *browser, base, subject, recipients string) response {
		return b.post(base, url.Values{"subject": {subject}, "format": {"xlsx"}, "period": {"monthly"}, "recipients": {recipients}}, token)
	}
	ware := fmt.Sprintf("group:%d", m.ware.ID)
	addrs := func(n int) string {
		var a []string
		for i := range n {
			a = append(a, fmt.Sprintf("r%d@example.org", i))
		}
		return strings.Join(a, ",\n")
	}
	for _, c := range []struct {
		name, subject, recipients string
		want                      int
	}{
		{"N+1 recipients", ware, addrs(max + 1), http.StatusUnprocessableEntity},
		{"a bad address", ware, "boss@example.org, not-an-address", http.StatusUnprocessableEntity},
		{"no address", ware, " , ", http.StatusUnprocessableEntity},
		{"bad format", "nonsense", "a@example.org", http.StatusUnprocessableEntity},
		{"another group", fmt.Sprintf("group:%d", m.office.ID), "a@example.org", http.StatusForbidden},
		{"a course none of theirs takes", "course:999", "a@example.org", http.StatusForbidden},
	} {
		if r := post(m.manager, "/manage/schedules", c.subject, c.recipients); r.status != c.want {
			t.Errorf("%s: %d, want %d", c.name, r.status, c.want)
		}
	}
	if rows, _ := m.store.Schedules(ctx, 0); len(rows) != 0 {
		t.Fatalf("refused schedules stored: %+v", rows)
	}
	// N recipients, one given twice in capitals: stored once, lower-cased.
	r := post(m.manager, "/manage/schedules", ware, addrs(max)+"\nR0@Example.org")
	if r.status != http.StatusSeeOther {
		t.Fatalf("N recipients: %d\n%s", r.status, r.body)
	}
	rows, _ := m.store.Schedules(ctx, 0)
	if len(rows) != 1 || len(rows[0].Recipients) != max || rows[0].LastPeriod != "2026-03" || rows[0].OwnerID != m.boss.ID {
		t.Fatalf("schedule %+v", rows)
	}
	// An admin sees it; another manager's deletion by URL id is refused.
	if r := m.admin.get("/admin/schedules"); !strings.Contains(r.body, "r2@example.org") {
		t.Errorf("admin's schedules page does not list the manager's")
	}
	other := m.env.signedIn("other@example.org", false)
	m.makeManager("other@example.org")
	del := fmt.Sprintf("/manage/schedules/%d/delete", rows[0].ID)
	if r := other.post(del, url.Values{"confirm": {"yes"}}, other.formToken()); r.status != http.StatusForbidden {
		t.Errorf("another manager deletes it: %d, want 403", r.status)
	}
	if r := m.manager.post(del, url.Values{}, token); r.status != http.StatusOK || !strings.Contains(r.body, "Stop the report") {
		t.Errorf("delete without confirming: %d", r.status)
	}
	if r := m.manager.post(del, url.Values{"confirm": {"yes"}}, token); r.status != http.StatusSeeOther {
		t.Errorf("delete: %d", r.status)
	}
	if rows, _ := m.store.Schedules(ctx, 0); len(rows) != 0 {
		t.Errorf("schedule after deleting: %+v", rows)
	}
	entries, _ := m.store.AuditEntries(ctx, store.AuditFilter{Action: "report_schedule.delete"}, 10)
	if len(entries) != 1 {
		t.Errorf("audit of the deletion: %+v", entries)
	}
}

// TestManagersAPI: admins make and unmake managers through the API.
func TestManagersAPI(t *testing.T) {
	m := newManagerEnv(t)
	tok := m.apiToken(m.adminUser, store.ScopeReadWrite, nil)
	path := fmt.Sprintf("/api/v1/groups/%d/managers", m.office.ID)
	if r := m.api(http.MethodPost, path, tok, `{"email":"boss@example.org"}`); r.status != http.StatusCreated {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	if r := m.api(http.MethodPost, path, tok, `{"email":"boss@example.org"}`); r.status != http.StatusOK || !strings.Contains(r.body, `"added":false`) {
		t.Errorf("add again: %d %s", r.status, r.body)
	}
	if r := m.api(http.MethodPost, path, tok, `{"email":"nobody@example.org"}`); r.status < 400 || r.status >= 500 {
		t.Errorf("add an unknown user: %d, want a client error", r.status)
	}
	if r := m.api(http.MethodGet, path, tok, ""); !strings.Contains(r.body, "boss@example.org") {
		t.Errorf("list: %s", r.body)
	}
	if r := m.manager.get(fmt.Sprintf("/manage/users/%d", m.ann.ID)); r.status != http.StatusOK {
		t.Errorf("ann after the manager got the Office: %d", r.status)
	}
	if r := m.api(http.MethodDelete, fmt.Sprintf("%s/%d", path, m.boss.ID), tok, ""); r.status != http.StatusNoContent {
		t.Errorf("remove: %d %s", r.status, r.body)
	}
	if r := m.api(http.MethodDelete, fmt.Sprintf("%s/%d", path, m.boss.ID), tok, ""); r.status != http.StatusNotFound {
		t.Errorf("remove again: %d", r.status)
	}
	if r := m.manager.get(fmt.Sprintf("/manage/users/%d", m.ann.ID)); r.status != http.StatusForbidden {
		t.Errorf("ann after the manager left the Office: %d", r.status)
	}
	ro := m.apiToken(m.adminUser, store.ScopeRead, nil)
	if r := m.api(http.MethodPost, path, ro, `{"email":"boss@example.org"}`); r.status != http.StatusForbidden {
		t.Errorf("read-only token adds: %d", r.status)
	}
}

// TestLandingByRole: after signing in with nothing else asked for, an admin
// lands on the dashboard, a manager of groups on their teams and a learner
// on their courses, by password, by an invitation's link and when a
// signed-in user opens the sign-in page; an address asked for wins.
func TestLandingByRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.addUser("admin@example.org", true)
	e.addUser("boss@example.org", false)
	e.addUser("lee@example.org", false)
	e.makeManager("boss@example.org", "lee@example.org")
	for _, tt := range []struct{ email, want string }{
		{"admin@example.org", "/admin"},
		{"boss@example.org", "/manage"},
		{"lee@example.org", "/"},
	} {
		b := e.browser()
		r := b.login(tt.email, "password-123")
		if r.status != http.StatusSeeOther || r.header.Get("Location") != tt.want {
			t.Errorf("%s signs in: %d %q, want %q", tt.email, r.status, r.header.Get("Location"), tt.want)
		}
		if r := b.get("/login"); r.status != http.StatusSeeOther || r.header.Get("Location") != tt.want {
			t.Errorf("%s opens the sign-in page signed in: %d %q, want %q", tt.email, r.status, r.header.Get("Location"), tt.want)
		}
	}
	// An address asked for wins over the manager's landing.
	b := e.browser()
	r := b.post("/login", url.Values{"email": {"boss@example.org"}, "password": {"password-123"}, "next": {"/account"}}, b.csrf("/login?next=%2Faccount"))
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/account" {
		t.Errorf("manager with next: %d %q, want /account", r.status, r.header.Get("Location"))
	}
	// A new manager chooses a password with an invitation and lands on
	// their teams.
	newcomer := e.quickUser("new-boss@example.org", "New Boss")
	g, _ := e.store.CreateGroup(ctx, "Night shift")
	if _, err := e.store.AddManager(ctx, newcomer.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	admin := e.browser()
	admin.login("admin@example.org", "password-123")
	page := fmt.Sprintf("/admin/users/%d", newcomer.ID)
	if r := admin.post(page+"/invite", url.Values{}, admin.csrf(page)); r.status != http.StatusOK {
		t.Fatalf("invite: %d", r.status)
	}
	rows, err := e.store.Messages(ctx, store.MessageFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	link := ""
	for _, m := range rows {
		if m.Kind == store.MessageInvitation && m.To == "new-boss@example.org" {
			link = strings.TrimPrefix(m.Link, e.opt.BaseURL)
		}
	}
	if r := e.browser().choosePassword(link, "a-long-password-1"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/manage" {
		t.Errorf("new manager's invitation: %d %q, want /manage", r.status, r.header.Get("Location"))
	}
}

// TestScheduleDeliveries: the deliveries page lists each delivery of a
// scheduled report (when, to whom, which report, sent or failed with the
// error); the admin sees all, a manager those of their own schedules only,
// a learner nothing.
func TestScheduleDeliveries(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	boss := e.signedIn("boss@example.org", false)
	lee := e.signedIn("lee@example.org", false)
	g := e.makeManager("boss@example.org", "lee@example.org")
	adminUser, _ := e.store.UserByEmail(ctx, "admin@example.org")
	bossUser, _ := e.store.UserByEmail(ctx, "boss@example.org")
	courseID := uploadFixture(t, e, admin)
	mine := &store.ReportSchedule{GroupID: &g.ID, Format: "csv", Period: store.PeriodWeekly, Recipients: []string{"boss@example.org", "hr@example.org"}, OwnerID: bossUser.ID}
	theirs := &store.ReportSchedule{CourseID: &courseID, Format: "xlsx", Period: store.PeriodMonthly, Recipients: []string{"audit@example.org"}, OwnerID: adminUser.ID}
	for _, r := range []*store.ReportSchedule{mine, theirs} {
		if err := e.store.CreateSchedule(ctx, r); err != nil {
			t.Fatal(err)
		}
		row, _ := e.store.ScheduleByID(ctx, r.ID)
		if _, err := e.store.QueueScheduledReport(ctx, row, "", "2026-W10"); err != nil {
			t.Fatal(err)
		}
	}
	ds, _ := e.store.UnsentDeliveries(ctx, 0, 10)
	if len(ds) != 3 {
		t.Fatalf("%d deliveries queued, want 3", len(ds))
	}
	for i := range ds {
		d := &ds[i]
		row, _ := e.store.ScheduleByID(ctx, d.ScheduleID)
		switch d.To {
		case "boss@example.org", "audit@example.org":
			if err := e.store.MarkDeliverySent(ctx, d, row); err != nil {
				t.Fatal(err)
			}
		case "hr@example.org":
			if err := e.store.MarkDeliveryFailed(ctx, d.ID, "550 mailbox <hr@example.org> unknown", true); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := admin.get("/admin/schedules/deliveries")
	if r.status != http.StatusOK {
		t.Fatalf("admin's deliveries: %d", r.status)
	}
	for _, want := range []string{"Weekly report of the group “Team of boss@example.org”, 2026-W10", "Monthly report of the course", "To audit@example.org",
		"To hr@example.org", "failed, will retry", "Error: 550 mailbox &lt;hr@example.org&gt; unknown", "sent 2 March 2026, 09:00 UTC", "scheduled by User boss@example.org"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("admin's deliveries lack %q", want)
		}
	}
	if n := strings.Count(r.body, `class="message delivery"`); n != 3 {
		t.Errorf("admin sees %d deliveries, want 3", n)
	}
	r = boss.get("/manage/schedules/deliveries")
	if r.status != http.StatusOK || strings.Count(r.body, `class="message delivery"`) != 2 || strings.Contains(r.body, "audit@example.org") ||
		!strings.Contains(r.body, "To hr@example.org") || !strings.Contains(r.body, "550 mailbox") {
		t.Errorf("manager's deliveries: %d\n%s", r.status, r.body)
	}
	if r := boss.get("/manage/schedules"); !strings.Contains(r.body, `href="/manage/schedules/deliveries"`) {
		t.Error("the manager's schedules page does not link to the deliveries")
	}
	for who, b := range map[string]*browser{"learner": lee, "manager": boss} {
		if r := b.get("/admin/schedules/deliveries"); r.status != http.StatusForbidden {
			t.Errorf("%s opens the admin's deliveries: %d, want 403", who, r.status)
		}
	}
	if r := lee.get("/manage/schedules/deliveries"); r.status != http.StatusForbidden {
		t.Errorf("learner opens the manager's deliveries: %d, want 403", r.status)
	}
}

// TestDeliveryHistoryLimit: the deliveries page lists the newest 200
// (maxDeliveryHistory): all of 200, and of 201 all but the oldest.
func TestDeliveryHistoryLimit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.signedIn("admin@example.org", true)
	adminUser, _ := e.store.UserByEmail(ctx, "admin@example.org")
	g, _ := e.store.CreateGroup(ctx, "Everyone")
	const max = 200
	queue := func(s, n int) {
		t.Helper()
		var to []string
		for i := range n {
			to = append(to, fmt.Sprintf("r%d-%d@example.org", s, i))
		}
		r := &store.ReportSchedule{GroupID: &g.ID, Format: "csv", Period: store.PeriodWeekly, Recipients: to, OwnerID: adminUser.ID}
		if err := e.store.CreateSchedule(ctx, r); err != nil {
			t.Fatal(err)
		}
		row, _ := e.store.ScheduleByID(ctx, r.ID)
		if k, err := e.store.QueueScheduledReport(ctx, row, "", "2026-W10"); err != nil || k != n {
			t.Fatalf("queued %d (%v), want %d", k, err, n)
		}
	}
	for s := range max / 20 {
		queue(s, 20)
	}
	r := admin.get("/admin/schedules/deliveries")
	if n := strings.Count(r.body, `class="message delivery"`); n != max || !strings.Contains(r.body, "To r0-0@example.org") {
		t.Errorf("%d deliveries: the page lists %d, want all", max, n)
	}
	queue(99, 1)
	r = admin.get("/admin/schedules/deliveries")
	if n := strings.Count(r.body, `class="message delivery"`); n != max || strings.Contains(r.body, "To r0-0@example.org") || !strings.Contains(r.body, "To r99-0@example.org") {
		t.Errorf("%d deliveries: the page lists %d, want the newest %d", max+1, n, max)
	}
}
