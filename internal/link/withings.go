package link

import (
	"context"

	"github.com/ohx-health/ohx/internal/provider/withings"
)

// Withings adapts the Withings OAuth client to OAuth.
func Withings(c *withings.Client) OAuth { return withingsOAuth{c} }

type withingsOAuth struct{ c *withings.Client }

func (w withingsOAuth) AuthCodeURL(state string) string { return w.c.AuthCodeURL(state) }

func (w withingsOAuth) Exchange(ctx context.Context, code string) (Grant, error) {
	t, err := w.c.Exchange(ctx, code)
	return grantOf(t), err
}

func (w withingsOAuth) Refresh(ctx context.Context, refreshToken string) (Grant, error) {
	t, err := w.c.Refresh(ctx, refreshToken)
	return grantOf(t), err
}

func grantOf(t withings.Token) Grant {
	return Grant{ExternalUserID: t.UserID, AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		Expiry: t.Expiry, Scopes: t.Scopes}
}
