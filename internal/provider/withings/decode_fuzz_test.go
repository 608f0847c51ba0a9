package withings

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ohx-health/ohx/internal/health"
)

// checkDecode runs Decode and checks what must hold for any input: no
// panic, errors of the decode kind with a message, and, on success, a
// deterministic batch whose measurements are well formed.
func checkDecode(t *testing.T, source string, data []byte) {
	b, err := Decode(source, data)
	if err != nil {
		if k := health.KindOf(err); k != health.KindBadProvider {
			t.Fatalf("error kind %q: %v", k, err)
		}
		if health.MessageOf(err) == "" {
			t.Fatal("empty error message")
		}
		return
	}
	again, err := Decode(source, data)
	if err != nil || !cmp.Equal(b, again, cmpOpts()) {
		t.Fatalf("decoding twice differs (err %v)", err)
	}
	seen := map[string]bool{}
	for i, m := range b.Measurements {
		if err := checkMeasurement(&m); err != nil {
			t.Fatalf("measurement %d: %v", i, err)
		}
		key := string(m.Kind) + "/" + m.RecordID
		if seen[key] {
			t.Fatalf("measurement %d: identity %s repeated", i, key)
		}
		seen[key] = true
	}
	for i, d := range b.Devices {
		if d.ID == "" || d.Provider != health.ProviderWithings {
			t.Fatalf("device %d: %+v", i, d)
		}
	}
}

// checkMeasurement reports what is malformed about m.
func checkMeasurement(m *health.Measurement) error {
	if _, ok := m.Kind.Info(); !ok {
		return fmt.Errorf("unknown kind %q", m.Kind)
	}
	if m.RecordID == "" || m.Provider != health.ProviderWithings {
		return fmt.Errorf("identity %q/%q", m.Provider, m.RecordID)
	}
	if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
		return fmt.Errorf("value is not finite")
	}
	if !m.End.IsZero() && m.End.Before(m.Start) {
		return fmt.Errorf("period ends before it starts")
	}
	if s := m.Series; s != nil {
		if len(s.Values) == 0 || len(s.Values) > hourSeconds+1 || s.Interval <= 0 {
			return fmt.Errorf("series of %d values every %v", len(s.Values), s.Interval)
		}
	}
	if e := m.ECG; e != nil && len(e.Samples) > 0 && e.SamplingRate <= 0 {
		return fmt.Errorf("ECG samples without a sampling rate")
	}
	return nil
}

// addSeeds adds the fixtures and extra bodies to a fuzz corpus.
func addSeeds(f *testing.F, fixtures []string, bodies ...string) {
	for _, name := range fixtures {
		f.Add(readFixture(f, name))
	}
	for _, b := range bodies {
		f.Add([]byte(b))
	}
}

func FuzzDecodeGetmeas(f *testing.F) {
	addSeeds(f, []string{
		"getmeas_weight_bodyplus_aiowithings.json",
		"getmeas_bp_temperature_height_shimmer.json",
		"getmeas_measuregrps_bp_bpmconnect_bodycardio_subset_aiowithings.json",
		"getmeas_measuregrps_bodyscan_segmental_positions_aiowithings.json",
		"synthetic_getmeas_spo2_ecg_tolerance.json",
	},
		`{"measuregrps":[{"grpid":"1","date":2,"attrib":17,"measures":[{"type":130,"unit":0,"value":8}]}]}`,
		`[{"grpid":1,"date":2,"category":2,"measures":[{"type":1,"unit":-30,"value":1}]}]`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, SourceGetmeas, data)
	})
}

func FuzzDecodeActivity(f *testing.F) {
	for _, name := range []string{"getactivity_aiowithings.json", "getactivity_shimmer_2015.json"} {
		f.Add(uint8(0), readFixture(f, name))
	}
	for _, name := range []string{"getintradayactivity_shimmer.json", "synthetic_getintradayactivity_hr.json"} {
		f.Add(uint8(1), readFixture(f, name))
	}
	f.Add(uint8(0), []byte(`{"activities":[{"date":"2023-03-26","timezone":"Europe/Paris","steps":"1"}]}`))
	f.Add(uint8(1), []byte(`{"series":{"-1":{"heart_rate":1},"3599":{"heart_rate":2,"duration":1e30}}}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		source := SourceGetactivity
		if which%2 == 1 {
			source = SourceGetintradayactivity
		}
		checkDecode(t, source, data)
	})
}

func FuzzDecodeSleep(f *testing.F) {
	f.Add(uint8(0), []byte(trimmedSleepGet))
	f.Add(uint8(1), []byte(trimmedSleepSummary))
	f.Add(uint8(1), []byte(`{"series":[{"id":1,"startdate":1,"enddate":0,"data":{"sleep_efficiency":"2","waso":-1}}]}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		source := SourceSleepGet
		if which%2 == 1 {
			source = SourceSleepGetsummary
		}
		checkDecode(t, source, data)
	})
}

