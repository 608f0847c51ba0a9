package fhir

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		env     map[string]string
		check   func(Options) bool
		errVars []string
	}{
		{"defaults", nil, func(o Options) bool { return o == DefaultOptions(ModeModern) }, nil},
		{"legacy via alias", map[string]string{"FHIR_FORMAT_MODE": "legacy"}, func(o Options) bool {
			return o.Mode == ModeLegacy && o.BundleType == BundleBatch && !o.Provenance && o.Intraday == IntradayOff
		}, nil},
		{"ohx name wins", map[string]string{"FHIR_FORMAT_MODE": "legacy", "OHX_FHIR_MODE": "modern"}, func(o Options) bool { return o.Mode == ModeModern }, nil},
		{"legacy with explicit type", map[string]string{"OHX_FHIR_MODE": "LEGACY", "FHIR_BUNDLE_TYPE": "transaction"}, func(o Options) bool {
			return o.Mode == ModeLegacy && o.BundleType == BundleTransaction
		}, nil},
		{"original switches", map[string]string{
			"FHIR_IDENTIFIER_STRATEGY": "modern", "FHIR_OBSERVATION_STATUS": "final", "FHIR_INCLUDE_ISSUED": "false",
			"FHIR_DEVICE_INFO_MODE": "reference", "FHIR_LOINC_STEPS": "55423-8", "FHIR_ECG_EMIT_HR": "0",
			"FHIR_ENABLE_OBS_LINKING": "no", "FHIR_BUNDLE_METHOD": "POST", "OHX_FHIR_BUNDLE_SIZE": "50", "OHX_INTRADAY": "samples",
		}, func(o Options) bool {
			return o.IdentifierStrategy == StrategyUUID && o.ObservationStatus == "final" && !o.IncludeIssued &&
				o.DeviceInfoMode == DeviceInfoReference && o.LOINCSteps == "55423-8" && !o.ECGEmitHR && !o.ObsLinking &&
				o.BundleMethod == MethodConditionalCreate && o.BundleSize == 50 && o.Intraday == IntradaySamples
		}, nil},
		{"invalid values", map[string]string{
			"OHX_FHIR_MODE": "retro", "OHX_FHIR_BUNDLE_SIZE": "1", "OHX_INTRADAY": "hourly", "FHIR_INCLUDE_ISSUED": "maybe",
			"FHIR_OBSERVATION_STATUS": "bogus",
		}, func(o Options) bool { return o.Mode == ModeModern && o.BundleSize == 200 },
			[]string{"OHX_FHIR_MODE", "OHX_FHIR_BUNDLE_SIZE", "OHX_INTRADAY", "FHIR_OBSERVATION_STATUS", "FHIR_INCLUDE_ISSUED"}},
		{"conditional create in a batch", map[string]string{"OHX_FHIR_BUNDLE_METHOD": "conditional-create", "OHX_FHIR_BUNDLE_TYPE": "batch"},
			func(Options) bool { return true }, []string{"OHX_FHIR_BUNDLE_METHOD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o, errs := LoadOptions(func(k string) string { return tt.env[k] })
			if !tt.check(o) {
				t.Errorf("options = %+v", o)
			}
			var got []string
			for _, err := range errs {
				got = append(got, strings.SplitN(err.Error(), ":", 2)[0])
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("multi-line error %q", err)
				}
			}
			if diff := cmp.Diff(tt.errVars, got); diff != "" {
				t.Errorf("errors name (-want +got):\n%s\n%v", diff, errs)
			}
		})
	}
}

func TestDescribeRoundTrips(t *testing.T) {
	t.Parallel()
	o := DefaultOptions(ModeLegacy)
	o.BundleSize = 42
	env := map[string]string{}
	for _, kv := range o.Describe() {
		env[kv[0]] = kv[1]
	}
	back, errs := LoadOptions(func(k string) string { return env[k] })
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	back.Version = o.Version
	if back != o {
		t.Errorf("Describe → LoadOptions = %+v, want %+v", back, o)
	}
}

func TestPyFloat(t *testing.T) {
	t.Parallel()
	tests := map[float64]string{
		75: "75.0", 36.8: "36.8", 118.003: "118.003", 0: "0.0", -3.5: "-3.5", 1234567: "1234567.0",
		1e16: "1e+16", 0.0001: "0.0001", 0.00001: "1e-05",
	}
	for in, want := range tests {
		got, err := json.Marshal(PyFloat(in))
		if err != nil || string(got) != want {
			t.Errorf("PyFloat(%v) = %s, %v; want %s", in, got, err, want)
		}
	}
}
