package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ohx-health/ohx/internal/config"
	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/store"
)

// Roles split one binary into processes that scale apart.
const (
	roleAll    = "all"
	roleWeb    = "web"
	roleWorker = "worker"
)

func runServe(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "serve", "serve [--role all|web|worker]\n\nServes the HTTP API and webhooks (web), runs the job workers (worker), or both (all).\nA worker process still serves probes and metrics on OHX_HTTP_ADDR.")
	role := fs.String("role", roleAll, "which part of ohx this process runs: all, web or worker")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *role != roleAll && *role != roleWeb && *role != roleWorker {
		return usageError{fmt.Errorf("--role must be all, web or worker, not %q", *role)}
	}
	cfg, logger, err := loadConfig(e)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return serve(ctx, cfg, logger, *role)
}

// serve runs until ctx ends, then drains HTTP requests and running jobs
// within cfg.ShutdownTimeout.
func serve(ctx context.Context, cfg config.Config, logger *slog.Logger, role string) error {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := prepareSchema(ctx, cfg, db, logger); err != nil {
		return err
	}
	work := role != roleWeb
	a, err := wire(ctx, cfg, logger, db, prometheus.NewRegistry(), role)
	if err != nil {
		return err
	}
	if err := a.sink.Verify(ctx); err != nil {
		// Not fatal: the breaker and the probe report it, and jobs retry
		// until the server is back or reconfigured.
		logger.Error("FHIR destination not usable yet", "error", err)
	}
	checkCredentials(ctx, a, logger)
	queue, handler := a.queue, a.handler
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn), BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) }}
	if work {
		if err := queue.Start(ctx); err != nil {
			ln.Close()
			return fmt.Errorf("start workers: %w", err)
		}
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("ohx serving", "addr", ln.Addr().String(), "role", role, "engine", string(db.Engine()), "version", version)

	select {
	case <-ctx.Done():
	case err = <-serveErr:
		logger.Error("http server stopped", "error", err)
	}
	return shutdown(srv, queue, work, cfg.ShutdownTimeout, logger, err)
}

// prepareSchema applies migrations, or with OHX_MIGRATE=false refuses to
// run on a schema that is behind the binary.
func prepareSchema(ctx context.Context, cfg config.Config, db *store.DB, logger *slog.Logger) error {
	if cfg.Migrate {
		applied, err := jobs.Migrate(ctx, db, logger)
		if err != nil {
			return err
		}
		if len(applied) > 0 {
			logger.Info("applied migrations", "versions", applied)
		}
		return nil
	}
	n, err := db.Pending(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return fmt.Errorf("%d database migration(s) pending and OHX_MIGRATE=false: run `ohx migrate up`", n)
	}
	return nil
}

// shutdown stops accepting, drains in-flight requests, then soft-stops the
// workers (running jobs finish); what is still running at the deadline is
// cancelled and River retries it later.
func shutdown(srv *http.Server, queue *jobs.Client, work bool, timeout time.Duration, logger *slog.Logger, cause error) error {
	logger.Info("shutting down", "timeout", timeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	errs := []error{}
	if cause != nil && !errors.Is(cause, http.ErrServerClosed) {
		errs = append(errs, cause)
	}
	if err := srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("drain http: %w", err))
	}
	if work {
		if err := queue.Stop(ctx); err != nil {
			logger.Warn("jobs did not finish in time; cancelling them", "error", err)
			cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer ccancel()
			if err := queue.StopAndCancel(cctx); err != nil {
				errs = append(errs, fmt.Errorf("stop workers: %w", err))
			}
		}
	}
	logger.Info("stopped")
	return errors.Join(errs...)
}

// checkCredentials asks each provider whether it accepts ohx's client id
// and secret. A refusal is logged, not fatal: syncs wait (they fail as
// unavailable and retry) and no link is blamed, so fixing the
// configuration loses nothing.
func checkCredentials(ctx context.Context, a *app, logger *slog.Logger) {
	for provider, check := range a.credentials {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := check(cctx)
		cancel()
		if err != nil {
			logger.Error("provider credentials not confirmed; syncs wait until they are", "provider", provider, "error", err)
		}
	}
}
