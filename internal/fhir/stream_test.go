package fhir

import (
	"errors"
	"runtime"
	"testing"

	"github.com/ohx-health/ohx/internal/health"
)

func TestStreamStopsAtEmitError(t *testing.T) {
	t.Parallel()
	opts := DefaultOptions(ModeModern)
	opts.BundleSize = 5
	stop := errors.New("sink is down")
	calls := 0
	err := New(opts).Stream(Input{Patient: "p", Batch: getmeasPage(), Now: testNow}, func(*Bundle) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Stream = %v, want the emit error", err)
	}
	if calls != 2 {
		t.Errorf("emit called %d times, want 2: mapping must stop at the first failure", calls)
	}
}

func TestStreamSkipsUnmappableRecords(t *testing.T) {
	t.Parallel()
	b := deviceBatch()
	b.Devices = append(b.Devices, health.Device{Provider: health.ProviderWithings}) // no id
	good := wm(health.KindBodyWeight, "1:1", 80)
	noID := wm(health.KindBodyWeight, "", 81)
	b.Measurements = []health.Measurement{noID, good}
	mp := New(DefaultOptions(ModeModern))

	emitted := 0
	err := mp.Stream(Input{Patient: "p", Batch: b, Now: testNow}, func(*Bundle) error { emitted++; return nil })
	if health.KindOf(err) != health.KindInvalid || emitted != 0 {
		t.Fatalf("without Skip: err %v after %d bundles, want an invalid error before any Bundle", err, emitted)
	}

	var skipped []error
	var entries []BundleEntry
	err = mp.Stream(Input{Patient: "p", Batch: b, Now: testNow, Skip: func(err error) { skipped = append(skipped, err) }},
		func(bd *Bundle) error { entries = append(entries, bd.Entry...); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 2 {
		t.Fatalf("skipped %v, want the device and the measurement", skipped)
	}
	for _, e := range skipped {
		if health.KindOf(e) != health.KindInvalid {
			t.Errorf("skip error %v is not of kind invalid", e)
		}
	}
	var obs int
	for _, e := range entries {
		if o, ok := e.Resource.(*Observation); ok {
			obs++
			if o.Identifier[0].Value != ObservationIdentifierValue(&good, "") {
				t.Errorf("published %s, want only the good record", o.Identifier[0].Value)
			}
		}
	}
	if obs != 1 {
		t.Errorf("%d Observations published, want 1", obs)
	}
}

// TestStreamHoldsOneBundle maps a day of per-second heart rate as one
// Observation per sample (86,400 resources, about 75 MB if held at once) and
// checks that the live heap does not grow from the first Bundle to the last.
// It is not parallel, so no other test allocates meanwhile.
func TestStreamHoldsOneBundle(t *testing.T) {
	opts := DefaultOptions(ModeModern)
	opts.Intraday = IntradaySamples
	in := Input{Patient: "p", Batch: hrDay(), Now: testNow}
	var first, peak uint64
	var ms runtime.MemStats
	n := 0
	err := New(opts).Stream(in, func(*Bundle) error {
		n++
		if n%40 != 1 {
			return nil
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		if first == 0 {
			first = ms.HeapAlloc
		}
		peak = max(peak, ms.HeapAlloc)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 400 {
		t.Fatalf("%d Bundles, want more than 400", n)
	}
	const slack = 8 << 20 // a Bundle of 200 Observations is well under 1 MiB
	if peak > first+slack {
		t.Errorf("live heap grew from %d to %d bytes over %d Bundles: Bundles are being held", first, peak, n)
	}
	t.Logf("%d Bundles; live heap %d KiB at the first, at most %d KiB after", n, first>>10, peak>>10)
}

// A sample's identifier is "{provider}:{kind}:{record}:{UTC time}" and its
// id the documented ModernID of that, however the mapping builds them.
func TestSampleIdentifiersFollowFormula(t *testing.T) {
	t.Parallel()
	opts := DefaultOptions(ModeModern)
	opts.Intraday = IntradaySamples
	b := hrDay()
	b.Measurements[0].Series.Values = b.Measurements[0].Series.Values[:120]
	res, err := New(opts).Resources(Input{Patient: "p", Batch: b, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	m := &b.Measurements[0]
	seen := 0
	for i, v := range m.Series.Values {
		if health.IsGap(v) {
			continue
		}
		o := res[seen].(*Observation)
		seen++
		want := ObservationIdentifierValue(m, m.Series.At(i).UTC().Format("20060102T150405Z"))
		if o.Identifier[0].Value != want || o.ID != ModernID("Observation", "p", SystemOHXObservationID, want) {
			t.Fatalf("sample %d: identifier %q id %s, want %q", i, o.Identifier[0].Value, o.ID, want)
		}
	}
	if seen != len(res) {
		t.Errorf("%d resources for %d samples", len(res), seen)
	}
}
