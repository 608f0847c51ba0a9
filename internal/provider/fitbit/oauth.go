package fitbit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// Token is what Google's token endpoint issues for one user. A refresh
// usually returns no new refresh token (§2.1): RefreshToken is then empty
// and the caller keeps the one it has.
type Token struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	// Expiry is when the access token expires; zero when Google gave no
	// expires_in.
	Expiry time.Time
	// RefreshExpiry is when the refresh token expires (Testing-mode apps:
	// 7 days after consent); zero when Google gave no
	// refresh_token_expires_in.
	RefreshExpiry time.Time
	// Scopes are the scopes actually granted, which may be fewer than
	// requested: consent is granular (§2.1).
	Scopes []string
}

// Expired reports whether the access token is expired at now, or within
// leeway of it.
func (t Token) Expired(now time.Time, leeway time.Duration) bool {
	return !t.Expiry.IsZero() && !now.Add(leeway).Before(t.Expiry)
}

// HasScope reports whether scope was granted.
func (t Token) HasScope(scope string) bool {
	for _, s := range t.Scopes {
		if s == scope {
			return true
		}
	}
	return false
}

// String hides the secrets, so that a Token printed by mistake leaks
// nothing.
func (t Token) String() string {
	return fmt.Sprintf("fitbit.Token{Expiry:%s RefreshToken:%t Scopes:%s}",
		t.Expiry.Format(time.RFC3339), t.RefreshToken != "", strings.Join(t.Scopes, " "))
}

// GoString hides the secrets from %#v as String does for %v.
func (t Token) GoString() string { return t.String() }

// LogValue hides the secrets from slog.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.Time("expiry", t.Expiry), slog.Bool("has_refresh_token", t.RefreshToken != ""),
		slog.Int("scopes", len(t.Scopes)))
}

// tokenReply is the token endpoint's JSON answer.
type tokenReply struct {
	AccessToken           string `json:"access_token"`
	RefreshToken          string `json:"refresh_token"`
	ExpiresIn             int64  `json:"expires_in"`
	RefreshTokenExpiresIn int64  `json:"refresh_token_expires_in"`
	Scope                 string `json:"scope"`
	TokenType             string `json:"token_type"`
}

// AuthCodeURL returns Google's consent page URL for state, which the caller
// generates, stores for single use and checks with ParseCallback. It asks
// for offline access and forces the consent screen, so that every consent
// yields a refresh token (§2.1). Prefer AuthCodeURLWithPKCE.
func (c *Client) AuthCodeURL(state string) string {
	return c.authCodeURL(state, nil)
}

// AuthCodeURLWithPKCE is AuthCodeURL with an S256 PKCE challenge derived
// from verifier, which the caller generates with NewPKCEVerifier, stores
// with state and passes to ExchangeWithPKCE.
func (c *Client) AuthCodeURLWithPKCE(state, verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return c.authCodeURL(state, url.Values{
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	})
}

func (c *Client) authCodeURL(state string, extra url.Values) string {
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {c.cfg.ClientID},
		"redirect_uri":  {c.cfg.RedirectURL},
		"scope":         {strings.Join(c.cfg.Scopes, " ")},
		"state":         {state},
		"access_type":   {"offline"},
		"prompt":        {"consent"},
	}
	for k, v := range extra {
		q[k] = v
	}
	sep := "?"
	if strings.Contains(c.cfg.AuthURL, "?") {
		sep = "&"
	}
	return c.cfg.AuthURL + sep + q.Encode()
}

// NewPKCEVerifier returns a fresh random PKCE code verifier (43 characters
// of base64url, RFC 7636 §4.1).
func NewPKCEVerifier() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ParseCallback checks the query of the redirect back from Google against
// the state the caller issued and returns the authorization code. A state
// mismatch is KindInvalid; a refused consent (error=access_denied) is
// KindForbidden.
func ParseCallback(query url.Values, wantState string) (string, error) {
	got := query.Get("state")
	if wantState == "" || subtle.ConstantTimeCompare([]byte(got), []byte(wantState)) != 1 {
		return "", health.Errorf(health.KindInvalid, "fitbit authorization: state does not match")
	}
	switch e := query.Get("error"); {
	case e == "access_denied":
		return "", health.Errorf(health.KindForbidden, "fitbit authorization: the user denied access")
	case e != "":
		return "", health.Errorf(health.KindInvalid, "fitbit authorization: consent failed")
	}
	code := query.Get("code")
	if code == "" {
		return "", health.Errorf(health.KindInvalid, "fitbit authorization: no code in the callback")
	}
	return code, nil
}

