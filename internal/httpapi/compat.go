package httpapi

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// pyTime formats t as the original's timezone.now().isoformat(sep=' ').
func pyTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.000000-07:00") }

// handleRoot answers the original's root view: the server's time.
func handleRoot() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"current_time": pyTime(time.Now())})
	})
}

// webhookCounts reads the webhook counter: notifications by provider, and
// those that failed (unauthorized or invalid) by provider.
func webhookCounts(d Deps) (counts, errs map[string]float64) {
	counts, errs = map[string]float64{}, map[string]float64{}
	ch := make(chan prometheus.Metric, 64)
	go func() { d.Metrics.Webhooks.Collect(ch); close(ch) }()
	for m := range ch {
		var pb dto.Metric
		if m.Write(&pb) != nil {
			continue
		}
		var provider, outcome string
		for _, l := range pb.GetLabel() {
			switch l.GetName() {
			case "provider":
				provider = l.GetValue()
			case "outcome":
				outcome = l.GetValue()
			}
		}
		v := pb.GetCounter().GetValue()
		counts[provider] += v
		if outcome == "unauthorized" || outcome == "invalid" {
			errs[provider] += v
		}
	}
	return counts, errs
}

// handleWebhookHealth is the original's /webhooks/health/: the webhook
// endpoints and the queue they feed, with the notification counts.
func handleWebhookHealth(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now().UTC().Format(time.RFC3339Nano)
		queue := runCheck(r.Context(), d, "queue", d.QueueCheck)
		counts, errs := webhookCounts(d)
		body := map[string]any{"timestamp": now,
			"services": map[string]string{"webhook_endpoints": "online", "task_queue": "online"},
			"metrics":  map[string]any{"webhook_counts": counts, "error_counts": errs}}
		if queue.Status != "healthy" {
			body["status"], body["error"] = "unhealthy", queue.Error
			body["services"].(map[string]string)["task_queue"] = "offline"
			writeJSON(w, http.StatusServiceUnavailable, body)
			return
		}
		body["status"] = "healthy"
		writeJSON(w, http.StatusOK, body)
	})
}

// handleWebhookMetrics is the original's /webhooks/metrics/; unlike the
// original's per-process counters, these survive only as long as the
// process too, but Prometheus (/metrics) has them for the fleet.
func handleWebhookMetrics(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		counts, errs := webhookCounts(d)
		endpoints := map[string]string{"health_check": "/webhooks/health/", "metrics": "/webhooks/metrics/"}
		for _, p := range d.Providers {
			endpoints[p+"_webhook"] = "/webhooks/" + p + "/"
		}
		writeJSON(w, http.StatusOK, map[string]any{"timestamp": time.Now().UTC().Format(time.RFC3339Nano),
			"webhook_metrics": map[string]any{"webhook_counts": counts, "error_counts": errs}, "endpoints": endpoints})
	})
}
