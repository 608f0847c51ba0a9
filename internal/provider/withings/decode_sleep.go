package withings

import (
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// sleepMetric pairs a health kind with the Sleep v2 get series holding it.
type sleepMetric struct {
	kind   health.Kind
	series EpochSeries
}

// sleepSeries lists the Sleep v2 get series that ohx maps. rr is
// RESPIRATORY rate in breaths/min, never R-R intervals (the original
// service's bug D1). snoring, hrv_quality, mvt_score, chest_movement_rate,
// withings_index and breathing_sounds have no health kind and are dropped.
func sleepSeries(s *SleepSegment) []sleepMetric {
	return []sleepMetric{
		{health.KindHeartRate, s.HR},
		{health.KindRespRate, s.RR},
		{health.KindHRVSDNN, s.SDNN1},
		{health.KindHRVRMSSD, s.RMSSD},
	}
}

// sleepStates maps Sleep v2 get states to stages. States 4 (manual) and 5
// (unspecified) are sleep of unknown depth.
func sleepStates() map[int64]health.Stage {
	return map[int64]health.Stage{
		0: health.StageAwake, 1: health.StageLight, 2: health.StageDeep,
		3: health.StageREM, 4: health.StageAsleep, 5: health.StageAsleep,
		15: health.StageOutOfBed,
	}
}

// Batch converts a Sleep v2 get page into hourly series of heart rate,
// respiratory rate and HRV (record id "sleep:<hour start>", see
// addHourlySeries), in UTC since the response has no time zone. It emits no
// KindSleep measurement: the session, with its identity, comes from
// getsummary; Stages gives the stage segments to attach to it.
func (p SleepPage) Batch() (health.Batch, error) {
	c := newConverter(SourceSleepGet)
	var base health.Measurement
	samples := map[health.Kind][]sample{}
	var order []health.Kind
	for i := range p.Series {
		seg := &p.Series[i]
		if i == 0 {
			base = health.Measurement{
				Device:      deviceID(seg.DeviceID, seg.HashDeviceID),
				DeviceModel: modelName(seg.Model, seg.ModelID),
				Origin:      health.OriginDevice,
			}
		}
		for _, s := range sleepSeries(seg) {
			if len(s.series) > 0 && samples[s.kind] == nil {
				order = append(order, s.kind)
			}
			for _, x := range s.series {
				samples[s.kind] = append(samples[s.kind], sample{t: x.Time, v: x.Value})
			}
		}
	}
	for _, k := range order {
		c.addHourlySeries(k, "sleep", samples[k], time.Minute, nil, base)
	}
	return c.batch, nil
}

// Stages returns the page's sleep states as stage segments in time order,
// in UTC, skipping segments with an unknown state or no positive duration.
func (p SleepPage) Stages() []health.SleepStage {
	states := sleepStates()
	out := make([]health.SleepStage, 0, len(p.Series))
	for _, seg := range p.Series {
		st, ok := states[seg.State.V]
		if !ok || !seg.State.Set || seg.Enddate.V <= seg.Startdate.V {
			continue
		}
		out = append(out, health.SleepStage{
			Stage: st,
			Start: unixIn(seg.Startdate.V, nil),
			End:   unixIn(seg.Enddate.V, nil),
		})
	}
	return out
}

// Batch converts a getsummary page: one KindSleep measurement per night,
// record id the summary id, over [startdate, enddate) in the night's time
// zone, Day the civil date Withings assigns. Value is the time asleep in
// seconds. Fields Withings reports as -1 or omits stay unknown in
// health.Sleep. The heart-rate, respiratory-rate, snoring and apnea
// statistics of the night have no health field yet and are not mapped.
func (p SleepSummaryPage) Batch() (health.Batch, error) {
	c := newConverter(SourceSleepGetsummary)
	for i := range p.Series {
		s := &p.Series[i]
		if !s.ID.Set || !s.Startdate.Set || !s.Enddate.Set {
			return health.Batch{}, health.Errorf(health.KindBadProvider,
				"withings sleep-getsummary: series[%d]: id, startdate or enddate missing", i)
		}
		if s.Enddate.V < s.Startdate.V {
			return health.Batch{}, health.Errorf(health.KindBadProvider,
				"withings sleep-getsummary: series[%d]: enddate before startdate", i)
		}
		loc := c.zone(s.Timezone)
		if c.batch.TimeZone == "" {
			c.batch.TimeZone = zoneName(loc)
		}
		sl := summarySleep(s)
		m := health.Measurement{
			Kind:        health.KindSleep,
			RecordID:    itoa(s.ID.V),
			Start:       unixIn(s.Startdate.V, loc),
			End:         unixIn(s.Enddate.V, loc),
			Day:         strings.TrimSpace(string(s.Date)),
			TimeZone:    zoneName(loc),
			Modified:    optTime(s.Modified, loc),
			Device:      deviceID(s.DeviceID, s.HashDeviceID),
			DeviceModel: modelName("", s.ModelID),
			Origin:      health.OriginDevice,
			Sleep:       sl,
		}
		if sl.Asleep >= 0 {
			m.Value = sl.Asleep.Seconds()
		}
		c.add(m)
	}
	return c.batch, nil
}

// summarySleep reads the summary data into a health.Sleep.
func summarySleep(s *SleepSummary) *health.Sleep {
	sl := health.NewSleep()
	dur := func(names ...string) time.Duration {
		for _, n := range names {
			if v, ok := s.number(n); ok && v >= 0 && v < 1e9 {
				return time.Duration(v * float64(time.Second))
			}
		}
		return health.Unknown
	}
	sl.InBed = dur("total_timeinbed")
	sl.Awake = dur("waso")
	sl.Light = dur("lightsleepduration")
	sl.Deep = dur("deepsleepduration")
	sl.REM = dur("remsleepduration")
	sl.Latency = dur("sleep_latency", "durationtosleep")
	sl.Asleep = dur("total_sleep_time", "asleepduration")
	if sl.Asleep < 0 && sl.Light >= 0 && sl.Deep >= 0 && sl.REM >= 0 {
		sl.Asleep = sl.Light + sl.Deep + sl.REM
	}
	if v, ok := s.number("wakeupcount"); ok && v >= 0 && v < 1e6 {
		sl.Awakenings = int(v)
	}
	if v, ok := s.number("sleep_efficiency"); ok && v >= 0 && v <= 1 {
		sl.Efficiency = roundTo(v*100, 6)
	}
	if v, ok := s.number("sleep_score"); ok && v >= 0 {
		sl.Score = v
	}
	return sl
}
