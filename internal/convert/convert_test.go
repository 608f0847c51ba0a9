package convert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ohx-health/ohx/internal/fhir/fhirtest"
)

// fixtures are the real Withings responses the decoder's package keeps.
const fixtures = "../provider/withings/testdata"

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func run(t *testing.T, args []string, vars map[string]string, stdin string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, env(vars), strings.NewReader(stdin), &out, &errb)
	return out.String(), err
}

type bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
		Resource struct {
			ResourceType string `json:"resourceType"`
			Code         struct {
				Coding []struct{ Code string } `json:"coding"`
			} `json:"code"`
		} `json:"resource"`
	} `json:"entry"`
}

// decodeAll reads the stream of Bundles convert prints, validating each.
func decodeAll(t *testing.T, out string) []bundle {
	t.Helper()
	v := fhirtest.Schema(t)
	dec := json.NewDecoder(strings.NewReader(out))
	var all []bundle
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("output is not a JSON stream: %v", err)
		}
		if err := v.Validate(raw); err != nil {
			t.Errorf("output bundle not valid R5: %v", err)
		}
		var b bundle
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatal(err)
		}
		all = append(all, b)
	}
	return all
}

func codes(bs []bundle) map[string]int {
	n := map[string]int{}
	for _, b := range bs {
		for _, e := range b.Entry {
			n[e.Resource.ResourceType]++
			for _, c := range e.Resource.Code.Coding {
				n[c.Code]++
			}
		}
	}
	return n
}

func TestConvertWithingsFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file, source, mode string
		bundleType         string
		want               []string // resource types and codes that must appear
	}{
		{"getmeas_weight_bodyplus_aiowithings.json", "getmeas", "modern", "transaction", []string{"29463-7", "Provenance"}},
		{"getmeas_weight_bodyplus_aiowithings.json", "getmeas", "legacy", "batch", []string{"29463-7"}},
		{"getmeas_measuregrps_bp_bpmconnect_bodycardio_subset_aiowithings.json", "getmeas", "modern", "transaction", []string{"85354-9", "8867-4"}},
		{"getactivity_aiowithings.json", "getactivity", "modern", "transaction", []string{"41950-7"}},
		{"getactivity_aiowithings.json", "getactivity", "legacy", "batch", []string{"41950-7"}},
		{"sleep_getsummary_aiowithings.json", "sleep-getsummary", "modern", "transaction", []string{"93832-4"}},
		{"user_getdevice_aiowithings.json", "getdevice", "modern", "transaction", []string{"Device", "DeviceAssociation"}},
		{"synthetic_heart_list_with_signal.json", "heart-list", "modern", "transaction", []string{"131328"}},
		{"synthetic_heart_list_with_signal.json", "heart-list", "legacy", "batch", []string{"8601-7"}},
		{"synthetic_getintradayactivity_hr.json", "getintradayactivity", "modern", "transaction", []string{"8867-4"}},
		{"sleep_get_aiowithings.json", "sleep-get", "legacy", "batch", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file+"."+tt.mode, func(t *testing.T) {
			t.Parallel()
			args := []string{"--provider", "withings", "--source", tt.source, "--patient", "p-1", "--mode", tt.mode,
				"--now", "2024-01-16T08:00:00Z", filepath.Join(fixtures, tt.file)}
			out, err := run(t, args, nil, "")
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			bs := decodeAll(t, out)
			if len(bs) == 0 {
				t.Fatal("no bundle printed")
			}
			for _, b := range bs {
				if b.Type != tt.bundleType {
					t.Errorf("bundle type %s, want %s", b.Type, tt.bundleType)
				}
			}
			got := codes(bs)
			for _, w := range tt.want {
				if got[w] == 0 {
					t.Errorf("output lacks %s (has %v)", w, got)
				}
			}
			again, err := run(t, args, nil, "")
			if err != nil || again != out {
				t.Errorf("output not deterministic for the same input and --now")
			}
		})
	}
}

func TestConvertReadsStdinAndEnv(t *testing.T) {
	t.Parallel()
	body, err := os.ReadFile(filepath.Join(fixtures, "getmeas_weight_bodyplus_aiowithings.json"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--provider=withings", "--source=getmeas", "--patient=p-1", "--now=2024-01-16T08:00:00Z", "-"}
	out, err := run(t, args, map[string]string{"FHIR_FORMAT_MODE": "legacy", "OHX_FHIR_BUNDLE_TYPE": "transaction"}, string(body))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	bs := decodeAll(t, out)
	if len(bs) != 1 || bs[0].Type != "transaction" || codes(bs)["Provenance"] != 0 {
		t.Errorf("legacy via alias with OHX_ bundle type: got %+v", codes(bs))
	}
}

func TestConvertErrors(t *testing.T) {
	t.Parallel()
	good := filepath.Join(fixtures, "getmeas_weight_bodyplus_aiowithings.json")
	base := []string{"--provider", "withings", "--source", "getmeas", "--patient", "p"}
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		stdin string
		want  string
	}{
		{"no provider", []string{"--source", "getmeas", "--patient", "p", good}, nil, "", "--provider"},
		{"bad provider", []string{"--provider", "garmin", "--source", "x", "--patient", "p", good}, nil, "", "--provider"},
		{"no source", []string{"--provider", "withings", "--patient", "p", good}, nil, "", "--source"},
		{"no patient", []string{"--provider", "withings", "--source", "getmeas", good}, nil, "", "--patient"},
		{"bad mode", append(base, "--mode", "retro", good), nil, "", "--mode"},
		{"bad now", append(base, "--now", "yesterday", good), nil, "", "--now"},
		{"unknown source", []string{"--provider", "withings", "--source", "getfoo", "--patient", "p", good}, nil, "", "unknown withings source"},
		{"fitbit malformed", []string{"--provider", "fitbit", "--source", "heart-rate", "--patient", "p", "-"}, nil, `{"dataPoints":[{`, "decode fitbit heart-rate"},
		{"fitbit unknown", []string{"--provider", "fitbit", "--source", "getmeas", "--patient", "p", "-"}, nil, "{}", "unknown fitbit source"},
		{"missing file", append(base, "/nonexistent/x.json"), nil, "", "open input"},
		{"empty stdin", base, nil, "  ", "input is empty"},
		{"malformed json", base, nil, `{"status":0,"body":{"measuregrps":[{`, "decode withings getmeas"},
		{"bad env", append(base, good), map[string]string{"OHX_FHIR_BUNDLE_SIZE": "lots"}, "", "OHX_FHIR_BUNDLE_SIZE"},
		{"two files", append(base, good, good), nil, "", "at most one input file"},
		{"unknown flag", append(base, "--colour", good), nil, "", "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := run(t, tt.args, tt.env, tt.stdin)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
			if out != "" {
				t.Errorf("stdout not empty on error: %q", out)
			}
		})
	}
}

func TestConvertHelp(t *testing.T) {
	t.Parallel()
	var out, errb bytes.Buffer
	err := Run(context.Background(), []string{"-h"}, env(nil), strings.NewReader(""), &out, &errb)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	if out.Len() != 0 || !strings.Contains(errb.String(), "--provider withings|fitbit") {
		t.Errorf("usage not on stderr: stdout %q stderr %q", out.String(), errb.String())
	}
}
