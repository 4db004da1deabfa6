package cmi

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Time values in both versions have a resolution of 1/100 s.

const maxDuration = time.Duration(math.MaxInt64)

var (
	timespanRe = regexp.MustCompile(reTimespan)
	durationRe = regexp.MustCompile(reDuration)
)

// ParseTimespan parses a SCORM 1.2 CMITimespan, HHHH:MM:SS.SS (hours 2-4
// digits, optional 1-2 decimals of a second).
func ParseTimespan(s string) (time.Duration, error) {
	if !timespanRe.MatchString(s) {
		return 0, fmt.Errorf("cmi: %q is not a CMITimespan (HHHH:MM:SS.SS)", s)
	}
	h, rest, _ := strings.Cut(s, ":")
	m, sec, _ := strings.Cut(rest, ":")
	d := time.Duration(mustAtoi(h))*time.Hour + time.Duration(mustAtoi(m))*time.Minute
	return d + parseSeconds(sec), nil
}

// FormatTimespan formats a duration as a CMITimespan, HHHH:MM:SS.SS,
// rounded to 1/100 s. Durations beyond the format's 9999:59:59.99 are
// capped there.
func FormatTimespan(d time.Duration) string {
	cs := centis(d)
	const maxCS = ((9999*60+59)*60+59)*100 + 99
	cs = min(cs, maxCS)
	return fmt.Sprintf("%04d:%02d:%02d.%02d", cs/360000, cs/6000%60, cs/100%60, cs%100)
}

// ParseDuration parses a SCORM 2004 timeinterval (ISO 8601 duration,
// P[yY][mM][dD][T[hH][nM][s[.s]S]]). Calendar units have no fixed length;
// like the ADL sample RTE this counts a year as 365 days and a month as 30
// days. Values too large for time.Duration saturate at its maximum.
func ParseDuration(s string) (time.Duration, error) {
	if !durationRe.MatchString(s) {
		return 0, fmt.Errorf("cmi: %q is not a timeinterval (ISO 8601 duration, e.g. PT1H2M3.45S)", s)
	}
	const day = 24 * time.Hour
	var total time.Duration
	inTime := false
	num := 1 // start of the current number, after the P
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 'T':
			inTime = true
			num = i + 1
			continue
		case c >= '0' && c <= '9' || c == '.':
			continue
		}
		digits := s[num:i]
		num = i + 1
		var d time.Duration
		switch {
		case c == 'S':
			d = parseSeconds(digits)
		case c == 'Y':
			d = mul(digits, 365*day)
		case c == 'M' && !inTime:
			d = mul(digits, 30*day)
		case c == 'D':
			d = mul(digits, day)
		case c == 'H':
			d = mul(digits, time.Hour)
		case c == 'M':
			d = mul(digits, time.Minute)
		}
		total = addDurations(total, d)
	}
	return total, nil
}

// FormatDuration formats a duration as a timeinterval with hours, minutes
// and seconds (PT1H2M3.45S), rounded to 1/100 s; zero is "PT0H0M0S".
func FormatDuration(d time.Duration) string {
	cs := centis(d)
	secs := strconv.FormatInt(cs/100%60, 10)
	if f := cs % 100; f != 0 {
		secs += strings.TrimRight(fmt.Sprintf(".%02d", f), "0")
	}
	return fmt.Sprintf("PT%dH%dM%sS", cs/360000, cs/6000%60, secs)
}

// centis rounds a non-negative duration to hundredths of a second.
func centis(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	const cs = int64(10 * time.Millisecond)
	n := int64(d)
	return n/cs + (n%cs*2)/cs // round half up without overflow
}

// parseSeconds parses "SS" or "SS.s" / "SS.ss" (the regexes allow at most
// two decimals) as a duration.
func parseSeconds(s string) time.Duration {
	whole, frac, _ := strings.Cut(s, ".")
	d := mul(whole, time.Second)
	if frac != "" {
		if len(frac) == 1 {
			frac += "0"
		}
		d = addDurations(d, time.Duration(mustAtoi(frac))*10*time.Millisecond)
	}
	return d
}

// mul returns digits × unit, saturating on overflow.
func mul(digits string, unit time.Duration) time.Duration {
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n > int64(maxDuration/unit) {
		return maxDuration
	}
	return time.Duration(n) * unit
}

func mustAtoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// AddTimespans adds two CMITimespans (SCORM 1.2 total_time + session_time).
func AddTimespans(a, b string) (string, error) {
	x, err := ParseTimespan(a)
	if err != nil {
		return "", err
	}
	y, err := ParseTimespan(b)
	if err != nil {
		return "", err
	}
	return FormatTimespan(addDurations(x, y)), nil
}

// AddDurations adds two timeintervals (SCORM 2004 total_time + session_time).
func AddDurations(a, b string) (string, error) {
	x, err := ParseDuration(a)
	if err != nil {
		return "", err
	}
	y, err := ParseDuration(b)
	if err != nil {
		return "", err
	}
	return FormatDuration(addDurations(x, y)), nil
}
