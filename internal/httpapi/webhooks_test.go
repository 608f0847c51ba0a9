package httpapi_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ohx-health/ohx/internal/httpapi"
	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/metrics"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

const hookToken = "hook-secret-0123456789abcdef"

type hookFixture struct {
	srv    *httptest.Server
	db     *store.DB
	m      *metrics.Metrics
	linkID int64
}

func newHookFixture(t *testing.T, withings bool) hookFixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, testenv.SQLiteURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := jobs.Migrate(ctx, db, logger); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.NewClient(db, jobs.Config{Logger: logger, Pipeline: &jobs.Pipeline{}})
	if err != nil {
		t.Fatal(err)
	}
	var linkID int64
	err = db.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.EnsurePatient(ctx, "ehr-hook")
		if err != nil {
			return err
		}
		l, err := tx.CreateLink(ctx, p.ID, "withings", "4242", "", store.SealedToken{KeyID: "k", Data: []byte{1}})
		linkID = l.ID
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, metrics.Build{}, nil, logger)
	d := httpapi.Deps{Logger: logger, DB: db, Metrics: m, Gatherer: reg, Queue: q,
		QueueCheck: func(context.Context) error { return nil }}
	if withings {
		d.Withings = &httpapi.WithingsWebhook{Token: hookToken}
	}
	srv := httptest.NewServer(httpapi.NewServer(d))
	t.Cleanup(srv.Close)
	return hookFixture{srv: srv, db: db, m: m, linkID: linkID}
}

