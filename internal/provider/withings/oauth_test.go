package withings

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/provider/withings/withingstest"
)

// consent follows the authorize URL to the emulator's redirect and returns
// the callback query.
func (e *env) consent(t *testing.T, state string) url.Values {
	t.Helper()
	hc := &http.Client{
		Transport:     e.srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := hc.Get(e.client.AuthCodeURL(state))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(loc.String(), "https://ohx.example/link/withings/callback?") {
		t.Fatalf("redirected to %s, want the redirect URL", loc.Redacted())
	}
	return loc.Query()
}

// link runs the consent and code exchange and returns the token.
func (e *env) link(t *testing.T) Token {
	t.Helper()
	code, err := ParseCallback(e.consent(t, "st-1"), "st-1")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.client.Exchange(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	c, err := New(Config{ClientID: "id", RedirectURL: "https://ohx.example/cb"}, &http.Client{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(c.AuthCodeURL("abc"))
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != DefaultAuthURL {
		t.Errorf("base = %s, want %s", got, DefaultAuthURL)
	}
	want := url.Values{
		"response_type": {"code"}, "client_id": {"id"}, "state": {"abc"},
		"scope":        {"user.info,user.metrics,user.activity,user.sleepevents"},
		"redirect_uri": {"https://ohx.example/cb"},
	}
	if diff := cmp.Diff(want, u.Query()); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
}

func TestOAuthHappyPath(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.link(t)
	want := Token{UserID: testUser, Expiry: testNow.Add(3 * time.Hour), TokenType: "Bearer",
		Scopes: []string{"user.info", "user.metrics", "user.activity", "user.sleepevents"}}
	got := tok
	got.AccessToken, got.RefreshToken = "", ""
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("token (-want +got):\n%s", diff)
	}
	if len(tok.AccessToken) != 40 || len(tok.RefreshToken) != 40 {
		t.Errorf("tokens are not 40-hex strings")
	}
	if _, err := e.client.GetDevices(context.Background(), StaticToken(tok.AccessToken)); err != nil {
		t.Fatalf("GetDevices with the new token: %v", err)
	}
	for _, s := range []string{fmt.Sprint(tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok)} {
		if strings.Contains(s, tok.AccessToken) || strings.Contains(s, tok.RefreshToken) {
			t.Errorf("formatted token leaks a secret: %s", s)
		}
	}
}

func TestParseCallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		query    string
		want     string
		wantKind health.ErrorKind
	}{
		{"ok", "code=c1&state=s", "c1", ""},
		{"state mismatch", "code=c1&state=other", "", health.KindInvalid},
		{"state missing", "code=c1", "", health.KindInvalid},
		{"state prefix", "code=c1&state=s2", "", health.KindInvalid},
		{"denied", "error=access_denied&state=s", "", health.KindForbidden},
		{"denied with forged state", "error=access_denied&state=x", "", health.KindInvalid},
		{"other error", "error=server_error&state=s", "", health.KindInvalid},
		{"no code", "state=s", "", health.KindInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q, _ := url.ParseQuery(tt.query)
			got, err := ParseCallback(q, "s")
			wantKind(t, err, tt.wantKind)
			if got != tt.want {
				t.Errorf("code = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := ParseCallback(url.Values{"state": {""}, "code": {"c"}}, ""); health.KindOf(err) != health.KindInvalid {
		t.Errorf("an empty expected state must never match")
	}
}

func TestOAuthDeniedConsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.emu.SetConsent(testUser, true)
	q := e.consent(t, "st-9")
	if q.Get("error") != "access_denied" || q.Get("state") != "st-9" || q.Has("code") {
		t.Fatalf("callback query = %v, want error=access_denied with the state and no code", q)
	}
	_, err := ParseCallback(q, "st-9")
	wantKind(t, err, health.KindForbidden)
}

func TestExchangeFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  func(t *testing.T, e *env, code string) error
	}{
		{"expired code", func(t *testing.T, e *env, code string) error {
			e.clock.Advance(31 * time.Second)
			_, err := e.client.Exchange(context.Background(), code)
			return err
		}},
		{"reused code", func(t *testing.T, e *env, code string) error {
			if _, err := e.client.Exchange(context.Background(), code); err != nil {
				t.Fatalf("first exchange: %v", err)
			}
			_, err := e.client.Exchange(context.Background(), code)
			return err
		}},
		{"unknown code", func(t *testing.T, e *env, _ string) error {
			_, err := e.client.Exchange(context.Background(), "0123456789abcdef0123456789abcdef01234567")
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			code, err := ParseCallback(e.consent(t, "s"), "s")
			if err != nil {
				t.Fatal(err)
			}
			err = tt.run(t, e, code)
			wantKind(t, err, health.KindInvalid)
			noSecrets(t, err, code, "ohx-secret")
		})
	}
}

func TestExchangeWithinCodeLife(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	code, err := ParseCallback(e.consent(t, "s"), "s")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(29 * time.Second)
	if _, err := e.client.Exchange(context.Background(), code); err != nil {
		t.Fatalf("exchange 29 s after consent: %v", err)
	}
}

func TestRefreshRevoked(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(e *env, tok Token) string
	}{
		{"access revoked by the user", func(e *env, tok Token) string {
			e.emu.RevokeAccess(testUser)
			return tok.RefreshToken
		}},
		{"unknown refresh token", func(*env, Token) string { return "ffffffffffffffffffffffffffffffffffffffff" }},
		{"empty refresh token", func(*env, Token) string { return "" }},
		{"refresh token past its year", func(e *env, tok Token) string {
			e.clock.Advance(366 * 24 * time.Hour)
			return tok.RefreshToken
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			tok := e.link(t)
			rt := tt.prepare(e, tok)
			_, err := e.client.Refresh(context.Background(), rt)
			wantKind(t, err, health.KindAuthRevoked)
			noSecrets(t, err, rt, "ohx-secret")
		})
	}
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	first := e.link(t)
	second, err := e.client.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatal("refresh did not rotate the pair")
	}
	// The old refresh token survives until the new access token is used: a
	// worker that lost the first answer can repeat the refresh.
	again, err := e.client.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatalf("old refresh token before the new access token was used: %v", err)
	}
	if _, err := e.client.GetDevices(ctx, StaticToken(again.AccessToken)); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.Refresh(ctx, first.RefreshToken)
	wantKind(t, err, health.KindAuthRevoked)
	if _, err := e.client.Refresh(ctx, again.RefreshToken); err != nil {
		t.Fatalf("new refresh token: %v", err)
	}
}

