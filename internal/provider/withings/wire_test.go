package withings

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	_ "time/tzdata" // tests must not depend on the machine's zoneinfo

	"github.com/google/go-cmp/cmp"

	"github.com/ohx-health/ohx/internal/health"
)

// readFixture returns a file from testdata.
func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureSources says which Decode source reads each testdata file; ""
// marks responses no decoder here handles (notify, workouts), which must
// still pass the envelope check.
func fixtureSources() map[string]string {
	return map[string]string{
		"getactivity_aiowithings.json":                                         SourceGetactivity,
		"getactivity_shimmer_2015.json":                                        SourceGetactivity,
		"getintradayactivity_shimmer.json":                                     SourceGetintradayactivity,
		"getmeas_bp_temperature_height_shimmer.json":                           SourceGetmeas,
		"getmeas_measuregrps_bodyscan_composition_ecg_afib_aiowithings.json":   SourceGetmeas,
		"getmeas_measuregrps_bodyscan_segmental_positions_aiowithings.json":    SourceGetmeas,
		"getmeas_measuregrps_bp_bpmconnect_bodycardio_subset_aiowithings.json": SourceGetmeas,
		"getmeas_weight_bodyplus_aiowithings.json":                             SourceGetmeas,
		"getworkouts_aiowithings.json":                                         "",
		"notify_list_aiowithings.json":                                         "",
		"notify_revoke_aiowithings.json":                                       "",
		"notify_subscribe_aiowithings.json":                                    "",
		"sleep_get_aiowithings.json":                                           SourceSleepGet,
		"sleep_getsummary_aiowithings.json":                                    SourceSleepGetsummary,
		"user_getdevice_aiowithings.json":                                      SourceGetdevice,
		"synthetic_getintradayactivity_hr.json":                                SourceGetintradayactivity,
		"synthetic_getmeas_spo2_ecg_tolerance.json":                            SourceGetmeas,
		"synthetic_heart_list_with_signal.json":                                SourceHeartList,
	}
}

// TestEveryFixtureDecodes runs every testdata response through its decoder
// and fails when a fixture is added without saying which source reads it.
func TestEveryFixtureDecodes(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sources := fixtureSources()
	for _, f := range files {
		name := filepath.Base(f)
		source, ok := sources[name]
		if !ok {
			t.Errorf("%s: no source listed in fixtureSources", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data := readFixture(t, name)
			if source == "" {
				var body map[string]any
				if err := decodeBody("fixture", data, &body); err != nil {
					t.Fatalf("envelope: %v", err)
				}
				return
			}
			b, err := Decode(source, data)
			if err != nil {
				t.Fatalf("Decode(%s): %v", source, err)
			}
			if len(b.Measurements)+len(b.Devices) == 0 {
				t.Fatalf("Decode(%s): empty batch", source)
			}
			if b.Provider != health.ProviderWithings || b.Source != source {
				t.Errorf("batch provider/source = %q/%q", b.Provider, b.Source)
			}
		})
	}
}

