package withingstest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"
)

func TestNonceAndSignedRevoke(t *testing.T) {
	t.Parallel()
	s, clk, at := newTestServer(t, Config{ClientID: "app", ClientSecret: "s3cret", QuotaPerMinute: -1})
	getNonce := func(secret string, at time.Time) (int, string) {
		ts := strconv.FormatInt(at.Unix(), 10)
		st, body, _ := call(t, s, http.MethodPost, "/v2/signature", "", url.Values{"action": {"getnonce"},
			"client_id": {"app"}, "timestamp": {ts}, "signature": {sign(secret, "getnonce", "app", ts)}})
		var r struct{ Nonce string }
		_ = json.Unmarshal(body, &r)
		return st, r.Nonce
	}
	revoke := func(nonce string) int {
		st, _, _ := call(t, s, http.MethodPost, "/v2/oauth2", "", url.Values{"action": {"revoke"}, "client_id": {"app"},
			"nonce": {nonce}, "signature": {sign("s3cret", "revoke", "app", nonce)}, "userid": {"42"}})
		return st
	}
	if st, _ := getNonce("wrong", clk.Now()); st != 503 {
		t.Errorf("getnonce with a wrong secret: status %d, want 503", st)
	}
	if st, _ := getNonce("s3cret", clk.Now().Add(-time.Hour)); st != 503 {
		t.Errorf("getnonce with an hour-old timestamp: status %d, want 503", st)
	}
	st, n := getNonce("s3cret", clk.Now())
	if st != 0 || n == "" {
		t.Fatalf("getnonce: status %d nonce %q", st, n)
	}
	clk.Advance(31 * time.Minute)
	if st := revoke(n); st != 503 {
		t.Errorf("revoke with an expired nonce: status %d, want 503", st)
	}
	_, n = getNonce("s3cret", clk.Now())
	if st := revoke(n); st != 0 {
		t.Fatalf("revoke: status %d", st)
	}
	if st := revoke(n); st != 503 {
		t.Errorf("revoke replaying a nonce: status %d, want 503", st)
	}
	if st, _, _ := call(t, s, http.MethodPost, "/notify", at, url.Values{"action": {"list"}}); st != 401 {
		t.Errorf("the user's token after revoke: status %d, want 401", st)
	}
}
