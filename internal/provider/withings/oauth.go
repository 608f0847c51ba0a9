package withings

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/provider"
)

// DefaultScopes are the scopes ohx asks for: profile, measures, activity
// and sleep. Withings separates them with commas, not spaces.
var DefaultScopes = []string{"user.info", "user.metrics", "user.activity", "user.sleepevents"}

// Token is the credential pair Withings issues for one user. Every refresh
// returns a new refresh token that must be stored before it is used; the old
// one stays valid until the new access token is first used.
type Token struct {
	UserID       string // the Withings userid, always as a string
	AccessToken  string
	RefreshToken string
	Expiry       time.Time
	Scopes       []string
	TokenType    string
}

// Expired reports whether the access token is expired at now, or within
// leeway of it.
func (t Token) Expired(now time.Time, leeway time.Duration) bool {
	return !t.Expiry.IsZero() && !now.Add(leeway).Before(t.Expiry)
}

// String hides the secrets, so that a Token printed by mistake leaks
// nothing.
func (t Token) String() string {
	return fmt.Sprintf("withings.Token{UserID:%s Expiry:%s Scopes:%s}",
		t.UserID, t.Expiry.Format(time.RFC3339), strings.Join(t.Scopes, ","))
}

// GoString hides the secrets from %#v as String does for %v.
func (t Token) GoString() string { return t.String() }

// LogValue hides the secrets from slog.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user_id", t.UserID), slog.Time("expiry", t.Expiry))
}

// tokenReply is the body of a requesttoken answer. userid arrives as a JSON
// number or a string depending on the era.
type tokenReply struct {
	UserID       userIDText `json:"userid"`
	AccessToken  string     `json:"access_token"`
	RefreshToken string     `json:"refresh_token"`
	ExpiresIn    int64      `json:"expires_in"`
	Scope        string     `json:"scope"`
	TokenType    string     `json:"token_type"`
}

// userIDText reads a JSON number or string into its decimal text.
type userIDText string

// UnmarshalJSON accepts 363, "363" and null.
func (u *userIDText) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return errors.New("userid is not a valid string")
		}
		*u = userIDText(s)
		return nil
	}
	if _, err := strconv.ParseUint(string(data), 10, 64); err != nil {
		return errors.New("userid is neither a string nor an unsigned integer")
	}
	*u = userIDText(data)
	return nil
}

// AuthCodeURL returns the Withings consent page URL for state, which the
// caller generates, stores for single use and checks with ParseCallback.
func (c *Client) AuthCodeURL(state string) string {
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {c.cfg.ClientID},
		"state":         {state},
		"scope":         {strings.Join(c.cfg.Scopes, ",")},
		"redirect_uri":  {c.cfg.RedirectURL},
	}
	sep := "?"
	if strings.Contains(c.cfg.AuthURL, "?") {
		sep = "&"
	}
	return c.cfg.AuthURL + sep + q.Encode()
}

// ParseCallback checks the query of the redirect back from Withings against
// the state the caller issued and returns the authorization code. A state
// mismatch is KindInvalid; a refused consent (error=access_denied) is
// KindForbidden; the code must then be exchanged within 30 seconds.
func ParseCallback(query url.Values, wantState string) (string, error) {
	got := query.Get("state")
	if wantState == "" || subtle.ConstantTimeCompare([]byte(got), []byte(wantState)) != 1 {
		return "", health.Errorf(health.KindInvalid, "withings authorization: state does not match")
	}
	switch e := query.Get("error"); {
	case e == "access_denied":
		return "", health.Errorf(health.KindForbidden, "withings authorization: the user denied access")
	case e != "":
		return "", health.Errorf(health.KindInvalid, "withings authorization: consent failed")
	}
	code := query.Get("code")
	if code == "" {
		return "", health.Errorf(health.KindInvalid, "withings authorization: no code in the callback")
	}
	return code, nil
}

