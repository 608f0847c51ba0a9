package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

// TestConcurrentMigrate starts three "replicas" at once on each engine:
// all must succeed and leave ohx's and River's schemas complete.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			url := e.URL(t)
			ctx := context.Background()
			logger := slog.New(slog.NewTextHandler(io.Discard, nil))
			var wg sync.WaitGroup
			errs := make(chan error, 3)
			for range 3 {
				wg.Go(func() {
					db, err := store.Open(ctx, url)
					if err != nil {
						errs <- err
						return
					}
					defer db.Close()
					_, err = jobs.Migrate(ctx, db, logger)
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("concurrent migrate: %v", err)
				}
			}
			db, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if n, err := db.Pending(ctx); err != nil || n != 0 {
				t.Errorf("pending after migrate: %d, %v", n, err)
			}
			if v, err := jobs.QueueVersion(ctx, db, logger); err != nil || v == 0 {
				t.Errorf("queue version %d, %v", v, err)
			}
			if _, err := jobs.QueueCounts(ctx, db); err != nil {
				t.Errorf("queue table unusable: %v", err)
			}
		})
	}
}