func TestOldRefreshTokenExpiresAfterEightHours(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	first := e.link(t)
	if _, err := e.client.Refresh(context.Background(), first.RefreshToken); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(8*time.Hour + time.Second)
	_, err := e.client.Refresh(context.Background(), first.RefreshToken)
	wantKind(t, err, health.KindAuthRevoked)
}

func TestRefreshingSource(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	var saved []Token
	src := e.client.NewRefreshingSource(e.link(t), func(_ context.Context, tok Token) error {
		saved = append(saved, tok)
		return nil
	})
	// An expired access token is refreshed before the call.
	e.clock.Advance(3*time.Hour + time.Second)
	if _, err := e.client.GetDevices(ctx, src); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	// A rejected access token (status 401) is refreshed once and retried.
	e.emu.InjectFault(withingstest.EndpointGetDevice, withingstest.Fault{Status: 401, Times: 1})
	if _, err := e.client.GetDevices(ctx, src); err != nil {
		t.Fatalf("after one 401: %v", err)
	}
	if got := e.emu.Count(withingstest.EndpointToken); got != 3 {
		t.Errorf("token endpoint calls = %d, want 3 (exchange and two refreshes)", got)
	}
	if len(saved) != 2 || saved[1].AccessToken != src.Token().AccessToken {
		t.Errorf("saved %d token pairs, want 2 ending with the current one", len(saved))
	}
	// A second rejection after a refresh means the grant is gone.
	e.emu.InjectFault(withingstest.EndpointGetDevice, withingstest.Fault{Status: 401, Times: 2})
	_, err := e.client.GetDevices(ctx, src)
	wantKind(t, err, health.KindAuthRevoked)
	noSecrets(t, err, src.Token().AccessToken, src.Token().RefreshToken)
}

func TestStaticTokenRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.token()
	e.clock.Advance(3 * time.Hour)
	_, err := e.client.GetDevices(context.Background(), tok)
	wantKind(t, err, health.KindUnauthorized)
	noSecrets(t, err, string(tok))
}
