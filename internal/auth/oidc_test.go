package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/ohx-health/ohx/internal/health"
)

const (
	testAudience = "ohx-api"
	testSubject  = "sub-7f3a9c"
	testPatient  = "patient-4711"
)

// testNow is the fake clock's start; tokens are valid for an hour from it.
var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// testKeys are generated once: RSA key generation is slow under -race.
var testKeys = sync.OnceValue(func() (k struct {
	rsa               *rsa.PrivateKey
	ec, otherEC, next *ecdsa.PrivateKey
}) {
	var err error
	if k.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if k.otherEC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	if k.next, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		panic(err)
	}
	return k
})

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ ns atomic.Int64 }

func newFakeClock() *fakeClock {
	c := &fakeClock{}
	c.ns.Store(testNow.UnixNano())
	return c
}

func (c *fakeClock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// testIssuer is a local OIDC issuer: discovery document and JWKS over HTTP.
type testIssuer struct {
	srv   *httptest.Server
	clock *fakeClock

	noDiscovery   bool        // serve no discovery document (404)
	discoveryDown atomic.Bool // answer discovery with 503
	jwksDown      atomic.Bool // answer the JWKS with 503
	// rotated makes the JWKS hold only the key "ec2" instead of "rsa1" and "ec1".
	rotated atomic.Bool
	// jwksGate, when set, is received from before the JWKS answers.
	jwksGate atomic.Pointer[chan struct{}]
	// jwksHandler, when set, answers the JWKS instead.
	jwksHandler atomic.Pointer[http.HandlerFunc]
	// discoveryGate, when set, is received from before discovery answers.
	discoveryGate chan struct{}

	discoveryHits atomic.Int32
	jwksHits      atomic.Int32
}

type issuerOption func(*testIssuer)

func withoutDiscovery() issuerOption { return func(is *testIssuer) { is.noDiscovery = true } }

func newTestIssuer(t *testing.T, opts ...issuerOption) *testIssuer {
	t.Helper()
	is := &testIssuer{clock: newFakeClock()}
	for _, opt := range opts {
		opt(is)
	}
	keys := testKeys()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		is.discoveryHits.Add(1)
		if is.discoveryGate != nil {
			select {
			case <-is.discoveryGate:
			case <-r.Context().Done():
				return
			}
		}
		if is.noDiscovery {
			http.NotFound(w, r)
			return
		}
		if is.discoveryDown.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		writeTestJSON(w, map[string]any{
			"issuer":                                is.srv.URL,
			"jwks_uri":                              is.srv.URL + "/jwks",
			"authorization_endpoint":                is.srv.URL + "/authorize",
			"token_endpoint":                        is.srv.URL + "/token",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		is.jwksHits.Add(1)
		if gate := is.jwksGate.Load(); gate != nil {
			select {
			case <-*gate:
			case <-r.Context().Done():
				return
			}
		}
		if h := is.jwksHandler.Load(); h != nil {
			(*h)(w, r)
			return
		}
		if is.jwksDown.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		if is.rotated.Load() {
			writeTestJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
				{Key: &keys.next.PublicKey, KeyID: "ec2", Algorithm: string(jose.ES256), Use: "sig"},
			}})
			return
		}
		writeTestJSON(w, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &keys.rsa.PublicKey, KeyID: "rsa1", Algorithm: string(jose.RS256), Use: "sig"},
			{Key: &keys.ec.PublicKey, KeyID: "ec1", Algorithm: string(jose.ES256), Use: "sig"},
		}})
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func writeTestJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// config is a valid OIDCConfig for the issuer, using discovery.
func (is *testIssuer) config() OIDCConfig {
	return OIDCConfig{
		Issuer:     is.srv.URL,
		Audience:   testAudience,
		HTTPClient: is.srv.Client(),
		Now:        is.clock.Now,
	}
}

func (is *testIssuer) newOIDC(t *testing.T, cfg OIDCConfig) *OIDC {
	t.Helper()
	o, err := NewOIDC(cfg)
	if err != nil {
		t.Fatalf("NewOIDC: %v", err)
	}
	return o
}

