package fitbittest

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// point is one generated data point.
type point struct {
	name  string    // resource name, users/{id}/dataTypes/{type}/dataPoints/{n}
	order time.Time // list order key: the start, newest first
	key   time.Time // physical filter key (daily: the date at 00:00 UTC)
	civil time.Time // civil filter key: key's wall clock in the user's zone, as UTC
	wire  map[string]any
}

// gen builds one user's points of one type.
type gen struct {
	s     *Server
	u     *user
	t     typeSpec
	rng   *rand.Rand
	out   []*point
	index uint64
}

// generate makes the user's points of dataType over the history, the same
// for the same Seed, user id and history days. Types without a generator
// have no points.
func (s *Server) generate(u *user, dataType string) []*point {
	t, ok := catalog[dataType]
	if !ok {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte(dataType))
	g := &gen{s: s, u: u, t: t, rng: rand.New(rand.NewPCG(s.cfg.Seed^u.hash, h.Sum64()))}
	for d := s.cfg.HistoryDays; d >= 1; d-- {
		day := s.histEnd.AddDate(0, 0, -d) // a civil date, as 00:00 UTC
		local := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, u.Location)
		g.day(d, day, local)
	}
	now := s.cfg.Now()
	kept := g.out[:0]
	for _, p := range g.out {
		if p.order.Before(now) {
			kept = append(kept, p)
		}
	}
	return kept
}

// tracker is the data source of wrist data.
func tracker(method string) map[string]any {
	return map[string]any{"recordingMethod": method, "device": map[string]any{"displayName": "Charge 6"}, "platform": "FITBIT"}
}

// day generates the points of one civil day; d counts down to 1 (the day
// before the history ends).
func (g *gen) day(d int, day, local time.Time) {
	r := g.rng
	switch g.t.id {
	case "heart-rate":
		for m := 0; m < 24*60; m += 10 {
			at := local.Add(time.Duration(m) * time.Minute)
			bpm := 52 + r.IntN(20)
			if h := at.Hour(); h >= 8 && h < 21 {
				bpm += 10 + r.IntN(40)
			}
			g.sample(at, tracker("PASSIVELY_MEASURED"), map[string]any{"beatsPerMinute": strconv.Itoa(bpm)})
		}
	case "steps":
		for m := 7 * 60; m < 22*60; m += 15 {
			at := local.Add(time.Duration(m) * time.Minute)
			v := map[string]any{}
			if n := r.IntN(1200); n >= 100 { // a true zero omits count (§3.8)
				v["count"] = strconv.Itoa(n)
			}
			g.interval(at, at.Add(15*time.Minute), tracker("PASSIVELY_MEASURED"), v)
		}
	case "weight":
		if d%3 == 0 {
			at := local.Add(7*time.Hour + 15*time.Minute + time.Duration(r.IntN(1800))*time.Second)
			g.sample(at, map[string]any{"recordingMethod": "MANUAL", "platform": "FITBIT"},
				map[string]any{"weightGrams": float64(72000 + 100*r.IntN(30))})
		}
	case "body-fat":
		if d%3 == 0 {
			at := local.Add(7*time.Hour + 16*time.Minute)
			g.sample(at, map[string]any{"recordingMethod": "MANUAL", "platform": "FITBIT"},
				map[string]any{"percentage": round1(20 + 5*r.Float64())})
		}
	case "oxygen-saturation":
		for _, h := range []int{2, 3, 4, 5} {
			g.sample(local.Add(time.Duration(h)*time.Hour), tracker("PASSIVELY_MEASURED"),
				map[string]any{"percentage": round1(94 + 5*r.Float64())})
		}
	case "daily-oxygen-saturation":
		avg := round1(95 + 2*r.Float64())
		g.daily(day, map[string]any{"averagePercentage": avg, "lowerBoundPercentage": round1(avg - 2),
			"upperBoundPercentage": round1(avg + 2), "standardDeviationPercentage": 0.6})
	case "daily-resting-heart-rate":
		g.daily(day, map[string]any{"beatsPerMinute": strconv.Itoa(50 + r.IntN(15)),
			"dailyRestingHeartRateMetadata": map[string]any{"calculationMethod": "WITH_SLEEP"}})
	case "daily-heart-rate-variability":
		g.daily(day, map[string]any{
			"averageHeartRateVariabilityMilliseconds":                    round1(40 + 50*r.Float64()),
			"deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds": round1(30 + 40*r.Float64()),
			"nonRemHeartRateBeatsPerMinute":                              strconv.Itoa(50 + r.IntN(15)),
			"entropy":                                                    round1(1.5 + r.Float64()),
		})
	case "sleep":
		g.sleep(local)
	case "electrocardiogram":
		if d%7 == 0 {
			g.ecg(local.Add(12*time.Hour + time.Duration(r.IntN(3600))*time.Second))
		}
	}
}

func round1(f float64) float64 { return math.Round(f*10) / 10 }

// add records a point with the union value v under the type's key.
func (g *gen) add(order, key time.Time, civil time.Time, source, v map[string]any) {
	g.index++
	name := fmt.Sprintf("users/%s/dataTypes/%s/dataPoints/%d", g.u.ID, g.t.id, g.u.hash^(g.index*0x9E3779B97F4A7C15)>>1)
	wire := map[string]any{g.t.camel: v}
	if g.t.named {
		wire["name"] = name
	}
	if source != nil {
		wire["dataSource"] = source
	}
	g.out = append(g.out, &point{name: name, order: order, key: key, civil: civil, wire: wire})
}

