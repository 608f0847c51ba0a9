package httpapi

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"time"
)

// checkTimeout bounds each dependency check, so a hung database makes a
// probe fail instead of hang.
const checkTimeout = 3 * time.Second

type checkResult struct {
	Status         string   `json:"status"`
	ResponseTimeMS *float64 `json:"response_time_ms,omitempty"`
	Error          string   `json:"error,omitempty"`
}

// runCheck times fn and reports it in the original's shape. The error text
// is a fixed description: driver errors (hosts, users) stay in the log.
func runCheck(ctx context.Context, d Deps, name string, fn func(context.Context) error) checkResult {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	start := time.Now()
	if err := fn(ctx); err != nil {
		d.Logger.WarnContext(ctx, "health check failed", "check", name, "error", err)
		return checkResult{Status: "unhealthy", Error: name + " check failed"}
	}
	ms := roundMS(time.Since(start))
	return checkResult{Status: "healthy", ResponseTimeMS: &ms}
}

func roundMS(d time.Duration) float64 {
	return math.Round(float64(d.Microseconds())/10) / 100
}

// handleHealth reports every dependency with its response time; 503 when
// any is unhealthy.
func handleHealth(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		checks := map[string]checkResult{
			"database": runCheck(r.Context(), d, "database", d.DB.Ping),
			"queue":    runCheck(r.Context(), d, "queue", d.QueueCheck),
		}
		for name, fn := range d.Checks {
			checks[name] = runCheck(r.Context(), d, name, fn)
		}
		status, code := "healthy", http.StatusOK
		for _, c := range checks {
			if c.Status != "healthy" {
				status, code = "unhealthy", http.StatusServiceUnavailable
			}
		}
		writeJSON(w, code, map[string]any{
			"status":           status,
			"timestamp":        time.Now().Unix(),
			"checks":           checks,
			"response_time_ms": roundMS(time.Since(start)),
		})
	})
}

// handleReady says whether this process can take traffic.
func handleReady(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		db := runCheck(r.Context(), d, "database", d.DB.Ping).Status == "healthy"
		queue := runCheck(r.Context(), d, "queue", d.QueueCheck).Status == "healthy"
		code := http.StatusOK
		if !db || !queue {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, map[string]any{
			"ready":  db && queue,
			"checks": map[string]bool{"database": db, "queue": queue},
		})
	})
}

// handleLive answers as long as the process serves HTTP.
func handleLive() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"alive": true, "timestamp": time.Now().Unix()})
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
