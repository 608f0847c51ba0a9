package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

//go:embed migrations
var migrationFS embed.FS

// Migration is one schema step and whether it has been applied.
type Migration struct {
	Version   int
	Name      string
	AppliedAt time.Time // zero when pending
}

// migrations lists this engine's embedded migrations in version order.
func (db *DB) migrations() ([]Migration, map[int]string, error) {
	dir := path.Join("migrations", string(db.engine))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, nil, err
	}
	var out []Migration
	bodies := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, nil, fmt.Errorf("migration file %s: want NNNN_name.sql", name)
		}
		b, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, nil, err
		}
		out = append(out, Migration{Version: v, Name: strings.TrimSuffix(name, ".sql")})
		bodies[v] = string(b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, bodies, nil
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS ohx_schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMP NOT NULL
)`

// Migrate applies every pending migration in one transaction and returns
// the versions it applied. Replicas starting together are safe: PostgreSQL
// takes an advisory lock, SQLite an immediate write lock.
func (db *DB) Migrate(ctx context.Context) ([]int, error) {
	return db.migrate(ctx)
}

func (db *DB) migrate(ctx context.Context) ([]int, error) {
	all, bodies, err := db.migrations()
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var applied []int
	err = db.InTx(ctx, func(tx *Tx) error {
		if db.engine == Postgres {
			if _, err := tx.tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(4242001)"); err != nil {
				return err
			}
		}
		if _, err := tx.tx.ExecContext(ctx, createMigrationsTable); err != nil {
			return err
		}
		done, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		for _, m := range all {
			if _, ok := done[m.Version]; ok {
				continue
			}
			if _, err := tx.tx.ExecContext(ctx, bodies[m.Version]); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
			if _, err := tx.tx.ExecContext(ctx,
				"INSERT INTO ohx_schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
				m.Version, m.Name, tx.now); err != nil {
				return err
			}
			applied = append(applied, m.Version)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	return applied, nil
}

// MigrationStatus lists every known migration with its applied time.
func (db *DB) MigrationStatus(ctx context.Context) ([]Migration, error) {
	all, _, err := db.migrations()
	if err != nil {
		return nil, err
	}
	err = db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.tx.ExecContext(ctx, createMigrationsTable); err != nil {
			return err
		}
		done, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		for i := range all {
			all[i].AppliedAt = done[all[i].Version]
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	return all, nil
}

// Pending reports how many migrations have not been applied.
func (db *DB) Pending(ctx context.Context) (int, error) {
	st, err := db.MigrationStatus(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range st {
		if m.AppliedAt.IsZero() {
			n++
		}
	}
	return n, nil
}

func appliedVersions(ctx context.Context, tx *Tx) (map[int]time.Time, error) {
	rows, err := tx.tx.QueryContext(ctx, "SELECT version, applied_at FROM ohx_schema_migrations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	done := map[int]time.Time{}
	for rows.Next() {
		var v int
		var at time.Time
		if err := rows.Scan(&v, &at); err != nil {
			return nil, err
		}
		done[v] = at.UTC()
	}
	return done, rows.Err()
}

// WithLock runs fn while holding a database-wide lock named by key, so
// that one replica at a time does what fn does. On PostgreSQL it is a
// session advisory lock held on a dedicated connection; on SQLite, whose
// replicas share a machine, an exclusive flock on a file beside the
// database.
func (db *DB) WithLock(ctx context.Context, key int64, fn func(context.Context) error) error {
	if db.engine != Postgres {
		return withFileLock(fmt.Sprintf("%s.lock-%d", db.path, key), func() error { return fn(ctx) })
	}
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer func() {
		// A fresh context: the unlock must run even if ctx was cancelled.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(uctx, "SELECT pg_advisory_unlock($1)", key)
	}()
	return fn(ctx)
}

// withFileLock runs fn holding an exclusive flock on path.
func withFileLock(path string, fn func() error) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn()
}