// Exchange trades an authorization code for a token pair. A code that is
// unknown, expired (after 30 s) or already used is KindInvalid: the user has
// to consent again.
func (c *Client) Exchange(ctx context.Context, code string) (Token, error) {
	if code == "" {
		return Token{}, health.Errorf(health.KindInvalid, "withings oauth2 exchange: empty code")
	}
	form := url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {c.cfg.RedirectURL},
	}
	tok, err := c.requestToken(ctx, "exchange", form)
	if rejectedGrant(err) {
		if cerr := c.explainRejectedGrant(ctx); cerr != nil {
			return Token{}, cerr
		}
		return Token{}, health.Wrap(health.KindInvalid, err, "withings oauth2 exchange: authorization code rejected")
	}
	return tok, err
}

// Refresh trades a refresh token for a new token pair. Withings rotates the
// refresh token: the caller must store the new pair before using it. A
// refresh token Withings no longer accepts is KindAuthRevoked: the link
// needs the user's consent again, and retrying cannot help.
func (c *Client) Refresh(ctx context.Context, refreshToken string) (Token, error) {
	if refreshToken == "" {
		return Token{}, health.Errorf(health.KindAuthRevoked, "withings oauth2 refresh: no refresh token")
	}
	form := url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
	}
	tok, err := c.requestToken(ctx, "refresh", form)
	if rejectedGrant(err) {
		// Not before ohx's own credentials are known good: a wrong
		// secret would otherwise cost every link its consent.
		if cerr := c.explainRejectedGrant(ctx); cerr != nil {
			return Token{}, cerr
		}
		return Token{}, health.Wrap(health.KindAuthRevoked, err, "withings oauth2 refresh: refresh token rejected")
	}
	return tok, err
}

// rejectedGrant reports whether the token endpoint refused the grant itself
// (an authentication, invalid-params or unauthorized status) rather than
// failing for a reason that may pass, such as 601 or "an error occurred".
func rejectedGrant(err error) bool {
	switch health.KindOf(err) {
	case health.KindUnauthorized, health.KindInvalid, health.KindForbidden:
		var code *StatusError
		return errors.As(err, &code)
	}
	return false
}

func (c *Client) requestToken(ctx context.Context, what string, form url.Values) (Token, error) {
	op := "oauth2 " + what
	form.Set("action", "requesttoken")
	form.Set("client_id", c.cfg.ClientID)
	form.Set("client_secret", c.cfg.ClientSecret)
	body, err := c.send(ctx, op, pathOAuth, form, "")
	if err != nil {
		return Token{}, err
	}
	var r tokenReply
	if err := json.Unmarshal(body, &r); err != nil {
		return Token{}, health.Errorf(health.KindBadProvider, "withings %s: unreadable token body", op)
	}
	if r.AccessToken == "" || r.RefreshToken == "" || r.UserID == "" {
		return Token{}, health.Errorf(health.KindBadProvider, "withings %s: token body lacks a token or userid", op)
	}
	tok := Token{
		UserID:       string(r.UserID),
		AccessToken:  r.AccessToken,
		RefreshToken: r.RefreshToken,
		TokenType:    r.TokenType,
	}
	if r.ExpiresIn > 0 {
		tok.Expiry = c.cfg.Now().Add(time.Duration(r.ExpiresIn) * time.Second)
	}
	if r.Scope != "" {
		tok.Scopes = strings.Split(r.Scope, ",")
	}
	return tok, nil
}

// RefreshingSource is an in-process TokenSource over one user's Token (see
// provider.RefreshingSource).
type RefreshingSource = provider.RefreshingSource[Token]

// refreshLeeway refreshes a token this long before it expires, so that a
// request does not race the expiry.
const refreshLeeway = time.Minute

// NewRefreshingSource returns a RefreshingSource starting from tok; save may
// be nil.
func (c *Client) NewRefreshingSource(tok Token, save func(context.Context, Token) error) *RefreshingSource {
	return provider.NewRefreshingSource(provider.TokenOps[Token]{
		Name:    "withings",
		Access:  func(t Token) string { return t.AccessToken },
		Stale:   func(t Token) bool { return t.Expired(c.cfg.Now(), refreshLeeway) },
		Refresh: func(ctx context.Context, old Token) (Token, error) { return c.Refresh(ctx, old.RefreshToken) },
	}, tok, save)
}
