package convert

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ohx-health/ohx/internal/provider/fitbit"
)

// fitbitFixtures are the Google Health API responses the decoder's package
// keeps; each file name starts with its data type in snake_case.
const fitbitFixtures = "../provider/fitbit/testdata"

// fitbitSourceOf returns the source a fixture is a response of: the longest
// source whose snake_case name starts the file name.
func fitbitSourceOf(file string) string {
	best := ""
	for _, s := range fitbit.Sources() {
		if strings.HasPrefix(file, strings.ReplaceAll(s, "-", "_")+"_") && len(s) > len(best) {
			best = s
		}
	}
	return best
}

// TestConvertFitbitFixtures converts every Fitbit fixture in both modes:
// each must map without error to Bundles valid against the R5 schema, with
// the expected resources, and the same output for the same input.
func TestConvertFitbitFixtures(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(fitbitFixtures, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	// Codes that must appear in modern mode for some sources.
	wantModern := map[string][]string{
		"heart-rate":        {"8867-4", "Provenance"},
		"weight":            {"29463-7"},
		"sleep":             {"93832-4"},
		"electrocardiogram": {"131328"},
		"paired-devices":    {"Device", "DeviceAssociation"},
	}
	covered := map[string]bool{}
	for _, path := range files {
		file := filepath.Base(path)
		source := fitbitSourceOf(file)
		if source == "" {
			t.Errorf("%s: no source matches the file name", file)
			continue
		}
		covered[source] = true
		for _, mode := range []string{"modern", "legacy"} {
			t.Run(file+"."+mode, func(t *testing.T) {
				t.Parallel()
				args := []string{"--provider", "fitbit", "--source", source, "--patient", "p-1", "--mode", mode,
					"--now", "2026-10-01T08:00:00Z", path}
				out, err := run(t, args, nil, "")
				if err != nil {
					t.Fatalf("Run: %v", err)
				}
				bs := decodeAll(t, out)
				got := codes(bs)
				if got["Observation"]+got["Device"] == 0 {
					t.Errorf("no Observation or Device in %v", got)
				}
				if mode == "modern" {
					for _, w := range wantModern[source] {
						if got[w] == 0 {
							t.Errorf("output lacks %s (has %v)", w, got)
						}
					}
				}
				again, err := run(t, args, nil, "")
				if err != nil || again != out {
					t.Errorf("output not deterministic for the same input and --now")
				}
			})
		}
	}
	for _, s := range fitbit.Sources() {
		if !covered[s] {
			t.Errorf("source %s has no fixture", s)
		}
	}
}

// TestConvertFitbitSources: convert accepts exactly the sources the
// decoder reads, and an empty last page prints an empty Bundle.
func TestConvertFitbitSources(t *testing.T) {
	t.Parallel()
	for _, s := range fitbitSources() {
		out, err := run(t, []string{"--provider", "fitbit", "--source", s, "--patient", "p", "--now", "2026-10-01T08:00:00Z", "-"}, nil, "{}")
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if bs := decodeAll(t, out); len(bs) != 1 || len(bs[0].Entry) != 0 {
			t.Errorf("%s: empty page gives %d bundles", s, len(bs))
		}
	}
}