func FuzzDecodeHeart(f *testing.F) {
	addSeeds(f, []string{"synthetic_heart_list_with_signal.json"},
		`{"series":[{"model":"93","ecg":{"signalid":"9","afib":13,"signal":[0,-2147483648],"sampling_frequency":"500","wearposition":99},"timestamp":5}]}`,
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkDecode(t, SourceHeartList, data)
	})
}

// trimmedSleepGet and trimmedSleepSummary are the first items of the
// sleep fixtures, small enough for the fuzzer to mutate quickly.
const (
	trimmedSleepGet = `{"status":0,"body":{"series":[{"startdate":1618691453,"state":0,"enddate":1618691573,
"model":"Aura Sensor V2","hr":{"1618691453":70,"1618691513":71},"rr":{"1618691453":15,"1618691513":15},
"snoring":{"1618691453":0,"1618691513":0},"hash_deviceid":"201d0b9a0556d6b755166b2cf8d22d3bdf0487ee","model_id":63},
{"startdate":1618691573,"state":1,"enddate":1618692233,"model":"Aura Sensor V2","hr":{"1618691573":72,"1618692130":73},
"rr":[],"model_id":63}],"model":32}}`
	trimmedSleepSummary = `{"status":0,"body":{"series":[{"id":2081804182,"timezone":"Europe/Paris","model":32,"model_id":63,
"hash_deviceid":"201d0b9a0556d6b755166b2cf8d22d3bdf0487ee","startdate":1618691453,"enddate":1618713173,"date":"2021-04-18",
"data":{"wakeupduration":3060,"wakeupcount":1,"durationtosleep":540,"remsleepduration":2400,"total_sleep_time":18660,
"sleep_efficiency":0.86,"sleep_latency":540,"waso":1380,"lightsleepduration":10440,"deepsleepduration":5820,
"hr_average":103,"sleep_score":37,"apnea_hypopnea_index":-1},"created":1620237476,"modified":1620237476}],
"more":true,"offset":300}}`
)

// TestFuzzSeedsDecode keeps the hand-written seeds honest: they must
// decode, so the fuzzers start from valid inputs.
func TestFuzzSeedsDecode(t *testing.T) {
	t.Parallel()
	for source, body := range map[string]string{
		SourceSleepGet: trimmedSleepGet, SourceSleepGetsummary: trimmedSleepSummary,
	} {
		b, err := Decode(source, []byte(body))
		if err != nil || len(b.Measurements) == 0 {
			t.Errorf("%s seed: %d measurements, %v", source, len(b.Measurements), err)
		}
	}
}

// BenchmarkDecodeGetmeas decodes a getmeas page of 1,000 groups shaped like
// the real captures (body composition, blood pressure and SpO2 groups), as
// the full envelope and as the inner body the API client passes on.
func BenchmarkDecodeGetmeas(b *testing.B) {
	page := getmeasPage(1000)
	inner := page[len(`{"status":0,"body":`) : len(page)-1]
	for _, bm := range []struct {
		name string
		data []byte
	}{{"envelope", page}, {"body", inner}} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(bm.data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(SourceGetmeas, bm.data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// getmeasPage builds a getmeas response with n groups.
func getmeasPage(n int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"status":0,"body":{"updatetime":1700000000,"timezone":"Europe/Amsterdam","more":0,"offset":0,"measuregrps":[`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		var measures string
		switch i % 3 {
		case 0:
			measures = `{"value":90200,"type":1,"unit":-3,"algo":0,"fm":131},{"value":1040,"type":8,"unit":-2},` +
				`{"value":7539,"type":76,"unit":-2},{"value":5759,"type":77,"unit":-2},{"value":440,"type":88,"unit":-2},` +
				`{"value":11530,"type":6,"unit":-3},{"value":79160,"type":5,"unit":-3}`
		case 1:
			measures = `{"value":10600,"type":9,"unit":-2,"algo":0,"fm":131},{"value":15800,"type":10,"unit":-2,"algo":0,"fm":131},` +
				`{"value":6200,"type":11,"unit":-2,"algo":0,"fm":131}`
		default:
			measures = `{"value":98,"type":54,"unit":0},{"value":62,"type":11,"unit":0}`
		}
		fmt.Fprintf(&sb, `{"grpid":%d,"attrib":0,"date":%d,"created":%d,"modified":%d,"category":1,`+
			`"deviceid":"91a7e556c2022ef54dca6e07a853c3193734d148","hash_deviceid":"91a7e556c2022ef54dca6e07a853c3193734d148",`+
			`"measures":[%s],"modelid":45,"model":"BPM Connect","comment":null}`,
			5000000000+i, 1700000000-i*600, 1700000100-i*600, 1700000100-i*600, measures)
	}
	sb.WriteString(`]}}`)
	return []byte(sb.String())
}
