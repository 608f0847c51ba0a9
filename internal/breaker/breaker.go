// Package breaker stops ohx from hammering a peer that is down: after a run
// of transient failures calls fail fast for a while, then a few trial calls
// decide whether the peer is back.
//
// Only failures that say the peer is unwell (health.KindTransient and
// KindUnavailable) count; a rejected record or a revoked token says nothing
// about the peer and never opens the breaker.
package breaker

import (
	"context"
	"errors"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/ohx-health/ohx/internal/health"
)

// Breaker guards calls to one peer.
type Breaker struct {
	name string
	cb   *gobreaker.CircuitBreaker[struct{}]
}

// New returns a breaker that opens after failures consecutive peer
// failures and tries again after openFor.
func New(name string, failures uint32, openFor time.Duration) *Breaker {
	st := gobreaker.Settings{
		Name:        name,
		MaxRequests: 1,
		Timeout:     openFor,
		ReadyToTrip: func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= failures },
		IsSuccessful: func(err error) bool {
			k := health.KindOf(err)
			return k != health.KindTransient && k != health.KindUnavailable
		},
	}
	return &Breaker{name: name, cb: gobreaker.NewCircuitBreaker[struct{}](st)}
}

// Do runs fn unless the breaker is open, in which case it fails at once
// with KindUnavailable.
func (b *Breaker) Do(ctx context.Context, fn func(context.Context) error) error {
	_, err := b.cb.Execute(func() (struct{}, error) { return struct{}{}, fn(ctx) })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		return health.Wrap(health.KindUnavailable, err, b.name+" is failing; calls paused")
	}
	return err
}

// State is "closed", "half-open" or "open".
func (b *Breaker) State() string { return b.cb.State().String() }

// Gauge is the state as a number for metrics: 0 closed, 1 half-open, 2 open.
func (b *Breaker) Gauge() float64 {
	switch b.cb.State() {
	case gobreaker.StateHalfOpen:
		return 1
	case gobreaker.StateOpen:
		return 2
	}
	return 0
}

// Check answers a health probe: an error while the breaker is open.
func (b *Breaker) Check(context.Context) error {
	if b.cb.State() == gobreaker.StateOpen {
		return health.Errorf(health.KindUnavailable, "%s is failing; calls paused", b.name)
	}
	return nil
}
