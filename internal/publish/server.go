package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sony/gobreaker/v2"

	"github.com/ohx-health/ohx/internal/fhir"
	"github.com/ohx-health/ohx/internal/health"
)

// fhirJSON is the FHIR JSON media type.
const fhirJSON = "application/fhir+json"

// ServerSink publishes to one FHIR R5 server. Create it with NewServerSink.
type ServerSink struct {
	base    string
	hc      *http.Client
	timeout time.Duration
	auth    authorizer
	breaker *gobreaker.CircuitBreaker[response]
	metrics *metrics
	logger  *slog.Logger
	now     func() time.Time

	mu         sync.Mutex
	versionErr error // set when the last Verify found a server that is not R5
}

// NewServerSink returns a sink for cfg.BaseURL. It reads the SMART signing
// key when that auth mode is configured, registers its metrics on reg and
// does no network I/O: call Verify to check the server.
func NewServerSink(cfg Config, hc *http.Client, reg prometheus.Registerer, logger *slog.Logger) (*ServerSink, error) {
	if cfg.BaseURL == "" {
		return nil, errors.New("publish: OHX_FHIR_BASE_URL is empty")
	}
	if hc == nil {
		return nil, errors.New("publish: no HTTP client")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	def := DefaultConfig()
	s := &ServerSink{
		base: strings.TrimRight(cfg.BaseURL, "/"), hc: hc, timeout: orDefault(cfg.Timeout, def.Timeout),
		logger: logger, now: time.Now,
	}
	auth, err := s.newAuthorizer(cfg)
	if err != nil {
		return nil, fmt.Errorf("publish: %w", err)
	}
	s.auth = auth
	s.breaker = gobreaker.NewCircuitBreaker[response](gobreaker.Settings{
		Name:        s.base,
		Timeout:     orDefault(cfg.BreakerTimeout, def.BreakerTimeout),
		ReadyToTrip: tripAfter(uint32(orDefault(cfg.BreakerFailures, def.BreakerFailures))),
		IsSuccessful: func(err error) bool {
			k := health.KindOf(err)
			return k != health.KindTransient && k != health.KindUnavailable
		},
		IsExcluded: func(err error) bool {
			return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
		},
	})
	if s.metrics, err = newMetrics(reg, s.breakerGauge); err != nil {
		return nil, fmt.Errorf("publish: register metrics: %w", err)
	}
	return s, nil
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func tripAfter(n uint32) func(gobreaker.Counts) bool {
	return func(c gobreaker.Counts) bool { return c.ConsecutiveFailures >= n }
}

func (s *ServerSink) newAuthorizer(cfg Config) (authorizer, error) {
	tc := &tokenClient{hc: s.hc, timeout: s.timeout, tokenURL: cfg.TokenURL, now: s.clock}
	cache := func(f tokenFetch) authorizer { return &tokenCache{fetch: f, now: s.clock} }
	switch cfg.Auth {
	case "", AuthNone:
		return staticAuth(""), nil
	case AuthBearer:
		return staticAuth(cfg.Authorization), nil
	case AuthClientCredentials:
		return cache(clientCredentials(tc, cfg.ClientID, cfg.ClientSecret, cfg.Scope)), nil
	case AuthSMARTBackend:
		key, alg, err := loadSigningKey(cfg.PrivateKeyFile, cfg.SigningAlg)
		if err != nil {
			return nil, err
		}
		signer := &assertionSigner{alg: alg, kid: cfg.KeyID, clientID: cfg.ClientID, aud: cfg.TokenURL, key: key}
		return cache(smartBackend(tc, signer, cfg.Scope)), nil
	}
	return nil, fmt.Errorf("unknown OHX_FHIR_AUTH %q", cfg.Auth)
}

// clock reads s.now, which tests replace.
func (s *ServerSink) clock() time.Time { return s.now() }

// State returns the circuit breaker's state: "closed", "half-open" or "open".
func (s *ServerSink) State() string { return s.breaker.State().String() }

func (s *ServerSink) breakerGauge() float64 {
	switch s.breaker.State() {
	case gobreaker.StateHalfOpen:
		return 1
	case gobreaker.StateOpen:
		return 2
	}
	return 0
}

// Check reports, without I/O, why publishing cannot work now: the last
// Verify found a server that is not R5, or the breaker is open.
func (s *ServerSink) Check(context.Context) error {
	s.mu.Lock()
	err := s.versionErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.breaker.State() == gobreaker.StateOpen {
		return health.Errorf(health.KindUnavailable, "FHIR server circuit breaker is open after repeated failures")
	}
	return nil
}

// call sends r through the breaker with authorization. A 401 drops a cached
// token and is retried once with a fresh one. Any non-2xx answer is an
// error, returned with the answer so callers can read its body.
func (s *ServerSink) call(ctx context.Context, r request) (response, error) {
	start := time.Now()
	resp, err := s.breaker.Execute(func() (response, error) { return s.authorized(ctx, r) })
	if errors.Is(err, gobreaker.ErrOpenState) || errors.Is(err, gobreaker.ErrTooManyRequests) {
		err = health.Wrap(health.KindUnavailable, err, r.op+": FHIR server circuit breaker is open")
	}
	s.metrics.request(err, time.Since(start))
	return resp, err
}

func (s *ServerSink) authorized(ctx context.Context, r request) (response, error) {
	if r.header == nil {
		r.header = http.Header{}
	}
	r.header.Set("Accept", fhirJSON)
	if r.body != nil {
		r.header.Set("Content-Type", fhirJSON)
	}
	for attempt := 0; ; attempt++ {
		auth, err := s.auth.authorization(ctx)
		if err != nil {
			return response{}, err
		}
		r.header.Del("Authorization")
		if auth != "" {
			r.header.Set("Authorization", auth)
		}
		resp, err := send(ctx, s.hc, s.timeout, r)
		if err != nil {
			return resp, err
		}
		if resp.status == http.StatusUnauthorized && attempt == 0 && s.auth.invalidate(auth) {
			continue
		}
		if resp.status/100 != 2 {
			return resp, statusError(r.op, resp, s.now())
		}
		return resp, nil
	}
}

// Verify reads GET [base]/metadata and refuses a server whose fhirVersion
// is not 5.x; until a later Verify succeeds, Publish and Check refuse too.
func (s *ServerSink) Verify(ctx context.Context) error {
	resp, err := s.call(ctx, request{op: "read FHIR server metadata", method: http.MethodGet, url: s.base + "/metadata"})
	if err != nil {
		return err
	}
	var cs struct {
		ResourceType string `json:"resourceType"`
		FHIRVersion  string `json:"fhirVersion"`
	}
	if json.Unmarshal(resp.body, &cs) != nil || cs.ResourceType != "CapabilityStatement" {
		return health.Errorf(health.KindUnavailable, "FHIR server at %s: GET /metadata did not return a CapabilityStatement", s.base)
	}
	var verr error
	if !strings.HasPrefix(cs.FHIRVersion, "5.") {
		verr = health.Errorf(health.KindInvalid, "FHIR server at %s declares fhirVersion %q; ohx writes FHIR R5 and needs 5.x", s.base, cs.FHIRVersion)
	}
	s.mu.Lock()
	s.versionErr = verr
	s.mu.Unlock()
	if verr == nil {
		s.logger.Info("FHIR server verified", "fhir_base_url", s.base, "fhir_version", cs.FHIRVersion)
	}
	return verr
}

// Publish posts b to the server and reads the transaction-response or
// batch-response entry by entry. See Sink.Publish for the errors.
func (s *ServerSink) Publish(ctx context.Context, b *fhir.Bundle) (Result, error) {
	if b == nil || len(b.Entry) == 0 {
		return Result{}, nil
	}
	s.mu.Lock()
	verr := s.versionErr
	s.mu.Unlock()
	if verr != nil {
		return Result{}, verr
	}
	body, err := json.Marshal(b)
	if err != nil {
		return Result{}, health.Wrap(health.KindInternal, err, "encode FHIR bundle")
	}
	op := "publish " + b.Type + " bundle"
	resp, err := s.call(ctx, request{op: op, method: http.MethodPost, url: s.base, body: body})
	if err != nil {
		if health.KindOf(err) != health.KindRejected {
			return Result{}, err
		}
		res := wholeRejected(b, resp)
		s.report(res)
		return res, err
	}
	res, err := readResponse(b, resp.body)
	if err != nil {
		return Result{}, health.Wrap(health.KindInternal, err, op)
	}
	s.report(res)
	return res, resultError(op, res)
}

// report counts res in the metrics and logs each refused entry: its type,
// id, status and issues, never a value.
func (s *ServerSink) report(res Result) {
	s.metrics.count(res)
	for _, e := range res.Rejected() {
		s.logger.Warn("FHIR server rejected a resource", "resource_type", e.ResourceType,
			"resource_id", e.ID, "status", e.Status, "issues", describeIssues(e.Issues))
	}
}
