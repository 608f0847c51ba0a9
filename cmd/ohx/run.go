package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"runtime/debug"
	"strings"

	"github.com/ohx-health/ohx/internal/config"
	"github.com/ohx-health/ohx/internal/convert"
	"github.com/ohx-health/ohx/internal/logging"
)

// Set at link time: -ldflags "-X main.version=v1.2.3 -X main.commit=abc".
var (
	version = "dev"
	commit  = ""
)

// Exit statuses: 0 success, 1 failure, 2 bad usage or configuration.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// env is what every command gets from run.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

// commands lists ohx's subcommands; `ohx CMD --help` explains each.
func commands() []command {
	return []command{
		{"serve", "run the HTTP server and/or the job workers", runServe},
		{"migrate", "apply (up) or list (status) database migrations", runMigrate},
		{"config", "print the effective configuration, secrets redacted", runConfig},
		{"convert", "print the FHIR Bundle ohx would publish for one raw provider response", runConvert},
		{"check", "verify the FHIR destination (check fhir) or the Withings app credentials (check withings)", runCheck},
		{"unlink", "queue the take-down of a link on an operator's behalf (ohx unlink LINK_ID)", runUnlink},
		{"api-key", "create, list or revoke the API keys of services calling the patient API", runAPIKey},
		{"provider", "show or set a provider's settings: enabled, excluded data types, allowed deep links", runProvider},
		{"demo", "run the whole flow on this machine: Withings emulator, ohx, a linked patient, FHIR output", runDemo},
		{"emulate", "serve a provider emulator (withings) for demos and manual testing", runEmulate},
		{"rotate-key", "re-encrypt every stored token with the current OHX_ENCRYPTION_KEY", runRotateKey},
		{"version", "print the version", runVersion},
	}
}

// usageError marks an error as the caller's mistake (exit status 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// run is the whole program: it parses args, reads configuration through
// getenv (and ./.env), and returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) < 2 || args[1] == "-h" || args[1] == "--help" || args[1] == "help" {
		printUsage(stdout)
		if len(args) < 2 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[1] {
			continue
		}
		err := c.run(ctx, e, args[2:])
		if err == nil || errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		msg := strings.TrimPrefix(err.Error(), c.name+": ")
		fmt.Fprintf(stderr, "ohx %s: %s\n", c.name, msg)
		var ue usageError
		if errors.As(err, &ue) {
			return exitUsage
		}
		return exitFailure
	}
	fmt.Fprintf(stderr, "ohx: unknown command %q (see ohx --help)\n", args[1])
	return exitUsage
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "ohx links patients' wearable accounts to their EHR record and relays new measurements as FHIR R5.")
	fmt.Fprintln(w, "\nUsage: ohx COMMAND [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nConfiguration comes from OHX_ environment variables and ./.env; `ohx config` lists them.")
	fmt.Fprintln(w, "Run `ohx COMMAND --help` for a command's flags.")
}

// newFlagSet returns a FlagSet whose usage explains the command.
func newFlagSet(e env, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("ohx "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: ohx %s\n\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args, turning a parse failure into a usage error.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	return nil
}

// loadConfig reads the configuration and builds the logger. A bad
// configuration is a usage error, reported one problem per line.
func loadConfig(e env) (config.Config, *slog.Logger, error) {
	getenv, err := config.WithDotEnv(e.getenv, ".env")
	if err != nil {
		return config.Config{}, nil, usageError{err}
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return cfg, nil, usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	return cfg, logging.New(e.stderr, cfg.LogFormat, cfg.LogLevel), nil
}

// buildCommit is the commit set at link time or, failing that, the VCS
// revision the Go toolchain stamped into the binary.
func buildCommit() string {
	if commit != "" {
		return commit
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

func runVersion(_ context.Context, e env, args []string) error {
	fs := newFlagSet(e, "version", "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "ohx %s (commit %s)\n", version, buildCommit())
	return nil
}

func runConfig(_ context.Context, e env, args []string) error {
	fs := newFlagSet(e, "config", "config")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	getenv, err := config.WithDotEnv(e.getenv, ".env")
	if err != nil {
		return usageError{err}
	}
	for _, s := range config.Describe(getenv) {
		fmt.Fprintf(e.stdout, "%-28s %-40s # %s\n", s.Name, s.Value, s.Doc)
	}
	if _, err := config.Load(getenv); err != nil {
		return usageError{fmt.Errorf("invalid configuration:\n%w", err)}
	}
	return nil
}

func runConvert(ctx context.Context, e env, args []string) error {
	getenv, err := config.WithDotEnv(e.getenv, ".env")
	if err != nil {
		return usageError{err}
	}
	return convert.Run(ctx, args, getenv, e.stdin, e.stdout, e.stderr)
}
