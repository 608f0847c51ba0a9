package fitbit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/provider/fitbit/fitbittest"
)

// consent follows an authorize URL to the emulator's redirect and returns
// the callback query.
func (e *env) consent(t *testing.T, authURL string) url.Values {
	t.Helper()
	hc := &http.Client{
		Transport:     e.srv.Client().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := hc.Get(authURL)
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
	if !strings.HasPrefix(loc.String(), testRedirect+"?") {
		t.Fatalf("redirected to %s, want the redirect URL", loc.Redacted())
	}
	return loc.Query()
}

// link runs the consent and the code exchange with PKCE.
func (e *env) link(t *testing.T) Token {
	t.Helper()
	v := NewPKCEVerifier()
	code, err := ParseCallback(e.consent(t, e.client.AuthCodeURLWithPKCE("st-1", v)), "st-1")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.client.ExchangeWithPKCE(context.Background(), code, v)
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
		"scope":        {strings.Join(DefaultScopes, " ")},
		"redirect_uri": {"https://ohx.example/cb"}, "access_type": {"offline"}, "prompt": {"consent"},
	}
	if diff := cmp.Diff(want, u.Query()); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}
	if !strings.Contains(strings.Join(DefaultScopes, " "), "settings.readonly") {
		t.Error("default scopes lack settings.readonly")
	}
	p, _ := url.Parse(c.AuthCodeURLWithPKCE("abc", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
	// RFC 7636 appendix B.
	if got := p.Query().Get("code_challenge"); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" || p.Query().Get("code_challenge_method") != "S256" {
		t.Errorf("challenge = %q", got)
	}
}

func TestConsentExchangeWithPKCE(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.link(t)
	if tok.AccessToken == "" || tok.RefreshToken == "" || !tok.Expiry.Equal(testNow.Add(3599e9)) {
		t.Errorf("token = %v", tok)
	}
	if !tok.HasScope(ScopePrefix+".settings.readonly") || len(tok.Scopes) != len(DefaultScopes) {
		t.Errorf("scopes = %v", tok.Scopes)
	}
	if tok.RefreshExpiry.IsZero() {
		t.Error("no refresh expiry")
	}
	for _, s := range []string{tok.String(), fmt.Sprintf("%#v", tok), fmt.Sprint(tok), slogText(tok)} {
		if strings.Contains(s, tok.AccessToken) || strings.Contains(s, tok.RefreshToken) {
			t.Errorf("token printed with a secret: %s", s)
		}
	}
	hid, legacy, err := e.client.Identity(context.Background(), StaticToken(tok.AccessToken))
	if err != nil || hid != testUser || legacy != "A1B2C3" {
		t.Errorf("identity = %q, %q, %v", hid, legacy, err)
	}
}

func slogText(v any) string {
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "token", v)
	return b.String()
}

func TestConsentExchangeWithoutPKCE(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	code, err := ParseCallback(e.consent(t, e.client.AuthCodeURL("st")), "st")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.Exchange(context.Background(), code); err != nil {
		t.Fatal(err)
	}
	// A code is single use.
	_, err = e.client.Exchange(context.Background(), code)
	wantKind(t, err, health.KindInvalid)
	noSecrets(t, err, code, testSecret)
}

func TestExchangeRejectsWrongVerifier(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	v := NewPKCEVerifier()
	code, err := ParseCallback(e.consent(t, e.client.AuthCodeURLWithPKCE("st", v)), "st")
	if err != nil {
		t.Fatal(err)
	}
	wrong := NewPKCEVerifier()
	_, err = e.client.ExchangeWithPKCE(context.Background(), code, wrong)
	wantKind(t, err, health.KindInvalid)
	noSecrets(t, err, code, wrong, v, testSecret)
	// Without a verifier at all, a PKCE code is refused too.
	code2, _ := ParseCallback(e.consent(t, e.client.AuthCodeURLWithPKCE("st", v)), "st")
	_, err = e.client.Exchange(context.Background(), code2)
	wantKind(t, err, health.KindInvalid)
}

func TestDeniedConsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.emu.SetConsent(testUser, true)
	_, err := ParseCallback(e.consent(t, e.client.AuthCodeURL("st")), "st")
	wantKind(t, err, health.KindForbidden)
	_, err = ParseCallback(url.Values{"state": {"other"}, "code": {"c"}}, "st")
	wantKind(t, err, health.KindInvalid)
}

