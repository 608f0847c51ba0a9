package httpapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// addRoutes lists every route ohx serves. Paths are the original service's
// where one existed, so sites can switch without changing their clients.
func addRoutes(mux *http.ServeMux, d Deps) {
	metricsHandler := promhttp.HandlerFor(d.Gatherer, promhttp.HandlerOpts{ErrorLog: slogErrorLog{d.Logger}})

	// Probes and metrics (original: metrics/views.py).
	mux.Handle("GET /api/metrics/health/", handleHealth(d))
	mux.Handle("GET /api/metrics/ready/", handleReady(d))
	mux.Handle("GET /api/metrics/live/", handleLive())
	mux.Handle("GET /api/metrics/{$}", metricsHandler)
	mux.Handle("GET /healthz", handleLive())
	mux.Handle("GET /readyz", handleReady(d))
	mux.Handle("GET /metrics", metricsHandler)

	if d.ProbesOnly {
		return // a worker process serves nothing else
	}

	// Provider webhooks (original: webhooks/views.py). Withings probes the
	// callback URL with HEAD, and retries any error for hours.
	mux.Handle("POST /webhooks/withings/{$}", handleWithingsWebhook(d))
	mux.Handle("HEAD /webhooks/withings/{$}", handleWithingsProbe())
	mux.Handle("GET /webhooks/withings/{$}", handleWithingsProbe())
	mux.Handle("POST /webhooks/withings", handleWithingsWebhook(d))
	mux.Handle("GET /webhooks/withings", handleWithingsProbe())
}
