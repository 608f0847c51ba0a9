package quota_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/provider/withings"
	"github.com/ohx-health/ohx/internal/provider/withings/withingstest"
	"github.com/ohx-health/ohx/internal/quota"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

func TestPerWindowNeverExceedsTheLimit(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{120, 300, 12, 1} {
		b := quota.PerWindow("x", limit, time.Minute, 0)
		if worst := b.Capacity + b.PerSec*60; worst > float64(limit)+1e-9 {
			t.Errorf("limit %d: bucket allows %.2f in a minute", limit, worst)
		}
	}
}

// TestThreeReplicasShareTheWithingsQuota runs three workers, each with its
// own database handle (as three replicas would), hammering the Withings
// emulator through one shared bucket: the emulator must never answer 601,
// though the workers want far more than the budget.
func TestThreeReplicasShareTheWithingsQuota(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			const perMinute = 600
			emu := withingstest.New(withingstest.Config{Seed: 3, QuotaPerMinute: perMinute})
			emu.AddUser(withingstest.User{ID: "1"})
			access, _ := emu.IssueToken("1")
			srv := httptest.NewServer(emu)
			defer srv.Close()
			url := e.URL(t)
			ctx := context.Background()
			bucket := quota.PerWindow("withings", perMinute, time.Minute, 0)
			var wg sync.WaitGroup
			start := time.Now()
			stop := start.Add(3 * time.Second)
			for i := range 3 {
				db, err := store.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				if i == 0 {
					if _, err := db.Migrate(ctx); err != nil {
						t.Fatal(err)
					}
				}
				wg.Go(func() {
					c, _ := withings.New(withings.Config{APIURL: srv.URL, RequestTimeout: 5 * time.Second,
						Retry: withings.RetryPolicy{MaxAttempts: 1}}, &http.Client{}, quota.New(db, bucket))
					for time.Now().Before(stop) {
						_, err := c.GetDevices(ctx, withings.StaticToken(access))
						if err != nil && health.KindOf(err) != health.KindRateLimited {
							t.Errorf("request failed: %v", err)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start).Seconds()
			sent := emu.Count(withingstest.EndpointGetDevice)
			if rej := emu.QuotaRejections(); rej != 0 {
				t.Errorf("emulator rejected %d requests with 601", rej)
			}
			if max := bucket.Capacity + bucket.PerSec*elapsed + 1; float64(sent) > max {
				t.Errorf("sent %d requests in %.1fs, bucket allows %.0f", sent, elapsed, max)
			}
			if sent < 20 {
				t.Errorf("sent only %d requests: the limiter starves callers", sent)
			}
		})
	}
}

func TestWaitGivesUpPastMaxWait(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, testenv.SQLiteURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.Migrate(ctx)
	l := quota.New(db, store.Bucket{Name: "slow", Capacity: 1, PerSec: 1.0 / 3600})
	l.MaxWait = 10 * time.Millisecond
	if err := l.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	err = l.Wait(ctx)
	var he *health.Error
	if health.KindOf(err) != health.KindRateLimited {
		t.Fatalf("second wait: %v", err)
	}
	if e, ok := err.(*health.Error); ok {
		he = e
	}
	if he == nil || he.RetryAfterSeconds < 3500 {
		t.Errorf("retry after %v", he)
	}
}
