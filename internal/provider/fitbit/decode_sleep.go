package fitbit

import (
	"slices"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

const sourceSleep = "sleep"

// sleepStages maps Google's stage types (§4.1: STAGES sleep uses AWAKE,
// LIGHT, DEEP, REM; CLASSIC sleep AWAKE, RESTLESS, ASLEEP).
func sleepStages() map[string]health.Stage {
	return map[string]health.Stage{
		"AWAKE": health.StageAwake, "LIGHT": health.StageLight, "DEEP": health.StageDeep,
		"REM": health.StageREM, "ASLEEP": health.StageAsleep, "RESTLESS": health.StageRestless,
	}
}

// maxMinutes bounds summary minutes so that a duration cannot overflow;
// 10^8 minutes is about 190 years.
const maxMinutes = 100_000_000

// sleep converts point i of a sleep list. The session is identified by its
// name (sleep is identifiable, §4.1). Only what the API reports is set:
// there is no efficiency, score or awakenings count in the Google Health
// API (§4.1, §10.13), so those stay unknown; stage minutes come from the
// stage summary, deduplicated by type because reconcile repeats entries
// (§3.3, §10.6). A session with processed=false is converted as it is and
// is rewritten under the same name once its stages are computed.
func (c *converter) sleep(i int, p *dataPoint) error {
	x := p.Sleep
	if x == nil {
		return c.errorf(at(i), "no sleep value")
	}
	where := at(i) + ".sleep"
	start, end, err := c.span(x.Interval, where+".interval")
	if err != nil {
		return err
	}
	name := pointName(p)
	if name == "" {
		return c.errorf(at(i), "name missing")
	}
	s := health.NewSleep()
	s.InBed = end.Sub(start)
	if err := c.sleepSummary(where+".summary", x.Summary, s); err != nil {
		return err
	}
	stages, asleep, err := c.stages(where, x.Stages)
	if err != nil {
		return err
	}
	s.Stages = stages
	value := asleep.Seconds()
	if s.Asleep >= 0 {
		value = s.Asleep.Seconds()
	}
	m := health.Measurement{
		Kind: health.KindSleep, RecordID: name, Start: start, End: end,
		Value: value, Sleep: s, Modified: x.UpdateTime.V,
	}
	attribute(&m, p)
	c.add(m)
	return nil
}

// minutes converts a summary field to a duration, or Unknown when absent.
func (c *converter) minutes(where string, n Int64) (time.Duration, error) {
	if !n.Set {
		return health.Unknown, nil
	}
	if n.V < 0 || n.V > maxMinutes {
		return 0, c.errorf(where, "out of range")
	}
	return time.Duration(n.V) * time.Minute, nil
}

// sleepSummary fills the totals and per-stage minutes of s from sum. The
// live API sends zero totals explicitly ("minutesToFallAsleep": "0", §8.6),
// so an absent total stays unknown; a stage entry without minutes is a
// proto3 zero, since the entry itself says the stage was scored.
func (c *converter) sleepSummary(where string, sum *sleepSummary, s *health.Sleep) error {
	if sum == nil {
		return nil
	}
	for _, f := range []struct {
		name string
		n    Int64
		dst  *time.Duration
	}{
		{"minutesAsleep", sum.MinutesAsleep, &s.Asleep},
		{"minutesAwake", sum.MinutesAwake, &s.Awake},
		{"minutesToFallAsleep", sum.MinutesToFallAsleep, &s.Latency},
	} {
		d, err := c.minutes(where+"."+f.name, f.n)
		if err != nil {
			return err
		}
		*f.dst = d
	}
	byType := map[string]bool{}
	for k, st := range sum.StagesSummary {
		typ := strings.ToUpper(string(st.Type))
		if byType[typ] {
			continue // reconcile lists every stage twice
		}
		byType[typ] = true
		var dst *time.Duration
		switch typ {
		case "LIGHT":
			dst = &s.Light
		case "DEEP":
			dst = &s.Deep
		case "REM":
			dst = &s.REM
		default:
			continue
		}
		m := st.Minutes
		m.Set = true
		d, err := c.minutes(where+".stagesSummary["+itoa(k)+"].minutes", m)
		if err != nil {
			return err
		}
		*dst = d
	}
	return nil
}

// stages converts the stage segments in time order and returns the time
// spent in asleep stages (used as the session's value when the summary
// gives no total). Stages of unknown type are left out.
func (c *converter) stages(where string, in []sleepStage) ([]health.SleepStage, time.Duration, error) {
	if len(in) == 0 {
		return nil, 0, nil
	}
	types := sleepStages()
	out := make([]health.SleepStage, 0, len(in))
	var asleep time.Duration
	for k := range in {
		st := &in[k]
		w := where + ".stages[" + itoa(k) + "]"
		iv := interval{StartTime: st.StartTime, StartUTCOffset: st.StartUTCOffset, EndTime: st.EndTime, EndUTCOffset: st.EndUTCOffset}
		start, end, err := c.span(&iv, w)
		if err != nil {
			return nil, 0, err
		}
		stage, ok := types[strings.ToUpper(string(st.Type))]
		if !ok {
			continue
		}
		if stage != health.StageAwake && stage != health.StageRestless {
			asleep += end.Sub(start)
		}
		out = append(out, health.SleepStage{Stage: stage, Start: start, End: end})
	}
	slices.SortStableFunc(out, func(a, b health.SleepStage) int { return a.Start.Compare(b.Start) })
	return out, asleep, nil
}