// claims returns valid claims for the issuer, changed by edit.
func (is *testIssuer) claims(edit func(map[string]any)) map[string]any {
	now := is.clock.Now()
	c := map[string]any{
		"iss":         is.srv.URL,
		"aud":         testAudience,
		"sub":         testSubject,
		"iat":         now.Unix(),
		"nbf":         now.Add(-time.Minute).Unix(),
		"exp":         now.Add(time.Hour).Unix(),
		"ehr_user_id": testPatient,
	}
	if edit != nil {
		edit(c)
	}
	return c
}

// sign signs claims with one of the issuer's keys ("rsa1", "ec1"; "ec2" once
// it rotated) or with a key the issuer does not publish ("unknown", sharing
// the kid "ec1").
func sign(t *testing.T, key string, claims map[string]any) string {
	t.Helper()
	keys := testKeys()
	switch key {
	case "rsa1":
		return signWith(t, jose.RS256, keys.rsa, "rsa1", claims)
	case "ec1":
		return signWith(t, jose.ES256, keys.ec, "ec1", claims)
	case "ec2":
		return signWith(t, jose.ES256, keys.next, "ec2", claims)
	case "unknown":
		return signWith(t, jose.ES256, keys.otherEC, "ec1", claims)
	}
	t.Fatalf("unknown key %q", key)
	return ""
}

// signWith signs claims with key under kid; an empty kid is left out.
func signWith(t *testing.T, alg jose.SignatureAlgorithm, key any, kid string, claims map[string]any) string {
	t.Helper()
	sk := jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}
	signer, err := jose.NewSigner(sk, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// handMade builds a compact JWS from a header, claims and a signing function
// given the signing input; it is how the tests make tokens go-jose refuses to
// sign, like "alg":"none".
func handMade(t *testing.T, header map[string]any, claims map[string]any, sig func(input string) []byte) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(header) + "." + enc(claims)
	return input + "." + base64.RawURLEncoding.EncodeToString(sig(input))
}

// checkSafe fails when err's text contains a secret: the raw token or one of
// the claim values the test used.
func checkSafe(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error() + " | " + health.MessageOf(err)
	for _, s := range secrets {
		if s != "" && strings.Contains(msg, s) {
			t.Errorf("error %q contains the secret %q", msg, s)
		}
	}
}

