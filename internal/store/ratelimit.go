package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"
)

// Bucket is a token bucket kept in the database, so every replica and
// worker draws on the same provider quota.
type Bucket struct {
	Name     string
	Capacity float64 // the most tokens the bucket holds (the burst)
	PerSec   float64 // tokens added back per second
	// Reserve is how many tokens this caller must leave in the bucket: a
	// low-priority caller (backfill) sets it so that high-priority callers
	// (webhook fetches) drawing on the same bucket with Reserve 0 always
	// find tokens first.
	Reserve float64
}

// TakeToken takes one token from b if one is available and returns 0;
// otherwise it takes nothing and returns how long until one will be.
// Callers run it in its own short transaction: PostgreSQL locks the bucket
// row, SQLite holds the write lock.
func (tx *Tx) TakeToken(ctx context.Context, b Bucket) (time.Duration, error) {
	if b.Capacity < 1 || b.PerSec <= 0 || b.Reserve < 0 || b.Reserve > b.Capacity-1 {
		return 0, fmt.Errorf("take token: bucket %s is misconfigured", b.Name)
	}
	var tokens float64
	var refilled time.Time
	err := tx.tx.QueryRowContext(ctx,
		`SELECT tokens, refilled_at FROM rate_limit_buckets WHERE name = $1`+tx.forUpdate(), b.Name).Scan(&tokens, &refilled)
	if errors.Is(err, sql.ErrNoRows) {
		tokens, refilled = b.Capacity, tx.now
		_, err = tx.tx.ExecContext(ctx, `INSERT INTO rate_limit_buckets (name, tokens, refilled_at)
			VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`, b.Name, tokens, refilled)
		if err == nil {
			// Re-read under lock: a concurrent replica may have won the insert.
			err = tx.tx.QueryRowContext(ctx, `SELECT tokens, refilled_at FROM rate_limit_buckets WHERE name = $1`+tx.forUpdate(),
				b.Name).Scan(&tokens, &refilled)
		}
	}
	if err != nil {
		return 0, fmt.Errorf("take token: %w", err)
	}
	elapsed := tx.now.Sub(refilled).Seconds()
	if elapsed < 0 {
		elapsed = 0 // another replica's clock is ahead; never mint tokens from skew
	}
	tokens = math.Min(b.Capacity, tokens+elapsed*b.PerSec)
	if tokens-b.Reserve < 1 {
		wait := time.Duration((1 + b.Reserve - tokens) / b.PerSec * float64(time.Second))
		return max(wait, time.Millisecond), nil
	}
	_, err = tx.tx.ExecContext(ctx, `UPDATE rate_limit_buckets SET tokens = $1, refilled_at = $2 WHERE name = $3`,
		tokens-1, maxTime(tx.now, refilled), b.Name)
	if err != nil {
		return 0, fmt.Errorf("take token: %w", err)
	}
	return 0, nil
}

// TakeToken runs Tx.TakeToken in its own transaction.
func (db *DB) TakeToken(ctx context.Context, b Bucket) (wait time.Duration, err error) {
	err = db.InTx(ctx, func(tx *Tx) error {
		wait, err = tx.TakeToken(ctx, b)
		return err
	})
	return wait, err
}

func (tx *Tx) forUpdate() string {
	if tx.engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
