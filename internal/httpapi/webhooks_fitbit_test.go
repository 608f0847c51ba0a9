package httpapi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/ohx-health/ohx/internal/httpapi"
	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/metrics"
	"github.com/ohx-health/ohx/internal/provider/fitbit/fitbittest"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

const (
	fitbitSecret = "Bearer fitbit-hook-secret-0123456789abcdef"
	fitbitUserA  = "1173016576421350648"
	fitbitUserB  = "2515055256096816351"
)

type fitbitFixture struct {
	srv          *httptest.Server
	url          string
	db           *store.DB
	m            *metrics.Metrics
	emu          *fitbittest.Server
	linkA, linkB int64
}

// newFitbitFixture serves ohx over real HTTP, with real SQLite and the job
// queue, and two patients linked to Fitbit users A and B.
func newFitbitFixture(t *testing.T, hook *httpapi.FitbitWebhook) fitbitFixture {
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
	f := fitbitFixture{db: db}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for _, u := range []struct {
			ehr, user string
			id        *int64
		}{{"ehr-fitbit-a", fitbitUserA, &f.linkA}, {"ehr-fitbit-b", fitbitUserB, &f.linkB}} {
			p, err := tx.EnsurePatient(ctx, u.ehr)
			if err != nil {
				return err
			}
			l, err := tx.CreateLink(ctx, p.ID, "fitbit", u.user, "", store.SealedToken{KeyID: "k", Data: []byte{1}})
			if err != nil {
				return err
			}
			*u.id = l.ID
		}
		// A Withings account with the same external id is not a Fitbit user.
		p, err := tx.EnsurePatient(ctx, "ehr-withings")
		if err != nil {
			return err
		}
		_, err = tx.CreateLink(ctx, p.ID, "withings", "42", "", store.SealedToken{KeyID: "k", Data: []byte{1}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	f.m = metrics.New(reg, metrics.Build{}, nil, logger)
	d := httpapi.Deps{Logger: logger, DB: db, Metrics: f.m, Gatherer: reg, Queue: q,
		QueueCheck: func(context.Context) error { return nil }, Fitbit: hook}
	f.srv = httptest.NewServer(httpapi.NewServer(d))
	t.Cleanup(f.srv.Close)
	f.url = f.srv.URL + "/webhooks/fitbit/"
	f.emu = fitbittest.New(fitbittest.Config{Seed: 1})
	f.emu.AddUser(fitbittest.User{ID: fitbitUserA})
	f.emu.AddUser(fitbittest.User{ID: fitbitUserB})
	return f
}

func (f fitbitFixture) post(t *testing.T, auth, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func (f fitbitFixture) count(outcome string) float64 {
	return testutil.ToFloat64(f.m.Webhooks.WithLabelValues("fitbit", outcome))
}

// fitbitJob is a waiting sync job's arguments.
type fitbitJob struct {
	linkID            int64
	group, start, end string
	trigger, argsJSON string
}

// jobs lists the sync jobs, by link and group.
func (f fitbitFixture) jobs(t *testing.T) []fitbitJob {
	t.Helper()
	rows, err := f.db.SQL().Query(`SELECT json_extract(args, '$.link_id'), json_extract(args, '$.group'),
		coalesce(json_extract(args, '$.start'), ''), coalesce(json_extract(args, '$.end'), ''),
		json_extract(args, '$.trigger'), json(args)
		FROM river_job WHERE kind = 'ohx.sync' ORDER BY 1, 2, 3`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []fitbitJob
	for rows.Next() {
		var j fitbitJob
		if err := rows.Scan(&j.linkID, &j.group, &j.start, &j.end, &j.trigger, &j.argsJSON); err != nil {
			t.Fatal(err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFitbitWebhookVerificationHandshake(t *testing.T) {
	t.Parallel()
	f := newFitbitFixture(t, &httpapi.FitbitWebhook{Secret: fitbitSecret})
	ctx := context.Background()
	// Google's handshake against both routes (with and without the slash).
	for _, u := range []string{f.url, strings.TrimSuffix(f.url, "/")} {
		if err := f.emu.VerifyEndpoint(ctx, u, fitbitSecret); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if ds := f.emu.Deliveries(); len(ds) != 4 || ds[0].StatusCode != http.StatusCreated || ds[1].StatusCode != http.StatusUnauthorized {
		t.Errorf("deliveries %+v", ds)
	}
	// A subscriber configured with another secret fails verification.
	if err := f.emu.VerifyEndpoint(ctx, f.url, "Bearer other"); !errors.Is(err, fitbittest.ErrFailedPrecondition) {
		t.Errorf("wrong secret verified: %v", err)
	}
	if f.count("verification") != 2 || f.count("unauthorized") != 3 {
		t.Errorf("verification %v, unauthorized %v", f.count("verification"), f.count("unauthorized"))
	}
	if n := len(f.jobs(t)); n != 0 {
		t.Errorf("%d jobs after handshakes", n)
	}
}

func TestFitbitWebhookAuthentication(t *testing.T) {
	t.Parallel()
	f := newFitbitFixture(t, &httpapi.FitbitWebhook{Secret: fitbitSecret})
	body := `[{"data":{"healthUserId":"` + fitbitUserA + `","dataType":"steps","operation":"UPSERT"}}]`
	for _, auth := range []string{"", "Bearer wrong", fitbitSecret + "x", strings.TrimPrefix(fitbitSecret, "Bearer "), strings.ToLower(fitbitSecret)} {
		if code := f.post(t, auth, body); code != http.StatusUnauthorized {
			t.Errorf("authorization %q: status %d, want 401", auth, code)
		}
	}
	// The emulator without Authorization (signature-only delivery) is refused too.
	f.emu.SetWebhookOptions(fitbittest.WebhookOptions{NoAuthorization: true})
	if err := f.emu.Notify(context.Background(), f.url, fitbitSecret, fitbittest.NotificationSpec{UserID: fitbitUserA, DataType: "steps"}); err == nil {
		t.Error("notification without Authorization accepted")
	}
	if n := len(f.jobs(t)); n != 0 {
		t.Errorf("%d jobs enqueued by forged webhooks", n)
	}
	if got := f.count("unauthorized"); got != 6 {
		t.Errorf("unauthorized counter = %v", got)
	}
	// An empty configured secret refuses everyone, even an empty header.
	g := newFitbitFixture(t, &httpapi.FitbitWebhook{})
	if code := g.post(t, "", body); code != http.StatusUnauthorized {
		t.Errorf("empty secret: status %d", code)
	}
}

func TestFitbitWebhookEnqueuesOnePerLinkAndGroup(t *testing.T) {
	t.Parallel()
	f := newFitbitFixture(t, &httpapi.FitbitWebhook{Secret: fitbitSecret})
	ctx := context.Background()
	t0 := time.Date(2026, 3, 8, 1, 29, 0, 0, time.UTC)
	batch := []fitbittest.NotificationSpec{
		{UserID: fitbitUserA, DataType: "steps", Start: t0, End: t0.Add(5 * time.Minute)},
		{UserID: fitbitUserA, DataType: "distance", Start: t0.Add(3 * time.Hour), End: t0.Add(3*time.Hour + 5*time.Minute)},
		{UserID: fitbitUserA, DataType: "heart-rate", Start: t0, End: t0.Add(time.Minute)},
		{UserID: fitbitUserA, DataType: "daily-resting-heart-rate", Start: t0.Add(-time.Hour), End: t0.Add(-time.Hour)},
		{UserID: fitbitUserB, DataType: "weight", Delete: true, Start: t0, End: t0},
		{UserID: fitbitUserA, DataType: "hydration-log", Start: t0, End: t0}, // not read by ohx
		{UserID: "9999999999999999999", DataType: "steps", Start: t0, End: t0},
		{UserID: "42", DataType: "steps", Start: t0, End: t0}, // a Withings user id
	}
	if err := f.emu.Notify(ctx, f.url, fitbitSecret, batch...); err != nil {
		t.Fatal(err)
	}
	if ds := f.emu.Deliveries(); len(ds) != 1 || ds[0].StatusCode != http.StatusNoContent || ds[0].Notifications != len(batch) {
		t.Fatalf("deliveries %+v", ds)
	}
	want := []fitbitJob{
		{linkID: f.linkA, group: "activity", start: "2026-03-08T01:14:00Z", end: "2026-03-08T04:49:00Z"},
		{linkID: f.linkA, group: "heart", start: "2026-03-08T00:14:00Z", end: "2026-03-08T01:45:00Z"},
		{linkID: f.linkB, group: "body", start: "2026-03-08T01:14:00Z", end: "2026-03-08T01:44:00Z"},
	}
	check := func(when string) {
		t.Helper()
		got := f.jobs(t)
		if len(got) != len(want) {
			t.Fatalf("%s: jobs %+v, want %+v", when, got, want)
		}
		for i, g := range got {
			w := want[i]
			if g.linkID != w.linkID || g.group != w.group || g.start != w.start || g.end != w.end || g.trigger != jobs.TriggerWebhook {
				t.Errorf("%s: job %d = %+v, want %+v", when, i, g, w)
			}
			if strings.Contains(g.argsJSON, "Bearer") {
				t.Errorf("job args hold the secret: %s", g.argsJSON)
			}
		}
	}
	check("first delivery")
	if f.count("accepted") != 5 || f.count("ignored") != 1 || f.count("unknown_user") != 2 {
		t.Errorf("accepted %v ignored %v unknown %v", f.count("accepted"), f.count("ignored"), f.count("unknown_user"))
	}
	// Google delivers duplicates: the same batch again (and again, as
	// single objects) adds no job and keeps the windows.
	if err := f.emu.Notify(ctx, f.url, fitbitSecret, batch...); err != nil {
		t.Fatal(err)
	}
	f.emu.SetWebhookOptions(fitbittest.WebhookOptions{SingleObject: true, CivilISOString: true})
	if err := f.emu.Notify(ctx, f.url, fitbitSecret, batch[:3]...); err != nil {
		t.Fatal(err)
	}
	check("duplicate deliveries")
	// A later notification overlapping the waiting activity job widens it.
	f.emu.SetWebhookOptions(fitbittest.WebhookOptions{})
	if err := f.emu.Notify(ctx, f.url, fitbitSecret, fitbittest.NotificationSpec{UserID: fitbitUserA, DataType: "altitude",
		Start: t0.Add(3*time.Hour + 20*time.Minute), End: t0.Add(3*time.Hour + 40*time.Minute)}); err != nil {
		t.Fatal(err)
	}
	want[0].end = "2026-03-08T05:24:00Z"
	check("overlapping notification")
}

func TestFitbitWebhookDeleteAndWindowless(t *testing.T) {
	t.Parallel()
	f := newFitbitFixture(t, &httpapi.FitbitWebhook{Secret: fitbitSecret})
	// A DELETE without intervals, in the documented single-object form, on
	// the route without the slash: a sync of the last day.
	f.url = strings.TrimSuffix(f.url, "/")
	before := time.Now().UTC()
	code := f.post(t, fitbitSecret, `{"data":{"version":"1","clientProvidedSubscriptionName":"x","healthUserId":"`+fitbitUserB+`","operation":"DELETE","dataType":"sleep"}}`)
	if code != http.StatusNoContent {
		t.Fatalf("status %d", code)
	}
	got := f.jobs(t)
	if len(got) != 1 || got[0].linkID != f.linkB || got[0].group != "sleep" {
		t.Fatalf("jobs %+v", got)
	}
	start, err1 := time.Parse(time.RFC3339, got[0].start)
	end, err2 := time.Parse(time.RFC3339, got[0].end)
	if err1 != nil || err2 != nil || end.Sub(start) != 24*time.Hour || end.Before(before.Add(-time.Second)) || end.After(time.Now().Add(time.Second)) {
		t.Errorf("windowless job %+v", got[0])
	}
}

func TestFitbitWebhookRefusesMalformed(t *testing.T) {
	t.Parallel()
	f := newFitbitFixture(t, &httpapi.FitbitWebhook{Secret: fitbitSecret})
	for _, body := range []string{
		"",
		"not json",
		`{"data":{"dataType":"steps"}}`,
		`[{"data":{"healthUserId":"` + fitbitUserA + `","dataType":"steps","intervals":[{"physicalTimeInterval":{"startTime":"yesterday"}}]}}]`,
		`{"type":"subscription"}`,
		`[` + strings.Repeat(" ", 1<<20) + `]`, // over the size limit
	} {
		if code := f.post(t, fitbitSecret, body); code != http.StatusBadRequest {
			t.Errorf("%.40q: status %d, want 400", body, code)
		}
	}
	if f.count("invalid") != 6 || len(f.jobs(t)) != 0 {
		t.Errorf("invalid %v, jobs %d", f.count("invalid"), len(f.jobs(t)))
	}
	// An empty batch is fine.
	if code := f.post(t, fitbitSecret, `[]`); code != http.StatusNoContent {
		t.Errorf("empty batch: %d", code)
	}
}

func TestFitbitWebhookDatabaseDownIs503(t *testing.T) {
	t.Parallel()
	f := newFitbitFixture(t, &httpapi.FitbitWebhook{Secret: fitbitSecret})
	f.db.Close()
	code := f.post(t, fitbitSecret, `[{"data":{"healthUserId":"`+fitbitUserA+`","dataType":"steps"}}]`)
	if code != http.StatusServiceUnavailable || f.count("error") != 1 {
		t.Errorf("status %d, error count %v", code, f.count("error"))
	}
}

func TestFitbitWebhookNotConfigured(t *testing.T) {
	t.Parallel()
	f := newFitbitFixture(t, nil)
	if code := f.post(t, fitbitSecret, `{"type":"verification"}`); code != http.StatusNotFound {
		t.Errorf("status %d, want 404", code)
	}
	if err := f.emu.VerifyEndpoint(context.Background(), f.url, fitbitSecret); !errors.Is(err, fitbittest.ErrFailedPrecondition) {
		t.Errorf("verification of an unconfigured endpoint: %v", err)
	}
}
