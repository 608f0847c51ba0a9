// Package provider holds what every provider client (withings, fitbit)
// shares with its callers: the token source it asks for a user's access
// token, the limiter that spends the shared quota, and the retry policy of
// temporary failures.
package provider

import (
	"context"
	"math/rand/v2"
	"time"
)

// TokenSource hands a client a user's access token. The client calls
// AccessToken before a call and, when the provider rejects that token,
// RefreshAccessToken once with the rejected token, then retries with the
// token it returns. An implementation that refreshes for several workers
// can compare rejected with its current token to see that another worker
// already refreshed. Errors are returned to the caller unchanged, so a
// revoked grant should be reported as health.KindAuthRevoked.
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
	RefreshAccessToken(ctx context.Context, rejected string) (string, error)
}

// Limiter spends one unit of a provider's shared quota before each HTTP
// attempt, retries included. Wait blocks until a unit is available or
// returns an error, which the client returns unchanged, so an
// implementation may answer a *health.Error of KindRateLimited instead of
// waiting.
type Limiter interface {
	Wait(ctx context.Context) error
}

// RetryPolicy bounds the retries of temporary failures (HTTP 5xx, timeouts,
// connection errors, unreadable bodies, and what each provider adds). The
// delay before retry n (from 0) is BaseDelay·2ⁿ capped at MaxDelay, of
// which a random half is dropped ("equal jitter"). Rate limiting is never
// retried inside a client: repeating spends more of the quota.
type RetryPolicy struct {
	MaxAttempts int           // total attempts per request; default 4
	BaseDelay   time.Duration // default 500 ms
	MaxDelay    time.Duration // default 8 s
}

// WithDefaults fills the zero fields.
func (p RetryPolicy) WithDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 4
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 500 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 8 * time.Second
	}
	return p
}

// Delay is the capped exponential delay before retry n (from 0), before
// jitter.
func (p RetryPolicy) Delay(retry int) time.Duration {
	d := p.MaxDelay
	if retry < 30 && p.BaseDelay<<retry < d {
		d = p.BaseDelay << retry
	}
	return d
}

// EqualJitter keeps half of d and draws the other half at random, so
// clients that failed together do not retry together.
func EqualJitter(d time.Duration) time.Duration {
	half := d / 2
	return half + rand.N(d-half+1)
}

// Sleep waits d, or returns ctx's error when it ends first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