func (f hookFixture) post(t *testing.T, token, contentType, body string) (int, string) {
	t.Helper()
	u := f.srv.URL + "/webhooks/withings/"
	if token != "" {
		u += "?token=" + url.QueryEscape(token)
	}
	resp, err := http.Post(u, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// syncJobs counts waiting sync jobs.
func (f hookFixture) syncJobs(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.db.SQL().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'ohx.sync'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const form = "application/x-www-form-urlencoded"

func TestWithingsWebhookAuthentication(t *testing.T) {
	t.Parallel()
	f := newHookFixture(t, true)
	body := "userid=4242&appli=1&startdate=1764000000&enddate=1764000060"
	for _, tok := range []string{"", "wrong-token-0123456789abcdef", hookToken + "x"} {
		if code, _ := f.post(t, tok, form, body); code != http.StatusUnauthorized {
			t.Errorf("token %q: status %d, want 401", tok, code)
		}
	}
	if n := f.syncJobs(t); n != 0 {
		t.Errorf("%d jobs enqueued by forged webhooks", n)
	}
	if got := testutil.ToFloat64(f.m.Webhooks.WithLabelValues("withings", "unauthorized")); got != 3 {
		t.Errorf("unauthorized counter = %v", got)
	}
	for _, method := range []string{http.MethodHead, http.MethodGet} {
		req, _ := http.NewRequest(method, f.srv.URL+"/webhooks/withings/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("%s probe: %v %v", method, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	resp, _ := http.Get(f.srv.URL + "/webhooks/withings?challenge=abc")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "abc" {
		t.Errorf("challenge echo = %q", b)
	}
}

func TestWithingsWebhookEnqueuesAndCollapses(t *testing.T) {
	t.Parallel()
	f := newHookFixture(t, true)
	body := "userid=4242&appli=1&startdate=1764000000&enddate=1764000060"
	for range 5 {
		if code, resp := f.post(t, hookToken, form, body); code != http.StatusAccepted || !strings.Contains(resp, `"queued_tasks":1`) {
			t.Fatalf("status %d body %s", code, resp)
		}
	}
	if n := f.syncJobs(t); n != 1 {
		t.Errorf("5 identical notifications made %d jobs, want 1", n)
	}
	// JSON bodies are accepted too; an ECG announces two groups.
	if code, resp := f.post(t, hookToken, "application/json", `{"userid":4242,"appli":54,"startdate":1764000100,"enddate":1764000130}`); code != http.StatusAccepted || !strings.Contains(resp, `"queued_tasks":2`) {
		t.Errorf("JSON ECG notification: %d %s", code, resp)
	}
	var args string
	_ = f.db.SQL().QueryRow(`SELECT json(args) FROM river_job WHERE kind = 'ohx.sync' AND json_extract(args, '$.group') = 'measures'`).Scan(&args)
	if !strings.Contains(args, `"trigger":"webhook"`) || !strings.Contains(args, `"group":"measures"`) || strings.Contains(args, hookToken) {
		t.Errorf("job args = %s", args)
	}
}

func TestWithingsWebhookAcknowledgesWhatItIgnores(t *testing.T) {
	t.Parallel()
	f := newHookFixture(t, true)
	cases := []struct {
		name, body string
		want       int
		outcome    string
	}{
		{"unknown user", "userid=999&appli=1&startdate=1764000000&enddate=1764000060", http.StatusAccepted, "unknown_user"},
		{"event without data", "userid=4242&appli=50&date=1764000000", http.StatusAccepted, "ignored"},
		{"unknown appli", "userid=4242&appli=77&startdate=1764000000&enddate=1764000060", http.StatusAccepted, "ignored"},
		{"malformed", "userid=&appli=x", http.StatusBadRequest, "invalid"},
		{"empty", "", http.StatusBadRequest, "invalid"},
	}
	for _, tc := range cases {
		code, body := f.post(t, hookToken, form, tc.body)
		if code != tc.want {
			t.Errorf("%s: status %d (%s), want %d", tc.name, code, body, tc.want)
		}
		if testutil.ToFloat64(f.m.Webhooks.WithLabelValues("withings", tc.outcome)) == 0 {
			t.Errorf("%s: outcome %s not counted", tc.name, tc.outcome)
		}
	}
	if n := f.syncJobs(t); n != 0 {
		t.Errorf("%d jobs for ignored notifications", n)
	}
}

func TestWithingsWebhookUnlinkRevokes(t *testing.T) {
	t.Parallel()
	f := newHookFixture(t, true)
	if code, _ := f.post(t, hookToken, form, "userid=4242&appli=46&action=unlink"); code != http.StatusAccepted {
		t.Fatalf("status %d", code)
	}
	var l store.Link
	_ = f.db.InTx(context.Background(), func(tx *store.Tx) (err error) { l, err = tx.LinkByID(context.Background(), f.linkID); return err })
	if l.Status != store.LinkRevoked || l.Token.Data != nil {
		t.Errorf("link after unlink = %s, token kept %v", l.Status, l.Token.Data != nil)
	}
	// Later notifications for the revoked account are acknowledged, not synced.
	if code, _ := f.post(t, hookToken, form, "userid=4242&appli=1&startdate=1764000000&enddate=1764000060"); code != http.StatusAccepted || f.syncJobs(t) != 0 {
		t.Errorf("notification after unlink: %d, %d jobs", code, f.syncJobs(t))
	}
}

func TestWithingsWebhookNotConfigured(t *testing.T) {
	t.Parallel()
	f := newHookFixture(t, false)
	if code, _ := f.post(t, hookToken, form, "userid=4242&appli=1"); code != http.StatusNotFound {
		t.Errorf("status %d, want 404", code)
	}
}

func TestWithingsWebhookMergesOverlappingWindows(t *testing.T) {
	t.Parallel()
	f := newHookFixture(t, true)
	// Two weigh-ins a minute apart: their widened windows overlap.
	for _, body := range []string{
		"userid=4242&appli=1&startdate=1764000000&enddate=1764000000",
		"userid=4242&appli=1&startdate=1764000060&enddate=1764000060",
	} {
		if code, resp := f.post(t, hookToken, form, body); code != http.StatusAccepted {
			t.Fatalf("status %d %s", code, resp)
		}
	}
	if n := f.syncJobs(t); n != 1 {
		t.Fatalf("overlapping notifications made %d jobs, want 1", n)
	}
	var args string
	_ = f.db.SQL().QueryRow(`SELECT json(args) FROM river_job WHERE kind = 'ohx.sync'`).Scan(&args)
	// The merged window covers both: 1764000000-300 … 1764000060+300.
	if !strings.Contains(args, `"start":"2025-11-24T15:55:00Z"`) || !strings.Contains(args, `"end":"2025-11-24T16:06:00Z"`) {
		t.Errorf("merged args = %s", args)
	}
	// A weigh-in an hour later is a job of its own.
	if code, _ := f.post(t, hookToken, form, "userid=4242&appli=1&startdate=1764003600&enddate=1764003600"); code != http.StatusAccepted {
		t.Fatal(code)
	}
	if n := f.syncJobs(t); n != 2 {
		t.Errorf("disjoint notification: %d jobs, want 2", n)
	}
}

func TestOriginalCompatEndpoints(t *testing.T) {
	t.Parallel()
	f := newHookFixture(t, true)
	// Two notifications, one of them refused, reach the counts.
	f.post(t, "wrong-token", "application/x-www-form-urlencoded", "userid=4242&appli=1&startdate=1&enddate=2")
	f.post(t, hookToken, "application/x-www-form-urlencoded", "userid=4242&appli=1&startdate=1&enddate=2")
	for path, want := range map[string][]string{
		"/":                  {`"current_time":"`},
		"/webhooks/health/":  {`"status":"healthy"`, `"webhook_counts":{"withings":2}`, `"error_counts":{"withings":1}`},
		"/webhooks/metrics/": {`"webhook_counts":{"withings":2}`, `"health_check":"/webhooks/health/"`},
	} {
		resp, err := http.Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, w := range want {
			if resp.StatusCode != 200 || !strings.Contains(string(b), w) {
				t.Errorf("%s: %d %s, want %s", path, resp.StatusCode, b, w)
			}
		}
	}
}
