package store

// Report queries: one row per enrolment of a course with its latest attempt
// and attempt totals, read through a database cursor so that exports stream
// at any size, and keyset pages so that page 1,000 costs what page 1 does.
// Migration 5 creates the indexes they walk.

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ReportIndexesSQL creates the indexes the report's sorts and filters walk.
const ReportIndexesSQL = `
CREATE INDEX IF NOT EXISTS idx_enrolment_course_due ON enrolments(course_id, due_at, id);
CREATE INDEX IF NOT EXISTS idx_enrolment_course_completed ON enrolments(course_id, completed_at, id);
CREATE INDEX IF NOT EXISTS idx_enrolment_course_enrolled ON enrolments(course_id, enrolled_at, id);
CREATE INDEX IF NOT EXISTS idx_user_name ON users(name, id);
CREATE INDEX IF NOT EXISTS idx_attempt_user_course_started ON attempts(user_id, course_id, started_at);
`

// CreateReportIndexes applies ReportIndexesSQL again (migration 5 already
// did); it is idempotent.
func (s *Store) CreateReportIndexes(ctx context.Context) error {
	if err := createReportIndexes(s.db.WithContext(ctx)); err != nil {
		return fmt.Errorf("store: report indexes: %w", err)
	}
	return nil
}

// createReportIndexes runs the statements one by one: a prepared statement
// holds only the first of several.
func createReportIndexes(tx *gorm.DB) error {
	for _, stmt := range strings.Split(ReportIndexesSQL, ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if err := tx.Exec(stmt).Error; err != nil {
			return err
		}
	}
	return nil
}

// Report sort keys.
const (
	SortName      = "name"
	SortStatus    = "status"
	SortDue       = "due"
	SortCompleted = "completed"
	SortScore     = "score"
)

// ReportFilter narrows a course report. Status is a compliance status
// ("to do", "in progress", "overdue", "completed", "expired"); Now decides it.
type ReportFilter struct {
	CourseID                   uint
	GroupID                    uint
	ManagerID                  uint // members of the groups this user manages
	Status                     string
	EnrolledFrom, EnrolledTo   *time.Time // [from, to)
	CompletedFrom, CompletedTo *time.Time // [from, to)
	Now                        time.Time
	Sort                       string // a Sort* key; name when empty
	Desc                       bool
}

// ReportRow is one enrolment as the course report shows it.
type ReportRow struct {
	EnrolmentID    uint
	UserID         uint
	UserName       string
	UserEmail      string
	UserActive     bool
	CourseID       uint
	CourseTitle    string
	PassRule       string
	AttemptPolicy  string
	ValidityMonths *int
	Cycle          int
	Source         string
	EnrolledAt     time.Time
	DueAt          *time.Time
	CompletedAt    *time.Time
	ExpiresAt      *time.Time
	ExemptAt       *time.Time
	Outcome        string
	// CompletionSource is the source of the current cycle's completion
	// ("attempt", "offline"; "" when there is none).
	CompletionSource string
	// The attempt shown: the one that counts (Counting) or, before one is
	// finished, the latest in the current cycle.
	AttemptID     *uint
	AttemptNumber int
	Counting      bool
	Completion    *string
	Success       *string
	ScoreScaled   *float64
	ScoreRaw      *float64
	// The latest attempt in the current cycle: its completion decides "in progress".
	LatestCompletion *string
	// Over every attempt of the course.
	Attempts     int
	TotalSeconds float64
	FirstAccess  *time.Time
	LastAccess   *time.Time

	sortNum float64
	sortStr string
}

// EnrolmentRow is the row in the shape compliance.StatusOf reads.
func (r *ReportRow) EnrolmentRow() EnrolmentRow {
	return EnrolmentRow{
		Enrolment: Enrolment{ID: r.EnrolmentID, UserID: r.UserID, CourseID: r.CourseID, Cycle: r.Cycle, Source: r.Source,
			EnrolledAt: r.EnrolledAt, DueAt: r.DueAt, CompletedAt: r.CompletedAt, ExpiresAt: r.ExpiresAt,
			ExemptAt: r.ExemptAt, Outcome: r.Outcome},
		CourseTitle: r.CourseTitle, UserName: r.UserName, UserEmail: r.UserEmail, UserActive: r.UserActive,
		PassRule: r.PassRule, AttemptPolicy: r.AttemptPolicy, ValidityMonths: r.ValidityMonths,
		AttemptID: r.AttemptID, AttemptCompletion: r.LatestCompletion, AttemptSuccess: r.Success, AttemptAccess: r.LastAccess,
	}
}

