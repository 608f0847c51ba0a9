package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/ohx-health/ohx/internal/publish"
)

// runCheck verifies, on demand, that the configured FHIR destination can
// take ohx's output: the server answers /metadata with fhirVersion 5.x (or
// the output directory is writable). serve does the same at start.
func runCheck(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "check", "check fhir\n\nVerifies that the FHIR destination (OHX_FHIR_BASE_URL, or OHX_FHIR_OUTPUT_DIR) is usable:\na server must answer GET /metadata with fhirVersion 5.x, with the configured authentication.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || fs.Arg(0) != "fhir" {
		return usageError{errors.New("usage: ohx check fhir")}
	}
	cfg, logger, err := loadConfig(e)
	if err != nil {
		return err
	}
	sink, err := publish.New(cfg.Publish, &http.Client{Timeout: time.Minute}, nil, logger)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
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
