package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/ohx-health/ohx/internal/health"
)

const (
	// defaultPatientClaim holds the patient's EHR user id when
	// OIDCConfig.PatientClaim is empty.
	defaultPatientClaim = "ehr_user_id"
	// defaultHTTPTimeout bounds one request to the issuer.
	defaultHTTPTimeout = 10 * time.Second
	// discoveryBackoff is the least time between two discovery attempts, so
	// that a down issuer is not asked again on every request.
	discoveryBackoff = 5 * time.Second
	// defaultMinRefetch is the least time between two fetches of the issuer's
	// keys once some are cached, so that tokens naming unknown keys cannot
	// make ohx fetch them on every request.
	defaultMinRefetch = time.Minute
	// maxJWKSBytes bounds the size of a JWKS response ohx will read.
	maxJWKSBytes = 1 << 20
	// maxTokenBytes bounds the size of a token ohx will parse.
	maxTokenBytes = 32 << 10
	// maxExactFloat is 2^53: integers beyond it may not survive a float.
	maxExactFloat = 1 << 53
	// maxCauseBytes bounds the text of an issuer failure kept as a cause;
	// go-oidc quotes whole response bodies.
	maxCauseBytes = 300
)

// signingAlgs are the algorithms a token may be signed with: asymmetric only,
// never "none" or an HMAC, whose key would be public.
var signingAlgs = []string{
	oidc.RS256, oidc.RS384, oidc.RS512,
	oidc.ES256, oidc.ES384, oidc.ES512,
	oidc.PS256, oidc.PS384, oidc.PS512,
	oidc.EdDSA,
}

// joseAlgs is signingAlgs as go-jose algorithms.
var joseAlgs = func() []jose.SignatureAlgorithm {
	algs := make([]jose.SignatureAlgorithm, len(signingAlgs))
	for i, a := range signingAlgs {
		algs[i] = jose.SignatureAlgorithm(a)
	}
	return algs
}()

// OIDCConfig configures OIDC verification.
type OIDCConfig struct {
	Issuer   string // the issuer URL; tokens' iss must equal it
	Audience string // tokens' aud must contain it
	// JWKSURL, when set, is used instead of discovery (Issuer + "/.well-known/openid-configuration").
	JWKSURL string
	// PatientClaim names the claim holding the patient's EHR user id; default "ehr_user_id".
	// A string claim; a number claim is accepted and formatted in decimal.
	PatientClaim string
	HTTPClient   *http.Client     // default: a client with a 10 s timeout
	Now          func() time.Time // default time.Now; used for exp/nbf checks
}

// Identity is who a verified token names.
type Identity struct {
	Subject   string // the token's sub
	EHRUserID string // the PatientClaim value
}

// OIDC verifies bearer tokens. It fetches the issuer's keys lazily (the first Verify), so ohx starts
// even when the issuer is briefly unreachable, and retries discovery on later calls after a failure.
//
// It fetches the keys again when a token's signature matches none of them, as
// when the issuer rotates its keys, but at most once a minute: a token signed
// with a key published since the last fetch is refused until a minute has
// passed since that fetch. Until the first fetch succeeds, a failed one is
// retried after the discovery backoff.
//
// An OIDC is safe for concurrent use.
type OIDC struct {
	issuer       string
	audience     string
	patientClaim string
	now          func() time.Time
	// clientCtx carries the HTTP client for discovery and is never
	// cancelled; client fetches the keys.
	clientCtx context.Context
	client    *http.Client
	// jwksURL is the configured JWKSURL; the verifier is built from it on
	// the first Verify.
	jwksURL string
	// backoff is the least time between two discovery attempts, and between
	// two key fetches while no keys are cached.
	backoff time.Duration
	// minRefetch is the least time between two key fetches once keys are
	// cached. Both are read when the verifier is built.
	minRefetch time.Duration

	mu sync.Mutex
	// verifier is set once discovery succeeded (on the first Verify with a
	// JWKSURL).
	verifier *oidc.IDTokenVerifier
	// inflight is closed when the running discovery ends; nil when none runs.
	inflight chan struct{}
	// lastErr is why the last discovery failed; retryAt is when the next
	// one may start.
	lastErr error
	retryAt time.Time
}

