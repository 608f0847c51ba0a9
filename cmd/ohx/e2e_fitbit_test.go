package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/provider/fitbit/fitbittest"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

// TestE2EFitbitLinkBackfillUnlink links a patient's Fitbit (Google Health)
// account through the patient API of a running ohx, against the Google
// Health API emulator, and checks that the backfill reaches the FHIR server
// as valid R5 with Fitbit identifiers, then that unlinking revokes the
// grant at Google.
func TestE2EFitbitLinkBackfillUnlink(t *testing.T) {
	e := newE2E(t, testenv.SQLiteURL(t))
	g := fitbittest.New(fitbittest.Config{Seed: uint64(time.Now().UnixNano()), ClientID: "fb-client", ClientSecret: "fb-secret",
		HistoryDays: 3, QuotaPerMinute: -1})
	const healthUser = "1173016576421350648"
	g.AddUser(fitbittest.User{ID: healthUser, Location: time.FixedZone("", 9*3600)})
	gSrv := httptest.NewServer(g)
	t.Cleanup(gSrv.Close)
	for k, v := range map[string]string{"OHX_FITBIT_CLIENT_ID": "fb-client", "OHX_FITBIT_CLIENT_SECRET": "fb-secret",
		"OHX_FITBIT_AUTH_URL": gSrv.URL + fitbittest.AuthorizePath, "OHX_FITBIT_TOKEN_URL": gSrv.URL + fitbittest.TokenPath,
		"OHX_FITBIT_REVOKE_URL": gSrv.URL + fitbittest.RevokePath, "OHX_FITBIT_API_URL": gSrv.URL,
		"OHX_FITBIT_WEBHOOK_SECRET": "Bearer fitbit-webhook-secret-0123"} {
		e.vars[k] = v
	}
	code, key, errOut := runCmd(t, e.vars, "api-key", "create", "ehr")
	key = strings.TrimSpace(key)
	if code != 0 {
		t.Fatalf("api-key create: %s", errOut)
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

	code, body := call(http.MethodGet, "/api/base/link/fitbit/?ehr_user_id="+e.patient)
	var start struct {
		AuthorizationURL string `json:"authorization_url"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &start) != nil {
		t.Fatalf("link start: %d %s", code, body)
	}
	if u, _ := url.Parse(start.AuthorizationURL); u.Query().Get("access_type") != "offline" {
		t.Errorf("authorization URL lacks offline access: %s", start.AuthorizationURL)
	}
	resp, err := http.Get(start.AuthorizationURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "is linked") {
		t.Fatalf("callback page: %d %s", resp.StatusCode, page)
	}
	var l store.Link
	_ = e.db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		l, err = tx.LiveLinkByExternalUser(context.Background(), "fitbit", healthUser)
		return err
	})
	if l.ID == 0 {
		t.Fatal("no live Fitbit link keyed on the healthUserId")
	}

	e.waitIdle(4 * time.Minute)
	if n := e.observations(); n == 0 {
		t.Fatal("nothing published after linking Fitbit")
	}
	if n := e.countCode("8867-4"); n == 0 {
		t.Error("no heart rate published from Fitbit")
	}
	code, body = call(http.MethodGet, "/api/base/sync/status/?ehr_user_id="+e.patient+"&provider=fitbit")
	if code != 200 || !strings.Contains(body, `"status":"completed"`) {
		t.Errorf("sync status: %d %s", code, body)
	}

	// Google verifies the subscriber endpoint, then notifies new heart rate.
	ctx := context.Background()
	hook, secret := base+"/webhooks/fitbit/", e.vars["OHX_FITBIT_WEBHOOK_SECRET"]
	if err := g.VerifyEndpoint(ctx, hook, secret); err != nil {
		t.Fatalf("endpoint verification: %v", err)
	}
	now := time.Now().UTC()
	if err := g.Notify(ctx, hook, secret, fitbittest.NotificationSpec{UserID: healthUser, DataType: "heart-rate",
		Start: now.Add(-time.Hour), End: now}); err != nil {
		t.Fatalf("notify: %v", err)
	}
	e.waitIdle(time.Minute)
	var webhookSyncs int
	if err := e.db.SQL().QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE kind = 'ohx.sync' AND state = 'completed'
		AND json_extract(args, '$.trigger') = 'webhook' AND json_extract(args, '$.group') = 'heart'`).Scan(&webhookSyncs); err != nil || webhookSyncs != 1 {
		t.Errorf("%d completed webhook syncs (%v), want 1", webhookSyncs, err)
	}

	code, body = call(http.MethodPost, "/api/base/link/fitbit/unlink/?ehr_user_id="+e.patient)
	if code != 200 {
		t.Fatalf("unlink: %d %s", code, body)
	}
	e.waitIdle(time.Minute)
	if got := e.linkState(l.ID); got.Status != store.LinkRevoked || got.Token.Data != nil {
		t.Errorf("after unlink: status %s, token present %v", got.Status, got.Token.Data != nil)
	}
	if n := g.Count(fitbittest.EndpointRevoke); n != 1 {
		t.Errorf("%d revocations at Google, want 1", n)
	}
}
