package link

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/provider/withings"
	"github.com/ohx-health/ohx/internal/provider/withings/withingstest"
	"github.com/ohx-health/ohx/internal/seal"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

const callbackURL = "https://ohx.example/api/base/link/withings/callback"

// clock is a hand-moved clock shared by the emulator and ohx.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type env struct {
	emu   *withingstest.Server
	clock *clock
	url   string // database URL
	keys  *seal.Keyring
	svc   *Service
	api   string
}

func newEnv(t *testing.T, dbURL string) *env {
	t.Helper()
	c := &clock{t: time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)}
	emu := withingstest.New(withingstest.Config{Seed: 1, Now: c.Now, ClientID: "cid", ClientSecret: "csecret"})
	emu.AddUser(withingstest.User{ID: "4242"})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	key, _ := seal.NewKey()
	keys, _ := seal.NewKeyring(key, "")
	e := &env{emu: emu, clock: c, url: dbURL, keys: keys, api: srv.URL}
	db := e.openDB(t)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.svc = e.newService(t, db)
	return e
}

func (e *env) openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), e.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetClock(e.clock.Now)
	return db
}

// newService is one "replica": its own database handle and client.
func (e *env) newService(t *testing.T, db *store.DB) *Service {
	t.Helper()
	c, err := withings.New(withings.Config{ClientID: "cid", ClientSecret: "csecret", RedirectURL: callbackURL,
		AuthURL: e.api + withingstest.AuthorizePath, APIURL: e.api, Now: e.clock.Now, RequestTimeout: 5 * time.Second},
		&http.Client{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := New(db, e.keys, map[string]OAuth{"withings": Withings(c)}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.now = e.clock.Now
	s.PollEvery = 5 * time.Millisecond
	return s
}

// consent follows the authorize URL like a browser and returns the
// callback's query.
func consent(t *testing.T, authURL string) url.Values {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), callbackURL) {
		t.Fatalf("authorize answered %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return loc.Query()
}

func (e *env) link(t *testing.T, ehr string) store.Link {
	t.Helper()
	ctx := context.Background()
	authURL, err := e.svc.Begin(ctx, ehr, "withings", Redirects{})
	if err != nil {
		t.Fatal(err)
	}
	q := consent(t, authURL)
	done, err := e.svc.Complete(ctx, "withings", q.Get("state"), q.Get("code"))
	if err != nil {
		t.Fatal(err)
	}
	return done.Link
}

func kindOf(err error) health.ErrorKind { return health.KindOf(err) }

func TestLinkFlow(t *testing.T) {
	t.Parallel()
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, eng.URL(t))
			ctx := context.Background()
			l := e.link(t, "ehr-1")
			if l.ExternalUserID != "4242" || l.Status != store.LinkActive || l.EHRUserID != "ehr-1" || l.Token.KeyID != e.keys.CurrentKeyID() {
				t.Fatalf("link = %+v", l)
			}
			tok, err := e.svc.Tokens(l.ID).AccessToken(ctx)
			if err != nil || tok == "" {
				t.Fatalf("access token: %q %v", tok, err)
			}
			if strings.Contains(string(l.Token.Data), tok) {
				t.Error("token stored in clear")
			}
			// The token works at the provider.
			wc, _ := withings.New(withings.Config{APIURL: e.api, Now: e.clock.Now}, &http.Client{}, nil)
			if _, err := wc.GetDevices(ctx, withings.StaticToken(tok)); err != nil {
				t.Errorf("stored token rejected by the provider: %v", err)
			}
			var events []store.AuditEvent
			_ = e.svc.db.InTx(ctx, func(tx *store.Tx) (err error) { events, err = tx.AuditEvents(ctx, l.PatientID, 10); return err })
			if len(events) != 1 || events[0].Action != "link.created" {
				t.Errorf("audit = %+v", events)
			}
			// Linking the same patient again replaces the link.
			again := e.link(t, "ehr-1")
			old, _ := e.linkByID(t, l.ID)
			if again.ID == l.ID || old.Status != store.LinkRevoked || old.Token.Data != nil {
				t.Errorf("relink: new %d, old %+v", again.ID, old)
			}
			// The same account cannot feed a second patient.
			authURL, _ := e.svc.Begin(ctx, "ehr-2", "withings", Redirects{})
			q := consent(t, authURL)
			if _, err := e.svc.Complete(ctx, "withings", q.Get("state"), q.Get("code")); kindOf(err) != health.KindConflict {
				t.Errorf("second patient on one account: %v, want conflict", err)
			}
		})
	}
}

