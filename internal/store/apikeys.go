package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// APIKey is a service's credential for the patient-facing API. The key
// itself is shown once, at creation; the store keeps its SHA-256.
type APIKey struct {
	ID         int64
	Name       string
	Prefix     string
	CreatedAt  time.Time
	LastUsedAt time.Time // zero if never used
	RevokedAt  time.Time // zero while valid
}

// ErrDuplicate is returned when a unique name is already taken.
var ErrDuplicate = errors.New("already exists")

// CreateAPIKey stores a new key by the hash of its secret.
func (tx *Tx) CreateAPIKey(ctx context.Context, name, keyHash, prefix string) (APIKey, error) {
	k := APIKey{Name: name, Prefix: prefix, CreatedAt: tx.now}
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO api_keys (name, key_hash, prefix, created_at)
		VALUES ($1, $2, $3, $4) RETURNING id`, name, keyHash, prefix, tx.now).Scan(&k.ID)
	if err != nil && strings.Contains(strings.ToLower(err.Error()), "unique") {
		return APIKey{}, fmt.Errorf("api key %q: %w", name, ErrDuplicate)
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("create api key: %w", err)
	}
	return k, nil
}

// APIKeyByHash returns the valid (unrevoked) key with keyHash and records
// its use; ErrNotFound otherwise.
func (tx *Tx) APIKeyByHash(ctx context.Context, keyHash string) (APIKey, error) {
	var k APIKey
	var used sql.NullTime
	err := tx.tx.QueryRowContext(ctx, `SELECT id, name, prefix, created_at, last_used_at FROM api_keys
		WHERE key_hash = $1 AND revoked_at IS NULL`, keyHash).Scan(&k.ID, &k.Name, &k.Prefix, &k.CreatedAt, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return APIKey{}, ErrNotFound
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("get api key: %w", err)
	}
	k.CreatedAt = k.CreatedAt.UTC()
	// Record use at most once a minute: an API call should not always write.
	if !used.Valid || tx.now.Sub(used.Time) > time.Minute {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, tx.now, k.ID); err != nil {
			return APIKey{}, fmt.Errorf("touch api key: %w", err)
		}
		used = sql.NullTime{Time: tx.now, Valid: true}
	}
	k.LastUsedAt = used.Time.UTC()
	return k, nil
}

// APIKeys lists every key, revoked ones included, oldest first.
func (tx *Tx) APIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT id, name, prefix, created_at, last_used_at, revoked_at
		FROM api_keys ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list api keys: %w", err)
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		var k APIKey
		var used, revoked sql.NullTime
		if err := rows.Scan(&k.ID, &k.Name, &k.Prefix, &k.CreatedAt, &used, &revoked); err != nil {
			return nil, fmt.Errorf("list api keys: %w", err)
		}
		k.CreatedAt, k.LastUsedAt, k.RevokedAt = k.CreatedAt.UTC(), used.Time.UTC(), revoked.Time.UTC()
		if !used.Valid {
			k.LastUsedAt = time.Time{}
		}
		if !revoked.Valid {
			k.RevokedAt = time.Time{}
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// RevokeAPIKey revokes the key called name; ErrNotFound if there is no
// valid key of that name.
func (tx *Tx) RevokeAPIKey(ctx context.Context, name string) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL`, tx.now, name)
	if err != nil {
		return fmt.Errorf("revoke api key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
