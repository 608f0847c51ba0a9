package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// zeroFHIR is a FHIR server that answers at once: it accepts every entry of
// a transaction and counts what it saw, so benchmarks measure ohx, not the
// FHIR server.
type zeroFHIR struct {
	mu        sync.Mutex
	requests  int
	resources int
	observed  chan time.Time // a send per Bundle holding an Observation
}

func (z *zeroFHIR) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/fhir+json")
	if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/metadata") {
		_, _ = io.WriteString(w, `{"resourceType":"CapabilityStatement","status":"active","kind":"instance","fhirVersion":"5.0.0"}`)
		return
	}
	var b struct {
		Entry []struct {
			Resource struct{ ResourceType string }
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	obs := false
	var out strings.Builder
	out.WriteString(`{"resourceType":"Bundle","type":"transaction-response","entry":[`)
	for i, e := range b.Entry {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteString(`{"response":{"status":"200 OK"}}`)
		obs = obs || e.Resource.ResourceType == "Observation"
	}
	out.WriteString(`]}`)
	z.mu.Lock()
	z.requests++
	z.resources += len(b.Entry)
	z.mu.Unlock()
	_, _ = io.WriteString(w, out.String())
	if obs && z.observed != nil {
		select {
		case z.observed <- time.Now():
		default:
		}
	}
}

func (z *zeroFHIR) counts() (requests, resources int) {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.requests, z.resources
}

// benchEnv is a running ohx (in process) wired to a Withings emulator with
// users accounts and to a zero-latency FHIR server.
type benchEnv struct {
	e    *e2e
	fhir *zeroFHIR
	svc  *link.Service
}

func newBenchEnv(b *testing.B, users, backfillDays int) *benchEnv {
	b.Helper()
	fhir := &zeroFHIR{observed: make(chan time.Time, 1)}
	fhirSrv := httptest.NewServer(fhir)
	b.Cleanup(fhirSrv.Close)
	emu := withingstest.New(withingstest.Config{Seed: 9, ClientID: "bench", ClientSecret: "bench-secret", QuotaPerMinute: -1})
	for i := range users {
		emu.AddUser(withingstest.User{ID: strconv.Itoa(1000 + i)})
	}
	emuSrv := httptest.NewServer(emu)
	b.Cleanup(emuSrv.Close)
	key, _ := seal.NewKey()
	addr := freeAddr(b)
	e := &e2e{emu: emu, vars: map[string]string{
		"OHX_DATABASE_URL": testenv.SQLiteURL(b), "OHX_ENCRYPTION_KEY": key, "OHX_HTTP_ADDR": addr,
		"OHX_PUBLIC_URL": "http://" + addr, "OHX_WITHINGS_CLIENT_ID": "bench", "OHX_WITHINGS_CLIENT_SECRET": "bench-secret",
		"OHX_WITHINGS_AUTH_URL": emuSrv.URL + withingstest.AuthorizePath, "OHX_WITHINGS_API_URL": emuSrv.URL,
		"OHX_WITHINGS_WEBHOOK_TOKEN": "bench-webhook-token-0123456789", "OHX_WITHINGS_QUOTA_PER_MINUTE": "100000",
		"OHX_FHIR_BASE_URL": fhirSrv.URL + "/fhir", "OHX_JOB_POLL_INTERVAL": "5ms", "OHX_LOG_LEVEL": "error",
		"OHX_BACKFILL_DAYS": strconv.Itoa(backfillDays), "OHX_WORKERS": "4",
	}}
	if code, _, errOut := runCmd(b, e.vars, "migrate", "up"); code != 0 {
		b.Fatal(errOut)
	}
	db, err := store.Open(context.Background(), e.vars["OHX_DATABASE_URL"])
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	e.db = db
	return &benchEnv{e: e, fhir: fhir, svc: benchLinker(b, e, backfillDays)}
}

// benchLinker links accounts from tokens the emulator issues, queueing what
// ohx queues for a new link.
func benchLinker(b *testing.B, e *e2e, days int) *link.Service {
	wc, _ := withings.New(withings.Config{APIURL: e.vars["OHX_WITHINGS_API_URL"], ClientID: "bench", ClientSecret: "bench-secret"}, &http.Client{}, nil)
	keys, _ := seal.NewKeyring(e.vars["OHX_ENCRYPTION_KEY"], "")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	q, err := jobs.NewClient(e.db, jobs.Config{Logger: logger, Pipeline: &jobs.Pipeline{}})
	if err != nil {
		b.Fatal(err)
	}
	after := func(ctx context.Context, tx *store.Tx, l store.Link) error {
		return jobs.EnqueueInitial(ctx, q, tx, l.ID, withings.Groups(), time.Now().UTC(), days)
	}
	return link.New(e.db, keys, map[string]link.OAuth{"withings": link.Withings(wc)}, after, logger)
}

func (be *benchEnv) linkUser(b *testing.B, user string) {
	access, refresh := be.e.emu.IssueToken(user)
	_, err := be.svc.Import(context.Background(), "bench-"+user, "withings", link.Grant{ExternalUserID: user,
		AccessToken: access, RefreshToken: refresh, Expiry: time.Now().Add(3 * time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// BenchmarkWebhookToFHIR measures the time from a Withings notification to
// the resulting Bundle reaching the FHIR server, with both peers answering
// at once: ohx's own latency (webhook, queue, fetch, map, publish).
func BenchmarkWebhookToFHIR(b *testing.B) {
	be := newBenchEnv(b, 1, 0)
	stop, logs := serveUntilCancelled(b, be.e.vars)
	defer stop()
	be.linkUser(b, "1000")
	waitQueueIdle(b, be.e.db, time.Minute, logs)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	var last time.Time
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// Withings times are whole seconds: a weigh-in in the same second as
		// the last would be the same record, so wait for the next second.
		b.StopTimer()
		for !time.Now().Truncate(time.Second).After(last) {
			time.Sleep(10 * time.Millisecond)
		}
		b.StartTimer()
		start := time.Now()
		last = start.Truncate(time.Second)
		if err := be.e.emu.GenerateNew(ctx, "1000", 1, start); err != nil {
			b.Fatal(err)
		}
		select {
		case arrived := <-be.fhir.observed:
			lat = append(lat, arrived.Sub(start))
		case <-time.After(30 * time.Second):
			b.Fatalf("weigh-in %d never reached the FHIR server:\n%s", i, logs.String())
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(percentile(lat, 0.50).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
}

// BenchmarkBackfill100Users links 100 users and backfills one day of each
// (measures, ECG, activity with intraday series, sleep, devices), and
// reports resources per second and FHIR requests per sync job.
func BenchmarkBackfill100Users(b *testing.B) {
	for range b.N {
		b.StopTimer()
		be := newBenchEnv(b, 100, 1)
		stop, logs := serveUntilCancelled(b, be.e.vars)
		b.StartTimer()
		start := time.Now()
		for i := range 100 {
			be.linkUser(b, strconv.Itoa(1000+i))
		}
		waitQueueIdle(b, be.e.db, 10*time.Minute, logs)
		elapsed := time.Since(start)
		b.StopTimer()
		requests, resources := be.fhir.counts()
		var syncs int
		_ = be.e.db.SQL().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'ohx.sync' AND state = 'completed'`).Scan(&syncs)
		b.ReportMetric(float64(resources)/elapsed.Seconds(), "resources/s")
		b.ReportMetric(float64(requests)/float64(syncs), "fhir-requests/sync")
		b.ReportMetric(float64(resources)/float64(syncs), "resources/sync")
		stop()
	}
}

// BenchmarkBackfillWorkerPeakMemory runs a 30-day backfill (with intraday
// heart rate) in a separate worker process and reports its peak resident
// memory (VmHWM).
func BenchmarkBackfillWorkerPeakMemory(b *testing.B) {
	for range b.N {
		be := newBenchEnv(b, 1, 30)
		stop, logs := serveUntilCancelled(b, be.e.vars, "--role", "web")
		worker := startChild(b, be.e.vars, "serve --role worker")
		be.linkUser(b, "1000")
		waitQueueIdle(b, be.e.db, 10*time.Minute, logs)
		hwm := peakRSS(b, worker.Process.Pid)
		_, resources := be.fhir.counts()
		b.ReportMetric(float64(hwm)/1024, "worker-peak-MiB")
		b.ReportMetric(float64(resources), "resources")
		_ = worker.Process.Kill()
		_ = worker.Wait()
		stop()
	}
}

// peakRSS reads a process's peak resident set size in KiB.
func peakRSS(b *testing.B, pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	b.Fatal("VmHWM not found")
	return 0
}

// waitQueueIdle waits until no job is waiting, running or due.
func waitQueueIdle(tb testing.TB, db *store.DB, timeout time.Duration, logs *lockedBuffer) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		counts, err := jobs.QueueCounts(context.Background(), db)
		if err != nil {
			tb.Fatal(err)
		}
		if counts["available"]+counts["running"]+counts["retryable"]+counts["scheduled"]+counts["pending"] == 0 {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("queue busy after %v: %v\n%s", timeout, counts, logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
