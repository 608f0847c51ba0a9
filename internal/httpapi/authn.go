package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/ohx-health/ohx/internal/auth"
	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/store"
)

// TokenVerifier verifies a patient's OIDC bearer token (auth.OIDC).
type TokenVerifier interface {
	Verify(ctx context.Context, rawToken string) (auth.Identity, error)
}

// authenticate returns the caller of a patient-scoped endpoint: a service
// by its API key, or a patient by an OIDC token when OIDC is configured.
// Credentials come only from the Authorization header, never from the URL,
// where they would reach logs and browser history.
func authenticate(r *http.Request, d Deps) (auth.Principal, error) {
	scheme, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	cred = strings.TrimSpace(cred)
	if cred == "" || !strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "Token") {
		return auth.Principal{}, health.Errorf(health.KindUnauthorized, "authentication required: send Authorization: Bearer <API key or token>")
	}
	if auth.IsAPIKey(cred) {
		var k store.APIKey
		err := d.DB.InTx(r.Context(), func(tx *store.Tx) (err error) {
			k, err = tx.APIKeyByHash(r.Context(), auth.HashAPIKey(cred))
			return err
		})
		if errors.Is(err, store.ErrNotFound) {
			return auth.Principal{}, health.Errorf(health.KindUnauthorized, "API key unknown or revoked")
		}
		if err != nil {
			return auth.Principal{}, err
		}
		return auth.Principal{Service: k.Name}, nil
	}
	if d.Tokens == nil {
		return auth.Principal{}, health.Errorf(health.KindUnauthorized, "bearer token not accepted: OIDC is not configured")
	}
	id, err := d.Tokens.Verify(r.Context(), cred)
	if err != nil {
		return auth.Principal{}, err
	}
	return auth.Principal{EHRUserID: id.EHRUserID, Subject: id.Subject}, nil
}

// authorized checks that the caller may act for ehrUserID. It writes the
// error response itself and returns false when the request must stop.
func authorized(w http.ResponseWriter, r *http.Request, d Deps, p auth.Principal, ehrUserID string) bool {
	if !p.MayActFor(ehrUserID) {
		writeError(w, r, d, health.Errorf(health.KindForbidden, "this token may not act for that patient"))
		return false
	}
	return true
}

// requireAuth wraps a patient-scoped handler: unauthenticated requests get
// 401 with a WWW-Authenticate challenge.
func requireAuth(d Deps, next func(http.ResponseWriter, *http.Request, auth.Principal)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := authenticate(r, d)
		if err != nil {
			if health.KindOf(err) == health.KindUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="ohx"`)
			}
			writeError(w, r, d, err)
			return
		}
		next(w, r, p)
	})
}
