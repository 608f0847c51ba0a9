package fitbit

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ohx-health/ohx/internal/health"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureSources maps every fixture to the source it is a response of.
func fixtureSources() map[string]string {
	return map[string]string{
		"heart_rate_ref8.1.json":                               "heart-rate",
		"daily_resting_heart_rate_ref8.1.json":                 "daily-resting-heart-rate",
		"heart_rate_variability_ref8.5.json":                   "heart-rate-variability",
		"daily_heart_rate_variability_ref8.5.json":             "daily-heart-rate-variability",
		"steps_ref8.2.json":                                    "steps",
		"steps_constructed.json":                               "steps",
		"distance_constructed.json":                            "distance",
		"floors_constructed.json":                              "floors",
		"altitude_constructed.json":                            "altitude",
		"active_energy_burned_constructed.json":                "active-energy-burned",
		"total_calories_dailyrollup_ref8.2.json":               "total-calories",
		"total_calories_rollup_constructed.json":               "total-calories",
		"weight_ref8.3.json":                                   "weight",
		"weight_variants_ref8.3.json":                          "weight",
		"body_fat_ref8.3.json":                                 "body-fat",
		"height_constructed.json":                              "height",
		"oxygen_saturation_ref8.4.json":                        "oxygen-saturation",
		"daily_oxygen_saturation_ref8.4.json":                  "daily-oxygen-saturation",
		"daily_respiratory_rate_constructed.json":              "daily-respiratory-rate",
		"respiratory_rate_sleep_summary_constructed.json":      "respiratory-rate-sleep-summary",
		"daily_sleep_temperature_derivations_constructed.json": "daily-sleep-temperature-derivations",
		"core_body_temperature_constructed.json":               "core-body-temperature",
		"sleep_ref8.6.json":                                    "sleep",
		"sleep_doc_ref8.6.json":                                "sleep",
		"sleep_reconcile_ref8.6.json":                          "sleep",
		"sleep_classic_constructed.json":                       "sleep",
		"electrocardiogram_ref8.7.json":                        "electrocardiogram",
		"electrocardiogram_full_constructed.json":              "electrocardiogram",
		"vo2_max_constructed.json":                             "vo2-max",
		"daily_vo2_max_constructed.json":                       "daily-vo2-max",
		"run_vo2_max_constructed.json":                         "run-vo2-max",
		"paired_devices_ref8.8.json":                           "paired-devices",
		"paired_devices_variants_constructed.json":             "paired-devices",
	}
}

// TestFixturesCovered keeps testdata and the fixture table in step, and
// checks that every source has at least one fixture.
func TestFixturesCovered(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	table := fixtureSources()
	covered := map[string]bool{}
	for _, f := range files {
		src, ok := table[filepath.Base(f)]
		if !ok {
			t.Errorf("%s has no source in fixtureSources", f)
		}
		covered[src] = true
	}
	for _, s := range Sources() {
		if !covered[s] {
			t.Errorf("source %s has no fixture", s)
		}
	}
}

func TestSources(t *testing.T) {
	t.Parallel()
	got := Sources()
	if len(got) != 25 || got[0] != "heart-rate" || got[len(got)-1] != SourcePairedDevices {
		t.Errorf("Sources() = %v", got)
	}
	seen := map[string]bool{}
	for _, s := range got {
		if seen[s] {
			t.Errorf("source %s listed twice", s)
		}
		seen[s] = true
		// The last page of a list can be the literal {} (§3.6, §10.5).
		b, err := Decode(s, []byte(`{}`))
		if err != nil || len(b.Measurements)+len(b.Devices) != 0 || b.Provider != health.ProviderFitbit || b.Source != s {
			t.Errorf("%s: empty page gives %+v, %v", s, b, err)
		}
	}
}

// row is the expected shape of one decoded measurement; times are compared
// as RFC 3339 text so that the UTC offset is checked, not just the instant.
type row struct {
	kind       health.Kind
	id         string
	value      float64
	start, end string
	day        string
	origin     health.Origin
	model      string
}

func rowOf(m health.Measurement) row {
	f := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.RFC3339Nano)
	}
	return row{m.Kind, m.RecordID, m.Value, f(m.Start), f(m.End), m.Day, m.Origin, m.DeviceModel}
}

