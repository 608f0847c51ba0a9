package fitbit

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/provider/fitbit/fitbittest"
)

// bubbleClient is an emulator served in memory inside a synctest bubble,
// where time.Now and timers are the bubble's fake clock.
func bubbleClient(t *testing.T, retry RetryPolicy, timeout time.Duration, lim Limiter) (*fitbittest.Server, *Client, StaticToken) {
	t.Helper()
	emu := fitbittest.New(fitbittest.Config{Seed: 1, HistoryDays: 1})
	emu.AddUser(fitbittest.User{ID: testUser})
	at, _ := emu.IssueToken(testUser)
	c, err := New(Config{APIURL: "http://health.test", Retry: retry, RequestTimeout: timeout},
		&http.Client{Transport: handlerTransport{emu}}, lim)
	if err != nil {
		t.Fatal(err)
	}
	return emu, c, StaticToken(at)
}

func TestBackoffIsExponential(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		emu, c, tok := bubbleClient(t, RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second, MaxDelay: 3 * time.Second}, time.Minute, nil)
		c.jitter = func(d time.Duration) time.Duration { return d }
		emu.InjectFault(fitbittest.EndpointIdentity, fitbittest.Fault{HTTPStatus: 500, Times: 4})
		start := time.Now()
		if _, _, err := c.Identity(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		// 1 s, 2 s, then capped at 3 s twice.
		if got, want := time.Since(start), 9*time.Second; got != want {
			t.Errorf("retried for %s, want %s", got, want)
		}
		if n := emu.Count(fitbittest.EndpointIdentity); n != 5 {
			t.Errorf("attempts = %d, want 5", n)
		}
	})
}

func TestBackoffJitterStaysInBounds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		emu, c, tok := bubbleClient(t, RetryPolicy{MaxAttempts: 4, BaseDelay: 4 * time.Second, MaxDelay: time.Minute}, time.Minute, nil)
		emu.InjectFault(fitbittest.EndpointIdentity, fitbittest.Fault{HTTPStatus: 503})
		start := time.Now()
		_, _, err := c.Identity(context.Background(), tok)
		wantKind(t, err, health.KindTransient)
		// Delays 4, 8 and 16 s, each keeping at least half.
		if got := time.Since(start); got < 14*time.Second || got > 28*time.Second {
			t.Errorf("retried for %s, want between 14 s and 28 s", got)
		}
	})
}

func TestEachAttemptHasADeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		emu, c, tok := bubbleClient(t, RetryPolicy{MaxAttempts: 3, BaseDelay: time.Second, MaxDelay: time.Second}, 10*time.Second, nil)
		c.jitter = func(d time.Duration) time.Duration { return d }
		ep := fitbittest.ListEndpoint("heart-rate")
		emu.InjectFault(ep, fitbittest.Fault{Delay: time.Hour})
		start := time.Now()
		_, _, err := c.ListDataPoints(context.Background(), tok, "heart-rate", "", "", 0)
		wantKind(t, err, health.KindTransient)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want a deadline", err)
		}
		if got, want := time.Since(start), 3*10*time.Second+2*time.Second; got != want {
			t.Errorf("gave up after %s, want %s", got, want)
		}
		if n := emu.Count(ep); n != 3 {
			t.Errorf("attempts = %d, want 3", n)
		}
	})
}

func TestDelayShorterThanTimeoutSucceeds(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		emu, c, tok := bubbleClient(t, RetryPolicy{MaxAttempts: 1}, 10*time.Second, nil)
		emu.InjectFault(fitbittest.EndpointIdentity, fitbittest.Fault{Delay: 5 * time.Second, Times: 1})
		if _, _, err := c.Identity(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	})
}

func TestCancelStopsRetrying(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		emu, c, tok := bubbleClient(t, RetryPolicy{MaxAttempts: 10, BaseDelay: time.Minute, MaxDelay: time.Hour}, time.Minute, nil)
		emu.InjectFault(fitbittest.EndpointIdentity, fitbittest.Fault{HTTPStatus: 503})
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		_, _, err := c.Identity(ctx, tok)
		if !errors.Is(err, context.DeadlineExceeded) || health.KindOf(err) != health.KindTransient {
			t.Errorf("err = %v, want a transient error wrapping the caller's deadline", err)
		}
		if n := emu.Count(fitbittest.EndpointIdentity); n > 3 {
			t.Errorf("attempts = %d after the caller's deadline", n)
		}
	})
}

// countingLimiter counts quota units and refuses after max.
type countingLimiter struct{ n, max int }

func (l *countingLimiter) Wait(context.Context) error {
	l.n++
	if l.n > l.max {
		return health.Errorf(health.KindRateLimited, "quota spent")
	}
	return nil
}

func TestLimiterIsAskedBeforeEveryAttempt(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		lim := &countingLimiter{max: 3}
		emu, c, tok := bubbleClient(t, RetryPolicy{MaxAttempts: 5, BaseDelay: time.Second}, time.Minute, lim)
		emu.InjectFault(fitbittest.EndpointIdentity, fitbittest.Fault{HTTPStatus: 503})
		_, _, err := c.Identity(context.Background(), tok)
		wantKind(t, err, health.KindRateLimited)
		if lim.n != 4 || emu.Count(fitbittest.EndpointIdentity) != 3 {
			t.Errorf("limiter asked %d times, %d requests sent; want 4 and 3", lim.n, emu.Count(fitbittest.EndpointIdentity))
		}
	})
}
