package fitbit

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// ErrTokenRejected is the cause inside the *health.Error (KindUnauthorized)
// that a call returns when Google answers 401 UNAUTHENTICATED: the access
// token is expired, revoked or invalid. The client refreshes once through
// its TokenSource and retries; callers only see this error when the refresh
// itself could not run.
var ErrTokenRejected = errors.New("google rejected the access token")

// ErrCredentialsRejected is in the chain of the error a call returns when
// Google refuses ohx's own OAuth client (token endpoint invalid_client or
// unauthorized_client), as opposed to a user's grant (invalid_grant): every
// link is affected, and nothing but a configuration change helps. The
// error's kind is KindUnavailable, so jobs wait and retry instead of giving
// up on the links.
var ErrCredentialsRejected = errors.New("google rejected the OAuth client id or secret (OHX_FITBIT_CLIENT_ID, OHX_FITBIT_CLIENT_SECRET)")

// ErrAccountNotLinked is in the chain of the KindForbidden error a call
// returns when the user authorized ohx but has no Google Health profile
// (400 FAILED_PRECONDITION ACCOUNT_NOT_LINKED, or 412, §7.2): the user must
// set up the Fitbit / Google Health app; retrying cannot help before that.
var ErrAccountNotLinked = errors.New("the Google account is not linked to Google Health")

// DefaultRetryAfter is the RetryAfterSeconds hint on a 429 that carries no
// usable Retry-After header (the API documents none, §7.3): one full
// per-minute quota window.
const DefaultRetryAfter = 60

// APIError is the cause inside the *health.Error a data API call returns
// for a non-2xx answer. It holds only the HTTP status, the canonical status
// and the machine-readable reasons of the google.rpc.Status body, never its
// free-text message, which may echo the request (a filter, a page token).
type APIError struct {
	HTTPStatus int
	Status     string   // canonical code, e.g. INVALID_ARGUMENT; "" for a non-JSON body
	Reason     string   // ErrorInfo.reason, e.g. INVALID_DATA_POINT_FILTER
	Detailed   []string // ErrorInfo.metadata.detailedReasons, split on commas
}

// Error names the status and reasons.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP %d", e.HTTPStatus)
	if e.Status != "" {
		b.WriteString(" " + e.Status)
	}
	if e.Reason != "" {
		b.WriteString(" (" + e.Reason)
		if len(e.Detailed) > 0 {
			b.WriteString(": " + strings.Join(e.Detailed, ","))
		}
		b.WriteString(")")
	}
	return b.String()
}

// googleStatus is a google.rpc.Status error body.
type googleStatus struct {
	Error struct {
		Code    int    `json:"code"`
		Status  string `json:"status"`
		Details []struct {
			Type     string            `json:"@type"`
			Reason   string            `json:"reason"`
			Metadata map[string]string `json:"metadata"`
		} `json:"details"`
	} `json:"error"`
}

