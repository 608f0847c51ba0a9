package withingstest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
)

// nonceTTL is how long a nonce from getnonce stays usable (Withings: 30 min).
const nonceTTL = 30 * time.Minute

// nonceClockSkew is how far getnonce's timestamp may be from the
// emulator's clock.
const nonceClockSkew = 10 * time.Minute

// sign is the Withings request signature: hex(HMAC-SHA256(secret, values)),
// the values of action, client_id and timestamp or nonce, in key order,
// joined with ",".
func sign(secret string, values ...string) string {
	m := hmac.New(sha256.New, []byte(secret))
	for i, v := range values {
		if i > 0 {
			m.Write([]byte{','})
		}
		m.Write([]byte(v))
	}
	return hex.EncodeToString(m.Sum(nil))
}

// validSignature checks the signature of a request. An emulator without
// ClientID configured accepts any client but still demands a signature.
func (s *Server) validSignature(clientID, got string, values ...string) bool {
	if got == "" {
		return false
	}
	if s.cfg.ClientID == "" {
		return true
	}
	return clientID == s.cfg.ClientID && hmac.Equal([]byte(got), []byte(sign(s.cfg.ClientSecret, values...)))
}

// getNonce is Signature v2 getnonce: a single-use nonce for a signed call,
// granted only to a request signed with the client secret. Refused
// signatures answer status 503 ("Invalid Params"), like refused grants.
func (s *Server) getNonce(req apiRequest) reply {
	f := req.form
	ts, err := strconv.ParseInt(f.Get("timestamp"), 10, 64)
	if err != nil {
		return invalidParams("timestamp")
	}
	if d := s.cfg.Now().Sub(time.Unix(ts, 0)); d > nonceClockSkew || d < -nonceClockSkew {
		return fail(503, "Invalid Params: timestamp too far from now")
	}
	if !s.validSignature(f.Get("client_id"), f.Get("signature"), "getnonce", f.Get("client_id"), f.Get("timestamp")) {
		return fail(503, "Invalid Params: invalid signature")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.secretLocked("nonce")
	s.nonces[n] = s.cfg.Now().Add(nonceTTL)
	return ok(map[string]any{"nonce": n})
}

// takeNonceLocked spends a nonce; false when it is unknown, used or old.
func (s *Server) takeNonceLocked(n string) bool {
	exp, found := s.nonces[n]
	delete(s.nonces, n)
	return found && s.cfg.Now().Before(exp)
}

// revokeAccess is OAuth2 revoke: a signed call that ends the application's
// access to a user, tokens and subscriptions alike.
func (s *Server) revokeAccess(req apiRequest) reply {
	f := req.form
	if !s.validSignature(f.Get("client_id"), f.Get("signature"), "revoke", f.Get("client_id"), f.Get("nonce")) {
		return fail(503, "Invalid Params: invalid signature")
	}
	s.mu.Lock()
	spent := s.takeNonceLocked(f.Get("nonce"))
	_, known := s.users[f.Get("userid")]
	s.mu.Unlock()
	switch {
	case !spent:
		return fail(503, "Invalid Params: invalid nonce")
	case !known:
		return invalidParams("userid")
	}
	s.RevokeAccess(f.Get("userid"))
	return ok(struct{}{})
}
