// Package config reads ohx's configuration from OHX_ environment variables
// (and an optional .env file) into one validated struct.
//
// It is the only place that knows variable names and defaults. It never
// touches the network or the database, and it never prints a secret: Describe
// redacts them.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/fhir"
	"github.com/ohx-health/ohx/internal/publish"
)

// Config is the effective configuration of one ohx process.
type Config struct {
	HTTPAddr    string
	DatabaseURL string
	PublicURL   string
	LogLevel    slog.Level
	LogFormat   string // "json" or "text"

	// EncryptionKey and EncryptionKeyPrevious are base64 AES-256 keys for
	// token sets at rest; Previous only decrypts, during a key rotation.
	EncryptionKey         string
	EncryptionKeyPrevious string

	// Migrate applies pending migrations when serve starts.
	Migrate bool
	// AuditRetention is how long audit events are kept before the periodic
	// prune job removes them.
	AuditRetention time.Duration
	// ShutdownTimeout bounds the drain of HTTP requests and running jobs.
	ShutdownTimeout time.Duration
	// Workers is the number of jobs one worker process runs at once.
	Workers int
	// JobPollInterval is how often River looks for new jobs when it is not
	// told about them.
	JobPollInterval time.Duration
	// JobTimeout bounds one job run; a job still marked running after twice
	// this (its worker died) is rescued and retried.
	JobTimeout time.Duration
	// RetryBase and RetryMax shape the exponential backoff of failed jobs.
	RetryBase, RetryMax time.Duration
	// MaxSnooze caps how long a job waits on a spent provider quota.
	MaxSnooze time.Duration

	// Withings is the Withings application's registration; Withings is on
	// when ClientID is set.
	Withings Withings
	// BackfillDays is how far back a new link's initial sync reaches.
	BackfillDays int
	// SyncInterval is how often every link is re-synced from its cursors,
	// the safety net for missed webhooks.
	SyncInterval time.Duration

	// Fitbit is ohx's Google Cloud OAuth client for the Google Health API;
	// Fitbit is on when ClientID is set.
	Fitbit Fitbit

	// OIDC lets patients call the patient API with their own identity
	// provider's tokens; off when Issuer is empty (API keys still work).
	OIDC OIDC

	// Publish says where resources go: a FHIR server (and how to
	// authenticate to it) or, by default, a directory.
	Publish publish.Config

	// FHIR configures the mapping: mode, Bundles, intraday granularity and
	// the legacy switches (read by fhir.LoadOptions, which also knows the
	// original service's variable names).
	FHIR fhir.Options
}

// Withings is ohx's registration with Withings.
type Withings struct {
	ClientID     string
	ClientSecret string
	AuthURL      string
	APIURL       string
	// WebhookToken is the secret ohx puts in the callback URL it registers,
	// since Withings does not sign notifications.
	WebhookToken   string
	QuotaPerMinute int
}

// Fitbit is ohx's registration with the Google Health API, through which
// it reads Fitbit data.
type Fitbit struct {
	ClientID, ClientSecret               string
	AuthURL, TokenURL, RevokeURL, APIURL string
	// WebhookSecret is the Authorization value configured on the Google
	// Health API subscriber; webhooks are off without it.
	WebhookSecret  string
	QuotaPerMinute int
}

// Enabled reports whether Fitbit is configured.
func (f Fitbit) Enabled() bool { return f.ClientID != "" }

// OIDC is the identity provider whose bearer tokens name patients.
type OIDC struct {
	Issuer, Audience, JWKSURL, PatientClaim string
}

// Enabled reports whether Withings is configured.
func (w Withings) Enabled() bool { return w.ClientID != "" }

// Engine names the database engine a URL selects.
type Engine string

// The engines ohx stores its state in.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Engine returns which database engine DatabaseURL selects.
func (c Config) Engine() Engine {
	if strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return Postgres
	}
	return SQLite
}

// SQLitePath returns the file path of a sqlite: URL ("" for other engines).
func (c Config) SQLitePath() string {
	if c.Engine() != SQLite {
		return ""
	}
	p := strings.TrimPrefix(c.DatabaseURL, "sqlite:")
	return strings.TrimPrefix(p, "//")
}

// variable describes one setting: its name, default, whether it is secret,
// and how to apply its text to a Config.
type variable struct {
	name   string
	def    string
	secret bool
	doc    string
	apply  func(c *Config, v string) error
	alias  string // the original service's name for the same setting, if any
}

