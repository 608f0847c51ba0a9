package fitbit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/provider"
)

// Default endpoints and settings of the public Google Health API and Google
// OAuth 2.0 (reference §2.1, §3.1).
const (
	DefaultAuthURL        = "https://accounts.google.com/o/oauth2/v2/auth"
	DefaultTokenURL       = "https://oauth2.googleapis.com/token"
	DefaultRevokeURL      = "https://oauth2.googleapis.com/revoke"
	DefaultAPIURL         = "https://health.googleapis.com"
	DefaultRequestTimeout = 30 * time.Second
)

// ScopePrefix starts every Google Health API scope (§2.3).
const ScopePrefix = "https://www.googleapis.com/auth/googlehealth"

// DefaultScopes is the minimal read-only set of §2.3 for what ohx reads:
// activity, health metrics, sleep, ECG, irregular rhythm notifications and
// settings (paired devices).
var DefaultScopes = []string{
	ScopePrefix + ".activity_and_fitness.readonly",
	ScopePrefix + ".health_metrics_and_measurements.readonly",
	ScopePrefix + ".sleep.readonly",
	ScopePrefix + ".ecg.readonly",
	ScopePrefix + ".irn.readonly",
	ScopePrefix + ".settings.readonly",
}

// maxResponseBytes caps one response body. A page of 10000 heart-rate
// points is a few megabytes; ECG pages are small because of their page size.
const maxResponseBytes = 32 << 20

// Limiter spends one unit of the shared Google Health API quota before each
// attempt to the data API; the OAuth endpoints do not count against it and
// are not limited (see provider.Limiter).
type Limiter = provider.Limiter

// TokenSource hands the client a user's access token and refreshes it
// once when Google answers 401 UNAUTHENTICATED (see provider.TokenSource).
type TokenSource = provider.TokenSource

// StaticToken is a TokenSource for one access token that cannot be
// refreshed; a rejection is reported as KindUnauthorized with
// ErrTokenRejected.
type StaticToken string

// AccessToken returns the token.
func (t StaticToken) AccessToken(context.Context) (string, error) { return string(t), nil }

// RefreshAccessToken fails: a static token has no refresh token.
func (t StaticToken) RefreshAccessToken(context.Context, string) (string, error) {
	return "", health.Wrap(health.KindUnauthorized, ErrTokenRejected, "fitbit: access token rejected and cannot be refreshed")
}

// RetryPolicy bounds the retries of temporary failures (see
// provider.RetryPolicy).
type RetryPolicy = provider.RetryPolicy

// Config holds the application's Google OAuth client and the endpoints.
// Zero fields take the defaults; the URLs point at fitbittest in tests.
type Config struct {
	ClientID     string
	ClientSecret string
	RedirectURL  string
	AuthURL      string   // default DefaultAuthURL
	TokenURL     string   // default DefaultTokenURL
	RevokeURL    string   // default DefaultRevokeURL
	APIURL       string   // default DefaultAPIURL; no trailing slash needed
	Scopes       []string // default DefaultScopes

	// RequestTimeout bounds each HTTP attempt; default DefaultRequestTimeout.
	RequestTimeout time.Duration
	Retry          RetryPolicy
	// Now is the clock used for token expiry and Retry-After dates;
	// default time.Now.
	Now func() time.Time
}

// Client calls the Google Health API and Google OAuth for any number of
// users. It is safe for concurrent use. It retries temporary failures
// itself (RetryPolicy), turns a rejected access token into one refresh
// through the caller's TokenSource and one more try, and returns every other
// failure as a classified *health.Error: 429 comes back as KindRateLimited
// without retrying, so the caller can snooze its job.
type Client struct {
	cfg     Config
	hc      *http.Client
	limiter Limiter
	apiURL  string
	// jitter picks the actual delay from the capped exponential one.
	jitter func(time.Duration) time.Duration
}

// New returns a Client that sends its requests with hc and spends quota
// through limiter before each data API attempt. limiter may be nil (no
// quota); hc may not.
func New(cfg Config, hc *http.Client, limiter Limiter) (*Client, error) {
	if hc == nil {
		return nil, health.Errorf(health.KindInternal, "fitbit: an *http.Client is required")
	}
	setDefaults(&cfg)
	for _, u := range []string{cfg.AuthURL, cfg.TokenURL, cfg.RevokeURL, cfg.APIURL} {
		if p, err := url.Parse(u); err != nil || p.Scheme == "" || p.Host == "" {
			return nil, health.Errorf(health.KindInvalid, "fitbit: %q is not an absolute URL", u)
		}
	}
	return &Client{
		cfg: cfg, hc: hc, limiter: limiter,
		apiURL: strings.TrimRight(cfg.APIURL, "/"),
		jitter: provider.EqualJitter,
	}, nil
}

