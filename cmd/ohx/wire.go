package main

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ohx-health/ohx/internal/auth"
	"github.com/ohx-health/ohx/internal/breaker"
	"github.com/ohx-health/ohx/internal/config"
	"github.com/ohx-health/ohx/internal/fhir"
	"github.com/ohx-health/ohx/internal/httpapi"
	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/link"
	"github.com/ohx-health/ohx/internal/metrics"
	"github.com/ohx-health/ohx/internal/provider/fitbit"
	"github.com/ohx-health/ohx/internal/provider/withings"
	"github.com/ohx-health/ohx/internal/publish"
	"github.com/ohx-health/ohx/internal/quota"
	"github.com/ohx-health/ohx/internal/store"
)

// app is every long-lived part of a serving process, wired together.
type app struct {
	queue   *jobs.Client
	sink    publish.Sink
	links   *link.Service
	handler http.Handler
	// credentials checks each provider's app credentials, by provider.
	credentials map[string]func(context.Context) error
}

// wire builds the process: sink, mapping, providers, linking, jobs and the
// HTTP handler. It is the one place that knows how the parts connect.
func wire(ctx context.Context, cfg config.Config, logger *slog.Logger, db *store.DB, reg *prometheus.Registry, role string) (*app, error) {
	keys, err := keyring(cfg, logger)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Timeout: 2 * time.Minute} // per-request deadlines are set by each client
	sink, err := publish.New(cfg.Publish, hc, reg, logger)
	if err != nil {
		return nil, err
	}
	counts := func(ctx context.Context) (map[string]int64, error) { return jobs.QueueCounts(ctx, db) }
	m := metrics.New(reg, metrics.Build{Version: version, Commit: buildCommit()}, counts, logger)
	opts := cfg.FHIR
	opts.Version = version
	checks := map[string]func(context.Context) error{"fhir": sink.Check}
	pipeline := &jobs.Pipeline{Fetchers: map[string]jobs.Fetcher{}, Subscribers: map[string]jobs.Subscriber{},
		Breakers:  map[string]*breaker.Breaker{},
		Callbacks: map[string]string{}, Mapper: fhir.New(opts), Sink: sink, Metrics: m, Now: time.Now,
		MaxSnooze: cfg.MaxSnooze}
	a := &app{sink: sink}
	providers := map[string]link.OAuth{}
	var webhook *httpapi.WithingsWebhook
	var fitbitHook *httpapi.FitbitWebhook
	if cfg.Withings.Enabled() {
		tokens := func(id int64) withings.TokenSource { return a.links.Tokens(id) }
		f, oauth, err := withingsParts(cfg, db, hc, tokens)
		if err != nil {
			return nil, err
		}
		callback := cfg.PublicURL + "/webhooks/withings/?token=" + url.QueryEscape(cfg.Withings.WebhookToken)
		pipeline.Fetchers["withings"], providers["withings"] = f, oauth
		a.credentials = map[string]func(context.Context) error{"withings": f.Priority.CheckCredentials}
		pipeline.Subscribers["withings"] = &withings.Subscriber{Client: f.Priority, Tokens: tokens, CallbackURL: callback}
		pipeline.Callbacks["withings"] = callback
		b := breaker.New("withings", 5, 30*time.Second)
		pipeline.Breakers["withings"] = b
		checks["provider_withings"] = b.Check
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ohx_provider_breaker_state",
			Help:        "Circuit breaker of a provider: 0 closed, 1 half-open, 2 open.",
			ConstLabels: prometheus.Labels{"provider": "withings"}}, b.Gauge))
		webhook = &httpapi.WithingsWebhook{Token: cfg.Withings.WebhookToken}
	}
	if cfg.Fitbit.Enabled() {
		tokens := func(id int64) fitbit.TokenSource { return a.links.Tokens(id) }
		f, oauth, err := fitbitParts(cfg, db, hc, tokens)
		if err != nil {
			return nil, err
		}
		pipeline.Fetchers["fitbit"], providers["fitbit"] = f, oauth
		pipeline.Subscribers["fitbit"] = &fitbit.Subscriber{Client: f.Priority, Tokens: tokens}
		if cfg.Fitbit.WebhookSecret != "" {
			fitbitHook = &httpapi.FitbitWebhook{Secret: cfg.Fitbit.WebhookSecret}
		}
		b := breaker.New("fitbit", 5, 30*time.Second)
		pipeline.Breakers["fitbit"] = b
		checks["provider_fitbit"] = b.Check
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ohx_provider_breaker_state",
			Help:        "Circuit breaker of a provider: 0 closed, 1 half-open, 2 open.",
			ConstLabels: prometheus.Labels{"provider": "fitbit"}}, b.Gauge))
	}
	a.queue, err = jobs.NewClient(db, jobs.Config{Logger: logger, Work: role != roleWeb, Workers: cfg.Workers,
		PollInterval: cfg.JobPollInterval, AuditRetention: cfg.AuditRetention, Pipeline: pipeline, SyncInterval: cfg.SyncInterval,
		JobTimeout: cfg.JobTimeout, RetryBase: cfg.RetryBase, RetryMax: cfg.RetryMax})
	if err != nil {
		return nil, err
	}
	a.links = link.New(db, keys, providers, afterLink(a, pipeline, cfg.BackfillDays), logger)
	var tokens httpapi.TokenVerifier
	if cfg.OIDC.Issuer != "" {
		v, err := auth.NewOIDC(auth.OIDCConfig{Issuer: cfg.OIDC.Issuer, Audience: cfg.OIDC.Audience,
			JWKSURL: cfg.OIDC.JWKSURL, PatientClaim: cfg.OIDC.PatientClaim})
		if err != nil {
			return nil, err
		}
		tokens = v
	}
	a.handler = httpapi.NewServer(httpapi.Deps{
		Logger: logger, DB: db, Metrics: m, Gatherer: reg, ProbesOnly: role == roleWorker, Queue: a.queue, Withings: webhook, Fitbit: fitbitHook,
		QueueCheck: func(ctx context.Context) error { _, err := jobs.QueueCounts(ctx, db); return err },
		Checks:     checks,
		Providers:  slices.Sorted(maps.Keys(providers)), Links: a.links, Tokens: tokens, SyncInterval: cfg.SyncInterval,
	})
	return a, nil
}

