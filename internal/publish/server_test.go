package publish

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ohx-health/ohx/internal/health"
)

// leakyOutcome is an OperationOutcome whose diagnostics echo submitted
// values, as real servers do.
const leakyOutcome = `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid",
  "diagnostics":"Observation.value[x]: value \"72.5\" with unit 'kg' is out of range 72.5",
  "expression":["Observation.value[x]"]}]}`

func TestRedact(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`value "72.5" is wrong`, `value "…" is wrong`},
		{`got 72.5 kg and 120/80`, `got # kg and #/#`},
		{`'Jane Doe' ‘x’ “y” is «z»`, `"…" "…" "…" is "…"`},
		{`unterminated "quote 12`, `unterminated "quote #`},
		{`Observation.component[0] missing`, `Observation.component[#] missing`},
		{strings.Repeat("a", 300), strings.Repeat("a", 200) + "…"},
	}
	for _, tc := range tests {
		if got := redact(tc.in); got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPublishClassifiesFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		sleep      time.Duration
		wantKind   health.ErrorKind
		wantRetry  int
		wantInText []string
	}{
		{name: "500", status: 500, body: `{}`, wantKind: health.KindTransient},
		{name: "502", status: 502, wantKind: health.KindUnavailable},
		{name: "503 retry-after", status: 503, header: map[string]string{"Retry-After": "12"}, wantKind: health.KindUnavailable, wantRetry: 12},
		{name: "429 seconds", status: 429, header: map[string]string{"Retry-After": "7"}, wantKind: health.KindRateLimited, wantRetry: 7},
		{name: "429 no header", status: 429, wantKind: health.KindRateLimited},
		{name: "409 conflict", status: 409, wantKind: health.KindTransient},
		{name: "403", status: 403, wantKind: health.KindForbidden},
		{name: "401 static token", status: 401, wantKind: health.KindUnauthorized},
		{name: "whole transaction refused", status: 400, body: leakyOutcome, wantKind: health.KindRejected,
			wantInText: []string{"HTTP 400", "error invalid at Observation.value[x]", `value "…" with unit "…"`}},
		{name: "422", status: 422, body: leakyOutcome, wantKind: health.KindRejected},
		{name: "timeout", status: 200, sleep: 300 * time.Millisecond, wantKind: health.KindTransient, wantInText: []string{"no answer within"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := fakeFHIR(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.sleep > 0 {
					select {
					case <-time.After(tc.sleep):
					case <-r.Context().Done():
					}
				}
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				writeFHIR(w, tc.status, tc.body)
			})
			s, logs := newTestSink(t, Config{BaseURL: srv.URL, Auth: AuthBearer, Authorization: "Bearer sekrit-token",
				Timeout: 100 * time.Millisecond})
			res, err := s.Publish(context.Background(), testBundle("transaction", "a1", "a2"))
			var he *health.Error
			if !errors.As(err, &he) {
				t.Fatalf("err = %v, want a *health.Error", err)
			}
			if he.Kind != tc.wantKind || he.RetryAfterSeconds != tc.wantRetry {
				t.Errorf("kind %s retry %d, want %s %d (%v)", he.Kind, he.RetryAfterSeconds, tc.wantKind, tc.wantRetry, err)
			}
			for _, w := range tc.wantInText {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if tc.wantKind == health.KindRejected && len(res.Rejected()) != 2 {
				t.Errorf("rejected entries = %+v, want both", res.Entries)
			}
			text, _ := json.Marshal(res)
			for _, s := range []string{err.Error(), string(text), logs.String()} {
				assertClean(t, "output", s, "72.5", "kg'", "sekrit-token")
			}
		})
	}
}

func TestPublishConnectionRefused(t *testing.T) {
	t.Parallel()
	srv := fakeFHIR(t, func(http.ResponseWriter, *http.Request) {})
	base := srv.URL
	srv.Close()
	s, _ := newTestSink(t, Config{BaseURL: base})
	_, err := s.Publish(context.Background(), testBundle("batch", "a"))
	if k := health.KindOf(err); k != health.KindUnavailable {
		t.Errorf("kind %s (%v), want unavailable", k, err)
	}
}

