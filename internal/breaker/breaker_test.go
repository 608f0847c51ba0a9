package breaker_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/breaker"
	"github.com/ohx-health/ohx/internal/health"
)

func TestBreakerOpensOnPeerFailuresOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := breaker.New("withings", 3, 50*time.Millisecond)
	calls := 0
	fail := func(kind health.ErrorKind) func(context.Context) error {
		return func(context.Context) error { calls++; return health.Errorf(kind, "x") }
	}
	// Rejections and revoked tokens never open it.
	for range 10 {
		_ = b.Do(ctx, fail(health.KindAuthRevoked))
		_ = b.Do(ctx, fail(health.KindRejected))
	}
	if b.State() != "closed" {
		t.Fatalf("state %s after non-peer failures", b.State())
	}
	for range 3 {
		_ = b.Do(ctx, fail(health.KindTransient))
	}
	if b.State() != "open" || b.Gauge() != 2 || b.Check(ctx) == nil {
		t.Fatalf("state %s after 3 transient failures", b.State())
	}
	before := calls
	err := b.Do(ctx, fail(health.KindTransient))
	if health.KindOf(err) != health.KindUnavailable || calls != before {
		t.Errorf("open breaker: err %v, peer called %d times", err, calls-before)
	}
	time.Sleep(60 * time.Millisecond)
	if err := b.Do(ctx, func(context.Context) error { return nil }); err != nil || b.State() != "closed" {
		t.Errorf("trial call: %v, state %s", err, b.State())
	}
	plain := errors.New("plain")
	if err := b.Do(ctx, func(context.Context) error { return plain }); !errors.Is(err, plain) {
		t.Errorf("errors not passed through: %v", err)
	}
}
