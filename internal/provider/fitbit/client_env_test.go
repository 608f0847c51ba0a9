package fitbit

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/provider/fitbit/fitbittest"
)

// testNow is the emulator's "present" in tests: its generated history ends
// at midnight before it.
var testNow = time.Date(2026, 9, 27, 12, 0, 0, 0, time.UTC)

const (
	testUser     = "1173016576421350648"
	testRedirect = "https://ohx.example/link/fitbit/callback"
	testSecret   = "ohx-secret-s3cr3t"
)

// tokyo is the test user's zone, so that civil and UTC days differ.
var tokyo = time.FixedZone("JST", 9*3600)

// fakeClock is a clock tests move by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a client talking over real HTTP to an emulator with one user.
type env struct {
	emu    *fitbittest.Server
	srv    *httptest.Server
	clock  *fakeClock
	client *Client
}

// newEnv starts an emulator; tweak adjusts its config and the client's.
func newEnv(t *testing.T, tweak func(*fitbittest.Config, *Config)) *env {
	t.Helper()
	clock := &fakeClock{t: testNow}
	ecfg := fitbittest.Config{Seed: 7, Now: clock.Now, ClientID: "ohx-client", ClientSecret: testSecret}
	ccfg := Config{
		ClientID: "ohx-client", ClientSecret: testSecret, RedirectURL: testRedirect,
		Now: clock.Now, RequestTimeout: 5 * time.Second,
		Retry: RetryPolicy{MaxAttempts: 4, BaseDelay: time.Millisecond, MaxDelay: 4 * time.Millisecond},
	}
	if tweak != nil {
		tweak(&ecfg, &ccfg)
	}
	emu := fitbittest.New(ecfg)
	emu.AddUser(fitbittest.User{ID: testUser, LegacyID: "A1B2C3", Location: tokyo})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	ccfg.APIURL = srv.URL
	ccfg.AuthURL = srv.URL + fitbittest.AuthorizePath
	ccfg.TokenURL = srv.URL + fitbittest.TokenPath
	ccfg.RevokeURL = srv.URL + fitbittest.RevokePath
	client, err := New(ccfg, srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return &env{emu: emu, srv: srv, clock: clock, client: client}
}

// token returns a fresh static access token for the test user.
func (e *env) token() StaticToken {
	at, _ := e.emu.IssueToken(testUser)
	return StaticToken(at)
}

// wantKind fails the test unless err is of kind want.
func wantKind(t *testing.T, err error, want health.ErrorKind) {
	t.Helper()
	if got := health.KindOf(err); got != want {
		t.Fatalf("error kind = %q, want %q (err: %v)", got, want, err)
	}
}

// handlerTransport serves requests in memory, so that synctest bubbles
// can drive the emulator without real sockets.
type handlerTransport struct{ h http.Handler }

func (ht handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	ht.h.ServeHTTP(rec, r.Clone(r.Context()))
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	return rec.Result(), nil
}

// noSecrets fails when an error text contains any of the secrets.
func noSecrets(t *testing.T, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error text leaks a secret: %v", err)
		}
	}
	var he *health.Error
	if errors.As(err, &he) {
		for _, s := range secrets {
			if s != "" && strings.Contains(he.Message, s) {
				t.Fatalf("error message leaks a secret")
			}
		}
	}
}