func TestPublishBatchResults(t *testing.T) {
	t.Parallel()
	var got struct {
		ct, accept string
		body       map[string]any
	}
	srv := fakeFHIR(t, func(w http.ResponseWriter, r *http.Request) {
		got.ct, got.accept = r.Header.Get("Content-Type"), r.Header.Get("Accept")
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &got.body)
		writeFHIR(w, 200, `{"resourceType":"Bundle","type":"batch-response","entry":[
		  {"response":{"status":"200 OK","location":"Observation/a/_history/3"}},
		  {"response":{"status":"400 Bad Request","outcome":`+leakyOutcome+`}},
		  {"response":{"status":"201 Created","location":"http://x/fhir/Observation/c/_history/1"}}]}`)
	})
	s, logs := newTestSink(t, Config{BaseURL: srv.URL})
	res, err := s.Publish(context.Background(), testBundle("batch", "a", "b", "c"))
	if k := health.KindOf(err); k != health.KindRejected {
		t.Fatalf("kind %s (%v), want rejected", k, err)
	}
	if got.ct != fhirJSON || got.accept != fhirJSON || got.body["type"] != "batch" {
		t.Errorf("request: content-type %q accept %q type %v", got.ct, got.accept, got.body["type"])
	}
	want := []EntryResult{
		{ResourceType: "Observation", ID: "a", Status: 200, Outcome: OutcomeUpdated},
		{ResourceType: "Observation", ID: "b", Status: 400, Outcome: OutcomeRejected, Issues: []Issue{{
			Severity: "error", Code: "invalid", Expression: []string{"Observation.value[x]"},
			Diagnostics: `Observation.value[x]: value "…" with unit "…" is out of range #`,
		}}},
		{ResourceType: "Observation", ID: "c", Status: 201, Outcome: OutcomeCreated},
	}
	if diff := cmp.Diff(want, res.Entries); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if !strings.Contains(err.Error(), "rejected 1 of 3 entries; Observation/b: HTTP 400") {
		t.Errorf("error %q does not name the refused entry", err)
	}
	assertClean(t, "error", err.Error(), "72.5")
	assertClean(t, "logs", logs.String(), "72.5")
	if !strings.Contains(logs.String(), `"resource_id":"b"`) {
		t.Errorf("logs do not report the refused entry: %s", logs)
	}
}