// withingsParts builds the Withings fetcher (a priority and a bulk client
// on one shared quota) and the OAuth adapter.
func withingsParts(cfg config.Config, db *store.DB, hc *http.Client, tokens func(int64) withings.TokenSource) (*withings.Fetcher, link.OAuth, error) {
	wc := withingsConfig(cfg)
	limit := cfg.Withings.QuotaPerMinute
	priority, err := withings.New(wc, hc, quota.New(db, quota.PerWindow("withings", limit, time.Minute, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("withings: %w", err)
	}
	// Backfill leaves a quarter of the burst to webhook-driven fetches.
	bulk, err := withings.New(wc, hc, quota.New(db, quota.PerWindow("withings", limit, time.Minute, max(1, limit/48))))
	if err != nil {
		return nil, nil, fmt.Errorf("withings: %w", err)
	}
	return &withings.Fetcher{Priority: priority, Bulk: bulk, Tokens: tokens}, link.Withings(priority), nil
}

// fitbitParts builds the Google Health API fetcher (a priority and a bulk
// client on one shared quota) and the OAuth adapter.
func fitbitParts(cfg config.Config, db *store.DB, hc *http.Client, tokens func(int64) fitbit.TokenSource) (*fitbit.Fetcher, link.OAuth, error) {
	fc := fitbit.Config{ClientID: cfg.Fitbit.ClientID, ClientSecret: cfg.Fitbit.ClientSecret,
		AuthURL: cfg.Fitbit.AuthURL, TokenURL: cfg.Fitbit.TokenURL, RevokeURL: cfg.Fitbit.RevokeURL, APIURL: cfg.Fitbit.APIURL,
		RedirectURL: cfg.PublicURL + "/social/complete/fitbit/"}
	limit := cfg.Fitbit.QuotaPerMinute
	priority, err := fitbit.New(fc, hc, quota.New(db, quota.PerWindow("fitbit", limit, time.Minute, 0)))
	if err != nil {
		return nil, nil, fmt.Errorf("fitbit: %w", err)
	}
	bulk, err := fitbit.New(fc, hc, quota.New(db, quota.PerWindow("fitbit", limit, time.Minute, max(1, limit/48))))
	if err != nil {
		return nil, nil, fmt.Errorf("fitbit: %w", err)
	}
	return &fitbit.Fetcher{Priority: priority, Bulk: bulk, Tokens: tokens}, link.Fitbit(priority), nil
}

// withingsConfig is the Withings client configuration.
func withingsConfig(cfg config.Config) withings.Config {
	return withings.Config{ClientID: cfg.Withings.ClientID, ClientSecret: cfg.Withings.ClientSecret,
		AuthURL: cfg.Withings.AuthURL, APIURL: cfg.Withings.APIURL,
		RedirectURL: cfg.PublicURL + "/social/complete/withings/"}
}

// afterLink queues a new link's backfill and device sync in the
// transaction that creates it.
func afterLink(a *app, p *jobs.Pipeline, days int) link.AfterLink {
	return func(ctx context.Context, tx *store.Tx, l store.Link) error {
		f, ok := p.Fetchers[l.Provider]
		if !ok {
			return nil
		}
		return jobs.EnqueueInitial(ctx, a.queue, tx, l.ID, f.Groups(), p.Now().UTC(), days)
	}
}
