package publish

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

const okBatch = `{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"200"}}]}`

// tokenServer is a fake OAuth2 token endpoint: check inspects each request
// and returns an error text to refuse it; tokens are tok-1, tok-2, ...
type tokenServer struct {
	url   string
	calls atomic.Int32
}

func newTokenServer(t *testing.T, ttl int, check func(r *http.Request) string) *tokenServer {
	ts := &tokenServer{}
	srv := fakeFHIR(t, func(w http.ResponseWriter, r *http.Request) {
		n := ts.calls.Add(1)
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost {
			http.Error(w, "bad form", 400)
			return
		}
		if msg := check(r); msg != "" {
			t.Errorf("token request: %s", msg)
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":%d}`, n, ttl)
	})
	ts.url = srv.URL + "/token"
	return ts
}

// authFHIR is a FHIR server that records the Authorization headers it got
// and answers 401 to the tokens in refuse.
func authFHIR(t *testing.T, refuse ...string) (string, func() []string) {
	var mu sync.Mutex
	var seen []string
	srv := fakeFHIR(t, func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get("Authorization")
		mu.Lock()
		seen = append(seen, a)
		mu.Unlock()
		for _, bad := range refuse {
			if a == "Bearer "+bad {
				writeFHIR(w, 401, `{}`)
				return
			}
		}
		writeFHIR(w, 200, okBatch)
	})
	return srv.URL, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

func TestStaticAuth(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"none", Config{Auth: AuthNone}, ""},
		{"bearer", Config{Auth: AuthBearer, Authorization: "Bearer static-secret"}, "Bearer static-secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			base, seen := authFHIR(t)
			tc.cfg.BaseURL = base
			s, _ := newTestSink(t, tc.cfg)
			if _, err := s.Publish(context.Background(), testBundle("batch", "a")); err != nil {
				t.Fatal(err)
			}
			if got := seen(); len(got) != 1 || got[0] != tc.want {
				t.Errorf("Authorization headers %q, want [%q]", got, tc.want)
			}
		})
	}
}

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t, 3600, func(r *http.Request) string {
		id, secret, ok := r.BasicAuth()
		switch {
		case !ok || id != "ohx-client" || secret != "cc-secret":
			return "wrong client authentication"
		case r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != "system/Observation.cruds":
			return fmt.Sprintf("wrong form %v", r.PostForm)
		}
		return ""
	})
	base, seen := authFHIR(t, "tok-1")
	s, logs := newTestSink(t, Config{BaseURL: base, Auth: AuthClientCredentials, TokenURL: ts.url,
		ClientID: "ohx-client", ClientSecret: "cc-secret", Scope: "system/Observation.cruds"})
	ctx := context.Background()
	// tok-1 is refused with 401: the sink drops it, fetches tok-2 and retries once.
	if _, err := s.Publish(ctx, testBundle("batch", "a")); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := s.Publish(ctx, testBundle("batch", "a")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := ts.calls.Load(); n != 2 {
		t.Errorf("token endpoint called %d times, want 2 (first token refused, second cached)", n)
	}
	got := seen()
	if got[0] != "Bearer tok-1" || got[1] != "Bearer tok-2" || got[len(got)-1] != "Bearer tok-2" {
		t.Errorf("Authorization headers %q", got)
	}
	assertClean(t, "logs", logs.String(), "cc-secret", "tok-")
}

func TestTokenRefreshBeforeExpiry(t *testing.T) {
	t.Parallel()
	ts := newTokenServer(t, 300, func(*http.Request) string { return "" })
	base, seen := authFHIR(t)
	s, _ := newTestSink(t, Config{BaseURL: base, Auth: AuthClientCredentials, TokenURL: ts.url, ClientID: "c", ClientSecret: "s"})
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
	s.now = func() time.Time { return time.Unix(now.Load(), 0) }
	ctx := context.Background()
	for _, advance := range []int64{0, 200, 69, 2} { // renewal at 300s - 30s
		now.Add(advance)
		if _, err := s.Publish(ctx, testBundle("batch", "a")); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"Bearer tok-1", "Bearer tok-1", "Bearer tok-1", "Bearer tok-2"}
	if got := seen(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Authorization headers %q, want %q", got, want)
	}
}

