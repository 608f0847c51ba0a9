package withings

import (
	"cmp"
	"slices"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// sample is one timed value of a sparse Withings series.
type sample struct {
	t int64 // unix seconds
	v float64
}

// hourSeconds is the width of the buckets series are cut into.
const hourSeconds = 3600

// addHourlySeries adds one health.Series measurement of kind per clock hour
// (UTC, which is whole hours in every zone Withings uses for these
// series) that has samples. The record id is "<prefix>:<hour start in unix
// seconds>", so it depends only on which hour the samples fall in, not on
// the window the client asked for: re-fetching an hour replaces its series.
// Clients should therefore request whole hours (Withings returns at most
// the 24 h after startdate for intraday activity and sleep series).
func (c *converter) addHourlySeries(kind health.Kind, prefix string, samples []sample, nominal time.Duration, loc *time.Location, base health.Measurement) {
	slices.SortStableFunc(samples, func(a, b sample) int { return cmp.Compare(a.t, b.t) })
	samples = slices.CompactFunc(samples, func(a, b sample) bool { return a.t == b.t })
	for len(samples) > 0 {
		hour := floorHour(samples[0].t)
		n := 1
		for n < len(samples) && floorHour(samples[n].t) == hour {
			n++
		}
		m := base
		m.Kind = kind
		m.RecordID = prefix + ":" + itoa(hour)
		m.Series = hourSeries(samples[:n], int64(nominal/time.Second), loc)
		m.Start = m.Series.Start
		m.End = m.Series.At(len(m.Series.Values))
		c.add(m)
		samples = samples[n:]
	}
}

// hourSeries lays out the sorted samples of one hour as a regular series
// starting at the first sample. The interval is the greatest common divisor
// of the gaps and the nominal interval (60 s for the per-minute data
// Withings sends), so a missing minute becomes a NaN gap. When runs of
// samples are out of phase with each other (a sleep segment restarting
// mid-minute), that divisor would spread the hour over mostly empty
// sub-minute slots; the samples are then placed on the nominal grid
// instead, each moved by at most half an interval.
func hourSeries(samples []sample, nominal int64, loc *time.Location) *health.Series {
	if nominal <= 0 {
		nominal = 60
	}
	first, span := samples[0].t, samples[len(samples)-1].t-samples[0].t
	g := int64(0)
	for _, s := range samples[1:] {
		g = gcd(g, s.t-first)
	}
	step := nominal
	if g > 0 {
		step = gcd(g, nominal)
	}
	if step < nominal && span/step+1 > 2*int64(len(samples)) {
		step = nominal
	}
	values := make([]float64, (span+step/2)/step+1)
	for i := range values {
		values[i] = health.Gap()
	}
	for _, s := range samples {
		if i := (s.t - first + step/2) / step; health.IsGap(values[i]) {
			values[i] = s.v
		}
	}
	return &health.Series{Start: unixIn(first, loc), Interval: time.Duration(step) * time.Second, Values: values}
}

// floorHour returns the start of the clock hour containing t.
func floorHour(t int64) int64 {
	h := t - t%hourSeconds
	if h > t {
		h -= hourSeconds
	}
	return h
}

// gcd returns the greatest common divisor of a and b (both >= 0).
func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
