package withings

import (
	"strings"
	"testing"

	"github.com/ohx-health/ohx/internal/health"
)

// TestDecodeErrors feeds malformed responses and checks that each fails
// with KindBadProvider, a message that says what was wrong, and no trace of
// the health values in the input (72.5, 98765 and 4242 stand for them).
func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, source, body string
		wantKind           health.ErrorKind
		wantMsg            string
	}{
		{"empty body", SourceGetmeas, "", health.KindBadProvider, "empty response body"},
		{"not JSON", SourceGetmeas, "<html>98765</html>", health.KindBadProvider, "response body is not a JSON object (found a non-JSON value)"},
		{"string body", SourceGetactivity, `"98765"`, health.KindBadProvider, "not a JSON object (found string)"},
		{"truncated", SourceGetmeas, `{"status":0,"body":{"measuregrps":[{"grpid":98765,`, health.KindBadProvider, "invalid JSON"},
		{"syntax error", SourceGetmeas, `{"measuregrps":[{"grpid":98765 "date":1}]}`, health.KindBadProvider, "invalid JSON at byte"},
		{"fractional value", SourceGetmeas,
			`{"measuregrps":[{"grpid":1,"date":2,"measures":[{"type":1,"unit":-3,"value":72.5}]}]}`,
			health.KindBadProvider, "measuregrps.measures.value: cannot read a JSON number"},
		{"value with text", SourceGetmeas,
			`{"measuregrps":[{"grpid":1,"date":2,"measures":[{"type":1,"unit":-3,"value":"72.5 kg"}]}]}`,
			health.KindBadProvider, "measuregrps.measures.value: cannot read a JSON string"},
		{"groups as object", SourceGetmeas, `{"measuregrps":{"value":98765}}`, health.KindBadProvider, "measuregrps"},
		{"missing grpid", SourceGetmeas,
			`{"measuregrps":[{"date":2,"measures":[{"type":1,"unit":0,"value":98765}]}]}`,
			health.KindBadProvider, "measuregrps[0]: grpid or date missing"},
		{"missing value", SourceGetmeas,
			`{"measuregrps":[{"grpid":1,"date":2,"measures":[{"type":1,"unit":0,"value":1},{"type":4,"unit":0}]}]}`,
			health.KindBadProvider, "measuregrps[0].measures[1]: type or value missing"},
		{"unit out of range", SourceGetmeas,
			`{"measuregrps":[{"grpid":1,"date":2,"measures":[{"type":1,"unit":99,"value":98765}]}]}`,
			health.KindBadProvider, "measuregrps[0].measures[0]: unit out of range"},
		{"activity date", SourceGetactivity, `{"activities":[{"date":"21/10/2023","steps":98765}]}`,
			health.KindBadProvider, "activities[0]: date missing or not YYYY-MM-DD"},
		{"activity steps object", SourceGetactivity, `{"activities":[{"date":"2023-10-21","steps":{"n":98765}}]}`,
			health.KindBadProvider, "activities.steps: cannot read a JSON object"},
		{"activities as array body", SourceGetactivity, `{"status":0,"body":[98765]}`,
			health.KindBadProvider, "field body: cannot read a JSON array"},
		{"error status with odd body", SourceGetactivity, `{"status":2554,"body":[],"error":"98765"}`,
			health.KindBadProvider, "response status 2554"},
		{"intraday bad key", SourceGetintradayactivity, `{"series":{"noon":{"steps":98765}}}`,
			health.KindBadProvider, "field series: cannot read a JSON key as int64"},
		{"intraday non-empty array", SourceGetintradayactivity, `{"series":[{"steps":98765}]}`,
			health.KindBadProvider, "series"},
		{"sleep hr as text", SourceSleepGet, `{"series":[{"startdate":1,"enddate":2,"hr":{"1":"fast 4242"}}]}`,
			health.KindBadProvider, "series.hr"},
		{"summary without id", SourceSleepGetsummary, `{"series":[{"startdate":1,"enddate":2,"data":{"hr_average":4242}}]}`,
			health.KindBadProvider, "series[0]: id, startdate or enddate missing"},
		{"summary ends before start", SourceSleepGetsummary, `{"series":[{"id":1,"startdate":2,"enddate":1}]}`,
			health.KindBadProvider, "series[0]: enddate before startdate"},
		{"ecg fractional sample", SourceHeartList,
			`{"series":[{"timestamp":1,"ecg":{"signalid":7,"signal":[1,72.5],"sampling_frequency":300}}]}`,
			health.KindBadProvider, "series[0].ecg.signal[1]: not a 32-bit integer"},
		{"ecg without frequency", SourceHeartList, `{"series":[{"timestamp":1,"ecg":{"signalid":7,"signal":[4242]}}]}`,
			health.KindBadProvider, "series[0].ecg: signal without a positive sampling_frequency"},
		{"ecg without timestamp", SourceHeartList, `{"series":[{"ecg":{"signalid":7},"heart_rate":4242}]}`,
			health.KindBadProvider, "series[0]: timestamp missing"},
		{"devices as array", SourceGetdevice, `[{"battery":"high"}]`, health.KindBadProvider, "body is not a JSON object (found array)"},
		{"non-zero status", SourceGetdevice, `{"status":601,"body":{},"error":"98765 requests"}`,
			health.KindBadProvider, "response status 601"},
		{"unknown source", "getworkouts", `{}`, health.KindInvalid, `unknown source "getworkouts"`},
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
