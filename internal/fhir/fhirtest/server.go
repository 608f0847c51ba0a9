package fhirtest

import (
	"github.com/ohx-health/ohx/internal/testenv"

	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// ServerURL returns the FHIR test server's base URL from OHX_TEST_FHIR_URL
// (e.g. http://127.0.0.1:8104/fhir). It skips t when the variable is empty,
// unless OHX_TEST_REQUIRE_FHIR=1, which CI sets so a missing server fails.
func ServerURL(t testing.TB) string {
	t.Helper()
	return strings.TrimRight(testenv.FHIRURL(t), "/")
}

// EntryResult is one entry of a batch-response or transaction-response.
type EntryResult struct {
	Status   string
	Location string
	Outcome  json.RawMessage
}

// PostBundle posts a transaction or batch Bundle to base and returns the
// response entries in order. A non-2xx answer to the Bundle itself is an
// error carrying the server's OperationOutcome.
func PostBundle(ctx context.Context, client *http.Client, base string, bundle []byte) ([]EntryResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base, bytes.NewReader(bundle))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	req.Header.Set("Accept", "application/fhir+json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		return nil, fmt.Errorf("POST bundle: HTTP %d: %s", resp.StatusCode, truncate(body))
	}
	var answer struct {
		Entry []struct {
			Response struct {
				Status   string          `json:"status"`
				Location string          `json:"location"`
				Outcome  json.RawMessage `json:"outcome"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return nil, fmt.Errorf("decode bundle response: %w", err)
	}
	out := make([]EntryResult, len(answer.Entry))
	for i, e := range answer.Entry {
		out[i] = EntryResult{Status: e.Response.Status, Location: e.Response.Location, Outcome: e.Response.Outcome}
	}
	return out, nil
}

func truncate(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}
