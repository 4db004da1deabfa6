package report_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lectern/lectern/lms/report"
)

// TestExportsAgree: the course report's XLSX holds real dates (with a date
// style) and durations, in the time zone its headers name; CSV, XLSX and
// JSON carry the same percentage, scaled and raw scores, the learner's
// groups and which attempt each row shows.
func TestExportsAgree(t *testing.T) {
	svc, cid := seeded(t, 40)
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone data")
	}
	svc.Location = loc
	ctx := context.Background()
	var csvBuf, xlsxBuf, jsonBuf bytes.Buffer
	for format, buf := range map[string]*bytes.Buffer{report.CSV: &csvBuf, report.XLSX: &xlsxBuf, report.JSON: &jsonBuf} {
		if err := svc.Export(ctx, buf, format, cid, report.Query{Sort: "name"}); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := csv.NewReader(bytes.NewReader(csvBuf.Bytes()[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"Groups", "Attempt", "Attempt shown", "Score (%)", "Scaled score", "Raw score", "Total time (s)", "Enrolled (Europe/Paris)", "Completed (Europe/Paris)"} {
		if _, ok := col[h]; !ok {
			t.Errorf("CSV header lacks %q: %q", h, recs[0])
		}
	}
	var js []map[string]any
	if err := json.Unmarshal(jsonBuf.Bytes(), &js); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&xlsxBuf)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("Sheet1")
	if len(rows) != len(recs) || len(js) != len(recs)-1 {
		t.Fatalf("rows: xlsx %d, csv %d, json %d", len(rows), len(recs), len(js))
	}
	xcol := map[string]int{}
	for i, h := range rows[0] {
		xcol[h] = i
	}
	cell := func(row int, header string) string {
		name, _ := excelize.CoordinatesToCellName(xcol[header]+1, row+1)
		return name
	}
	shown, scored, timed := 0, 0, 0
	for i := 1; i < len(recs); i++ {
		r, j := recs[i], js[i-1]
		// The enrolment date: the same instant in every format.
		enrolled, err := time.ParseInLocation("2006-01-02 15:04", r[col["Enrolled (Europe/Paris)"]], loc)
		if err != nil {
			t.Fatalf("CSV enrolled %q: %v", r[col["Enrolled (Europe/Paris)"]], err)
		}
		if j["enrolled"] != r[col["Enrolled (Europe/Paris)"]] {
			t.Errorf("row %d: JSON enrolled %v, CSV %q", i, j["enrolled"], r[col["Enrolled (Europe/Paris)"]])
		}
		c := cell(i, "Enrolled (Europe/Paris)")
		raw, _ := f.GetCellValue("Sheet1", c, excelize.Options{RawCellValue: true})
		serial, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			t.Fatalf("XLSX enrolled %s = %q is not a number (a date)", c, raw)
		}
		got, _ := excelize.ExcelDateToTime(serial, false)
		wall := time.Date(enrolled.Year(), enrolled.Month(), enrolled.Day(), enrolled.Hour(), enrolled.Minute(), 0, 0, time.UTC)
		if d := got.Sub(wall); d < -time.Minute || d > time.Minute {
			t.Errorf("row %d: XLSX enrolled %v, CSV %v", i, got, wall)
		}
		if style, _ := f.GetCellStyle("Sheet1", c); style == 0 {
			t.Errorf("XLSX enrolled %s has no date style", c)
		} else if st, _ := f.GetStyle(style); st.CustomNumFmt == nil || *st.CustomNumFmt != "yyyy-mm-dd hh:mm" {
			t.Errorf("XLSX enrolled %s style %+v", c, st)
		}
		// Durations: seconds in CSV and JSON, a fraction of a day in XLSX.
		secs, _ := strconv.ParseFloat(r[col["Total time (s)"]], 64)
		if j["total_seconds"] != secs {
			t.Errorf("row %d: JSON total %v, CSV %v", i, j["total_seconds"], secs)
		}
		raw, _ = f.GetCellValue("Sheet1", cell(i, "Total time (h:mm:ss)"), excelize.Options{RawCellValue: true})
		if days, err := strconv.ParseFloat(raw, 64); err != nil || math.Abs(days*86400-secs) > 1 {
			t.Errorf("row %d: XLSX duration %q, CSV %v s", i, raw, secs)
		} else if secs > 0 {
			timed++
		}
		// Scores: percentage = scaled x 100, the same everywhere.
		if p := r[col["Score (%)"]]; p != "" {
			scored++
			pct, _ := strconv.ParseFloat(p, 64)
			scaled, _ := strconv.ParseFloat(r[col["Scaled score"]], 64)
			if math.Abs(pct-scaled*100) > 0.05 || j["score_percent"] != pct || j["score_scaled"] != scaled {
				t.Errorf("row %d: percent %v, scaled %v, JSON %v %v", i, pct, scaled, j["score_percent"], j["score_scaled"])
			}
			if x, _ := f.GetCellValue("Sheet1", cell(i, "Scaled score"), excelize.Options{RawCellValue: true}); x != r[col["Scaled score"]] {
				t.Errorf("row %d: XLSX scaled %q, CSV %q", i, x, r[col["Scaled score"]])
			}
		}
		if r[col["Attempt"]] != "" {
			if r[col["Attempt shown"]] == "" {
				t.Errorf("row %d shows attempt %s without saying which", i, r[col["Attempt"]])
			}
			shown++
		}
	}
	if shown == 0 || scored == 0 || timed == 0 {
		t.Errorf("the seed has %d rows with an attempt, %d with a score, %d with time: want some of each", shown, scored, timed)
	}
}
