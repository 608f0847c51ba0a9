package withingstest

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// heartRecord is one Heart v2 recording: an ECG, with blood pressure when a
// BPM Core took it.
type heartRecord struct {
	SignalID          int64
	DeviceKey         string
	At                time.Time
	HeartRate         int
	AFib              int // 0 negative, 1 positive, 2 inconclusive
	Diastole, Systole int // 0 when the device measures no pressure
	Hz, Seconds       int
	WearPosition      int
	Seed              uint64
}

// heartsOf returns the user's recordings in [from, to], newest first.
func (s *Server) heartsOf(u *user, from, to time.Time) []heartRecord {
	now := s.cfg.Now()
	var all []heartRecord
	for _, n := range s.historyDays(u, from, to) {
		all = append(all, s.dayMeasures(u, n).hearts...)
	}
	s.mu.Lock()
	all = append(all, u.hearts...)
	s.mu.Unlock()
	var out []heartRecord
	for _, h := range all {
		if !h.At.Before(from) && !h.At.After(to) && !h.At.After(now) {
			out = append(out, h)
		}
	}
	slices.SortStableFunc(out, func(a, b heartRecord) int {
		return cmp.Or(b.At.Compare(a.At), cmp.Compare(b.SignalID, a.SignalID))
	})
	return out
}

// heartList is Heart v2 List: "model" is an integer here.
func (s *Server) heartList(req apiRequest) reply {
	u := s.user(req.userID)
	sp, okSpan := readSpan(req.form)
	if !okSpan || !sp.lastUpdate.IsZero() {
		return invalidParams("list parameters")
	}
	var series []map[string]any
	for _, h := range s.heartsOf(u, sp.from, sp.to) {
		item := map[string]any{
			"deviceid":   u.devices[h.DeviceKey],
			"model":      modelOf(h.DeviceKey).modelID,
			"ecg":        map[string]any{"signalid": h.SignalID, "afib": h.AFib},
			"heart_rate": h.HeartRate,
			"timestamp":  h.At.Unix(),
			"modified":   h.At.Unix() + 120,
		}
		if h.Systole != 0 {
			item["bloodpressure"] = map[string]any{"diastole": h.Diastole, "systole": h.Systole}
		}
		series = append(series, item)
	}
	page, more, next, okOff := paginate(s, series, req.form)
	if !okOff {
		return invalidParams("offset")
	}
	return ok(map[string]any{"series": orEmpty(page), "more": more, "offset": next})
}

// heartGet is Heart v2 Get: the signal of one recording in µV.
func (s *Server) heartGet(req apiRequest) reply {
	u := s.user(req.userID)
	id, present, bad := formInt(req.form, "signalid")
	if !present || bad {
		return invalidParams("signalid")
	}
	h, found := s.findHeart(u, id)
	if !found {
		return invalidParams("unknown signalid")
	}
	return ok(map[string]any{
		"signal":             ecgSignal(h.Seed, h.Hz, h.Seconds, h.HeartRate),
		"sampling_frequency": h.Hz,
		"wearposition":       h.WearPosition,
		"model":              modelOf(h.DeviceKey).modelID,
		"heart_rate":         h.HeartRate,
	})
}

// findHeart finds a recording by id: added ones by search, generated ones
// by regenerating the day their id names.
func (s *Server) findHeart(u *user, id int64) (heartRecord, bool) {
	s.mu.Lock()
	added := slices.Clone(u.hearts)
	s.mu.Unlock()
	candidates := added
	if id >= generatedSignalBase && id < generatedSignalBase+1<<40 {
		if n := (id - generatedSignalBase) / signalsPerDay; s.inHistory(u, n) {
			candidates = append(candidates, s.dayMeasures(u, n).hearts...)
		}
	}
	for _, h := range candidates {
		if h.SignalID == id && !h.At.After(s.cfg.Now()) {
			return h, true
		}
	}
	return heartRecord{}, false
}

// ecgWave is one deflection of a heartbeat: amplitude in µV, centre and
// width in seconds relative to the R peak.
type ecgWave struct{ amp, centre, width float64 }

// lead1 is a lead I beat: P, Q, R, S and T waves.
var lead1 = []ecgWave{
	{120, -0.20, 0.025},
	{-90, -0.035, 0.010},
	{1100, 0, 0.011},
	{-250, 0.035, 0.012},
	{300, 0.30, 0.045},
}

// ecgSignal synthesises seconds of single-lead ECG at hz samples per second:
// beats at the heart rate with slight variability, baseline wander and
// noise, as integers in µV.
func ecgSignal(seed uint64, hz, seconds, heartRate int) []int {
	r := rand.New(rand.NewPCG(seed, kindSignal))
	n := hz * seconds
	out := make([]float64, n)
	rr := 60 / float64(max(heartRate, 30))
	for beat := 0.25; beat < float64(seconds)+0.5; beat += rr * (1 + 0.04*r.NormFloat64()) {
		for _, w := range lead1 {
			addWave(out, hz, beat+w.centre, w.amp, w.width)
		}
	}
	sig := make([]int, n)
	for i := range out {
		t := float64(i) / float64(hz)
		wander := 40 * math.Sin(2*math.Pi*0.25*t)
		sig[i] = int(math.Round(out[i] + wander + 8*r.NormFloat64()))
	}
	return sig
}

// addWave adds a Gaussian bump within four widths of its centre.
func addWave(out []float64, hz int, centre, amp, width float64) {
	lo := max(0, int((centre-4*width)*float64(hz)))
	hi := min(len(out)-1, int((centre+4*width)*float64(hz)))
	for i := lo; i <= hi; i++ {
		d := (float64(i)/float64(hz) - centre) / width
		out[i] += amp * math.Exp(-0.5*d*d)
	}
}
