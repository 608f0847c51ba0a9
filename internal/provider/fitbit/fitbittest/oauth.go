package fitbittest

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// ScopePrefix starts every Google Health API scope.
const ScopePrefix = "https://www.googleapis.com/auth/googlehealth"

// ReadScopes are the read-only scopes the emulator knows; IssueToken grants
// them all.
var ReadScopes = []string{
	ScopePrefix + ".activity_and_fitness.readonly",
	ScopePrefix + ".health_metrics_and_measurements.readonly",
	ScopePrefix + ".sleep.readonly",
	ScopePrefix + ".ecg.readonly",
	ScopePrefix + ".irn.readonly",
	ScopePrefix + ".settings.readonly",
	ScopePrefix + ".profile.readonly",
}

// authCode is an authorization code: single use, valid for CodeTTL.
type authCode struct {
	userID, redirectURI string
	scopes              []string
	challenge, method   string
	expires             time.Time
	used                bool
}

// grant is one consent: its refresh token and scopes. Revoking any token of
// a grant revokes the grant.
type grant struct {
	userID  string
	scopes  []string
	refresh string
	expires time.Time
	revoked bool
}

// accessToken is an access token of a grant.
type accessToken struct {
	g       *grant
	expires time.Time
}

// SetConsent chooses the user who consents on the authorize page, and
// whether the consent is refused (redirect with error=access_denied).
func (s *Server) SetConsent(userID string, deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.consentUser, s.denyConsent = userID, deny
}

// SetGrantedScopes emulates granular consent: later consents grant only
// those of the requested scopes that are in scopes (nil: all requested).
func (s *Server) SetGrantedScopes(scopes []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grantOnly = slices.Clone(scopes)
}

// authorize is the consent page: it consents at once as the consenting
// user and redirects to redirect_uri with code and state, or with
// error=access_denied.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	method := q.Get("code_challenge_method")
	switch {
	case q.Get("response_type") != "code":
		http.Error(w, "Error 400: invalid_request: response_type must be code", http.StatusBadRequest)
		return
	case s.cfg.ClientID != "" && q.Get("client_id") != s.cfg.ClientID:
		http.Error(w, "Error 401: invalid_client: The OAuth client was not found.", http.StatusUnauthorized)
		return
	case err != nil || redirect.Scheme == "" || redirect.Host == "":
		http.Error(w, "Error 400: redirect_uri_mismatch", http.StatusBadRequest)
		return
	case q.Get("scope") == "":
		http.Error(w, "Error 400: invalid_request: Missing required parameter: scope", http.StatusBadRequest)
		return
	case q.Get("code_challenge") != "" && method != "" && method != "S256" && method != "plain":
		http.Error(w, "Error 400: invalid_request: Invalid code_challenge_method", http.StatusBadRequest)
		return
	}
	if q.Get("code_challenge") != "" && method == "" {
		method = "plain"
	}
	back := redirect.Query()
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	code, granted, deny, found := s.newCode(q.Get("redirect_uri"), strings.Fields(q.Get("scope")), q.Get("code_challenge"), method)
	switch {
	case !found:
		http.Error(w, "no user is configured to consent", http.StatusBadRequest)
		return
	case deny:
		back.Set("error", "access_denied")
	default:
		back.Set("code", code)
		back.Set("scope", strings.Join(granted, " "))
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

func (s *Server) newCode(redirectURI string, scopes []string, challenge, method string) (code string, granted []string, deny, found bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, found = s.users[s.consentUser]; !found {
		return "", nil, false, false
	}
	if s.denyConsent {
		return "", nil, true, true
	}
	if s.grantOnly != nil {
		scopes = slices.DeleteFunc(slices.Clone(scopes), func(sc string) bool { return !slices.Contains(s.grantOnly, sc) })
	}
	code = "4/0" + s.secretLocked("code")
	s.codes[code] = &authCode{userID: s.consentUser, redirectURI: redirectURI, scopes: scopes,
		challenge: challenge, method: method, expires: s.cfg.Now().Add(s.cfg.CodeTTL)}
	return code, scopes, false, true
}

// secretLocked returns a fresh token derived from the seed.
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

// clientOK checks the client credentials, from the form body or HTTP Basic.
func (s *Server) clientOK(r *http.Request) bool {
	if s.cfg.ClientID == "" {
		return true
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	return id == s.cfg.ClientID && subtle.ConstantTimeCompare([]byte(secret), []byte(s.cfg.ClientSecret)) == 1
}

// token is POST /token for the authorization_code and refresh_token
// grants.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Unreadable request body")
		return
	}
	if !s.clientOK(r) {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "Unauthorized")
		return
	}
	f := r.PostForm
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	switch f.Get("grant_type") {
	case "authorization_code":
		c := s.codes[f.Get("code")]
		if c == nil || c.used || !now.Before(c.expires) {
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Malformed auth code.")
			return
		}
		if c.redirectURI != f.Get("redirect_uri") {
			writeOAuthError(w, http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request")
			return
		}
		if !pkceOK(c, f.Get("code_verifier")) {
			c.used = true
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Missing code verifier.")
			return
		}
		c.used = true
		g := &grant{userID: c.userID, scopes: c.scopes, refresh: "1//0" + s.secretLocked("refresh"),
			expires: now.Add(s.cfg.RefreshTokenTTL)}
		s.grants[g.refresh] = g
		body := s.accessLocked(g, now)
		body["refresh_token"] = g.refresh
		writeJSON(w, http.StatusOK, body)
	case "refresh_token":
		g := s.grants[f.Get("refresh_token")]
		if g == nil || g.revoked || !now.Before(g.expires) {
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Bad Request")
			return
		}
		writeJSON(w, http.StatusOK, s.accessLocked(g, now)) // no new refresh token (§2.1)
	case "":
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Missing required parameter: grant_type")
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type")
	}
}

