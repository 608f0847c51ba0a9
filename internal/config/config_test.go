package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/config"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	c, err := config.Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":8000" || c.DatabaseURL != "sqlite:ohx.db" || c.Engine() != config.SQLite ||
		c.SQLitePath() != "ohx.db" || c.LogFormat != "json" || !c.Migrate || c.AuditRetention != 90*24*time.Hour {
		t.Errorf("defaults = %+v", c)
	}
}

func TestEveryProblemIsReportedOnItsOwnLine(t *testing.T) {
	t.Parallel()
	_, err := config.Load(env(map[string]string{
		"OHX_DATABASE_URL":    "postgres://u:pw@db/ohx",
		"OHX_LOG_FORMAT":      "xml",
		"OHX_LOG_LEVEL":       "loud",
		"OHX_PUBLIC_URL":      "ohx.example.org",
		"OHX_AUDIT_RETENTION": "-3d",
		"OHX_WORKERS":         "0",
		"OHX_MIGRATE":         "perhaps",
	}))
	if err == nil {
		t.Fatal("invalid configuration accepted")
	}
	lines := strings.Split(err.Error(), "\n")
	for _, name := range []string{"OHX_LOG_FORMAT", "OHX_LOG_LEVEL", "OHX_PUBLIC_URL", "OHX_AUDIT_RETENTION",
		"OHX_WORKERS", "OHX_MIGRATE", "OHX_ENCRYPTION_KEY"} {
		n := 0
		for _, l := range lines {
			if strings.HasPrefix(l, name+":") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s reported %d times in:\n%s", name, n, err)
		}
	}
	if strings.Contains(err.Error(), "pw") {
		t.Error("error text leaks the database password")
	}
}

func TestEncryptionKeyValidation(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ key, wantErr string }{
		{"not-base64!", "standard base64"},
		{"c2hvcnQ=", "32 bytes"},
		{"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", ""},
	} {
		_, err := config.Load(env(map[string]string{"OHX_ENCRYPTION_KEY": tc.key}))
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("key %q: %v, want %q", tc.key, err, tc.wantErr)
		}
	}
}

func TestDescribeRedactsSecrets(t *testing.T) {
	t.Parallel()
	key := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
	out := config.Describe(env(map[string]string{
		"OHX_ENCRYPTION_KEY": key,
		"OHX_DATABASE_URL":   "postgres://ohx:hunter2@db:5432/ohx",
	}))
	var all strings.Builder
	for _, s := range out {
		all.WriteString(s.Name + "=" + s.Value + "\n")
	}
	if strings.Contains(all.String(), key) || strings.Contains(all.String(), "hunter2") {
		t.Fatalf("secret printed:\n%s", all.String())
	}
	if !strings.Contains(all.String(), "OHX_ENCRYPTION_KEY=(set, redacted)") {
		t.Errorf("key not marked as set:\n%s", all.String())
	}
}

func TestDotEnvAndProcessEnvPrecedence(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), ".env")
	content := "# comment\nexport OHX_HTTP_ADDR=':9000'\nOHX_LOG_FORMAT=\"text\"\n\nOHX_WORKERS=3\n"
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	getenv, err := config.WithDotEnv(env(map[string]string{"OHX_WORKERS": "7"}), path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":9000" || c.LogFormat != "text" || c.Workers != 7 {
		t.Errorf("got addr %q format %q workers %d", c.HTTPAddr, c.LogFormat, c.Workers)
	}
	if _, err := config.WithDotEnv(env(nil), filepath.Join(t.TempDir(), "none")); err != nil {
		t.Errorf("missing .env: %v", err)
	}
	bad := filepath.Join(t.TempDir(), ".env")
	os.WriteFile(bad, []byte("JUSTAWORD\n"), 0o600)
	if _, err := config.WithDotEnv(env(nil), bad); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("malformed .env: %v", err)
	}
}
