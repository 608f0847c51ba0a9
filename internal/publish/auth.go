package publish

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// authorizer supplies the Authorization header of FHIR requests. Its
// implementations are the static header (none, bearer) and tokenCache
// (client credentials, SMART Backend Services).
type authorizer interface {
	// authorization returns the header value, "" for none.
	authorization(ctx context.Context) (string, error)
	// invalidate drops value if it is the cached token and reports whether
	// a fresh one may be fetched, so a 401 is retried once with it.
	invalidate(value string) bool
}

// staticAuth is a fixed header value: "" (no auth) or a configured bearer.
type staticAuth string

func (s staticAuth) authorization(context.Context) (string, error) { return string(s), nil }
func (staticAuth) invalidate(string) bool                          { return false }

// tokenFetch obtains a new access token and its lifetime.
type tokenFetch func(ctx context.Context) (token string, ttl time.Duration, err error)

// tokenCache holds one access token until shortly before it expires and
// lets exactly one caller fetch a new one while the others wait for it.
type tokenCache struct {
	fetch tokenFetch
	now   func() time.Time

	mu       sync.Mutex
	value    string // "Bearer <token>"
	expiry   time.Time
	inflight *tokenCall
}

// tokenCall is one fetch that several callers wait on.
type tokenCall struct {
	done  chan struct{}
	value string
	err   error
}

func (c *tokenCache) authorization(ctx context.Context) (string, error) {
	c.mu.Lock()
	if c.value != "" && c.now().Before(c.expiry) {
		v := c.value
		c.mu.Unlock()
		return v, nil
	}
	call := c.inflight
	if call == nil {
		call = &tokenCall{done: make(chan struct{})}
		c.inflight = call
		// The fetch outlives a caller that gives up, so the waiting
		// others still get the token; its own request has a timeout.
		go c.refresh(context.WithoutCancel(ctx), call)
	}
	c.mu.Unlock()
	select {
	case <-call.done:
		return call.value, call.err
	case <-ctx.Done():
		return "", health.Wrap(health.KindTransient, ctx.Err(), "fetch FHIR access token: abandoned by the caller")
	}
}

func (c *tokenCache) refresh(ctx context.Context, call *tokenCall) {
	token, ttl, err := c.fetch(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inflight = nil
	call.err = err
	if err == nil {
		c.value = "Bearer " + token
		// Renew a tenth of the lifetime early, at most a minute, so a
		// token never expires in flight.
		c.expiry = c.now().Add(ttl - min(ttl/10, time.Minute))
		call.value = c.value
	}
	close(call.done)
}

func (c *tokenCache) invalidate(value string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.value == value {
		c.value = ""
	}
	return true
}

// defaultTokenTTL is assumed when a token response has no expires_in.
const defaultTokenTTL = time.Minute

// tokenClient posts token requests to an OAuth2 token endpoint.
type tokenClient struct {
	hc       *http.Client
	timeout  time.Duration
	tokenURL string
	now      func() time.Time
}

// request posts form (plus HTTP basic credentials when user is set) and
// reads the token response. A refusal is KindUnauthorized and names only the
// OAuth error code; the endpoint's description may echo the client id.
func (tc *tokenClient) request(ctx context.Context, form url.Values, user, pass string) (string, time.Duration, error) {
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Accept": {"application/json"}}
	if user != "" {
		r := &http.Request{Header: h}
		r.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	const op = "fetch FHIR access token"
	resp, err := send(ctx, tc.hc, tc.timeout, request{op: op, method: http.MethodPost, url: tc.tokenURL, header: h, body: []byte(form.Encode())})
	if err != nil {
		return "", 0, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
	}
	_ = json.Unmarshal(resp.body, &tok)
	if resp.status/100 != 2 {
		e := statusError(op, resp, tc.now())
		if resp.status == http.StatusBadRequest || resp.status == http.StatusUnauthorized {
			e.Kind = health.KindUnauthorized
			e.Message = fmt.Sprintf("%s: token endpoint refused the client (HTTP %d, error %s)", op, resp.status, oauthCode(tok.Error))
		}
		return "", 0, e
	}
	if tok.AccessToken == "" || (tok.TokenType != "" && !strings.EqualFold(tok.TokenType, "bearer")) {
		return "", 0, health.Errorf(health.KindUnauthorized, "%s: token endpoint gave no bearer access_token", op)
	}
	ttl := defaultTokenTTL
	if tok.ExpiresIn > 0 {
		ttl = time.Duration(tok.ExpiresIn) * time.Second
	}
	return tok.AccessToken, ttl, nil
}

// oauthCode keeps an OAuth error code only if it looks like one.
func oauthCode(s string) string {
	if s == "" || len(s) > 40 || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return "unknown"
	}
	return s
}

// clientCredentials fetches tokens with the OAuth2 client credentials grant,
// authenticating with client_secret_basic (RFC 6749 §2.3.1).
func clientCredentials(tc *tokenClient, id, secret, scope string) tokenFetch {
	return func(ctx context.Context) (string, time.Duration, error) {
		form := url.Values{"grant_type": {"client_credentials"}}
		if scope != "" {
			form.Set("scope", scope)
		}
		return tc.request(ctx, form, id, secret)
	}
}

// smartBackend fetches tokens as SMART Backend Services prescribe: the
// client credentials grant with a signed JWT client assertion.
func smartBackend(tc *tokenClient, s *assertionSigner, scope string) tokenFetch {
	return func(ctx context.Context) (string, time.Duration, error) {
		assertion, err := s.sign(tc.now())
		if err != nil {
			return "", 0, health.Wrap(health.KindInternal, err, "fetch FHIR access token")
		}
		form := url.Values{
			"grant_type":            {"client_credentials"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {assertion},
		}
		if scope != "" {
			form.Set("scope", scope)
		}
		return tc.request(ctx, form, "", "")
	}
}
