package main

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/provider/withings/withingstest"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

// TestE2ELinkThroughTheAPI is a site's whole onboarding through a running
// ohx: an operator creates an API key and allows the app's deep links; the
// EHR asks ohx for the consent URL; the patient consents at Withings and
// lands back in the app; the backfill reaches the FHIR server; the EHR reads
// the status and unlinks.
func TestE2ELinkThroughTheAPI(t *testing.T) {
	e := newE2E(t, testenv.PostgresURL(t))
	code, key, errOut := runCmd(t, e.vars, "api-key", "create", "ehr")
	key = strings.TrimSpace(key)
	if code != 0 || !strings.HasPrefix(key, "ohx_") {
		t.Fatalf("api-key create: exit %d %q %q", code, key, errOut)
	}
	if code, out, errOut := runCmd(t, e.vars, "provider", "set", "withings", "--allow-redirect", "myapp://"); code != 0 || !strings.Contains(out, "myapp://") {
		t.Fatalf("provider set: exit %d %q %q", code, out, errOut)
	}
	if code, out, _ := runCmd(t, e.vars, "api-key", "list"); code != 0 || !strings.Contains(out, "ehr") || strings.Contains(out, key) {
		t.Fatalf("api-key list: exit %d %q", code, out)
	}
	stop, logs := serveUntilCancelled(t, e.vars)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ohx logs:\n%s", logs.String())
		}
	})
	defer func() {
		if code := stop(); code != 0 {
			t.Errorf("serve exited %d", code)
		}
		if strings.Contains(logs.String(), key) {
			t.Error("the API key reached the logs")
		}
	}()
	base := e.vars["OHX_PUBLIC_URL"]
	call := func(method, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Accept", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	code, body := call(http.MethodGet, "/api/base/link/withings/?ehr_user_id="+e.patient+"&success_url="+url.QueryEscape("myapp://linked"))
	var start struct {
		AuthorizationURL string `json:"authorization_url"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &start) != nil {
		t.Fatalf("link start: %d %s", code, body)
	}
	resp, err := http.Get(start.AuthorizationURL) // consent, then back to ohx's callback
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(html.UnescapeString(string(page)), "myapp://linked?ehr_user_id="+e.patient+"&provider=withings&status=success") {
		t.Fatalf("callback page: %d %s", resp.StatusCode, page)
	}

	e.waitIdle(4 * time.Minute)
	if n := e.observations(); n == 0 {
		t.Fatal("nothing published after linking through the API")
	}
	code, body = call(http.MethodGet, "/api/base/link/withings/status/?ehr_user_id="+e.patient)
	if code != 200 || !strings.Contains(body, `"linked":true`) || !strings.Contains(body, `"external_user_id":"`+e.user+`"`) {
		t.Errorf("link status: %d %s", code, body)
	}
	code, body = call(http.MethodGet, "/api/base/sync/status/?ehr_user_id="+e.patient)
	if code != 200 || !strings.Contains(body, `"status":"completed"`) {
		t.Errorf("sync status: %d %s", code, body)
	}

	code, body = call(http.MethodPost, "/api/base/link/withings/unlink/?ehr_user_id="+e.patient)
	if code != 200 {
		t.Fatalf("unlink: %d %s", code, body)
	}
	e.waitIdle(time.Minute)
	if got := e.linkState(1); got.Status != store.LinkRevoked || got.Token.Data != nil {
		t.Errorf("after API unlink: status %s, token present %v", got.Status, got.Token.Data != nil)
	}
	if n := e.emu.Count(withingstest.EndpointRevoke); n != 1 {
		t.Errorf("%d OAuth2 revoke calls at Withings, want 1", n)
	}
	code, body = call(http.MethodGet, "/api/base/link/withings/status/?ehr_user_id="+e.patient)
	if code != 200 || !strings.Contains(body, `"linked":false`) {
		t.Errorf("status after unlink: %d %s", code, body)
	}
}