func TestVerifyAccepts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		key   string
		claim string // OIDCConfig.PatientClaim
		edit  func(map[string]any)
		want  Identity
	}{
		{name: "RS256", key: "rsa1", want: Identity{Subject: testSubject, EHRUserID: testPatient}},
		{name: "ES256", key: "ec1", want: Identity{Subject: testSubject, EHRUserID: testPatient}},
		{
			name: "numeric claim",
			key:  "rsa1",
			edit: func(c map[string]any) { c["ehr_user_id"] = 4711 },
			want: Identity{Subject: testSubject, EHRUserID: "4711"},
		},
		{
			name: "large integer claim",
			key:  "rsa1",
			edit: func(c map[string]any) { c["ehr_user_id"] = json.RawMessage("123456789012345678901234567890") },
			want: Identity{Subject: testSubject, EHRUserID: "123456789012345678901234567890"},
		},
		{
			name: "integral number in float form",
			key:  "ec1",
			edit: func(c map[string]any) { c["ehr_user_id"] = json.RawMessage("1.2345e4") },
			want: Identity{Subject: testSubject, EHRUserID: "12345"},
		},
		{
			name:  "custom patient claim",
			key:   "rsa1",
			claim: "https://ehr.example/patient",
			edit: func(c map[string]any) {
				delete(c, "ehr_user_id")
				c["https://ehr.example/patient"] = "P-1"
			},
			want: Identity{Subject: testSubject, EHRUserID: "P-1"},
		},
		{
			name: "audience list",
			key:  "rsa1",
			edit: func(c map[string]any) { c["aud"] = []string{"other-api", testAudience} },
			want: Identity{Subject: testSubject, EHRUserID: testPatient},
		},
		{
			name: "nbf within leeway",
			key:  "rsa1",
			edit: func(c map[string]any) { c["nbf"] = testNow.Add(time.Minute).Unix() },
			want: Identity{Subject: testSubject, EHRUserID: testPatient},
		},
	}
	is := newTestIssuer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := is.config()
			cfg.PatientClaim = tt.claim
			o := is.newOIDC(t, cfg)
			got, err := o.Verify(t.Context(), sign(t, tt.key, is.claims(tt.edit)))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if got != tt.want {
				t.Errorf("Verify = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	keys := testKeys()
	rsaDER, err := x509.MarshalPKIXPublicKey(&keys.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		token func(t *testing.T) string
		want  string // the error's message
	}{
		{
			name: "expired",
			token: func(t *testing.T) string {
				return sign(t, "rsa1", is.claims(func(c map[string]any) {
					c["exp"] = testNow.Add(-time.Minute).Unix()
				}))
			},
			want: "bearer token expired",
		},
		{
			name: "no exp",
			token: func(t *testing.T) string {
				return sign(t, "rsa1", is.claims(func(c map[string]any) { delete(c, "exp") }))
			},
			want: "bearer token lacks claim exp",
		},
		{
			name: "not yet valid",
			token: func(t *testing.T) string {
				return sign(t, "rsa1", is.claims(func(c map[string]any) {
					c["nbf"] = testNow.Add(time.Hour).Unix()
					c["exp"] = testNow.Add(2 * time.Hour).Unix()
				}))
			},
			want: "bearer token invalid",
		},
		{
			name: "wrong audience",
			token: func(t *testing.T) string {
				return sign(t, "rsa1", is.claims(func(c map[string]any) { c["aud"] = "someone-else" }))
			},
			want: "bearer token invalid",
		},
		{
			name: "wrong issuer",
			token: func(t *testing.T) string {
				return sign(t, "rsa1", is.claims(func(c map[string]any) { c["iss"] = "https://evil.example" }))
			},
			want: "bearer token invalid",
		},
		{
			name:  "unknown key",
			token: func(t *testing.T) string { return sign(t, "unknown", is.claims(nil)) },
			want:  "bearer token invalid",
		},
		{
			name: "alg none",
			token: func(t *testing.T) string {
				return handMade(t, map[string]any{"alg": "none", "typ": "JWT"}, is.claims(nil),
					func(string) []byte { return nil })
			},
			want: "bearer token invalid",
		},
		{
			name: "HS256 keyed with the issuer's public key",
			token: func(t *testing.T) string {
				return handMade(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": "rsa1"}, is.claims(nil),
					func(input string) []byte {
						m := hmac.New(sha256.New, rsaDER)
						m.Write([]byte(input))
						return m.Sum(nil)
					})
			},
			want: "bearer token invalid",
		},
		{
			// go-jose quotes the header's alg in its error; the token must
			// not be able to pass for an issuer outage.
			name: "alg naming a key fetch failure",
			token: func(t *testing.T) string {
				return handMade(t, map[string]any{"alg": "fetching keys", "kid": "rsa1"}, is.claims(nil),
					func(string) []byte { return []byte("sig") })
			},
			want: "bearer token invalid",
		},
		{
			name: "issuer naming a key fetch failure",
			token: func(t *testing.T) string {
				return sign(t, "rsa1", is.claims(func(c map[string]any) {
					c["iss"] = "failed to verify signature: fetching keys"
				}))
			},
			want: "bearer token invalid",
		},
		{
			name:  "garbage",
			token: func(*testing.T) string { return "not.a.jwt-at-all" },
			want:  "bearer token invalid",
		},
		{
			name:  "empty",
			token: func(*testing.T) string { return "" },
			want:  "bearer token missing",
		},
		{
			name:  "oversized",
			token: func(*testing.T) string { return strings.Repeat("a", maxTokenBytes+1) },
			want:  "bearer token invalid",
		},
		{
			name: "missing patient claim",
			token: func(t *testing.T) string {
				return sign(t, "rsa1", is.claims(func(c map[string]any) { delete(c, "ehr_user_id") }))
			},
			want: "bearer token lacks claim ehr_user_id",
		},
		{
			name: "empty patient claim",
			token: func(t *testing.T) string {
				return sign(t, "ec1", is.claims(func(c map[string]any) { c["ehr_user_id"] = "" }))
			},
			want: "bearer token lacks claim ehr_user_id",
		},
		{
			name: "null patient claim",
			token: func(t *testing.T) string {
				return sign(t, "ec1", is.claims(func(c map[string]any) { c["ehr_user_id"] = nil }))
			},
			want: "bearer token lacks claim ehr_user_id",
		},
		{
			name: "fractional patient claim",
			token: func(t *testing.T) string {
				return sign(t, "rsa1", is.claims(func(c map[string]any) { c["ehr_user_id"] = 47.11 }))
			},
			want: "bearer token claim ehr_user_id is not a string or an integer",
		},
		{
			name: "object patient claim",
			token: func(t *testing.T) string {
				return sign(t, "rsa1", is.claims(func(c map[string]any) {
					c["ehr_user_id"] = map[string]string{"id": testPatient}
				}))
			},
			want: "bearer token claim ehr_user_id is not a string or an integer",
		},
		{
			name: "missing sub",
			token: func(t *testing.T) string {
				return sign(t, "rsa1", is.claims(func(c map[string]any) { delete(c, "sub") }))
			},
			want: "bearer token lacks claim sub",
		},
	}
	o := is.newOIDC(t, is.config())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw := tt.token(t)
			_, err := o.Verify(t.Context(), raw)
			if k := health.KindOf(err); k != health.KindUnauthorized {
				t.Fatalf("Verify: kind %q (%v), want %q", k, err, health.KindUnauthorized)
			}
			if got := health.MessageOf(err); got != tt.want {
				t.Errorf("Verify: message %q, want %q", got, tt.want)
			}
			checkSafe(t, err, raw, testSubject, testPatient, "someone-else", "evil.example", "47.11", "2026")
		})
	}
}

