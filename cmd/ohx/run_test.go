package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/seal"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

// lockedBuffer collects output written by run's goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func runCmd(t testing.TB, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut lockedBuffer
	code := run(context.Background(), append([]string{"ohx"}, args...), envOf(vars), strings.NewReader(""), &out, &errOut)
	return code, out.String(), errOut.String()
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// serveUntilCancelled starts `ohx serve` through run and returns a stop
// function that cancels it (as SIGTERM would) and returns its exit status.
func serveUntilCancelled(t testing.TB, vars map[string]string, args ...string) (stop func() int, logs *lockedBuffer) {
	t.Helper()
	if vars["OHX_FHIR_OUTPUT_DIR"] == "" {
		vars["OHX_FHIR_OUTPUT_DIR"] = t.TempDir()
	}
	ctx, cancel := context.WithCancel(context.Background())
	logs = &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"ohx", "serve"}, args...), envOf(vars), strings.NewReader(""), logs, logs)
	}()
	base := "http://" + vars["OHX_HTTP_ADDR"]
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case code := <-done:
			cancel()
			t.Fatalf("serve exited early with %d:\n%s", code, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve never became ready:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return func() int {
		cancel()
		select {
		case code := <-done:
			return code
		case <-time.After(30 * time.Second):
			t.Fatalf("serve did not shut down:\n%s", logs.String())
			return -1
		}
	}, logs
}

func checkHealthy(t *testing.T, addr string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/api/metrics/health/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string
		Checks map[string]struct{ Status string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || body.Status != "healthy" || body.Checks["database"].Status != "healthy" ||
		body.Checks["queue"].Status != "healthy" {
		t.Fatalf("health = %d %+v", resp.StatusCode, body)
	}
}

func TestE2EServeOnEmbeddedDefaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "ohx.db")
	vars := map[string]string{"OHX_HTTP_ADDR": freeAddr(t), "OHX_DATABASE_URL": "sqlite:" + dbPath, "OHX_JOB_POLL_INTERVAL": "100ms"}
	stop, logs := serveUntilCancelled(t, vars)
	checkHealthy(t, vars["OHX_HTTP_ADDR"])
	for _, path := range []string{"/api/metrics/live/", "/api/metrics/ready/", "/healthz", "/metrics"} {
		resp, err := http.Get("http://" + vars["OHX_HTTP_ADDR"] + path)
		if err != nil || resp.StatusCode != 200 {
			t.Errorf("GET %s: %v %v", path, resp, err)
		}
		resp.Body.Close()
	}
	if code := stop(); code != 0 {
		t.Fatalf("serve exit status %d:\n%s", code, logs.String())
	}
	fi, err := os.Stat(dbPath + ".key")
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("generated key file: %v %v", fi, err)
	}
	for _, want := range []string{`"msg":"ohx serving"`, `"msg":"shutting down"`, `"msg":"stopped"`, "generated a key file"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
	key, _ := os.ReadFile(dbPath + ".key")
	if strings.Contains(logs.String(), strings.TrimSpace(string(key))) {
		t.Error("the generated key was logged")
	}
}

func TestE2EServePostgresWebAndWorker(t *testing.T) {
	t.Parallel()
	key, _ := seal.NewKey()
	url := testenv.PostgresURL(t)
	var stops []func() int
	for _, role := range []string{"web", "worker"} {
		vars := map[string]string{"OHX_HTTP_ADDR": freeAddr(t), "OHX_DATABASE_URL": url, "OHX_ENCRYPTION_KEY": key}
		stop, logs := serveUntilCancelled(t, vars, "--role", role)
		checkHealthy(t, vars["OHX_HTTP_ADDR"])
		if !strings.Contains(logs.String(), fmt.Sprintf(`"role":"%s"`, role)) {
			t.Errorf("%s process did not log its role", role)
		}
		stops = append(stops, stop)
	}
	for _, stop := range stops {
		if code := stop(); code != 0 {
			t.Errorf("exit status %d", code)
		}
	}
}

func TestUsageAndConfigurationErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		vars     map[string]string
		args     []string
		wantCode int
		wantOut  string
		wantErr  []string
	}{
		{"help", nil, []string{"--help"}, 0, "Commands:", nil},
		{"no command", nil, nil, 2, "Usage: ohx", nil},
		{"unknown command", nil, []string{"frobnicate"}, 2, "", []string{`unknown command "frobnicate"`}},
		{"version", nil, []string{"version"}, 0, "ohx dev", nil},
		{"command help", nil, []string{"serve", "--help"}, 0, "", []string{"--role"}},
		{"bad role", nil, []string{"serve", "--role", "boss"}, 2, "", []string{"--role must be"}},
		{"bad flag", nil, []string{"migrate", "--nope"}, 2, "", []string{"flag provided but not defined"}},
		{"bad migrate verb", nil, []string{"migrate", "sideways"}, 2, "", []string{"want exactly one of: up, status"}},
		{"invalid config, one line each", map[string]string{"OHX_LOG_FORMAT": "xml", "OHX_WORKERS": "many",
			"OHX_DATABASE_URL": "mysql://x"}, []string{"serve"}, 2, "",
			[]string{"\nOHX_LOG_FORMAT: must be json or text\n", "\nOHX_WORKERS: must be an integer", "\nOHX_DATABASE_URL: must start with"}},
		{"postgres needs a key", map[string]string{"OHX_DATABASE_URL": "postgres://u:pw@127.0.0.1/db"}, []string{"migrate", "up"}, 2, "",
			[]string{"OHX_ENCRYPTION_KEY: required with PostgreSQL"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, out, errOut := runCmd(t, tc.vars, tc.args...)
			if code != tc.wantCode || !strings.Contains(out, tc.wantOut) {
				t.Errorf("exit %d (want %d), stdout %q (want %q)", code, tc.wantCode, out, tc.wantOut)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
		})
	}
}

