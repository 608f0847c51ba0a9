package fitbit

import (
	"strings"
	"testing"

	"github.com/ohx-health/ohx/internal/health"
)

// TestDecodeErrors feeds malformed responses and checks that each fails
// with KindBadProvider, a message that names the position or field, and no
// trace of the health values in the input (72.5, 98765 and 4242 stand for
// them).
func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	const st = `"sampleTime":{"physicalTime":"2026-09-25T10:04:59Z","utcOffset":"32400s"}`
	const iv = `"interval":{"startTime":"2026-09-25T10:00:00Z","endTime":"2026-09-25T10:01:00Z"}`
	hr := func(extra string) string { return `{"dataPoints":[{"heartRate":{` + st + extra + `}}]}` }
	ecg := func(fields string) string {
		return `{"dataPoints":[{"name":"n","electrocardiogram":{"interval":{"startTime":"2026-03-15T08:00:00Z"},` + fields + `}}]}`
	}
	tests := []struct {
		name, source, body string
		wantKind           health.ErrorKind
		wantMsg            string
	}{
		{"empty body", "heart-rate", "", health.KindBadProvider, "fitbit heart-rate: empty response body"},
		{"not JSON", "heart-rate", "<html>98765</html>", health.KindBadProvider, "response body is not a JSON object (found a non-JSON value)"},
		{"string body", "steps", `"98765"`, health.KindBadProvider, "not a JSON object (found string)"},
		{"array body", "paired-devices", `[{"batteryLevel":98765}]`, health.KindBadProvider, "not a JSON object (found array)"},
		{"truncated", "heart-rate", `{"dataPoints":[{"heartRate":{"beatsPerMinute":"98765"`, health.KindBadProvider, "truncated JSON"},
		{"syntax error", "heart-rate", `{"dataPoints":[{"heartRate":{"beatsPerMinute":"98765" "x":1}}]}`, health.KindBadProvider, "invalid JSON at byte"},
		{"points as object", "heart-rate", `{"dataPoints":{"beatsPerMinute":98765}}`, health.KindBadProvider, "field dataPoints: cannot read a JSON object"},
		{"bpm as object", "heart-rate", hr(`,"beatsPerMinute":{"v":98765}`), health.KindBadProvider,
			"field dataPoints.heartRate.beatsPerMinute: cannot read a JSON object as int64"},
		{"fractional int64", "heart-rate", hr(`,"beatsPerMinute":"72.5"`), health.KindBadProvider,
			"field dataPoints.heartRate.beatsPerMinute: cannot read a JSON string as int64"},
		{"int64 with text", "steps", `{"dataPoints":[{"steps":{` + iv + `,"count":"98765 steps"}}]}`, health.KindBadProvider,
			"field dataPoints.steps.count: cannot read a JSON string as int64"},
		{"NaN double", "weight", `{"dataPoints":[{"name":"n","weight":{` + st + `,"weightGrams":"NaN"}}]}`, health.KindBadProvider,
			"field dataPoints.weight.weightGrams: cannot read a JSON string as float64"},
		{"infinite double", "weight", `{"dataPoints":[{"name":"n","weight":{` + st + `,"weightGrams":9e98765}}]}`, health.KindBadProvider,
			"field dataPoints.weight.weightGrams: cannot read a JSON number as float64"},
		{"bad timestamp", "heart-rate", `{"dataPoints":[{"heartRate":{"sampleTime":{"physicalTime":"4242-98765"},"beatsPerMinute":"1"}}]}`,
			health.KindBadProvider, "field dataPoints.heartRate.sampleTime.physicalTime: cannot read a JSON string as time.Time"},
		{"bad offset", "heart-rate", `{"dataPoints":[{"heartRate":{"sampleTime":{"physicalTime":"2026-09-25T10:04:59Z","utcOffset":98765},"beatsPerMinute":"1"}}]}`,
			health.KindBadProvider, "field dataPoints.heartRate.sampleTime.utcOffset: cannot read a JSON number as time.Duration"},
		{"wrong union (§10.3)", "heart-rate", `{"dataPoints":[{"steps":{` + iv + `,"count":"98765"}}]}`, health.KindBadProvider,
			"fitbit heart-rate: dataPoints[0]: no heartRate value"},
		{"no time", "heart-rate", `{"dataPoints":[{"heartRate":{"beatsPerMinute":"98765"}}]}`, health.KindBadProvider,
			"dataPoints[0].heartRate.sampleTime.physicalTime: missing"},
		{"no value", "heart-rate", `{"dataPoints":[{"heartRate":{` + st + `,"beatsPerMinute":"98765"}},{"heartRate":{` + st + `}}]}`,
			health.KindBadProvider, "dataPoints[1].heartRate.beatsPerMinute: missing"},
		{"interval ends first", "steps", `{"dataPoints":[{"steps":{"interval":{"startTime":"2026-09-25T10:01:00Z","endTime":"2026-09-25T10:00:00Z"},"count":"98765"}}]}`,
			health.KindBadProvider, "dataPoints[0].steps.interval: endTime before startTime"},
		{"interval without end", "distance", `{"dataPoints":[{"distance":{"interval":{"startTime":"2026-09-25T10:01:00Z"},"millimeters":"98765"}}]}`,
			health.KindBadProvider, "dataPoints[0].distance.interval.endTime: missing"},
		{"bad date", "daily-resting-heart-rate", `{"dataPoints":[{"dailyRestingHeartRate":{"date":{"year":2026,"month":2,"day":30},"beatsPerMinute":"98765"}}]}`,
			health.KindBadProvider, "dataPoints[0].dailyRestingHeartRate.date: missing or not a calendar date"},
		{"weight without name (§10.7)", "weight", `{"dataPoints":[{"name":"a","weight":{` + st + `,"weightGrams":98765}},{"weight":{` + st + `,"weightGrams":4242}}]}`,
			health.KindBadProvider, "fitbit weight: dataPoints[1]: name missing"},
		{"name as object", "body-fat", `{"dataPoints":[{"name":{"id":98765},"bodyFat":{` + st + `,"percentage":72.5}}]}`,
			health.KindBadProvider, "field dataPoints.name: cannot read a JSON object as string"},
		{"sleep without name", "sleep", `{"dataPoints":[{"sleep":{` + iv + `,"summary":{"minutesAsleep":"4242"}}}]}`,
			health.KindBadProvider, "dataPoints[0]: name missing"},
		{"sleep negative minutes", "sleep", `{"dataPoints":[{"name":"n","sleep":{` + iv + `,"summary":{"minutesAsleep":"-98765"}}}]}`,
			health.KindBadProvider, "dataPoints[0].sleep.summary.minutesAsleep: out of range"},
		{"sleep huge stage minutes", "sleep", `{"dataPoints":[{"name":"n","sleep":{` + iv + `,"summary":{"stagesSummary":[{"type":"DEEP","minutes":"987654321987"}]}}}]}`,
			health.KindBadProvider, "dataPoints[0].sleep.summary.stagesSummary[0].minutes: out of range"},
		{"sleep stage without end", "sleep", `{"dataPoints":[{"name":"n","sleep":{` + iv + `,"stages":[{"startTime":"2026-09-25T10:00:00Z","endTime":"2026-09-25T10:01:00Z","type":"DEEP"},{"startTime":"2026-09-25T10:00:00Z","type":"REM"}]}}]}`,
			health.KindBadProvider, "dataPoints[0].sleep.stages[1].endTime: missing"},
		{"sleep without interval", "sleep", `{"dataPoints":[{"name":"n","sleep":{"summary":{"minutesAsleep":"4242"}}}]}`,
			health.KindBadProvider, "dataPoints[0].sleep.interval: missing"},
		{"ecg fractional sample", "electrocardiogram", ecg(`"samplingFrequencyHertz":250,"millivoltsScalingFactor":10922,"waveformSamples":[1,72.5]`),
			health.KindBadProvider, "dataPoints[0].electrocardiogram.waveformSamples[1]: not a 32-bit integer"},
		{"ecg sample beyond int32", "electrocardiogram", ecg(`"samplingFrequencyHertz":250,"millivoltsScalingFactor":10922,"waveformSamples":[4242987650]`),
			health.KindBadProvider, "dataPoints[0].electrocardiogram.waveformSamples[0]: not a 32-bit integer"},
		{"ecg sample as text", "electrocardiogram", ecg(`"samplingFrequencyHertz":250,"millivoltsScalingFactor":10922,"waveformSamples":["98765 uV"]`),
			health.KindBadProvider, "field dataPoints.electrocardiogram.waveformSamples: cannot read a JSON string as float64"},
		{"ecg without frequency", "electrocardiogram", ecg(`"millivoltsScalingFactor":10922,"waveformSamples":[98765]`),
			health.KindBadProvider, "dataPoints[0].electrocardiogram: waveformSamples without a positive samplingFrequencyHertz"},
		{"ecg without scale", "electrocardiogram", ecg(`"samplingFrequencyHertz":250,"millivoltsScalingFactor":0,"waveformSamples":[98765]`),
			health.KindBadProvider, "dataPoints[0].electrocardiogram: waveformSamples without a positive millivoltsScalingFactor"},
		{"ecg without time", "electrocardiogram", `{"dataPoints":[{"name":"n","electrocardiogram":{"beatsPerMinuteAvg":"4242"}}]}`,
			health.KindBadProvider, "dataPoints[0].electrocardiogram.interval.startTime: missing"},
		{"ecg odd lead", "electrocardiogram", ecg(`"leadNumber":98765`),
			health.KindBadProvider, "dataPoints[0].electrocardiogram.leadNumber: not a known lead"},
		{"total-calories list (§10.9)", "total-calories", `{"dataPoints":[{"totalCalories":{"kcal":4242}}]}`,
			health.KindBadProvider, "fitbit total-calories: dataPoints: total-calories has no list"},
		{"total-calories two days", "total-calories", `{"rollupDataPoints":[{"civilStartTime":{"date":{"year":2026,"month":9,"day":24}},"civilEndTime":{"date":{"year":2026,"month":9,"day":26}},"totalCalories":{"kcalSum":4242}}]}`,
			health.KindBadProvider, "rollupDataPoints[0]: window is neither a physical interval nor one civil day"},
		{"total-calories without value", "total-calories", `{"rollupDataPoints":[{"startTime":"2026-09-25T00:00:00Z","endTime":"2026-09-25T01:00:00Z","steps":{"countSum":"98765"}}]}`,
			health.KindBadProvider, "rollupDataPoints[0]: no totalCalories value"},
		{"steps rollup", "steps", `{"rollupDataPoints":[{"startTime":"2026-09-25T00:00:00Z","endTime":"2026-09-25T01:00:00Z","steps":{"countSum":"98765"}}]}`,
			health.KindBadProvider, "fitbit steps: rollupDataPoints: rollup responses are not read"},
		{"device without name", "paired-devices", `{"pairedDevices":[{"name":"a"},{"deviceVersion":"Charge 6","batteryLevel":98765}]}`,
			health.KindBadProvider, "fitbit paired-devices: pairedDevices[1]: name missing"},
		{"device battery as object", "paired-devices", `{"pairedDevices":[{"name":"a","batteryLevel":{"v":4242}}]}`,
			health.KindBadProvider, "field pairedDevices.batteryLevel: cannot read a JSON object as int64"},
		{"unknown source", "blood-pressure", `{}`, health.KindInvalid, `fitbit: unknown source "blood-pressure"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := Decode(tt.source, []byte(tt.body))
			if err == nil {
				t.Fatalf("no error; batch %+v", b)
			}
			if k := health.KindOf(err); k != tt.wantKind {
				t.Errorf("kind = %q, want %q (%v)", k, tt.wantKind, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("error %q does not contain %q", msg, tt.wantMsg)
			}
			for _, secret := range []string{"72.5", "98765", "4242"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q leaks the value %s", msg, secret)
				}
			}
			if len(b.Measurements)+len(b.Devices) != 0 {
				t.Errorf("partial batch returned with the error")
			}
		})
	}
}