func (e *env) linkByID(t *testing.T, id int64) (store.Link, error) {
	var l store.Link
	err := e.svc.db.InTx(context.Background(), func(tx *store.Tx) (err error) { l, err = tx.LinkByID(context.Background(), id); return err })
	return l, err
}

func TestLinkFlowFailures(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testenv.SQLiteURL(t))
	ctx := context.Background()

	authURL, _ := e.svc.Begin(ctx, "ehr-1", "withings", Redirects{})
	q := consent(t, authURL)
	if _, err := e.svc.Complete(ctx, "withings", "forged-state", q.Get("code")); kindOf(err) != health.KindInvalid {
		t.Errorf("forged state: %v", err)
	}
	if _, err := e.svc.Complete(ctx, "withings", q.Get("state"), q.Get("code")); err != nil {
		t.Fatalf("genuine state after a forged one: %v", err)
	}
	if _, err := e.svc.Complete(ctx, "withings", q.Get("state"), q.Get("code")); kindOf(err) != health.KindInvalid {
		t.Errorf("reused state: %v", err)
	}

	// A code used after its 30 s life is refused by the provider.
	authURL, _ = e.svc.Begin(ctx, "ehr-3", "withings", Redirects{})
	q = consent(t, authURL)
	e.clock.Advance(31 * time.Second)
	if _, err := e.svc.Complete(ctx, "withings", q.Get("state"), q.Get("code")); err == nil {
		t.Error("expired code accepted")
	}

	// A state past its TTL is refused before any exchange.
	authURL, _ = e.svc.Begin(ctx, "ehr-4", "withings", Redirects{})
	q = consent(t, authURL)
	e.clock.Advance(e.svc.StateTTL + time.Second)
	if _, err := e.svc.Complete(ctx, "withings", q.Get("state"), q.Get("code")); kindOf(err) != health.KindInvalid {
		t.Errorf("expired state: %v", err)
	}

	// Denied consent comes back without a code.
	e.emu.SetConsent("4242", true)
	authURL, _ = e.svc.Begin(ctx, "ehr-5", "withings", Redirects{})
	q = consent(t, authURL)
	if q.Get("error") != "access_denied" {
		t.Fatalf("denied consent query = %v", q)
	}
	if _, err := e.svc.Complete(ctx, "withings", q.Get("state"), q.Get("code")); kindOf(err) != health.KindInvalid {
		t.Errorf("denied consent: %v", err)
	}

	// Redirects must be allowed by the provider settings.
	if _, err := e.svc.Begin(ctx, "ehr-6", "withings", Redirects{Success: "https://evil.example/"}); kindOf(err) != health.KindInvalid {
		t.Errorf("unlisted redirect: %v", err)
	}
	_ = e.svc.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.PutProviderSettings(ctx, store.ProviderSettings{Provider: "withings", Enabled: true, AllowedRedirectURLs: []string{"myapp://"}})
	})
	if _, err := e.svc.Begin(ctx, "ehr-6", "withings", Redirects{Success: "myapp://linked"}); err != nil {
		t.Errorf("allowed redirect: %v", err)
	}
	if _, err := e.svc.Begin(ctx, "ehr-6", "fitbit", Redirects{}); kindOf(err) != health.KindNotFound {
		t.Errorf("unconfigured provider: %v", err)
	}
}

