package fitbittest

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Fault makes an endpoint misbehave. Delay applies first; then HTTPStatus
// replaces the answer, or Truncate or Malformed spoils the normal one.
type Fault struct {
	// HTTPStatus answers this status with Google's google.rpc.Status JSON
	// body of the matching canonical code (401 UNAUTHENTICATED, 403
	// PERMISSION_DENIED, 429 RESOURCE_EXHAUSTED, 500 INTERNAL, 503
	// UNAVAILABLE, …), or with an HTML page when HTML is set (a front end
	// or proxy answering).
	HTTPStatus int
	// Reason is the ErrorInfo reason of the JSON body, e.g.
	// ACCOUNT_NOT_LINKED (with HTTPStatus 400) or SERVICE_DISABLED.
	Reason string
	// HTML answers an HTML page instead of JSON.
	HTML bool
	// RetryAfter is sent as the Retry-After header when set (seconds or an
	// HTTP date).
	RetryAfter string
	// Delay holds the answer back, or until the client gives up.
	Delay time.Duration
	// Truncate cuts the normal answer in half.
	Truncate bool
	// Malformed replaces the normal answer with HTML under status 200.
	Malformed bool
	// Times is how many requests the fault spoils; 0 means every request
	// until ClearFaults.
	Times int

	used int
}

// InjectFault queues f for ep. Faults of one endpoint apply in the order
// injected, each for its Times requests.
func (s *Server) InjectFault(ep Endpoint, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[ep] = append(s.faults[ep], &f)
}

// ClearFaults removes every queued fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = map[Endpoint][]*Fault{}
}

// takeFault returns a copy of the fault that applies to this request.
func (s *Server) takeFault(ep Endpoint) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	q := s.faults[ep]
	for len(q) > 0 && q[0].Times > 0 && q[0].used >= q[0].Times {
		q = q[1:]
	}
	s.faults[ep] = q
	if len(q) == 0 {
		return nil
	}
	q[0].used++
	f := *q[0]
	return &f
}

// delay waits out f.Delay and reports whether the client is still there.
func (f *Fault) delay(ctx context.Context) bool {
	if f.Delay <= 0 {
		return true
	}
	t := time.NewTimer(f.Delay)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// replaces reports whether the fault answers instead of the endpoint.
func (f *Fault) replaces() bool { return f.HTTPStatus != 0 }

// write answers the fault's status.
func (f *Fault) write(w http.ResponseWriter) {
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.HTML {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(f.HTTPStatus)
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body>" + http.StatusText(f.HTTPStatus) + "</body></html>"))
		return
	}
	if f.HTTPStatus == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
	}
	writeStatus(w, rpcStatus{code: f.HTTPStatus, message: "Injected fault.", reason: f.Reason})
}

// spoiler buffers an endpoint's answer so that a fault can spoil it.
type spoiler struct {
	http.ResponseWriter
	f      *Fault
	status int
	buf    bytes.Buffer
}

func (sp *spoiler) WriteHeader(code int) { sp.status = code }

func (sp *spoiler) Write(b []byte) (int, error) { return sp.buf.Write(b) }

// flush writes the buffered answer, spoiled.
func (sp *spoiler) flush() {
	data := sp.buf.Bytes()
	status := sp.status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case sp.f.Malformed:
		sp.Header().Set("Content-Type", "text/html")
		data = []byte("<html><body>502 Bad Gateway</body></html>")
	case sp.f.Truncate:
		data = data[:len(data)/2]
	}
	sp.Header().Set("Content-Length", strconv.Itoa(len(data)))
	sp.ResponseWriter.WriteHeader(status)
	_, _ = sp.ResponseWriter.Write(data)
}

// count records one request to ep.
func (s *Server) count(ep Endpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[ep]++
}

// Count returns how many requests ep received, rejected ones included.
func (s *Server) Count(ep Endpoint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[ep]
}

// takeQuota admits a request of userID if fewer than QuotaPerMinute of the
// user's were admitted in the last 60 s of the clock; otherwise it returns
// how long until a slot frees. Rejected requests do not count.
func (s *Server) takeQuota(userID string) (bool, time.Duration) {
	if s.cfg.QuotaPerMinute < 0 {
		return true, 0
	}
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	win := s.windows[userID]
	cut := 0
	for cut < len(win) && !win[cut].After(now.Add(-time.Minute)) {
		cut++
	}
	win = win[cut:]
	if len(win) >= s.cfg.QuotaPerMinute {
		s.windows[userID] = win
		return false, win[0].Add(time.Minute).Sub(now)
	}
	s.windows[userID] = append(win, now)
	return true, 0
}

// quotaExceeded answers 429 RESOURCE_EXHAUSTED with Retry-After as
// configured.
func (s *Server) quotaExceeded(w http.ResponseWriter, wait time.Duration) {
	switch {
	case s.cfg.NoRetryAfter:
	case s.cfg.RetryAfterDate:
		w.Header().Set("Retry-After", s.cfg.Now().Add(wait).Add(time.Second).UTC().Format(http.TimeFormat))
	default:
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	}
	writeStatus(w, rpcStatus{code: http.StatusTooManyRequests, reason: "RATE_LIMIT_EXCEEDED",
		message: "Quota exceeded for quota metric 'Requests per user' of service 'health.googleapis.com'."})
}
