package withings

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/ohx-health/ohx/internal/health"
)

const pathSignature = "/v2/signature"

// ErrCredentialsRejected is in the chain of the error a call returns when
// Withings refuses ohx's own client id and secret, as opposed to a user's
// token: every link is affected, and nothing but a configuration change
// helps. The error's kind is KindUnavailable, so jobs wait and retry
// instead of giving up on the links.
var ErrCredentialsRejected = errors.New("withings rejected the client id or secret (OHX_WITHINGS_CLIENT_ID, OHX_WITHINGS_CLIENT_SECRET)")

// signature is hex(HMAC-SHA256(client secret, values joined with ",")),
// the values being those of action, client_id and nonce (or timestamp), in
// key order.
func (c *Client) signature(values ...string) string {
	m := hmac.New(sha256.New, []byte(c.cfg.ClientSecret))
	for i, v := range values {
		if i > 0 {
			m.Write([]byte{','})
		}
		m.Write([]byte(v))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// nonce asks Signature v2 getnonce for a single-use nonce, which only a
// request signed with the client secret obtains: it is also how ohx checks
// its credentials.
func (c *Client) nonce(ctx context.Context) (string, error) {
	ts := strconv.FormatInt(c.cfg.Now().Unix(), 10)
	form := url.Values{
		"action":    {"getnonce"},
		"client_id": {c.cfg.ClientID},
		"timestamp": {ts},
		"signature": {c.signature("getnonce", c.cfg.ClientID, ts)},
	}
	body, err := c.send(ctx, "signature getnonce", pathSignature, form, "")
	if err != nil {
		if rejectedGrant(err) {
			return "", &health.Error{Kind: health.KindUnavailable, Message: "withings signature getnonce",
				Err: fmt.Errorf("%w: %w", ErrCredentialsRejected, err)}
		}
		return "", err
	}
	var r struct {
		Nonce string `json:"nonce"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.Nonce == "" {
		return "", health.Errorf(health.KindBadProvider, "withings signature getnonce: body has no nonce")
	}
	return r.Nonce, nil
}

// CheckCredentials verifies the client id and secret with Withings. A
// refusal carries ErrCredentialsRejected; any other error means Withings
// could not be asked.
func (c *Client) CheckCredentials(ctx context.Context) error {
	_, err := c.nonce(ctx)
	return err
}

// RevokeAccess ends ohx's access to a Withings user (OAuth2 revoke): their
// tokens stop working and their notification subscriptions go. It is a
// signed call, so it needs no token of the user's.
func (c *Client) RevokeAccess(ctx context.Context, userID string) error {
	if userID == "" {
		return health.Errorf(health.KindInvalid, "withings oauth2 revoke: no user id")
	}
	n, err := c.nonce(ctx)
	if err != nil {
		return err
	}
	form := url.Values{
		"action":    {"revoke"},
		"client_id": {c.cfg.ClientID},
		"nonce":     {n},
		"signature": {c.signature("revoke", c.cfg.ClientID, n)},
		"userid":    {userID},
	}
	_, err = c.send(ctx, "oauth2 revoke", pathOAuth, form, "")
	return err
}

// explainRejectedGrant tells a refused grant from refused credentials:
// Withings answers both with the same "invalid params" status, and only
// the first is the user's to fix. It returns the error to report instead
// of a grant refusal, or nil when the credentials are fine.
func (c *Client) explainRejectedGrant(ctx context.Context) error {
	return c.CheckCredentials(ctx)
}
