package fhir

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/ohx-health/ohx/internal/fhir/fhirtest"
	"github.com/ohx-health/ohx/internal/health"
)

var update = flag.Bool("update", false, "rewrite golden files and docs/mapping.md")

// encode renders Bundles the way `ohx convert` prints them.
func encode(t *testing.T, bundles []*Bundle) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, b := range bundles {
		data, err := json.MarshalIndent(b, "", "  ")
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		buf.Write(data)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test -update): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestGolden maps every case in both modes, compares with the golden files
// and validates every Bundle and every resource in it against the R5 schema.
func TestGolden(t *testing.T) {
	t.Parallel()
	v := fhirtest.Schema(t)
	for _, mode := range []string{ModeModern, ModeLegacy} {
		for _, tc := range testCases() {
			t.Run(tc.name+"."+mode, func(t *testing.T) {
				t.Parallel()
				bundles, err := New(DefaultOptions(mode)).Bundles(Input{Patient: "Patient/test-patient", Batch: tc.batch, Now: testNow})
				if err != nil {
					t.Fatalf("Bundles: %v", err)
				}
				if len(bundles) == 0 {
					t.Fatal("no bundle")
				}
				for i, b := range bundles {
					if err := v.ValidateValue(b); err != nil {
						t.Errorf("bundle %d not valid R5: %v", i, err)
					}
				}
				golden(t, tc.name+"."+mode, encode(t, bundles))
			})
		}
	}
}

func TestEveryKindHasAGoldenCase(t *testing.T) {
	t.Parallel()
	seen := map[health.Kind]bool{}
	for _, tc := range testCases() {
		for _, m := range tc.batch.Measurements {
			seen[m.Kind] = true
		}
	}
	for _, ki := range health.KindInfos() {
		if !seen[ki.Kind] {
			t.Errorf("kind %s has no golden case", ki.Kind)
		}
	}
}

func TestMappingTableCoversEveryKind(t *testing.T) {
	t.Parallel()
	rows := map[health.Kind]int{}
	for _, r := range modernTable() {
		rows[r.Kind]++
	}
	for _, ki := range health.KindInfos() {
		if rows[ki.Kind] != 1 {
			t.Errorf("kind %s has %d rows in the mapping table, want 1", ki.Kind, rows[ki.Kind])
		}
		delete(rows, ki.Kind)
	}
	for k := range rows {
		t.Errorf("mapping table row for unknown kind %s", k)
	}
}

// TestDeterministic maps the same input twice, and with the measurements in
// another Mapper, and expects identical bytes.
func TestDeterministic(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{ModeModern, ModeLegacy} {
		for _, tc := range testCases() {
			in := Input{Patient: "p1", Batch: tc.batch, Now: testNow}
			a, err := New(DefaultOptions(mode)).Bundles(in)
			if err != nil {
				t.Fatal(err)
			}
			b, err := New(DefaultOptions(mode)).Bundles(in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(encode(t, a), encode(t, b)) {
				t.Errorf("%s/%s: output differs between runs", tc.name, mode)
			}
		}
	}
}

// TestIdentityIgnoresValue checks the contract that lets a corrected value
// update the same resource: ids and identifiers depend on the record, never
// on the value.
func TestIdentityIgnoresValue(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{ModeModern, ModeLegacy} {
		mp := New(DefaultOptions(mode))
		m := wm(health.KindBodyWeight, "1:1", 80)
		corrected := m
		corrected.Value = 79.4
		other := m
		other.RecordID = "2:1"
		ids := func(m health.Measurement) (string, string) {
			res, err := mp.Resources(Input{Patient: "p", Batch: health.Batch{Measurements: []health.Measurement{m}}, Now: testNow})
			if err != nil || len(res) != 1 {
				t.Fatalf("%s: Resources = %d, %v", mode, len(res), err)
			}
			return res[0].LogicalID(), res[0].Key()
		}
		id1, key1 := ids(m)
		id2, key2 := ids(corrected)
		if id1 != id2 || key1 != key2 {
			t.Errorf("%s: corrected value changed identity: %s %s vs %s %s", mode, id1, key1, id2, key2)
		}
		if id3, _ := ids(other); mode == ModeModern && id3 == id1 {
			t.Errorf("%s: different records share id %s", mode, id1)
		}
	}
}

func TestModernNeverRegistered(t *testing.T) {
	t.Parallel()
	for _, tc := range testCases() {
		res, err := New(DefaultOptions(ModeModern)).Resources(Input{Patient: "p", Batch: tc.batch, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if o, ok := r.(*Observation); ok && o.Status != "final" {
				t.Errorf("%s: %s status %q", tc.name, o.ID, o.Status)
			}
		}
	}
}

func TestECGWaveformNotTruncated(t *testing.T) {
	t.Parallel()
	b := ecgBatch()
	samples := make([]int32, 15000) // 30 s at 500 Hz; the original kept 10,000
	for i := range samples {
		samples[i] = int32(i%400 - 200)
	}
	b.Measurements[0].ECG.Samples = samples
	for _, mode := range []string{ModeModern, ModeLegacy} {
		res, err := New(DefaultOptions(mode)).Resources(Input{Patient: "p", Batch: b, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		var data string
		switch o := res[0].(type) {
		case *Observation:
			data = o.Component[0].ValueSampledData.Data.String()
		case *LegacyObservation:
			data = o.Component[0].ValueSampledData.Data.String()
		}
		if n := len(strings.Fields(data)); n != len(samples) {
			t.Errorf("%s: waveform has %d samples, want %d", mode, n, len(samples))
		}
	}
}

func TestInvalidMeasurementsNameFieldNotValue(t *testing.T) {
	t.Parallel()
	const secret = 123.456
	nan := wm(health.KindBodyWeight, "1:1", health.Gap())
	tests := []struct {
		name string
		m    health.Measurement
		want string
	}{
		{"unknown kind", health.Measurement{Kind: "bogus", Provider: "withings", RecordID: "1", Start: t0, Value: secret}, "unknown kind"},
		{"no record", health.Measurement{Kind: health.KindBodyWeight, Provider: "withings", Start: t0, Value: secret}, "no record id"},
		{"no time", health.Measurement{Kind: health.KindBodyWeight, Provider: "withings", RecordID: "1", Value: secret}, "no time"},
		{"nan", nan, "not a finite number"},
		{"bp payload", health.Measurement{Kind: health.KindBloodPressure, Provider: "withings", RecordID: "1", Start: t0, Value: secret}, "no blood pressure payload"},
		{"bad day", health.Measurement{Kind: health.KindStepsDaily, Provider: "withings", RecordID: "1", Day: "15/01/2024", Value: secret}, "day is not"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(DefaultOptions(ModeModern)).Resources(Input{Patient: "p", Batch: health.Batch{Measurements: []health.Measurement{tt.m}}, Now: testNow})
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "measurement 0") {
				t.Errorf("error %q does not name position and %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "123.456") {
				t.Errorf("error %q leaks the value", err)
			}
			if health.KindOf(err) != health.KindInvalid {
				t.Errorf("kind = %s, want invalid", health.KindOf(err))
			}
		})
	}
}