// ReportCursor is where a report page starts: after this sort key and
// enrolment. Encode makes it a URL-safe opaque token.
type ReportCursor struct {
	Sort string  `json:"s"`
	Desc bool    `json:"d,omitempty"`
	Num  float64 `json:"n,omitempty"`
	Str  string  `json:"t,omitempty"`
	ID   uint    `json:"i"`
}

// Encode returns the cursor as a token for a URL.
func (c ReportCursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeReportCursor reads a token made by Encode; ErrInvalidCursor when it is not one.
func DecodeReportCursor(tok string) (*ReportCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, ErrInvalidCursor
	}
	var c ReportCursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID == 0 {
		return nil, ErrInvalidCursor
	}
	return &c, nil
}

// ErrInvalidCursor is a page token that was not made by ReportCursor.Encode.
var ErrInvalidCursor = fmt.Errorf("store: invalid report page token")

// statusSQL mirrors compliance.StatusOf (a test holds them together); ? is
// now, three times. la is the latest attempt of the current cycle.
const statusSQL = `CASE
	WHEN e.completed_at IS NOT NULL AND (e.expires_at IS NULL OR e.expires_at > ?) THEN 'completed'
	WHEN e.exempt_at IS NOT NULL THEN 'exempt'
	WHEN e.expires_at IS NOT NULL AND e.expires_at <= ? THEN 'expired'
	WHEN e.due_at IS NOT NULL AND e.due_at < ? THEN 'overdue'
	WHEN ` + failedSQL + ` THEN 'failed'
	WHEN ` + startedSQL + ` THEN 'in progress'
	ELSE 'to do' END`

// The conditions of statusSQL that read the latest attempt.
const (
	failedSQL  = "e.outcome = 'failed' AND (la.id IS NULL OR la.completion NOT IN ('incomplete', 'unknown'))"
	startedSQL = "la.id IS NOT NULL AND la.completion <> 'not attempted'"
)

// completionSourceSQL reads the source of the current cycle's completion.
const completionSourceSQL = `COALESCE((SELECT x.source FROM completions x WHERE x.enrolment_id = e.id AND x.cycle = e.cycle
	AND x.revoked_at IS NULL ORDER BY x.id DESC LIMIT 1), '')`

// sortKey is the expression a sort orders by, and whether it is numeric.
func sortKey(sort string) (expr string, numeric bool, err error) {
	switch sort {
	case "", SortName:
		return "u.name", false, nil
	case SortStatus:
		// Most urgent first, as on the dashboards.
		return "CASE " + statusSQL + " WHEN 'overdue' THEN 0 WHEN 'expired' THEN 1 WHEN 'failed' THEN 2 WHEN 'in progress' THEN 3 WHEN 'to do' THEN 4 WHEN 'exempt' THEN 5 ELSE 6 END", true, nil
	case SortDue:
		// No due date sorts last.
		return "COALESCE(e.due_at, '9999-12-31')", false, nil
	case SortCompleted:
		return "COALESCE(e.completed_at, '9999-12-31')", false, nil
	case SortScore:
		return "COALESCE(a.score_scaled, -1e9)", true, nil
	}
	return "", false, fmt.Errorf("store: report: unknown sort %q", sort)
}

// latestAttemptJoin joins la, the learner's latest attempt in the current
// cycle, and a, the attempt the report shows: the one that counts, or la.
const latestAttemptJoin = ` LEFT JOIN attempts la ON la.id = (SELECT MAX(a2.id) FROM attempts a2
		WHERE a2.user_id = e.user_id AND a2.course_id = e.course_id AND a2.started_at >= e.enrolled_at)
	LEFT JOIN attempts a ON a.id = COALESCE(e.counting_attempt_id, la.id)`

