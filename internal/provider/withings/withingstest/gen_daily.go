package withingstest

import (
	"math/rand/v2"
	"slices"
	"time"
)

// minute is one intraday activity entry of the ScanWatch.
type minute struct {
	at        time.Time
	steps     int // 0 with hasSteps false: a heart-rate-only entry
	elevation int
	distance  float64
	calories  float64
	heartRate int
	hasSteps  bool
	hasHR     bool
}

// dayMinutes generates the intraday entries of local day n: walking minutes
// between 07:00 and 23:00, and a heart rate every ten minutes.
func (s *Server) dayMinutes(u *user, n int64) []minute {
	r := s.rng(u, n, kindActivity)
	t0 := dayStart(n, u.Location)
	var out []minute
	for m := 0; m < 24*60; m++ {
		e := minute{at: t0.Add(time.Duration(m) * time.Minute)}
		walking := m >= 7*60 && m < 23*60 && r.Float64() < 0.3
		if walking {
			e.steps = 20 + r.IntN(100)
			e.distance = float64(e.steps) * (0.7 + r.Float64()*0.1)
			e.calories = float64(e.steps) * 0.04
			e.elevation = boolInt(r.Float64() < 0.05)
			e.hasSteps = true
		}
		if m%10 == 0 {
			e.heartRate = 55 + r.IntN(15)
			if walking {
				e.heartRate += 25 + r.IntN(20)
			}
			e.hasHR = true
		}
		if e.hasSteps || e.hasHR {
			out = append(out, e)
		}
	}
	return out
}

// activityCutoff is the end of the data of local day n: the end of the day
// for history, the last GenerateNew time for later days, never after now.
// ok is false when the day has no activity.
func (s *Server) activityCutoff(u *user, n int64) (time.Time, bool) {
	start, end := dayStart(n, u.Location), dayStart(n+1, u.Location).Add(-time.Second)
	cut := end
	if !s.inHistory(u, n) {
		s.mu.Lock()
		added, released := u.activeUntil[dayKey(n)]
		s.mu.Unlock()
		if !released {
			return time.Time{}, false
		}
		cut = earliest(added, end)
	}
	now := s.cfg.Now()
	if start.After(now) {
		return time.Time{}, false
	}
	return earliest(cut, now), true
}

// activityDays returns the local day numbers in [from, to] with activity.
func (s *Server) activityDays(u *user, from, to time.Time) []int64 {
	var days []int64
	for n := dayNumber(from, u.Location); n <= dayNumber(to, u.Location); n++ {
		if _, ok := s.activityCutoff(u, n); ok {
			days = append(days, n)
		}
		if len(days) > 20000 {
			break
		}
	}
	return days
}

func dayKey(n int64) string { return time.Unix(n*86400, 0).UTC().Format("2006-01-02") }

// segment is one sleep state interval with per-minute series.
type segment struct {
	start, end time.Time
	state      int // 0 awake, 1 light, 2 deep, 3 REM
	hr, rr     []int
	snoring    []int
}

// night is one night of sleep measured by the Sleep Analyzer.
type night struct {
	start, end time.Time
	created    time.Time // when the summary appears
	segments   []segment
	score      int
	ahi        int // -1: not available, as real data often says
}

// sleepCycle is the order of states within a night; durations in minutes.
var sleepCycle = []struct{ state, minMin, maxMin int }{
	{1, 20, 40}, {2, 15, 35}, {1, 10, 25}, {3, 10, 25},
}

// dayNight generates the night that ends on local day n.
func (s *Server) dayNight(u *user, n int64) night {
	r := s.rng(u, n, kindSleep)
	t0 := dayStart(n, u.Location)
	bed := t0.Add(-90*time.Minute + time.Duration(r.IntN(90))*time.Minute)
	wake := t0.Add(6*time.Hour + time.Duration(r.IntN(120))*time.Minute)
	nt := makeNight(r, bed, wake)
	nt.created = wake.Add(30 * time.Minute)
	return nt
}

// makeNight fills [bed, wake] with an awake start, sleep cycles and an
// awake end.
func makeNight(r *rand.Rand, bed, wake time.Time) night {
	nt := night{start: bed, end: wake, score: 50 + r.IntN(45), ahi: -1}
	if r.IntN(2) == 0 {
		nt.ahi = r.IntN(10)
	}
	t := bed
	add := func(state int, minutes int) {
		end := earliest(t.Add(time.Duration(minutes)*time.Minute), wake)
		if !end.After(t) {
			return
		}
		nt.segments = append(nt.segments, newSegment(r, t, end, state))
		t = end
	}
	add(0, 5+r.IntN(15))
	lastAwake := 5 + r.IntN(10)
	for i := 0; wake.Sub(t) > time.Duration(lastAwake)*time.Minute; i++ {
		c := sleepCycle[i%len(sleepCycle)]
		add(c.state, min(c.minMin+r.IntN(c.maxMin-c.minMin+1), int(wake.Sub(t).Minutes())-lastAwake))
	}
	add(0, lastAwake)
	return nt
}

func newSegment(r *rand.Rand, start, end time.Time, state int) segment {
	sg := segment{start: start, end: end, state: state}
	base := map[int]int{0: 66, 1: 58, 2: 52, 3: 62}[state]
	for t := start; t.Before(end); t = t.Add(time.Minute) {
		sg.hr = append(sg.hr, base+r.IntN(8))
		sg.rr = append(sg.rr, 12+r.IntN(6))
		snore := 0
		if state != 0 && r.Float64() < 0.08 {
			snore = 1
		}
		sg.snoring = append(sg.snoring, snore)
	}
	return sg
}

// nightsOf returns the user's nights that end on local days in
// [fromDay, toDay], generated or added, as of now.
func (s *Server) nightsOf(u *user, fromDay, toDay int64) []night {
	now := s.cfg.Now()
	var out []night
	for n := fromDay; n <= toDay && n-fromDay < 20000; n++ {
		s.mu.Lock()
		nt, added := u.nights[dayKey(n)]
		s.mu.Unlock()
		if !added && s.inHistory(u, n) {
			nt, added = s.dayNight(u, n), true
		}
		if added && !nt.end.After(now) {
			out = append(out, nt)
		}
	}
	slices.SortFunc(out, func(a, b night) int { return a.start.Compare(b.start) })
	return out
}
