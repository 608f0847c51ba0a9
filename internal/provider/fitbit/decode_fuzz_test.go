package fitbit

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ohx-health/ohx/internal/health"
)

// FuzzDecode decodes mutated responses as every source. Decode must never
// panic; it either fails with a classified error or returns a deterministic
// batch whose measurements and devices are well formed.
func FuzzDecode(f *testing.F) {
	sources := Sources()
	for file, src := range fixtureSources() {
		f.Add(uint8(slices.Index(sources, src)), readFixture(f, file))
	}
	for i := range sources {
		f.Add(uint8(i), []byte(`{}`))
	}
	f.Add(uint8(slices.Index(sources, "heart-rate")), []byte(`{"dataPoints":[{"heartRate":{"sampleTime":{"physicalTime":"2026-09-25T10:04:59Z","utcOffset":"-64800s"},"beatsPerMinute":9223372036854775807}}]}`))
	f.Add(uint8(slices.Index(sources, "sleep")), []byte(`{"dataPoints":[{"name":"n","sleep":{"interval":{"startTime":"1900-01-01T00:00:00Z","endTime":"2100-12-31T23:59:59.999999999Z"},"summary":{"minutesAsleep":"100000000"}}}]}`))
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		checkDecode(t, sources[int(which)%len(sources)], data)
	})
}

// checkDecode runs Decode and checks what must hold for any input.
func checkDecode(t *testing.T, source string, data []byte) {
	b, err := Decode(source, data)
	if err != nil {
		if k := health.KindOf(err); k != health.KindBadProvider && k != health.KindInvalid {
			t.Fatalf("error kind %q: %v", k, err)
		}
		if health.MessageOf(err) == "" {
			t.Fatal("empty error message")
		}
		if len(b.Measurements)+len(b.Devices) != 0 {
			t.Fatal("partial batch with an error")
		}
		return
	}
	again, err := Decode(source, data)
	if err != nil || !cmp.Equal(b, again) {
		t.Fatalf("decoding twice differs (err %v)", err)
	}
	if b.Provider != health.ProviderFitbit || b.Source != source {
		t.Fatalf("batch header %q %q", b.Provider, b.Source)
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
		if d.ID == "" || d.Provider != health.ProviderFitbit || d.Battery < -1 || d.Battery > 100 {
			t.Fatalf("device %d: %+v", i, d)
		}
	}
}

// checkMeasurement reports what is malformed about m.
func checkMeasurement(m *health.Measurement) error {
	if _, ok := m.Kind.Info(); !ok {
		return fmt.Errorf("unknown kind %q", m.Kind)
	}
	if m.RecordID == "" || m.Provider != health.ProviderFitbit {
		return fmt.Errorf("identity %q/%q", m.Provider, m.RecordID)
	}
	if math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
		return fmt.Errorf("value is not finite")
	}
	if m.Start.IsZero() && m.Day == "" {
		return fmt.Errorf("no time")
	}
	if m.Day != "" {
		if _, err := time.Parse(time.DateOnly, m.Day); err != nil {
			return fmt.Errorf("day is not a date")
		}
	}
	if !m.End.IsZero() && m.End.Before(m.Start) {
		return fmt.Errorf("period ends before it starts")
	}
	if _, off := m.Start.Zone(); off > 18*3600 || off < -18*3600 || off%60 != 0 {
		return fmt.Errorf("offset out of range")
	}
	if m.Series != nil {
		return fmt.Errorf("series from irregular points")
	}
	if s := m.Sleep; s != nil {
		for _, d := range []time.Duration{s.InBed, s.Asleep, s.Awake, s.Light, s.Deep, s.REM, s.Latency} {
			if d < health.Unknown {
				return fmt.Errorf("negative sleep duration")
			}
		}
		for _, st := range s.Stages {
			if st.End.Before(st.Start) {
				return fmt.Errorf("stage ends before it starts")
			}
		}
	}
	if e := m.ECG; e != nil {
		if len(e.Samples) > 0 && (!(e.SamplingRate > 0) || !(e.Scale > 0) || math.IsInf(e.Scale, 0) || e.ScaleUnit != "mV") {
			return fmt.Errorf("ECG samples without rate or scale")
		}
		if math.IsNaN(e.HeartRate) || math.IsInf(e.HeartRate, 0) {
			return fmt.Errorf("ECG heart rate not finite")
		}
	}
	return nil
}

// BenchmarkDecodeHeartRateDay decodes a day of 1 s heart-rate samples in
// one page, the largest list response ohx reads (§9.4).
func BenchmarkDecodeHeartRateDay(b *testing.B) {
	page := heartRatePage(86400)
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode("heart-rate", page); err != nil {
			b.Fatal(err)
		}
	}
}

// heartRatePage builds a heart-rate list page of n points, newest first.
func heartRatePage(n int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"dataPoints":[`)
	t0 := time.Date(2026, 9, 25, 15, 0, 0, 0, time.UTC)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		at := t0.Add(-time.Duration(i) * time.Second)
		fmt.Fprintf(&sb, `{"dataSource":{"recordingMethod":"PASSIVELY_MEASURED","device":{"displayName":"Pixel Watch 4"},"platform":"FITBIT"},`+
			`"heartRate":{"sampleTime":{"physicalTime":%q,"utcOffset":"32400s","civilTime":{"date":{"year":2026,"month":9,"day":25},"time":{"hours":%d}}},"beatsPerMinute":"%d"}}`,
			at.Format(time.RFC3339), at.Hour(), 50+i%60)
	}
	sb.WriteString(`],"nextPageToken":""}`)
	return []byte(sb.String())
}