// reportQuery builds the report SELECT in two steps. The inner query finds
// the page: enrolment ids and sort keys only, joining the latest attempt
// only when the status or the score needs it. The outer query then reads
// the rest, with the attempt totals, for those rows alone. usersFirst walks
// users by name (idx_user_name) and stops after a page: right for a course
// that most users take, wrong for a small one.
func reportQuery(f ReportFilter, after *ReportCursor, limit int, usersFirst bool) (string, []any, error) {
	key, numeric, err := sortKey(f.Sort)
	if err != nil {
		return "", nil, err
	}
	now := f.Now.UTC()
	var args []any
	var b strings.Builder
	// Completed, expired and overdue do not depend on the attempt.
	attemptFree := f.Status == "completed" || f.Status == "expired" || f.Status == "overdue" || f.Status == "exempt"
	needAttempt := (f.Status != "" && !attemptFree) || f.Sort == SortStatus || f.Sort == SortScore
	filterStatus := statusSQL
	if !needAttempt {
		filterStatus = strings.NewReplacer(failedSQL, "1=0", startedSQL, "1=0").Replace(statusSQL)
	}
	b.WriteString(`SELECT e.id, e.user_id, u.name, u.email, u.active, e.course_id, c.title, c.pass_rule, c.attempt_policy, c.validity_months,
	e.cycle, e.source, e.enrolled_at, e.due_at, e.completed_at, e.expires_at, e.exempt_at, e.outcome, ` + completionSourceSQL + `,
	a.id AS aid, COALESCE(a.number, 0), a.id = e.counting_attempt_id, a.completion, a.success, a.score_scaled, a.score_raw, la.completion,
	(SELECT COUNT(*) FROM attempts x WHERE x.user_id = e.user_id AND x.course_id = e.course_id) AS n,
	(SELECT COALESCE(SUM(x.total_seconds), 0) FROM attempts x WHERE x.user_id = e.user_id AND x.course_id = e.course_id) AS secs,
	(SELECT MIN(x.started_at) FROM attempts x WHERE x.user_id = e.user_id AND x.course_id = e.course_id) AS first_at,
	(SELECT MAX(x.last_access_at) FROM attempts x WHERE x.user_id = e.user_id AND x.course_id = e.course_id) AS last_at,
	p.k
	FROM (SELECT id, k FROM (SELECT e.id AS id, `)
	b.WriteString(key)
	if f.Sort == SortStatus {
		args = append(args, now, now, now)
	}
	b.WriteString(" AS k")
	if f.Status != "" {
		b.WriteString(", " + filterStatus + " AS st")
		args = append(args, now, now, now)
	}
	if usersFirst && (f.Sort == "" || f.Sort == SortName) {
		b.WriteString(" FROM users u CROSS JOIN enrolments e ON e.user_id = u.id")
	} else if f.Sort == "" || f.Sort == SortName {
		b.WriteString(" FROM enrolments e JOIN users u ON u.id = e.user_id")
	} else {
		b.WriteString(" FROM enrolments e") // every enrolment has its user (foreign key)
	}
	if needAttempt {
		b.WriteString(latestAttemptJoin)
	}
	args = reportWhere(&b, args, f)
	b.WriteString(") r WHERE 1=1")
	if f.Status != "" {
		b.WriteString(" AND r.st = ?")
		args = append(args, f.Status)
	}
	cmp, dir := ">", "ASC"
	if f.Desc {
		cmp, dir = "<", "DESC"
	}
	if after != nil {
		var k any = after.Str
		if numeric {
			k = after.Num
		}
		// The first term lets SQLite start an index range at the key.
		fmt.Fprintf(&b, " AND r.k %s= ? AND (r.k %s ? OR r.id %s ?)", cmp, cmp, cmp)
		args = append(args, k, k, after.ID)
	}
	fmt.Fprintf(&b, " ORDER BY r.k %s, r.id %s", dir, dir)
	if limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, limit)
	}
	b.WriteString(`) p CROSS JOIN enrolments e ON e.id = p.id
	JOIN users u ON u.id = e.user_id
	JOIN courses c ON c.id = e.course_id`)
	b.WriteString(latestAttemptJoin)
	fmt.Fprintf(&b, " ORDER BY p.k %s, p.id %s", dir, dir)
	return b.String(), args, nil
}

