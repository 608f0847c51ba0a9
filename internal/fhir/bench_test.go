package fhir

import (
	"encoding/json"
	"io"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// The benchmarks compare mapping plus encoding with encoding the same
// resources alone; the goal is that mapping adds at most 50%.

func hrDay() health.Batch {
	start := time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC)
	v := make([]float64, 86400)
	for i := range v {
		v[i] = float64(60 + i%50)
		if i%977 == 0 {
			v[i] = health.Gap()
		}
	}
	return health.Batch{Provider: health.ProviderWithings, Source: "getintradayactivity", Measurements: []health.Measurement{{
		Kind: health.KindHeartRate, Provider: health.ProviderWithings, RecordID: "intraday:2024-01-15", Start: start,
		Device: watchID, Origin: health.OriginDevice,
		Series: &health.Series{Start: start, Interval: time.Second, Values: v},
	}}}
}

func ecg30s() health.Batch {
	b := ecgBatch()
	b.Measurements = b.Measurements[:1]
	e := *b.Measurements[0].ECG
	e.Samples = make([]int32, 15000)
	for i := range e.Samples {
		e.Samples[i] = int32(800 * math.Sin(float64(i)/12))
	}
	b.Measurements[0].ECG = &e
	return b
}

// getmeasPage is a getmeas page of 1,000 measure groups: 700 scale groups
// (weight, fat ratio, fat mass, muscle mass) and 300 cuff readings.
func getmeasPage() health.Batch {
	var ms []health.Measurement
	for g := 0; g < 1000; g++ {
		grp := strconv.Itoa(4815757309 + g)
		if g%10 < 7 {
			for _, k := range []struct {
				kind health.Kind
				typ  string
				v    float64
			}{{health.KindBodyWeight, "1", 80.2}, {health.KindFatRatio, "6", 22.5}, {health.KindFatMass, "8", 18}, {health.KindMuscleMass, "76", 58}} {
				m := wm(k.kind, grp+":"+k.typ, k.v)
				m.Start = m.Start.Add(time.Duration(g) * time.Hour)
				ms = append(ms, m)
			}
			continue
		}
		m := wm(health.KindBloodPressure, grp+":bp", 0)
		m.Start = m.Start.Add(time.Duration(g) * time.Hour)
		m.BloodPressure = &health.BloodPressure{Systolic: 120, Diastolic: 80, Pulse: 64}
		ms = append(ms, m)
	}
	return health.Batch{Provider: health.ProviderWithings, Source: "getmeas", Measurements: ms}
}

func benchMapEncode(b *testing.B, mode string, batch health.Batch) {
	benchMapEncodeOpts(b, DefaultOptions(mode), batch)
}

func benchMapEncodeOpts(b *testing.B, opts Options, batch health.Batch) {
	mp := New(opts)
	in := Input{Patient: "p", Batch: batch, Now: testNow}
	b.ReportAllocs()
	for b.Loop() {
		enc := json.NewEncoder(io.Discard)
		if err := mp.Stream(in, func(bd *Bundle) error { return enc.Encode(bd) }); err != nil {
			b.Fatal(err)
		}
	}
}

