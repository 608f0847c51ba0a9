package withingstest

import (
	"math"
	"math/rand/v2"
	"time"
)

// The kinds of generated data, each with its own random stream per day so
// that asking for one kind never shifts another.
const (
	kindMeasure uint64 = iota + 1
	kindActivity
	kindSleep
	kindSignal
)

// sample is what one generator produces at one moment.
type sample struct {
	groups []MeasureGroup
	hearts []heartRecord
}

// generator makes the measures of one device use at time at.
type generator func(u *user, at time.Time, r *rand.Rand) sample

// measureSchedule is the generated history: on days where
// dayNumber % every == phase, at local time at plus up to spread minutes.
var measureSchedule = []struct {
	every, phase int64
	at           time.Duration
	spread       int
	gen          generator
}{
	{1, 0, 7 * time.Hour, 45, scaleSample},
	{1, 0, 20 * time.Hour, 60, bpConnectSample},
	{3, 0, 8*time.Hour + 30*time.Minute, 20, bpCoreSample},
	{4, 1, 9 * time.Hour, 60, thermoSample},
	{1, 0, 11 * time.Hour, 90, spo2Sample},
	{5, 2, 13 * time.Hour, 60, watchECGSample},
	{7, 3, 19 * time.Hour, 60, manualWeightSample},
	{30, 0, 18 * time.Hour, 60, manualHeightSample},
}

// First ids of generated measure groups and ECG signals; ids of data added
// from Go start at 9e9.
const (
	generatedGrpIDBase  = 5_000_000_000
	generatedSignalBase = 2_000_000_000
	signalsPerDay       = 8
)

// dayMeasures generates the measure groups and ECG recordings of local day
// n, with stable ids.
func (s *Server) dayMeasures(u *user, n int64) sample {
	r := s.rng(u, n, kindMeasure)
	t0 := dayStart(n, u.Location)
	var out sample
	for _, e := range measureSchedule {
		// Draw the minute on every day so that the schedule's streams stay
		// aligned whether or not the entry fires.
		at := t0.Add(e.at + time.Duration(r.IntN(e.spread+1))*time.Minute + time.Duration(r.IntN(60))*time.Second)
		if n%e.every != e.phase {
			continue
		}
		smp := e.gen(u, at, r)
		for _, g := range smp.groups {
			g.GrpID = generatedGrpIDBase + int64(u.hash%100_000)*10_000_000 + n*32 + int64(len(out.groups))
			g.Created = g.Date.Add(time.Duration(60+r.IntN(540)) * time.Second)
			out.groups = append(out.groups, g)
		}
		for _, h := range smp.hearts {
			h.SignalID = generatedSignalBase + n*signalsPerDay + int64(len(out.hearts))
			out.hearts = append(out.hearts, h)
		}
	}
	return out
}

// weightAt is the user's weight in kg: a per-user base with a slow drift.
func weightAt(u *user, at time.Time, r *rand.Rand) float64 {
	base := 60 + float64(u.hash%35)
	days := float64(at.Unix()) / 86400
	return base + 1.5*math.Sin(2*math.Pi*days/60) + r.NormFloat64()*0.3
}

func scaled(v float64, unit int) int64 { return int64(math.Round(v * math.Pow10(-unit))) }

func deviceGroup(u *user, key string, at time.Time, ms ...Measure) MeasureGroup {
	m := modelOf(key)
	return MeasureGroup{Date: at, Category: 1, DeviceID: u.devices[key], ModelID: m.modelID, Model: m.model, Measures: ms}
}

// scaleSample is a Body Cardio weigh-in: weight and body composition in one
// group, pulse and pulse wave velocity in another.
func scaleSample(u *user, at time.Time, r *rand.Rand) sample {
	w := weightAt(u, at, r)
	fatRatio := 18 + float64(u.hash%8) + r.Float64()
	fat := w * fatRatio / 100
	lean := w - fat
	comp := deviceGroup(u, "scale", at,
		Measure{scaled(w, -3), 1, -3}, Measure{scaled(fatRatio, -3), 6, -3},
		Measure{scaled(fat, -3), 8, -3}, Measure{scaled(lean, -3), 5, -3},
		Measure{scaled(lean*0.93, -2), 76, -2}, Measure{scaled(lean*0.72, -2), 77, -2},
		Measure{scaled(lean*0.05, -2), 88, -2})
	heart := deviceGroup(u, "scale", at,
		Measure{int64(62 + r.IntN(20)), 11, 0}, Measure{scaled(6.5+r.Float64()*2, -3), 91, -3})
	return sample{groups: []MeasureGroup{comp, heart}}
}