// variables is the table of every OHX_ setting. README's configuration table
// follows it.
var variables = []variable{
	{"OHX_HTTP_ADDR", ":8000", false, "address the HTTP server listens on", func(c *Config, v string) error {
		c.HTTPAddr = v
		return nil
	}, ""},
	{"OHX_DATABASE_URL", "sqlite:ohx.db", false, "sqlite:PATH or postgres://…", parseDatabaseURL, ""},
	{"OHX_PUBLIC_URL", "http://localhost:8000", false, "externally visible base URL (OAuth redirects, webhook callbacks)", parsePublicURL, ""},
	{"OHX_LOG_LEVEL", "info", false, "debug, info, warn or error", func(c *Config, v string) error {
		return c.LogLevel.UnmarshalText([]byte(v))
	}, ""},
	{"OHX_LOG_FORMAT", "json", false, "json or text", func(c *Config, v string) error {
		if v != "json" && v != "text" {
			return errors.New("must be json or text")
		}
		c.LogFormat = v
		return nil
	}, ""},
	{"OHX_ENCRYPTION_KEY", "", true, "base64 of 32 random bytes; encrypts provider tokens at rest", func(c *Config, v string) error {
		c.EncryptionKey = v
		return checkKey(v)
	}, ""},
	{"OHX_ENCRYPTION_KEY_PREVIOUS", "", true, "the key before the last rotation; decrypts only", func(c *Config, v string) error {
		c.EncryptionKeyPrevious = v
		return checkKey(v)
	}, ""},
	{"OHX_MIGRATE", "true", false, "apply database migrations when serve starts", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		c.Migrate = b
		return err
	}, ""},
	{"OHX_AUDIT_RETENTION", "90d", false, "how long audit events are kept", func(c *Config, v string) error {
		return parsePositiveDuration(&c.AuditRetention, v)
	}, ""},
	{"OHX_SHUTDOWN_TIMEOUT", "25s", false, "drain time for requests and jobs on SIGTERM", func(c *Config, v string) error {
		return parsePositiveDuration(&c.ShutdownTimeout, v)
	}, ""},
	{"OHX_WORKERS", "10", false, "jobs one worker process runs at once", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return errors.New("must be an integer from 1 to 1000")
		}
		c.Workers = n
		return nil
	}, ""},
	{"OHX_JOB_POLL_INTERVAL", "1s", false, "how often workers poll for new jobs", func(c *Config, v string) error {
		return parsePositiveDuration(&c.JobPollInterval, v)
	}, ""},
	{"OHX_JOB_TIMEOUT", "15m", false, "longest run of one job; a dead worker's job is retried after twice this", func(c *Config, v string) error {
		return parsePositiveDuration(&c.JobTimeout, v)
	}, ""},
	{"OHX_JOB_RETRY_BASE", "5s", false, "first retry delay of a failed job; doubles per attempt, with jitter", func(c *Config, v string) error {
		return parsePositiveDuration(&c.RetryBase, v)
	}, ""},
	{"OHX_JOB_RETRY_MAX", "30m", false, "longest retry delay of a failed job", func(c *Config, v string) error {
		return parsePositiveDuration(&c.RetryMax, v)
	}, ""},
	{"OHX_JOB_MAX_SNOOZE", "10m", false, "longest wait of a job on a spent provider quota (Withings asks for 60s)", func(c *Config, v string) error {
		return parsePositiveDuration(&c.MaxSnooze, v)
	}, ""},
	{"OHX_BACKFILL_DAYS", "30", false, "days of history a new link's initial sync fetches", func(c *Config, v string) error {
		return parseIntRange(&c.BackfillDays, v, 0, 3650)
	}, "HEALTH_DATA_LOOKBACK_DAYS"},
	{"OHX_SYNC_INTERVAL", "6h", false, "how often every link is re-synced from its cursors", func(c *Config, v string) error {
		return parsePositiveDuration(&c.SyncInterval, v)
	}, ""},
	{"OHX_WITHINGS_CLIENT_ID", "", false, "Withings application client id; Withings is off without it", func(c *Config, v string) error {
		c.Withings.ClientID = v
		return nil
	}, "WITHINGS_CLIENT_ID"},
	{"OHX_WITHINGS_CLIENT_SECRET", "", true, "Withings application secret", func(c *Config, v string) error {
		c.Withings.ClientSecret = v
		return nil
	}, "WITHINGS_CLIENT_SECRET"},
	{"OHX_WITHINGS_AUTH_URL", "https://account.withings.com/oauth2_user/authorize2", false, "Withings consent page", func(c *Config, v string) error {
		return parseHTTPURL(&c.Withings.AuthURL, v)
	}, ""},
	{"OHX_WITHINGS_API_URL", "https://wbsapi.withings.net", false, "Withings API base URL", func(c *Config, v string) error {
		return parseHTTPURL(&c.Withings.APIURL, v)
	}, ""},
	{"OHX_WITHINGS_WEBHOOK_TOKEN", "", true, "secret in the webhook callback URL ohx registers (openssl rand -hex 32)", func(c *Config, v string) error {
		if v != "" && len(v) < 16 {
			return errors.New("must be at least 16 characters")
		}
		c.Withings.WebhookToken = v
		return nil
	}, ""},
	{"OHX_FITBIT_CLIENT_ID", "", false, "Google OAuth client id for the Google Health API (Fitbit data); Fitbit is off without it", func(c *Config, v string) error {
		c.Fitbit.ClientID = v
		return nil
	}, ""},
	{"OHX_FITBIT_CLIENT_SECRET", "", true, "that client's secret", func(c *Config, v string) error {
		c.Fitbit.ClientSecret = v
		return nil
	}, ""},
	{"OHX_FITBIT_AUTH_URL", "https://accounts.google.com/o/oauth2/v2/auth", false, "Google consent page", func(c *Config, v string) error {
		return parseHTTPURL(&c.Fitbit.AuthURL, v)
	}, ""},
	{"OHX_FITBIT_TOKEN_URL", "https://oauth2.googleapis.com/token", false, "Google token endpoint", func(c *Config, v string) error {
		return parseHTTPURL(&c.Fitbit.TokenURL, v)
	}, ""},
	{"OHX_FITBIT_REVOKE_URL", "https://oauth2.googleapis.com/revoke", false, "Google token revocation endpoint", func(c *Config, v string) error {
		return parseHTTPURL(&c.Fitbit.RevokeURL, v)
	}, ""},
	{"OHX_FITBIT_API_URL", "https://health.googleapis.com", false, "Google Health API base URL", func(c *Config, v string) error {
		return parseHTTPURL(&c.Fitbit.APIURL, v)
	}, ""},
	{"OHX_FITBIT_WEBHOOK_SECRET", "", true, "the Authorization value set on the Google Health API subscriber; Fitbit webhooks are off without it", func(c *Config, v string) error {
		if v != "" && len(v) < 16 {
			return errors.New("must be at least 16 characters")
		}
		c.Fitbit.WebhookSecret = v
		return nil
	}, ""},
	{"OHX_FITBIT_QUOTA_PER_MINUTE", "6000", false, "Google Health API requests per minute for the whole application, shared by every replica", func(c *Config, v string) error {
		return parseIntRange(&c.Fitbit.QuotaPerMinute, v, 1, 1000000)
	}, ""},
	{"OHX_OIDC_ISSUER", "", false, "OIDC issuer whose bearer tokens patients may call the patient API with (off when empty)", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		return parseHTTPURL(&c.OIDC.Issuer, v)
	}, ""},
	{"OHX_OIDC_AUDIENCE", "", false, "the audience (client id) those tokens must carry; required with OHX_OIDC_ISSUER", func(c *Config, v string) error {
		c.OIDC.Audience = v
		return nil
	}, ""},
	{"OHX_OIDC_JWKS_URL", "", false, "the issuer's key set, when discovery should not be used", func(c *Config, v string) error {
		if v == "" {
			return nil
		}
		return parseHTTPURL(&c.OIDC.JWKSURL, v)
	}, ""},
	{"OHX_OIDC_PATIENT_CLAIM", "ehr_user_id", false, "the token claim holding the patient's EHR id (a patient may act only for that id)", func(c *Config, v string) error {
		c.OIDC.PatientClaim = v
		return nil
	}, ""},
	{"OHX_WITHINGS_QUOTA_PER_MINUTE", "120", false, "requests per minute for the whole application, shared by every replica", func(c *Config, v string) error {
		return parseIntRange(&c.Withings.QuotaPerMinute, v, 1, 100000)
	}, ""},
}

