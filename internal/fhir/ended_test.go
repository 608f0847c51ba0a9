package fhir_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/fhir"
	"github.com/ohx-health/ohx/internal/fhir/fhirtest"
	"github.com/ohx-health/ohx/internal/health"
)

func TestEndedDeviceEndsOnlyTheAssociation(t *testing.T) {
	t.Parallel()
	ended := time.Date(2026, 11, 28, 9, 30, 0, 0, time.UTC)
	for _, method := range []string{fhir.MethodPut, fhir.MethodConditionalCreate} {
		opts := fhir.DefaultOptions(fhir.ModeModern)
		opts.BundleMethod = method
		in := fhir.Input{Patient: "p1", Now: ended, Batch: health.Batch{Provider: health.ProviderWithings, Source: "getdevice",
			Devices: []health.Device{{Provider: health.ProviderWithings, ID: "abc123", Ended: ended}}}}
		res, err := fhir.New(opts).Resources(in)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 1 || res[0].FHIRType() != "DeviceAssociation" {
			t.Fatalf("%s: resources = %d, first %s; want the association only", method, len(res), res[0].FHIRType())
		}
		a := res[0].(*fhir.DeviceAssociation)
		if a.ID != fhir.DeviceAssociationID("withings", "abc123", "p1") {
			t.Errorf("%s: id %s is not the attached association's", method, a.ID)
		}
		if a.Status.Coding[0].Code != "unknown" || a.StatusReason[0].Coding[0].Code != "disconnected" ||
			a.Period == nil || a.Period.End != "2026-11-28T09:30:00Z" {
			t.Errorf("%s: association = %+v", method, a)
		}
		b, _ := json.Marshal(a)
		if method == fhir.MethodConditionalCreate && !strings.Contains(string(b), `"device":{"identifier"`) {
			t.Errorf("conditional create refers to the Device by id: %s", b)
		}
		if err := fhirtest.Schema(t).Validate(b); err != nil {
			t.Errorf("%s: not valid R5: %v", method, err)
		}
	}
}
