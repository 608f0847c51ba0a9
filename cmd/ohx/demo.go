package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ohx-health/ohx/internal/auth"
	"github.com/ohx-health/ohx/internal/config"
	"github.com/ohx-health/ohx/internal/logging"
	"github.com/ohx-health/ohx/internal/provider/withings/withingstest"
	"github.com/ohx-health/ohx/internal/store"
)

// demoPatient is the EHR patient the demo links.
const demoPatient = "demo-patient"

// runDemo runs the whole flow on one machine: a Withings emulator, ohx on
// SQLite, a patient linked through the patient API, a backfill, then a new
// measurement (and its webhook) every --every, published to a FHIR server
// (OHX_FHIR_BASE_URL) or to files.
func runDemo(ctx context.Context, e env, args []string) error {
	fset := newFlagSet(e, "demo", "demo [flags]\n\nRuns the whole flow on this machine: a Withings emulator, ohx (SQLite in --dir), the patient\n"+
		demoPatient+" linked through the patient API, a backfill, then a new measurement and its webhook every\n--every. Resources go to OHX_FHIR_BASE_URL when set, else to --dir/fhir as files. Stop with Ctrl-C.")
	addr := fset.String("addr", "127.0.0.1:8000", "ohx's address")
	emuAddr := fset.String("emulator-addr", "127.0.0.1:8081", "the Withings emulator's address")
	dir := fset.String("dir", "ohx-demo", "directory for the database and the FHIR files")
	every := fset.Duration("every", 20*time.Second, "how often the emulated patient measures something")
	days := fset.Int("days", 7, "days of history to backfill")
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o700); err != nil {
		return err
	}
	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	var secret [16]byte
	_, _ = rand.Read(secret[:])
	vars := map[string]string{
		"OHX_DATABASE_URL": "sqlite:" + filepath.Join(abs, "ohx.db"), "OHX_HTTP_ADDR": *addr, "OHX_PUBLIC_URL": "http://" + *addr,
		"OHX_WITHINGS_CLIENT_ID": "ohx-demo", "OHX_WITHINGS_CLIENT_SECRET": "ohx-demo-secret",
		"OHX_WITHINGS_AUTH_URL": "http://" + *emuAddr + withingstest.AuthorizePath, "OHX_WITHINGS_API_URL": "http://" + *emuAddr,
		"OHX_WITHINGS_WEBHOOK_TOKEN": hex.EncodeToString(secret[:]), "OHX_BACKFILL_DAYS": fmt.Sprint(*days),
		"OHX_JOB_POLL_INTERVAL": "250ms", "OHX_FHIR_OUTPUT_DIR": filepath.Join(abs, "fhir"), "OHX_LOG_LEVEL": "warn",
	}
	getenv := func(k string) string {
		if v, ok := vars[k]; ok && (k != "OHX_LOG_LEVEL" || e.getenv(k) == "") {
			return v
		}
		return e.getenv(k) // the FHIR server and mapping settings, if any
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	logger := logging.New(e.stderr, cfg.LogFormat, cfg.LogLevel)

	emu := withingstest.New(withingstest.Config{Seed: uint64(time.Now().UnixNano()), ClientID: "ohx-demo", ClientSecret: "ohx-demo-secret"})
	emu.AddUser(withingstest.User{ID: "1001"})
	emuDone := make(chan error, 1)
	go func() { emuDone <- emu.ListenAndServe(ctx, *emuAddr) }()
	serveDone := make(chan error, 1)
	go func() { serveDone <- serve(ctx, cfg, logger, roleAll) }()

	base := "http://" + *addr
	if err := waitReady(ctx, base, serveDone, emuDone); err != nil {
		return err
	}
	where := cfg.Publish.BaseURL
	if where == "" {
		where = filepath.Join(abs, "fhir")
	}
	out := e.stdout
	fmt.Fprintf(out, "ohx on %s, Withings emulator on http://%s, FHIR resources to %s\n", base, *emuAddr, where)
	key, err := demoKey(ctx, cfg)
	if err != nil {
		return err
	}
	if err := demoLink(ctx, base, key); err != nil {
		return err
	}
	fmt.Fprintf(out, "linked %s to Withings user 1001 through the patient API; backfilling %d days\n", demoPatient, *days)
	fmt.Fprintf(out, "try: curl -H 'Authorization: Bearer %s' '%s/api/base/sync/status/?ehr_user_id=%s'\n", key, base, demoPatient)

	applis := []int{1, 4, 16, 44, 54}
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			fmt.Fprintln(out, "stopping")
			if err := <-serveDone; err != nil {
				return err
			}
			return nil
		case err := <-serveDone:
			return fmt.Errorf("ohx stopped: %w", err)
		case err := <-emuDone:
			return fmt.Errorf("emulator stopped: %w", err)
		case now := <-tick.C:
			a := applis[i%len(applis)]
			if err := emu.GenerateNew(ctx, "1001", a, now); err != nil {
				fmt.Fprintf(out, "new measurement (appli %d): %v\n", a, err)
				continue
			}
			fmt.Fprintf(out, "%s new Withings data (appli %d), webhook sent; %s\n", now.Format(time.TimeOnly), a, demoCount(cfg, where))
		}
	}
}

// waitReady waits for ohx's readiness probe.
func waitReady(ctx context.Context, base string, serveDone, emuDone <-chan error) error {
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-serveDone:
			return fmt.Errorf("ohx did not start: %w", err)
		case err := <-emuDone:
			return fmt.Errorf("the emulator did not start: %w", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// demoKey creates an API key for this demo run.
func demoKey(ctx context.Context, cfg config.Config) (string, error) {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return "", err
	}
	defer db.Close()
	key, hash, prefix, err := auth.NewAPIKey()
	if err != nil {
		return "", err
	}
	name := "demo-" + time.Now().UTC().Format("20060102T150405.000")
	err = db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.CreateAPIKey(ctx, name, hash, prefix); return err })
	return key, err
}

// demoLink links the demo patient as an app would: it asks ohx for the
// consent URL, and a "browser" follows it (the emulator consents at once)
// back to ohx's callback.
func demoLink(ctx context.Context, base, key string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/base/link/withings/?ehr_user_id="+demoPatient, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	var start struct {
		AuthorizationURL string `json:"authorization_url"`
	}
	err = json.NewDecoder(resp.Body).Decode(&start)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("demo: starting the link answered %d", resp.StatusCode)
	}
	if _, err := url.Parse(start.AuthorizationURL); err != nil {
		return err
	}
	resp, err = http.Get(start.AuthorizationURL)
	if err != nil {
		return err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "is linked") {
		return fmt.Errorf("demo: the link callback answered %d", resp.StatusCode)
	}
	return nil
}

// demoCount says how many resources ohx has published so far, from its
// sync bookkeeping (or the files, in directory mode).
func demoCount(cfg config.Config, dir string) string {
	if cfg.Publish.BaseURL == "" {
		n := 0
		_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(d.Name(), ".json") {
				n++
			}
			return nil
		})
		return fmt.Sprintf("%d FHIR resources written so far", n)
	}
	return "resources go to " + cfg.Publish.BaseURL
}
