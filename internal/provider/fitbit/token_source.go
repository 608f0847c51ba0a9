package fitbit

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// RefreshingSource is an in-process TokenSource over one user's Token: it
// refreshes ahead of expiry and on rejection, one refresh at a time, keeps
// the old refresh token when Google returns none, and hands each new token
// to save before using it. It serves tests, demos and single-process tools;
// workers sharing a database need a source that serialises refreshes in the
// database instead.
type RefreshingSource struct {
	c    *Client
	save func(context.Context, Token) error
	mu   sync.Mutex
	tok  Token
}

// refreshLeeway refreshes a token this long before it expires, so that a
// request does not race the expiry.
const refreshLeeway = time.Minute

// NewRefreshingSource returns a RefreshingSource starting from tok; save may
// be nil.
func (c *Client) NewRefreshingSource(tok Token, save func(context.Context, Token) error) *RefreshingSource {
	return &RefreshingSource{c: c, save: save, tok: tok}
}

// Token returns the current token.
func (s *RefreshingSource) Token() Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tok
}

// AccessToken returns the current access token, refreshed first when it is
// about to expire.
func (s *RefreshingSource) AccessToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.Expired(s.c.cfg.Now(), refreshLeeway) {
		if err := s.refreshLocked(ctx); err != nil {
			return "", err
		}
	}
	return s.tok.AccessToken, nil
}

// RefreshAccessToken refreshes unless another caller already replaced the
// rejected token.
func (s *RefreshingSource) RefreshAccessToken(ctx context.Context, rejected string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok.AccessToken != rejected {
		return s.tok.AccessToken, nil
	}
	if err := s.refreshLocked(ctx); err != nil {
		return "", err
	}
	return s.tok.AccessToken, nil
}

func (s *RefreshingSource) refreshLocked(ctx context.Context) error {
	tok, err := s.c.Refresh(ctx, s.tok.RefreshToken)
	if err != nil {
		return err
	}
	if tok.RefreshToken == "" {
		tok.RefreshToken, tok.RefreshExpiry = s.tok.RefreshToken, s.tok.RefreshExpiry
	}
	if len(tok.Scopes) == 0 {
		tok.Scopes = s.tok.Scopes
	}
	if s.save != nil {
		if err := s.save(ctx, tok); err != nil {
			return fmt.Errorf("fitbit oauth2 refresh: saving the new token: %w", err)
		}
	}
	s.tok = tok
	return nil
}
