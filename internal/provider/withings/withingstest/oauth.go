package withingstest

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// authCode is an authorization code: single use, valid for CodeTTL.
type authCode struct {
	userID, redirectURI, scope string
	expires                    time.Time
	used                       bool
}

// accessGrant is an access token. parent is the refresh token that was
// rotated to issue it; its first use ends that token's life.
type accessGrant struct {
	userID, scope, parent string
	expires               time.Time
	used                  bool
}

// refreshGrant is a refresh token; superseded is when a refresh replaced
// it, after which it lives OldRefreshTTL at most.
type refreshGrant struct {
	userID, scope string
	expires       time.Time
	superseded    time.Time
}

// refreshTokenTTL is the life of a refresh token that is never rotated.
const refreshTokenTTL = 365 * 24 * time.Hour

// SetConsent chooses the user who consents on the authorize page, and
// whether the consent is refused (redirect with error=access_denied).
func (s *Server) SetConsent(userID string, deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consentUser, s.denyConsent = userID, deny
}

// authorize is the consent page: it consents at once for the consenting
// user and redirects to redirect_uri with code and state.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	switch {
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	case s.cfg.ClientID != "" && q.Get("client_id") != s.cfg.ClientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	case err != nil || redirect.Scheme == "" || redirect.Host == "":
		http.Error(w, "redirect_uri must be an absolute URL", http.StatusBadRequest)
		return
	case q.Get("state") == "" || q.Get("scope") == "":
		http.Error(w, "state and scope are required", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	code, deny, found := s.newCode(q.Get("redirect_uri"), q.Get("scope"))
	switch {
	case !found:
		http.Error(w, "no user is configured to consent", http.StatusBadRequest)
		return
	case deny:
		back.Set("error", "access_denied")
	default:
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (s *Server) newCode(redirectURI, scope string) (code string, deny, found bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, found = s.users[s.consentUser]; !found {
		return "", false, false
	}
	if s.denyConsent {
		return "", true, true
	}
	code = s.secretLocked("code")
	s.codes[code] = &authCode{userID: s.consentUser, redirectURI: redirectURI, scope: scope,
		expires: s.cfg.Now().Add(s.cfg.CodeTTL)}
	return code, false, true
}

// secretLocked returns a fresh 40-hex token derived from the seed.
func (s *Server) secretLocked(kind string) string {
	s.seq++
	h := sha1.New()
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], s.cfg.Seed)
	binary.BigEndian.PutUint64(b[8:], s.seq)
	h.Write(b[:])
	h.Write([]byte(kind))
	return hex.EncodeToString(h.Sum(nil))
}

// requestToken is POST /v2/oauth2 action=requesttoken for both grants.
// Refused grants answer status 503 ("Invalid Params"), as Withings does.
func (s *Server) requestToken(req apiRequest) reply {
	f := req.form
	if s.cfg.ClientID != "" && (f.Get("client_id") != s.cfg.ClientID ||
		subtle.ConstantTimeCompare([]byte(f.Get("client_secret")), []byte(s.cfg.ClientSecret)) != 1) {
		return fail(503, "Invalid Params: invalid client")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	switch f.Get("grant_type") {
	case "authorization_code":
		c := s.codes[f.Get("code")]
		if c == nil || c.used || !now.Before(c.expires) || c.redirectURI != f.Get("redirect_uri") {
			return fail(503, "Invalid Params: invalid code")
		}
		c.used = true
		return ok(s.issueLocked(c.userID, c.scope, ""))
	case "refresh_token":
		rt := f.Get("refresh_token")
		g := s.refresh[rt]
		if g == nil || !s.refreshValidLocked(g, now) {
			return fail(503, "Invalid Params: invalid refresh_token")
		}
		if g.superseded.IsZero() {
			g.superseded = now
		}
		return ok(s.issueLocked(g.userID, g.scope, rt))
	default:
		return fail(503, "Invalid Params: invalid grant_type")
	}
}

func (s *Server) refreshValidLocked(g *refreshGrant, now time.Time) bool {
	if !now.Before(g.expires) {
		return false
	}
	return g.superseded.IsZero() || now.Before(g.superseded.Add(s.cfg.OldRefreshTTL))
}

// issueLocked creates a token pair and the requesttoken body for it.
func (s *Server) issueLocked(userID, scope, parent string) map[string]any {
	now := s.cfg.Now()
	at, rt := s.secretLocked("access"), s.secretLocked("refresh")
	s.access[at] = &accessGrant{userID: userID, scope: scope, parent: parent, expires: now.Add(s.cfg.AccessTokenTTL)}
	s.refresh[rt] = &refreshGrant{userID: userID, scope: scope, expires: now.Add(refreshTokenTTL)}
	uid, err := strconv.ParseInt(userID, 10, 64)
	var wireUID any = userID // a non-numeric test user id goes out as a string
	if err == nil {
		wireUID = uid
	}
	return map[string]any{
		"userid":        wireUID,
		"access_token":  at,
		"refresh_token": rt,
		"expires_in":    int64(s.cfg.AccessTokenTTL / time.Second),
		"scope":         scope,
		"csrf_token":    s.secretLocked("csrf")[:32],
		"token_type":    "Bearer",
	}
}

// authenticate finds the user of the request's bearer token (or legacy
// access_token parameter). The first use of an access token issued by a
// refresh ends the life of the refresh token it replaced.
func (s *Server) authenticate(r *http.Request) (string, bool) {
	token, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found {
		token = r.Form.Get("access_token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.access[strings.TrimSpace(token)]
	if g == nil || !s.cfg.Now().Before(g.expires) {
		return "", false
	}
	if _, exists := s.users[g.userID]; !exists {
		return "", false
	}
	if !g.used {
		g.used = true
		delete(s.refresh, g.parent)
	}
	return g.userID, true
}

// IssueToken returns a fresh access and refresh token for userID without
// the consent dance, with every scope.
func (s *Server) IssueToken(userID string) (accessToken, refreshToken string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	body := s.issueLocked(userID, "user.info,user.metrics,user.activity,user.sleepevents", "")
	return body["access_token"].(string), body["refresh_token"].(string)
}

// RevokeAccess withdraws the user's consent, as the Withings app does: every
// token of the user stops working and their subscriptions are removed.
func (s *Server) RevokeAccess(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, g := range s.access {
		if g.userID == userID {
			delete(s.access, k)
		}
	}
	for k, g := range s.refresh {
		if g.userID == userID {
			delete(s.refresh, k)
		}
	}
	kept := s.subs[:0]
	for _, sub := range s.subs {
		if sub.UserID != userID {
			kept = append(kept, sub)
		}
	}
	s.subs = kept
}
