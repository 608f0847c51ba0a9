package fhir

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/fhir/fhirtest"
)

// TestFHIRServer posts every golden case to the FHIR R5 test server, as
// transaction and as batch, with PUT and with conditional create, and expects
// every entry to succeed. It needs OHX_TEST_FHIR_URL (see fhirtest.ServerURL).
func TestFHIRServer(t *testing.T) {
	base := fhirtest.ServerURL(t)
	client := &http.Client{Timeout: 60 * time.Second}
	variants := []struct {
		name string
		opts func() Options
	}{
		{"modern-transaction-put-split", func() Options {
			o := DefaultOptions(ModeModern)
			o.BundleSize = 7 // force splitting, so a reference across Bundles would fail
			return o
		}},
		{"modern-batch-put", func() Options { o := DefaultOptions(ModeModern); o.BundleType = BundleBatch; return o }},
		{"modern-transaction-conditional", func() Options {
			o := DefaultOptions(ModeModern)
			o.BundleMethod = MethodConditionalCreate
			return o
		}},
		{"legacy-batch-put", func() Options { return DefaultOptions(ModeLegacy) }},
		{"legacy-transaction-put", func() Options { o := DefaultOptions(ModeLegacy); o.BundleType = BundleTransaction; return o }},
	}
	for _, v := range variants {
		for _, tc := range testCases() {
			t.Run(v.name+"/"+tc.name, func(t *testing.T) {
				opts := v.opts()
				bundles, err := New(opts).Bundles(Input{Patient: "ohx-it-" + v.name, Batch: tc.batch, Now: testNow})
				if err != nil {
					t.Fatal(err)
				}
				for i, b := range bundles {
					body, err := json.Marshal(b)
					if err != nil {
						t.Fatal(err)
					}
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					results, err := fhirtest.PostBundle(ctx, client, base, body)
					cancel()
					if err != nil {
						t.Fatalf("bundle %d: %v", i, err)
					}
					if len(results) != len(b.Entry) {
						t.Fatalf("bundle %d: %d results for %d entries", i, len(results), len(b.Entry))
					}
					for k, r := range results {
						if !strings.HasPrefix(r.Status, "2") {
							t.Errorf("bundle %d entry %d (%s): status %q outcome %s", i, k, b.Entry[k].Resource.FHIRType(), r.Status, r.Outcome)
						}
					}
				}
			})
		}
	}
}