func TestGranularConsent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.emu.SetGrantedScopes([]string{ScopePrefix + ".sleep.readonly"})
	tok := e.link(t)
	if diff := cmp.Diff([]string{ScopePrefix + ".sleep.readonly"}, tok.Scopes); diff != "" {
		t.Errorf("scopes (-want +got):\n%s", diff)
	}
	_, _, err := e.client.ListDataPoints(context.Background(), StaticToken(tok.AccessToken), "heart-rate",
		WindowFilter("heart-rate", testNow.Add(-2e12), testNow), "", 10)
	wantKind(t, err, health.KindForbidden)
}

func TestRefreshKeepsRefreshToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.link(t)
	fresh, err := e.client.Refresh(context.Background(), tok.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if fresh.RefreshToken != "" || fresh.AccessToken == "" || fresh.AccessToken == tok.AccessToken {
		t.Errorf("refresh = %v; Google sends no new refresh token", fresh)
	}
	// The source keeps the old refresh token and refreshes on expiry.
	var saved []Token
	src := e.client.NewRefreshingSource(tok, func(_ context.Context, t Token) error { saved = append(saved, t); return nil })
	e.clock.Advance(3600e9)
	at, err := src.AccessToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if at == tok.AccessToken || len(saved) != 1 || saved[0].RefreshToken != tok.RefreshToken {
		t.Errorf("after expiry: saved %v", saved)
	}
	if _, _, err := e.client.Identity(context.Background(), src); err != nil {
		t.Fatal(err)
	}
}

func TestRefreshInvalidGrantIsAuthRevoked(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.link(t)
	e.emu.RevokeAccess(testUser)
	_, err := e.client.Refresh(context.Background(), tok.RefreshToken)
	wantKind(t, err, health.KindAuthRevoked)
	noSecrets(t, err, tok.RefreshToken, tok.AccessToken, testSecret)
	var oe *OAuthError
	if !errors.As(err, &oe) || oe.Code != "invalid_grant" {
		t.Errorf("err = %v, want invalid_grant", err)
	}
	// A data call with the revoked grant: 401, refresh fails, revoked.
	src := e.client.NewRefreshingSource(tok, nil)
	_, _, err = e.client.Identity(context.Background(), src)
	wantKind(t, err, health.KindAuthRevoked)
}

func TestWrongSecretIsCredentialsRejected(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.link(t)
	bad, err := New(Config{ClientID: "ohx-client", ClientSecret: "wrong-secret", RedirectURL: testRedirect,
		TokenURL: e.srv.URL + fitbittest.TokenPath, Retry: RetryPolicy{MaxAttempts: 1}}, e.srv.Client(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = bad.Refresh(context.Background(), tok.RefreshToken)
	if !errors.Is(err, ErrCredentialsRejected) || health.KindOf(err) != health.KindUnavailable {
		t.Fatalf("refresh with a wrong secret: %v, want ErrCredentialsRejected of kind unavailable", err)
	}
	noSecrets(t, err, tok.RefreshToken, "wrong-secret")
	_, err = bad.Exchange(context.Background(), "4/0somecode")
	if !errors.Is(err, ErrCredentialsRejected) || health.KindOf(err) == health.KindInvalid {
		t.Errorf("exchange with a wrong secret: %v, want ErrCredentialsRejected", err)
	}
	// The grant survived: the right client still refreshes.
	if _, err := e.client.Refresh(context.Background(), tok.RefreshToken); err != nil {
		t.Errorf("refresh after the wrong secret: %v", err)
	}
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.link(t)
	if err := e.client.RevokeToken(context.Background(), tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	// Revoking again is not an error: the grant is gone either way.
	if err := e.client.RevokeToken(context.Background(), tok.AccessToken); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.client.Identity(context.Background(), StaticToken(tok.AccessToken))
	wantKind(t, err, health.KindUnauthorized)
	noSecrets(t, err, tok.AccessToken)
	_, err = e.client.Refresh(context.Background(), tok.RefreshToken)
	wantKind(t, err, health.KindAuthRevoked)
}

func TestTokenEndpointOutageIsRetried(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	tok := e.link(t)
	e.emu.InjectFault(fitbittest.EndpointToken, fitbittest.Fault{HTTPStatus: 503, Times: 2})
	if _, err := e.client.Refresh(context.Background(), tok.RefreshToken); err != nil {
		t.Fatal(err)
	}
	e.emu.InjectFault(fitbittest.EndpointToken, fitbittest.Fault{HTTPStatus: 503})
	_, err := e.client.Refresh(context.Background(), tok.RefreshToken)
	wantKind(t, err, health.KindTransient) // never auth_revoked for an outage
	noSecrets(t, err, tok.RefreshToken, testSecret)
}
