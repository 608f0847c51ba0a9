// Package metrics defines ohx's Prometheus collectors on a registry passed
// in by run: build info, Go runtime and process, HTTP requests, and jobs by
// state.
//
// Label values are always bounded (route patterns, providers, outcomes);
// never a patient id, a token or a health value.
package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics holds the collectors other packages record into.
type Metrics struct {
	HTTPRequests *prometheus.CounterVec
	HTTPDuration *prometheus.HistogramVec
	// Webhooks counts provider notifications by provider and outcome
	// (accepted, unknown_user, ignored, unauthorized, invalid, revoked).
	Webhooks *prometheus.CounterVec
	// SyncRuns counts sync jobs by provider, data group and outcome (ok,
	// retry, snoozed, cancelled).
	SyncRuns *prometheus.CounterVec
	// SyncRecords counts records by provider and stage (fetched,
	// published, rejected, skipped).
	SyncRecords *prometheus.CounterVec
	// SyncDuration times sync jobs by provider and data group.
	SyncDuration *prometheus.HistogramVec
	// JobsDiscarded counts jobs given up after their last attempt, by job
	// kind and error kind.
	JobsDiscarded *prometheus.CounterVec
}

// Build identifies the running binary.
type Build struct {
	Version string
	Commit  string
}

// QueueCounter reports how many jobs are in each state; it is called on
// every scrape.
type QueueCounter func(ctx context.Context) (map[string]int64, error)

// New registers ohx's collectors on reg. queue may be nil (no job metrics).
func New(reg prometheus.Registerer, build Build, queue QueueCounter, logger *slog.Logger) *Metrics {
	m := &Metrics{
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ohx_http_requests_total",
			Help: "HTTP requests served, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ohx_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests, by route pattern and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	m.Webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ohx_webhook_notifications_total",
		Help: "Provider webhook notifications, by provider and outcome.",
	}, []string{"provider", "outcome"})
	m.SyncRuns = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ohx_sync_runs_total",
		Help: "Sync job runs, by provider, data group and outcome.",
	}, []string{"provider", "group", "outcome"})
	m.SyncRecords = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ohx_sync_records_total",
		Help: "Provider records and FHIR resources through the pipeline, by provider and stage.",
	}, []string{"provider", "stage"})
	m.SyncDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ohx_sync_duration_seconds",
		Help:    "Time to fetch, map and publish one sync job, by provider and data group.",
		Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
	}, []string{"provider", "group"})
	m.JobsDiscarded = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ohx_jobs_discarded_total",
		Help: "Jobs given up after their last attempt, by job kind and error kind.",
	}, []string{"kind", "error_kind"})
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "ohx_build_info",
		Help:        "Always 1; labels name the running build.",
		ConstLabels: prometheus.Labels{"version": build.Version, "commit": build.Commit},
	})
	info.Set(1)
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		info, m.HTTPRequests, m.HTTPDuration, m.Webhooks, m.SyncRuns, m.SyncRecords, m.SyncDuration,
		m.JobsDiscarded,
	)
	if queue != nil {
		reg.MustRegister(&queueCollector{count: queue, logger: logger})
	}
	return m
}

// jobStates are River's job states, listed so every state is exported
// even at zero.
var jobStates = []string{"available", "scheduled", "running", "retryable", "completed", "cancelled", "discarded", "pending"}

var queueDesc = prometheus.NewDesc("ohx_queue_jobs", "Jobs in the queue, by state.", []string{"state"}, nil)

// queueCollector asks the database for job counts at scrape time, so every
// replica reports the shared queue.
type queueCollector struct {
	count  QueueCounter
	logger *slog.Logger
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- queueDesc }

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	if err != nil {
		c.logger.Warn("queue metrics unavailable", "error", err)
		return
	}
	for _, s := range jobStates {
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(counts[s]), s)
	}
}