// Exchange trades an authorization code obtained without PKCE for a token.
// A code Google refuses (unknown, expired, used; invalid_grant) is
// KindInvalid: the user has to consent again. A refused client is
// KindUnavailable with ErrCredentialsRejected.
func (c *Client) Exchange(ctx context.Context, code string) (Token, error) {
	return c.exchange(ctx, code, "")
}

// ExchangeWithPKCE is Exchange for a code obtained with
// AuthCodeURLWithPKCE; verifier is the one the challenge was derived from.
// A wrong verifier is refused like a bad code (KindInvalid).
func (c *Client) ExchangeWithPKCE(ctx context.Context, code, verifier string) (Token, error) {
	if verifier == "" {
		return Token{}, health.Errorf(health.KindInvalid, "fitbit oauth2 exchange: empty PKCE verifier")
	}
	return c.exchange(ctx, code, verifier)
}

func (c *Client) exchange(ctx context.Context, code, verifier string) (Token, error) {
	if code == "" {
		return Token{}, health.Errorf(health.KindInvalid, "fitbit oauth2 exchange: empty code")
	}
	form := url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {c.cfg.RedirectURL},
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	tok, err := c.requestToken(ctx, "oauth2 exchange", form)
	if err != nil {
		return Token{}, err
	}
	if tok.RefreshToken == "" {
		// Without access_type=offline and prompt=consent Google sends none;
		// a link without one dies within the hour.
		return Token{}, health.Errorf(health.KindBadProvider, "fitbit oauth2 exchange: no refresh token issued")
	}
	return tok, nil
}

// Refresh trades a refresh token for a new access token. Google usually
// returns no new refresh token: RefreshToken is then empty and the caller
// keeps the old one. A refresh token Google no longer accepts
// (invalid_grant: revoked, expired after 7 days in Testing mode, unused for
// 6 months) is KindAuthRevoked: the link needs the user's consent again. A
// refused client is KindUnavailable with ErrCredentialsRejected, never
// KindAuthRevoked, so a configuration mistake costs no link its consent.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (Token, error) {
	if refreshToken == "" {
		return Token{}, health.Errorf(health.KindAuthRevoked, "fitbit oauth2 refresh: no refresh token")
	}
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
	}
	tok, err := c.requestToken(ctx, "oauth2 refresh", form)
	if err != nil && oauthCodeOf(err) == "invalid_grant" {
		return Token{}, health.Wrap(health.KindAuthRevoked, err, "fitbit oauth2 refresh: refresh token rejected")
	}
	return tok, err
}

func (c *Client) requestToken(ctx context.Context, op string, form url.Values) (Token, error) {
	form.Set("client_id", c.cfg.ClientID)
	form.Set("client_secret", c.cfg.ClientSecret)
	raw, err := c.send(ctx, request{op: op, method: http.MethodPost, url: c.cfg.TokenURL, form: form, judge: c.judgeOAuth})
	if err != nil {
		return Token{}, err
	}
	var r tokenReply
	if err := json.Unmarshal(raw, &r); err != nil {
		return Token{}, health.Errorf(health.KindBadProvider, "fitbit %s: unreadable token body", op)
	}
	if r.AccessToken == "" {
		return Token{}, health.Errorf(health.KindBadProvider, "fitbit %s: token body lacks an access token", op)
	}
	now := c.cfg.Now()
	tok := Token{AccessToken: r.AccessToken, RefreshToken: r.RefreshToken, TokenType: r.TokenType,
		Scopes: strings.Fields(r.Scope)}
	if r.ExpiresIn > 0 {
		tok.Expiry = now.Add(time.Duration(r.ExpiresIn) * time.Second)
	}
	if r.RefreshTokenExpiresIn > 0 {
		tok.RefreshExpiry = now.Add(time.Duration(r.RefreshTokenExpiresIn) * time.Second)
	}
	return tok, nil
}

// RevokeToken revokes the user's grant through an access or refresh token
// (Google revokes the whole grant either way). A token Google already
// considers invalid (invalid_token) counts as revoked: the goal is met.
func (c *Client) RevokeToken(ctx context.Context, token string) error {
	if token == "" {
		return health.Errorf(health.KindInvalid, "fitbit oauth2 revoke: empty token")
	}
	_, err := c.send(ctx, request{op: "oauth2 revoke", method: http.MethodPost, url: c.cfg.RevokeURL,
		form: url.Values{"token": {token}}, judge: c.judgeOAuth})
	if err != nil && oauthCodeOf(err) == "invalid_token" {
		return nil
	}
	return err
}