// NewOIDC validates cfg and returns a verifier for it. It does no I/O.
func NewOIDC(cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" {
		return nil, health.Errorf(health.KindInvalid, "oidc config: Issuer is required")
	}
	if !isHTTPURL(cfg.Issuer) {
		return nil, health.Errorf(health.KindInvalid, "oidc config: Issuer must be an absolute http(s) URL")
	}
	if cfg.Audience == "" {
		return nil, health.Errorf(health.KindInvalid, "oidc config: Audience is required")
	}
	if cfg.JWKSURL != "" && !isHTTPURL(cfg.JWKSURL) {
		return nil, health.Errorf(health.KindInvalid, "oidc config: JWKSURL must be an absolute http(s) URL")
	}
	o := &OIDC{
		issuer:       cfg.Issuer,
		audience:     cfg.Audience,
		patientClaim: cfg.PatientClaim,
		now:          cfg.Now,
		jwksURL:      cfg.JWKSURL,
		backoff:      discoveryBackoff,
		minRefetch:   defaultMinRefetch,
	}
	if o.patientClaim == "" {
		o.patientClaim = defaultPatientClaim
	}
	if o.now == nil {
		o.now = time.Now
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultHTTPTimeout}
	}
	o.client = hc
	o.clientCtx = oidc.ClientContext(context.Background(), hc)
	return o, nil
}

// Verify checks rawToken (the bearer token, without the "Bearer " prefix):
// its signature against the issuer's keys, its issuer, audience, expiry and
// not-before time, and that it names a subject and a patient.
//
// It fails with kind health.KindUnauthorized when the token is not acceptable,
// and with health.KindUnavailable when the issuer's discovery document or keys
// cannot be fetched, or ctx ends while waiting for them.
func (o *OIDC) Verify(ctx context.Context, rawToken string) (Identity, error) {
	if rawToken == "" {
		return Identity{}, health.Errorf(health.KindUnauthorized, "bearer token missing")
	}
	if len(rawToken) > maxTokenBytes {
		return Identity{}, health.Errorf(health.KindUnauthorized, "bearer token invalid")
	}
	v, err := o.getVerifier(ctx)
	if err != nil {
		return Identity{}, err
	}
	// go-oidc reduces the key set's errors to text; the key set reports a
	// failed key fetch through this slot instead.
	var fetchErr *keyFetchError
	tok, err := v.Verify(context.WithValue(ctx, keyFetchSlot{}, &fetchErr), rawToken)
	if err != nil {
		return Identity{}, classify(ctx, err, fetchErr)
	}
	// go-oidc reads the claims it checks loosely; read the rest here.
	var claims map[string]json.RawMessage
	if err := tok.Claims(&claims); err != nil {
		return Identity{}, health.Errorf(health.KindUnauthorized, "bearer token invalid")
	}
	if strings.TrimSpace(tok.Subject) == "" {
		return Identity{}, health.Errorf(health.KindUnauthorized, "bearer token lacks claim sub")
	}
	id, err := claimID(claims, o.patientClaim)
	if err != nil {
		return Identity{}, err
	}
	return Identity{Subject: tok.Subject, EHRUserID: id}, nil
}

// newVerifier returns a go-oidc verifier using the keys at jwksURL.
func (o *OIDC) newVerifier(jwksURL string) *oidc.IDTokenVerifier {
	ks := &keySet{
		url:        jwksURL,
		client:     o.client,
		now:        o.now,
		backoff:    o.backoff,
		minRefetch: o.minRefetch,
	}
	return oidc.NewVerifier(o.issuer, ks, &oidc.Config{
		ClientID:             o.audience,
		SupportedSigningAlgs: signingAlgs,
		Now:                  o.now,
	})
}

