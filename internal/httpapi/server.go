// Package httpapi is ohx's HTTP surface: the route table, the handlers,
// and the middleware every request passes (request id, access log,
// metrics).
//
// Handlers only verify, record and enqueue; they never call a provider or
// the FHIR server inside a request, except the OAuth code exchange.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/link"
	"github.com/ohx-health/ohx/internal/metrics"
	"github.com/ohx-health/ohx/internal/store"
)

// Deps are what the handlers need, passed in by run.
type Deps struct {
	Logger   *slog.Logger
	DB       *store.DB
	Metrics  *metrics.Metrics
	Gatherer prometheus.Gatherer
	// QueueCheck tells whether the job queue is usable.
	QueueCheck func(ctx context.Context) error
	// ProbesOnly limits a worker process to probes and metrics.
	ProbesOnly bool
	// Queue enqueues jobs in the same transaction as the state they follow.
	Queue *jobs.Client
	// Withings is nil when Withings is not configured.
	Withings *WithingsWebhook
	// Fitbit is nil when Fitbit (Google Health API) webhooks are off.
	Fitbit *FitbitWebhook
	// Checks are extra dependency checks for the health probe, e.g. the
	// FHIR sink's circuit breaker.
	Checks map[string]func(context.Context) error
	// Providers are the configured providers ("withings"), in order.
	Providers []string
	// Links runs linking flows; nil leaves the patient API out.
	Links *link.Service
	// Tokens verifies patients' OIDC bearer tokens; nil accepts API keys
	// only.
	Tokens TokenVerifier
	// SyncInterval is the periodic sync's interval, for capabilities.
	SyncInterval time.Duration
}

// NewServer returns the root handler: every route of routes.go behind the
// common middleware.
func NewServer(d Deps) http.Handler {
	mux := http.NewServeMux()
	addRoutes(mux, d)
	var h http.Handler = mux
	h = instrument(h, d.Logger, d.Metrics)
	h = withRequestID(h)
	return h
}
