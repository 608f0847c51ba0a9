package withingstest

import (
	"math"
	"strconv"
	"time"
)

// sleepGet is Sleep v2 Get: the state segments that start in the first
// 24 h of the range, with the hr, rr and snoring series asked for. In this
// endpoint "model" is a string.
func (s *Server) sleepGet(req apiRequest) reply {
	u := s.user(req.userID)
	sp, okSpan := readSpan(req.form)
	if !okSpan || !sp.lastUpdate.IsZero() || req.form.Get("startdate") == "" {
		return invalidParams("sleep get dates")
	}
	sp.to = earliest(sp.to, sp.from.Add(24*time.Hour))
	keep := fieldFilter(req.form)
	if req.form.Get("data_fields") == "" {
		keep = func(string) bool { return false }
	}
	sensor := modelOf("sleep")
	var series []map[string]any
	for _, nt := range s.nightsOf(u, dayNumber(sp.from, u.Location), dayNumber(sp.to, u.Location)+1) {
		for _, sg := range nt.segments {
			if sg.start.Before(sp.from) || sg.start.After(sp.to) {
				continue
			}
			item := map[string]any{
				"startdate": sg.start.Unix(), "enddate": sg.end.Unix(), "state": sg.state,
				"model": sensor.model, "model_id": sensor.modelID, "hash_deviceid": u.devices["sleep"],
			}
			for name, values := range map[string][]int{"hr": sg.hr, "rr": sg.rr, "snoring": sg.snoring} {
				if keep(name) {
					item[name] = minuteSeries(sg.start, values)
				}
			}
			series = append(series, item)
		}
	}
	return ok(map[string]any{"series": orEmpty(series)})
}

// minuteSeries keys per-minute values by their epoch second.
func minuteSeries(start time.Time, values []int) map[string]int {
	out := make(map[string]int, len(values))
	for i, v := range values {
		out[strconv.FormatInt(start.Add(time.Duration(i)*time.Minute).Unix(), 10)] = v
	}
	return out
}

// sleepSummary is Sleep v2 Getsummary: one item per night, dated by the
// local day the user woke up; here "model" is an integer (32, sleep
// monitor).
func (s *Server) sleepSummary(req apiRequest) reply {
	u := s.user(req.userID)
	from, to, last, okSpan := s.daySpan(u, req.form)
	if !okSpan {
		return invalidParams("getsummary dates")
	}
	keep := fieldFilter(req.form)
	var items []map[string]any
	for _, nt := range s.nightsOf(u, from, to) {
		created := nt.created
		if created.After(s.cfg.Now()) || (!last.IsZero() && !created.After(last)) {
			continue
		}
		data := map[string]any{}
		for k, v := range summaryData(nt) {
			if keep(k) {
				data[k] = v
			}
		}
		items = append(items, map[string]any{
			"id": 3_000_000_000 + nt.end.Unix()/60, "timezone": u.Location.String(), "model": 32,
			"model_id": modelOf("sleep").modelID, "hash_deviceid": u.devices["sleep"],
			"startdate": nt.start.Unix(), "enddate": nt.end.Unix(), "date": nt.end.In(u.Location).Format("2006-01-02"),
			"data": data, "created": created.Unix(), "modified": created.Unix(), "completed": true,
		})
	}
	page, more, next, okOff := paginate(s, items, req.form)
	if !okOff {
		return invalidParams("offset")
	}
	return ok(map[string]any{"series": orEmpty(page), "more": more, "offset": next})
}

// summaryData computes the night's summary from its segments.
func summaryData(nt night) map[string]any {
	dur := map[int]int{}
	var hr, rr []int
	snoring, snoreEpisodes, wakeups, rem := 0, 0, 0, 0
	for i, sg := range nt.segments {
		secs := int(sg.end.Sub(sg.start).Seconds())
		dur[sg.state] += secs
		if sg.state == 0 && i > 0 && i < len(nt.segments)-1 {
			wakeups++
		}
		if sg.state == 3 {
			rem++
		}
		hr, rr = append(hr, sg.hr...), append(rr, sg.rr...)
		for j, v := range sg.snoring {
			snoring += 60 * v
			if v == 1 && (j == 0 || sg.snoring[j-1] == 0) {
				snoreEpisodes++
			}
		}
	}
	inBed := int(nt.end.Sub(nt.start).Seconds())
	asleep := dur[1] + dur[2] + dur[3]
	first, lastSeg := nt.segments[0], nt.segments[len(nt.segments)-1]
	latency, wakeLatency := int(first.end.Sub(first.start).Seconds()), int(lastSeg.end.Sub(lastSeg.start).Seconds())
	hrAvg, hrMin, hrMax := stats(hr)
	rrAvg, rrMin, rrMax := stats(rr)
	efficiency := math.Round(float64(asleep)/float64(inBed)*100) / 100
	return map[string]any{
		"total_timeinbed": inBed, "total_sleep_time": asleep, "asleepduration": asleep, "sleep_efficiency": efficiency,
		"lightsleepduration": dur[1], "deepsleepduration": dur[2], "remsleepduration": dur[3],
		"sleep_latency": latency, "durationtosleep": latency, "wakeup_latency": wakeLatency,
		"durationtowakeup": wakeLatency, "wakeupduration": dur[0], "wakeupcount": wakeups,
		"waso": dur[0] - latency - wakeLatency, "nb_rem_episodes": rem, "out_of_bed_count": 0,
		"hr_average": hrAvg, "hr_min": hrMin, "hr_max": hrMax, "rr_average": rrAvg, "rr_min": rrMin, "rr_max": rrMax,
		"snoring": snoring, "snoringepisodecount": snoreEpisodes, "sleep_score": nt.score,
		"apnea_hypopnea_index": nt.ahi, "breathing_disturbances_intensity": max(nt.ahi, 0) * 2,
	}
}

func stats(vs []int) (avg, lo, hi int) {
	if len(vs) == 0 {
		return -1, -1, -1
	}
	lo, hi = math.MaxInt, math.MinInt
	sum := 0
	for _, v := range vs {
		sum, lo, hi = sum+v, min(lo, v), max(hi, v)
	}
	return sum / len(vs), lo, hi
}
