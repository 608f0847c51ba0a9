package withings

import (
	"errors"
	"fmt"

	"github.com/ohx-health/ohx/internal/health"
)

// ErrTokenRejected is the cause inside the *health.Error (KindUnauthorized)
// that a call returns when Withings answers status 401 or another
// "authentication failed" status: the access token is expired or invalid.
// The client refreshes once through its TokenSource and retries; callers only
// see this error when the refresh itself could not run.
var ErrTokenRejected = errors.New("withings rejected the access token")

// statusFamily is one of the status families the Withings reference
// publishes; Withings does not document individual codes beyond them.
type statusFamily struct {
	name string
	kind health.ErrorKind
}

var (
	familyAuth         = statusFamily{"authentication failed", health.KindUnauthorized}
	familyInvalid      = statusFamily{"invalid params", health.KindInvalid}
	familyUnauthorized = statusFamily{"unauthorized", health.KindForbidden}
	familyTransient    = statusFamily{"temporary failure", health.KindTransient}
	familyBadState     = statusFamily{"bad state", health.KindConflict}
	familyRateLimited  = statusFamily{"too many requests", health.KindRateLimited}
	familyOther        = statusFamily{"an error occurred", health.KindBadProvider}
)

// statusRanges maps Withings body statuses to families, from the reference's
// status table. 2554 (not implemented), 2555 and 522 (timeout) are treated as
// temporary: Withings answers them for requests that succeed when repeated.
// Any status not listed is "an error occurred".
var statusRanges = []struct {
	lo, hi int
	family statusFamily
}{
	{100, 102, familyAuth}, {200, 200, familyAuth}, {401, 401, familyAuth},
	{214, 214, familyUnauthorized}, {277, 277, familyUnauthorized}, {2553, 2553, familyUnauthorized},
	{522, 522, familyTransient}, {2554, 2555, familyTransient},
	{524, 524, familyBadState},
	{601, 601, familyRateLimited},
	{201, 213, familyInvalid}, {216, 218, familyInvalid}, {220, 221, familyInvalid}, {223, 223, familyInvalid},
	{225, 225, familyInvalid}, {227, 230, familyInvalid}, {234, 236, familyInvalid}, {238, 238, familyInvalid},
	{240, 252, familyInvalid}, {254, 254, familyInvalid}, {260, 267, familyInvalid}, {271, 272, familyInvalid},
	{275, 276, familyInvalid}, {283, 288, familyInvalid}, {290, 290, familyInvalid}, {293, 295, familyInvalid},
	{297, 297, familyInvalid}, {300, 304, familyInvalid}, {321, 321, familyInvalid}, {323, 353, familyInvalid},
	{380, 382, familyInvalid}, {400, 400, familyInvalid}, {501, 511, familyInvalid}, {523, 523, familyInvalid},
	{532, 532, familyInvalid}, {3017, 3019, familyInvalid},
}

// rateLimitRetryAfter is the RetryAfterSeconds hint on status 601. Withings
// sends no header saying when its per-minute window reopens, so the hint is
// one full window.
const rateLimitRetryAfter = 60

func familyOf(status int) statusFamily {
	for _, r := range statusRanges {
		if status >= r.lo && status <= r.hi {
			return r.family
		}
	}
	return familyOther
}

// statusError classifies a non-zero body status for the named operation.
// The cause is a *StatusError (wire.go), shared with the decoders, so that
// callers recover the code with errors.As. The free-form Withings error text
// is never kept: it may echo request parameters such as a callback URL that
// carries a secret.
func statusError(op string, status int) error {
	fam := familyOf(status)
	e := &health.Error{
		Kind:    fam.kind,
		Message: fmt.Sprintf("withings %s: status %d (%s)", op, status, fam.name),
		Err:     &StatusError{Status: status},
	}
	switch fam {
	case familyAuth:
		e.Err = fmt.Errorf("%w: %w", ErrTokenRejected, &StatusError{Status: status})
	case familyRateLimited:
		e.RetryAfterSeconds = rateLimitRetryAfter
	}
	return e
}

// httpStatusError classifies a response whose HTTP status is not 200, which
// Withings itself never sends: a gateway or load balancer answered instead.
func httpStatusError(op string, code int) error {
	switch {
	case code == 429:
		return &health.Error{Kind: health.KindRateLimited, RetryAfterSeconds: rateLimitRetryAfter,
			Message: fmt.Sprintf("withings %s: HTTP %d", op, code)}
	case code >= 500:
		return health.Errorf(health.KindTransient, "withings %s: HTTP %d", op, code)
	default:
		return health.Errorf(health.KindBadProvider, "withings %s: unexpected HTTP %d", op, code)
	}
}

// isRetryable reports whether a failed attempt is worth repeating inside
// the client. Rate limiting is not: repeating spends more of the quota.
func isRetryable(err error) bool {
	return health.KindOf(err) == health.KindTransient
}