// reportWhere writes the WHERE clause of the filters other than status.
func reportWhere(b *strings.Builder, args []any, f ReportFilter) []any {
	b.WriteString(" WHERE e.course_id = ?")
	args = append(args, f.CourseID)
	if f.GroupID != 0 {
		b.WriteString(" AND e.user_id IN (SELECT user_id FROM memberships WHERE group_id = ?)")
		args = append(args, f.GroupID)
	}
	if f.ManagerID != 0 {
		b.WriteString(" AND e.user_id IN (" + managedMembersSQL + ")")
		args = append(args, f.ManagerID)
	}
	for _, r := range []struct {
		col string
		t   *time.Time
		op  string
	}{{"e.enrolled_at", f.EnrolledFrom, ">="}, {"e.enrolled_at", f.EnrolledTo, "<"},
		{"e.completed_at", f.CompletedFrom, ">="}, {"e.completed_at", f.CompletedTo, "<"}} {
		if r.t != nil {
			fmt.Fprintf(b, " AND %s %s ?", r.col, r.op)
			args = append(args, r.t.UTC())
		}
	}
	return args
}

// exportQuery is the whole report in one pass, for exports: the attempt
// totals come from one grouped scan of the course's attempts rather than
// four lookups per row.
func exportQuery(f ReportFilter) (string, []any, error) {
	key, _, err := sortKey(f.Sort)
	if err != nil {
		return "", nil, err
	}
	now := f.Now.UTC()
	var args []any
	var b strings.Builder
	b.WriteString(`SELECT e.id, e.user_id, u.name, u.email, u.active, e.course_id, c.title, c.pass_rule, c.attempt_policy, c.validity_months,
	e.cycle, e.source, e.enrolled_at, e.due_at, e.completed_at, e.expires_at, e.exempt_at, e.outcome, ` + completionSourceSQL + `,
	a.id AS aid, COALESCE(a.number, 0), a.id = e.counting_attempt_id, a.completion, a.success, a.score_scaled, a.score_raw, la.completion,
	COALESCE(ag.n, 0), COALESCE(ag.secs, 0), ag.first_at, ag.last_at, `)
	b.WriteString(key)
	if f.Sort == SortStatus {
		args = append(args, now, now, now)
	}
	b.WriteString(` AS k
	FROM enrolments e
	JOIN users u ON u.id = e.user_id
	JOIN courses c ON c.id = e.course_id`)
	b.WriteString(latestAttemptJoin)
	b.WriteString(` LEFT JOIN (SELECT user_id, COUNT(*) AS n, COALESCE(SUM(total_seconds), 0) AS secs, MIN(started_at) AS first_at,
		MAX(last_access_at) AS last_at FROM attempts WHERE course_id = ? GROUP BY user_id) ag ON ag.user_id = e.user_id`)
	args = append(args, f.CourseID)
	args = reportWhere(&b, args, f)
	if f.Status != "" {
		b.WriteString(" AND " + statusSQL + " = ?")
		args = append(args, now, now, now, f.Status)
	}
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	fmt.Fprintf(&b, " ORDER BY k %s, e.id %s", dir, dir)
	return b.String(), args, nil
}