// getVerifier returns the cached verifier, or runs discovery to build it.
// One discovery runs at a time, detached from any request so that a caller
// who gives up does not fail it for the others; after a failure the next one
// starts no sooner than o.backoff later.
func (o *OIDC) getVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	if o.verifier == nil && o.jwksURL != "" {
		o.verifier = o.newVerifier(o.jwksURL)
	}
	if o.verifier != nil {
		v := o.verifier
		o.mu.Unlock()
		return v, nil
	}
	if o.inflight == nil {
		if o.lastErr != nil && o.now().Before(o.retryAt) {
			err := o.lastErr
			o.mu.Unlock()
			return nil, health.Wrap(health.KindUnavailable, err, "oidc issuer unavailable")
		}
		o.inflight = make(chan struct{})
		go o.discover(o.inflight)
	}
	done := o.inflight
	o.mu.Unlock()

	select {
	case <-done:
	case <-ctx.Done():
		return nil, health.Wrap(health.KindUnavailable, ctx.Err(), "oidc issuer unavailable")
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	if o.verifier != nil {
		return o.verifier, nil
	}
	return nil, health.Wrap(health.KindUnavailable, o.lastErr, "oidc issuer unavailable")
}

// discover fetches the issuer's discovery document, records the outcome and
// closes done.
func (o *OIDC) discover(done chan struct{}) {
	p, err := oidc.NewProvider(o.clientCtx, o.issuer)
	var doc struct {
		JWKSURL string `json:"jwks_uri"`
	}
	if err == nil {
		if err = p.Claims(&doc); err == nil && !isHTTPURL(doc.JWKSURL) {
			err = errors.New("oidc: discovery document lacks an http(s) jwks_uri")
		}
	}

	o.mu.Lock()
	defer o.mu.Unlock()
	if err != nil {
		o.lastErr = shortError{err}
		o.retryAt = o.now().Add(o.backoff)
	} else {
		o.verifier = o.newVerifier(doc.JWKSURL)
		o.lastErr = nil
	}
	o.inflight = nil
	close(done)
}

// classify maps a go-oidc verification error to a *health.Error; fetchErr is
// what the key set reported for the call, if anything. The cause is kept only
// when keys could not be had: go-oidc's errors quote the token's header and
// claim values (iss, aud, exp).
func classify(ctx context.Context, err error, fetchErr *keyFetchError) error {
	if fetchErr != nil {
		if ctx.Err() != nil {
			return health.Wrap(health.KindUnavailable, ctx.Err(), "oidc issuer keys unavailable")
		}
		return health.Wrap(health.KindUnavailable, fetchErr.err, "oidc issuer keys unavailable")
	}
	var expired *oidc.TokenExpiredError
	if errors.As(err, &expired) {
		if expired.Expiry.IsZero() {
			return health.Errorf(health.KindUnauthorized, "bearer token lacks claim exp")
		}
		return health.Errorf(health.KindUnauthorized, "bearer token expired")
	}
	return health.Errorf(health.KindUnauthorized, "bearer token invalid")
}

// keySet is the issuer's JWKS as an oidc.KeySet. It fetches the keys on the
// first verification, and again when a token's signature matches none of
// them (an unknown kid, or no key with its kid verifies), but no sooner than
// minRefetch after the last fetch attempt: tokens naming made-up keys cost
// the issuer at most one request a minRefetch. Until a fetch has succeeded, a
// failed one is retried no sooner than backoff after it failed instead.
//
// One fetch runs at a time, detached from any request; callers needing keys
// meanwhile wait for it. A failed fetch keeps the cached keys.
//
// A keySet is safe for concurrent use.
type keySet struct {
	url        string
	client     *http.Client
	now        func() time.Time
	backoff    time.Duration
	minRefetch time.Duration

	mu sync.Mutex
	// keys is the last fetched key set, usable keys only; gen counts the
	// fetches that succeeded, so 0 means no keys yet.
	keys jose.JSONWebKeySet
	gen  uint64
	// inflight is closed when the running fetch ends; nil when none runs.
	inflight chan struct{}
	// lastFetch is when the last fetch attempt started.
	lastFetch time.Time
	// lastErr is why the last fetch failed, nil if it succeeded; retryAt is
	// when, while no keys are cached, the next one may start.
	lastErr error
	retryAt time.Time
}

