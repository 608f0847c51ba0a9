package httpapi_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ohx-health/ohx/internal/auth"
	"github.com/ohx-health/ohx/internal/fhir"
	"github.com/ohx-health/ohx/internal/httpapi"
	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/link"
	"github.com/ohx-health/ohx/internal/metrics"
	"github.com/ohx-health/ohx/internal/provider/withings"
	"github.com/ohx-health/ohx/internal/provider/withings/withingstest"
	"github.com/ohx-health/ohx/internal/seal"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

// apiFixture is ohx's patient API over real HTTP, on SQLite, linking
// against the Withings emulator.
type apiFixture struct {
	srv  *httptest.Server
	db   *store.DB
	emu  *withingstest.Server
	key  string // a service API key
	user string // the emulator's consenting user
}

func newAPIFixture(t *testing.T, tokens httpapi.TokenVerifier) *apiFixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testenv.SQLiteURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := jobs.Migrate(ctx, db, logger); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.NewClient(db, jobs.Config{Logger: logger, Pipeline: &jobs.Pipeline{}})
	if err != nil {
		t.Fatal(err)
	}
	emu := withingstest.New(withingstest.Config{Seed: 3, ClientID: "cid", ClientSecret: "csecret", QuotaPerMinute: -1})
	emu.AddUser(withingstest.User{ID: "777"})
	emu.SetConsent("777", false)
	emuSrv := httptest.NewServer(emu)
	t.Cleanup(emuSrv.Close)

	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	wc, err := withings.New(withings.Config{ClientID: "cid", ClientSecret: "csecret", RedirectURL: srv.URL + "/social/complete/withings/",
		AuthURL: emuSrv.URL + withingstest.AuthorizePath, APIURL: emuSrv.URL}, &http.Client{Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := seal.NewKey()
	keys, err := seal.NewKeyring(k, "")
	if err != nil {
		t.Fatal(err)
	}
	links := link.New(db, keys, map[string]link.OAuth{"withings": link.Withings(wc)}, nil, logger)
	reg := prometheus.NewRegistry()
	handler = httpapi.NewServer(httpapi.Deps{Logger: logger, DB: db, Metrics: metrics.New(reg, metrics.Build{}, nil, logger),
		Gatherer: reg, Queue: q, QueueCheck: func(context.Context) error { return nil },
		Providers: []string{"withings"}, Links: links, Tokens: tokens, SyncInterval: 6 * time.Hour})

	key, hash, prefix, err := auth.NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.CreateAPIKey(ctx, "ehr", hash, prefix); err != nil {
			return err
		}
		return tx.PutProviderSettings(ctx, store.ProviderSettings{Provider: "withings", Enabled: true,
			AllowedRedirectURLs: []string{"myapp://"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return &apiFixture{srv: srv, db: db, emu: emu, key: key, user: "777"}
}

// do sends a request with credential as bearer (none when empty) and
// returns the status, headers and body, without following redirects.
func (f *apiFixture) do(t *testing.T, method, path, credential string, hdr map[string]string, body io.Reader) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if credential != "" {
		req.Header.Set("Authorization", "Bearer "+credential)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// browse follows a URL like a browser without running scripts: it returns
// the last response that is not a redirect.
func browse(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// deepLink extracts the app deep link a result page forwards to.
func deepLink(t *testing.T, page string) url.Values {
	t.Helper()
	_, after, ok := strings.Cut(page, `content="0;url=`)
	if !ok {
		t.Fatalf("no forwarding in page:\n%s", page)
	}
	raw, _, _ := strings.Cut(after, `"`)
	u, err := url.Parse(html.UnescapeString(raw))
	if err != nil || u.Scheme != "myapp" {
		t.Fatalf("deep link %q", raw)
	}
	return u.Query()
}

func TestPatientAPIRequiresCredentials(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, nil)
	for _, path := range []string{"/api/base/link/withings/?ehr_user_id=p1", "/api/base/link/withings/status/?ehr_user_id=p1",
		"/api/base/sync/status/?ehr_user_id=p1"} {
		for _, cred := range []string{"", "ohx_notakey", "some.jwt.token"} {
			resp, body := f.do(t, http.MethodGet, path, cred, nil, nil)
			if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s with %q: %d %s", path, cred, resp.StatusCode, body)
			}
		}
	}
	resp, _ := f.do(t, http.MethodPost, "/api/base/link/withings/unlink/", "", nil, nil)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unlink without credentials: %d", resp.StatusCode)
	}
	// A revoked key stops working at once.
	if err := f.db.InTx(context.Background(), func(tx *store.Tx) error { return tx.RevokeAPIKey(context.Background(), "ehr") }); err != nil {
		t.Fatal(err)
	}
	if resp, _ := f.do(t, http.MethodGet, "/api/base/link/withings/status/?ehr_user_id=p1", f.key, nil, nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked key: %d", resp.StatusCode)
	}
	// Public routes stay public.
	if resp, body := f.do(t, http.MethodGet, "/api/base/providers/", "", nil, nil); resp.StatusCode != 200 || !strings.Contains(body, `"provider_type":"withings"`) {
		t.Errorf("providers: %d %s", resp.StatusCode, body)
	}
	if resp, body := f.do(t, http.MethodGet, "/api/base/providers/capabilities/", "", nil, nil); resp.StatusCode != 200 || !strings.Contains(body, `"ecg"`) {
		t.Errorf("capabilities: %d %s", resp.StatusCode, body)
	}
}

func TestLinkFlowThroughTheAPI(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, nil)
	ctx := context.Background()

	// A service asks for the consent URL as JSON.
	resp, body := f.do(t, http.MethodGet, "/api/base/link/withings/?ehr_user_id=pat-1&success_url="+url.QueryEscape("myapp://linked?x=1")+
		"&error_url="+url.QueryEscape("myapp://failed"), f.key, map[string]string{"Accept": "application/json"}, nil)
	var start struct {
		AuthorizationURL string `json:"authorization_url"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &start) != nil || start.AuthorizationURL == "" {
		t.Fatalf("link start: %d %s", resp.StatusCode, body)
	}
	// The patient's browser consents at Withings and comes back to ohx.
	code, page := browse(t, start.AuthorizationURL)
	if code != 200 {
		t.Fatalf("callback page: %d %s", code, page)
	}
	got := deepLink(t, page)
	want := url.Values{"x": {"1"}, "provider": {"withings"}, "ehr_user_id": {"pat-1"}, "status": {"success"}}
	if got.Encode() != want.Encode() {
		t.Errorf("deep link %v, want %v", got, want)
	}
	var links []store.Link
	_ = f.db.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.PatientByEHRID(ctx, "pat-1")
		if err != nil {
			return err
		}
		links, err = tx.LinksOfPatient(ctx, p.ID)
		return err
	})
	if len(links) != 1 || links[0].ExternalUserID != f.user || links[0].Status != store.LinkActive {
		t.Fatalf("links after the flow: %+v", links)
	}

	// The callback's state works once.
	code, page = browse(t, f.srv.URL+"/social/complete/withings/?state=replayed&code=abc")
	if code != http.StatusBadRequest || !strings.Contains(page, "start again") {
		t.Errorf("unknown state: %d %s", code, page)
	}

	// Status, in the original's shape.
	resp, body = f.do(t, http.MethodGet, "/api/base/link/withings/status/?ehr_user_id=pat-1", f.key, nil, nil)
	var st struct {
		Linked     bool `json:"linked"`
		TotalLinks int  `json:"total_links"`
		Links      []struct {
			ExternalUserID string `json:"external_user_id"`
			Active         bool   `json:"active"`
		} `json:"links"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &st) != nil || !st.Linked || st.TotalLinks != 1 || !st.Links[0].Active {
		t.Errorf("status: %d %s", resp.StatusCode, body)
	}
	resp, body = f.do(t, http.MethodGet, "/api/base/sync/status/?ehr_user_id=pat-1&provider=withings", f.key, nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"status":"no_recent_sync"`) {
		t.Errorf("sync status: %d %s", resp.StatusCode, body)
	}

	// Unlink queues the take-down.
	resp, body = f.do(t, http.MethodDelete, "/api/base/link/withings/unlink/", f.key,
		map[string]string{"Content-Type": "application/json"}, strings.NewReader(`{"ehr_user_id":"pat-1"}`))
	if resp.StatusCode != 200 || !strings.Contains(body, `"status":"unlinked"`) {
		t.Fatalf("unlink: %d %s", resp.StatusCode, body)
	}
	var kind, args string
	err := f.db.SQL().QueryRowContext(ctx, "SELECT kind, args FROM river_job WHERE kind = 'ohx.unlink'").Scan(&kind, &args)
	if err != nil || !strings.Contains(args, "service:ehr") {
		t.Errorf("unlink job: %v %s", err, args)
	}
}

func TestLinkStartRefusesAndRedirects(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, nil)
	cases := []struct {
		name, path string
		status     int
		body       string
	}{
		{"open redirect", "/api/base/link/withings/?ehr_user_id=p&success_url=" + url.QueryEscape("https://evil.example/"), 400, "not allowed"},
		{"javascript deep link", "/api/base/link/withings/?ehr_user_id=p&error_url=" + url.QueryEscape("javascript:alert(1)"), 400, "not allowed"},
		{"unsupported provider", "/api/base/link/garmin/?ehr_user_id=p", 400, `"supported_providers":["withings"]`},
		{"no patient", "/api/base/link/withings/", 400, "No EHR user ID provided"},
		{"bad patient id", "/api/base/link/withings/?ehr_user_id=" + url.QueryEscape("a b|c"), 400, "not a valid FHIR Patient id"},
		{"unknown patient status", "/api/base/link/withings/status/?ehr_user_id=nobody", 404, "EHR user nobody not found"},
		{"unknown patient unlink", "/api/base/link/withings/unlink/?ehr_user_id=nobody", 404, "not found"},
	}
	for _, c := range cases {
		method := http.MethodGet
		if strings.Contains(c.path, "unlink") {
			method = http.MethodPost
		}
		resp, body := f.do(t, method, c.path, f.key, nil, nil)
		if resp.StatusCode != c.status || !strings.Contains(body, c.body) {
			t.Errorf("%s: %d %s", c.name, resp.StatusCode, body)
		}
	}
	// A browser is sent straight to the consent page.
	resp, _ := f.do(t, http.MethodGet, "/api/base/link/withings/?ehr_user_id=p", f.key, nil, nil)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.Contains(loc, withingstest.AuthorizePath) {
		t.Errorf("browser start: %d Location %q", resp.StatusCode, loc)
	}
}

func TestDeniedConsentLandsOnTheErrorDeepLink(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, nil)
	f.emu.SetConsent(f.user, true)
	resp, _ := f.do(t, http.MethodGet, "/api/base/link/withings/?ehr_user_id=pat-2&error_url="+url.QueryEscape("myapp://failed"), f.key, nil, nil)
	code, page := browse(t, resp.Header.Get("Location"))
	if code != 200 {
		t.Fatalf("denied: %d %s", code, page)
	}
	got := deepLink(t, page)
	if got.Get("status") != "error" || got.Get("error") != "access_denied" || got.Get("ehr_user_id") != "pat-2" || got.Get("provider") != "withings" {
		t.Errorf("error deep link %v", got)
	}
}

func TestSyncRoutes(t *testing.T) {
	t.Parallel()
	f := newAPIFixture(t, nil)
	ctx := context.Background()
	var l store.Link
	err := f.db.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.EnsurePatient(ctx, "pat-3")
		if err != nil {
			return err
		}
		l, err = tx.CreateLink(ctx, p.ID, "withings", "555", "user.metrics,user.activity", store.SealedToken{KeyID: "k", Data: []byte("sealed-token")})
		if err != nil {
			return err
		}
		if err := tx.MarkDevicesSeen(ctx, l.ID, []string{"scale-1", "watch-2"}); err != nil {
			return err
		}
		return tx.EndDevices(ctx, l.ID, []string{"watch-2"})
	})
	if err != nil {
		t.Fatal(err)
	}

	resp, body := f.do(t, http.MethodGet, "/api/base/sync/providers/?ehr_user_id=pat-3", f.key, nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(body, `"external_user_id":"555"`) || !strings.Contains(body, `"scopes":["user.metrics","user.activity"]`) ||
		strings.Contains(body, "sealed") || !strings.Contains(body, `"total_providers":1`) {
		t.Errorf("providers: %d %s", resp.StatusCode, body)
	}

	resp, body = f.do(t, http.MethodGet, "/api/base/sync/devices/?ehr_user_id=pat-3&provider=withings", f.key, nil, nil)
	var devs struct {
		Devices []struct {
			ID, ProviderDeviceID, Status string
		} `json:"devices"`
		Total int `json:"total_devices"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &devs) != nil || devs.Total != 2 {
		t.Fatalf("devices: %d %s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `"provider_device_id":"scale-1"`) || !strings.Contains(body, `"status":"inactive"`) ||
		!strings.Contains(body, `"id":"`+fhir.DeviceID("withings", "scale-1")+`"`) {
		t.Errorf("devices: %s", body)
	}

	resp, body = f.do(t, http.MethodPost, "/api/base/sync/trigger_device_sync/", f.key,
		map[string]string{"Content-Type": "application/json"}, strings.NewReader(`{"ehr_user_id":"pat-3","provider":"withings"}`))
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(body, `"sync_id":"device-sync-`) {
		t.Fatalf("trigger: %d %s", resp.StatusCode, body)
	}
	var n int
	if err := f.db.SQL().QueryRowContext(ctx, "SELECT count(*) FROM river_job WHERE kind = 'ohx.sync'").Scan(&n); err != nil || n != 1 {
		t.Errorf("%d sync jobs queued (%v), want 1", n, err)
	}
	for _, c := range []struct{ body, want string }{
		{`{"ehr_user_id":"pat-3"}`, "This field is required"},
		{`{"ehr_user_id":"nobody","provider":"withings"}`, "not found"},
		{`{"ehr_user_id":"pat-3",`, "Invalid JSON"},
	} {
		resp, body := f.do(t, http.MethodPost, "/api/base/sync/trigger_device_sync/", f.key,
			map[string]string{"Content-Type": "application/json"}, strings.NewReader(c.body))
		if resp.StatusCode < 400 || !strings.Contains(body, c.want) {
			t.Errorf("trigger %s: %d %s", c.body, resp.StatusCode, body)
		}
	}
}
