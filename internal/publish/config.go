package publish

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The authentication modes, as written in OHX_FHIR_AUTH.
const (
	AuthNone              = "none"
	AuthBearer            = "bearer"
	AuthClientCredentials = "client-credentials"
	AuthSMARTBackend      = "smart-backend"
)

// The client assertion signing algorithms SMART Backend Services requires
// servers to support.
const (
	AlgRS384 = "RS384"
	AlgES384 = "ES384"
)

// Config says where published resources go and how ohx authenticates there.
// With BaseURL empty, resources go to files under OutputDir.
type Config struct {
	// BaseURL is the FHIR server's base, without a trailing slash.
	BaseURL string
	// Auth is one of the Auth constants.
	Auth string
	// Authorization is the whole Authorization header value for AuthBearer,
	// e.g. "Bearer abc". It is a secret.
	Authorization string
	// TokenURL, ClientID, ClientSecret and Scope configure
	// AuthClientCredentials; AuthSMARTBackend uses all but ClientSecret.
	TokenURL     string
	ClientID     string
	ClientSecret string
	Scope        string
	// PrivateKeyFile is a PEM file with the RSA or EC P-384 key that signs
	// SMART client assertions; KeyID is its kid in the JWKS the server
	// knows; SigningAlg is AlgRS384 or AlgES384, or empty to follow the key.
	PrivateKeyFile string
	KeyID          string
	SigningAlg     string
	// Timeout bounds each HTTP request to the FHIR or token server.
	Timeout time.Duration
	// BreakerFailures is how many consecutive transient failures open the
	// circuit breaker; BreakerTimeout is how long it then stays open.
	BreakerFailures int
	BreakerTimeout  time.Duration
	// OutputDir is where DirSink writes when BaseURL is empty.
	OutputDir string
}

// DefaultConfig returns the configuration of an unset environment: files
// in ./fhir-out.
func DefaultConfig() Config {
	return Config{
		Auth: AuthNone, Timeout: 30 * time.Second, BreakerFailures: 5,
		BreakerTimeout: 30 * time.Second, OutputDir: "./fhir-out",
	}
}

// setting is one environment variable: its name, the original service's
// alias, and how a non-empty value applies to Config.
type setting struct {
	name, alias string
	apply       func(c *Config, v string) error
}

// settings lists the variables in the order Describe prints them.
func settings() []setting {
	str := func(f func(*Config) *string) func(*Config, string) error {
		return func(c *Config, v string) error { *f(c) = v; return nil }
	}
	return []setting{
		{"OHX_FHIR_BASE_URL", "FHIR_BASE_URL", setBaseURL},
		{"OHX_FHIR_AUTH", "", setAuth},
		{"OHX_FHIR_AUTH_TOKEN", "", func(c *Config, v string) error { c.Authorization = "Bearer " + v; return nil }},
		{"FHIR_AUTH_TOKEN_VALUE", "", setAuthorization},
		{"OHX_FHIR_TOKEN_URL", "", setTokenURL},
		{"OHX_FHIR_CLIENT_ID", "", str(func(c *Config) *string { return &c.ClientID })},
		{"OHX_FHIR_CLIENT_SECRET", "", str(func(c *Config) *string { return &c.ClientSecret })},
		{"OHX_FHIR_SCOPE", "", str(func(c *Config) *string { return &c.Scope })},
		{"OHX_FHIR_PRIVATE_KEY_FILE", "", str(func(c *Config) *string { return &c.PrivateKeyFile })},
		{"OHX_FHIR_KEY_ID", "", str(func(c *Config) *string { return &c.KeyID })},
		{"OHX_FHIR_SIGNING_ALG", "", setAlg},
		{"OHX_FHIR_TIMEOUT", "FHIR_TIMEOUT", duration(func(c *Config) *time.Duration { return &c.Timeout })},
		{"OHX_FHIR_BREAKER_FAILURES", "", setFailures},
		{"OHX_FHIR_BREAKER_TIMEOUT", "", duration(func(c *Config) *time.Duration { return &c.BreakerTimeout })},
		{"OHX_FHIR_OUTPUT_DIR", "", str(func(c *Config) *string { return &c.OutputDir })},
	}
}

