package convert

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzConvert runs the whole command (decode, map, encode) on mutated real
// responses: it must never panic, must print nothing on error, and must print
// only JSON on success.
func FuzzConvert(f *testing.F) {
	seeds := map[string]string{
		"getmeas_weight_bodyplus_aiowithings.json":                             "getmeas",
		"getmeas_measuregrps_bp_bpmconnect_bodycardio_subset_aiowithings.json": "getmeas",
		"getactivity_aiowithings.json":                                         "getactivity",
		"getintradayactivity_shimmer.json":                                     "getintradayactivity",
		"sleep_getsummary_aiowithings.json":                                    "sleep-getsummary",
		"user_getdevice_aiowithings.json":                                      "getdevice",
		"synthetic_heart_list_with_signal.json":                                "heart-list",
	}
	sources := []string{"getmeas", "getactivity", "getintradayactivity", "sleep-get", "sleep-getsummary", "getdevice", "heart-list"}
	for file, src := range seeds {
		body, err := os.ReadFile(filepath.Join(fixtures, file))
		if err != nil {
			f.Fatal(err)
		}
		if len(body) > 16<<10 {
			continue // keep the corpus small enough to mutate usefully
		}
		for i, s := range sources {
			if s == src {
				f.Add(uint8(i), body, false)
				f.Add(uint8(i), body, true)
			}
		}
	}
	f.Fuzz(func(t *testing.T, src uint8, body []byte, legacy bool) {
		mode := "modern"
		if legacy {
			mode = "legacy"
		}
		args := []string{"--provider", "withings", "--source", sources[int(src)%len(sources)], "--patient", "p", "--mode", mode, "--now", "2024-01-16T08:00:00Z", "-"}
		var out, errb bytes.Buffer
		err := Run(context.Background(), args, func(string) string { return "" }, bytes.NewReader(body), &out, &errb)
		if err != nil {
			if out.Len() != 0 {
				t.Fatalf("stdout not empty on error %v", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		dec := json.NewDecoder(&out)
		for dec.More() {
			var v json.RawMessage
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("output is not JSON: %v", err)
			}
		}
	})
}