// Load builds a Config from getenv, falling back to defaults. Every invalid
// value is reported, one error per variable, joined with errors.Join.
func Load(getenv func(string) string) (Config, error) {
	var c Config
	var problems []error
	for _, v := range variables {
		val := lookup(getenv, v)
		if err := v.apply(&c, val); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", v.name, err))
		}
	}
	var more []error
	c.FHIR, more = fhir.LoadOptions(getenv)
	problems = append(problems, more...)
	c.Publish, more = publish.LoadConfig(getenv)
	problems = append(problems, more...)
	if c.Withings.Enabled() && c.Withings.WebhookToken == "" {
		problems = append(problems, errors.New("OHX_WITHINGS_WEBHOOK_TOKEN: required when Withings is configured (Withings does not sign webhooks)"))
	}
	if c.Withings.Enabled() && c.Withings.ClientSecret == "" {
		problems = append(problems, errors.New("OHX_WITHINGS_CLIENT_SECRET: required when OHX_WITHINGS_CLIENT_ID is set"))
	}
	if c.Fitbit.Enabled() && c.Fitbit.ClientSecret == "" {
		problems = append(problems, errors.New("OHX_FITBIT_CLIENT_SECRET: required when OHX_FITBIT_CLIENT_ID is set"))
	}
	if c.OIDC.Issuer != "" && c.OIDC.Audience == "" {
		problems = append(problems, errors.New("OHX_OIDC_AUDIENCE: required when OHX_OIDC_ISSUER is set"))
	}
	if c.Engine() == Postgres && c.EncryptionKey == "" {
		problems = append(problems, errors.New("OHX_ENCRYPTION_KEY: required with PostgreSQL (generate one with: head -c32 /dev/urandom | base64)"))
	}
	return c, errors.Join(problems...)
}

