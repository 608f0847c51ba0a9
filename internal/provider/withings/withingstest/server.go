// Package withingstest is an emulator of the Withings cloud for tests and
// demos: the OAuth consent page and token endpoint, the Measure, Measure v2,
// Sleep v2, Heart v2, User v2 and Notify services, webhook notifications to
// subscribed callbacks, the application-wide 120 requests/minute quota and
// injectable faults. It serves data generated deterministically from a seed
// for any date range, shaped like real captures (several device models,
// varying units, null device ids for manual entries).
//
// It answers the way Withings does: HTTP 200 with the failure in the body's
// status, parameters from the query string or the form body. It never calls
// the real Withings, keeps all state in the Server value and never reads a
// clock other than Config.Now.
package withingstest

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Endpoint names one emulated operation as "<service path>/<action>", the
// key for request counts and faults.
type Endpoint string

// The emulated endpoints.
const (
	EndpointAuthorize       Endpoint = "oauth2_user/authorize2"
	EndpointToken           Endpoint = "v2/oauth2/requesttoken"
	EndpointRevoke          Endpoint = "v2/oauth2/revoke"
	EndpointNonce           Endpoint = "v2/signature/getnonce"
	EndpointGetMeas         Endpoint = "measure/getmeas"
	EndpointGetActivity     Endpoint = "v2/measure/getactivity"
	EndpointGetIntraday     Endpoint = "v2/measure/getintradayactivity"
	EndpointSleepGet        Endpoint = "v2/sleep/get"
	EndpointSleepSummary    Endpoint = "v2/sleep/getsummary"
	EndpointHeartList       Endpoint = "v2/heart/list"
	EndpointHeartGet        Endpoint = "v2/heart/get"
	EndpointGetDevice       Endpoint = "v2/user/getdevice"
	EndpointNotifySubscribe Endpoint = "notify/subscribe"
	EndpointNotifyList      Endpoint = "notify/list"
	EndpointNotifyGet       Endpoint = "notify/get"
	EndpointNotifyRevoke    Endpoint = "notify/revoke"
)

// AuthorizePath is the path of the consent page; the token endpoint and the
// data services live at their Withings paths on the same server, so a
// client's AuthURL is base+AuthorizePath and its APIURL is base.
const AuthorizePath = "/oauth2_user/authorize2"

// Config sets up a Server. Zero fields take the defaults.
type Config struct {
	// Seed makes the generated data and the issued tokens reproducible.
	Seed uint64
	// Now is the emulator's clock: token and code expiry, the quota window,
	// and the "present" after which no data exists. Default time.Now.
	Now func() time.Time
	// ClientID and ClientSecret, when set, are the only accepted app
	// credentials.
	ClientID, ClientSecret string
	// HistoryStart and HistoryEnd bound the generated history; default the
	// 365 days before the UTC day of Now at New. Data added or generated
	// through Go methods may lie outside it.
	HistoryStart, HistoryEnd time.Time
	// PageSize is the number of items per page of paginated endpoints;
	// default 100. Tests set it small to force pagination.
	PageSize int
	// QuotaPerMinute is the application-wide limit over any 60 s window of
	// the clock, counting every API request (the token endpoint too, the
	// consent page not); default 120, negative for none.
	QuotaPerMinute int
	// AccessTokenTTL defaults to 3 h, CodeTTL to 30 s, and OldRefreshTTL,
	// how long a superseded refresh token survives when the new access token
	// is never used, to 8 h.
	AccessTokenTTL, CodeTTL, OldRefreshTTL time.Duration
	// HTTPClient sends HEAD probes and notifications; default a client with
	// Withings' 2 s deadline.
	HTTPClient *http.Client
}

// Server is the emulator. Create it with New; it is safe for concurrent
// use.
type Server struct {
	cfg      Config
	handlers map[Endpoint]apiHandler

	mu          sync.Mutex
	users       map[string]*user
	consentUser string
	denyConsent bool
	codes       map[string]*authCode
	access      map[string]*accessGrant
	refresh     map[string]*refreshGrant
	nonces      map[string]time.Time // unspent nonce → expiry
	subs        []Subscription
	faults      map[Endpoint][]*Fault
	counts      map[Endpoint]int
	window      []time.Time
	rejected    int
	deliveries  []Delivery
	seq         uint64
}