// enumToken is what a canonical status or reason looks like; anything else
// is not kept, so a body echoing input cannot smuggle it into an error.
var enumToken = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,99}$`)

func safeEnum(s string) string {
	if enumToken.MatchString(s) {
		return s
	}
	return ""
}

// parseAPIError reads what can be kept of an error body.
func parseAPIError(code int, raw []byte) *APIError {
	e := &APIError{HTTPStatus: code}
	var st googleStatus
	if json.Unmarshal(raw, &st) != nil {
		return e
	}
	e.Status = safeEnum(st.Error.Status)
	for _, d := range st.Error.Details {
		if r := safeEnum(d.Reason); r != "" && e.Reason == "" {
			e.Reason = r
			for _, part := range strings.Split(d.Metadata["detailedReasons"], ",") {
				if p := safeEnum(strings.TrimSpace(part)); p != "" {
					e.Detailed = append(e.Detailed, p)
				}
			}
		}
	}
	return e
}

// apiStatusError classifies a non-2xx data API answer (§7.2).
func (c *Client) apiStatusError(op string, resp *http.Response, raw []byte) error {
	ae := parseAPIError(resp.StatusCode, raw)
	msg := fmt.Sprintf("fitbit %s: %s", op, ae.Error())
	code := resp.StatusCode
	switch {
	case code == http.StatusUnauthorized:
		return &health.Error{Kind: health.KindUnauthorized, Message: msg, Err: fmt.Errorf("%w: %w", ErrTokenRejected, ae)}
	case ae.Reason == "ACCOUNT_NOT_LINKED" || code == http.StatusPreconditionFailed:
		return &health.Error{Kind: health.KindForbidden, Message: msg, Err: fmt.Errorf("%w: %w", ErrAccountNotLinked, ae)}
	case code == http.StatusForbidden && ae.Reason == "SERVICE_DISABLED":
		// ohx's own Cloud project lacks the API: every link is affected.
		return &health.Error{Kind: health.KindUnavailable, Message: msg, Err: ae}
	case code == http.StatusForbidden:
		return &health.Error{Kind: health.KindForbidden, Message: msg, Err: ae}
	case code == http.StatusNotFound:
		return &health.Error{Kind: health.KindNotFound, Message: msg, Err: ae}
	case code == http.StatusTooManyRequests:
		return &health.Error{Kind: health.KindRateLimited, Message: msg, Err: ae,
			RetryAfterSeconds: retryAfter(resp.Header.Get("Retry-After"), c.cfg.Now())}
	case code == http.StatusRequestTimeout || code == http.StatusConflict || code >= 500:
		return &health.Error{Kind: health.KindTransient, Message: msg, Err: ae}
	case code == http.StatusBadRequest && ae.Status == "FAILED_PRECONDITION":
		return &health.Error{Kind: health.KindConflict, Message: msg, Err: ae}
	case code == http.StatusBadRequest:
		return &health.Error{Kind: health.KindInvalid, Message: msg, Err: ae}
	default:
		return &health.Error{Kind: health.KindBadProvider, Message: msg, Err: ae}
	}
}

// retryAfter reads a Retry-After header, delay-seconds or HTTP-date, into
// whole seconds (at least 1), or DefaultRetryAfter when absent or invalid.
func retryAfter(h string, now time.Time) int {
	h = strings.TrimSpace(h)
	if h == "" {
		return DefaultRetryAfter
	}
	if n, err := strconv.Atoi(h); err == nil {
		if n < 1 {
			return 1
		}
		return min(n, 24*3600)
	}
	if t, err := http.ParseTime(h); err == nil {
		s := int(math.Ceil(t.Sub(now).Seconds()))
		return max(1, min(s, 24*3600))
	}
	return DefaultRetryAfter
}

// OAuthError is the cause inside the *health.Error an OAuth call returns
// for a refused request: the HTTP status and the RFC 6749 error code (such
// as invalid_grant), never the error_description.
type OAuthError struct {
	HTTPStatus int
	Code       string
}

// Error names the status and code.
func (e *OAuthError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("HTTP %d", e.HTTPStatus)
	}
	return fmt.Sprintf("HTTP %d %s", e.HTTPStatus, e.Code)
}

var oauthCode = regexp.MustCompile(`^[a-z][a-z_]{0,63}$`)

// judgeOAuth classifies a non-2xx answer of the token or revoke endpoint.
// A refused grant is returned as KindInvalid with an *OAuthError; the
// caller decides what a refused grant means (Exchange: a bad code;
// Refresh: a revoked link). A refused client is KindUnavailable with
// ErrCredentialsRejected.
func (c *Client) judgeOAuth(op string, resp *http.Response, raw []byte) error {
	var body struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(raw, &body)
	oe := &OAuthError{HTTPStatus: resp.StatusCode}
	if oauthCode.MatchString(body.Error) {
		oe.Code = body.Error
	}
	msg := fmt.Sprintf("fitbit %s: %s", op, oe.Error())
	switch {
	case oe.Code == "invalid_client" || oe.Code == "unauthorized_client":
		return &health.Error{Kind: health.KindUnavailable, Message: msg, Err: fmt.Errorf("%w: %w", ErrCredentialsRejected, oe)}
	case resp.StatusCode == http.StatusTooManyRequests:
		return &health.Error{Kind: health.KindRateLimited, Message: msg, Err: oe,
			RetryAfterSeconds: retryAfter(resp.Header.Get("Retry-After"), c.cfg.Now())}
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusRequestTimeout:
		return &health.Error{Kind: health.KindTransient, Message: msg, Err: oe}
	case oe.Code != "":
		return &health.Error{Kind: health.KindInvalid, Message: msg, Err: oe}
	default:
		return &health.Error{Kind: health.KindBadProvider, Message: msg, Err: oe}
	}
}

// oauthCodeOf returns the OAuth error code in err's chain, or "".
func oauthCodeOf(err error) string {
	var oe *OAuthError
	if errors.As(err, &oe) {
		return oe.Code
	}
	return ""
}
