package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

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
// An OIDC is safe for concurrent use.
type OIDC struct {
	issuer       string
	audience     string
	patientClaim string
	now          func() time.Time
	// clientCtx carries the HTTP client and is never cancelled: the key set
	// keeps it for every later key fetch.
	clientCtx context.Context
	backoff   time.Duration

	mu sync.Mutex
	// verifier is set once discovery succeeded (at once with a JWKSURL).
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
		backoff:      discoveryBackoff,
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
	o.clientCtx = oidc.ClientContext(context.Background(), hc)
	if cfg.JWKSURL != "" {
		o.verifier = oidc.NewVerifier(o.issuer, oidc.NewRemoteKeySet(o.clientCtx, cfg.JWKSURL), o.config())
	}
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
	tok, err := v.Verify(ctx, rawToken)
	if err != nil {
		return Identity{}, classify(ctx, err)
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

// config is the go-oidc verification config.
func (o *OIDC) config() *oidc.Config {
	return &oidc.Config{
		ClientID:             o.audience,
		SupportedSigningAlgs: signingAlgs,
		Now:                  o.now,
	}
}

// getVerifier returns the cached verifier, or runs discovery to build it.
// One discovery runs at a time, detached from any request so that a caller
// who gives up does not fail it for the others; after a failure the next one
// starts no sooner than o.backoff later.
func (o *OIDC) getVerifier(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	o.mu.Lock()
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

	o.mu.Lock()
	defer o.mu.Unlock()
	if err == nil {
		var doc struct {
			JWKSURL string `json:"jwks_uri"`
		}
		if err = p.Claims(&doc); err == nil && !isHTTPURL(doc.JWKSURL) {
			err = errors.New("oidc: discovery document lacks an http(s) jwks_uri")
		}
	}
	if err != nil {
		o.lastErr = shortError{err}
		o.retryAt = o.now().Add(o.backoff)
	} else {
		o.verifier = p.VerifierContext(o.clientCtx, o.config())
		o.lastErr = nil
	}
	o.inflight = nil
	close(done)
}

// classify maps a go-oidc verification error to a *health.Error. The cause
// is kept only when keys could not be fetched: other go-oidc errors quote
// claim values (iss, aud, exp).
func classify(ctx context.Context, err error) error {
	var expired *oidc.TokenExpiredError
	switch {
	case errors.As(err, &expired):
		if expired.Expiry.IsZero() {
			return health.Errorf(health.KindUnauthorized, "bearer token lacks claim exp")
		}
		return health.Errorf(health.KindUnauthorized, "bearer token expired")
	// go-oidc flattens its key set's errors into text; this prefix is how it
	// reports a failed JWKS fetch (or ctx ending meanwhile). Only a prefix is
	// safe: other messages quote the token's header and claims.
	case strings.HasPrefix(err.Error(), keyFetchPrefix):
		if ctx.Err() != nil {
			return health.Wrap(health.KindUnavailable, ctx.Err(), "oidc issuer keys unavailable")
		}
		return health.Wrap(health.KindUnavailable, shortError{errors.New(keyFetchCause(err))}, "oidc issuer keys unavailable")
	}
	return health.Errorf(health.KindUnauthorized, "bearer token invalid")
}

// keyFetchPrefix starts go-oidc's text for a JWKS fetch that failed during
// IDTokenVerifier.Verify.
const keyFetchPrefix = "failed to verify signature: fetching keys"

// keyFetchCause is a key fetch error's text from "fetching keys" on.
func keyFetchCause(err error) string {
	return strings.TrimPrefix(err.Error(), "failed to verify signature: ")
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