// New returns an emulator with no users; add them with AddUser.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.HistoryEnd.IsZero() {
		cfg.HistoryEnd = cfg.Now().UTC().Truncate(24 * time.Hour)
	}
	if cfg.HistoryStart.IsZero() {
		cfg.HistoryStart = cfg.HistoryEnd.AddDate(0, 0, -365)
	}
	if cfg.PageSize <= 0 {
		cfg.PageSize = 100
	}
	if cfg.QuotaPerMinute == 0 {
		cfg.QuotaPerMinute = 120
	}
	setDurationDefaults(&cfg)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 2 * time.Second}
	}
	s := &Server{
		cfg:     cfg,
		users:   map[string]*user{},
		codes:   map[string]*authCode{},
		access:  map[string]*accessGrant{},
		refresh: map[string]*refreshGrant{},
		nonces:  map[string]time.Time{},
		faults:  map[Endpoint][]*Fault{},
		counts:  map[Endpoint]int{},
	}
	s.handlers = s.routes()
	return s
}

func setDurationDefaults(cfg *Config) {
	if cfg.AccessTokenTTL <= 0 {
		cfg.AccessTokenTTL = 3 * time.Hour
	}
	if cfg.CodeTTL <= 0 {
		cfg.CodeTTL = 30 * time.Second
	}
	if cfg.OldRefreshTTL <= 0 {
		cfg.OldRefreshTTL = 8 * time.Hour
	}
}

// apiRequest is what an endpoint handler sees: the authenticated user (empty
// for the token endpoint) and the merged query and form parameters.
type apiRequest struct {
	ctx    context.Context
	userID string
	form   url.Values
}

// reply is an envelope to send: status 0 with body, or an error status.
type reply struct {
	status int
	body   any
	err    string
}

type apiHandler func(apiRequest) reply

func ok(body any) reply { return reply{body: body} }

func fail(status int, msg string) reply { return reply{status: status, err: msg} }

// routes lists every API endpoint; the consent page is served apart.
func (s *Server) routes() map[Endpoint]apiHandler {
	return map[Endpoint]apiHandler{
		EndpointToken:           s.requestToken,
		EndpointRevoke:          s.revokeAccess,
		EndpointNonce:           s.getNonce,
		EndpointGetMeas:         s.getMeas,
		EndpointGetActivity:     s.getActivity,
		EndpointGetIntraday:     s.getIntraday,
		EndpointSleepGet:        s.sleepGet,
		EndpointSleepSummary:    s.sleepSummary,
		EndpointHeartList:       s.heartList,
		EndpointHeartGet:        s.heartGet,
		EndpointGetDevice:       s.getDevice,
		EndpointNotifySubscribe: s.notifySubscribe,
		EndpointNotifyList:      s.notifyList,
		EndpointNotifyGet:       s.notifyGet,
		EndpointNotifyRevoke:    s.notifyRevoke,
	}
}

// ServeHTTP answers like Withings: the consent page at AuthorizePath and
// every API call as an envelope with HTTP 200.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == AuthorizePath {
		s.count(EndpointAuthorize)
		s.authorize(w, r)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeReply(w, fail(503, "Invalid Params: unreadable parameters"), nil)
		return
	}
	ep := Endpoint(strings.Trim(r.URL.Path, "/") + "/" + r.Form.Get("action"))
	s.count(ep)
	if !s.takeQuota() {
		writeReply(w, fail(601, "Too Many Requests"), nil)
		return
	}
	f := s.takeFault(ep)
	if f != nil && !f.delay(r.Context()) {
		return
	}
	if f != nil && (f.Status != 0 || f.HTTPStatus != 0) {
		writeFault(w, f)
		return
	}
	writeReply(w, s.dispatch(r, ep), f)
}

func (s *Server) dispatch(r *http.Request, ep Endpoint) reply {
	h, found := s.handlers[ep]
	if !found {
		return fail(2554, "Not implemented")
	}
	req := apiRequest{ctx: r.Context(), form: r.Form}
	if ep != EndpointToken && ep != EndpointRevoke && ep != EndpointNonce { // app-authenticated
		userID, okAuth := s.authenticate(r)
		if !okAuth {
			return fail(401, "XRequestID: Not provided invalid_token: The access token provided is invalid")
		}
		req.userID = userID
	}
	return h(req)
}

// writeReply writes the envelope, mangled as the fault asks.
func writeReply(w http.ResponseWriter, rep reply, f *Fault) {
	env := map[string]any{"status": rep.status, "body": rep.body}
	if rep.status != 0 || rep.body == nil {
		env["body"] = struct{}{}
	}
	if rep.status != 0 {
		env["error"] = rep.err
	}
	data, err := json.Marshal(env)
	if err != nil {
		data = []byte(`{"status":2555,"body":{},"error":"emulator encoding failure"}`)
	}
	switch {
	case f != nil && f.Malformed:
		data = []byte("<html><body>502 Bad Gateway</body></html>")
	case f != nil && f.Truncate:
		data = data[:len(data)/2]
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}

// ListenAndServe serves the emulator on addr until ctx is done, for
// `ohx emulate withings --addr …`.
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