// ReportPage returns up to limit rows after the cursor (nil: from the
// start), and the cursor of the next page (nil on the last page).
func (s *Store) ReportPage(ctx context.Context, f ReportFilter, after *ReportCursor, limit int) ([]ReportRow, *ReportCursor, error) {
	if after != nil && (after.Sort != f.Sort || after.Desc != f.Desc) {
		after = nil // the sort changed: start again
	}
	var out []ReportRow
	err := s.eachReportRow(ctx, f, after, limit+1, func(r *ReportRow) error {
		out = append(out, *r)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	var next *ReportCursor
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = &ReportCursor{Sort: f.Sort, Desc: f.Desc, Num: last.sortNum, Str: last.sortStr, ID: last.EnrolmentID}
	}
	return out, next, nil
}

// EachReportRow calls fn for every row of the report in order, reading
// from a cursor: memory does not grow with the number of rows. fn must not
// keep r.
func (s *Store) EachReportRow(ctx context.Context, f ReportFilter, fn func(r *ReportRow) error) error {
	return s.eachReportRow(ctx, f, nil, 0, fn)
}

func (s *Store) eachReportRow(ctx context.Context, f ReportFilter, after *ReportCursor, limit int, fn func(r *ReportRow) error) error {
	usersFirst := false
	if limit > 0 && (f.Sort == "" || f.Sort == SortName) {
		// Walk users by name when the course holds a good share of them.
		var enrolled, users int64
		if err := s.read(ctx).Raw("SELECT COUNT(*) FROM enrolments WHERE course_id = ?", f.CourseID).Scan(&enrolled).Error; err != nil {
			return fmt.Errorf("store: report: %w", err)
		}
		if err := s.read(ctx).Raw("SELECT COALESCE(MAX(id), 0) FROM users").Scan(&users).Error; err != nil {
			return fmt.Errorf("store: report: %w", err)
		}
		usersFirst = enrolled*4 >= users
	}
	q, args, err := reportQuery(f, after, limit, usersFirst)
	if limit <= 0 && after == nil {
		q, args, err = exportQuery(f)
	}
	if err != nil {
		return err
	}
	if s.pg {
		// CROSS JOIN ... ON is SQLite's way to fix the order of a join;
		// PostgreSQL knows no such form, and its planner picks the order.
		q = strings.ReplaceAll(q, " CROSS JOIN ", " JOIN ")
	}
	sqlDB, err := s.rdb.DB()
	if err != nil {
		return err
	}
	rows, err := sqlDB.QueryContext(ctx, s.rebind(q), args...)
	if err != nil {
		return fmt.Errorf("store: report: %w", err)
	}
	defer rows.Close()
	_, numeric, _ := sortKey(f.Sort)
	var (
		r                                 ReportRow
		enrolled, due, completed, expires dbTime
		exempt                            dbTime
		counting                          sql.NullBool
		latest                            sql.NullString
		firstAt, lastAt                   dbTime
		validity                          sql.NullInt64
		aid                               sql.NullInt64
		completion, success               sql.NullString
		scaled, raw                       sql.NullFloat64
		key                               any
	)
	for rows.Next() {
		r = ReportRow{}
		if err := rows.Scan(&r.EnrolmentID, &r.UserID, &r.UserName, &r.UserEmail, &r.UserActive, &r.CourseID, &r.CourseTitle,
			&r.PassRule, &r.AttemptPolicy, &validity, &r.Cycle, &r.Source, &enrolled, &due, &completed, &expires, &exempt, &r.Outcome,
			&r.CompletionSource, &aid, &r.AttemptNumber, &counting, &completion, &success, &scaled, &raw, &latest,
			&r.Attempts, &r.TotalSeconds, &firstAt, &lastAt, &key); err != nil {
			return fmt.Errorf("store: report: %w", err)
		}
		if enrolled.t != nil {
			r.EnrolledAt = *enrolled.t
		}
		r.DueAt, r.CompletedAt, r.ExpiresAt, r.FirstAccess, r.LastAccess = due.t, completed.t, expires.t, firstAt.t, lastAt.t
		r.ExemptAt, r.Counting, r.LatestCompletion = exempt.t, counting.Valid && counting.Bool, nullString(latest)
		if validity.Valid {
			v := int(validity.Int64)
			r.ValidityMonths = &v
		}
		if aid.Valid {
			v := uint(aid.Int64)
			r.AttemptID = &v
		}
		r.Completion, r.Success = nullString(completion), nullString(success)
		r.ScoreScaled, r.ScoreRaw = nullFloat(scaled), nullFloat(raw)
		if numeric {
			r.sortNum = toFloat(key)
		} else {
			r.sortStr = toString(key)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: report: %w", err)
	}
	return nil
}

func nullString(n sql.NullString) *string {
	if !n.Valid {
		return nil
	}
	return &n.String
}

func nullFloat(n sql.NullFloat64) *float64 {
	if !n.Valid {
		return nil
	}
	return &n.Float64
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case string, []byte:
		// PostgreSQL's numeric (GORM's type for a float) comes as text.
		f, _ := strconv.ParseFloat(toString(x), 64)
		return f
	}
	return 0
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		// The driver turned a datetime column into a time; put it back as stored.
		return x.Format("2006-01-02 15:04:05.999999999-07:00")
	}
	return fmt.Sprint(v)
}