// LoadConfig reads the publishing settings from the environment. An OHX_
// name wins over the original service's alias (FHIR_BASE_URL,
// FHIR_AUTH_TOKEN_VALUE, FHIR_TIMEOUT). It returns one error per invalid
// or missing value, each naming the variable; no error quotes a secret.
func LoadConfig(getenv func(string) string) (Config, []error) {
	c := DefaultConfig()
	var errs []error
	authSet := false
	for _, s := range settings() {
		name, v := s.name, strings.TrimSpace(getenv(s.name))
		if v == "" && s.alias != "" {
			name, v = s.alias, strings.TrimSpace(getenv(s.alias))
		}
		if v == "" || (s.name == "FHIR_AUTH_TOKEN_VALUE" && c.Authorization != "") {
			continue
		}
		authSet = authSet || s.name == "OHX_FHIR_AUTH"
		if err := s.apply(&c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if !authSet && c.Authorization != "" {
		c.Auth = AuthBearer
	}
	return c, append(errs, c.requirements()...)
}

// requirements reports the settings the chosen auth mode needs.
func (c Config) requirements() []error {
	var errs []error
	need := func(name, v string) {
		if v == "" {
			errs = append(errs, fmt.Errorf("%s: required with OHX_FHIR_AUTH=%s", name, c.Auth))
		}
	}
	if c.BaseURL == "" && c.Auth != AuthNone {
		errs = append(errs, fmt.Errorf("OHX_FHIR_AUTH: %s needs OHX_FHIR_BASE_URL", c.Auth))
	}
	switch c.Auth {
	case AuthBearer:
		need("OHX_FHIR_AUTH_TOKEN", c.Authorization)
	case AuthClientCredentials:
		need("OHX_FHIR_TOKEN_URL", c.TokenURL)
		need("OHX_FHIR_CLIENT_ID", c.ClientID)
		need("OHX_FHIR_CLIENT_SECRET", c.ClientSecret)
	case AuthSMARTBackend:
		need("OHX_FHIR_TOKEN_URL", c.TokenURL)
		need("OHX_FHIR_CLIENT_ID", c.ClientID)
		need("OHX_FHIR_PRIVATE_KEY_FILE", c.PrivateKeyFile)
		need("OHX_FHIR_KEY_ID", c.KeyID)
	}
	return errs
}

// Describe returns the effective settings as (variable, value) pairs for
// `ohx config`. Secrets appear as "(set, redacted)".
func (c Config) Describe() [][2]string {
	secret := func(v string) string {
		if v == "" {
			return ""
		}
		return "(set, redacted)"
	}
	alg := c.SigningAlg
	if alg == "" && c.Auth == AuthSMARTBackend {
		alg = "(from the key)"
	}
	return [][2]string{
		{"OHX_FHIR_BASE_URL", c.BaseURL},
		{"OHX_FHIR_AUTH", c.Auth},
		{"OHX_FHIR_AUTH_TOKEN", secret(c.Authorization)},
		{"OHX_FHIR_TOKEN_URL", c.TokenURL},
		{"OHX_FHIR_CLIENT_ID", c.ClientID},
		{"OHX_FHIR_CLIENT_SECRET", secret(c.ClientSecret)},
		{"OHX_FHIR_SCOPE", c.Scope},
		{"OHX_FHIR_PRIVATE_KEY_FILE", c.PrivateKeyFile},
		{"OHX_FHIR_KEY_ID", c.KeyID},
		{"OHX_FHIR_SIGNING_ALG", alg},
		{"OHX_FHIR_TIMEOUT", c.Timeout.String()},
		{"OHX_FHIR_BREAKER_FAILURES", strconv.Itoa(c.BreakerFailures)},
		{"OHX_FHIR_BREAKER_TIMEOUT", c.BreakerTimeout.String()},
		{"OHX_FHIR_OUTPUT_DIR", c.OutputDir},
	}
}

func setBaseURL(c *Config, v string) error {
	u, err := absoluteURL(v)
	if err != nil {
		return err
	}
	c.BaseURL = strings.TrimRight(u, "/")
	return nil
}

func setTokenURL(c *Config, v string) error {
	u, err := absoluteURL(v)
	c.TokenURL = u
	return err
}

// absoluteURL accepts an http or https URL without credentials in it; an
// error never repeats the value, which might hold a secret.
func absoluteURL(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("want an absolute http or https URL")
	}
	if u.User != nil {
		return "", fmt.Errorf("credentials in the URL are not supported; use OHX_FHIR_AUTH")
	}
	return u.String(), nil
}

func setAuth(c *Config, v string) error {
	for _, a := range []string{AuthNone, AuthBearer, AuthClientCredentials, AuthSMARTBackend} {
		if strings.EqualFold(v, a) {
			c.Auth = a
			return nil
		}
	}
	return fmt.Errorf("want one of none, bearer, client-credentials, smart-backend")
}

// setAuthorization takes the original's FHIR_AUTH_TOKEN_VALUE, a whole
// header value such as "Bearer abc"; a bare token gets the Bearer scheme.
func setAuthorization(c *Config, v string) error {
	if !strings.Contains(v, " ") {
		v = "Bearer " + v
	}
	c.Authorization = v
	return nil
}

func setAlg(c *Config, v string) error {
	switch strings.ToUpper(v) {
	case AlgRS384, AlgES384:
		c.SigningAlg = strings.ToUpper(v)
		return nil
	}
	return fmt.Errorf("want RS384 or ES384")
}

func setFailures(c *Config, v string) error {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1000 {
		return fmt.Errorf("want a whole number from 1 to 1000")
	}
	c.BreakerFailures = n
	return nil
}

// duration accepts a Go duration ("30s") or, as the original did, a number
// of seconds ("30").
func duration(f func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			secs, ferr := strconv.ParseFloat(v, 64)
			if ferr != nil {
				return fmt.Errorf("want a duration such as 30s")
			}
			d = time.Duration(secs * float64(time.Second))
		}
		if d <= 0 || d > time.Hour {
			return fmt.Errorf("want a duration above 0 and at most 1h")
		}
		*f(c) = d
		return nil
	}
}