// keyFetchError is why a token could not be checked: the issuer's keys could
// not be fetched, or the caller's ctx ended while waiting for them.
type keyFetchError struct{ err error }

func (e *keyFetchError) Error() string { return "fetching keys: " + e.err.Error() }
func (e *keyFetchError) Unwrap() error { return e.err }

// keyFetchSlot is the context key of a **keyFetchError in which
// keySet.VerifySignature stores a key fetch failure for its caller.
type keyFetchSlot struct{}

// errNoKey is a token whose signature no known key verifies.
var errNoKey = errors.New("no key verifies the token's signature")

// VerifySignature verifies jwt's signature with the issuer's keys and returns
// its payload. go-oidc has checked its algorithm already.
func (k *keySet) VerifySignature(ctx context.Context, jwt string) ([]byte, error) {
	payload, err := k.verify(ctx, jwt)
	var fe *keyFetchError
	if errors.As(err, &fe) {
		if slot, ok := ctx.Value(keyFetchSlot{}).(**keyFetchError); ok {
			*slot = fe
		}
	}
	return payload, err
}

func (k *keySet) verify(ctx context.Context, jwt string) ([]byte, error) {
	// Errors here must not quote the token: go-jose's do.
	jws, err := jose.ParseSigned(jwt, joseAlgs)
	if err != nil {
		return nil, errors.New("malformed token")
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("token not signed exactly once")
	}
	kid := jws.Signatures[0].Header.KeyID

	k.mu.Lock()
	keys, gen := k.keys.Keys, k.gen
	k.mu.Unlock()
	if payload, ok := verifyWith(jws, kid, keys); ok {
		return payload, nil
	}
	// The spec's answer to key rotation: fetch the keys again
	// (https://openid.net/specs/openid-connect-core-1_0.html#RotateSigKeys).
	keys, err = k.refresh(ctx, gen)
	if err != nil {
		return nil, err
	}
	if payload, ok := verifyWith(jws, kid, keys); ok {
		return payload, nil
	}
	return nil, errNoKey
}

// verifyWith verifies jws with the keys whose id is kid, or with every key
// when kid is empty.
func verifyWith(jws *jose.JSONWebSignature, kid string, keys []jose.JSONWebKey) ([]byte, bool) {
	for i := range keys {
		if kid != "" && keys[i].KeyID != kid {
			continue
		}
		if payload, err := jws.Verify(&keys[i]); err == nil {
			return payload, true
		}
	}
	return nil, false
}

// refresh returns keys newer than generation gen: fetched since by someone
// else, or by a fetch it starts or joins. It fails with errNoKey when the
// keys may not be fetched yet, and with a *keyFetchError when the fetch
// fails, when no keys could be fetched within the backoff, or when ctx ends
// while waiting.
func (k *keySet) refresh(ctx context.Context, gen uint64) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	if k.gen != gen {
		keys := k.keys.Keys
		k.mu.Unlock()
		return keys, nil
	}
	if k.inflight == nil {
		now := k.now()
		switch {
		case k.gen == 0 && k.lastErr != nil && now.Before(k.retryAt):
			err := k.lastErr
			k.mu.Unlock()
			return nil, &keyFetchError{err}
		case k.gen > 0 && now.Sub(k.lastFetch) < k.minRefetch:
			k.mu.Unlock()
			return nil, errNoKey
		}
		k.lastFetch = now
		k.inflight = make(chan struct{})
		go k.fetch(k.inflight)
	}
	done := k.inflight
	k.mu.Unlock()

	select {
	case <-done:
	case <-ctx.Done():
		return nil, &keyFetchError{ctx.Err()}
	}

	k.mu.Lock()
	defer k.mu.Unlock()
	if k.gen != gen {
		return k.keys.Keys, nil
	}
	err := k.lastErr
	if err == nil {
		err = errors.New("jwks: fetch failed")
	}
	return nil, &keyFetchError{err}
}

// fetch fetches the keys, records the outcome and closes done.
func (k *keySet) fetch(done chan struct{}) {
	keys, err := k.get()

	k.mu.Lock()
	defer k.mu.Unlock()
	if err != nil {
		k.lastErr = shortError{err}
		k.retryAt = k.now().Add(k.backoff)
	} else {
		k.keys = keys
		k.gen++
		k.lastErr = nil
	}
	k.inflight = nil
	close(done)
}