func TestVerifyJWKSURL(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t, withoutDiscovery())
	cfg := is.config()
	cfg.JWKSURL = is.srv.URL + "/jwks"
	o := is.newOIDC(t, cfg)
	for _, key := range []string{"rsa1", "ec1"} {
		got, err := o.Verify(t.Context(), sign(t, key, is.claims(nil)))
		if err != nil {
			t.Fatalf("Verify(%s): %v", key, err)
		}
		if want := (Identity{Subject: testSubject, EHRUserID: testPatient}); got != want {
			t.Errorf("Verify(%s) = %+v, want %+v", key, got, want)
		}
	}
	if n := is.discoveryHits.Load(); n != 0 {
		t.Errorf("discovery was requested %d times, want 0", n)
	}
	if n := is.jwksHits.Load(); n != 1 {
		t.Errorf("JWKS was requested %d times, want 1 (keys are cached)", n)
	}
}

func TestVerifyIssuerDown(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	is.discoveryDown.Store(true)
	o := is.newOIDC(t, is.config())
	raw := sign(t, "rsa1", is.claims(nil))

	_, err := o.Verify(t.Context(), raw)
	if k := health.KindOf(err); k != health.KindUnavailable {
		t.Fatalf("Verify with issuer down: kind %q (%v), want %q", k, err, health.KindUnavailable)
	}
	checkSafe(t, err, raw, testSubject, testPatient)

	// Healthy again, but within the backoff: no new discovery attempt.
	is.discoveryDown.Store(false)
	_, err = o.Verify(t.Context(), raw)
	if k := health.KindOf(err); k != health.KindUnavailable {
		t.Fatalf("Verify within backoff: kind %q (%v), want %q", k, err, health.KindUnavailable)
	}
	if n := is.discoveryHits.Load(); n != 1 {
		t.Fatalf("discovery was requested %d times within the backoff, want 1", n)
	}

	is.clock.Advance(discoveryBackoff + time.Second)
	got, err := o.Verify(t.Context(), raw)
	if err != nil {
		t.Fatalf("Verify after recovery: %v", err)
	}
	if got.EHRUserID != testPatient {
		t.Errorf("Verify after recovery: EHRUserID %q, want %q", got.EHRUserID, testPatient)
	}
	if n := is.discoveryHits.Load(); n != 2 {
		t.Errorf("discovery was requested %d times, want 2", n)
	}

	// Discovery is cached from now on.
	if _, err := o.Verify(t.Context(), raw); err != nil {
		t.Fatalf("Verify again: %v", err)
	}
	if n := is.discoveryHits.Load(); n != 2 {
		t.Errorf("discovery was requested %d times after success, want 2", n)
	}
}

