// Package quota makes every replica and worker of ohx share a provider's
// request budget, through a token bucket kept in the database.
//
// It only paces requests; it never retries them, and it keeps no state in
// process memory, so a second replica cannot spend the same budget twice.
package quota

import (
	"context"
	"fmt"
	"time"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/store"
)

// Limiter paces one caller class (e.g. webhook fetches, or backfill) on a
// shared bucket.
type Limiter struct {
	db     *store.DB
	bucket store.Bucket
	// MaxWait is the longest Wait sleeps; past it, Wait gives up with a
	// rate-limited error so the job is snoozed instead of holding a worker.
	MaxWait time.Duration
}

// PerWindow returns a bucket that never allows more than limit requests in
// any window of length window: a token bucket of capacity c refilled at r
// allows c + r·window requests in a window, so the burst is kept small and
// the refill takes the rest. reserve tokens are left for higher-priority
// callers of the same bucket name.
func PerWindow(name string, limit int, window time.Duration, reserve int) store.Bucket {
	burst := max(1, limit/12)
	return store.Bucket{
		Name:     name,
		Capacity: float64(burst),
		PerSec:   float64(limit-burst) / window.Seconds(),
		Reserve:  float64(min(reserve, burst-1)),
	}
}

// New returns a Limiter drawing from bucket.
func New(db *store.DB, bucket store.Bucket) *Limiter {
	return &Limiter{db: db, bucket: bucket, MaxWait: 15 * time.Second}
}

// Wait returns when the caller may send one request, or a KindRateLimited
// error when that is further away than MaxWait.
func (l *Limiter) Wait(ctx context.Context) error {
	deadline := time.Now().Add(l.MaxWait)
	for {
		wait, err := l.db.TakeToken(ctx, l.bucket)
		if err != nil {
			return health.Wrap(health.KindTransient, err, "quota "+l.bucket.Name+": cannot read the shared bucket")
		}
		if wait == 0 {
			return nil
		}
		if time.Now().Add(wait).After(deadline) {
			return &health.Error{Kind: health.KindRateLimited, RetryAfterSeconds: int(wait.Seconds()) + 1,
				Message: fmt.Sprintf("quota %s: the shared request budget is spent", l.bucket.Name)}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}
