package fitbit

import (
	"strings"
	"time"
)

// filterShape is how a data type can be filtered by time (§3.5).
type filterShape int

const (
	filterNone     filterShape = iota // no list (total-calories) or not known
	filterSample                      // {t}.sample_time.physical_time
	filterInterval                    // {t}.interval.start_time
	filterDaily                       // {t}.date, civil dates
	filterSleepEnd                    // sleep.interval.end_time: the wake-up time
	filterECGStart                    // electrocardiogram.interval.start_time >= only
)

// filterShapes maps the data types ohx reads to their filter member.
func filterShapes() map[string]filterShape {
	return map[string]filterShape{
		"heart-rate": filterSample, "heart-rate-variability": filterSample, "weight": filterSample,
		"body-fat": filterSample, "height": filterSample, "oxygen-saturation": filterSample,
		"respiratory-rate-sleep-summary": filterSample, "core-body-temperature": filterSample,
		"vo2-max": filterSample, "run-vo2-max": filterSample,
		"steps": filterInterval, "distance": filterInterval, "floors": filterInterval,
		"altitude": filterInterval, "active-energy-burned": filterInterval,
		"daily-resting-heart-rate": filterDaily, "daily-heart-rate-variability": filterDaily,
		"daily-oxygen-saturation": filterDaily, "daily-respiratory-rate": filterDaily,
		"daily-sleep-temperature-derivations": filterDaily, "daily-vo2-max": filterDaily,
		sourceSleep: filterSleepEnd, sourceECG: filterECGStart,
	}
}

// WindowFilter returns the list filter selecting dataType's points in the
// window [start, end), in the exact syntax of §3.5: physical RFC 3339 UTC
// bounds on sampleTime for sample types, on the interval start for interval
// types and on the interval end (wake-up time) for sleep; civil dates for
// daily types, taken in the location of start and end, covering every day
// the window touches; and only a lower bound for electrocardiogram, which
// accepts no upper bound, so the caller drops readings at or after end
// itself. It returns "" for a data type that cannot be listed or filtered
// (total-calories, unknown types): never list those without a filter, since
// an unfiltered list walks the user's whole history.
func WindowFilter(dataType string, start, end time.Time) string {
	shape := filterShapes()[dataType]
	prefix := strings.ReplaceAll(dataType, "-", "_")
	s, e := physical(start, false), physical(end, true)
	switch shape {
	case filterSample:
		return between(prefix+".sample_time.physical_time", s, e)
	case filterInterval:
		return between(prefix+".interval.start_time", s, e)
	case filterSleepEnd:
		return between(prefix+".interval.end_time", s, e)
	case filterECGStart:
		return prefix + `.interval.start_time >= "` + s + `"`
	case filterDaily:
		last := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, end.Location())
		if !last.Equal(end) {
			last = last.AddDate(0, 0, 1)
		}
		return between(prefix+".date", start.Format(time.DateOnly), last.Format(time.DateOnly))
	default:
		return ""
	}
}

func between(member, lo, hi string) string {
	return member + ` >= "` + lo + `" AND ` + member + ` < "` + hi + `"`
}

// physical formats t as RFC 3339 UTC with Z, whole seconds: a start is
// rounded down and an end up, so the window never shrinks.
func physical(t time.Time, roundUp bool) string {
	u := t.UTC()
	if tr := u.Truncate(time.Second); roundUp && !tr.Equal(u) {
		u = tr.Add(time.Second)
	} else {
		u = tr
	}
	return u.Format("2006-01-02T15:04:05Z")
}
