package publish

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/fhir"
)

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testLogger() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewJSONHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// assertClean fails if any secret or value appears in text.
func assertClean(t *testing.T, what, text string, forbidden ...string) {
	t.Helper()
	for _, f := range forbidden {
		if f != "" && strings.Contains(text, f) {
			t.Errorf("%s contains %q: %s", what, f, text)
		}
	}
}

// testBundle builds a Bundle of n Observations, each PUT to its id, with a
// value that must never show up in errors or logs.
func testBundle(typ string, ids ...string) *fhir.Bundle {
	b := &fhir.Bundle{ResourceType: "Bundle", Type: typ}
	for _, id := range ids {
		o := &fhir.Observation{
			ResourceType: "Observation", ID: id, Status: "final",
			Identifier:        []fhir.Identifier{{System: "urn:ohx:test", Value: id}},
			Code:              fhir.CodeableConcept{Coding: []fhir.Coding{{System: "http://loinc.org", Code: "29463-7"}}},
			Subject:           &fhir.Reference{Reference: "Patient/p-" + id},
			EffectiveDateTime: "2026-01-02T03:04:05Z",
			ValueQuantity:     &fhir.Quantity{Value: 72.5, Unit: "kg", System: "http://unitsofmeasure.org", Code: "kg"},
		}
		b.Entry = append(b.Entry, fhir.BundleEntry{FullURL: "urn:uuid:" + id, Resource: o,
			Request: &fhir.BundleRequest{Method: "PUT", URL: "Observation/" + id}})
	}
	return b
}

// fakeFHIR is an httptest FHIR server whose handler the test supplies.
func fakeFHIR(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// newTestSink returns a ServerSink for base with short timeouts.
func newTestSink(t *testing.T, cfg Config) (*ServerSink, *syncBuffer) {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	logger, buf := testLogger()
	s, err := NewServerSink(cfg, &http.Client{}, nil, logger)
	if err != nil {
		t.Fatal(err)
	}
	return s, buf
}

func writeFHIR(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", fhirJSON)
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
