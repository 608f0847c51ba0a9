package fitbit

import (
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// rollups converts total-calories rollup points: a rollUp window (physical
// start and end) becomes an interval, a dailyRollUp window of one civil day
// becomes that day. Rollups have no name and no source (§3.3), so the id is
// the window; a civil window longer than a day has no place in the
// vocabulary (a day, or an instant interval) and is rejected.
func (c *converter) rollups(points []rollupPoint) error {
	for i := range points {
		r := &points[i]
		where := "rollupDataPoints[" + itoa(i) + "]"
		if r.TotalCalories == nil {
			return c.errorf(where, "no totalCalories value")
		}
		m := health.Measurement{Kind: health.KindTotalEnergy, Value: r.TotalCalories.KcalSum.V}
		switch {
		case r.StartTime.Set || r.EndTime.Set:
			start, end, err := c.span(&interval{StartTime: r.StartTime, EndTime: r.EndTime}, where)
			if err != nil {
				return err
			}
			m.Start, m.End = start, end
			m.RecordID = SourceTotalCalories + "/" + utcKey(start) + "/" + utcKey(end)
		default:
			day, ok := civilDay(r.CivilStartTime, r.CivilEndTime)
			if !ok {
				return c.errorf(where, "window is neither a physical interval nor one civil day")
			}
			m.Day, m.RecordID = day, SourceTotalCalories+"/"+day
		}
		c.add(m)
	}
	return nil
}

// civilDay returns the day a civil window covers when it runs from one
// midnight to the next.
func civilDay(start, end *civilDateTime) (string, bool) {
	if start == nil || end == nil || !midnight(start) || !midnight(end) {
		return "", false
	}
	s, ok1 := civilDate(start.Date)
	e, ok2 := civilDate(end.Date)
	if !ok1 || !ok2 {
		return "", false
	}
	st, _ := time.Parse(time.DateOnly, s)
	if st.AddDate(0, 0, 1).Format(time.DateOnly) != e {
		return "", false
	}
	return s, true
}

// midnight reports whether a civil time is 00:00, which proto3 sends as
// "time": {} or leaves out.
func midnight(t *civilDateTime) bool {
	x := t.Time
	return x == nil || (x.Hours.V == 0 && x.Minutes.V == 0 && x.Seconds.V == 0 && x.Nanos.V == 0)
}
