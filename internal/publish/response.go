package publish

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ohx-health/ohx/internal/fhir"
	"github.com/ohx-health/ohx/internal/health"
)

// entryName returns the type and id of an entry's resource. Conditional
// create sends resources without an id; the fullUrl still carries it.
func entryName(e fhir.BundleEntry) (string, string) {
	if e.Resource == nil {
		return "", ""
	}
	id := e.Resource.LogicalID()
	if id == "" {
		id = strings.TrimPrefix(e.FullURL, "urn:uuid:")
	}
	return e.Resource.FHIRType(), id
}

// wholeRejected is the Result of a Bundle the server refused as a whole:
// nothing was written, so every entry is rejected with the Bundle's status.
func wholeRejected(b *fhir.Bundle, resp response) Result {
	res := Result{Entries: make([]EntryResult, len(b.Entry)), Issues: parseIssues(resp.body)}
	for i, e := range b.Entry {
		typ, id := entryName(e)
		res.Entries[i] = EntryResult{ResourceType: typ, ID: id, Status: resp.status, Outcome: OutcomeRejected}
	}
	return res
}

// readResponse pairs the response entries with the request entries, which
// FHIR requires to be in the same order.
func readResponse(b *fhir.Bundle, body []byte) (Result, error) {
	var br bundleResponse
	if err := json.Unmarshal(body, &br); err != nil || br.ResourceType != "Bundle" {
		return Result{}, fmt.Errorf("FHIR server did not answer a Bundle")
	}
	if len(br.Entry) != len(b.Entry) {
		return Result{}, fmt.Errorf("FHIR server answered %d entries for %d", len(br.Entry), len(b.Entry))
	}
	res := Result{Entries: make([]EntryResult, len(b.Entry))}
	for i, e := range br.Entry {
		typ, id := entryName(b.Entry[i])
		er := EntryResult{ResourceType: typ, ID: id, Outcome: OutcomeFailed}
		if e.Response != nil {
			er.Status = entryStatus(e.Response.Status)
			if lt, lid := parseLocation(e.Response.Location); lt == typ && lid != "" {
				er.ID = lid
			}
			er.Issues = parseIssues(e.Response.Outcome)
		}
		er.Outcome = entryOutcome(er.Status)
		res.Entries[i] = er
	}
	return res, nil
}

func entryOutcome(status int) string {
	switch {
	case status == 201:
		return OutcomeCreated
	case status/100 == 2:
		return OutcomeUpdated
	case kindOfStatus(status) == health.KindRejected:
		return OutcomeRejected
	}
	return OutcomeFailed
}

// parseLocation reads "[base/]Type/id[/_history/vid]".
func parseLocation(loc string) (string, string) {
	if i := strings.Index(loc, "/_history/"); i >= 0 {
		loc = loc[:i]
	}
	parts := strings.Split(strings.TrimRight(loc, "/"), "/")
	if len(parts) < 2 {
		return "", ""
	}
	return parts[len(parts)-2], parts[len(parts)-1]
}

// resultError classifies a Result: entries that failed on the server's side
// make the whole Bundle worth retrying (which rewrites the good entries
// harmlessly); otherwise refused entries make it KindRejected.
func resultError(op string, res Result) error {
	var failed []EntryResult
	for _, e := range res.Entries {
		if e.Outcome == OutcomeFailed {
			failed = append(failed, e)
		}
	}
	if len(failed) > 0 {
		kind := health.KindTransient
		if failed[0].Status != 0 {
			kind = kindOfStatus(failed[0].Status)
		}
		return health.Errorf(kind, "%s: %d of %d entries failed on the FHIR server (first %s/%s: HTTP %d)",
			op, len(failed), len(res.Entries), failed[0].ResourceType, failed[0].ID, failed[0].Status)
	}
	if rejected := res.Rejected(); len(rejected) > 0 {
		return health.Errorf(health.KindRejected, "%s: %s", op, describeRejected(rejected, len(res.Entries)))
	}
	return nil
}
