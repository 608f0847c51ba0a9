// Package store keeps ohx's state in SQLite or PostgreSQL through
// database/sql: patients, provider settings, links with sealed tokens,
// subscriptions, sync state, audit events, rate-limit buckets and OAuth
// states, plus River's tables in the same database.
//
// Both engines get the same schema from their own embedded migrations and
// the same queries ($1-style placeholders work on both). The store never
// holds a health value and never sees a plaintext token: callers pass sealed
// bytes.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Engine is the database engine behind a DB.
type Engine string

// The supported engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// DB is a handle on ohx's database.
type DB struct {
	sql    *sql.DB
	engine Engine
	path   string // the SQLite file; "" on PostgreSQL
	now    func() time.Time
}

// Open connects to databaseURL (sqlite:PATH or postgres://…) and checks the
// connection. SQLite is opened in WAL mode with a busy timeout, foreign keys
// on and one connection, as River's SQLite driver requires.
func Open(ctx context.Context, databaseURL string) (*DB, error) {
	db := &DB{now: time.Now}
	var err error
	switch {
	case strings.HasPrefix(databaseURL, "postgres://"), strings.HasPrefix(databaseURL, "postgresql://"):
		db.engine = Postgres
		db.sql, err = openPostgres(databaseURL)
	case strings.HasPrefix(databaseURL, "sqlite:"):
		db.engine = SQLite
		db.path = strings.TrimPrefix(strings.TrimPrefix(databaseURL, "sqlite:"), "//")
		db.sql, err = openSQLite(db.path)
	default:
		return nil, fmt.Errorf("open database: unsupported URL scheme (want sqlite: or postgres://)")
	}
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.ping(pingCtx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	return db, nil
}

// ping connects, retrying while SQLite is busy: switching a new file to
// WAL needs a lock that SQLite refuses at once, without waiting out the busy
// timeout, when another process opens the same file at that moment.
func (db *DB) ping(ctx context.Context) error {
	for {
		err := db.sql.PingContext(ctx)
		if err == nil || db.engine != SQLite || !strings.Contains(err.Error(), "SQLITE_BUSY") {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func openSQLite(path string) (*sql.DB, error) {
	if path == "" {
		return nil, errors.New("sqlite URL has no file path")
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// SQLite allows one writer; a single connection turns contention into
	// queueing inside the process instead of SQLITE_BUSY errors.
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	return db, nil
}

func openPostgres(databaseURL string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(databaseURL)
	if err != nil {
		return nil, errors.New("invalid postgres URL")
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(5)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// Engine says which engine this DB runs on.
func (db *DB) Engine() Engine { return db.engine }

// SQL returns the underlying pool, for River's driver and for tests.
func (db *DB) SQL() *sql.DB { return db.sql }

// Close closes the pool.
func (db *DB) Close() error { return db.sql.Close() }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.sql.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Tx is a database transaction. Entity methods hang off Tx so that a state
// change and the jobs it causes commit together.
type Tx struct {
	tx     *sql.Tx
	engine Engine
	now    time.Time
}

// SQLTx returns the underlying transaction, to enqueue River jobs in it.
func (tx *Tx) SQLTx() *sql.Tx { return tx.tx }

// InTx runs fn in a transaction, committing when it returns nil and rolling
// back otherwise.
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) error {
	t, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{tx: t, engine: db.engine, now: db.now().UTC()}
	if err := fn(tx); err != nil {
		if rbErr := t.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rbErr))
		}
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// SetClock replaces the clock used for timestamps, for tests.
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// nullTime turns a zero time into SQL NULL and any other into UTC.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// timeOrZero turns a scanned nullable time into a time.Time.
func timeOrZero(t sql.NullTime) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}
