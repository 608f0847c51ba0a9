package link

import (
	"context"

	"github.com/ohx-health/ohx/internal/provider/fitbit"
)

// Fitbit adapts the Google Health API OAuth client to OAuth. The link's
// external user id is the Google Health user id (healthUserId), which
// webhooks name; the token response does not carry it, so Exchange asks
// the identity endpoint with the new access token.
func Fitbit(c *fitbit.Client) OAuth { return fitbitOAuth{c} }

type fitbitOAuth struct{ c *fitbit.Client }

func (f fitbitOAuth) AuthCodeURL(state string) string { return f.c.AuthCodeURL(state) }

func (f fitbitOAuth) Exchange(ctx context.Context, code string) (Grant, error) {
	t, err := f.c.Exchange(ctx, code)
	if err != nil {
		return Grant{}, err
	}
	g := fitbitGrant(t)
	g.ExternalUserID, _, err = f.c.Identity(ctx, fitbit.StaticToken(t.AccessToken))
	return g, err
}

// Refresh may return no refresh token: Google keeps the old one valid, and
// Tokens keeps it when the grant has none.
func (f fitbitOAuth) Refresh(ctx context.Context, refreshToken string) (Grant, error) {
	t, err := f.c.Refresh(ctx, refreshToken)
	return fitbitGrant(t), err
}

func fitbitGrant(t fitbit.Token) Grant {
	return Grant{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken, Expiry: t.Expiry, Scopes: t.Scopes}
}
