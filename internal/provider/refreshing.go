package provider

import (
	"context"
	"fmt"
	"sync"
)

// RefreshingSource is an in-process TokenSource over one user's token of
// type T: it refreshes ahead of expiry and on rejection, one refresh at a
// time, and hands each new token to save before using it. It serves tests,
// demos and single-process tools; workers sharing a database need a source
// that serialises refreshes in the database instead (link.Tokens).
type RefreshingSource[T any] struct {
	ops  TokenOps[T]
	save func(context.Context, T) error
	mu   sync.Mutex
	tok  T
}

// TokenOps is what a RefreshingSource needs to know of a provider's token.
type TokenOps[T any] struct {
	// Name names the provider in errors ("withings").
	Name string
	// Access returns the access token.
	Access func(T) string
	// Stale reports whether the access token expires now or very soon.
	Stale func(T) bool
	// Refresh trades the current token for a new one; it may carry over
	// what the provider did not resend (a refresh token, scopes).
	Refresh func(context.Context, T) (T, error)
}

// NewRefreshingSource returns a RefreshingSource starting from tok; save
// may be nil.
func NewRefreshingSource[T any](ops TokenOps[T], tok T, save func(context.Context, T) error) *RefreshingSource[T] {
	return &RefreshingSource[T]{ops: ops, save: save, tok: tok}
}

// Token returns the current token.
func (s *RefreshingSource[T]) Token() T {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok
}

// AccessToken returns the current access token, refreshed first when it is
// about to expire.
func (s *RefreshingSource[T]) AccessToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ops.Stale(s.tok) {
		if err := s.refreshLocked(ctx); err != nil {
			return "", err
		}
	}
	return s.ops.Access(s.tok), nil
}

// RefreshAccessToken refreshes unless another caller already replaced the
// rejected token.
func (s *RefreshingSource[T]) RefreshAccessToken(ctx context.Context, rejected string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ops.Access(s.tok) != rejected {
		return s.ops.Access(s.tok), nil
	}
	if err := s.refreshLocked(ctx); err != nil {
		return "", err
	}
	return s.ops.Access(s.tok), nil
}

func (s *RefreshingSource[T]) refreshLocked(ctx context.Context) error {
	tok, err := s.ops.Refresh(ctx, s.tok)
	if err != nil {
		return err
	}
	if s.save != nil {
		if err := s.save(ctx, tok); err != nil {
			return fmt.Errorf("%s oauth2 refresh: saving the new token: %w", s.ops.Name, err)
		}
	}
	s.tok = tok
	return nil
}
