// Package convert is the logic of `ohx convert`: read one raw provider
// response, decode it, map it to FHIR R5 and print the Bundles ohx would
// publish. It exposes the mapping to users and to black-box tests; it never
// talks to a provider or a FHIR server.
package convert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/fhir"
	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/provider/fitbit"
	"github.com/ohx-health/ohx/internal/provider/withings"
)

// maxInput bounds what convert reads: a day of per-second intraday data is a
// few MB, so 256 MB is generous and still stops a runaway pipe.
const maxInput = 256 << 20

// fitbitSources are the Google Health API data type names ohx reads for
// Fitbit, plus paired-devices: the sources package fitbit decodes.
func fitbitSources() []string { return fitbit.Sources() }

// config is what the command line says.
type config struct {
	provider, source, patient, mode, file string
	now                                   time.Time
}

// Run runs `ohx convert` with args (the arguments after "convert"). It prints
// the Bundles as indented JSON, one after another, to stdout; on any error it
// prints nothing there and returns a one-line error naming what was wrong.
// It returns flag.ErrHelp for -h.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parse(args, stderr)
	if err != nil {
		return err
	}
	if cfg.now.IsZero() {
		cfg.now = time.Now().UTC()
	}
	opts, errs := fhir.LoadOptions(func(k string) string {
		if k == "OHX_FHIR_MODE" && cfg.mode != "" {
			return cfg.mode
		}
		return getenv(k)
	})
	if len(errs) > 0 {
		return fmt.Errorf("convert: %w", errors.Join(errs...))
	}
	body, err := readInput(cfg.file, stdin)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	batch, err := decode(cfg.provider, cfg.source, body)
	if err != nil {
		return err
	}
	bundles, err := fhir.New(opts).Bundles(fhir.Input{Patient: cfg.patient, Batch: batch, Now: cfg.now})
	if err != nil {
		return fmt.Errorf("convert: map to FHIR: %w", err)
	}
	if len(bundles) == 0 {
		// Nothing to publish (e.g. intraday series with OHX_INTRADAY=off):
		// print an empty Bundle so the output is always JSON.
		bundles = []*fhir.Bundle{{ResourceType: "Bundle", Type: opts.BundleType, Timestamp: cfg.now.UTC().Format(time.RFC3339Nano)}}
	}
	var out bytes.Buffer
	for _, b := range bundles {
		data, err := json.MarshalIndent(b, "", "  ")
		if err != nil {
			return fmt.Errorf("convert: encode bundle: %w", err)
		}
		out.Write(data)
		out.WriteByte('\n')
	}
	_, err = stdout.Write(out.Bytes())
	return err
}

func parse(args []string, stderr io.Writer) (config, error) {
	var cfg config
	var now string
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: ohx convert --provider withings|fitbit --source NAME --patient EHR_USER_ID [--mode modern|legacy] [--now RFC3339] [FILE|-]")
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nwithings sources: %s\nfitbit sources: %s\n", strings.Join(withings.Sources(), " "), strings.Join(fitbitSources(), " "))
	}
	fs.StringVar(&cfg.provider, "provider", "", "provider: withings or fitbit")
	fs.StringVar(&cfg.source, "source", "", "API call the body came from, e.g. getmeas or heart-rate")
	fs.StringVar(&cfg.patient, "patient", "", "the EHR's patient id")
	fs.StringVar(&cfg.mode, "mode", "", "output mode: modern or legacy (default: OHX_FHIR_MODE, else modern)")
	fs.StringVar(&now, "now", "", "publication time, RFC 3339 (default: the current time)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, flag.ErrHelp
		}
		return cfg, fmt.Errorf("convert: %w", err)
	}
	switch {
	case cfg.provider != "withings" && cfg.provider != "fitbit":
		return cfg, errors.New("convert: --provider must be withings or fitbit")
	case cfg.source == "":
		return cfg, errors.New("convert: --source is required")
	case strings.TrimSpace(cfg.patient) == "":
		return cfg, errors.New("convert: --patient is required")
	case cfg.mode != "" && cfg.mode != fhir.ModeModern && cfg.mode != fhir.ModeLegacy:
		return cfg, errors.New("convert: --mode must be modern or legacy")
	case fs.NArg() > 1:
		return cfg, errors.New("convert: at most one input file")
	}
	if now != "" {
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			return cfg, errors.New("convert: --now is not an RFC 3339 time")
		}
		cfg.now = t
	}
	cfg.file = fs.Arg(0)
	return cfg, nil
}

func readInput(file string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if file != "" && file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, fmt.Errorf("convert: open input: %w", err)
		}
		defer f.Close()
		r = f
	}
	body, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("convert: read input: %w", err)
	}
	if len(body) > maxInput {
		return nil, errors.New("convert: input is larger than 256 MB")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, errors.New("convert: input is empty")
	}
	return body, nil
}

func decode(provider, source string, body []byte) (health.Batch, error) {
	if provider == "fitbit" {
		if !slices.Contains(fitbitSources(), source) {
			return health.Batch{}, fmt.Errorf("convert: unknown fitbit source %q (want a Google Health API data type such as heart-rate, or paired-devices)", source)
		}
		batch, err := fitbit.Decode(source, body)
		if err != nil {
			return health.Batch{}, fmt.Errorf("convert: decode fitbit %s: %w", source, err)
		}
		return batch, nil
	}
	if !slices.Contains(withings.Sources(), source) {
		return health.Batch{}, fmt.Errorf("convert: unknown withings source %q (want one of %s)", source, strings.Join(withings.Sources(), ", "))
	}
	batch, err := withings.Decode(source, body)
	if err != nil {
		return health.Batch{}, fmt.Errorf("convert: decode withings %s: %w", source, err)
	}
	return batch, nil
}