const (
	dev    = health.OriginDevice
	manual = health.OriginManual
	unk    = health.OriginUnknown
	pw4    = "Pixel Watch 4"
	user   = "users/1173016576421350648/dataTypes/"
)

func TestDecodeFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want []row
	}{
		{"heart_rate_ref8.1.json", []row{
			{health.KindHeartRate, "heart-rate/2026-09-25T10:04:59Z/FITBIT/Pixel Watch 4", 49, "2026-09-25T19:04:59+09:00", "", "", dev, pw4},
			{health.KindHeartRate, "heart-rate/2026-09-25T10:04:57Z/FITBIT/Pixel Watch 4", 50, "2026-09-25T19:04:57+09:00", "", "", dev, pw4},
		}},
		{"daily_resting_heart_rate_ref8.1.json", []row{
			{health.KindRestingHR, "daily-resting-heart-rate/2026-09-25/FITBIT/Pixel Watch 4", 47, "", "", "2026-09-25", dev, pw4},
		}},
		{"heart_rate_variability_ref8.5.json", []row{
			{health.KindHRVRMSSD, "heart-rate-variability/2026-08-29T23:35:00Z/FITBIT/Charge 6", 64.2, "2026-08-30T00:35:00+01:00", "", "", dev, "Charge 6"},
			{health.KindHRVSDNN, "heart-rate-variability/2026-08-29T23:35:00Z/FITBIT/Charge 6", 71.9, "2026-08-30T00:35:00+01:00", "", "", dev, "Charge 6"},
		}},
		{"daily_heart_rate_variability_ref8.5.json", []row{
			// The deep-sleep RMSSD (51.75) has no kind and is not emitted.
			{health.KindHRVRMSSD, "daily-heart-rate-variability/2026-08-30/FITBIT/Charge 6", 78.8, "", "", "2026-08-30", dev, "Charge 6"},
		}},
		{"steps_ref8.2.json", []row{
			{health.KindSteps, "steps/2026-09-25T14:58:00Z/2026-09-25T14:59:00Z/FITBIT/Pixel Watch 4", 2, "2026-09-25T23:58:00+09:00", "2026-09-25T23:59:00+09:00", "", dev, pw4},
			{health.KindSteps, "steps/2026-09-25T14:57:00Z/2026-09-25T14:58:00Z/FITBIT/Pixel Watch 4", 44, "2026-09-25T23:57:00+09:00", "2026-09-25T23:58:00+09:00", "", dev, pw4},
		}},
		{"steps_constructed.json", []row{
			{health.KindSteps, "steps/2026-03-08T03:01:00Z/2026-03-08T03:02:00Z/FITBIT/Charge 6", 17, "2026-03-07T23:01:00-04:00", "2026-03-07T23:02:00-04:00", "", dev, "Charge 6"},
			// The same minute from the phone is a different record.
			{health.KindSteps, "steps/2026-03-08T03:01:00Z/2026-03-08T03:02:00Z/HEALTH_CONNECT/Google PHONE/com.google.android.apps.fitness", 21, "2026-03-07T23:01:00-04:00", "2026-03-07T23:02:00-04:00", "", dev, ""},
			// count omitted: a true zero (§3.8).
			{health.KindSteps, "steps/2026-03-08T03:00:00Z/2026-03-08T03:01:00Z/FITBIT/Charge 6", 0, "2026-03-07T23:00:00-04:00", "2026-03-07T23:01:00-04:00", "", dev, "Charge 6"},
		}},
		{"distance_constructed.json", []row{
			{health.KindDistance, "distance/2026-09-25T14:58:00Z/2026-09-25T14:59:00Z/FITBIT/Pixel Watch 4", 1.5, "2026-09-25T23:58:00+09:00", "2026-09-25T23:59:00+09:00", "", dev, pw4},
			{health.KindDistance, "distance/2026-09-25T14:57:00Z/2026-09-25T14:58:00Z/FITBIT/Pixel Watch 4", 41.25, "2026-09-25T23:57:00+09:00", "2026-09-25T23:58:00+09:00", "", dev, pw4},
		}},
		{"floors_constructed.json", []row{
			{health.KindFloors, "floors/2026-09-25T09:10:00Z/2026-09-25T09:11:00Z/FITBIT/Pixel Watch 4", 2, "2026-09-25T18:10:00+09:00", "2026-09-25T18:11:00+09:00", "", dev, pw4},
		}},
		{"altitude_constructed.json", []row{
			{health.KindElevation, "altitude/2026-09-25T09:10:00Z/2026-09-25T09:11:00Z/FITBIT/Pixel Watch 4", 6.096, "2026-09-25T18:10:00+09:00", "2026-09-25T18:11:00+09:00", "", dev, pw4},
		}},
		{"active_energy_burned_constructed.json", []row{
			{health.KindActiveEnergy, "active-energy-burned/2026-09-25T09:10:00Z/2026-09-25T09:11:00Z/FITBIT/Pixel Watch 4", 4.87, "2026-09-25T18:10:00+09:00", "2026-09-25T18:11:00+09:00", "", dev, pw4},
		}},
		{"total_calories_dailyrollup_ref8.2.json", []row{
			{health.KindTotalEnergy, "total-calories/2026-09-25", 3028.784634, "", "", "2026-09-25", unk, ""},
			{health.KindTotalEnergy, "total-calories/2026-09-24", 2870.5, "", "", "2026-09-24", unk, ""},
		}},
		{"total_calories_rollup_constructed.json", []row{
			{health.KindTotalEnergy, "total-calories/2026-09-25T01:00:00Z/2026-09-25T02:00:00Z", 96.25, "2026-09-25T01:00:00Z", "2026-09-25T02:00:00Z", "", unk, ""},
			{health.KindTotalEnergy, "total-calories/2026-09-25T00:00:00Z/2026-09-25T01:00:00Z", 0, "2026-09-25T00:00:00Z", "2026-09-25T01:00:00Z", "", unk, ""},
		}},
		{"weight_ref8.3.json", []row{
			// Grams to kg; Health Connect's UNKNOWN recording method stays unknown.
			{health.KindBodyWeight, user + "weight/dataPoints/8107172512320991248", 90.2, "2026-09-26T07:15:10+09:00", "", "", unk, ""},
			{health.KindBodyWeight, user + "weight/dataPoints/886503075782888464", 88.3, "2026-09-14T07:57:30+09:00", "", "", unk, ""},
		}},
		{"weight_variants_ref8.3.json", []row{
			{health.KindBodyWeight, user + "weight/dataPoints/55012", 81.5, "2026-09-20T08:00:00+02:00", "", "", manual, ""},
			{health.KindBodyWeight, user + "weight/dataPoints/55013", 81.2345, "2026-09-21T07:45:00.25+02:00", "", "", dev, "Aria Air"},
		}},
		{"body_fat_ref8.3.json", []row{
			{health.KindFatRatio, user + "body-fat/dataPoints/911827026476164016", 25.8, "2026-09-26T07:15:10+09:00", "", "", unk, ""},
		}},
		{"height_constructed.json", []row{
			{health.KindHeight, user + "height/dataPoints/4419377155062384128", 182.5, "2026-01-04T19:30:00+01:00", "", "", manual, ""},
		}},
		{"oxygen_saturation_ref8.4.json", []row{
			{health.KindSpO2, "oxygen-saturation/2026-09-25T21:41:00Z/FITBIT/Pixel Watch 4", 96.5, "2026-09-26T06:41:00+09:00", "", "", dev, pw4},
		}},
		{"daily_oxygen_saturation_ref8.4.json", []row{
			{health.KindSpO2Nightly, "daily-oxygen-saturation/2026-09-26/FITBIT/Pixel Watch 4", 95.8, "", "", "2026-09-26", dev, pw4},
		}},
		{"daily_respiratory_rate_constructed.json", []row{
			{health.KindRespRate, "daily-respiratory-rate/2026-09-26/FITBIT/Pixel Watch 4", 14.6, "", "", "2026-09-26", dev, pw4},
		}},
		{"respiratory_rate_sleep_summary_constructed.json", []row{
			{health.KindRespRate, "respiratory-rate-sleep-summary/2026-09-26T08:23:00Z/FITBIT/Pixel Watch 4", 14.2, "2026-09-26T17:23:00+09:00", "", "", dev, pw4},
		}},
		{"daily_sleep_temperature_derivations_constructed.json", []row{
			{health.KindSkinTemp, "daily-sleep-temperature-derivations/2026-09-26/FITBIT/Pixel Watch 4", 34.12, "", "", "2026-09-26", dev, pw4},
		}},
		{"core_body_temperature_constructed.json", []row{
			{health.KindBodyTemp, user + "core-body-temperature/dataPoints/7730001", 37.4, "2026-09-26T16:00:00+09:00", "", "", manual, ""},
			{health.KindBodyTemp, "core-body-temperature/2026-09-25T21:00:00Z/HEALTH_CONNECT/Withings THERMOMETER/com.withings.wiscale2", 36.9, "2026-09-26T06:00:00+09:00", "", "", dev, ""},
		}},
		{"vo2_max_constructed.json", []row{
			{health.KindVO2Max, "vo2-max/2026-09-24T10:00:00Z/FITBIT/Pixel Watch 4", 44.7, "2026-09-24T19:00:00+09:00", "", "", dev, pw4},
		}},
		{"run_vo2_max_constructed.json", []row{
			{health.KindVO2Max, "run-vo2-max/2026-09-24T10:31:07Z/FITBIT/Pixel Watch 4", 45.3, "2026-09-24T19:31:07+09:00", "", "", dev, pw4},
		}},
		{"daily_vo2_max_constructed.json", []row{
			{health.KindVO2Max, "daily-vo2-max/2026-09-24/FITBIT/Charge 6", 44.1, "", "", "2026-09-24", dev, "Charge 6"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			source := fixtureSources()[tt.file]
			b, err := Decode(source, readFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if b.Provider != health.ProviderFitbit || b.Source != source || len(b.Devices) != 0 {
				t.Errorf("batch header %q %q, %d devices", b.Provider, b.Source, len(b.Devices))
			}
			var got []row
			for _, m := range b.Measurements {
				if m.Provider != health.ProviderFitbit || m.Device != "" {
					t.Errorf("%s: provider %q device %q", m.RecordID, m.Provider, m.Device)
				}
				info, _ := m.Kind.Info()
				if info.Unit == "" {
					t.Errorf("%s: kind %s has no unit", m.RecordID, m.Kind)
				}
				got = append(got, rowOf(m))
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(row{})); diff != "" {
				t.Errorf("measurements (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRMSSDNeverSDNN: a point with only an RMSSD must not yield an SDNN,
// and the other way round.
func TestRMSSDNeverSDNN(t *testing.T) {
	t.Parallel()
	const st = `"sampleTime":{"physicalTime":"2026-08-29T23:35:00Z","utcOffset":"3600s"}`
	for body, want := range map[string]health.Kind{
		`{"dataPoints":[{"heartRateVariability":{` + st + `,"rootMeanSquareOfSuccessiveDifferencesMilliseconds":64.2}}]}`: health.KindHRVRMSSD,
		`{"dataPoints":[{"heartRateVariability":{` + st + `,"standardDeviationMilliseconds":71.9}}]}`:                     health.KindHRVSDNN,
	} {
		b, err := Decode("heart-rate-variability", []byte(body))
		if err != nil || len(b.Measurements) != 1 || b.Measurements[0].Kind != want {
			t.Errorf("want one %s, got %+v, %v", want, b.Measurements, err)
		}
	}
}

func TestDecodeSleep(t *testing.T) {
	t.Parallel()
	jst := time.FixedZone("", 9*3600)
	at := func(h, m int) time.Time { return time.Date(2026, 9, 26, h, m, 0, 0, time.UTC).In(jst) }
	listed := health.Sleep{
		InBed: 254 * time.Minute, Asleep: 248 * time.Minute, Awake: 6 * time.Minute, Latency: 0,
		Light: 146 * time.Minute, Deep: 48 * time.Minute, REM: 54 * time.Minute,
		Awakenings: -1, Efficiency: -1, Score: -1,
		Stages: []health.SleepStage{
			{Stage: health.StageAwake, Start: at(4, 9), End: at(4, 15)},
			{Stage: health.StageLight, Start: at(4, 15), End: at(4, 28)},
		},
	}
	name := user + "sleep/dataPoints/8808518358174752984"
	tests := []struct {
		file   string
		id     string
		origin health.Origin
		model  string
		value  float64
		start  time.Time
		sleep  health.Sleep
	}{
		{"sleep_ref8.6.json", name, dev, pw4, 248 * 60, at(4, 9), listed},
		// Reconcile: dataPointName, no data source, stage summary listed
		// twice; the result is the same session with no attribution.
		{"sleep_reconcile_ref8.6.json", name, unk, "", 248 * 60, at(4, 9), listed},
		// Google's doc example: offsets "0s", a partial summary.
		{"sleep_doc_ref8.6.json", "users/2515055256096816351/dataTypes/sleep/dataPoints/2724123844716220216", dev, "Charge 6", 407 * 60,
			time.Date(2026, 3, 3, 20, 57, 30, 0, time.UTC), health.Sleep{
				InBed: 464 * time.Minute, Asleep: 407 * time.Minute, Awake: 57 * time.Minute, Latency: health.Unknown,
				Light: health.Unknown, Deep: 114 * time.Minute, REM: health.Unknown, Awakenings: -1, Efficiency: -1, Score: -1,
			}},
		// CLASSIC, manual, no summary: stages sorted, value from asleep stages.
		{"sleep_classic_constructed.json", user + "sleep/dataPoints/1002", manual, "", 50 * 60,
			time.Date(2026, 9, 20, 22, 0, 0, 0, jst), health.Sleep{
				InBed: time.Hour, Asleep: health.Unknown, Awake: health.Unknown, Latency: health.Unknown,
				Light: health.Unknown, Deep: health.Unknown, REM: health.Unknown, Awakenings: -1, Efficiency: -1, Score: -1,
				Stages: []health.SleepStage{
					{Stage: health.StageAsleep, Start: time.Date(2026, 9, 20, 22, 0, 0, 0, jst), End: time.Date(2026, 9, 20, 22, 10, 0, 0, jst)},
					{Stage: health.StageRestless, Start: time.Date(2026, 9, 20, 22, 10, 0, 0, jst), End: time.Date(2026, 9, 20, 22, 20, 0, 0, jst)},
					{Stage: health.StageAsleep, Start: time.Date(2026, 9, 20, 22, 20, 0, 0, jst), End: time.Date(2026, 9, 20, 23, 0, 0, 0, jst)},
				},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			b, err := Decode("sleep", readFixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Measurements) != 1 {
				t.Fatalf("%d measurements", len(b.Measurements))
			}
			m := b.Measurements[0]
			if m.Kind != health.KindSleep || m.RecordID != tt.id || m.Origin != tt.origin || m.DeviceModel != tt.model || m.Value != tt.value {
				t.Errorf("got %s %q %q %q %v", m.Kind, m.RecordID, m.Origin, m.DeviceModel, m.Value)
			}
			if !sameTime(m.Start, tt.start) || !sameTime(m.End, tt.start.Add(tt.sleep.InBed)) {
				t.Errorf("session %v – %v", m.Start, m.End)
			}
			if diff := cmp.Diff(&tt.sleep, m.Sleep, cmp.Comparer(sameTime)); diff != "" {
				t.Errorf("sleep (-want +got):\n%s", diff)
			}
		})
	}
}

// sameTime compares instants and their UTC offsets.
func sameTime(a, b time.Time) bool {
	return a.Equal(b) && a.Format(time.RFC3339Nano) == b.Format(time.RFC3339Nano)
}

func TestDecodeSleepModified(t *testing.T) {
	t.Parallel()
	b, err := Decode("sleep", readFixture(t, "sleep_ref8.6.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 9, 26, 8, 33, 42, 827423000, time.UTC)
	if got := b.Measurements[0].Modified; !got.Equal(want) {
		t.Errorf("Modified = %v, want %v", got, want)
	}
}

func TestDecodeECG(t *testing.T) {
	t.Parallel()
	b, err := Decode("electrocardiogram", readFixture(t, "electrocardiogram_ref8.7.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := health.Measurement{
		Kind: health.KindECG, Provider: health.ProviderFitbit,
		RecordID: user + "electrocardiogram/dataPoints/5542097316428810123",
		Start:    time.Date(2026, 3, 15, 9, 0, 0, 0, time.FixedZone("", 3600)), DeviceModel: pw4, Origin: dev,
		ECG: &health.ECG{
			Samples: []int32{975, 1224, 1382, 1441, 1320, 1102}, SamplingRate: 250, Scale: 1.0 / 10922, ScaleUnit: "mV", Lead: "I",
			Classification: health.Classification{Rhythm: health.RhythmSinus, ProviderCode: "NORMAL_SINUS_RHYTHM"},
			HeartRate:      71, Firmware: "BP1A.250405.007", FeatureVersion: "1.2.3",
		},
	}
	if diff := cmp.Diff([]health.Measurement{want}, b.Measurements, cmp.Comparer(sameTime)); diff != "" {
		t.Errorf("ECG (-want +got):\n%s", diff)
	}
}

// TestDecodeECGFullWaveform: a 30 s reading at 250 Hz keeps all 7500
// samples, first and last included; a historical reading without offsets
// stays in UTC and keeps its classification without a waveform.
func TestDecodeECGFullWaveform(t *testing.T) {
	t.Parallel()
	b, err := Decode("electrocardiogram", readFixture(t, "electrocardiogram_full_constructed.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Measurements) != 2 {
		t.Fatalf("%d measurements", len(b.Measurements))
	}
	e := b.Measurements[0].ECG
	if len(e.Samples) != 7500 || e.Samples[0] != 975 || e.Samples[7499] != -1 {
		t.Errorf("waveform: %d samples, first %d, last %d", len(e.Samples), e.Samples[0], e.Samples[len(e.Samples)-1])
	}
	if d := time.Duration(float64(len(e.Samples)) / e.SamplingRate * float64(time.Second)); d != 30*time.Second {
		t.Errorf("waveform covers %v", d)
	}
	old := b.Measurements[1]
	if old.Start.Location() != time.UTC || !old.Start.Equal(time.Date(2024, 2, 1, 19, 12, 40, 0, time.UTC)) || !old.End.IsZero() {
		t.Errorf("historical reading at %v – %v", old.Start, old.End)
	}
	if old.ECG.Classification.Rhythm != health.RhythmHighHR || len(old.ECG.Samples) != 0 || old.ECG.HeartRate != 128 || old.DeviceModel != "Sense 2" {
		t.Errorf("historical reading %+v", old.ECG)
	}
}

func TestDecodePairedDevices(t *testing.T) {
	t.Parallel()
	sync := time.Date(2026, 9, 26, 8, 40, 12, 0, time.UTC)
	tests := []struct {
		file string
		want []health.Device
	}{
		{"paired_devices_ref8.8.json", []health.Device{{
			Provider: health.ProviderFitbit, ID: "users/me/pairedDevices/2291734021", Manufacturer: "Fitbit", Model: "Charge 6",
			Type: health.DeviceActivityTracker, ProviderType: "TRACKER", Battery: 82, BatteryText: "High", LastSession: sync,
		}}},
		{"paired_devices_variants_constructed.json", []health.Device{
			{Provider: health.ProviderFitbit, ID: "users/1173016576421350648/pairedDevices/3301", Manufacturer: "Google", Model: "Pixel Watch 4",
				Type: health.DeviceActivityTracker, ProviderType: "TRACKER", Battery: 47, BatteryText: "Medium",
				LastSession: time.Date(2026, 9, 26, 8, 41, 0, 500_000_000, time.UTC)},
			// No level: the status gives a representative level.
			{Provider: health.ProviderFitbit, ID: "users/1173016576421350648/pairedDevices/3302", Manufacturer: "Fitbit", Model: "Aria Air",
				Type: health.DeviceScale, ProviderType: "SCALE", Battery: 20, BatteryText: "Low"},
			// An unknown type and no battery at all.
			{Provider: health.ProviderFitbit, ID: "users/1173016576421350648/pairedDevices/3303", Manufacturer: "Fitbit", Model: "Charge 6",
				Type: health.DeviceUnknown, ProviderType: "SMART_RING", Battery: -1},
		}},
	}
	for _, tt := range tests {
		b, err := Decode(SourcePairedDevices, readFixture(t, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Measurements) != 0 {
			t.Errorf("%s: %d measurements", tt.file, len(b.Measurements))
		}
		if diff := cmp.Diff(tt.want, b.Devices); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.file, diff)
		}
	}
}

// TestDecodeTolerance: int64 fields as numbers, doubles as strings, unknown
// fields and union members, a repeated point, and odd offsets.
func TestDecodeTolerance(t *testing.T) {
	t.Parallel()
	body := `{"dataPoints":[
{"dataSource":{"recordingMethod":"PASSIVELY_MEASURED","device":{"displayName":"Charge/6 100%"},"platform":"FITBIT","future":1},
 "heartRate":{"sampleTime":{"physicalTime":"2026-09-25T10:04:59.5Z","utcOffset":"19800s","civilTime":{}},"beatsPerMinute":61,
 "metadata":{"motionContext":"ACTIVE"}},"newUnionMember":{"x":[1,2]}},
{"dataSource":{"recordingMethod":"PASSIVELY_MEASURED","device":{"displayName":"Charge/6 100%"},"platform":"FITBIT"},
 "heartRate":{"sampleTime":{"physicalTime":"2026-09-25T15:34:59.5+05:30","utcOffset":"19800s"},"beatsPerMinute":"62"}},
{"heartRate":{"sampleTime":{"physicalTime":"2026-09-25T10:05:00Z","utcOffset":"30s"},"beatsPerMinute":"63.0"}},
{"heartRate":{"sampleTime":{"physicalTime":"2026-09-25T10:05:01Z","utcOffset":"90000s"},"beatsPerMinute":"64"}},
{"heartRate":{"sampleTime":{"physicalTime":"2026-09-25T10:05:02Z"},"beatsPerMinute":"65"}}
],"nextPageToken":null,"unknown":{"a":1}}`
	b, err := Decode("heart-rate", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var got []row
	for _, m := range b.Measurements {
		got = append(got, rowOf(m))
	}
	want := []row{
		// The second point is the same instant and source: the first wins.
		{health.KindHeartRate, "heart-rate/2026-09-25T10:04:59.5Z/FITBIT/Charge%2F6 100%25", 61, "2026-09-25T15:34:59.5+05:30", "", "", dev, "Charge/6 100%"},
		// Offsets that are not whole minutes or beyond ±18 h are dropped.
		{health.KindHeartRate, "heart-rate/2026-09-25T10:05:00Z", 63, "2026-09-25T10:05:00Z", "", "", unk, ""},
		{health.KindHeartRate, "heart-rate/2026-09-25T10:05:01Z", 64, "2026-09-25T10:05:01Z", "", "", unk, ""},
		{health.KindHeartRate, "heart-rate/2026-09-25T10:05:02Z", 65, "2026-09-25T10:05:02Z", "", "", unk, ""},
	}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(row{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestIdentityStableAcrossCorrections: a corrected value keeps its record
// id, for named and unnamed types alike.
func TestIdentityStableAcrossCorrections(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"heart_rate_ref8.1.json", "steps_ref8.2.json", "weight_ref8.3.json", "daily_oxygen_saturation_ref8.4.json"} {
		body := readFixture(t, f)
		src := fixtureSources()[f]
		a, err := Decode(src, body)
		if err != nil {
			t.Fatal(err)
		}
		changed := slices.Clone(body)
		for _, pair := range [][2]string{{`"49"`, `"52"`}, {`"44"`, `"45"`}, {`90200`, `90100`}, {`95.8`, `96.1`}} {
			changed = []byte(strings.ReplaceAll(string(changed), pair[0], pair[1]))
		}
		b, err := Decode(src, changed)
		if err != nil {
			t.Fatal(err)
		}
		for i := range a.Measurements {
			if a.Measurements[i].RecordID != b.Measurements[i].RecordID {
				t.Errorf("%s: id changed with the value", f)
			}
		}
		if cmp.Equal(a, b, cmp.Comparer(sameTime)) {
			t.Errorf("%s: correction not seen", f)
		}
	}
}
