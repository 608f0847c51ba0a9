// Package fitbittest is a faithful emulator of the Google Health API (the
// API through which ohx reads Fitbit data) for tests and demos, following
// §11 of the reference: Google's OAuth consent page, token and revoke
// endpoints (authorization-code and refresh grants, optional S256/plain
// PKCE, no new refresh token on refresh, Google's error bodies), the
// identity and paired-devices endpoints, users.dataTypes.dataPoints.list
// with the AIP-160 filter subset of §3.5 and page tokens, dailyRollUp for
// steps and total-calories, bearer-token and per-scope authorization, the
// per-user 300 requests/minute quota answered with 429 RESOURCE_EXHAUSTED
// and Retry-After, and injectable faults.
//
// It serves data generated deterministically from Config.Seed and the user
// id, in the wire shapes of §8: int64 fields as JSON strings, proto3 zero
// omission, newest-first order, resource names with the numeric
// healthUserId on identifiable types only, a final empty page as {}.
// Unknown routes get Google's HTML 404. It never calls Google, keeps all
// state in the Server value and reads no clock other than Config.Now.
//
// Webhooks: VerifyEndpoint and Notify play Google's side of a subscriber
// (handshake, batched notifications). Not emulated: reconcile, rollUp, get,
// writes, settings/profile, subscriber management and delivery retries,
// dataSourceFamily, and OR in sleep filters (answered 400).
package fitbittest

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Endpoint names one emulated operation, the key for request counts and
// faults.
type Endpoint string

// The emulated endpoints without a data type.
const (
	EndpointAuthorize     Endpoint = "oauth2/authorize"
	EndpointToken         Endpoint = "oauth2/token"
	EndpointRevoke        Endpoint = "oauth2/revoke"
	EndpointIdentity      Endpoint = "users.getIdentity"
	EndpointPairedDevices Endpoint = "users.pairedDevices.list"
)

// ListEndpoint is the endpoint of users.dataTypes.dataPoints.list for
// dataType, e.g. "dataPoints.list/heart-rate".
func ListEndpoint(dataType string) Endpoint { return Endpoint("dataPoints.list/" + dataType) }

// DailyRollUpEndpoint is the endpoint of dataPoints:dailyRollUp for
// dataType.
func DailyRollUpEndpoint(dataType string) Endpoint {
	return Endpoint("dataPoints.dailyRollUp/" + dataType)
}

// Paths of the OAuth endpoints on the emulator; the API lives under /v4 on
// the same server. A client's AuthURL is base+AuthorizePath, TokenURL
// base+TokenPath, RevokeURL base+RevokePath and APIURL base.
const (
	AuthorizePath = "/o/oauth2/v2/auth"
	TokenPath     = "/token"
	RevokePath    = "/revoke"
)

// Config sets up a Server. Zero fields take the defaults.
type Config struct {
	// Seed makes the generated data and the issued tokens reproducible.
	Seed uint64
	// Now is the emulator's clock: token and code expiry, the quota window,
	// and the "present" after which no data exists. Default time.Now.
	Now func() time.Time
	// ClientID and ClientSecret, when set, are the only accepted OAuth
	// client; a wrong one is answered 401 invalid_client.
	ClientID, ClientSecret string
	// HistoryDays is how many days of data are generated before the UTC day
	// of Now at New; default 30.
	HistoryDays int
	// QuotaPerMinute is the per-user limit over any 60 s window of the
	// clock, counting authenticated API requests; default 300 (§7.3),
	// negative for none.
	QuotaPerMinute int
	// RetryAfterDate sends Retry-After on quota 429s as an HTTP date
	// instead of delay-seconds; NoRetryAfter sends none (the real API
	// documents none, §7.3).
	RetryAfterDate, NoRetryAfter bool
	// AccessTokenTTL defaults to 3599 s, RefreshTokenTTL to 604800 s
	// (Testing mode, §2.2), CodeTTL to 10 minutes.
	AccessTokenTTL, RefreshTokenTTL, CodeTTL time.Duration
}

// Server is the emulator, an http.Handler. Create it with New; it is safe
// for concurrent use.
type Server struct {
	cfg     Config
	histEnd time.Time

	mu          sync.Mutex
	users       map[string]*user
	consentUser string
	denyConsent bool
	grantOnly   []string // when set, consent grants only these of the asked scopes
	codes       map[string]*authCode
	grants      map[string]*grant // by refresh token
	access      map[string]*accessToken
	faults      map[Endpoint][]*Fault
	counts      map[Endpoint]int
	windows     map[string][]time.Time // per-user quota windows
	seq         uint64
	webhooks    hookState // Notify and VerifyEndpoint (webhooks.go)
}

// New returns an emulator with no users; add them with AddUser.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HistoryDays <= 0 {
		cfg.HistoryDays = 30
	}
	if cfg.QuotaPerMinute == 0 {
		cfg.QuotaPerMinute = 300
	}
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = 3599 * time.Second
	}
	if cfg.RefreshTokenTTL <= 0 {
		cfg.RefreshTokenTTL = 604800 * time.Second
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = 10 * time.Minute
	}
	return &Server{
		cfg:     cfg,
		histEnd: cfg.Now().UTC().Truncate(24 * time.Hour),
		users:   map[string]*user{},
		codes:   map[string]*authCode{},
		grants:  map[string]*grant{},
		access:  map[string]*accessToken{},
		faults:  map[Endpoint][]*Fault{},
		counts:  map[Endpoint]int{},
		windows: map[string][]time.Time{},
	}
}

// ServeHTTP routes a request to the OAuth endpoints or the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == AuthorizePath && r.Method == http.MethodGet:
		s.serve(w, r, EndpointAuthorize, s.authorize)
	case r.URL.Path == TokenPath && r.Method == http.MethodPost:
		s.serve(w, r, EndpointToken, s.token)
	case r.URL.Path == RevokePath && r.Method == http.MethodPost:
		s.serve(w, r, EndpointRevoke, s.revoke)
	case strings.HasPrefix(r.URL.Path, "/v4/"):
		s.api(w, r)
	default:
		notFoundHTML(w, r)
	}
}

// serve runs an OAuth endpoint after counting it and applying its fault.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, ep Endpoint, h http.HandlerFunc) {
	s.count(ep)
	f := s.takeFault(ep)
	if f != nil && !f.delay(r.Context()) {
		return
	}
	if f != nil && f.replaces() {
		f.write(w)
		return
	}
	if f != nil {
		w = &spoiler{ResponseWriter: w, f: f}
	}
	h(w, r)
	if sp, ok := w.(*spoiler); ok {
		sp.flush()
	}
}

// ListenAndServe serves the emulator on addr until ctx is done, for
// `ohx emulate fitbit --addr …`.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	srv := &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-ctx.Done():
		case <-stop:
			return
		}
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