func TestPublishEntryFailureRetriesBundle(t *testing.T) {
	t.Parallel()
	srv := fakeFHIR(t, func(w http.ResponseWriter, r *http.Request) {
		writeFHIR(w, 200, `{"resourceType":"Bundle","type":"batch-response","entry":[
		  {"response":{"status":"201"}},{"response":{"status":"400"}},{"response":{"status":"503"}}]}`)
	})
	s, _ := newTestSink(t, Config{BaseURL: srv.URL})
	res, err := s.Publish(context.Background(), testBundle("batch", "a", "b", "c"))
	if k := health.KindOf(err); k != health.KindUnavailable {
		t.Errorf("kind %s (%v), want unavailable: a failed entry retries the Bundle", k, err)
	}
	outcomes := []string{res.Entries[0].Outcome, res.Entries[1].Outcome, res.Entries[2].Outcome}
	if diff := cmp.Diff([]string{OutcomeCreated, OutcomeRejected, OutcomeFailed}, outcomes); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

func TestPublishMismatchedResponse(t *testing.T) {
	t.Parallel()
	srv := fakeFHIR(t, func(w http.ResponseWriter, r *http.Request) {
		writeFHIR(w, 200, `{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"201"}}]}`)
	})
	s, _ := newTestSink(t, Config{BaseURL: srv.URL})
	if _, err := s.Publish(context.Background(), testBundle("batch", "a", "b")); err == nil {
		t.Error("Publish accepted 1 response entry for 2 request entries")
	}
}

func TestBreaker(t *testing.T) {
	t.Parallel()
	var failing atomic.Bool
	var hits atomic.Int32
	failing.Store(true)
	srv := fakeFHIR(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if failing.Load() {
			writeFHIR(w, 500, `{}`)
			return
		}
		writeFHIR(w, 200, `{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"200"}}]}`)
	})
	s, _ := newTestSink(t, Config{BaseURL: srv.URL, BreakerFailures: 3, BreakerTimeout: 200 * time.Millisecond})
	ctx := context.Background()
	for i := range 3 {
		if _, err := s.Publish(ctx, testBundle("batch", "a")); health.KindOf(err) != health.KindTransient {
			t.Fatalf("attempt %d: %v, want transient", i, err)
		}
	}
	if s.State() != "open" || s.breakerGauge() != 2 || s.Check(ctx) == nil {
		t.Fatalf("after 3 failures: state %s, gauge %v, check %v; want open", s.State(), s.breakerGauge(), s.Check(ctx))
	}
	_, err := s.Publish(ctx, testBundle("batch", "a"))
	if health.KindOf(err) != health.KindUnavailable || hits.Load() != 3 {
		t.Errorf("open breaker: %v after %d requests, want unavailable without a request", err, hits.Load())
	}
	failing.Store(false)
	time.Sleep(250 * time.Millisecond)
	if _, err := s.Publish(ctx, testBundle("batch", "a")); err != nil {
		t.Fatalf("after the breaker timeout: %v", err)
	}
	if s.State() != "closed" || s.Check(ctx) != nil {
		t.Errorf("state %s check %v, want closed and healthy", s.State(), s.Check(ctx))
	}
}

func TestBreakerIgnoresRejections(t *testing.T) {
	t.Parallel()
	srv := fakeFHIR(t, func(w http.ResponseWriter, r *http.Request) { writeFHIR(w, 400, leakyOutcome) })
	s, _ := newTestSink(t, Config{BaseURL: srv.URL, BreakerFailures: 2})
	for range 5 {
		if _, err := s.Publish(context.Background(), testBundle("transaction", "a")); health.KindOf(err) != health.KindRejected {
			t.Fatalf("%v, want rejected", err)
		}
	}
	if s.State() != "closed" {
		t.Errorf("state %s after rejections, want closed", s.State())
	}
}

func TestVerifyMetadata(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		wantKind   health.ErrorKind
		wantText   string
	}{
		{"r5", `{"resourceType":"CapabilityStatement","fhirVersion":"5.0.0"}`, "", ""},
		{"r4", `{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1"}`, health.KindInvalid, `declares fhirVersion "4.0.1"`},
		{"not a capability statement", `{"resourceType":"Patient"}`, health.KindUnavailable, "CapabilityStatement"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var published atomic.Int32
			srv := fakeFHIR(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/fhir/metadata" && r.Method == http.MethodGet {
					writeFHIR(w, 200, tc.body)
					return
				}
				published.Add(1)
				writeFHIR(w, 200, `{"resourceType":"Bundle","entry":[{"response":{"status":"200"}}]}`)
			})
			s, _ := newTestSink(t, Config{BaseURL: srv.URL + "/fhir/"})
			ctx := context.Background()
			err := s.Verify(ctx)
			if health.KindOf(err) != tc.wantKind || (err != nil && !strings.Contains(err.Error(), tc.wantText)) {
				t.Fatalf("Verify = %v, want kind %q with %q", err, tc.wantKind, tc.wantText)
			}
			if tc.wantKind == health.KindInvalid {
				_, perr := s.Publish(ctx, testBundle("batch", "a"))
				if health.KindOf(perr) != health.KindInvalid || published.Load() != 0 || s.Check(ctx) == nil {
					t.Errorf("after a non-R5 Verify: Publish %v (%d sent), Check %v; want refusals", perr, published.Load(), s.Check(ctx))
				}
			}
		})
	}
}