// get requests and parses the key set. A client without a timeout gets
// defaultHTTPTimeout, so that a hung issuer cannot stall refetches forever.
func (k *keySet) get() (jose.JSONWebKeySet, error) {
	ctx := context.Background()
	if k.client.Timeout == 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultHTTPTimeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.url, nil)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := k.client.Do(req)
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks: reading the response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		snippet := body[:min(len(body), maxCauseBytes)]
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks: %s: %s", resp.Status,
			strings.ToValidUTF8(string(bytes.TrimSpace(snippet)), ""))
	}
	if len(body) > maxJWKSBytes {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks: response exceeds %d bytes", maxJWKSBytes)
	}
	return parseJWKS(body)
}

// parseJWKS reads a JWK set, keeping the keys that may verify a token: public
// keys (the public half of a private one) of a supported type, meant for
// signatures with one of signingAlgs, or for no particular use or algorithm.
// The others are ignored, as RFC 7517 section 5 advises, rather than failing
// the set.
func parseJWKS(body []byte) (jose.JSONWebKeySet, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return jose.JSONWebKeySet{}, fmt.Errorf("jwks: %w", err)
	}
	if raw.Keys == nil {
		return jose.JSONWebKeySet{}, errors.New("jwks: no keys member")
	}
	set := jose.JSONWebKeySet{Keys: make([]jose.JSONWebKey, 0, len(raw.Keys))}
	for _, rk := range raw.Keys {
		var meta struct {
			Alg string `json:"alg"`
			Use string `json:"use"`
		}
		if err := json.Unmarshal(rk, &meta); err != nil {
			return jose.JSONWebKeySet{}, fmt.Errorf("jwks: %w", err)
		}
		if (meta.Alg != "" && !slices.Contains(signingAlgs, meta.Alg)) || (meta.Use != "" && meta.Use != "sig") {
			continue
		}
		var key jose.JSONWebKey
		if err := json.Unmarshal(rk, &key); err != nil {
			if errors.Is(err, jose.ErrUnsupportedKeyType) {
				continue
			}
			return jose.JSONWebKeySet{}, fmt.Errorf("jwks: %w", err)
		}
		if pub := key.Public(); pub.Valid() && pub.IsPublic() {
			set.Keys = append(set.Keys, pub)
		}
	}
	return set, nil
}

// claimID reads claim name as an id: a non-empty string, or an integral
// number formatted in decimal.
func claimID(claims map[string]json.RawMessage, name string) (string, error) {
	raw := bytes.TrimSpace(claims[name])
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", health.Errorf(health.KindUnauthorized, "bearer token lacks claim %s", name)
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			break
		}
		if strings.TrimSpace(s) == "" {
			return "", health.Errorf(health.KindUnauthorized, "bearer token lacks claim %s", name)
		}
		return s, nil
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil {
			break
		}
		if s, ok := decimal(n.String()); ok {
			return s, nil
		}
	}
	return "", health.Errorf(health.KindUnauthorized, "bearer token claim %s is not a string or an integer", name)
}

// decimal formats the JSON number s as a decimal integer, if it is one: as
// written when it has neither fraction nor exponent, else through a float
// when that is exact (12345.0 and 1.2345e4 both give "12345").
func decimal(s string) (string, bool) {
	if !strings.ContainsAny(s, ".eE") {
		return s, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > maxExactFloat {
		return "", false
	}
	return strconv.FormatFloat(f, 'f', -1, 64), true
}

// shortError keeps an issuer failure as a cause with its text cut to
// maxCauseBytes, so that a log line does not carry an entire error page.
type shortError struct{ err error }

func (e shortError) Error() string {
	s := e.err.Error()
	if len(s) > maxCauseBytes {
		s = strings.ToValidUTF8(s[:maxCauseBytes], "") + "…"
	}
	return s
}

func (e shortError) Unwrap() error { return e.err }

// isHTTPURL reports whether s is an absolute http or https URL.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}
