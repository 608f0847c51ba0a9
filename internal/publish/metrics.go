package publish

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ohx-health/ohx/internal/health"
)

// metrics are the publishing collectors. Labels are bounded: outcomes are
// health kinds or entry outcomes, resource types are the few ohx writes.
type metrics struct {
	requests *prometheus.CounterVec
	duration prometheus.Histogram
	entries  *prometheus.CounterVec
}

// newMetrics builds the collectors and registers them, with the breaker
// state gauge, on reg; a nil reg registers nothing (tests, tools).
func newMetrics(reg prometheus.Registerer, breakerState func() float64) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ohx_fhir_requests_total",
			Help: "Requests to the FHIR server (or directory writes), by outcome: ok or the error kind.",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ohx_fhir_request_duration_seconds",
			Help:    "Duration of requests to the FHIR server, token requests included.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
		}),
		entries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ohx_fhir_entries_total",
			Help: "Published Bundle entries by resource type and outcome (created, updated, rejected, failed).",
		}, []string{"resource_type", "outcome"}),
	}
	if reg == nil {
		return m, nil
	}
	state := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ohx_fhir_breaker_state",
		Help: "State of the FHIR server circuit breaker: 0 closed, 1 half-open, 2 open.",
	}, breakerState)
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.entries, state} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// request counts one request and its duration.
func (m *metrics) request(err error, d time.Duration) {
	outcome := "ok"
	if err != nil {
		outcome = string(health.KindOf(err))
	}
	m.requests.WithLabelValues(outcome).Inc()
	m.duration.Observe(d.Seconds())
}

// count counts the entries of one Result.
func (m *metrics) count(r Result) {
	for _, e := range r.Entries {
		m.entries.WithLabelValues(metricType(e.ResourceType), e.Outcome).Inc()
	}
}

// metricType keeps the resource_type label bounded.
func metricType(t string) string {
	switch t {
	case "Observation", "Device", "DeviceAssociation", "Provenance", "Patient":
		return t
	}
	return "other"
}