// pkceOK checks the verifier against the code's challenge; a code issued
// without a challenge needs no verifier.
func pkceOK(c *authCode, verifier string) bool {
	if c.challenge == "" {
		return true
	}
	if verifier == "" {
		return false
	}
	want := verifier
	if c.method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(c.challenge)) == 1
}

// accessLocked issues an access token of g and the token response without
// a refresh token.
func (s *Server) accessLocked(g *grant, now time.Time) map[string]any {
	at := "ya29." + s.secretLocked("access")
	s.access[at] = &accessToken{g: g, expires: now.Add(s.cfg.AccessTokenTTL)}
	return map[string]any{
		"access_token":             at,
		"expires_in":               int64(s.cfg.AccessTokenTTL / time.Second),
		"refresh_token_expires_in": int64(g.expires.Sub(now) / time.Second),
		"scope":                    strings.Join(g.scopes, " "),
		"token_type":               "Bearer",
	}
}

// revoke is POST /revoke token=…: an access or refresh token revokes its
// whole grant.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "Unreadable request body")
		return
	}
	tok := r.Form.Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	var g *grant
	if a := s.access[tok]; a != nil {
		g = a.g
	} else {
		g = s.grants[tok]
	}
	if g == nil || g.revoked {
		writeOAuthError(w, http.StatusBadRequest, "invalid_token", "Token expired or revoked")
		return
	}
	g.revoked = true
	writeJSON(w, http.StatusOK, map[string]any{})
}

// authenticate finds the grant of the request's bearer token; missing
// reports that there was no token at all.
func (s *Server) authenticate(r *http.Request) (g *grant, missing bool) {
	token, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !found || strings.TrimSpace(token) == "" {
		return nil, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.access[strings.TrimSpace(token)]
	if a == nil || a.g.revoked || !s.cfg.Now().Before(a.expires) {
		return nil, false
	}
	if _, exists := s.users[a.g.userID]; !exists {
		return nil, false
	}
	return a.g, false
}

// IssueToken returns a fresh access and refresh token for userID without
// the consent dance, with every scope of ReadScopes.
func (s *Server) IssueToken(userID string) (access, refresh string) {
	return s.IssueTokenWithScopes(userID, ReadScopes...)
}

// IssueTokenWithScopes is IssueToken granting only scopes.
func (s *Server) IssueTokenWithScopes(userID string, scopes ...string) (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.Now()
	g := &grant{userID: userID, scopes: slices.Clone(scopes), refresh: "1//0" + s.secretLocked("refresh"),
		expires: now.Add(s.cfg.RefreshTokenTTL)}
	s.grants[g.refresh] = g
	body := s.accessLocked(g, now)
	return body["access_token"].(string), g.refresh
}

// RevokeAccess withdraws the user's consent, as removing ohx at
// myaccount.google.com does: every token of the user stops working and a
// refresh answers invalid_grant.
func (s *Server) RevokeAccess(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.grants {
		if g.userID == userID {
			g.revoked = true
		}
	}
}
