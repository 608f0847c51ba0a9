package fhir

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/ohx-health/ohx/internal/fhir/fhirtest"
	"github.com/ohx-health/ohx/internal/health"
)

// bigBatch has devices, an ECG with a derived heart rate (legacy) and enough
// measurements to need several Bundles.
func bigBatch() health.Batch {
	b := deviceBatch()
	b.Source = "mixed"
	for i := 0; i < 25; i++ {
		m := wm(health.KindBodyWeight, "grp:"+strings.Repeat("9", i+1), 80)
		m.Start = m.Start.Add(time.Duration(i) * time.Minute)
		b.Measurements = append(b.Measurements, m) // references the scale in the batch
	}
	b.Measurements = append(b.Measurements, ecgBatch().Measurements...)
	return b
}

func TestBundlesSplitKeepsReferencesTogether(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{ModeModern, ModeLegacy} {
		for _, size := range []int{2, 3, 5, 10, 200} {
			opts := DefaultOptions(mode)
			opts.BundleSize = size
			opts.DeviceInfoMode = DeviceInfoReference
			bundles, err := New(opts).Bundles(Input{Patient: "p", Batch: bigBatch(), Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for bi, b := range bundles {
				inBundle := map[string]bool{}
				for _, e := range b.Entry {
					inBundle[e.Resource.FHIRType()+"/"+e.Resource.LogicalID()] = true
				}
				groupMax := 0
				for _, e := range b.Entry {
					id := e.Resource.FHIRType() + "/" + e.Resource.LogicalID()
					if seen[id] {
						t.Errorf("%s size %d: %s in two bundles", mode, size, id)
					}
					seen[id] = true
					for _, ref := range e.Resource.Refs() {
						if !inBundle[ref] {
							t.Errorf("%s size %d bundle %d: %s references %s outside its bundle", mode, size, bi, id, ref)
						}
					}
					if _, ok := e.Resource.(*Device); ok {
						groupMax = 2 + 25 // the scale, its association and its weights
					}
				}
				if len(b.Entry) > size && len(b.Entry) > groupMax+1 {
					t.Errorf("%s size %d bundle %d has %d entries", mode, size, bi, len(b.Entry))
				}
			}
		}
	}
}

func TestBundleProvenanceTargetsEveryEntry(t *testing.T) {
	t.Parallel()
	opts := DefaultOptions(ModeModern)
	opts.BundleSize = 10
	opts.Version = "1.2.3"
	bundles, err := New(opts).Bundles(Input{Patient: "p", Batch: bodyBatch(), Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(bundles) != 2 {
		t.Fatalf("%d bundles, want 2 (11 observations, 9 per bundle plus provenance)", len(bundles))
	}
	for _, b := range bundles {
		last := b.Entry[len(b.Entry)-1].Resource
		p, ok := last.(*Provenance)
		if !ok {
			t.Fatalf("last entry is %s, want Provenance", last.FHIRType())
		}
		var want []string
		for _, e := range b.Entry[:len(b.Entry)-1] {
			want = append(want, "Observation/"+e.Resource.LogicalID())
		}
		var got []string
		for _, r := range p.Target {
			got = append(got, r.Reference)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("provenance targets (-want +got):\n%s", diff)
		}
		if p.Agent[0].Who.Display != "ohx 1.2.3" || p.Recorded != "2024-01-16T08:00:00Z" {
			t.Errorf("provenance agent %q recorded %q", p.Agent[0].Who.Display, p.Recorded)
		}
		if p.Entity[0].What.Identifier.Value != "withings:getmeas" {
			t.Errorf("provenance entity %+v", p.Entity[0].What)
		}
	}
	off := DefaultOptions(ModeModern)
	off.Provenance = false
	bundles, _ = New(off).Bundles(Input{Patient: "p", Batch: bodyBatch(), Now: testNow})
	for _, e := range bundles[0].Entry {
		if e.Resource.FHIRType() == "Provenance" {
			t.Error("provenance written although switched off")
		}
	}
}

func TestConditionalCreateEntries(t *testing.T) {
	t.Parallel()
	opts := DefaultOptions(ModeModern)
	opts.BundleMethod = MethodConditionalCreate
	b := deviceBatch()
	m := wm(health.KindBodyWeight, "1:1", 80)
	b.Measurements = []health.Measurement{m}
	bundles, err := New(opts).Bundles(Input{Patient: "p", Batch: b, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	v := fhirtest.Schema(t)
	if err := v.ValidateValue(bundles[0]); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(bundles[0])
	var got struct {
		Entry []struct {
			FullURL  string `json:"fullUrl"`
			Resource struct {
				ID     string `json:"id"`
				Type   string `json:"resourceType"`
				Device struct{ Reference string }
			} `json:"resource"`
			Request BundleRequest `json:"request"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	fullURLs := map[string]bool{}
	for _, e := range got.Entry {
		fullURLs[e.FullURL] = true
	}
	for _, e := range got.Entry {
		switch e.Resource.Type {
		case "Provenance":
			if e.Request.Method != "PUT" {
				t.Errorf("provenance method %s", e.Request.Method)
			}
		default:
			if e.Request.Method != "POST" || e.Resource.ID != "" || !strings.HasPrefix(e.Request.IfNoneExist, "identifier=") {
				t.Errorf("%s: request %+v id %q", e.Resource.Type, e.Request, e.Resource.ID)
			}
		}
		if e.Resource.Type == "Observation" && !strings.Contains(e.Request.IfNoneExist, "&subject=Patient%2Fp") {
			t.Errorf("observation condition %q lacks the subject", e.Request.IfNoneExist)
		}
		if e.Resource.Type == "DeviceAssociation" && !fullURLs[e.Resource.Device.Reference] {
			t.Errorf("association references %q, not an entry fullUrl", e.Resource.Device.Reference)
		}
	}
}

func TestObservationReferencesDeviceInBatch(t *testing.T) {
	t.Parallel()
	b := deviceBatch()
	b.Measurements = []health.Measurement{wm(health.KindBodyWeight, "1:1", 80)}
	res, err := New(DefaultOptions(ModeModern)).Resources(Input{Patient: "p", Batch: b, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	var o *Observation
	for _, r := range res {
		if obs, ok := r.(*Observation); ok {
			o = obs
		}
	}
	if want := "Device/" + DeviceID("withings", scaleID); o.Device.Reference != want {
		t.Errorf("device reference %q, want %q", o.Device.Reference, want)
	}
	alone, _ := New(DefaultOptions(ModeModern)).Resources(Input{Patient: "p", Batch: bodyBatch(), Now: testNow})
	d := alone[0].(*Observation).Device
	if d.Reference != "" || d.Identifier == nil || d.Identifier.Value != scaleID {
		t.Errorf("device reference without Device in batch = %+v, want by identifier", d)
	}
}

func TestLegacySameInstantKeepsOneResource(t *testing.T) {
	t.Parallel()
	first := wm(health.KindBodyWeight, "1:1", 80)
	second := wm(health.KindBodyWeight, "2:1", 81)
	res, err := New(DefaultOptions(ModeLegacy)).Resources(Input{Patient: "p",
		Batch: health.Batch{Measurements: []health.Measurement{first, second}}, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 1 {
		t.Fatalf("%d resources, want 1 (the original keyed both on the same instant)", len(res))
	}
	if v := res[0].(*LegacyObservation).ValueQuantity.Value; v != 81 {
		t.Errorf("kept value %v, want the last one mapped", v)
	}
}
