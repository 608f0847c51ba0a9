package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ohx-health/ohx/internal/httpapi"
	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/logging"
	"github.com/ohx-health/ohx/internal/metrics"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

type fixture struct {
	srv  *httptest.Server
	db   *store.DB
	logs *syncBuffer
}

// syncBuffer is a log sink the server goroutines and the test can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newFixture(t *testing.T, url string) fixture {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	logs := &syncBuffer{}
	logger := logging.New(logs, "json", slog.LevelInfo)
	if _, err := jobs.Migrate(ctx, db, logger); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, metrics.Build{Version: "test", Commit: "abc"},
		func(ctx context.Context) (map[string]int64, error) { return jobs.QueueCounts(ctx, db) }, logger)
	h := httpapi.NewServer(httpapi.Deps{Logger: logger, DB: db, Metrics: m, Gatherer: reg,
		QueueCheck: func(ctx context.Context) error { _, err := jobs.QueueCounts(ctx, db); return err }})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return fixture{srv: srv, db: db, logs: logs}
}

func getJSON(t *testing.T, url string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("%s: body is not JSON: %v", url, err)
	}
	return resp.StatusCode, body
}

func TestProbesHealthyThenUnhealthy(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, e.URL(t))
			code, health := getJSON(t, f.srv.URL+"/api/metrics/health/")
			if code != 200 || health["status"] != "healthy" {
				t.Fatalf("health = %d %v", code, health)
			}
			checks := health["checks"].(map[string]any)
			for _, name := range []string{"database", "queue"} {
				c := checks[name].(map[string]any)
				if c["status"] != "healthy" || c["response_time_ms"] == nil {
					t.Errorf("check %s = %v", name, c)
				}
			}
			if _, ok := health["timestamp"].(float64); !ok {
				t.Errorf("timestamp missing: %v", health)
			}
			for _, path := range []string{"/api/metrics/ready/", "/readyz"} {
				code, ready := getJSON(t, f.srv.URL+path)
				if code != 200 || ready["ready"] != true {
					t.Errorf("%s = %d %v", path, code, ready)
				}
			}

			f.db.Close() // the database goes away

			code, health = getJSON(t, f.srv.URL+"/api/metrics/health/")
			if code != 503 || health["status"] != "unhealthy" {
				t.Fatalf("health with database down = %d %v", code, health)
			}
			db := health["checks"].(map[string]any)["database"].(map[string]any)
			if db["status"] != "unhealthy" || db["error"] == "" {
				t.Errorf("database check = %v", db)
			}
			for _, path := range []string{"/api/metrics/ready/", "/readyz"} {
				code, ready := getJSON(t, f.srv.URL+path)
				if code != 503 || ready["ready"] != false || ready["checks"].(map[string]any)["database"] != false {
					t.Errorf("%s with database down = %d %v", path, code, ready)
				}
			}
			for _, path := range []string{"/api/metrics/live/", "/healthz"} {
				code, live := getJSON(t, f.srv.URL+path)
				if code != 200 || live["alive"] != true {
					t.Errorf("%s = %d %v", path, code, live)
				}
			}
		})
	}
}

func TestMetricsExposition(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testenv.SQLiteURL(t))
	getJSON(t, f.srv.URL+"/healthz")
	for _, path := range []string{"/api/metrics/", "/metrics"} {
		resp, err := http.Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body := string(b)
		for _, want := range []string{
			`ohx_build_info{commit="abc",version="test"} 1`,
			`ohx_http_requests_total{code="200",method="GET",route="GET /healthz"} 1`,
			`ohx_http_request_duration_seconds_bucket{method="GET",route="GET /healthz",le="0.005"}`,
			`ohx_queue_jobs{state="available"} 0`,
			`go_goroutines`,
			`process_resident_memory_bytes`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", path, want)
			}
		}
	}
	// Unknown paths are counted under one bounded label.
	http.Get(f.srv.URL + "/no/such/path?token=x")
	resp, _ := http.Get(f.srv.URL + "/metrics")
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `route="unmatched"`) || strings.Contains(string(b), "/no/such/path") {
		t.Error("unmatched path not folded into the bounded label")
	}
}

func TestRequestIDAndAccessLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testenv.SQLiteURL(t))
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/metrics/live/?token=s3cret", nil)
	req.Header.Set("X-Request-ID", "req-abc-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-ID"); got != "req-abc-123" {
		t.Errorf("echoed request id %q", got)
	}
	req.Header.Set("X-Request-ID", "bad\"id")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	gen := resp.Header.Get("X-Request-ID")
	if len(gen) != 32 {
		t.Errorf("malformed request id not replaced: %q", gen)
	}
	logs := f.logs.String()
	if strings.Contains(logs, "s3cret") || strings.Contains(logs, "token=") {
		t.Errorf("query string logged:\n%s", logs)
	}
	var lines int
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) != nil || rec["msg"] != "http request" {
			continue
		}
		lines++
		if rec["path"] != "/api/metrics/live/" || rec["status"] != float64(200) {
			t.Errorf("access log line = %v", rec)
		}
		if id := rec["request_id"]; id != "req-abc-123" && id != gen {
			t.Errorf("access log request_id = %v", id)
		}
	}
	if lines != 2 {
		t.Errorf("%d access log lines for 2 requests", lines)
	}
}