func (g *gen) sample(at time.Time, source, v map[string]any) {
	v["sampleTime"] = map[string]any{"physicalTime": rfc3339(at), "utcOffset": offset(at), "civilTime": civilJSON(at)}
	g.add(at, at, naive(at), source, v)
}

func (g *gen) interval(start, end time.Time, source, v map[string]any) {
	v["interval"] = map[string]any{
		"startTime": rfc3339(start), "startUtcOffset": offset(start),
		"endTime": rfc3339(end), "endUtcOffset": offset(end),
		"civilStartTime": civilJSON(start), "civilEndTime": civilJSON(end),
	}
	g.add(start, start, naive(start), source, v)
}

func (g *gen) daily(day time.Time, v map[string]any) {
	v["date"] = dateJSON(day)
	g.add(day, day, day, tracker("DERIVED"), v)
}

// sleep generates the night ending on the morning of local's day.
func (g *gen) sleep(local time.Time) {
	r := g.rng
	start := local.Add(-90*time.Minute + time.Duration(r.IntN(60))*time.Minute)
	var stages []any
	minutes := map[string]int{}
	counts := map[string]int{}
	at := start
	kinds := []string{"LIGHT", "DEEP", "LIGHT", "REM", "AWAKE"}
	end := start.Add(time.Duration(390+r.IntN(120)) * time.Minute)
	for i := 0; at.Before(end); i++ {
		typ := kinds[i%len(kinds)]
		if i == 0 {
			typ = "AWAKE"
		}
		n := 5 + r.IntN(50)
		if typ == "AWAKE" {
			n = 2 + r.IntN(8)
		}
		next := at.Add(time.Duration(n) * time.Minute)
		if next.After(end) {
			next = end
		}
		upd := rfc3339(end.Add(10 * time.Minute))
		stages = append(stages, map[string]any{"startTime": rfc3339(at), "startUtcOffset": offset(at),
			"endTime": rfc3339(next), "endUtcOffset": offset(next), "type": typ, "createTime": upd, "updateTime": upd})
		minutes[typ] += int(next.Sub(at) / time.Minute)
		counts[typ]++
		at = next
	}
	var summary []any
	for _, typ := range []string{"AWAKE", "LIGHT", "DEEP", "REM"} {
		summary = append(summary, map[string]any{"type": typ, "minutes": strconv.Itoa(minutes[typ]), "count": strconv.Itoa(counts[typ])})
	}
	total := int(end.Sub(start) / time.Minute)
	v := map[string]any{
		"interval": map[string]any{"startTime": rfc3339(start), "startUtcOffset": offset(start),
			"endTime": rfc3339(end), "endUtcOffset": offset(end)},
		"type":     "STAGES",
		"stages":   stages,
		"metadata": map[string]any{"stagesStatus": "SUCCEEDED", "processed": true, "mainSleep": true},
		"summary": map[string]any{
			"minutesInSleepPeriod": strconv.Itoa(total), "minutesAfterWakeUp": "0", "minutesToFallAsleep": "0",
			"minutesAsleep": strconv.Itoa(total - minutes["AWAKE"]), "minutesAwake": strconv.Itoa(minutes["AWAKE"]),
			"stagesSummary": summary,
		},
		"createTime": rfc3339(end.Add(10 * time.Minute)),
		"updateTime": rfc3339(end.Add(10 * time.Minute)),
	}
	// Sleep is ordered by start but filtered on its end (the wake-up).
	g.add(start, end, naive(end), tracker("DERIVED"), v)
}

// ecg generates a 30 s lead-I reading at 250 Hz.
func (g *gen) ecg(at time.Time) {
	r := g.rng
	samples := make([]int, 7500)
	for i := range samples {
		phase := float64(i%214) / 214 // ~70 bpm
		samples[i] = int(1000*math.Exp(-math.Pow((phase-0.3)*30, 2))) + r.IntN(40) - 20
	}
	v := map[string]any{
		"interval": map[string]any{"startTime": rfc3339(at), "startUtcOffset": offset(at),
			"endTime": rfc3339(at), "endUtcOffset": offset(at)},
		"beatsPerMinuteAvg":       strconv.Itoa(65 + r.IntN(10)),
		"leadNumber":              1,
		"resultClassification":    "NORMAL_SINUS_RHYTHM",
		"samplingFrequencyHertz":  250,
		"millivoltsScalingFactor": 10922,
		"waveformSamples":         samples,
		"medicalDeviceInfo":       map[string]any{"deviceModel": "Pixel Watch 4", "firmwareVersion": "BP1A.250405.007", "featureVersion": "1.2.3"},
	}
	g.add(at, at, naive(at), map[string]any{"recordingMethod": "ACTIVELY_MEASURED",
		"device": map[string]any{"displayName": "Pixel Watch 4", "formFactor": "WATCH"}, "platform": "FITBIT"}, v)
}

// rfc3339 is a physical time as the API writes it: UTC with Z.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// offset is the UTC offset of t in its zone as a Duration string.
func offset(t time.Time) string {
	_, off := t.Zone()
	return strconv.Itoa(off) + "s"
}

// naive returns t's wall clock as the same clock reading in UTC, for civil
// comparisons.
func naive(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// dateJSON is a google.type.Date.
func dateJSON(t time.Time) map[string]any {
	return map[string]any{"year": t.Year(), "month": int(t.Month()), "day": t.Day()}
}

// civilJSON is a CivilDateTime with proto3 zero omission in time.
func civilJSON(t time.Time) map[string]any {
	tm := map[string]any{}
	for k, v := range map[string]int{"hours": t.Hour(), "minutes": t.Minute(), "seconds": t.Second()} {
		if v != 0 {
			tm[k] = v
		}
	}
	return map[string]any{"date": dateJSON(t), "time": tm}
}