func TestFlexInt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    FlexInt
		wantErr bool
	}{
		{`5149666502`, FlexInt{V: 5149666502, Set: true}, false},
		{`"133337"`, FlexInt{V: 133337, Set: true}, false},
		{`-3`, FlexInt{V: -3, Set: true}, false},
		{`1.0e3`, FlexInt{V: 1000, Set: true}, false},
		{`null`, FlexInt{}, false},
		{`""`, FlexInt{}, false},
		{`1.5`, FlexInt{}, true},
		{`"abc"`, FlexInt{}, true},
		{`{}`, FlexInt{}, true},
		{`true`, FlexInt{}, true},
		{`1e300`, FlexInt{}, true},
	}
	for _, tt := range tests {
		var got FlexInt
		err := json.Unmarshal([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v, want error %v", tt.in, err, tt.wantErr)
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestFlexStringAndBool(t *testing.T) {
	t.Parallel()
	strs := map[string]FlexString{
		`"Body+"`: "Body+", `44`: "44", `null`: "", `"12345"`: "12345", `true`: "true",
	}
	for in, want := range strs {
		var got FlexString
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("FlexString %s = %q, %v; want %q", in, got, err, want)
		}
	}
	var s FlexString
	if err := json.Unmarshal([]byte(`{"a":1}`), &s); err == nil {
		t.Error("FlexString accepted an object")
	}
	bools := map[string]FlexBool{
		`true`: true, `false`: false, `1`: true, `0`: false, `null`: false, `"1"`: true, `"false"`: false,
	}
	for in, want := range bools {
		var got FlexBool
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("FlexBool %s = %v, %v; want %v", in, got, err, want)
		}
	}
	var b FlexBool
	if err := json.Unmarshal([]byte(`[1]`), &b); err == nil {
		t.Error("FlexBool accepted an array")
	}
}

// TestPagination checks the more/offset fields every paginated page
// exposes to the client, in both the int and the bool spelling.
func TestPagination(t *testing.T) {
	t.Parallel()
	type page struct {
		more   bool
		offset int64
	}
	tests := []struct {
		name string
		got  func() (page, error)
		want page
	}{
		{"getmeas more as int", func() (page, error) {
			p, err := DecodeMeasurePage(readFixture(t, "synthetic_getmeas_spo2_ecg_tolerance.json"))
			return page{bool(p.More), p.Offset.V}, err
		}, page{true, 400}},
		{"getmeas more as bool", func() (page, error) {
			p, err := DecodeMeasurePage([]byte(`{"measuregrps":[],"more":false,"offset":0}`))
			return page{bool(p.More), p.Offset.V}, err
		}, page{false, 0}},
		{"getactivity", func() (page, error) {
			p, err := DecodeActivityPage(readFixture(t, "getactivity_aiowithings.json"))
			return page{bool(p.More), p.Offset.V}, err
		}, page{false, 200}},
		{"sleep getsummary", func() (page, error) {
			p, err := DecodeSleepSummaryPage(readFixture(t, "sleep_getsummary_aiowithings.json"))
			return page{bool(p.More), p.Offset.V}, err
		}, page{true, 300}},
		{"heart list", func() (page, error) {
			p, err := DecodeHeartListPage([]byte(`{"series":[],"more":1,"offset":"10"}`))
			return page{bool(p.More), p.Offset.V}, err
		}, page{true, 10}},
	}
	for _, tt := range tests {
		got, err := tt.got()
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestWireMeasurePage checks the getmeas wire fields on real captures:
// int64 grpid, null deviceid and model, modelid, extra keys, positions.
func TestWireMeasurePage(t *testing.T) {
	t.Parallel()
	p, err := DecodeMeasurePage(readFixture(t, "getmeas_measuregrps_bp_bpmconnect_bodycardio_subset_aiowithings.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Groups) != 14 {
		t.Fatalf("groups = %d, want 14", len(p.Groups))
	}
	manual := p.Groups[13]
	want := MeasureGroup{
		GrpID: FlexInt{2726375351, true}, Attrib: FlexInt{2, true}, Date: FlexInt{1620237216, true},
		Created: FlexInt{1620237217, true}, Modified: FlexInt{1620237217, true}, Category: FlexInt{1, true},
		Measures: []Measure{{Value: FlexInt{56300, true}, Type: FlexInt{1, true}, Unit: FlexInt{-3, true}}},
	}
	if diff := cmp.Diff(want, manual); diff != "" {
		t.Errorf("manual group (-want +got):\n%s", diff)
	}
	seg, err := DecodeMeasurePage(readFixture(t, "getmeas_measuregrps_bodyscan_segmental_positions_aiowithings.json"))
	if err != nil {
		t.Fatal(err)
	}
	g := seg.Groups[0]
	if g.GrpID.V != 5149666502 || g.modelID().V != 10 || g.Model != "Body Scan" {
		t.Errorf("group identity = %d model %d %q", g.GrpID.V, g.modelID().V, g.Model)
	}
	if m := g.Measures[1]; m.Type.V != 5 || !m.Position.Set || m.Position.V != 7 {
		t.Errorf("measure 1 = %+v, want type 5 at position 7", m)
	}
}

// TestWireSeriesObjects checks the objects keyed by epoch strings.
func TestWireSeriesObjects(t *testing.T) {
	t.Parallel()
	sp, err := DecodeSleepPage(readFixture(t, "sleep_get_aiowithings.json"))
	if err != nil {
		t.Fatal(err)
	}
	first := sp.Series[0]
	wantHR := EpochSeries{{1618691453, 70}, {1618691513, 71}}
	if diff := cmp.Diff(wantHR, first.HR); diff != "" {
		t.Errorf("hr (-want +got):\n%s", diff)
	}
	if first.Model != "Aura Sensor V2" || first.ModelID.V != 63 || len(first.RR) != 2 {
		t.Errorf("segment = model %q id %d, %d rr", first.Model, first.ModelID.V, len(first.RR))
	}
	ip, err := DecodeIntradayPage(readFixture(t, "getintradayactivity_shimmer.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ip.Series) != 6 || ip.Series[0].Time != 1434758640 || ip.Series[1].Steps.Set {
		t.Errorf("intraday = %d entries, first at %d", len(ip.Series), ip.Series[0].Time)
	}
	for _, body := range []string{`{"series":[]}`, `{"series":null}`, `{"series":{}}`} {
		p, err := DecodeIntradayPage([]byte(body))
		if err != nil || len(p.Series) != 0 {
			t.Errorf("%s: %d entries, %v", body, len(p.Series), err)
		}
	}
	if _, err := DecodeIntradayPage([]byte(`{"series":{"noon":{"steps":1}}}`)); err == nil {
		t.Error("a non-epoch key was accepted")
	}
}

func TestEnvelope(t *testing.T) {
	t.Parallel()
	inner := `{"devices":[]}`
	for _, body := range []string{`{"status":0,"body":` + inner + `}`, inner, `{"status":"0","body":` + inner + `}`} {
		if _, err := DecodeDevicePage([]byte(body)); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	// A "status" key below the top level does not make an envelope.
	nested, err := Decode(SourceGetdevice, []byte(`{"devices":[{"deviceid":"d","status":1}],"x":{"status":7}}`))
	if err != nil || len(nested.Devices) != 1 {
		t.Errorf("nested status: %d devices, %v", len(nested.Devices), err)
	}
	_, err = Decode(SourceGetmeas, []byte(`{"status":401,"body":{},"error":"XRequestID: invalid_token"}`))
	var se *StatusError
	if health.KindOf(err) != health.KindBadProvider || !errors.As(err, &se) || se.Status != 401 {
		t.Fatalf("status 401: err = %v, kind %q", err, health.KindOf(err))
	}
	if strings.Contains(err.Error(), "invalid_token") {
		t.Errorf("error %q repeats the provider's free text", err)
	}
}
