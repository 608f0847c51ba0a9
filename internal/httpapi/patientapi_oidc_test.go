package httpapi_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ohx-health/ohx/internal/auth"
)

// issuer is a local OIDC issuer: a key set over HTTP and a signer.
type issuer struct {
	url  string
	sign func(t *testing.T, claims map[string]any) string
}

func newIssuer(t *testing.T) issuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &key.PublicKey, KeyID: "k1", Algorithm: string(jose.ES256), Use: "sig"}}})
	}))
	t.Cleanup(srv.Close)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	iss := issuer{url: srv.URL}
	iss.sign = func(t *testing.T, claims map[string]any) string {
		t.Helper()
		base := map[string]any{"iss": srv.URL, "aud": "ohx-api", "sub": "user-1",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()}
		for k, v := range claims {
			base[k] = v
		}
		raw, err := jwt.Signed(signer).Claims(base).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	return iss
}

// A patient's own token may act for that patient only.
func TestPatientTokenActsForItsPatientOnly(t *testing.T) {
	t.Parallel()
	iss := newIssuer(t)
	v, err := auth.NewOIDC(auth.OIDCConfig{Issuer: iss.url, Audience: "ohx-api", JWKSURL: iss.url + "/jwks"})
	if err != nil {
		t.Fatal(err)
	}
	f := newAPIFixture(t, v)
	alice := iss.sign(t, map[string]any{"ehr_user_id": "alice"})

	// No ehr_user_id: the token's patient is meant.
	resp, body := f.do(t, http.MethodGet, "/api/base/link/withings/", alice, map[string]string{"Accept": "application/json"}, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"ehr_user_id":"alice"`) {
		t.Fatalf("alice links herself: %d %s", resp.StatusCode, body)
	}
	for _, path := range []string{"/api/base/link/withings/?ehr_user_id=bob", "/api/base/link/withings/status/?ehr_user_id=bob",
		"/api/base/sync/status/?ehr_user_id=bob"} {
		if resp, body := f.do(t, http.MethodGet, path, alice, nil, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("alice on %s: %d %s", path, resp.StatusCode, body)
		}
	}
	if resp, _ := f.do(t, http.MethodPost, "/api/base/link/withings/unlink/?ehr_user_id=bob", alice, nil, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("alice unlinks bob: %d", resp.StatusCode)
	}
	for name, tok := range map[string]string{
		"expired":        iss.sign(t, map[string]any{"ehr_user_id": "alice", "exp": time.Now().Add(-time.Hour).Unix()}),
		"other audience": iss.sign(t, map[string]any{"ehr_user_id": "alice", "aud": "someone-else"}),
		"no patient":     iss.sign(t, nil),
	} {
		resp, body := f.do(t, http.MethodGet, "/api/base/link/withings/status/?ehr_user_id=alice", tok, nil, nil)
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, tok) {
			t.Errorf("%s token: %d %s", name, resp.StatusCode, body)
		}
	}
}
