package withingstest

import (
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// daySpan reads startdateymd/enddateymd (the user's local days) or
// lastupdate into day numbers; lastUpdate is zero for a day range.
func (s *Server) daySpan(u *user, f url.Values) (from, to int64, lastUpdate time.Time, ok bool) {
	if last, present, bad := formUnix(f, "lastupdate"); present {
		if bad {
			return 0, 0, time.Time{}, false
		}
		return dayNumber(last, u.Location) - 1, dayNumber(s.cfg.Now(), u.Location), last, true
	}
	a, errA := time.ParseInLocation("2006-01-02", f.Get("startdateymd"), u.Location)
	b, errB := time.ParseInLocation("2006-01-02", f.Get("enddateymd"), u.Location)
	if errA != nil || errB != nil || b.Before(a) {
		return 0, 0, time.Time{}, false
	}
	return dayNumber(a, u.Location), dayNumber(b, u.Location), time.Time{}, true
}

// fieldFilter keeps the keys data_fields asks for; an absent data_fields
// keeps them all.
func fieldFilter(f url.Values) func(string) bool {
	list := f.Get("data_fields")
	if list == "" {
		return func(string) bool { return true }
	}
	want := map[string]bool{}
	for _, k := range strings.Split(list, ",") {
		want[strings.TrimSpace(k)] = true
	}
	return func(k string) bool { return want[k] }
}

// getActivity is Measure v2 Getactivity: one aggregate per local day.
func (s *Server) getActivity(req apiRequest) reply {
	u := s.user(req.userID)
	from, to, last, okSpan := s.daySpan(u, req.form)
	if !okSpan {
		return invalidParams("getactivity dates")
	}
	keep := fieldFilter(req.form)
	var items []map[string]any
	for _, n := range s.activityDays(u, dayStart(from, u.Location), dayStart(to, u.Location)) {
		cut, _ := s.activityCutoff(u, n)
		if !last.IsZero() && !cut.After(last) {
			continue
		}
		items = append(items, s.activityItem(u, n, cut, keep))
	}
	page, more, next, okOff := paginate(s, items, req.form)
	if !okOff {
		return invalidParams("offset")
	}
	return ok(map[string]any{"activities": orEmpty(page), "more": more, "offset": next})
}

// activityItem sums the day's intraday entries up to cut.
func (s *Server) activityItem(u *user, n int64, cut time.Time, keep func(string) bool) map[string]any {
	var steps, elevation, active, hrSum, hrN int
	var distance, calories float64
	hrMin, hrMax := math.MaxInt, 0
	for _, m := range s.dayMinutes(u, n) {
		if m.at.After(cut) {
			break
		}
		steps, elevation, distance, calories = steps+m.steps, elevation+m.elevation, distance+m.distance, calories+m.calories
		if m.hasSteps {
			active += 60
		}
		if m.hasHR {
			hrSum, hrN, hrMin, hrMax = hrSum+m.heartRate, hrN+1, min(hrMin, m.heartRate), max(hrMax, m.heartRate)
		}
	}
	data := map[string]any{
		"steps": steps, "distance": round3(distance), "elevation": elevation,
		"soft": active / 2, "moderate": active / 3, "intense": active - active/2 - active/3, "active": active - active/2,
		"calories": round3(calories), "totalcalories": round3(calories + 1500*cut.Sub(dayStart(n, u.Location)).Hours()/24),
	}
	if hrN > 0 {
		data["hr_average"], data["hr_min"], data["hr_max"] = hrSum/hrN, hrMin, hrMax
		data["hr_zone_0"], data["hr_zone_1"], data["hr_zone_2"], data["hr_zone_3"] = 60*(1440-active/60), active/2, active/3, active/6
	}
	item := map[string]any{}
	for k, v := range data {
		if keep(k) {
			item[k] = v
		}
	}
	watch := modelOf("watch")
	item["deviceid"], item["hash_deviceid"] = u.devices["watch"], u.devices["watch"]
	item["timezone"], item["date"], item["modified"] = u.Location.String(), dayKey(n), cut.Unix()
	item["brand"], item["modelid"], item["model"], item["is_tracker"] = 1, watch.modelID, watch.model, true
	return item
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// getIntraday is Measure v2 Getintradayactivity: only the first 24 h after
// startdate, as an object keyed by epoch strings, or [] when empty.
func (s *Server) getIntraday(req apiRequest) reply {
	u := s.user(req.userID)
	sp, okSpan := readSpan(req.form)
	if !okSpan || !sp.lastUpdate.IsZero() {
		return invalidParams("getintradayactivity dates")
	}
	if req.form.Get("startdate") == "" {
		sp.to = s.cfg.Now()
		sp.from = sp.to.Add(-24 * time.Hour)
	}
	sp.to = earliest(sp.to, sp.from.Add(24*time.Hour))
	keep := fieldFilter(req.form)
	series := map[string]any{}
	for _, n := range s.activityDays(u, sp.from, sp.to) {
		cut, _ := s.activityCutoff(u, n)
		for _, m := range s.dayMinutes(u, n) {
			if m.at.Before(sp.from) || m.at.After(sp.to) || m.at.After(cut) {
				continue
			}
			if e, any := intradayEntry(u, m, keep); any {
				series[strconv.FormatInt(m.at.Unix(), 10)] = e
			}
		}
	}
	if len(series) == 0 {
		return ok(map[string]any{"series": []any{}})
	}
	return ok(map[string]any{"series": series})
}

// intradayEntry encodes one minute; it reports false when none of its
// values was asked for.
func intradayEntry(u *user, m minute, keep func(string) bool) (map[string]any, bool) {
	watch := modelOf("watch")
	e := map[string]any{"deviceid": u.devices["watch"], "model": watch.model, "model_id": watch.modelID}
	if m.hasSteps {
		for k, v := range map[string]any{"steps": m.steps, "elevation": m.elevation, "calories": round3(m.calories),
			"distance": round3(m.distance), "duration": 60} {
			if keep(k) {
				e[k] = v
			}
		}
	}
	if m.hasHR && keep("heart_rate") {
		e["heart_rate"] = m.heartRate
	}
	return e, len(e) > 3
}
