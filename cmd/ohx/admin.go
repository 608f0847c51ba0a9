package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/ohx-health/ohx/internal/auth"
	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/store"
)

// openForAdmin loads the configuration and opens the database for the
// administration commands.
func openForAdmin(ctx context.Context, e env) (*store.DB, error) {
	cfg, _, err := loadConfig(e)
	if err != nil {
		return nil, err
	}
	return openDB(ctx, cfg)
}

// runAPIKey manages the API keys of the services that call the patient
// API. A key is printed once, at creation; ohx keeps only its hash.
func runAPIKey(ctx context.Context, e env, args []string) error {
	const usage = "api-key create NAME | list | revoke NAME\n\n" +
		"API keys let a service (an EHR, a mobile app's backend) call the patient API for any patient:\n" +
		"send it as Authorization: Bearer <key>. create prints the new key once; ohx stores only its hash."
	fs := newFlagSet(e, "api-key", usage)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	verb, name := fs.Arg(0), fs.Arg(1)
	switch {
	case verb == "list" && fs.NArg() == 1:
	case (verb == "create" || verb == "revoke") && fs.NArg() == 2 && name != "":
	default:
		return usageError{errors.New("usage: ohx " + strings.SplitN(usage, "\n", 2)[0])}
	}
	db, err := openForAdmin(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	switch verb {
	case "create":
		key, hash, prefix, err := auth.NewAPIKey()
		if err != nil {
			return err
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.CreateAPIKey(ctx, name, hash, prefix); err != nil {
				return err
			}
			return tx.AddAudit(ctx, store.AuditEvent{Actor: "operator", Action: "api_key.created", Detail: name})
		})
		if errors.Is(err, store.ErrDuplicate) {
			return fmt.Errorf("api-key: the name %q is taken (names stay taken after revocation, for the audit trail); choose another", name)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "API key %q created; it is shown once, store it now:\n", name)
		fmt.Fprintln(e.stdout, key)
	case "revoke":
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.RevokeAPIKey(ctx, name); err != nil {
				return err
			}
			return tx.AddAudit(ctx, store.AuditEvent{Actor: "operator", Action: "api_key.revoked", Detail: name})
		})
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("api-key: no valid key named %q", name)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "API key %q revoked\n", name)
	case "list":
		var keys []store.APIKey
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) { keys, err = tx.APIKeys(ctx); return err }); err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tPREFIX\tCREATED\tLAST USED\tREVOKED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s…\t%s\t%s\t%s\n", k.Name, k.Prefix, stamp(k.CreatedAt), stamp(k.LastUsedAt), stamp(k.RevokedAt))
		}
		return tw.Flush()
	}
	return nil
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// runProvider shows or changes a provider's settings: whether it is
// enabled, the data types it must not publish, and where linking flows may
// send the patient (original: the Provider admin page).
func runProvider(ctx context.Context, e env, args []string) error {
	const usage = "provider show PROVIDER | set PROVIDER [flags]\n\n" +
		"set changes only the flags given. Deep links a flow's caller passes as success_url/error_url must\n" +
		"start with an --allow-redirect prefix; --success-url and --error-url are the defaults."
	fs := newFlagSet(e, "provider", usage)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	verb, provider := fs.Arg(0), fs.Arg(1)
	if (verb != "show" && verb != "set") || provider == "" {
		return usageError{errors.New("usage: ohx provider show|set PROVIDER [flags]")}
	}
	if provider != "withings" && provider != "fitbit" {
		return usageError{fmt.Errorf("provider: unknown provider %q (withings, fitbit)", provider)}
	}
	set := flag.NewFlagSet("ohx provider set", flag.ContinueOnError)
	set.SetOutput(e.stderr)
	enabled := set.String("enabled", "", "true or false")
	success := set.String("success-url", "", "default deep link after a successful link")
	failure := set.String("error-url", "", "default deep link after a failed link")
	var allow, exclude listFlag
	set.Var(&allow, "allow-redirect", "a URL prefix flows may redirect to (repeatable; replaces the list; \"-\" clears it)")
	set.Var(&exclude, "exclude", "a data type not to publish, e.g. ecg (repeatable; replaces the list; \"-\" clears it)")
	if verb == "set" {
		if err := parseFlags(set, fs.Args()[2:]); err != nil {
			return err
		}
	} else if fs.NArg() != 2 {
		return usageError{errors.New("usage: ohx provider show PROVIDER")}
	}
	known := map[string]bool{}
	for _, k := range health.KindInfos() {
		known[string(k.Kind)] = true
	}
	db, err := openForAdmin(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	var s store.ProviderSettings
	err = db.InTx(ctx, func(tx *store.Tx) (err error) {
		if s, err = tx.ProviderSettings(ctx, provider); err != nil || verb == "show" {
			return err
		}
		var problems []error
		set.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "enabled":
				s.Enabled = *enabled == "true"
				if *enabled != "true" && *enabled != "false" {
					problems = append(problems, errors.New("--enabled must be true or false"))
				}
			case "success-url":
				s.SuccessURL = *success
			case "error-url":
				s.ErrorURL = *failure
			case "allow-redirect":
				s.AllowedRedirectURLs = cleared(allow)
			case "exclude":
				s.ExcludedDataTypes = cleared(exclude)
				for _, k := range s.ExcludedDataTypes {
					if !known[k] {
						problems = append(problems, fmt.Errorf("--exclude: unknown data type %q", k))
					}
				}
			}
		})
		if len(problems) > 0 {
			return usageError{errors.Join(problems...)}
		}
		if err := tx.PutProviderSettings(ctx, s); err != nil {
			return err
		}
		return tx.AddAudit(ctx, store.AuditEvent{Actor: "operator", Action: "provider.settings_changed", Provider: provider})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "provider        %s\nenabled         %v\nsuccess url     %s\nerror url       %s\nallow redirect  %s\nexcluded        %s\n",
		s.Provider, s.Enabled, s.SuccessURL, s.ErrorURL, strings.Join(s.AllowedRedirectURLs, " "), strings.Join(s.ExcludedDataTypes, " "))
	return nil
}

func cleared(l listFlag) []string {
	if len(l) == 1 && l[0] == "-" {
		return nil
	}
	return l
}