// benchMapOnly is the mapping alone: what the goal's "adds" measures.
func benchMapOnly(b *testing.B, mode string, batch health.Batch) {
	mp := New(DefaultOptions(mode))
	in := Input{Patient: "p", Batch: batch, Now: testNow}
	b.ReportAllocs()
	for b.Loop() {
		if err := mp.Stream(in, func(*Bundle) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

func benchEncodeOnly(b *testing.B, mode string, batch health.Batch) {
	benchEncodeOnlyOpts(b, DefaultOptions(mode), batch)
}

func benchEncodeOnlyOpts(b *testing.B, opts Options, batch health.Batch) {
	bundles, err := New(opts).Bundles(Input{Patient: "p", Batch: batch, Now: testNow})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		enc := json.NewEncoder(io.Discard)
		for _, bd := range bundles {
			if err := enc.Encode(bd); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchEncodeSamples is the fair baseline for waveform-heavy resources:
// encoding/json writing the same samples as a number array. Encoding a built
// Bundle only copies the already rendered SampledData string.
func benchEncodeSamples(b *testing.B, samples any) {
	b.ReportAllocs()
	for b.Loop() {
		if err := json.NewEncoder(io.Discard).Encode(samples); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHeartRateDay(b *testing.B) {
	batch := hrDay()
	b.Run("map+encode/sampled", func(b *testing.B) { benchMapEncode(b, ModeModern, batch) })
	b.Run("encode/sampled", func(b *testing.B) { benchEncodeOnly(b, ModeModern, batch) })
	vals := make([]int, 0, 86400) // the samples as encoding/json would write them
	for _, v := range batch.Measurements[0].Series.Values {
		if !health.IsGap(v) {
			vals = append(vals, int(v))
		}
	}
	b.Run("encode/samples-array", func(b *testing.B) { benchEncodeSamples(b, vals) })
	samples := DefaultOptions(ModeModern)
	samples.Intraday = IntradaySamples
	b.Run("map+encode/samples", func(b *testing.B) { benchMapEncodeOpts(b, samples, batch) })
	b.Run("encode/samples", func(b *testing.B) { benchEncodeOnlyOpts(b, samples, batch) })
}

func BenchmarkECG30s500Hz(b *testing.B) {
	batch := ecg30s()
	for _, mode := range []string{ModeModern, ModeLegacy} {
		b.Run("map+encode/"+mode, func(b *testing.B) { benchMapEncode(b, mode, batch) })
		b.Run("encode/"+mode, func(b *testing.B) { benchEncodeOnly(b, mode, batch) })
	}
	b.Run("encode/samples-array", func(b *testing.B) { benchEncodeSamples(b, batch.Measurements[0].ECG.Samples) })
}

func BenchmarkGetmeas1000Groups(b *testing.B) {
	batch := getmeasPage()
	for _, mode := range []string{ModeModern, ModeLegacy} {
		b.Run("map+encode/"+mode, func(b *testing.B) { benchMapEncode(b, mode, batch) })
		b.Run("map/"+mode, func(b *testing.B) { benchMapOnly(b, mode, batch) })
		b.Run("encode/"+mode, func(b *testing.B) { benchEncodeOnly(b, mode, batch) })
	}
}

// BenchmarkMappingOverhead reports what mapping adds to encoding, as
// "overhead-%": (map+encode − encode) / encode. Each iteration times both
// back to back, so a machine whose speed drifts between benchmark runs (a
// shared VM) still gives a fair ratio. The goal is at most 50.
func BenchmarkMappingOverhead(b *testing.B) {
	samples := DefaultOptions(ModeModern)
	samples.Intraday = IntradaySamples
	for _, c := range []struct {
		name  string
		opts  Options
		batch health.Batch
	}{
		{"getmeas-1000-groups/modern", DefaultOptions(ModeModern), getmeasPage()},
		{"getmeas-1000-groups/legacy", DefaultOptions(ModeLegacy), getmeasPage()},
		{"heart-rate-day/sampled", DefaultOptions(ModeModern), hrDay()},
		{"heart-rate-day/samples", samples, hrDay()},
		{"ecg-30s/modern", DefaultOptions(ModeModern), ecg30s()},
		{"ecg-30s/legacy", DefaultOptions(ModeLegacy), ecg30s()},
	} {
		b.Run(c.name, func(b *testing.B) {
			mp := New(c.opts)
			in := Input{Patient: "p", Batch: c.batch, Now: testNow}
			built, err := mp.Bundles(in)
			if err != nil {
				b.Fatal(err)
			}
			var both, encode time.Duration
			for b.Loop() {
				t0 := time.Now()
				enc := json.NewEncoder(io.Discard)
				if err := mp.Stream(in, func(bd *Bundle) error { return enc.Encode(bd) }); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				enc = json.NewEncoder(io.Discard)
				for _, bd := range built {
					if err := enc.Encode(bd); err != nil {
						b.Fatal(err)
					}
				}
				both, encode = both+t1.Sub(t0), encode+time.Since(t1)
			}
			b.ReportMetric(100*float64(both-encode)/float64(encode), "overhead-%")
		})
	}
}