// TestConcurrentRefreshIsSingleFlight has eight workers on four "replicas"
// find the same token rejected at once: exactly one refresh reaches the
// provider and every worker ends with the same new token.
func TestConcurrentRefreshIsSingleFlight(t *testing.T) {
	t.Parallel()
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, eng.URL(t))
			ctx := context.Background()
			l := e.link(t, "ehr-1")
			old, err := e.svc.Tokens(l.ID).AccessToken(ctx)
			if err != nil {
				t.Fatal(err)
			}
			before := e.emu.Count(withingstest.EndpointToken)
			replicas := []*Service{e.svc}
			for range 3 {
				replicas = append(replicas, e.newService(t, e.openDB(t)))
			}
			results := make(chan string, 8)
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Go(func() {
					tok, err := replicas[i%4].Tokens(l.ID).RefreshAccessToken(ctx, old)
					if err != nil {
						t.Errorf("worker %d: %v", i, err)
					}
					results <- tok
				})
			}
			wg.Wait()
			close(results)
			var first string
			for tok := range results {
				if first == "" {
					first = tok
				}
				if tok != first || tok == old {
					t.Errorf("workers disagree or kept the old token")
				}
			}
			if n := e.emu.Count(withingstest.EndpointToken) - before; n != 1 {
				t.Errorf("%d refresh calls reached the provider, want 1", n)
			}
			after, _ := e.linkByID(t, l.ID)
			if after.TokenVersion != l.TokenVersion+1 {
				t.Errorf("token version %d → %d, want one write", l.TokenVersion, after.TokenVersion)
			}
		})
	}
}

func TestExpiredAccessTokenIsRefreshedBeforeUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testenv.SQLiteURL(t))
	ctx := context.Background()
	l := e.link(t, "ehr-1")
	first, _ := e.svc.Tokens(l.ID).AccessToken(ctx)
	e.clock.Advance(3 * time.Hour) // Withings access tokens live 3 h
	second, err := e.svc.Tokens(l.ID).AccessToken(ctx)
	if err != nil || second == first {
		t.Fatalf("after expiry: same token %v, %v", second == first, err)
	}
	wc, _ := withings.New(withings.Config{APIURL: e.api, Now: e.clock.Now}, &http.Client{}, nil)
	if _, err := wc.GetDevices(ctx, withings.StaticToken(second)); err != nil {
		t.Errorf("refreshed token rejected: %v", err)
	}
}

func TestRevokedRefreshTokenMarksNeedsReauthOnce(t *testing.T) {
	t.Parallel()
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, eng.URL(t))
			ctx := context.Background()
			l := e.link(t, "ehr-1")
			tok, _ := e.svc.Tokens(l.ID).AccessToken(ctx)
			e.emu.RevokeAccess("4242")
			before := e.emu.Count(withingstest.EndpointToken)
			_, err := e.svc.Tokens(l.ID).RefreshAccessToken(ctx, tok)
			if kindOf(err) != health.KindAuthRevoked {
				t.Fatalf("refresh after revocation: %v, want auth_revoked", err)
			}
			got, _ := e.linkByID(t, l.ID)
			if got.Status != store.LinkNeedsReauth {
				t.Errorf("link status %s, want needs_reauth", got.Status)
			}
			for range 3 { // no loop: later calls fail without asking the provider
				if _, err := e.svc.Tokens(l.ID).AccessToken(ctx); kindOf(err) != health.KindAuthRevoked {
					t.Errorf("token of a needs_reauth link: %v", err)
				}
			}
			if n := e.emu.Count(withingstest.EndpointToken) - before; n != 1 {
				t.Errorf("%d refresh attempts, want 1", n)
			}
			var events []store.AuditEvent
			_ = e.svc.db.InTx(ctx, func(tx *store.Tx) (err error) { events, err = tx.AuditEvents(ctx, l.PatientID, 10); return err })
			if len(events) == 0 || events[0].Action != "token.refresh_refused" {
				t.Errorf("audit = %+v", events)
			}
			if err != nil && strings.Contains(err.Error(), tok) {
				t.Error("error text contains the token")
			}
		})
	}
}
