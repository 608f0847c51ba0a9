package publish

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/fhir"
	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/testenv"
)

// These tests run against the FHIR R5 test server (OHX_TEST_FHIR_URL). The
// server is shared, so every test uses its own patient id and identifiers.

func uniquePatient() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "ohx-publish-" + hex.EncodeToString(b)
}

func realSink(t *testing.T) (*ServerSink, string) {
	t.Helper()
	base := testenv.FHIRURL(t)
	logger, _ := testLogger()
	s, err := NewServerSink(Config{BaseURL: base, Timeout: time.Minute}, &http.Client{}, nil, logger)
	if err != nil {
		t.Fatal(err)
	}
	return s, base
}

// weighIns maps n weigh-ins of patient to Bundles the way the jobs will.
func weighIns(t *testing.T, patient, bundleType string, n int) *fhir.Bundle {
	t.Helper()
	start := time.Date(2026, 3, 1, 7, 0, 0, 0, time.UTC)
	var ms []health.Measurement
	for i := range n {
		ms = append(ms, health.Measurement{Kind: health.KindBodyWeight, Provider: health.ProviderWithings,
			RecordID: patient + ":" + string(rune('a'+i)), Start: start.Add(time.Duration(i) * 24 * time.Hour),
			Value: 70 + float64(i), Origin: health.OriginDevice})
	}
	opts := fhir.DefaultOptions(fhir.ModeModern)
	opts.BundleType = bundleType
	bundles, err := fhir.New(opts).Bundles(fhir.Input{Patient: patient,
		Batch: health.Batch{Measurements: ms, Provider: health.ProviderWithings, Source: "getmeas"}, Now: start})
	if err != nil || len(bundles) != 1 {
		t.Fatalf("mapping: %d bundles, %v", len(bundles), err)
	}
	return bundles[0]
}

// search returns the resources of typ matching query.
func search(t *testing.T, base, typ string, q url.Values) []json.RawMessage {
	t.Helper()
	resp, err := http.Get(base + "/" + typ + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Entry []struct{ Resource json.RawMessage }
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	out := make([]json.RawMessage, len(page.Entry))
	for i, e := range page.Entry {
		out[i] = e.Resource
	}
	return out
}

func TestFHIRServerVerify(t *testing.T) {
	t.Parallel()
	s, _ := realSink(t)
	if err := s.Verify(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestFHIRServerTransactionIdempotent(t *testing.T) {
	t.Parallel()
	s, base := realSink(t)
	patient := uniquePatient()
	b := weighIns(t, patient, fhir.BundleTransaction, 3)
	for i := range 3 {
		res, err := s.Publish(context.Background(), b)
		if err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		for _, e := range res.Entries {
			if e.Outcome != OutcomeCreated && e.Outcome != OutcomeUpdated {
				t.Errorf("publish %d: %+v", i, e)
			}
		}
	}
	got := search(t, base, "Observation", url.Values{"subject": {"Patient/" + patient}, "_count": {"100"}})
	if len(got) != 3 {
		t.Errorf("%d Observations for the patient after 3 publications of 3, want 3", len(got))
	}
}

func TestFHIRServerBatchWithInvalidEntry(t *testing.T) {
	t.Parallel()
	s, _ := realSink(t)
	b := weighIns(t, uniquePatient(), fhir.BundleBatch, 3)
	// The server refuses a PUT whose URL names another id than the body.
	b.Entry[1].Request = &fhir.BundleRequest{Method: "PUT", URL: "Observation/not-" + b.Entry[1].Resource.LogicalID()}
	res, err := s.Publish(context.Background(), b)
	if health.KindOf(err) != health.KindRejected {
		t.Fatalf("err = %v, want rejected", err)
	}
	rejected := res.Rejected()
	if len(rejected) != 1 || rejected[0].ID != b.Entry[1].Resource.LogicalID() || rejected[0].Status != 400 {
		t.Fatalf("rejected %+v, want exactly entry 1", rejected)
	}
	for i, e := range res.Entries {
		if i != 1 && e.Status/100 != 2 {
			t.Errorf("entry %d: %+v, want success", i, e)
		}
	}
}

func TestFHIRServerMarkEnteredInError(t *testing.T) {
	t.Parallel()
	s, base := realSink(t)
	patient := uniquePatient()
	b := weighIns(t, patient, fhir.BundleTransaction, 2)
	ctx := context.Background()
	if _, err := s.Publish(ctx, b); err != nil {
		t.Fatal(err)
	}
	key := b.Entry[0].Resource.Key()
	m := Match{Type: "Observation", Identifier: key, Subject: "Patient/" + patient}
	for i, want := range []int{1, 0} {
		n, err := s.MarkEnteredInError(ctx, m)
		if err != nil || n != want {
			t.Fatalf("call %d: changed %d, %v; want %d", i, n, err, want)
		}
	}
	for _, raw := range search(t, base, "Observation", url.Values{"subject": {"Patient/" + patient}}) {
		var o struct{ ID, Status string }
		_ = json.Unmarshal(raw, &o)
		want := "final"
		if o.ID == b.Entry[0].Resource.LogicalID() {
			want = "entered-in-error"
		}
		if o.Status != want {
			t.Errorf("Observation %s status %q, want %q", o.ID, o.Status, want)
		}
	}
}
