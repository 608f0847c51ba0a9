package publish

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/fhir"
)

// findAll runs the same reconciliation scenario on a sink: two weigh-ins
// published, one retired; the window finds the live one only, and a window
// before them finds nothing.
func findAll(t *testing.T, s Sink, patient string) {
	t.Helper()
	ctx := context.Background()
	b := weighIns(t, patient, fhir.BundleTransaction, 2)
	if _, err := s.Publish(ctx, b); err != nil {
		t.Fatal(err)
	}
	system, _, _ := strings.Cut(b.Entry[0].Resource.Key(), "|")
	q := Query{Type: "Observation", Subject: "Patient/" + patient, System: system,
		From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	got, err := s.Identifiers(ctx, q)
	if err != nil || len(got) != 2 {
		t.Fatalf("Identifiers = %v, %v; want both weigh-ins", got, err)
	}
	if _, err := s.MarkEnteredInError(ctx, Match{Type: "Observation", Identifier: b.Entry[0].Resource.Key(), Subject: q.Subject}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Identifiers(ctx, q)
	_, first, _ := strings.Cut(b.Entry[0].Resource.Key(), "|")
	if len(got) != 1 || slices.Contains(got, first) {
		t.Errorf("after retiring one: %v", got)
	}
	q.To = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	if got, _ := s.Identifiers(ctx, q); len(got) != 0 {
		t.Errorf("window before the readings: %v", got)
	}
	q.Subject = "Patient/someone-else"
	q.To = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	if got, _ := s.Identifiers(ctx, q); len(got) != 0 {
		t.Errorf("another patient's window: %v", got)
	}
}

func TestDirIdentifiers(t *testing.T) {
	t.Parallel()
	d, _ := newTestDir(t)
	findAll(t, d, "p-find")
}

func TestFHIRServerIdentifiers(t *testing.T) {
	t.Parallel()
	s, _ := realSink(t)
	findAll(t, s, uniquePatient())
}