// dbTime scans a time that SQLite returns either as a time (typed column) or
// as text (an expression such as MIN()).
type dbTime struct{ t *time.Time }

var timeFormats = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

func (d *dbTime) Scan(v any) error {
	d.t = nil
	var s string
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		t := x.UTC()
		d.t = &t
		return nil
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return fmt.Errorf("store: time from %T", v)
	}
	s = strings.TrimSuffix(s, "Z")
	for _, f := range timeFormats {
		if t, err := time.Parse(f, s); err == nil {
			t = t.UTC()
			d.t = &t
			return nil
		}
	}
	return fmt.Errorf("store: time %q", s)
}

// TranscriptRow is one attempt of a learner, or an enrolment without one.
type TranscriptRow struct {
	CourseID    uint
	CourseTitle string
	// Enrolment, when there is one.
	EnrolmentID *uint
	Cycle       int
	EnrolledAt  *time.Time
	DueAt       *time.Time
	CompletedAt *time.Time // of the current cycle
	ExpiresAt   *time.Time
	// Attempt, when there is one.
	AttemptID        *uint
	AttemptNumber    int
	Completion       string
	Success          string
	ScoreScaled      *float64
	ScoreRaw         *float64
	TotalSeconds     float64
	StartedAt        *time.Time
	LastAccessAt     *time.Time
	AttemptCompleted *time.Time
}

// EachTranscriptRow calls fn for every course a learner is enrolled in or
// has attempted, once per attempt, by course title and attempt number.
func (s *Store) EachTranscriptRow(ctx context.Context, userID uint, fn func(r *TranscriptRow) error) error {
	sqlDB, err := s.rdb.DB()
	if err != nil {
		return err
	}
	rows, err := sqlDB.QueryContext(ctx, s.rebind(`SELECT c.id, c.title, e.id, COALESCE(e.cycle, 0), e.enrolled_at, e.due_at, e.completed_at, e.expires_at,
		a.id, COALESCE(a.number, 0), COALESCE(a.completion, ''), COALESCE(a.success, ''), a.score_scaled, a.score_raw,
		COALESCE(a.total_seconds, 0), a.started_at, a.last_access_at, a.completed_at
	FROM courses c
	LEFT JOIN enrolments e ON e.course_id = c.id AND e.user_id = ?
	LEFT JOIN attempts a ON a.course_id = c.id AND a.user_id = ?
	WHERE e.id IS NOT NULL OR a.id IS NOT NULL
	ORDER BY c.title, c.id, a.number`), userID, userID)
	if err != nil {
		return fmt.Errorf("store: transcript: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			r                                                TranscriptRow
			eid, aid                                         sql.NullInt64
			scaled, raw                                      sql.NullFloat64
			enrolled, due, completed, expires, started, last dbTime
			acompleted                                       dbTime
		)
		if err := rows.Scan(&r.CourseID, &r.CourseTitle, &eid, &r.Cycle, &enrolled, &due, &completed, &expires,
			&aid, &r.AttemptNumber, &r.Completion, &r.Success, &scaled, &raw, &r.TotalSeconds, &started, &last, &acompleted); err != nil {
			return fmt.Errorf("store: transcript: %w", err)
		}
		if eid.Valid {
			v := uint(eid.Int64)
			r.EnrolmentID = &v
		}
		if aid.Valid {
			v := uint(aid.Int64)
			r.AttemptID = &v
		}
		if scaled.Valid {
			r.ScoreScaled = &scaled.Float64
		}
		if raw.Valid {
			r.ScoreRaw = &raw.Float64
		}
		r.EnrolledAt, r.DueAt, r.CompletedAt, r.ExpiresAt = enrolled.t, due.t, completed.t, expires.t
		r.StartedAt, r.LastAccessAt, r.AttemptCompleted = started.t, last.t, acompleted.t
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: transcript: %w", err)
	}
	return nil
}