func TestConfigCommandRedacts(t *testing.T) {
	t.Parallel()
	key, _ := seal.NewKey()
	secrets := map[string]string{"OHX_ENCRYPTION_KEY": key, "OHX_WITHINGS_CLIENT_SECRET": "wsecret-1234",
		"OHX_WITHINGS_WEBHOOK_TOKEN": "hook-token-0123456789", "OHX_FHIR_AUTH_TOKEN": "fhir-bearer-9876"}
	vars := map[string]string{"OHX_DATABASE_URL": "postgres://ohx:hunter2@db/ohx", "OHX_WITHINGS_CLIENT_ID": "cid",
		"OHX_FHIR_BASE_URL": "https://ehr.example/fhir"}
	for k, v := range secrets {
		vars[k] = v
	}
	code, out, _ := runCmd(t, vars, "config")
	if code != 0 || strings.Contains(out, "hunter2") || !strings.Contains(out, "OHX_HTTP_ADDR") || !strings.Contains(out, "OHX_FHIR_MODE") {
		t.Fatalf("config: exit %d\n%s", code, out)
	}
	for name, secret := range secrets {
		if strings.Contains(out, secret) {
			t.Errorf("config prints %s", name)
		}
	}
}

func TestMigrateUpAndStatus(t *testing.T) {
	t.Parallel()
	vars := map[string]string{"OHX_DATABASE_URL": testenv.SQLiteURL(t)}
	code, out, errOut := runCmd(t, vars, "migrate", "status")
	if code != 0 || !strings.Contains(out, "0001_init") || !strings.Contains(out, "pending") {
		t.Fatalf("status before: %d %q %q", code, out, errOut)
	}
	if code, out, errOut = runCmd(t, vars, "migrate", "up"); code != 0 || !strings.Contains(out, "migration(s) [1 ") {
		t.Fatalf("up: %d %q %q", code, out, errOut)
	}
	code, out, _ = runCmd(t, vars, "migrate", "status")
	if code != 0 || strings.Contains(out, "pending") || !strings.Contains(out, "River schema version") {
		t.Fatalf("status after: %d %q", code, out)
	}
	// serve refuses a schema that is behind when told not to migrate.
	fresh := map[string]string{"OHX_DATABASE_URL": testenv.SQLiteURL(t), "OHX_MIGRATE": "false", "OHX_HTTP_ADDR": freeAddr(t)}
	code, _, errOut = runCmd(t, fresh, "serve")
	if code != 1 || !strings.Contains(errOut, "run `ohx migrate up`") {
		t.Errorf("serve on unmigrated schema with OHX_MIGRATE=false: %d %q", code, errOut)
	}
}