func TestVerifyKeysDown(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	is.jwksDown.Store(true)
	o := is.newOIDC(t, is.config())
	raw := sign(t, "ec1", is.claims(nil))

	_, err := o.Verify(t.Context(), raw)
	if k := health.KindOf(err); k != health.KindUnavailable {
		t.Fatalf("Verify with JWKS down: kind %q (%v), want %q", k, err, health.KindUnavailable)
	}
	checkSafe(t, err, raw, testSubject, testPatient)

	// Back, but within the backoff: no new fetch.
	is.jwksDown.Store(false)
	_, err = o.Verify(t.Context(), raw)
	if k := health.KindOf(err); k != health.KindUnavailable {
		t.Fatalf("Verify within backoff: kind %q (%v), want %q", k, err, health.KindUnavailable)
	}
	if n := is.jwksHits.Load(); n != 1 {
		t.Fatalf("JWKS was requested %d times within the backoff, want 1", n)
	}

	is.clock.Advance(discoveryBackoff)
	if _, err := o.Verify(t.Context(), raw); err != nil {
		t.Fatalf("Verify with JWKS back: %v", err)
	}
	if n := is.jwksHits.Load(); n != 2 {
		t.Errorf("JWKS was requested %d times, want 2", n)
	}
}

// TestVerifyCallerGivesUp checks that a caller whose context ends while
// discovery runs gets KindUnavailable, and that discovery still completes for
// later callers.
func TestVerifyCallerGivesUp(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	gate := make(chan struct{})
	is.discoveryGate = gate
	o := is.newOIDC(t, is.config())
	raw := sign(t, "rsa1", is.claims(nil))

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := o.Verify(ctx, raw)
	if k := health.KindOf(err); k != health.KindUnavailable {
		t.Fatalf("Verify: kind %q (%v), want %q", k, err, health.KindUnavailable)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Verify: %v, want a context.DeadlineExceeded cause", err)
	}

	close(gate)
	if _, err := o.Verify(t.Context(), raw); err != nil {
		t.Fatalf("Verify after discovery: %v", err)
	}
	if n := is.discoveryHits.Load(); n != 1 {
		t.Errorf("discovery was requested %d times, want 1", n)
	}
}

func TestNewOIDCInvalid(t *testing.T) {
	t.Parallel()
	valid := OIDCConfig{Issuer: "https://id.example", Audience: "ohx"}
	tests := []struct {
		name  string
		edit  func(*OIDCConfig)
		field string
	}{
		{"no issuer", func(c *OIDCConfig) { c.Issuer = "" }, "Issuer"},
		{"relative issuer", func(c *OIDCConfig) { c.Issuer = "/realms/ohx" }, "Issuer"},
		{"issuer not http", func(c *OIDCConfig) { c.Issuer = "ftp://id.example" }, "Issuer"},
		{"no audience", func(c *OIDCConfig) { c.Audience = "" }, "Audience"},
		{"jwks not a URL", func(c *OIDCConfig) { c.JWKSURL = "keys.json" }, "JWKSURL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := valid
			tt.edit(&cfg)
			_, err := NewOIDC(cfg)
			if k := health.KindOf(err); k != health.KindInvalid {
				t.Fatalf("NewOIDC: kind %q (%v), want %q", k, err, health.KindInvalid)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("NewOIDC: %q does not name %s", err, tt.field)
			}
		})
	}
	if _, err := NewOIDC(valid); err != nil {
		t.Errorf("NewOIDC(valid): %v", err)
	}
}

func TestShortError(t *testing.T) {
	t.Parallel()
	cause := errors.New("503 Service Unavailable: " + strings.Repeat("é", maxCauseBytes))
	err := shortError{cause}
	if n := len(err.Error()); n > maxCauseBytes+len("…") {
		t.Errorf("len(Error()) = %d, want at most %d", n, maxCauseBytes+len("…"))
	}
	if !strings.HasPrefix(err.Error(), "503 Service Unavailable: é") {
		t.Errorf("Error() = %q, want the start of the cause", err.Error())
	}
	if !errors.Is(err, cause) {
		t.Error("shortError does not unwrap to its cause")
	}
}

