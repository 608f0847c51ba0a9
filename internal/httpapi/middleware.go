package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/ohx-health/ohx/internal/logging"
	"github.com/ohx-health/ohx/internal/metrics"
)

// withRequestID honours a well-formed X-Request-ID from the caller or
// makes one, echoes it, and puts it in the request's context for logging.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(logging.WithRequestID(r.Context(), id)))
	})
}

// validRequestID accepts up to 128 visible ASCII characters without
// quotes or backslashes, so a caller's id cannot break a log line.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status code and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	code  int
	bytes int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// instrument writes one access-log line per request (path without query
// string, since webhook secrets travel there) and records metrics labelled
// by the matched route pattern, which keeps label values bounded.
func instrument(next http.Handler, logger *slog.Logger, m *metrics.Metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.code == 0 {
			rec.code = http.StatusOK
		}
		elapsed := time.Since(start)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		method := boundedMethod(r.Method)
		m.HTTPRequests.WithLabelValues(route, method, strconv.Itoa(rec.code)).Inc()
		m.HTTPDuration.WithLabelValues(route, method).Observe(elapsed.Seconds())
		logger.InfoContext(r.Context(), "http request", "method", r.Method, "path", r.URL.Path, "route", route,
			"status", rec.code, "bytes", rec.bytes, "duration_ms", float64(elapsed.Microseconds())/1000)
	})
}

// slogErrorLog adapts slog to promhttp's error logger.
type slogErrorLog struct{ logger *slog.Logger }

func (l slogErrorLog) Println(v ...any) { l.logger.Error("metrics exposition failed", "error", v) }

// boundedMethod maps non-standard methods to OTHER so a client cannot grow
// the metric's label set.
func boundedMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}
