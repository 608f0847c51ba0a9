package fitbit

import (
	"context"
	"time"

	"github.com/ohx-health/ohx/internal/provider"
)

// RefreshingSource is an in-process TokenSource over one user's Token (see
// provider.RefreshingSource). It keeps the old refresh token and scopes
// when Google returns none.
type RefreshingSource = provider.RefreshingSource[Token]

// refreshLeeway refreshes a token this long before it expires, so that a
// request does not race the expiry.
const refreshLeeway = time.Minute

// NewRefreshingSource returns a RefreshingSource starting from tok; save may
// be nil.
func (c *Client) NewRefreshingSource(tok Token, save func(context.Context, Token) error) *RefreshingSource {
	return provider.NewRefreshingSource(provider.TokenOps[Token]{
		Name:   "fitbit",
		Access: func(t Token) string { return t.AccessToken },
		Stale:  func(t Token) bool { return t.Expired(c.cfg.Now(), refreshLeeway) },
		Refresh: func(ctx context.Context, old Token) (Token, error) {
			tok, err := c.Refresh(ctx, old.RefreshToken)
			if err != nil {
				return Token{}, err
			}
			if tok.RefreshToken == "" {
				tok.RefreshToken, tok.RefreshExpiry = old.RefreshToken, old.RefreshExpiry
			}
			if len(tok.Scopes) == 0 {
				tok.Scopes = old.Scopes
			}
			return tok, nil
		},
	}, tok, save)
}