func TestTokenEndpointRefusal(t *testing.T) {
	t.Parallel()
	srv := fakeFHIR(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"error":"invalid_client","error_description":"client ohx with secret cc-secret-9 unknown"}`))
	})
	base, seen := authFHIR(t)
	s, logs := newTestSink(t, Config{BaseURL: base, Auth: AuthClientCredentials, TokenURL: srv.URL, ClientID: "ohx", ClientSecret: "cc-secret-9"})
	_, err := s.Publish(context.Background(), testBundle("batch", "a"))
	if health.KindOf(err) != health.KindUnauthorized || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("err = %v, want unauthorized naming invalid_client", err)
	}
	if len(seen()) != 0 {
		t.Error("FHIR server called without a token")
	}
	assertClean(t, "error", err.Error(), "cc-secret-9")
	assertClean(t, "logs", logs.String(), "cc-secret-9")
}

func TestSMARTBackend(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, alg string
		key       crypto.Signer
	}{
		{"RS384", AlgRS384, rsaKey},
		{"ES384", AlgES384, ecKey},
		{"ES384 from key", "", ecKey},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			keyFile := writeKey(t, tc.key)
			var tokenURL string
			ts := newTokenServer(t, 300, func(r *http.Request) string {
				if r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" ||
					r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("scope") != "system/*.write" {
					return fmt.Sprintf("wrong form %v", r.PostForm)
				}
				return checkAssertion(r.PostForm.Get("client_assertion"), tc.key.Public(), tokenURL)
			})
			tokenURL = ts.url
			base, seen := authFHIR(t)
			s, _ := newTestSink(t, Config{BaseURL: base, Auth: AuthSMARTBackend, TokenURL: ts.url, ClientID: "ohx-smart",
				Scope: "system/*.write", PrivateKeyFile: keyFile, KeyID: "key-7", SigningAlg: tc.alg})
			for range 3 {
				if _, err := s.Publish(context.Background(), testBundle("batch", "a")); err != nil {
					t.Fatal(err)
				}
			}
			if got := seen(); len(got) != 3 || got[2] != "Bearer tok-1" || ts.calls.Load() != 1 {
				t.Errorf("headers %q after %d token calls, want tok-1 cached", got, ts.calls.Load())
			}
		})
	}
}

func TestSMARTKeyMismatch(t *testing.T) {
	t.Parallel()
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, err := NewServerSink(Config{BaseURL: "http://fhir.invalid", Auth: AuthSMARTBackend, TokenURL: "http://t.invalid",
		ClientID: "c", KeyID: "k", SigningAlg: AlgRS384, PrivateKeyFile: writeKey(t, ecKey)}, &http.Client{}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "use ES384") {
		t.Errorf("err = %v, want a key/alg mismatch", err)
	}
}

func writeKey(t *testing.T, key crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkAssertion verifies a client assertion as a SMART authorization
// server would, returning what is wrong with it.
func checkAssertion(jwt string, pub crypto.PublicKey, aud string) string {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "not a compact JWS"
	}
	dec := base64.RawURLEncoding
	var header map[string]string
	var claims struct {
		Iss, Sub, Aud, Jti string
		Exp                int64
	}
	h, _ := dec.DecodeString(parts[0])
	c, _ := dec.DecodeString(parts[1])
	sig, err := dec.DecodeString(parts[2])
	if json.Unmarshal(h, &header) != nil || json.Unmarshal(c, &claims) != nil || err != nil {
		return "undecodable JWS"
	}
	digest := sha512.Sum384([]byte(parts[0] + "." + parts[1]))
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if header["alg"] != "RS384" || rsa.VerifyPKCS1v15(k, crypto.SHA384, digest[:], sig) != nil {
			return "bad RS384 signature"
		}
	case *ecdsa.PublicKey:
		if header["alg"] != "ES384" || len(sig) != 96 ||
			!ecdsa.Verify(k, digest[:], new(big.Int).SetBytes(sig[:48]), new(big.Int).SetBytes(sig[48:])) {
			return "bad ES384 signature (want 96-byte r||s)"
		}
	}
	ttl := time.Until(time.Unix(claims.Exp, 0))
	switch {
	case header["kid"] != "key-7" || header["typ"] != "JWT":
		return fmt.Sprintf("header %v", header)
	case claims.Iss != "ohx-smart" || claims.Sub != "ohx-smart" || claims.Aud != aud || claims.Jti == "":
		return fmt.Sprintf("claims %+v", claims)
	case ttl <= 0 || ttl > 5*time.Minute:
		return fmt.Sprintf("exp %v from now, want within 5 minutes", ttl)
	}
	return ""
}
