package cmi

import (
	"testing"
	"time"
)

func TestParseTimespan(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"00:00:00", 0, true},
		{"0000:00:00.00", 0, true},
		{"01:02:03", time.Hour + 2*time.Minute + 3*time.Second, true},
		{"0001:02:03.5", time.Hour + 2*time.Minute + 3500*time.Millisecond, true},
		{"12:00:00.05", 12*time.Hour + 50*time.Millisecond, true},
		{"9999:59:59.99", 9999*time.Hour + 59*time.Minute + 59990*time.Millisecond, true},
		{"00:00:75", 75 * time.Second, true}, // lenient: 75 s is still 75 s
		{"1:00:00", 0, false},
		{"00:00", 0, false},
		{"PT1S", 0, false},
		{"00:00:00.123", 0, false},
		{"", 0, false},
	} {
		got, err := ParseTimespan(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseTimespan(%q) = %v, %v; want %v, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestFormatTimespan(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want string
	}{
		{0, "0000:00:00.00"},
		{-time.Second, "0000:00:00.00"},
		{90*time.Minute + 1500*time.Millisecond, "0001:30:01.50"},
		{4 * time.Millisecond, "0000:00:00.00"},
		{5 * time.Millisecond, "0000:00:00.01"}, // rounds half up
		{999 * time.Millisecond, "0000:00:01.00"},
		{10000 * time.Hour, "9999:59:59.99"}, // capped to the format
		{maxDuration, "9999:59:59.99"},
	} {
		if got := FormatTimespan(c.in); got != c.want {
			t.Errorf("FormatTimespan(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	const day = 24 * time.Hour
	for _, c := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"PT0S", 0, true},
		{"PT0H0M0S", 0, true},
		{"PT1H2M3.45S", time.Hour + 2*time.Minute + 3450*time.Millisecond, true},
		{"PT3.4S", 3400 * time.Millisecond, true},
		{"PT90M", 90 * time.Minute, true},
		{"P1D", day, true},
		{"P1M", 30 * day, true}, // month: 30 days
		{"P1Y", 365 * day, true},
		{"P1Y2M3DT4H5M6S", 365*day + 60*day + 3*day + 4*time.Hour + 5*time.Minute + 6*time.Second, true},
		{"P1MT1M", 30*day + time.Minute, true}, // M before and after T
		{"PT005H", 5 * time.Hour, true},
		{"PT99999999999999999999H", maxDuration, true}, // saturates
		{"P999999Y", maxDuration, true},
		{"PT", 0, false},
		{"P", 0, false},
		{"PT1.234S", 0, false},
		{"1:00:00", 0, false},
		{"", 0, false},
	} {
		got, err := ParseDuration(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, c := range []struct {
		in   time.Duration
		want string
	}{
		{0, "PT0H0M0S"},
		{time.Hour + 2*time.Minute + 3450*time.Millisecond, "PT1H2M3.45S"},
		{3400 * time.Millisecond, "PT0H0M3.4S"},
		{50 * time.Hour, "PT50H0M0S"},
		{10 * time.Millisecond, "PT0H0M0.01S"},
		{4 * time.Millisecond, "PT0H0M0S"},
	} {
		got := FormatDuration(c.in)
		if got != c.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", c.in, got, c.want)
		}
		// Every formatted value is a valid timeinterval that parses back to
		// the duration rounded to 1/100 s.
		back, err := ParseDuration(got)
		if err != nil || back != c.in.Round(10*time.Millisecond) {
			t.Errorf("ParseDuration(FormatDuration(%v)) = %v, %v", c.in, back, err)
		}
	}
}

func TestAddTimes(t *testing.T) {
	for _, c := range []struct {
		a, b, want string
		ok         bool
	}{
		{"PT0H0M0S", "PT10M", "PT0H10M0S", true},
		{"PT0H10M0S", "PT5M30.5S", "PT0H15M30.5S", true},
		{"PT59.99S", "PT0.01S", "PT0H1M0S", true},
		{"P1D", "PT1H", "PT25H0M0S", true},
		{"PT1S", "bad", "", false},
	} {
		got, err := AddDurations(c.a, c.b)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("AddDurations(%q, %q) = %q, %v; want %q", c.a, c.b, got, err, c.want)
		}
	}
	for _, c := range []struct {
		a, b, want string
		ok         bool
	}{
		{"0000:00:00.00", "00:10:00", "0000:10:00.00", true},
		{"0000:10:00.00", "00:05:30.5", "0000:15:30.50", true},
		{"9999:00:00", "01:00:00", "9999:59:59.99", true},
		{"00:00:00", "PT1S", "", false},
	} {
		got, err := AddTimespans(c.a, c.b)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("AddTimespans(%q, %q) = %q, %v; want %q", c.a, c.b, got, err, c.want)
		}
	}
}
