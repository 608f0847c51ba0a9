package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// maxBody bounds what ohx reads of any answer.
const maxBody = 64 << 20

// response is an HTTP answer read whole, so that the body can be parsed
// after the connection is released.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request is an HTTP request that can be sent more than once (the 401
// retry), which is why the body is bytes rather than a reader.
type request struct {
	op     string // names the operation in errors, e.g. "publish bundle"
	method string
	url    string
	header http.Header
	body   []byte
}

// send performs r within timeout and reads the answer. It classifies a
// failure to get an answer: the caller giving up keeps the context error in
// the chain, so the breaker can ignore it; a per-request timeout is
// transient; a refused or failed dial means the peer is unavailable. Errors
// never repeat the URL, whose query may name a patient.
func send(ctx context.Context, hc *http.Client, timeout time.Duration, r request) (response, error) {
	rctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, r.method, r.url, bytes.NewReader(r.body))
	if err != nil {
		return response{}, health.Wrap(health.KindInternal, err, r.op+": build request")
	}
	if r.body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header = r.header.Clone()
	resp, err := hc.Do(req)
	if err == nil {
		defer resp.Body.Close()
		var body []byte
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
		if err == nil {
			return response{status: resp.StatusCode, header: resp.Header, body: body}, nil
		}
	}
	return response{}, transportError(ctx, rctx, timeout, r.op, err)
}

func transportError(ctx, rctx context.Context, timeout time.Duration, op string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var dial *net.OpError
	switch {
	case ctx.Err() != nil:
		return health.Wrap(health.KindTransient, ctx.Err(), op+": abandoned by the caller")
	case rctx.Err() != nil:
		return health.Errorf(health.KindTransient, "%s: no answer within %s", op, timeout)
	case errors.As(err, &dial) && dial.Op == "dial":
		return health.Wrap(health.KindUnavailable, err, op+": cannot connect")
	}
	return health.Wrap(health.KindTransient, err, op+": connection failed")
}

// kindOfStatus classifies an HTTP status that is not 2xx. Conflicts and
// failed preconditions are transient: with PUT to fixed ids they come from
// concurrent writers, and the next attempt sees the new version.
func kindOfStatus(code int) health.ErrorKind {
	switch {
	case code == http.StatusTooManyRequests:
		return health.KindRateLimited
	case code == http.StatusUnauthorized:
		return health.KindUnauthorized
	case code == http.StatusForbidden:
		return health.KindForbidden
	case code == http.StatusRequestTimeout, code == http.StatusConflict,
		code == http.StatusPreconditionFailed, code == http.StatusTooEarly:
		return health.KindTransient
	case code == http.StatusServiceUnavailable, code == http.StatusBadGateway, code == http.StatusGatewayTimeout:
		return health.KindUnavailable
	case code >= 500:
		return health.KindTransient
	case code >= 400:
		return health.KindRejected
	}
	return health.KindInternal
}

// statusError classifies a non-2xx answer. A refusal carries the redacted
// OperationOutcome; a 429 or 503 carries Retry-After.
func statusError(op string, r response, now time.Time) *health.Error {
	kind := kindOfStatus(r.status)
	msg := fmt.Sprintf("%s: FHIR server answered HTTP %d", op, r.status)
	if kind == health.KindRejected {
		if d := describeIssues(parseIssues(r.body)); d != "" {
			msg += ": " + d
		}
	}
	e := &health.Error{Kind: kind, Message: msg}
	if r.status == http.StatusTooManyRequests || r.status == http.StatusServiceUnavailable {
		e.RetryAfterSeconds = retryAfter(r.header.Get("Retry-After"), now)
	}
	return e
}

// retryAfter reads Retry-After as seconds or as an HTTP date; 0 means the
// server did not say.
func retryAfter(v string, now time.Time) int {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return n
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return int(t.Sub(now).Round(time.Second) / time.Second)
	}
	return 0
}
