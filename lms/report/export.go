package report

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/lectern/lectern/lms/store"
)

// Formats an export can be written in.
const (
	CSV  = "csv"
	XLSX = "xlsx"
	JSON = "json"
)

// ContentType is the media type of a format.
func ContentType(format string) string {
	switch format {
	case CSV:
		return "text/csv; charset=utf-8"
	case XLSX:
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "application/json"
}

// column is one column of an export: a key for JSON, a label for people.
// Times (kind timeCol) are in the organisation's time zone, which their
// label names; durations (durationCol) are seconds in CSV and JSON and real
// durations in XLSX.
type column struct {
	key, label string
	kind       int
}

const (
	textCol = iota
	timeCol
	durationCol
)

var courseColumns = []column{
	{"learner", "Learner", 0}, {"email", "Email", 0}, {"groups", "Groups", 0}, {"active", "Active", 0}, {"status", "Status", 0},
	{"attempt", "Attempt", 0}, {"attempt_shown", "Attempt shown", 0},
	{"completion", "Completion", 0}, {"success", "Success", 0}, {"score_percent", "Score (%)", 0}, {"score_scaled", "Scaled score", 0}, {"score_raw", "Raw score", 0},
	{"total_seconds", "Total time", durationCol}, {"attempts", "Attempts", 0}, {"first_access", "First access", timeCol}, {"last_access", "Last access", timeCol},
	{"enrolled", "Enrolled", timeCol}, {"completed", "Completed", timeCol}, {"due", "Due", timeCol}, {"overdue", "Overdue", 0}, {"expires", "Expires", timeCol},
}

var transcriptColumns = []column{
	{"course", "Course", 0}, {"groups", "Groups", 0}, {"status", "Status", 0}, {"enrolled", "Enrolled", timeCol}, {"due", "Due", timeCol}, {"completed", "Completed", timeCol},
	{"expires", "Expires", timeCol}, {"attempt", "Attempt", 0}, {"completion", "Completion", 0}, {"success", "Success", 0},
	{"score_percent", "Score (%)", 0}, {"score_scaled", "Scaled score", 0}, {"score_raw", "Raw score", 0}, {"total_seconds", "Total time", durationCol},
	{"started", "Started", timeCol}, {"last_access", "Last access", timeCol}, {"attempt_completed", "Attempt completed", timeCol},
}

// zoned names the time zone in the labels of time columns.
func (s *Service) zoned(cols []column) []column {
	out := make([]column, len(cols))
	for i, c := range cols {
		out[i] = c
		if c.kind == timeCol {
			out[i].label += " (" + s.loc().String() + ")"
		}
	}
	return out
}

// AttemptShown says which attempt a report row shows: the one that counts
// under the course's rule (best or latest), or the latest so far.
func AttemptShown(r *store.ReportRow) string {
	switch {
	case r.AttemptID == nil:
		return ""
	case r.Counting && r.AttemptPolicy == store.AttemptBest:
		return "counts (best attempt)"
	case r.Counting:
		return "counts (latest attempt)"
	}
	return "latest so far"
}

// stamp is a time in the organisation's time zone: text in CSV and JSON, a
// date in XLSX.
type stamp time.Time

func (t stamp) String() string { return time.Time(t).Format("2006-01-02 15:04") }

// seconds is a duration: whole seconds in CSV and JSON, a duration in XLSX.
type seconds float64

// courseCells appends a course report row's cells, in courseColumns' order.
func (s *Service) courseCells(cells []any, r Row, groups map[uint]string) []any {
	var attempt any
	if r.AttemptID != nil {
		attempt = r.AttemptNumber
	}
	return append(cells, r.UserName, r.UserEmail, groups[r.UserID], yesNo(r.UserActive), string(r.Status),
		attempt, AttemptShown(&r.ReportRow),
		strp(r.Completion), strp(r.Success), percent(r.ScoreScaled), floatp(r.ScoreScaled), floatp(r.ScoreRaw),
		seconds(r.TotalSeconds), r.Attempts, s.when(r.FirstAccess), s.when(r.LastAccess),
		s.when(&r.EnrolledAt), s.when(r.CompletedAt), s.when(r.DueAt), yesNo(r.Overdue), s.when(r.ExpiresAt))
}

// Export writes the course report in format to w, row by row.
func (s *Service) Export(ctx context.Context, w io.Writer, format string, courseID uint, q Query) error {
	groups, err := s.Store.GroupNames(ctx, courseID)
	if err != nil {
		return err
	}
	tw, err := newTableWriter(w, format, s.zoned(courseColumns))
	if err != nil {
		return err
	}
	cells := make([]any, len(courseColumns))
	err = s.Each(ctx, courseID, q, func(r Row) error {
		return tw.row(s.courseCells(cells[:0], r, groups))
	})
	if err != nil {
		tw.abort()
		return err
	}
	return tw.close()
}

// ExportTranscript writes a learner's transcript in format to w.
func (s *Service) ExportTranscript(ctx context.Context, w io.Writer, format string, userID uint) error {
	groups, err := s.Store.UserGroups(ctx, userID)
	if err != nil {
		return err
	}
	names := make([]string, len(groups))
	for i, g := range groups {
		names[i] = g.Name
	}
	tw, err := newTableWriter(w, format, s.zoned(transcriptColumns))
	if err != nil {
		return err
	}
	cells := make([]any, len(transcriptColumns))
	err = s.EachTranscript(ctx, userID, func(r TranscriptRow) error {
		var attempt any
		if r.AttemptID != nil {
			attempt = r.AttemptNumber
		}
		cells = append(cells[:0], r.CourseTitle, strings.Join(names, "; "), string(r.Status), s.when(r.EnrolledAt), s.when(r.DueAt), s.when(r.CompletedAt),
			s.when(r.ExpiresAt), attempt, r.Completion, r.Success, percent(r.ScoreScaled), floatp(r.ScoreScaled), floatp(r.ScoreRaw), seconds(r.TotalSeconds),
			s.when(r.StartedAt), s.when(r.LastAccessAt), s.when(r.AttemptCompleted))
		return tw.row(cells)
	})
	if err != nil {
		tw.abort()
		return err
	}
	return tw.close()
}

// when formats a time for a spreadsheet, in the organisation's time zone.
func (s *Service) when(t *time.Time) any {
	if t == nil {
		return nil
	}
	return stamp(t.In(s.loc()))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func strp(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func floatp(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func percent(p *float64) any {
	if p == nil {
		return nil
	}
	return float64(int64(*p*1000+0.5)) / 10 // one decimal place
}

func round(f float64) any { return int64(f + 0.5) }

// Neutralise makes a text safe to open in a spreadsheet: a value that starts
// with = + - @, a tab or a carriage return could be run as a formula, so it
// gets a leading apostrophe. Invalid UTF-8 is replaced.
func Neutralise(v string) string {
	v = strings.ToValidUTF8(v, "\uFFFD")
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// xmlText drops the control characters XML 1.0 cannot hold (an XLSX file
// with one does not open).
func xmlText(v string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xFFFE || r == 0xFFFF {
			return -1
		}
		return r
	}, v)
}

// tableWriter writes rows of cells (string, int, int64, float64 or nil).
type tableWriter interface {
	row(cells []any) error
	close() error
	abort()
}

func newTableWriter(w io.Writer, format string, cols []column) (tableWriter, error) {
	switch format {
	case CSV:
		return newCSVWriter(w, cols)
	case XLSX:
		return newXLSXWriter(w, cols)
	case JSON:
		return newJSONWriter(w, cols)
	}
	return nil, fmt.Errorf("%w: format %q (want csv, xlsx or json)", ErrInvalid, format)
}

type csvWriter struct {
	buf *bufio.Writer
	w   *csv.Writer
	rec []string
}

func newCSVWriter(w io.Writer, cols []column) (*csvWriter, error) {
	buf := bufio.NewWriterSize(w, 32<<10)
	// The byte order mark makes Excel read the file as UTF-8.
	if _, err := buf.WriteString("\uFEFF"); err != nil {
		return nil, err
	}
	c := &csvWriter{buf: buf, w: csv.NewWriter(buf), rec: make([]string, len(cols))}
	for i, col := range cols {
		c.rec[i] = col.label
		if col.kind == durationCol {
			c.rec[i] += " (s)"
		}
	}
	return c, c.w.Write(c.rec)
}

func (c *csvWriter) row(cells []any) error {
	for i, v := range cells {
		c.rec[i] = text(v)
	}
	return c.w.Write(c.rec)
}

func (c *csvWriter) close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.buf.Flush()
}

func (c *csvWriter) abort() {}

// text is a cell as CSV text; strings are neutralised, numbers are not text
// that a learner wrote.
func text(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return Neutralise(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case stamp:
		return x.String()
	case seconds:
		return strconv.FormatInt(int64(x+0.5), 10)
	}
	return Neutralise(fmt.Sprint(v))
}

type xlsxWriter struct {
	w                io.Writer
	f                *excelize.File
	sw               *excelize.StreamWriter
	n                int
	cells            []any
	dateStyle, spans int // styles of dates and durations
}

func newXLSXWriter(w io.Writer, cols []column) (*xlsxWriter, error) {
	f := excelize.NewFile()
	// Zip straight into w: excelize would otherwise build the whole file in
	// a buffer first. The sheet's rows spill to a temporary file past 16 MB.
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		f.Close()
		return nil, err
	}
	x := &xlsxWriter{w: w, f: f, sw: sw, n: 1, cells: make([]any, len(cols))}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		f.Close()
		return nil, err
	}
	dateFmt, spanFmt := "yyyy-mm-dd hh:mm", "[h]:mm:ss"
	if x.dateStyle, err = f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt}); err != nil {
		f.Close()
		return nil, err
	}
	if x.spans, err = f.NewStyle(&excelize.Style{CustomNumFmt: &spanFmt}); err != nil {
		f.Close()
		return nil, err
	}
	head := make([]any, len(cols))
	for i, c := range cols {
		label := c.label
		if c.kind == durationCol {
			label += " (h:mm:ss)"
		}
		head[i] = excelize.Cell{StyleID: bold, Value: label}
	}
	if err := sw.SetRow("A1", head, excelize.RowOpts{}); err != nil {
		f.Close()
		return nil, err
	}
	return x, nil
}