func setDefaults(cfg *Config) {
	for _, d := range []struct {
		dst *string
		def string
	}{
		{&cfg.AuthURL, DefaultAuthURL}, {&cfg.TokenURL, DefaultTokenURL},
		{&cfg.RevokeURL, DefaultRevokeURL}, {&cfg.APIURL, DefaultAPIURL},
	} {
		if *d.dst == "" {
			*d.dst = d.def
		}
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = slices.Clone(DefaultScopes)
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	cfg.Retry = cfg.Retry.WithDefaults()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
}

// request is one HTTP exchange the client may repeat: the target, the body
// and how to judge the answer.
type request struct {
	op      string // names the operation in errors, never with a value
	method  string
	url     string
	form    url.Values // form body (OAuth endpoints)
	json    []byte     // JSON body (rollups)
	token   string     // bearer token, for the data API
	limited bool       // spends a Limiter unit before each attempt
	// judge classifies a non-2xx answer; nil for the data API's rules.
	judge func(op string, resp *http.Response, raw []byte) error
	// check validates a 2xx body; an error fails the attempt.
	check func(raw []byte) error
}

// authed sends one data API call for the user behind ts: it refreshes once
// when the access token is rejected, and a second rejection means the grant
// is gone (KindAuthRevoked).
func (c *Client) authed(ctx context.Context, ts TokenSource, r request) ([]byte, error) {
	token, err := ts.AccessToken(ctx)
	if err != nil {
		return nil, err
	}
	r.token, r.limited = token, true
	body, err := c.send(ctx, r)
	if !errors.Is(err, ErrTokenRejected) {
		return body, err
	}
	token, err = ts.RefreshAccessToken(ctx, token)
	if err != nil {
		return nil, err
	}
	r.token = token
	body, err = c.send(ctx, r)
	if errors.Is(err, ErrTokenRejected) {
		return nil, health.Wrap(health.KindAuthRevoked, err, fmt.Sprintf("fitbit %s: refreshed access token rejected", r.op))
	}
	return body, err
}

// send runs r, retrying temporary failures with backoff, and returns the
// body of a 2xx answer.
func (c *Client) send(ctx context.Context, r request) ([]byte, error) {
	var err error
	for attempt := 0; attempt < c.cfg.Retry.MaxAttempts; attempt++ {
		if attempt > 0 {
			if werr := c.backoff(ctx, attempt-1); werr != nil {
				return nil, health.Wrap(health.KindTransient, werr, fmt.Sprintf("fitbit %s: gave up waiting to retry", r.op))
			}
		}
		var body []byte
		body, err = c.attempt(ctx, r)
		if err == nil || !isRetryable(err) || ctx.Err() != nil {
			return body, err
		}
	}
	return nil, err
}

func (c *Client) backoff(ctx context.Context, retry int) error {
	return provider.Sleep(ctx, c.jitter(c.cfg.Retry.Delay(retry)))
}

// attempt is one HTTP exchange under its own deadline.
func (c *Client) attempt(ctx context.Context, r request) ([]byte, error) {
	if r.limited && c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	var body io.Reader
	switch {
	case r.form != nil:
		body = strings.NewReader(r.form.Encode())
	case r.json != nil:
		body = bytes.NewReader(r.json)
	}
	req, err := http.NewRequestWithContext(actx, r.method, r.url, body)
	if err != nil {
		return nil, health.Errorf(health.KindInternal, "fitbit %s: building request", r.op)
	}
	switch {
	case r.form != nil:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case r.json != nil:
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, transportError(ctx, actx, r.op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, transportError(ctx, actx, r.op, err)
	}
	if len(raw) > maxResponseBytes {
		return nil, health.Errorf(health.KindBadProvider, "fitbit %s: response larger than %d bytes", r.op, maxResponseBytes)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		if r.judge != nil {
			return nil, r.judge(r.op, resp, raw)
		}
		return nil, c.apiStatusError(r.op, resp, raw)
	}
	if r.check != nil {
		if err := r.check(raw); err != nil {
			return nil, err
		}
	}
	return raw, nil
}

// transportError classifies a failed exchange. The caller's own
// cancellation is kept in the chain for errors.Is; the underlying error is
// not kept, because a *url.Error names the URL, whose query may hold a
// filter or page token.
func transportError(ctx, actx context.Context, op string, err error) error {
	switch {
	case ctx.Err() != nil:
		return health.Wrap(health.KindTransient, ctx.Err(), fmt.Sprintf("fitbit %s: cancelled", op))
	case errors.Is(actx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return health.Wrap(health.KindTransient, context.DeadlineExceeded, fmt.Sprintf("fitbit %s: request timed out", op))
	default:
		return health.Wrap(health.KindTransient, errTransport, fmt.Sprintf("fitbit %s: request failed", op))
	}
}

// errTransport stands for a connection failure whose text is not kept.
var errTransport = errors.New("connection failed")

// isRetryable reports whether a failed attempt is worth repeating inside
// the client. Rate limiting is not: repeating spends more of the quota.
func isRetryable(err error) bool {
	return health.KindOf(err) == health.KindTransient
}
