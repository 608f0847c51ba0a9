package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

// TestPeriodicPruneRunsEndToEnd starts a real worker on each engine and
// waits for the periodic prune job to delete expired audit events.
func TestPeriodicPruneRunsEndToEnd(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			logger := slog.New(slog.NewTextHandler(io.Discard, nil))
			db, err := store.Open(ctx, e.URL(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := jobs.Migrate(ctx, db, logger); err != nil {
				t.Fatal(err)
			}
			now := time.Now().UTC()
			for _, age := range []time.Duration{72 * time.Hour, 48 * time.Hour, time.Hour} {
				db.SetClock(func() time.Time { return now.Add(-age) })
				if err := db.InTx(ctx, func(tx *store.Tx) error {
					return tx.AddAudit(ctx, store.AuditEvent{Actor: "system", Action: "test"})
				}); err != nil {
					t.Fatal(err)
				}
			}
			client, err := jobs.NewClient(db, jobs.Config{Logger: logger, Work: true, Workers: 2,
				PollInterval: 50 * time.Millisecond, AuditRetention: 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if err := client.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer func() {
				sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				if err := client.Stop(sctx); err != nil {
					t.Errorf("stop: %v", err)
				}
			}()
			deadline := time.Now().Add(20 * time.Second)
			for {
				var left []store.AuditEvent
				if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
					left, err = tx.AuditEvents(ctx, 0, 10)
					return err
				}); err != nil {
					t.Fatal(err)
				}
				counts, err := jobs.QueueCounts(ctx, db)
				if err != nil {
					t.Fatal(err)
				}
				// River marks completion asynchronously, after the work is done.
				if len(left) == 1 && counts["completed"] >= 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("audit events left: %d (want 1), queue %v (want a completed job)", len(left), counts)
				}
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}
