package health

import (
	"errors"
	"fmt"
)

// ErrorKind classifies a failure once, where it happens, so that the HTTP layer
// and the job layer can each map it to an outcome in a single place.
type ErrorKind string

// The kinds of failure ohx distinguishes. The strings are stable: they appear
// in sync state, audit events and metric labels.
const (
	KindInternal     ErrorKind = "internal"     // a bug or an unexpected state
	KindInvalid      ErrorKind = "invalid"      // the caller's input is malformed
	KindNotFound     ErrorKind = "not_found"    // the named thing does not exist
	KindConflict     ErrorKind = "conflict"     // the request clashes with current state
	KindUnauthorized ErrorKind = "unauthorized" // the caller is not authenticated
	KindForbidden    ErrorKind = "forbidden"    // the caller may not do this
	KindTransient    ErrorKind = "transient"    // a peer failed in a way worth retrying
	KindRateLimited  ErrorKind = "rate_limited" // a quota is spent; retry after RetryAfter
	KindAuthRevoked  ErrorKind = "auth_revoked" // the provider no longer accepts the link's tokens
	KindBadProvider  ErrorKind = "bad_provider" // the provider sent data ohx cannot read
	KindRejected     ErrorKind = "rejected"     // the FHIR server refused a resource
	KindUnavailable  ErrorKind = "unavailable"  // a dependency is down or a breaker is open
)

// Error is ohx's one error type. Message is safe to show to an API caller and
// to log: it never contains a token, a secret or a health value.
type Error struct {
	Kind    ErrorKind
	Message string
	// RetryAfterSeconds is set for KindRateLimited when the peer said when.
	RetryAfterSeconds int
	// Err is the underlying cause, kept for errors.Is/As; its text is not
	// shown to API callers.
	Err error
}

// Error returns the message, with the cause when there is one.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Err)
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error of the given kind with a formatted message.
func Errorf(kind ErrorKind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap builds an *Error of the given kind around a cause.
func Wrap(kind ErrorKind, err error, message string) *Error {
	return &Error{Kind: kind, Message: message, Err: err}
}

// KindOf returns the kind of the first *Error in err's chain, KindInternal
// for any other non-nil error, and "" for nil.
func KindOf(err error) ErrorKind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// MessageOf returns the caller-safe message of the first *Error in err's
// chain, or a generic text for errors that were never classified.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