// SeedReport bulk-inserts n learners enrolled in courseID, half of them with
// an attempt, for tests and benchmarks. Names come from name(i).
func (s *Store) SeedReport(ctx context.Context, courseID, versionID uint, n int, name func(i int) string) error {
	now := s.now()
	const chunk = 500
	return s.tx(ctx, func(tx *gorm.DB) error {
		for start := 0; start < n; start += chunk {
			end := min(start+chunk, n)
			users := make([]User, 0, end-start)
			for i := start; i < end; i++ {
				users = append(users, User{Email: fmt.Sprintf("seed-%d-%d@example.org", courseID, i), Name: name(i), PasswordHash: "x", Active: true, CreatedAt: now, UpdatedAt: now})
			}
			if err := tx.CreateInBatches(&users, chunk).Error; err != nil {
				return err
			}
			ens := make([]Enrolment, 0, len(users))
			var ats []Attempt
			for j, u := range users {
				i := start + j
				due := now.Add(time.Duration(i%60-30) * 24 * time.Hour)
				e := Enrolment{UserID: u.ID, CourseID: courseID, Cycle: 1, EnrolledAt: now.Add(-time.Duration(i%90) * 24 * time.Hour), DueAt: &due, CreatedAt: now}
				if i%4 == 0 {
					c := now.Add(-time.Duration(i%30) * time.Hour)
					e.CompletedAt = &c
					if i%16 == 0 {
						x := now.Add(-time.Minute) // an expired completion
						e.ExpiresAt = &x
					}
				}
				ens = append(ens, e)
				if i%2 == 0 {
					sc := float64(i%101) / 100
					comp := "incomplete"
					if e.CompletedAt != nil {
						comp = "completed"
					}
					ats = append(ats, Attempt{UserID: u.ID, CourseID: courseID, VersionID: versionID, Number: 1, Completion: comp, Success: "unknown",
						ScoreScaled: &sc, TotalSeconds: float64(i % 3600), StartedAt: e.EnrolledAt, LastAccessAt: now, CompletedAt: e.CompletedAt})
				}
			}
			if err := tx.CreateInBatches(&ens, chunk).Error; err != nil {
				return err
			}
			if len(ats) > 0 {
				if err := tx.CreateInBatches(&ats, chunk).Error; err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// DetailSource is one SCO's stored run-time data in an attempt, with whose it
// is, for the interaction and objective reports.
type DetailSource struct {
	AttemptID     uint
	AttemptNumber int
	UserName      string
	UserEmail     string
	ItemTitle     string
	State         []byte
}

// EachDetailSource streams the SCO states of a course's attempts (or of one
// attempt when attemptID is not 0), learner by learner.
func (s *Store) EachDetailSource(ctx context.Context, courseID, attemptID uint, fn func(*DetailSource) error) error {
	q := s.read(ctx).Table("sco_states st").
		Select("a.id AS attempt_id, a.number AS attempt_number, u.name AS user_name, u.email AS user_email, i.title AS item_title, st.state").
		Joins("JOIN attempts a ON a.id = st.attempt_id").
		Joins("JOIN users u ON u.id = a.user_id").
		Joins("JOIN items i ON i.id = st.item_id")
	if attemptID != 0 {
		q = q.Where("a.id = ?", attemptID)
	} else {
		q = q.Where("a.course_id = ?", courseID)
	}
	rows, err := q.Order("u.name, u.id, a.number, i.position").Rows()
	if err != nil {
		return fmt.Errorf("store: detail sources: %w", err)
	}
	defer rows.Close()
	var d DetailSource
	for rows.Next() {
		if err := rows.Scan(&d.AttemptID, &d.AttemptNumber, &d.UserName, &d.UserEmail, &d.ItemTitle, &d.State); err != nil {
			return fmt.Errorf("store: detail sources: %w", err)
		}
		if err := fn(&d); err != nil {
			return err
		}
	}
	return rows.Err()
}
