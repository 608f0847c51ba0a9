package withings

import (
	"context"
	"errors"
	"testing"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/provider/withings/withingstest"
)

// withSecret returns a client of e's emulator using secret.
func (e *env) withSecret(t *testing.T, secret string) *Client {
	t.Helper()
	cfg := e.client.cfg
	cfg.ClientSecret = secret
	c, err := New(cfg, e.srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCheckCredentials(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	if err := e.client.CheckCredentials(ctx); err != nil {
		t.Fatalf("right credentials: %v", err)
	}
	err := e.withSecret(t, "wrong").CheckCredentials(ctx)
	if !errors.Is(err, ErrCredentialsRejected) || health.KindOf(err) != health.KindUnavailable {
		t.Fatalf("wrong secret: %v, want ErrCredentialsRejected of kind unavailable", err)
	}
	noSecrets(t, err, "ohx-secret", "wrong")

	// Withings down is not a verdict on the credentials.
	for range 4 {
		e.emu.InjectFault(withingstest.EndpointNonce, withingstest.Fault{HTTPStatus: 503})
	}
	err = e.client.CheckCredentials(ctx)
	if err == nil || errors.Is(err, ErrCredentialsRejected) || health.KindOf(err) != health.KindTransient {
		t.Fatalf("Withings down: %v, want a transient error", err)
	}
}

// A wrong client secret makes Withings refuse every grant the way it
// refuses a revoked refresh token; ohx must not blame the user's link.
func TestWrongSecretIsNotARevokedGrant(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	ctx := context.Background()
	bad := e.withSecret(t, "wrong")
	code, err := ParseCallback(e.consent(t, "s"), "s")
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Exchange(ctx, code)
	if !errors.Is(err, ErrCredentialsRejected) || health.KindOf(err) != health.KindUnavailable {
		t.Errorf("exchange with a wrong secret: %v, want ErrCredentialsRejected", err)
	}
	noSecrets(t, err, code, "ohx-secret")

	_, rt := e.emu.IssueToken(testUser)
	_, err = bad.Refresh(ctx, rt)
	if !errors.Is(err, ErrCredentialsRejected) || health.KindOf(err) == health.KindAuthRevoked {
		t.Errorf("refresh with a wrong secret: %v, want ErrCredentialsRejected, not auth_revoked", err)
	}
	noSecrets(t, err, rt, "ohx-secret")

	// With the right secret, the same refusal is the grant's.
	_, err = e.client.Refresh(ctx, "0123456789abcdef0123456789abcdef01234567")
	wantKind(t, err, health.KindAuthRevoked)
}

func TestRevokeAccess(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(c *withingstest.Config, _ *Config) { c.QuotaPerMinute = -1 })
	ctx := context.Background()
	at := e.token()
	if _, err := e.client.ListSubscriptions(ctx, at, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.client.RevokeAccess(ctx, testUser); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.ListSubscriptions(ctx, at, 0)
	wantKind(t, err, health.KindUnauthorized) // the token died with the access
	if n := e.emu.Count(withingstest.EndpointNonce); n != 1 {
		t.Errorf("%d nonces fetched, want 1", n)
	}

	err = e.withSecret(t, "wrong").RevokeAccess(ctx, testUser)
	if !errors.Is(err, ErrCredentialsRejected) {
		t.Errorf("revoke with a wrong secret: %v, want ErrCredentialsRejected", err)
	}
	wantKind(t, e.client.RevokeAccess(ctx, ""), health.KindInvalid)
}
