package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/provider/withings/withingstest"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

// auditActions lists the link's audit actions, oldest first.
func (e *e2e) auditActions(linkID int64) []string {
	e.t.Helper()
	rows, err := e.db.SQL().QueryContext(context.Background(), "SELECT action FROM audit_events WHERE link_id = $1 ORDER BY id", linkID)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// TestE2EWrongSecretThenOperatorUnlink runs ohx with a wrong Withings
// client secret: Withings refuses the refresh the way it refuses a revoked
// token, yet the link must stay active and its sync wait. Restarted with the
// right secret, ohx syncs; then an operator unlinks, and ohx revokes its
// access at Withings too.
func TestE2EWrongSecretThenOperatorUnlink(t *testing.T) {
	e := newE2E(t, testenv.SQLiteURL(t))
	e.vars["OHX_LOG_LEVEL"] = "info"
	code, out, errOut := runCmd(t, e.vars, "check", "withings")
	if code != 0 || !strings.Contains(out, "ok:") {
		t.Fatalf("check withings: exit %d %q %q", code, out, errOut)
	}
	wrong := map[string]string{}
	for k, v := range e.vars {
		wrong[k] = v
	}
	wrong["OHX_WITHINGS_CLIENT_SECRET"] = "not-the-secret"
	code, _, errOut = runCmd(t, wrong, "check", "withings")
	if code != 1 || !strings.Contains(errOut, "OHX_WITHINGS_CLIENT_SECRET") || strings.Contains(errOut, "not-the-secret") {
		t.Fatalf("check withings with a wrong secret: exit %d, stderr %q", code, errOut)
	}

	// Every data call is refused once, so the sync must refresh the token.
	e.emu.InjectFault(withingstest.EndpointGetMeas, withingstest.Fault{Status: 401, Times: 1})
	stop, logs := serveUntilCancelled(t, wrong, "--role", "all")
	l := e.link()
	// Wait for the outcome of the refresh (the link's exchange was the
	// first token call): either the credentials were checked again, or the
	// link was blamed.
	deadline := time.Now().Add(time.Minute)
	for e.emu.Count(withingstest.EndpointToken) < 2 || e.emu.Count(withingstest.EndpointNonce) < 2 && e.linkState(l.ID).Status == store.LinkActive {
		if time.Now().After(deadline) {
			t.Fatalf("no refresh attempted:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // let the job record its outcome
	if code := stop(); code != 0 {
		t.Fatalf("serve exited %d", code)
	}
	if !strings.Contains(logs.String(), "provider credentials not confirmed") {
		t.Error("the start-up check did not report the wrong secret")
	}
	if strings.Contains(logs.String(), "not-the-secret") {
		t.Error("the secret reached the logs")
	}
	if got := e.linkState(l.ID); got.Status != store.LinkActive {
		t.Fatalf("link is %s after a refused refresh with a wrong secret, want active", got.Status)
	}
	for _, a := range e.auditActions(l.ID) {
		if a == "token.refresh_refused" {
			t.Fatal("a wrong client secret was recorded against the link")
		}
	}

	stop, logs = serveUntilCancelled(t, e.vars, "--role", "all")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ohx logs:\n%s", logs.String())
		}
	})
	e.waitIdle(4 * time.Minute)
	if e.observations() == 0 {
		t.Fatal("nothing published once the secret was right")
	}
	if len(e.emu.Subscriptions(e.user)) == 0 {
		t.Fatal("no subscriptions after linking")
	}

	id := strconv.FormatInt(l.ID, 10)
	if code, out, errOut := runCmd(t, e.vars, "unlink", id); code != 0 || !strings.Contains(out, "queued") {
		t.Fatalf("unlink: exit %d %q %q", code, out, errOut)
	}
	e.waitIdle(time.Minute)
	if got := e.linkState(l.ID); got.Status != store.LinkRevoked || got.Token.Data != nil {
		t.Errorf("after operator unlink: status %s, token present %v", got.Status, got.Token.Data != nil)
	}
	if n := e.emu.Count(withingstest.EndpointRevoke); n != 1 {
		t.Errorf("%d OAuth2 revoke calls at Withings, want 1", n)
	}
	if subs := e.emu.Subscriptions(e.user); len(subs) != 0 {
		t.Errorf("subscriptions left at Withings: %+v", subs)
	}
	actions := strings.Join(e.auditActions(l.ID), " ")
	for _, want := range []string{"link.unlink_requested", "link.unlinked", "link.provider_access_revoked"} {
		if !strings.Contains(actions, want) {
			t.Errorf("audit %q lacks %s", actions, want)
		}
	}
	if code, out, _ := runCmd(t, e.vars, "unlink", id); code != 0 || !strings.Contains(out, "already unlinked") {
		t.Errorf("second unlink: exit %d %q", code, out)
	}
	if code, _, _ := runCmd(t, e.vars, "unlink", "999999"); code != 1 {
		t.Errorf("unlink of an unknown link: exit %d, want 1", code)
	}
	if code := stop(); code != 0 {
		t.Errorf("serve exited %d", code)
	}
}