// randomKid returns a key id no issuer publishes.
func randomKid(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// wantInvalid fails unless err says the token is invalid.
func wantInvalid(t *testing.T, err error, what string) {
	t.Helper()
	if k := health.KindOf(err); k != health.KindUnauthorized {
		t.Fatalf("%s: kind %q (%v), want %q", what, k, err, health.KindUnauthorized)
	}
	if got := health.MessageOf(err); got != "bearer token invalid" {
		t.Fatalf("%s: message %q, want %q", what, got, "bearer token invalid")
	}
}

// wantJWKSHits fails unless the issuer's JWKS was requested n times.
func wantJWKSHits(t *testing.T, is *testIssuer, n int32, when string) {
	t.Helper()
	if got := is.jwksHits.Load(); got != n {
		t.Fatalf("%s: JWKS requested %d times, want %d", when, got, n)
	}
}

// verifyOK verifies a token signed with key and fails the test on an error.
func verifyOK(t *testing.T, is *testIssuer, o *OIDC, key string) {
	t.Helper()
	got, err := o.Verify(t.Context(), sign(t, key, is.claims(nil)))
	if err != nil {
		t.Fatalf("Verify(%s): %v", key, err)
	}
	if want := (Identity{Subject: testSubject, EHRUserID: testPatient}); got != want {
		t.Fatalf("Verify(%s) = %+v, want %+v", key, got, want)
	}
}

// TestVerifyUnknownKidsRateLimited checks that tokens naming made-up keys
// cannot make ohx fetch the issuer's keys on every request.
func TestVerifyUnknownKidsRateLimited(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	o := is.newOIDC(t, is.config())
	verifyOK(t, is, o, "ec1")
	wantJWKSHits(t, is, 1, "after the first Verify")

	// Long after the first fetch, so that the burst may cause one more.
	is.clock.Advance(10 * time.Minute)
	other := testKeys().otherEC
	for i := range 50 {
		raw := signWith(t, jose.ES256, other, randomKid(t), is.claims(nil))
		_, err := o.Verify(t.Context(), raw)
		wantInvalid(t, err, fmt.Sprintf("Verify(random kid #%d)", i))
		checkSafe(t, err, raw, testSubject, testPatient)
		is.clock.Advance(time.Second)
	}
	if n := is.jwksHits.Load(); n > 2 {
		t.Errorf("50 unknown kids within a minute: JWKS requested %d times, want at most 2", n)
	}
	// The cached keys still verify, without a fetch.
	verifyOK(t, is, o, "rsa1")
	if n := is.jwksHits.Load(); n > 2 {
		t.Errorf("JWKS requested %d times, want at most 2", n)
	}
}

// TestVerifyKeyRotation checks that a token signed with a key the issuer
// published since ohx last fetched its keys is refused until minRefetch has
// passed since that fetch, then accepted after one fetch.
func TestVerifyKeyRotation(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	o := is.newOIDC(t, is.config())
	verifyOK(t, is, o, "ec1")
	wantJWKSHits(t, is, 1, "after the first Verify")

	is.rotated.Store(true)
	is.clock.Advance(10 * time.Second)
	_, err := o.Verify(t.Context(), sign(t, "ec2", is.claims(nil)))
	wantInvalid(t, err, "Verify(new key) within minRefetch")
	wantJWKSHits(t, is, 1, "new key within minRefetch")
	verifyOK(t, is, o, "ec1") // the cached key still verifies

	is.clock.Advance(defaultMinRefetch - 10*time.Second - time.Nanosecond)
	_, err = o.Verify(t.Context(), sign(t, "ec2", is.claims(nil)))
	wantInvalid(t, err, "Verify(new key) just before minRefetch")
	wantJWKSHits(t, is, 1, "new key just before minRefetch")

	is.clock.Advance(time.Nanosecond)
	verifyOK(t, is, o, "ec2")
	wantJWKSHits(t, is, 2, "new key after minRefetch")
	verifyOK(t, is, o, "ec2")
	wantJWKSHits(t, is, 2, "new key again")

	// The issuer dropped the old key; it is refused, with no fetch this soon.
	_, err = o.Verify(t.Context(), sign(t, "ec1", is.claims(nil)))
	wantInvalid(t, err, "Verify(old key) after rotation")
	wantJWKSHits(t, is, 2, "old key after rotation")
}

// TestVerifyConcurrentRefetch checks that concurrent verifications needing
// new keys share one fetch.
func TestVerifyConcurrentRefetch(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		rotate bool // the issuer rotates to "ec2" and the tokens use it
	}{
		{name: "unknown kid"},
		{name: "rotated key", rotate: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := newTestIssuer(t)
			o := is.newOIDC(t, is.config())
			verifyOK(t, is, o, "ec1")
			is.clock.Advance(defaultMinRefetch)
			is.rotated.Store(tt.rotate)

			const n = 20
			tokens := make([]string, n)
			for i := range tokens {
				if tt.rotate {
					tokens[i] = sign(t, "ec2", is.claims(nil))
				} else {
					tokens[i] = signWith(t, jose.ES256, testKeys().otherEC, randomKid(t), is.claims(nil))
				}
			}
			// Hold the fetch until the callers had time to pile up on it.
			gate := make(chan struct{})
			is.jwksGate.Store(&gate)
			var closeGate sync.Once
			defer closeGate.Do(func() { close(gate) })

			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range tokens {
				wg.Go(func() { _, errs[i] = o.Verify(t.Context(), tokens[i]) })
			}
			for deadline := time.Now().Add(time.Second); is.jwksHits.Load() < 2 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(20 * time.Millisecond)
			closeGate.Do(func() { close(gate) })
			wg.Wait()

			wantJWKSHits(t, is, 2, "after 20 concurrent verifications")
			for i, err := range errs {
				if tt.rotate {
					if err != nil {
						t.Errorf("Verify #%d: %v", i, err)
					}
					continue
				}
				wantInvalid(t, err, fmt.Sprintf("Verify #%d", i))
			}
		})
	}
}

