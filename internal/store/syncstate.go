package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// SyncState is the bookkeeping of one link and data kind: where the next
// incremental fetch starts, what the last runs did, how far the backfill
// got. It holds counts and classes, never values.
type SyncState struct {
	LinkID         int64
	DataKind       string
	Cursor         string
	LastAttemptAt  time.Time
	LastSuccessAt  time.Time
	Fetched        int64
	Published      int64
	Rejected       int64
	LastErrorClass string
	LastErrorAt    time.Time
	BackfillFrom   time.Time
	BackfillDoneTo time.Time
}

// SyncOutcome is what one sync run adds to a SyncState.
type SyncOutcome struct {
	Fetched, Published, Rejected int64
	Cursor                       string // "" keeps the stored cursor
	ErrorClass                   string // "" on success
}

// RecordSync adds one run's outcome to the state of (linkID, dataKind),
// creating the row on first use.
func (tx *Tx) RecordSync(ctx context.Context, linkID int64, dataKind string, o SyncOutcome) error {
	var success, errAt any
	if o.ErrorClass == "" {
		success = tx.now
	} else {
		errAt = tx.now
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO sync_state
		(link_id, data_kind, cursor, last_attempt_at, last_success_at, fetched_count, published_count,
		 rejected_count, last_error_class, last_error_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (link_id, data_kind) DO UPDATE SET
			cursor = CASE WHEN excluded.cursor = '' THEN sync_state.cursor ELSE excluded.cursor END,
			last_attempt_at = excluded.last_attempt_at,
			last_success_at = COALESCE(excluded.last_success_at, sync_state.last_success_at),
			fetched_count = sync_state.fetched_count + excluded.fetched_count,
			published_count = sync_state.published_count + excluded.published_count,
			rejected_count = sync_state.rejected_count + excluded.rejected_count,
			last_error_class = CASE WHEN excluded.last_error_class = '' THEN sync_state.last_error_class ELSE excluded.last_error_class END,
			last_error_at = COALESCE(excluded.last_error_at, sync_state.last_error_at)`,
		linkID, dataKind, o.Cursor, tx.now, success, o.Fetched, o.Published, o.Rejected, o.ErrorClass, errAt)
	if err != nil {
		return fmt.Errorf("record sync: %w", err)
	}
	return nil
}

// SyncStates lists the sync state of every data kind of a link.
func (tx *Tx) SyncStates(ctx context.Context, linkID int64) ([]SyncState, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT link_id, data_kind, cursor, last_attempt_at, last_success_at,
		fetched_count, published_count, rejected_count, last_error_class, last_error_at, backfill_from, backfill_done_to
		FROM sync_state WHERE link_id = $1 ORDER BY data_kind`, linkID)
	if err != nil {
		return nil, fmt.Errorf("list sync state: %w", err)
	}
	defer rows.Close()
	var out []SyncState
	for rows.Next() {
		var s SyncState
		var attempt, success, errAt, bfFrom, bfTo sql.NullTime
		if err := rows.Scan(&s.LinkID, &s.DataKind, &s.Cursor, &attempt, &success, &s.Fetched, &s.Published,
			&s.Rejected, &s.LastErrorClass, &errAt, &bfFrom, &bfTo); err != nil {
			return nil, fmt.Errorf("scan sync state: %w", err)
		}
		s.LastAttemptAt, s.LastSuccessAt, s.LastErrorAt = timeOrZero(attempt), timeOrZero(success), timeOrZero(errAt)
		s.BackfillFrom, s.BackfillDoneTo = timeOrZero(bfFrom), timeOrZero(bfTo)
		out = append(out, s)
	}
	return out, rows.Err()
}

// StartBackfill records that a backfill reaching back to from was queued
// for (linkID, dataKind).
func (tx *Tx) StartBackfill(ctx context.Context, linkID int64, dataKind string, from time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO sync_state (link_id, data_kind, backfill_from) VALUES ($1, $2, $3)
		ON CONFLICT (link_id, data_kind) DO UPDATE SET backfill_from = excluded.backfill_from, backfill_done_to = NULL`,
		linkID, dataKind, from.UTC())
	if err != nil {
		return fmt.Errorf("start backfill: %w", err)
	}
	return nil
}

// RecordBackfillProgress notes that the backfill chunk starting at
// chunkStart is done; backfill_done_to is the oldest finished chunk start.
func (tx *Tx) RecordBackfillProgress(ctx context.Context, linkID int64, dataKind string, chunkStart time.Time) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE sync_state SET backfill_done_to =
		CASE WHEN backfill_done_to IS NULL OR backfill_done_to > $1 THEN $1 ELSE backfill_done_to END
		WHERE link_id = $2 AND data_kind = $3`, chunkStart.UTC(), linkID, dataKind)
	if err != nil {
		return fmt.Errorf("record backfill progress: %w", err)
	}
	return nil
}
