package web

import (
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/lectern/lectern/lms/chart"
	"github.com/lectern/lectern/lms/compliance"
	"github.com/lectern/lectern/lms/store"
)

// chartWeeks is how many weeks the completions chart covers.
const chartWeeks = 12

type chartsView struct {
	ByCourse, ByGroup, Weekly template.HTML
	Courses, Groups           []groupCounts
	Weeks                     []chart.Point
	Zone                      string
}

// statusSeries are the stacked bars' segments, in the order of barValues.
var statusSeries = []chart.Series{
	{Name: "Compliant", Colour: chart.Green},
	{Name: "In progress", Colour: chart.Blue},
	{Name: "To do", Colour: chart.Grey},
	{Name: "Overdue", Colour: chart.Red},
	{Name: "Expired", Colour: chart.Purple},
}

func barValues(c compliance.Counts) []int {
	return []int{c.Compliant, c.InProgress, c.ToDo, c.Overdue, c.Expired}
}

// adminCharts draws the status of enrolments per course and per group, and
// completions per week, as inline SVG.
func (s *Server) adminCharts(c echo.Context) error {
	ctx := c.Request().Context()
	if err := s.comp.Reconcile(ctx, 0); err != nil {
		return err
	}
	rows, err := s.store.Enrolments(ctx, store.EnrolmentFilter{ActiveOnly: true})
	if err != nil {
		return err
	}
	now := s.store.Now()
	var v chartsView
	if v.Courses, v.Groups, err = s.statusCounts(ctx, inUse(rows), now); err != nil {
		return err
	}
	loc := s.location()
	if loc == nil {
		loc = time.UTC
	}
	v.Zone = loc.String()
	starts := weekStarts(now, loc, chartWeeks)
	times, err := s.store.CompletionTimes(ctx, starts[0])
	if err != nil {
		return err
	}
	v.Weeks = weeklyCounts(starts, times)

	// The chart package escapes every label: its output is safe markup.
	v.ByCourse = template.HTML(chart.StackedBars{ID: "chart-courses", Title: "Enrolment status by course",
		Desc:   "For each course, how many active learners are compliant, in progress, to do, overdue and expired.",
		Series: statusSeries, Bars: chartBars(v.Courses)}.SVG())
	v.ByGroup = template.HTML(chart.StackedBars{ID: "chart-groups", Title: "Enrolment status by group",
		Desc:   "For each group, how many enrolments of its active members are compliant, in progress, to do, overdue and expired.",
		Series: statusSeries, Bars: chartBars(v.Groups)}.SVG())
	v.Weekly = template.HTML(chart.Columns{ID: "chart-weeks", Title: "Completions per week",
		Desc: fmt.Sprintf("Completions recorded in each of the last %d weeks, weeks starting on Monday (%s).", chartWeeks, v.Zone),
		Unit: "completion", Units: "completions", Colour: chart.Blue, Points: v.Weeks}.SVG())
	return s.render(c, http.StatusOK, "admin_charts", "Charts", v)
}

func chartBars(gs []groupCounts) []chart.Bar {
	out := make([]chart.Bar, len(gs))
	for i, g := range gs {
		out[i] = chart.Bar{Label: g.Name, Values: barValues(g.Counts)}
	}
	return out
}

// weekStarts returns the starts (Monday, midnight in loc) of the n weeks
// ending with the one holding now, oldest first. Dates step in loc, so a
// daylight-saving change does not shift the boundaries.
func weekStarts(now time.Time, loc *time.Location, n int) []time.Time {
	l := now.In(loc)
	back := (int(l.Weekday()) + 6) % 7 // days since Monday
	monday := time.Date(l.Year(), l.Month(), l.Day()-back, 0, 0, 0, 0, loc)
	out := make([]time.Time, n)
	for i := range out {
		out[i] = monday.AddDate(0, 0, -7*(n-1-i))
	}
	return out
}

// weeklyCounts buckets times into the weeks starting at starts.
func weeklyCounts(starts, times []time.Time) []chart.Point {
	pts := make([]chart.Point, len(starts))
	for i, st := range starts {
		pts[i].Label = st.Format("2 Jan")
	}
	for _, t := range times {
		for i := len(starts) - 1; i >= 0; i-- {
			if !t.Before(starts[i]) {
				pts[i].Value++
				break
			}
		}
	}
	return pts
}
