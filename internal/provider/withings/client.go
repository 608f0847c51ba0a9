package withings

import (
	"bytes"
	"context"
	"encoding/json"
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

// Default endpoints and settings of the public Withings cloud.
const (
	DefaultAuthURL        = "https://account.withings.com/oauth2_user/authorize2"
	DefaultAPIURL         = "https://wbsapi.withings.net"
	DefaultRequestTimeout = 30 * time.Second
)

// maxResponseBytes caps one response body. The largest real bodies (a night
// of sleep series, a 500 Hz ECG) are well under a megabyte.
const maxResponseBytes = 32 << 20

// Limiter spends one unit of the application-wide Withings quota (120
// requests per minute for every replica and worker together) before each
// HTTP attempt (see provider.Limiter).
type Limiter = provider.Limiter

// TokenSource hands the client a user's access token and refreshes it
// once when Withings rejects it with status 401 (see provider.TokenSource).
type TokenSource = provider.TokenSource

// StaticToken is a TokenSource for one access token that cannot be
// refreshed; a rejection is reported as KindUnauthorized with
// ErrTokenRejected.
type StaticToken string

// AccessToken returns the token.
func (t StaticToken) AccessToken(context.Context) (string, error) { return string(t), nil }

// RefreshAccessToken fails: a static token has no refresh token.
func (t StaticToken) RefreshAccessToken(context.Context, string) (string, error) {
	return "", health.Wrap(health.KindUnauthorized, ErrTokenRejected, "withings: access token rejected and cannot be refreshed")
}

// RetryPolicy bounds the retries of temporary failures, which for Withings
// include statuses 522, 2554 and 2555 (see provider.RetryPolicy).
type RetryPolicy = provider.RetryPolicy

// Config holds the application's Withings credentials and endpoints. Zero
// fields take the defaults; AuthURL and APIURL point at the emulator in tests.
type Config struct {
	ClientID     string
	ClientSecret string
	RedirectURL  string
	AuthURL      string   // default DefaultAuthURL
	APIURL       string   // default DefaultAPIURL; no trailing slash needed
	Scopes       []string // default DefaultScopes

	// RequestTimeout bounds each HTTP attempt; default DefaultRequestTimeout.
	RequestTimeout time.Duration
	Retry          RetryPolicy
	// Now is the clock used for token expiry; default time.Now.
	Now func() time.Time
}

// Client calls the Withings API for any number of users. It is safe for
// concurrent use. It retries temporary failures itself (RetryPolicy), turns
// a rejected access token into one refresh through the caller's TokenSource
// and one more try, and returns every other failure as a classified
// *health.Error: status 601 comes back as KindRateLimited without retrying,
// so the caller can snooze its job.
type Client struct {
	cfg     Config
	hc      *http.Client
	limiter Limiter
	apiURL  string
	// jitter picks the actual delay from the capped exponential one.
	jitter func(time.Duration) time.Duration
}

// New returns a Client that sends its requests with hc and spends quota
// through limiter before each one. limiter may be nil (no quota); hc may not.
func New(cfg Config, hc *http.Client, limiter Limiter) (*Client, error) {
	if hc == nil {
		return nil, health.Errorf(health.KindInternal, "withings: an *http.Client is required")
	}
	setDefaults(&cfg)
	for _, u := range []string{cfg.AuthURL, cfg.APIURL} {
		if p, err := url.Parse(u); err != nil || p.Scheme == "" || p.Host == "" {
			return nil, health.Errorf(health.KindInvalid, "withings: %q is not an absolute URL", u)
		}
	}
	return &Client{
		cfg: cfg, hc: hc, limiter: limiter,
		apiURL: strings.TrimRight(cfg.APIURL, "/"),
		jitter: provider.EqualJitter,
	}, nil
}

func setDefaults(cfg *Config) {
	if cfg.AuthURL == "" {
		cfg.AuthURL = DefaultAuthURL
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
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

// replyEnvelope is the part of every Withings response the client reads:
// errors arrive with HTTP 200 and a non-zero status.
type replyEnvelope struct {
	Status *int            `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// authed sends one API call for the user behind ts: it refreshes once when
// the access token is rejected, and a second rejection means the grant is
// gone (KindAuthRevoked).
func (c *Client) authed(ctx context.Context, ts TokenSource, path, action string, form url.Values) (json.RawMessage, error) {
	op := opName(path, action)
	token, err := ts.AccessToken(ctx)
	if err != nil {
		return nil, err
	}
	form.Set("action", action)
	body, err := c.send(ctx, op, path, form, token)
	if !errors.Is(err, ErrTokenRejected) {
		return body, err
	}
	token, err = ts.RefreshAccessToken(ctx, token)
	if err != nil {
		return nil, err
	}
	body, err = c.send(ctx, op, path, form, token)
	if errors.Is(err, ErrTokenRejected) {
		return nil, health.Wrap(health.KindAuthRevoked, err, fmt.Sprintf("withings %s: refreshed access token rejected", op))
	}
	return body, err
}

func opName(path, action string) string {
	return strings.TrimPrefix(path, "/") + " " + action
}

// send posts form to path, retrying temporary failures with backoff, and
// returns the body of a status-0 response.
func (c *Client) send(ctx context.Context, op, path string, form url.Values, token string) (json.RawMessage, error) {
	var err error
	for attempt := 0; attempt < c.cfg.Retry.MaxAttempts; attempt++ {
		if attempt > 0 {
			if werr := c.backoff(ctx, attempt-1); werr != nil {
				return nil, health.Wrap(health.KindTransient, werr, fmt.Sprintf("withings %s: gave up waiting to retry", op))
			}
		}
		var body json.RawMessage
		body, err = c.attempt(ctx, op, path, form, token)
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
func (c *Client) attempt(ctx context.Context, op, path string, form url.Values, token string) (json.RawMessage, error) {
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	actx, cancel := context.WithTimeout(ctx, c.cfg.RequestTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.apiURL+path, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, health.Wrap(health.KindInternal, err, fmt.Sprintf("withings %s: building request", op))
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, transportError(ctx, actx, op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, transportError(ctx, actx, op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, httpStatusError(op, resp.StatusCode)
	}
	if len(raw) > maxResponseBytes {
		return nil, health.Errorf(health.KindBadProvider, "withings %s: response larger than %d bytes", op, maxResponseBytes)
	}
	return parseReply(op, raw)
}

// transportError classifies a failed exchange. The caller's own
// cancellation is kept in the chain for errors.Is; the *url.Error text names
// only the method and URL, which carry no token.
func transportError(ctx, actx context.Context, op string, err error) error {
	switch {
	case ctx.Err() != nil:
		return health.Wrap(health.KindTransient, ctx.Err(), fmt.Sprintf("withings %s: cancelled", op))
	case errors.Is(actx.Err(), context.DeadlineExceeded):
		return health.Wrap(health.KindTransient, context.DeadlineExceeded, fmt.Sprintf("withings %s: request timed out", op))
	default:
		return health.Wrap(health.KindTransient, err, fmt.Sprintf("withings %s: request failed", op))
	}
}

// parseReply reads the envelope. An unreadable body is treated as
// temporary: truncation and proxy error pages are what produce them. No
// JSON error text is kept, since encoding/json quotes the values it meets.
func parseReply(op string, raw []byte) (json.RawMessage, error) {
	var env replyEnvelope
	if err := json.Unmarshal(raw, &env); err != nil || env.Status == nil {
		return nil, health.Errorf(health.KindTransient, "withings %s: response is not a Withings envelope (%d bytes)", op, len(raw))
	}
	if *env.Status != 0 {
		return nil, statusError(op, *env.Status)
	}
	body := bytes.TrimSpace(env.Body)
	if len(body) == 0 || string(body) == "null" {
		body = json.RawMessage("{}")
	}
	return body, nil
}
