package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/link"
	"github.com/ohx-health/ohx/internal/provider/withings"
	"github.com/ohx-health/ohx/internal/provider/withings/withingstest"
	"github.com/ohx-health/ohx/internal/seal"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

// TestMain lets the end-to-end tests run `ohx` as a real child process
// (to kill it with SIGKILL): the test binary re-executes itself with
// OHX_E2E_CHILD=1 and behaves as the ohx command.
func TestMain(m *testing.M) {
	if os.Getenv("OHX_E2E_CHILD") == "1" {
		args := append([]string{"ohx"}, strings.Fields(os.Getenv("OHX_E2E_ARGS"))...)
		os.Exit(run(context.Background(), args, os.Getenv, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// switchProxy forwards to a FHIR server until it is switched off; then it
// answers 503, as a FHIR server that is down behind its load balancer does.
type switchProxy struct {
	down atomic.Bool
	rp   *httputil.ReverseProxy
}

func (p *switchProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.down.Load() {
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	p.rp.ServeHTTP(w, r)
}

// e2e is one patient, one Withings emulator, the FHIR test server behind a
// switchable proxy, and the configuration of an ohx pointing at them.
type e2e struct {
	t       *testing.T
	emu     *withingstest.Server
	user    string
	patient string
	fhir    string // the FHIR test server itself, for counting
	proxy   *switchProxy
	vars    map[string]string
	db      *store.DB
}

func newE2E(t *testing.T, dbURL string) *e2e {
	t.Helper()
	fhirURL := testenv.FHIRURL(t)
	// Start from an empty server: its searches scan every stored resource,
	// and these tests, which hold it alone (see testenv.FHIRURL), run one
	// after another.
	if resp, err := http.Post(fhirURL+"/$reset", "application/fhir+json", nil); err == nil {
		resp.Body.Close()
	}
	target, _ := url.Parse(fhirURL)
	proxy := &switchProxy{rp: &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(&url.URL{Scheme: target.Scheme, Host: target.Host})
	}, ErrorLog: log.New(io.Discard, "", 0)}}
	proxySrv := httptest.NewServer(proxy)
	t.Cleanup(proxySrv.Close)

	emu := withingstest.New(withingstest.Config{Seed: uint64(time.Now().UnixNano()), ClientID: "e2e-client",
		ClientSecret: "e2e-secret", QuotaPerMinute: 600})
	user := fmt.Sprint(time.Now().UnixNano() % 1e9)
	emu.AddUser(withingstest.User{ID: user})
	emuSrv := httptest.NewServer(emu)
	t.Cleanup(emuSrv.Close)

	key, _ := seal.NewKey()
	addr := freeAddr(t)
	e := &e2e{t: t, emu: emu, user: user, patient: "e2e-" + user, fhir: fhirURL, proxy: proxy, vars: map[string]string{
		"OHX_DATABASE_URL": dbURL, "OHX_ENCRYPTION_KEY": key, "OHX_HTTP_ADDR": addr, "OHX_PUBLIC_URL": "http://" + addr,
		"OHX_WITHINGS_CLIENT_ID": "e2e-client", "OHX_WITHINGS_CLIENT_SECRET": "e2e-secret",
		"OHX_WITHINGS_AUTH_URL": emuSrv.URL + withingstest.AuthorizePath, "OHX_WITHINGS_API_URL": emuSrv.URL,
		"OHX_WITHINGS_WEBHOOK_TOKEN": "e2e-webhook-token-0123456789", "OHX_WITHINGS_QUOTA_PER_MINUTE": "600",
		"OHX_FHIR_BASE_URL": proxySrv.URL + target.Path, "OHX_JOB_POLL_INTERVAL": "100ms", "OHX_BACKFILL_DAYS": "2",
		"OHX_JOB_RETRY_BASE": "200ms", "OHX_JOB_RETRY_MAX": "2s", "OHX_JOB_MAX_SNOOZE": "1s", "OHX_FHIR_BREAKER_TIMEOUT": "1s", "OHX_LOG_LEVEL": "warn",
	}}
	if code, _, errOut := runCmd(t, e.vars, "migrate", "up"); code != 0 {
		t.Fatalf("migrate: %s", errOut)
	}
	db, err := store.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e.db = db
	return e
}

// link runs the OAuth flow against the emulator through a link.Service
// built like ohx's, whose after-link hook queues the backfill.
func (e *e2e) link() store.Link {
	e.t.Helper()
	ctx := context.Background()
	wc, err := withings.New(withings.Config{ClientID: "e2e-client", ClientSecret: "e2e-secret",
		AuthURL: e.vars["OHX_WITHINGS_AUTH_URL"], APIURL: e.vars["OHX_WITHINGS_API_URL"],
		RedirectURL: e.vars["OHX_PUBLIC_URL"] + "/social/complete/withings/"}, &http.Client{}, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	keys, _ := seal.NewKeyring(e.vars["OHX_ENCRYPTION_KEY"], "")
	p := &jobs.Pipeline{Fetchers: map[string]jobs.Fetcher{"withings": &withings.Fetcher{}}, Now: time.Now}
	q, err := jobs.NewClient(e.db, jobs.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Pipeline: p})
	if err != nil {
		e.t.Fatal(err)
	}
	after := func(ctx context.Context, tx *store.Tx, l store.Link) error {
		return jobs.EnqueueInitial(ctx, q, tx, l.ID, withings.Groups(), time.Now().UTC(), 2)
	}
	svc := link.New(e.db, keys, map[string]link.OAuth{"withings": link.Withings(wc)}, after, slog.New(slog.NewTextHandler(io.Discard, nil)))
	authURL, err := svc.Begin(ctx, e.patient, "withings", link.Redirects{})
	if err != nil {
		e.t.Fatal(err)
	}
	q2 := consent(e.t, authURL)
	done, err := svc.Complete(ctx, "withings", q2.Get("state"), q2.Get("code"))
	if err != nil {
		e.t.Fatal(err)
	}
	return done.Link
}

// consent follows an authorize URL like a browser and returns the query of
// the redirect back to ohx.
func consent(t testing.TB, authURL string) url.Values {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d", resp.StatusCode)
	}
	return loc.Query()
}

// waitIdle waits until no job is waiting, running or due for a retry.
func (e *e2e) waitIdle(timeout time.Duration) {
	e.t.Helper()
	began := time.Now()
	defer func() { e.t.Logf("queue idle after %v", time.Since(began).Round(time.Millisecond)) }()
	deadline := time.Now().Add(timeout)
	for {
		counts, err := jobs.QueueCounts(context.Background(), e.db)
		if err != nil {
			e.t.Fatal(err)
		}
		busy := counts["available"] + counts["running"] + counts["retryable"] + counts["scheduled"] + counts["pending"]
		if busy == 0 {
			return
		}
		if time.Now().After(deadline) {
			rows, _ := e.db.SQL().QueryContext(context.Background(), "SELECT id, kind, state, attempt, priority, scheduled_at, args FROM river_job WHERE state NOT IN ('completed')")
			var desc []string
			for rows != nil && rows.Next() {
				var id, attempt, prio int64
				var kind, state, args string
				var at time.Time
				_ = rows.Scan(&id, &kind, &state, &attempt, &prio, &at, &args)
				desc = append(desc, fmt.Sprintf("%d %s %s attempt=%d prio=%d at=%s %s", id, kind, state, attempt, prio, at.Format(time.RFC3339Nano), args))
			}
			e.t.Fatalf("queue still busy after %v: %v\n%s", timeout, counts, strings.Join(desc, "\n"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// count returns how many resources of type the FHIR server holds for the
// patient, and how many distinct identifiers they carry.
func (e *e2e) count(resourceType string) (n, identifiers int) {
	e.t.Helper()
	u := fmt.Sprintf("%s/%s?subject=Patient/%s&_count=5000", e.fhir, resourceType, e.patient)
	resp, err := http.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct {
		Entry []struct {
			Resource struct {
				ID         string
				Identifier []struct{ System, Value string }
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		e.t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, en := range b.Entry {
		for _, id := range en.Resource.Identifier {
			ids[id.System+"|"+id.Value] = true
		}
	}
	return len(b.Entry), len(ids)
}

// latestWeight returns the id, Withings group id and time of the newest
// weigh-in published for the patient.
func (e *e2e) latestWeight() (id string, grp int64, at time.Time) {
	e.t.Helper()
	u := fmt.Sprintf("%s/Observation?subject=Patient/%s&code=%s&_count=5000", e.fhir, e.patient, url.QueryEscape("http://loinc.org|29463-7"))
	resp, err := http.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct {
		Entry []struct {
			Resource struct {
				ID                string
				EffectiveDateTime string
				Identifier        []struct{ Value string }
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		e.t.Fatal(err)
	}
	for _, en := range b.Entry {
		r := en.Resource
		t, err := time.Parse(time.RFC3339, r.EffectiveDateTime)
		if err != nil || len(r.Identifier) == 0 || !t.After(at) {
			continue
		}
		parts := strings.Split(r.Identifier[0].Value, ":") // withings:body_weight:<grpid>:1
		if len(parts) != 4 {
			continue
		}
		if g, err := strconv.ParseInt(parts[2], 10, 64); err == nil {
			id, grp, at = r.ID, g, t
		}
	}
	if id == "" {
		e.t.Fatal("no weigh-in on the FHIR server")
	}
	return id, grp, at
}

// status reads one resource's status from the FHIR server.
func (e *e2e) status(resourceType, id string) string {
	e.t.Helper()
	resp, err := http.Get(e.fhir + "/" + resourceType + "/" + id)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct{ Status string }
	_ = json.NewDecoder(resp.Body).Decode(&r)
	return r.Status
}

// withStatus returns the identifier values of the patient's Observations
// with a status.
func (e *e2e) withStatus(status string) []string {
	e.t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/Observation?subject=Patient/%s&status=%s&_count=5000", e.fhir, e.patient, status))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct {
		Entry []struct {
			Resource struct{ Identifier []struct{ Value string } }
		}
	}
	_ = json.NewDecoder(resp.Body).Decode(&b)
	var out []string
	for _, en := range b.Entry {
		for _, id := range en.Resource.Identifier {
			out = append(out, id.Value)
		}
	}
	return out
}

type association struct{ status, end string }

// associations lists the patient's DeviceAssociations.
func (e *e2e) associations() []association {
	e.t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/DeviceAssociation?subject=Patient/%s&_count=500", e.fhir, e.patient))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct {
		Entry []struct {
			Resource struct {
				Status struct{ Coding []struct{ Code string } }
				Period struct{ End string }
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		e.t.Fatal(err)
	}
	var out []association
	for _, en := range b.Entry {
		a := association{end: en.Resource.Period.End}
		if len(en.Resource.Status.Coding) > 0 {
			a.status = en.Resource.Status.Coding[0].Code
		}
		out = append(out, a)
	}
	return out
}

// countCode counts the patient's Observations with code (system|code).
func (e *e2e) countCode(code string) int {
	e.t.Helper()
	u := fmt.Sprintf("%s/Observation?subject=Patient/%s&code=%s&_count=5000", e.fhir, e.patient, url.QueryEscape(code))
	resp, err := http.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b struct{ Entry []json.RawMessage }
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil {
		e.t.Fatal(err)
	}
	return len(b.Entry)
}

func (e *e2e) observations() int {
	e.t.Helper()
	n, ids := e.count("Observation")
	if ids != n {
		e.t.Errorf("%d Observations carry %d distinct identifiers: duplicates", n, ids)
	}
	return n
}

func (e *e2e) linkState(id int64) store.Link {
	e.t.Helper()
	var l store.Link
	if err := e.db.InTx(context.Background(), func(tx *store.Tx) (err error) { l, err = tx.LinkByID(context.Background(), id); return err }); err != nil {
		e.t.Fatal(err)
	}
	return l
}

// TestE2EWithingsPipeline drives the whole flow through a running ohx:
// link → backfill → webhook → FHIR; repeated notifications; the FHIR
// server down; a provider storm; the provider-side unlink.
//
// The end-to-end tests do not run in parallel: they share one FHIR test
// server, a single Node process, whose pace decides theirs.
func TestE2EWithingsPipeline(t *testing.T) {
	for _, eng := range testenv.Engines() {
		t.Run(eng.Name, func(t *testing.T) {
			e := newE2E(t, eng.URL(t))
			e.vars["OHX_LOG_LEVEL"] = "info" // every line is checked for secrets below
			stop, logs := serveUntilCancelled(t, e.vars)
			defer func() {
				if strings.Contains(logs.String(), e.vars["OHX_WITHINGS_WEBHOOK_TOKEN"]) {
					t.Error("the webhook secret reached the logs")
				}
			}()
			t.Cleanup(func() {
				if t.Failed() || os.Getenv("OHX_E2E_SHOW_LOGS") == "1" {
					t.Logf("ohx logs:\n%s", logs.String())
				}
			})
			defer func() {
				if code := stop(); code != 0 {
					t.Errorf("serve exited %d:\n%s", code, logs.String())
				}
			}()
			ctx := context.Background()
			l := e.link()

			// Backfill: subscriptions made, history published.
			e.waitIdle(4 * time.Minute)
			backfilled := e.observations()
			if backfilled == 0 {
				t.Fatalf("backfill published nothing:\n%s", logs.String())
			}
			if subs := e.emu.Subscriptions(e.user); len(subs) != len(withings.DefaultApplis) {
				t.Errorf("%d subscriptions at the provider, want %d", len(subs), len(withings.DefaultApplis))
			}
			if n, _ := e.count("Device"); n != 0 {
				t.Logf("%d Devices carry a subject (unexpected but harmless)", n)
			}

			// A new weigh-in arrives by webhook.
			if err := e.emu.GenerateNew(ctx, e.user, 1, time.Now()); err != nil {
				t.Fatalf("notify: %v", err)
			}
			e.waitIdle(3 * time.Minute)
			afterWebhook := e.observations()
			if afterWebhook <= backfilled {
				t.Fatalf("webhook added nothing: %d → %d", backfilled, afterWebhook)
			}

			// A night of sleep, an ECG and more activity arrive by webhook too.
			for _, step := range []struct {
				appli int
				code  string
			}{
				{44, "http://loinc.org|93832-4"},
				{54, "urn:oid:2.16.840.1.113883.6.24|131328"},
				{16, "http://loinc.org|41950-7"},
			} {
				before := e.countCode(step.code)
				if err := e.emu.GenerateNew(ctx, e.user, step.appli, time.Now()); err != nil {
					t.Fatalf("appli %d: %v", step.appli, err)
				}
				e.waitIdle(3 * time.Minute)
				if after := e.countCode(step.code); after <= before && step.appli != 16 || after == 0 {
					t.Errorf("appli %d: %s Observations %d → %d", step.appli, step.code, before, after)
				}
			}
			afterWebhook = e.observations()

			// The same notification five times: no duplicates.
			var last withingstest.Delivery
			for _, d := range e.emu.Deliveries() {
				if d.Form.Get("appli") == "1" {
					last = d
				}
			}
			for range 5 {
				if err := e.emu.SendNotification(ctx, e.user, 1, url.Values{"startdate": {last.Form.Get("startdate")},
					"enddate": {last.Form.Get("enddate")}}); err != nil {
					t.Fatal(err)
				}
			}
			e.waitIdle(3 * time.Minute)
			if n := e.observations(); n != afterWebhook {
				t.Errorf("repeated notifications changed the count: %d → %d", afterWebhook, n)
			}

			// The FHIR server is down while a sync runs; it arrives after.
			e.proxy.down.Store(true)
			if err := e.emu.GenerateNew(ctx, e.user, 4, time.Now()); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1500 * time.Millisecond) // let the job fail and be retried at least once
			e.proxy.down.Store(false)
			e.waitIdle(3 * time.Minute)
			afterOutage := e.observations()
			if afterOutage <= afterWebhook {
				t.Fatalf("blood pressure lost during the outage: %d → %d", afterWebhook, afterOutage)
			}

			// A storm of 601s and 503s: everything still arrives, and ohx never
			// exceeds the real quota.
			e.emu.InjectFault(withingstest.EndpointGetMeas, withingstest.Fault{Status: 601, Times: 2})
			e.emu.InjectFault(withingstest.EndpointGetMeas, withingstest.Fault{HTTPStatus: 503, Times: 3})
			if err := e.emu.GenerateNew(ctx, e.user, 1, time.Now().Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			e.waitIdle(3 * time.Minute)
			if n := e.observations(); n <= afterOutage {
				t.Errorf("weigh-in lost in the provider storm: %d → %d", afterOutage, n)
			}
			if r := e.emu.QuotaRejections(); r != 0 {
				t.Errorf("ohx exceeded the Withings quota %d times", r)
			}

			// The user deletes a weigh-in in the app: Withings notifies the change,
			// and the Observation is marked entered-in-error (never deleted).
			id, grp, at := e.latestWeight()
			deleteStart := time.Now()
			defer func() { t.Logf("deletion step took %v", time.Since(deleteStart)) }()
			total := e.observations()
			if err := e.emu.DeleteMeasure(ctx, e.user, grp, at, 1); err != nil {
				t.Fatal(err)
			}
			e.waitIdle(3 * time.Minute)
			if st := e.status("Observation", id); st != "entered-in-error" {
				t.Errorf("deleted weigh-in has status %q", st)
			}
			if n := e.observations(); n != total {
				t.Errorf("deletion changed the number of Observations: %d → %d", total, n)
			}
			retired := e.withStatus("entered-in-error")
			if len(retired) == 0 {
				t.Error("nothing marked entered-in-error")
			}
			for _, v := range retired {
				if !strings.Contains(v, fmt.Sprintf(":%d:", grp)) {
					t.Errorf("%s marked entered-in-error, but only group %d was deleted", v, grp)
				}
			}

			// The devices are associated with the patient.
			assoc := e.associations()
			if len(assoc) == 0 {
				t.Fatal("no DeviceAssociation published")
			}
			for _, a := range assoc {
				if a.status != "attached" || a.end != "" {
					t.Errorf("association before unlink: %+v", a)
				}
			}

			// The user unlinks at Withings: the link is revoked, tokens shredded,
			// the associations ended; the observations stay.
			before := e.observations()
			if err := e.emu.SendNotification(ctx, e.user, 46, url.Values{"action": {"unlink"}}); err != nil {
				t.Fatal(err)
			}
			got := e.linkState(l.ID)
			if got.Status != store.LinkRevoked || got.Token.Data != nil {
				t.Errorf("after provider unlink: status %s, token present %v", got.Status, got.Token.Data != nil)
			}
			e.waitIdle(3 * time.Minute)
			after := e.associations()
			if len(after) != len(assoc) {
				t.Errorf("%d associations after unlink, %d before", len(after), len(assoc))
			}
			for _, a := range after {
				if a.status != "unknown" || a.end == "" {
					t.Errorf("association after unlink: %+v", a)
				}
			}
			if n := e.observations(); n != before {
				t.Errorf("unlink changed the observations: %d → %d", before, n)
			}
		})
	}
}

// TestE2EWorkerKilledMidJob kills a worker process with SIGKILL while it
// runs a sync; a new worker rescues the job and everything arrives once.
func TestE2EWorkerKilledMidJob(t *testing.T) {
	e := newE2E(t, testenv.SQLiteURL(t))
	e.vars["OHX_JOB_TIMEOUT"] = "40s" // rescued 80 s after the worker dies, plus the rescuer's period; a backfill chunk against the test FHIR server needs well under 40 s
	web, logs := serveUntilCancelled(t, e.vars, "--role", "web")
	defer func() {
		if code := web(); code != 0 {
			t.Errorf("web exited %d:\n%s", code, logs.String())
		}
	}()
	// The first getmeas hangs, so the worker is mid-job when it dies.
	e.emu.InjectFault(withingstest.EndpointGetMeas, withingstest.Fault{Delay: 30 * time.Second, Times: 1})
	worker := e.startWorker()
	e.link()
	e.waitRunning(30 * time.Second)
	if err := worker.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = worker.Wait()

	worker = e.startWorker()
	defer func() {
		_ = worker.Process.Signal(syscall.SIGTERM)
		_ = worker.Wait()
	}()
	e.waitIdle(4 * time.Minute)
	if n := e.observations(); n == 0 {
		t.Fatal("nothing published after the rescue")
	}
	var states []store.SyncState
	_ = e.db.InTx(context.Background(), func(tx *store.Tx) (err error) { states, err = tx.SyncStates(context.Background(), 1); return err })
	for _, s := range states {
		if s.DataKind == "measures" && s.LastSuccessAt.IsZero() {
			t.Errorf("measures never succeeded: %+v", s)
		}
	}
}

func (e *e2e) startWorker() *exec.Cmd {
	e.t.Helper()
	return startChild(e.t, e.vars, "serve --role worker")
}

// startChild runs `ohx ARGS` as a child process (this test binary, see
// TestMain) with vars as its whole configuration and a port of its own.
func startChild(tb testing.TB, vars map[string]string, args string) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = []string{"OHX_E2E_CHILD=1", "OHX_E2E_ARGS=" + args, "PATH=" + os.Getenv("PATH")}
	for k, v := range vars {
		if k == "OHX_HTTP_ADDR" {
			v = freeAddr(tb)
		}
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("child %q logs:\n%s", args, logs.String())
		}
	})
	return cmd
}

// waitRunning waits until some job is running.
func (e *e2e) waitRunning(timeout time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		counts, err := jobs.QueueCounts(context.Background(), e.db)
		if err == nil && counts["running"] > 0 && e.emu.Count(withingstest.EndpointGetMeas) > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatal("no job started running")
}
