// Package testenv finds the real services integration tests run against:
// a fresh SQLite file, a fresh PostgreSQL schema, the FHIR R5 test server.
//
// A test that needs a service the machine lacks is skipped, unless the
// matching OHX_TEST_REQUIRE_* variable is 1, as in CI, where a missing
// service fails the test instead. It is used by tests only.
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver used to create schemas
)

// SQLiteURL returns the URL of a new SQLite database file in t's temporary
// directory.
func SQLiteURL(t testing.TB) string {
	t.Helper()
	return "sqlite:" + filepath.Join(t.TempDir(), "ohx.db")
}

// PostgresURL returns a URL whose search_path is a new, empty schema,
// dropped when t ends. It skips (or fails, with OHX_TEST_REQUIRE_POSTGRES=1)
// when OHX_TEST_POSTGRES_URL is unset.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("OHX_TEST_POSTGRES_URL")
	if base == "" {
		missing(t, "OHX_TEST_REQUIRE_POSTGRES", "OHX_TEST_POSTGRES_URL is not set")
		return ""
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("testenv: open postgres: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		t.Fatalf("testenv: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("testenv: drop schema: %v", err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("testenv: OHX_TEST_POSTGRES_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Engine is a named database URL maker, for tests that run on both engines.
type Engine struct {
	Name string
	URL  func(testing.TB) string
}

// Engines lists SQLite and PostgreSQL, for table-driven tests.
func Engines() []Engine {
	return []Engine{{"sqlite", SQLiteURL}, {"postgres", PostgresURL}}
}

// FHIRURL returns the base URL of the FHIR R5 test server (e.g.
// http://127.0.0.1:8104/fhir). It skips (or fails, with
// OHX_TEST_REQUIRE_FHIR=1) when OHX_TEST_FHIR_URL is unset or the server
// does not answer.
//
// The test server is one Node process whose searches scan every stored
// resource, so test binaries take turns: the first call in a binary waits
// for an exclusive lock on the server, held until the binary exits, and
// then empties the server.
func FHIRURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("OHX_TEST_FHIR_URL")
	if base == "" {
		missing(t, "OHX_TEST_REQUIRE_FHIR", "OHX_TEST_FHIR_URL is not set")
		return ""
	}
	if err := fhirTurn(base); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(base + "/metadata")
	if err != nil {
		missing(t, "OHX_TEST_REQUIRE_FHIR", "FHIR test server does not answer: "+err.Error())
		return ""
	}
	resp.Body.Close()
	return base
}

// fhirLock is this test binary's turn on the FHIR test server. It is
// process-wide on purpose: the lock it holds is process-wide too.
var fhirLock struct {
	once sync.Once
	file *os.File // kept reachable: its finalizer would close it and unlock
	err  error
}

// fhirTurn waits for this binary's turn on the server at base, once, and
// empties the server when the turn starts. The lock file is released by the
// kernel when the process exits.
func fhirTurn(base string) error {
	fhirLock.once.Do(func() {
		sum := sha256.Sum256([]byte(base))
		path := filepath.Join(os.TempDir(), "ohx-fhir-test-"+hex.EncodeToString(sum[:6])+".lock")
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			fhirLock.err = err
			return
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			fhirLock.err = err
			return
		}
		fhirLock.file = f // stays open, and locked, until the process exits
		c := &http.Client{Timeout: 60 * time.Second}
		resp, err := c.Post(base+"/$reset", "application/fhir+json", nil)
		if err == nil {
			resp.Body.Close()
		}
	})
	return fhirLock.err
}

func missing(t testing.TB, requireVar, why string) {
	t.Helper()
	if os.Getenv(requireVar) == "1" {
		t.Fatalf("%s, and %s=1", why, requireVar)
	}
	t.Skip(why)
}