// TestVerifyKeysDownAfterCache checks that a failed refetch keeps the cached
// keys, is reported as the issuer being unavailable, and is not retried
// within minRefetch.
func TestVerifyKeysDownAfterCache(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	o := is.newOIDC(t, is.config())
	verifyOK(t, is, o, "ec1")

	is.jwksDown.Store(true)
	is.clock.Advance(defaultMinRefetch)
	raw := sign(t, "unknown", is.claims(nil))
	_, err := o.Verify(t.Context(), raw)
	if k := health.KindOf(err); k != health.KindUnavailable {
		t.Fatalf("Verify(unknown) with JWKS down: kind %q (%v), want %q", k, err, health.KindUnavailable)
	}
	if got := health.MessageOf(err); got != "oidc issuer keys unavailable" {
		t.Errorf("Verify(unknown) with JWKS down: message %q", got)
	}
	checkSafe(t, err, raw, testSubject, testPatient)
	wantJWKSHits(t, is, 2, "after the failed refetch")

	// The cached keys still verify.
	verifyOK(t, is, o, "ec1")
	verifyOK(t, is, o, "rsa1")

	// No retry within minRefetch: the token is simply invalid.
	is.clock.Advance(defaultMinRefetch - time.Second)
	_, err = o.Verify(t.Context(), sign(t, "unknown", is.claims(nil)))
	wantInvalid(t, err, "Verify(unknown) within minRefetch of the failure")
	wantJWKSHits(t, is, 2, "within minRefetch of the failure")

	// Retried after it; the issuer is back and the keys are replaced.
	is.jwksDown.Store(false)
	is.rotated.Store(true)
	is.clock.Advance(time.Second)
	verifyOK(t, is, o, "ec2")
	wantJWKSHits(t, is, 3, "after minRefetch")
}

