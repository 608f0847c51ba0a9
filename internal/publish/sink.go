package publish

import (
	"context"

	"github.com/ohx-health/ohx/internal/fhir"
)

// Sink is where published resources go. Two implementations exist: ServerSink
// for a FHIR server and DirSink for a local directory. Every method is safe
// for concurrent use.
type Sink interface {
	// Publish writes every entry of b and reports each entry's outcome. The
	// error is a *health.Error: KindRejected when the destination refused
	// entries (the Result says which, and retrying will not help), and
	// KindTransient, KindRateLimited or KindUnavailable when the whole
	// Bundle should be published again later.
	Publish(ctx context.Context, b *fhir.Bundle) (Result, error)
	// MarkEnteredInError sets status entered-in-error on every resource
	// that m matches and returns how many it changed. Resources already
	// marked are not counted, so calling it again changes nothing.
	MarkEnteredInError(ctx context.Context, m Match) (int, error)
	// Identifiers returns the identifier values (of q.System) of the live
	// resources q selects, so a sync can find what the provider deleted.
	Identifiers(ctx context.Context, q Query) ([]string, error)
	// Verify checks that the destination can take ohx's output: a FHIR
	// server must declare fhirVersion 5.x, a directory must be writable.
	// Call it at start and whenever an operator asks.
	Verify(ctx context.Context) error
	// Check answers a health probe without I/O: nil, or why the sink cannot
	// publish now (breaker open, server not R5).
	Check(ctx context.Context) error
	// State is the circuit breaker's state, "closed", "half-open" or
	// "open"; a directory is always "closed".
	State() string
}

// Match selects resources by identifier, for MarkEnteredInError.
type Match struct {
	// Type is the FHIR resource type, e.g. "Observation".
	Type string
	// Identifier is "system|value", as in fhir.Resource.Key.
	Identifier string
	// Subject, when set, narrows the match to resources whose subject is
	// this reference, e.g. "Patient/123".
	Subject string
}

// Result is the outcome of one Publish, entry by entry in Bundle order.
type Result struct {
	Entries []EntryResult
	// Issues are the issues of an OperationOutcome that refused the whole
	// Bundle, redacted like EntryResult.Issues.
	Issues []Issue
}

// Entry outcomes. The strings are stable metric label values.
const (
	OutcomeCreated  = "created"  // a new resource was written
	OutcomeUpdated  = "updated"  // an existing resource was replaced or matched
	OutcomeRejected = "rejected" // the destination refused the entry; do not retry it
	OutcomeFailed   = "failed"   // the destination failed; retry the Bundle
)

// EntryResult is what happened to one Bundle entry. It never holds a value
// of the resource.
type EntryResult struct {
	// ResourceType and ID name the resource: the server's id when it
	// assigned one (conditional create), else ohx's deterministic id.
	ResourceType string
	ID           string
	// Status is the HTTP status of the entry, e.g. 200, 201 or 400.
	Status int
	// Outcome is one of the Outcome constants.
	Outcome string
	// Issues are the server's OperationOutcome issues for this entry,
	// with diagnostics redacted.
	Issues []Issue
}

// Rejected returns the entries the destination refused.
func (r Result) Rejected() []EntryResult {
	var out []EntryResult
	for _, e := range r.Entries {
		if e.Outcome == OutcomeRejected {
			out = append(out, e)
		}
	}
	return out
}

// Issue is one OperationOutcome issue, reduced to what is safe to log.
type Issue struct {
	Severity string
	Code     string
	// Expression and Location are the element paths the issue is about.
	Expression []string
	Location   []string
	// Diagnostics is the server's text (diagnostics, else details.text)
	// with quoted strings and numbers masked and the length bounded.
	Diagnostics string
}