func TestRotateKey(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			url := e.URL(t)
			oldKey, _ := seal.NewKey()
			newKey, _ := seal.NewKey()
			vars := map[string]string{"OHX_DATABASE_URL": url, "OHX_ENCRYPTION_KEY": oldKey}
			if code, _, errOut := runCmd(t, vars, "migrate", "up"); code != 0 {
				t.Fatal(errOut)
			}
			db, err := store.Open(ctx, url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			oldRing, _ := seal.NewKeyring(oldKey, "")
			for i := range 3 {
				ext := fmt.Sprint(1000 + i)
				s, _ := oldRing.Seal([]byte("token-"+ext), store.TokenContext("withings", ext))
				err := db.InTx(ctx, func(tx *store.Tx) error {
					p, err := tx.EnsurePatient(ctx, "ehr-"+ext)
					if err != nil {
						return err
					}
					_, err = tx.CreateLink(ctx, p.ID, "withings", ext, "", store.SealedToken{KeyID: s.KeyID, Data: s.Data})
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			// Without the previous key, rotation fails clearly and changes nothing.
			code, _, errOut := runCmd(t, map[string]string{"OHX_DATABASE_URL": url, "OHX_ENCRYPTION_KEY": newKey}, "rotate-key")
			if code != 1 || !strings.Contains(errOut, "OHX_ENCRYPTION_KEY_PREVIOUS") {
				t.Errorf("rotate without previous key: %d %q", code, errOut)
			}
			vars = map[string]string{"OHX_DATABASE_URL": url, "OHX_ENCRYPTION_KEY": newKey, "OHX_ENCRYPTION_KEY_PREVIOUS": oldKey}
			code, out, errOut := runCmd(t, vars, "rotate-key")
			if code != 0 || !strings.Contains(out, "re-encrypted 3 token set(s)") {
				t.Fatalf("rotate-key: %d %q %q", code, out, errOut)
			}
			newRing, _ := seal.NewKeyring(newKey, "")
			err = db.InTx(ctx, func(tx *store.Tx) error {
				left, err := tx.LinksSealedWithOtherKey(ctx, newRing.CurrentKeyID(), 10)
				if len(left) != 0 {
					t.Errorf("%d links still under the old key", len(left))
				}
				l, err2 := tx.LiveLinkByExternalUser(ctx, "withings", "1001")
				if err2 != nil {
					return err2
				}
				pt, err2 := newRing.Open(seal.Sealed{KeyID: l.Token.KeyID, Data: l.Token.Data}, store.TokenContext("withings", "1001"))
				if err2 != nil || string(pt) != "token-1001" {
					t.Errorf("re-sealed token opens to %q, %v", pt, err2)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if code, out, _ := runCmd(t, vars, "rotate-key"); code != 0 || !strings.Contains(out, "re-encrypted 0") {
				t.Errorf("second rotation: %d %q", code, out)
			}
		})
	}
}

func TestConvertThroughRun(t *testing.T) {
	t.Parallel()
	fixture := filepath.Join("..", "..", "internal", "provider", "withings", "testdata", "getmeas_weight_bodyplus_aiowithings.json")
	code, out, errOut := runCmd(t, nil, "convert", "--provider", "withings", "--source", "getmeas",
		"--patient", "p-42", "--now", "2026-11-28T10:00:00Z", fixture)
	if code != 0 {
		t.Fatalf("convert: exit %d: %s", code, errOut)
	}
	var b struct {
		ResourceType string
		Type         string
		Entry        []struct{ Resource map[string]any }
	}
	if err := json.NewDecoder(strings.NewReader(out)).Decode(&b); err != nil || b.ResourceType != "Bundle" || len(b.Entry) == 0 {
		t.Fatalf("convert output is not a non-empty Bundle: %v\n%s", err, out)
	}
	code, out, errOut = runCmd(t, nil, "convert", "--provider", "withings", "--source", "getmeas", "--patient", "p", "/dev/null")
	if code == 0 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || strings.Contains(errOut, "convert: convert:") {
		t.Errorf("empty input: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestEmulateWithings(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var logs lockedBuffer
	go func() {
		done <- run(ctx, []string{"ohx", "emulate", "withings", "--addr", addr, "--user", "77"}, envOf(nil), strings.NewReader(""), &logs, &logs)
	}()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	authURL := "http://" + addr + "/oauth2_user/authorize2?response_type=code&client_id=ohx-demo&state=s1&scope=user.info&redirect_uri=" +
		url.QueryEscape("http://ohx.local/social/complete/withings/")
	var resp *http.Response
	var err error
	for range 100 {
		if resp, err = c.Get(authURL); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("emulator never answered: %v\n%s", err, logs.String())
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" || loc.Query().Get("state") != "s1" {
		t.Errorf("authorize: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("emulate exited %d:\n%s", code, logs.String())
	}
	if code, _, _ := runCmd(t, nil, "emulate", "fitbit"); code != 2 {
		t.Errorf("unknown emulator: exit %d", code)
	}
}

func TestCheckFHIR(t *testing.T) {
	t.Parallel()
	r5 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		fmt.Fprint(w, `{"resourceType":"CapabilityStatement","status":"active","kind":"instance","fhirVersion":"5.0.0"}`)
	}))
	defer r5.Close()
	r4 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		fmt.Fprint(w, `{"resourceType":"CapabilityStatement","status":"active","kind":"instance","fhirVersion":"4.0.1"}`)
	}))
	defer r4.Close()
	if code, out, errOut := runCmd(t, map[string]string{"OHX_FHIR_BASE_URL": r5.URL}, "check", "fhir"); code != 0 || !strings.Contains(out, "ok:") {
		t.Errorf("R5 server: exit %d, %q %q", code, out, errOut)
	}
	if code, _, errOut := runCmd(t, map[string]string{"OHX_FHIR_BASE_URL": r4.URL}, "check", "fhir"); code != 1 || !strings.Contains(errOut, "4.0.1") {
		t.Errorf("R4 server: exit %d, %q", code, errOut)
	}
	if code, out, _ := runCmd(t, map[string]string{"OHX_FHIR_OUTPUT_DIR": t.TempDir()}, "check", "fhir"); code != 0 || !strings.Contains(out, "directory") {
		t.Errorf("directory: exit %d, %q", code, out)
	}
}