// TestVerifyBadJWKS checks that a JWKS ohx cannot use is reported as the
// issuer being unavailable.
func TestVerifyBadJWKS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"not found", http.NotFound},
		{"not JSON", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("<html>sign in</html>"))
		}},
		{"no keys member", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"issuer":"x"}`))
		}},
		{"malformed key", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"!!","y":"!!"}]}`))
		}},
		{"too large", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"keys":[],"pad":"` + strings.Repeat("a", maxJWKSBytes) + `"}`))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			is := newTestIssuer(t)
			is.jwksHandler.Store(&tt.h)
			o := is.newOIDC(t, is.config())
			raw := sign(t, "ec1", is.claims(nil))
			_, err := o.Verify(t.Context(), raw)
			if k := health.KindOf(err); k != health.KindUnavailable {
				t.Fatalf("Verify: kind %q (%v), want %q", k, err, health.KindUnavailable)
			}
			if got := health.MessageOf(err); got != "oidc issuer keys unavailable" {
				t.Errorf("Verify: message %q", got)
			}
			if n := len(err.Error()); n > 2*maxCauseBytes {
				t.Errorf("Verify: error of %d bytes, want it short", n)
			}
			checkSafe(t, err, raw, testSubject, testPatient)
		})
	}
}

// TestVerifyJWKSKeyChoice checks which published keys ohx uses: unusable
// keys are skipped without failing the set, and a token without a kid is
// tried against every key.
func TestVerifyJWKSKeyChoice(t *testing.T) {
	t.Parallel()
	keys := testKeys()
	is := newTestIssuer(t)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		ec1, err := json.Marshal(jose.JSONWebKey{Key: &keys.ec.PublicKey, KeyID: "ec1", Algorithm: string(jose.ES256), Use: "sig"})
		if err != nil {
			panic(err)
		}
		encKey, err := json.Marshal(jose.JSONWebKey{Key: &keys.next.PublicKey, KeyID: "enc1", Use: "enc"})
		if err != nil {
			panic(err)
		}
		// An Ed448 key (unsupported type), a symmetric key, an
		// encryption key, a key for an unsupported algorithm, then ec1.
		fmt.Fprintf(w, `{"keys":[
			{"kty":"OKP","crv":"Ed448","kid":"ed448","x":"AAAA"},
			{"kty":"oct","kid":"hmac","k":"c2VjcmV0"},
			%s,
			{"kty":"EC","crv":"P-256","kid":"k1","alg":"ES256K","x":"AAAA","y":"AAAA"},
			%s]}`, encKey, ec1)
	})
	is.jwksHandler.Store(&h)
	o := is.newOIDC(t, is.config())
	verifyOK(t, is, o, "ec1")

	for _, kid := range []string{"", "ec1"} {
		if _, err := o.Verify(t.Context(), signWith(t, jose.ES256, keys.ec, kid, is.claims(nil))); err != nil {
			t.Errorf("Verify(kid %q): %v", kid, err)
		}
	}
	// The encryption key does not verify signatures, with or without its kid.
	for _, kid := range []string{"", "enc1"} {
		_, err := o.Verify(t.Context(), signWith(t, jose.ES256, keys.next, kid, is.claims(nil)))
		wantInvalid(t, err, fmt.Sprintf("Verify(encryption key, kid %q)", kid))
	}
	// HS256 keyed with the published symmetric key is refused.
	raw := handMade(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": "hmac"}, is.claims(nil),
		func(input string) []byte {
			m := hmac.New(sha256.New, []byte("secret"))
			m.Write([]byte(input))
			return m.Sum(nil)
		})
	_, err := o.Verify(t.Context(), raw)
	wantInvalid(t, err, "Verify(HS256 with the published symmetric key)")
	wantJWKSHits(t, is, 1, "at the end")
}

// TestVerifyCallerGivesUpOnKeys checks that a caller whose context ends
// while the keys are fetched gets KindUnavailable, and that the fetch still
// completes for later callers.
func TestVerifyCallerGivesUpOnKeys(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	gate := make(chan struct{})
	is.jwksGate.Store(&gate)
	var closeGate sync.Once
	defer closeGate.Do(func() { close(gate) })
	cfg := is.config()
	cfg.JWKSURL = is.srv.URL + "/jwks"
	o := is.newOIDC(t, cfg)
	raw := sign(t, "rsa1", is.claims(nil))

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := o.Verify(ctx, raw)
	if k := health.KindOf(err); k != health.KindUnavailable {
		t.Fatalf("Verify: kind %q (%v), want %q", k, err, health.KindUnavailable)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Verify: %v, want a context.DeadlineExceeded cause", err)
	}

	closeGate.Do(func() { close(gate) })
	verifyOK(t, is, o, "rsa1")
	wantJWKSHits(t, is, 1, "at the end")
}

// TestVerifyMinRefetchField checks that minRefetch can be set before the
// first Verify.
func TestVerifyMinRefetchField(t *testing.T) {
	t.Parallel()
	is := newTestIssuer(t)
	o := is.newOIDC(t, is.config())
	o.minRefetch = 5 * time.Second
	verifyOK(t, is, o, "ec1")
	is.rotated.Store(true)
	is.clock.Advance(5 * time.Second)
	verifyOK(t, is, o, "ec2")
	wantJWKSHits(t, is, 2, "after 5 s")
}