// Setting is one line of the effective configuration, safe to print.
type Setting struct {
	Name  string
	Value string
	Doc   string
}

// Describe lists every setting with its effective value, secrets redacted
// and the password of a database URL masked.
func Describe(getenv func(string) string) []Setting {
	out := make([]Setting, 0, len(variables))
	for _, v := range variables {
		val := lookup(getenv, v)
		switch {
		case v.secret && val != "":
			val = "(set, redacted)"
		case v.secret:
			val = "(unset)"
		case v.name == "OHX_DATABASE_URL":
			val = RedactURL(val)
		}
		out = append(out, Setting{Name: v.name, Value: val, Doc: v.doc})
	}
	opts, _ := fhir.LoadOptions(getenv)
	for _, kv := range opts.Describe() {
		out = append(out, Setting{Name: kv[0], Value: kv[1], Doc: "FHIR mapping (docs/mapping.md)"})
	}
	pub, _ := publish.LoadConfig(getenv)
	for _, kv := range pub.Describe() {
		out = append(out, Setting{Name: kv[0], Value: kv[1], Doc: "where resources are published"})
	}
	return out
}

// RedactURL masks the password of a URL, leaving the rest readable.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func parseDatabaseURL(c *Config, v string) error {
	switch {
	case strings.HasPrefix(v, "postgres://"), strings.HasPrefix(v, "postgresql://"):
		if _, err := url.Parse(v); err != nil {
			return errors.New("not a valid postgres:// URL")
		}
	case strings.HasPrefix(v, "sqlite:"):
		if strings.TrimPrefix(strings.TrimPrefix(v, "sqlite:"), "//") == "" {
			return errors.New("sqlite: URL needs a file path, e.g. sqlite:ohx.db")
		}
	default:
		return errors.New("must start with sqlite: or postgres://")
	}
	c.DatabaseURL = v
	return nil
}

func parsePublicURL(c *Config, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http(s) URL such as https://ohx.example.org")
	}
	c.PublicURL = strings.TrimSuffix(v, "/")
	return nil
}

// parsePositiveDuration accepts Go durations ("90s", "6h") and whole days
// ("90d"), since retention periods are naturally said in days.
func parsePositiveDuration(dst *time.Duration, v string) error {
	var d time.Duration
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return errors.New("must be a duration such as 30s, 6h or 90d")
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return errors.New("must be a duration such as 30s, 6h or 90d")
		}
	}
	if d <= 0 {
		return errors.New("must be positive")
	}
	*dst = d
	return nil
}

// lookup returns a variable's value: the OHX_ name first, then the original
// service's alias, then the default.
func lookup(getenv func(string) string, v variable) string {
	if val := getenv(v.name); val != "" {
		return val
	}
	if v.alias != "" {
		if val := getenv(v.alias); val != "" {
			return val
		}
	}
	return v.def
}

func parseIntRange(dst *int, v string, lo, hi int) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return fmt.Errorf("must be an integer from %d to %d", lo, hi)
	}
	*dst = n
	return nil
}

func parseHTTPURL(dst *string, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http(s) URL")
	}
	*dst = strings.TrimSuffix(v, "/")
	return nil
}
