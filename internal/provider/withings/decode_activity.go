package withings

import (
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// activityValue pairs a health kind with the wire field that holds it.
type activityValue struct {
	kind health.Kind
	v    FlexFloat
}

// dailyValues lists the daily totals of an activity item that ohx maps.
// Withings "elevation" counts floors climbed. The intensity durations
// (soft, moderate, intense, active) and the heart-rate statistics and zones
// have no health kind yet and are not mapped.
func dailyValues(a *Activity) []activityValue {
	return []activityValue{
		{health.KindStepsDaily, a.Steps},
		{health.KindDistance, a.Distance},
		{health.KindFloors, a.Elevation},
		{health.KindActiveEnergy, a.Calories},
		{health.KindTotalEnergy, a.TotalCalories},
	}
}

// Batch converts a getactivity page: one measurement per reported total and
// local day. The record id is the civil date ("2023-10-20"); the period is
// the user's local day [00:00, next 00:00) in the item's time zone, or,
// when the zone is missing or unknown, Day alone with Start and End zero.
// Fields Withings did not send are skipped; zero is kept as a value.
func (p ActivityPage) Batch() (health.Batch, error) {
	c := newConverter(SourceGetactivity)
	for i := range p.Activities {
		if err := c.activity(&p.Activities[i], i); err != nil {
			return health.Batch{}, err
		}
	}
	return c.batch, nil
}

// activity converts item i of a getactivity page.
func (c *converter) activity(a *Activity, i int) error {
	date := strings.TrimSpace(string(a.Date))
	day, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return health.Errorf(health.KindBadProvider,
			"withings getactivity: activities[%d]: date missing or not YYYY-MM-DD", i)
	}
	loc := c.zone(a.Timezone)
	if c.batch.TimeZone == "" {
		c.batch.TimeZone = zoneName(loc)
	}
	base := health.Measurement{
		RecordID:    date,
		Day:         date,
		TimeZone:    zoneName(loc),
		Modified:    optTime(a.Modified, loc),
		Device:      deviceID(a.DeviceID, a.HashDeviceID),
		DeviceModel: modelName(a.Model, a.ModelID),
		Origin:      health.OriginDevice,
	}
	if loc != nil {
		base.Start = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
		base.End = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc)
	}
	for _, f := range dailyValues(a) {
		if f.v.Set {
			m := base
			m.Kind, m.Value = f.kind, f.v.V
			c.add(m)
		}
	}
	return nil
}

// intervalValues lists the per-interval totals of an intraday entry; each
// becomes one measurement over [Time, Time+Duration).
func intervalValues(e *IntradayEntry) []activityValue {
	return []activityValue{
		{health.KindSteps, e.Steps},
		{health.KindDistance, e.Distance},
		{health.KindFloors, e.Elevation},
		{health.KindActiveEnergy, e.Calories},
	}
}

// sampledValues lists the intraday fields that are samples of a continuous
// signal; they become hourly series. rr is respiratory rate (breaths/min),
// never R-R intervals; rmssd and sdnn1 stay apart.
func sampledValues(e *IntradayEntry) []activityValue {
	return []activityValue{
		{health.KindHeartRate, e.HeartRate},
		{health.KindSpO2, e.SpO2Auto},
		{health.KindRespRate, e.RR},
		{health.KindHRVRMSSD, e.RMSSD},
		{health.KindHRVSDNN, e.SDNN1},
		{health.KindBodyTemp, e.CoreBodyTemperature},
	}
}

// Batch converts a getintradayactivity page. Interval totals (steps,
// distance, floors, active energy) become one measurement per entry with
// record id "intraday:<start unix seconds>", and only when the entry has a
// positive duration. Sampled signals (heart rate, SpO2, respiratory rate,
// HRV, core temperature) become hourly series with record id
// "intraday:<hour start>" (see addHourlySeries). Intraday data carries no
// time zone, so times are UTC.
func (p IntradayPage) Batch() (health.Batch, error) {
	c := newConverter(SourceGetintradayactivity)
	sampled := map[health.Kind][]sample{}
	var order []health.Kind
	var base health.Measurement
	for i := range p.Series {
		e := &p.Series[i]
		m := health.Measurement{
			RecordID:    "intraday:" + itoa(e.Time),
			Start:       unixIn(e.Time, nil),
			Device:      string(e.DeviceID),
			DeviceModel: modelName(e.Model, e.ModelID),
			Origin:      health.OriginDevice,
		}
		if i == 0 {
			base = m
		}
		if e.Duration.Set && e.Duration.V > 0 && e.Duration.V <= 86400 {
			m.End = m.Start.Add(time.Duration(e.Duration.V * float64(time.Second)))
			for _, f := range intervalValues(e) {
				if f.v.Set {
					mm := m
					mm.Kind, mm.Value = f.kind, f.v.V
					c.add(mm)
				}
			}
		}
		for _, f := range sampledValues(e) {
			if f.v.Set {
				if sampled[f.kind] == nil {
					order = append(order, f.kind)
				}
				sampled[f.kind] = append(sampled[f.kind], sample{t: e.Time, v: f.v.V})
			}
		}
	}
	base.Start, base.RecordID = time.Time{}, ""
	for _, k := range order {
		c.addHourlySeries(k, "intraday", sampled[k], time.Minute, nil, base)
	}
	return c.batch, nil
}
