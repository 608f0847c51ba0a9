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

	mux.Handle("GET /{$}", handleRoot())
	mux.Handle("GET /webhooks/health/{$}", handleWebhookHealth(d))
	mux.Handle("GET /webhooks/metrics/{$}", handleWebhookMetrics(d))

	// Provider webhooks (original: webhooks/views.py). Withings probes the
	// callback URL with HEAD, and retries any error for hours.
	mux.Handle("POST /webhooks/withings/{$}", handleWithingsWebhook(d))
	mux.Handle("HEAD /webhooks/withings/{$}", handleWithingsProbe())
	mux.Handle("GET /webhooks/withings/{$}", handleWithingsProbe())
	mux.Handle("POST /webhooks/withings", handleWithingsWebhook(d))
	mux.Handle("GET /webhooks/withings", handleWithingsProbe())
	// Google Health API (Fitbit) subscriber endpoint: verification handshake
	// and notification batches, both POST (webhooks_fitbit.go).
	mux.Handle("POST /webhooks/fitbit/{$}", handleFitbitWebhook(d))
	mux.Handle("POST /webhooks/fitbit", handleFitbitWebhook(d))

	// The patient API (original: base/views.py). Patient-scoped routes
	// need an API key or the patient's own OIDC token (authn.go).
	mux.Handle("GET /api/base/providers/{$}", handleProviders(d))
	mux.Handle("GET /api/base/providers/{id}/{$}", handleProviders(d))
	mux.Handle("GET /api/base/providers/capabilities/{$}", handleCapabilities(d))
	if d.Links == nil {
		return
	}
	mux.Handle("GET /api/base/link/success/{$}", handleLinkPage(true))
	mux.Handle("GET /api/base/link/error/{$}", handleLinkPage(false))
	mux.Handle("GET /api/base/link/{provider}/{$}", handleLinkStart(d))
	mux.Handle("GET /social/complete/{provider}/{$}", handleLinkCallback(d))
	mux.Handle("GET /api/base/link/{provider}/status/{$}", handleLinkStatus(d))
	mux.Handle("POST /api/base/link/{provider}/unlink/{$}", handleUnlink(d))
	mux.Handle("DELETE /api/base/link/{provider}/unlink/{$}", handleUnlink(d))
	mux.Handle("GET /api/base/sync/status/{$}", handleSyncStatus(d))
	mux.Handle("GET /api/base/sync/providers/{$}", handleSyncProviders(d))
	mux.Handle("GET /api/base/sync/devices/{$}", handleSyncDevices(d))
	mux.Handle("POST /api/base/sync/trigger_device_sync/{$}", handleTriggerDeviceSync(d))
}
