// Package jobs runs ohx's background work on River, in the same database
// as the rest of ohx's state: the queue client, the workers, the periodic
// jobs, and the one place where an error becomes a job outcome.
//
// Job args hold ids and time windows only, never a token or a health value;
// their kind strings are a stable wire format.
package jobs

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/ohx-health/ohx/internal/store"
)

// Client is the River client ohx uses on both engines: both drivers work
// over database/sql, so jobs can be enqueued in a store transaction.
type Client = river.Client[*sql.Tx]

// Config configures the queue.
type Config struct {
	Logger *slog.Logger
	// Work is false for a web-only process: it can enqueue but runs nothing.
	Work           bool
	Workers        int
	PollInterval   time.Duration
	AuditRetention time.Duration
	// Pipeline runs sync jobs; every process registers the sync workers so
	// it can enqueue them, even a web process that never runs one.
	Pipeline *Pipeline
	// SyncInterval is the period of the incremental safety-net sync.
	SyncInterval time.Duration
	// JobTimeout bounds one run; jobs of a dead worker are rescued after
	// twice this. Zero means 15 minutes.
	JobTimeout time.Duration
	// RetryBase and RetryMax shape retries: RetryBase·2^(attempt-1) with
	// jitter, capped at RetryMax. Zero means 5 s and 30 min.
	RetryBase, RetryMax time.Duration
}

func driver(db *store.DB) riverdriver.Driver[*sql.Tx] {
	if db.Engine() == store.Postgres {
		return riverdatabasesql.New(db.SQL())
	}
	return riversqlite.New(db.SQL())
}

// migrationLock serialises migrations across replicas.
const migrationLock = 4242002

// Migrate applies ohx's migrations and River's, and returns ohx's applied
// versions. Both run under one database-wide lock so replicas starting
// together take turns; River's steps each get their own transaction (one
// adds an enum value that the next uses, which PostgreSQL refuses in one).
func Migrate(ctx context.Context, db *store.DB, logger *slog.Logger) ([]int, error) {
	m, err := rivermigrate.New(driver(db), &rivermigrate.Config{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("queue migrations: %w", err)
	}
	var applied []int
	err = db.WithLock(ctx, migrationLock, func(ctx context.Context) error {
		if applied, err = db.Migrate(ctx); err != nil {
			return err
		}
		if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
			return fmt.Errorf("queue migrations: %w", err)
		}
		return nil
	})
	return applied, err
}

// QueueVersion returns the newest applied River migration (0 when none).
func QueueVersion(ctx context.Context, db *store.DB, logger *slog.Logger) (int, error) {
	m, err := rivermigrate.New(driver(db), &rivermigrate.Config{Logger: logger})
	if err != nil {
		return 0, err
	}
	vs, err := m.ExistingVersions(ctx)
	if err != nil {
		return 0, fmt.Errorf("queue migrations: %w", err)
	}
	if len(vs) == 0 {
		return 0, nil
	}
	return vs[len(vs)-1].Version, nil
}

// NewClient builds the River client with every ohx worker and periodic job.
func NewClient(db *store.DB, cfg Config) (*Client, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &pruneAuditWorker{db: db, retention: cfg.AuditRetention, logger: cfg.Logger})
	if cfg.Pipeline != nil {
		river.AddWorker(workers, &syncWorker{db: db, p: cfg.Pipeline, logger: cfg.Logger})
		river.AddWorker(workers, &syncAllWorker{db: db, p: cfg.Pipeline, interval: cfg.SyncInterval, logger: cfg.Logger})
		river.AddWorker(workers, &unlinkWorker{db: db, p: cfg.Pipeline, logger: cfg.Logger})
		river.AddWorker(workers, &subscribeWorker{db: db, subscribers: cfg.Pipeline.Subscribers,
			callbacks: cfg.Pipeline.Callbacks, maxSnooze: cfg.Pipeline.MaxSnooze, logger: cfg.Logger})
	}
	rc := &river.Config{
		Logger:               cfg.Logger,
		Workers:              workers,
		FetchPollInterval:    cfg.PollInterval,
		FetchCooldown:        min(cfg.PollInterval, river.FetchCooldownDefault),
		JobTimeout:           cmp.Or(cfg.JobTimeout, 15*time.Minute),
		RescueStuckJobsAfter: 2 * cmp.Or(cfg.JobTimeout, 15*time.Minute),
		ErrorHandler:         newErrorHandler(cfg, db),
		RetryPolicy:          &backoff{base: cmp.Or(cfg.RetryBase, 5*time.Second), max: cmp.Or(cfg.RetryMax, 30*time.Minute)},
	}
	if cfg.Work {
		rc.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}}
		rc.PeriodicJobs = periodicJobs(cfg)
	}
	c, err := river.NewClient(driver(db), rc)
	if err != nil {
		return nil, fmt.Errorf("queue client: %w", err)
	}
	return c, nil
}

// periodicJobs lists the jobs every worker fleet runs on a schedule (River
// elects one leader to enqueue them).
func periodicJobs(cfg Config) []*river.PeriodicJob {
	jobs := []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(time.Hour),
			func() (river.JobArgs, *river.InsertOpts) { return PruneAuditArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true, ID: PruneAuditArgs{}.Kind()}),
	}
	if cfg.Pipeline != nil && cfg.SyncInterval > 0 {
		jobs = append(jobs, river.NewPeriodicJob(river.PeriodicInterval(cfg.SyncInterval),
			func() (river.JobArgs, *river.InsertOpts) { return SyncAllArgs{}, nil },
			&river.PeriodicJobOpts{ID: SyncAllArgs{}.Kind()}))
	}
	return jobs
}

// QueueCounts reports how many jobs are in each state, for metrics and
// health checks; it reads River's table directly so web processes can
// report the shared queue too.
func QueueCounts(ctx context.Context, db *store.DB) (map[string]int64, error) {
	rows, err := db.SQL().QueryContext(ctx, `SELECT state, count(*) FROM river_job GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("count jobs: %w", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var state string
		var n int64
		if err := rows.Scan(&state, &n); err != nil {
			return nil, fmt.Errorf("count jobs: %w", err)
		}
		out[state] = n
	}
	return out, rows.Err()
}

func newErrorHandler(cfg Config, db *store.DB) *errorHandler {
	h := &errorHandler{logger: cfg.Logger, db: db}
	if cfg.Pipeline != nil && cfg.Pipeline.Metrics != nil {
		h.discarded = cfg.Pipeline.Metrics.JobsDiscarded
	}
	return h
}
