package withingstest

import (
	"context"
	"net/http"
	"time"
)

// Fault makes an endpoint misbehave. Delay applies first; then Status or
// HTTPStatus replaces the answer, or Truncate or Malformed spoils the
// normal one.
type Fault struct {
	// Status answers this envelope status with HTTP 200, as Withings does:
	// 401 (token rejected), 601 (quota), 2554, 2555, 522, …
	Status int
	// HTTPStatus answers this HTTP status with an HTML body, as a gateway
	// in front of Withings does (502, 503, 504).
	HTTPStatus int
	// Delay holds the answer back, or until the client gives up.
	Delay time.Duration
	// Truncate cuts the normal answer in half.
	Truncate bool
	// Malformed replaces the normal answer with HTML.
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

func writeFault(w http.ResponseWriter, f *Fault) {
	if f.HTTPStatus != 0 {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(f.HTTPStatus)
		_, _ = w.Write([]byte("<html><body>" + http.StatusText(f.HTTPStatus) + "</body></html>"))
		return
	}
	writeReply(w, fail(f.Status, "Injected fault"), nil)
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

// Counts returns the request count of every endpoint that was called.
func (s *Server) Counts() map[Endpoint]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[Endpoint]int, len(s.counts))
	for ep, n := range s.counts {
		out[ep] = n
	}
	return out
}

// QuotaRejections returns how many requests were answered 601 because the
// quota was spent (injected 601 faults excluded).
func (s *Server) QuotaRejections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

// takeQuota admits a request if fewer than QuotaPerMinute were admitted in
// the last 60 s of the emulator clock. Rejected requests do not count
// against the window.
func (s *Server) takeQuota() bool {
	if s.cfg.QuotaPerMinute < 0 {
		return true
	}
	now := s.cfg.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	cut := 0
	for cut < len(s.window) && !s.window[cut].After(now.Add(-time.Minute)) {
		cut++
	}
	s.window = s.window[cut:]
	if len(s.window) >= s.cfg.QuotaPerMinute {
		s.rejected++
		return false
	}
	s.window = append(s.window, now)
	return true
}