// bloodPressure draws diastolic, systolic and pulse.
func bloodPressure(r *rand.Rand) (dia, sys, pulse float64) {
	return float64(68 + r.IntN(18)), float64(108 + r.IntN(30)), float64(58 + r.IntN(25))
}

// bpConnectSample is a BPM Connect reading, reported with unit -2.
func bpConnectSample(u *user, at time.Time, r *rand.Rand) sample {
	dia, sys, pulse := bloodPressure(r)
	g := deviceGroup(u, "bpm", at,
		Measure{scaled(dia, -2), 9, -2}, Measure{scaled(sys, -2), 10, -2}, Measure{scaled(pulse, -2), 11, -2})
	return sample{groups: []MeasureGroup{g}}
}

// bpCoreSample is a BPM Core reading, reported with unit 0, with the ECG it
// records at the same time (500 Hz, 20 s, left arm).
func bpCoreSample(u *user, at time.Time, r *rand.Rand) sample {
	dia, sys, pulse := bloodPressure(r)
	g := deviceGroup(u, "bpmcore", at,
		Measure{int64(dia), 9, 0}, Measure{int64(sys), 10, 0}, Measure{int64(pulse), 11, 0})
	h := heartRecord{DeviceKey: "bpmcore", At: at, HeartRate: int(pulse), AFib: 0,
		Diastole: int(dia), Systole: int(sys), Hz: 500, Seconds: 20, WearPosition: 3, Seed: r.Uint64()}
	return sample{groups: []MeasureGroup{g}, hearts: []heartRecord{h}}
}

// thermoSample is a Thermo body temperature with unit -2.
func thermoSample(u *user, at time.Time, r *rand.Rand) sample {
	t := 36.4 + r.Float64()*0.8
	return sample{groups: []MeasureGroup{deviceGroup(u, "thermo", at, Measure{scaled(t, -2), 71, -2})}}
}

// spo2Sample is a ScanWatch SpO2 spot check with pulse; the SpO2 unit is 0
// on even days and -2 on odd ones, as both forms occur in real data.
func spo2Sample(u *user, at time.Time, r *rand.Rand) sample {
	spo2 := float64(95 + r.IntN(5))
	m := Measure{int64(spo2), 54, 0}
	if dayNumber(at, u.Location)%2 == 1 {
		m = Measure{scaled(spo2+r.Float64()*0.9, -2), 54, -2}
	}
	g := deviceGroup(u, "watch", at, m, Measure{int64(55 + r.IntN(25)), 11, 0})
	return sample{groups: []MeasureGroup{g}}
}

// watchECGSample is a ScanWatch ECG (300 Hz, 30 s, left wrist) with its AF
// classification and intervals in seconds (unit -3).
func watchECGSample(u *user, at time.Time, r *rand.Rand) sample {
	hr := 58 + r.IntN(30)
	g := deviceGroup(u, "watch", at,
		Measure{0, 130, 0}, Measure{int64(85 + r.IntN(25)), 135, -3}, Measure{int64(130 + r.IntN(60)), 136, -3},
		Measure{int64(360 + r.IntN(60)), 137, -3}, Measure{int64(390 + r.IntN(50)), 138, -3})
	h := heartRecord{DeviceKey: "watch", At: at, HeartRate: hr, AFib: 0, Hz: 300, Seconds: 30,
		WearPosition: 1, Seed: r.Uint64()}
	return sample{groups: []MeasureGroup{g}, hearts: []heartRecord{h}}
}

// manualWeightSample is a weight typed in the app: attrib 2, no device,
// whole kilograms with unit 0.
func manualWeightSample(u *user, at time.Time, r *rand.Rand) sample {
	g := MeasureGroup{Date: at, Attrib: 2, Category: 1, Measures: []Measure{{int64(math.Round(weightAt(u, at, r))), 1, 0}}}
	return sample{groups: []MeasureGroup{g}}
}

// manualHeightSample is a height typed in the app, in cm with unit -2.
func manualHeightSample(u *user, at time.Time, _ *rand.Rand) sample {
	g := MeasureGroup{Date: at, Attrib: 2, Category: 1, Measures: []Measure{{160 + int64(u.hash%30), 4, -2}}}
	return sample{groups: []MeasureGroup{g}}
}