func (x *xlsxWriter) row(cells []any) error {
	x.n++
	for i, v := range cells {
		switch s := v.(type) {
		case string:
			x.cells[i] = xmlText(Neutralise(s))
		case stamp:
			x.cells[i] = excelize.Cell{StyleID: x.dateStyle, Value: time.Time(s)}
		case seconds:
			x.cells[i] = excelize.Cell{StyleID: x.spans, Value: float64(s) / 86400}
		default:
			x.cells[i] = v
		}
	}
	cell, err := excelize.CoordinatesToCellName(1, x.n)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, x.cells)
}

func (x *xlsxWriter) close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	// The buffer stays empty: the zip writer set in newXLSXWriter writes to x.w.
	_, err := x.f.WriteToBuffer()
	return err
}

func (x *xlsxWriter) abort() { x.f.Close() }

// jsonWriter writes an array of objects keyed by column. JSON keeps values as
// they are (a JSON reader runs no formulas); the encoder escapes HTML.
type jsonWriter struct {
	buf  *bufio.Writer
	cols []column
	n    int
}

func newJSONWriter(w io.Writer, cols []column) (*jsonWriter, error) {
	j := &jsonWriter{buf: bufio.NewWriterSize(w, 32<<10), cols: cols}
	_, err := j.buf.WriteString("[")
	return j, err
}

func (j *jsonWriter) row(cells []any) error {
	if j.n > 0 {
		j.buf.WriteString(",")
	}
	j.n++
	j.buf.WriteString("\n{")
	for i, v := range cells {
		if i > 0 {
			j.buf.WriteString(",")
		}
		k, _ := json.Marshal(j.cols[i].key)
		j.buf.Write(k)
		j.buf.WriteString(":")
		switch x := v.(type) {
		case string:
			if !utf8.ValidString(x) {
				v = strings.ToValidUTF8(x, "\uFFFD")
			}
		case stamp:
			v = x.String()
		case seconds:
			v = int64(x + 0.5)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := j.buf.Write(b); err != nil {
			return err
		}
	}
	_, err := j.buf.WriteString("}")
	return err
}

func (j *jsonWriter) close() error {
	j.buf.WriteString("\n]\n")
	return j.buf.Flush()
}

func (j *jsonWriter) abort() {}
