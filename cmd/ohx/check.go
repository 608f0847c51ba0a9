package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ohx-health/ohx/internal/provider/withings"
	"github.com/ohx-health/ohx/internal/publish"
)

// runCheck verifies, on demand, what serve also checks at start: that the
// FHIR destination can take ohx's output, or that a provider accepts ohx's
// client credentials.
func runCheck(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "check", "check fhir|withings\n\n"+
		"fhir: the FHIR destination (OHX_FHIR_BASE_URL, or OHX_FHIR_OUTPUT_DIR) is usable: a server must answer\n"+
		"GET /metadata with fhirVersion 5.x, with the configured authentication.\n"+
		"withings: Withings accepts OHX_WITHINGS_CLIENT_ID and OHX_WITHINGS_CLIENT_SECRET (a signed getnonce call).")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || (fs.Arg(0) != "fhir" && fs.Arg(0) != "withings") {
		return usageError{errors.New("usage: ohx check fhir|withings")}
	}
	cfg, logger, err := loadConfig(e)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	hc := &http.Client{Timeout: time.Minute}
	if fs.Arg(0) == "withings" {
		if !cfg.Withings.Enabled() {
			return usageError{errors.New("check withings: Withings is not configured (OHX_WITHINGS_CLIENT_ID)")}
		}
		c, err := withings.New(withingsConfig(cfg), hc, nil)
		if err != nil {
			return err
		}
		if err := c.CheckCredentials(ctx); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "ok: Withings accepts client id %s and its secret\n", cfg.Withings.ClientID)
		return nil
	}
	sink, err := publish.New(cfg.Publish, hc, nil, logger)
	if err != nil {
		return err
	}
	if err := sink.Verify(ctx); err != nil {
		return err
	}
	where := cfg.Publish.BaseURL
	if where == "" {
		where = "directory " + cfg.Publish.OutputDir
	}
	fmt.Fprintf(e.stdout, "ok: %s can take FHIR R5 resources\n", where)
	return nil
}
