package fhir

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// FuzzMapper feeds arbitrary measurements to both modes: mapping must never
// panic, an accepted measurement must encode to JSON, and an error must not
// contain the value.
func FuzzMapper(f *testing.F) {
	f.Add(uint8(0), "4815757309:1", 80.5, int64(1705312800), int64(60), uint8(3), "p1", false)
	f.Add(uint8(10), "intraday", 72.0, int64(1705312800), int64(1), uint8(200), "Patient/x", true)
	f.Add(uint8(28), "2500907", 0.0, int64(0), int64(0), uint8(0), "", false)
	f.Add(uint8(12), "bp", math.Inf(1), int64(-62135596800), int64(-5), uint8(1), "a b", true)
	kinds := health.KindInfos()
	f.Fuzz(func(t *testing.T, k uint8, rec string, v float64, unix, interval int64, n uint8, patient string, legacy bool) {
		kind := kinds[int(k)%len(kinds)].Kind
		start := time.Unix(unix%(1<<40), 0).In(time.FixedZone("", int(unix%50400)))
		m := health.Measurement{Kind: kind, Provider: health.ProviderWithings, RecordID: rec, Start: start, Value: v, Device: rec}
		switch kind {
		case health.KindBloodPressure:
			m.BloodPressure = &health.BloodPressure{Systolic: v, Diastolic: v / 2, Pulse: v / 3}
		case health.KindSleep:
			m.Sleep = health.NewSleep()
			m.Sleep.Deep = time.Duration(interval)
			m.End = start.Add(time.Duration(n) * time.Minute)
		case health.KindECG:
			m.ECG = &health.ECG{Samples: make([]int32, n), SamplingRate: float64(interval), Scale: v, ScaleUnit: "uV"}
		case health.KindAFibPPG:
			m.Rhythm = &health.Classification{Rhythm: health.Rhythm(rec)}
		default:
			if n%2 == 1 {
				vals := make([]float64, n)
				for i := range vals {
					vals[i] = v + float64(i)
				}
				m.Series = &health.Series{Start: start, Interval: time.Duration(interval) * time.Second, Values: vals}
			}
		}
		mode := ModeModern
		if legacy {
			mode = ModeLegacy
		}
		opts := DefaultOptions(mode)
		opts.Intraday = IntradaySamples
		bundles, err := New(opts).Bundles(Input{Patient: patient, Batch: health.Batch{Measurements: []health.Measurement{m}}, Now: start})
		if err != nil {
			return
		}
		for _, b := range bundles {
			if _, err := json.Marshal(b); err != nil {
				t.Fatalf("accepted measurement does not encode: %v", err)
			}
		}
	})
}

func TestNonFiniteInPayloadRejected(t *testing.T) {
	t.Parallel()
	bp := wm(health.KindBloodPressure, "1", 0)
	bp.BloodPressure = &health.BloodPressure{Systolic: math.Inf(1), Diastolic: 80}
	e := ecgBatch().Measurements[0]
	ecg := *e.ECG
	ecg.Scale = math.NaN()
	e.ECG = &ecg
	hr := intradayBatch().Measurements[0]
	hr.Series = &health.Series{Start: hr.Start, Interval: time.Second, Values: []float64{1, math.Inf(-1)}}
	for _, m := range []health.Measurement{bp, e, hr} {
		_, err := New(DefaultOptions(ModeModern)).Resources(Input{Patient: "p", Batch: health.Batch{Measurements: []health.Measurement{m}}})
		if err == nil {
			t.Errorf("%s with a non-finite number accepted", m.Kind)
		}
	}
}
