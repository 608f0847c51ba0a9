package publish

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLoadConfig(t *testing.T) {
	t.Parallel()
	def := DefaultConfig()
	with := func(f func(*Config)) Config { c := def; f(&c); return c }
	tests := []struct {
		name     string
		env      map[string]string
		want     Config
		wantErrs []string
	}{
		{"empty is the directory default", nil, def, nil},
		{"bearer inferred from token", map[string]string{"OHX_FHIR_BASE_URL": "https://ehr.example/fhir/", "OHX_FHIR_AUTH_TOKEN": "t0k"},
			with(func(c *Config) {
				c.BaseURL, c.Auth, c.Authorization = "https://ehr.example/fhir", AuthBearer, "Bearer t0k"
			}), nil},
		{"original aliases", map[string]string{"FHIR_BASE_URL": "http://h/fhir", "FHIR_AUTH_TOKEN_VALUE": "Basic abc", "FHIR_TIMEOUT": "10"},
			with(func(c *Config) {
				c.BaseURL, c.Auth, c.Authorization, c.Timeout = "http://h/fhir", AuthBearer, "Basic abc", 10*time.Second
			}), nil},
		{"OHX names win", map[string]string{"OHX_FHIR_BASE_URL": "http://a", "FHIR_BASE_URL": "http://b", "OHX_FHIR_TIMEOUT": "5s", "FHIR_TIMEOUT": "9",
			"OHX_FHIR_AUTH_TOKEN": "x", "FHIR_AUTH_TOKEN_VALUE": "Bearer y"},
			with(func(c *Config) {
				c.BaseURL, c.Auth, c.Authorization, c.Timeout = "http://a", AuthBearer, "Bearer x", 5*time.Second
			}), nil},
		{"smart backend", map[string]string{"OHX_FHIR_BASE_URL": "https://h", "OHX_FHIR_AUTH": "SMART-backend", "OHX_FHIR_TOKEN_URL": "https://h/token",
			"OHX_FHIR_CLIENT_ID": "c", "OHX_FHIR_PRIVATE_KEY_FILE": "/k.pem", "OHX_FHIR_KEY_ID": "k1", "OHX_FHIR_SIGNING_ALG": "es384"},
			with(func(c *Config) {
				c.BaseURL, c.Auth, c.TokenURL, c.ClientID, c.PrivateKeyFile, c.KeyID, c.SigningAlg = "https://h", AuthSMARTBackend, "https://h/token", "c", "/k.pem", "k1", AlgES384
			}), nil},
		{"invalid values", map[string]string{"OHX_FHIR_BASE_URL": "ftp://user:pw@h", "OHX_FHIR_AUTH": "magic", "OHX_FHIR_TIMEOUT": "soon",
			"OHX_FHIR_SIGNING_ALG": "HS256", "OHX_FHIR_BREAKER_FAILURES": "0"}, def,
			[]string{"OHX_FHIR_BASE_URL: want an absolute http or https URL", "OHX_FHIR_AUTH: want one of", "OHX_FHIR_SIGNING_ALG: want RS384 or ES384",
				"OHX_FHIR_TIMEOUT: want a duration", "OHX_FHIR_BREAKER_FAILURES: want a whole number"}},
		{"client credentials missing values", map[string]string{"OHX_FHIR_BASE_URL": "https://h", "OHX_FHIR_AUTH": "client-credentials"},
			with(func(c *Config) { c.BaseURL, c.Auth = "https://h", AuthClientCredentials }),
			[]string{"OHX_FHIR_TOKEN_URL: required", "OHX_FHIR_CLIENT_ID: required", "OHX_FHIR_CLIENT_SECRET: required"}},
		{"auth without a server", map[string]string{"OHX_FHIR_AUTH": "bearer", "OHX_FHIR_AUTH_TOKEN": "x"},
			with(func(c *Config) { c.Auth, c.Authorization = AuthBearer, "Bearer x" }), []string{"OHX_FHIR_AUTH: bearer needs OHX_FHIR_BASE_URL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, errs := LoadConfig(func(k string) string { return tc.env[k] })
			if tc.wantErrs == nil {
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("config (-want +got):\n%s", diff)
				}
			}
			var texts []string
			for _, e := range errs {
				texts = append(texts, e.Error())
				if strings.Contains(e.Error(), "pw") {
					t.Errorf("error repeats a secret: %v", e)
				}
			}
			if len(texts) != len(tc.wantErrs) {
				t.Fatalf("errors %q, want %d: %q", texts, len(tc.wantErrs), tc.wantErrs)
			}
			for i, w := range tc.wantErrs {
				if !strings.HasPrefix(texts[i], w) {
					t.Errorf("error %d = %q, want prefix %q", i, texts[i], w)
				}
			}
		})
	}
}

func TestDescribeRedactsSecrets(t *testing.T) {
	t.Parallel()
	c := DefaultConfig()
	c.BaseURL, c.Auth, c.Authorization, c.ClientSecret = "https://h", AuthBearer, "Bearer tok-123", "sec-456"
	got := fmt.Sprint(c.Describe())
	assertClean(t, "Describe", got, "tok-123", "sec-456")
	for _, want := range []string{"[OHX_FHIR_AUTH_TOKEN (set, redacted)]", "[OHX_FHIR_CLIENT_SECRET (set, redacted)]", "[OHX_FHIR_OUTPUT_DIR ./fhir-out]", "[OHX_FHIR_TIMEOUT 30s]"} {
		if !strings.Contains(got, want) {
			t.Errorf("Describe lacks %s: %s", want, got)
		}
	}
}
