package store

import (
	"context"
	"fmt"
	"time"
)

// AcquireRefreshLease gives owner the right to refresh the tokens of a
// live link until until, if nobody else holds an unexpired lease. It
// reports whether owner got it. A crashed holder's lease simply expires.
func (tx *Tx) AcquireRefreshLease(ctx context.Context, linkID int64, owner string, until time.Time) (bool, error) {
	res, err := tx.tx.ExecContext(ctx, `UPDATE links SET refresh_lease_until = $1, refresh_lease_owner = $2
		WHERE id = $3 AND status <> 'revoked' AND (refresh_lease_until IS NULL OR refresh_lease_until < $4 OR refresh_lease_owner = $2)`,
		until.UTC(), owner, linkID, tx.now)
	if err != nil {
		return false, fmt.Errorf("acquire refresh lease: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseRefreshLease gives up owner's lease, if owner still holds it.
func (tx *Tx) ReleaseRefreshLease(ctx context.Context, linkID int64, owner string) error {
	_, err := tx.tx.ExecContext(ctx, `UPDATE links SET refresh_lease_until = NULL, refresh_lease_owner = ''
		WHERE id = $1 AND refresh_lease_owner = $2`, linkID, owner)
	if err != nil {
		return fmt.Errorf("release refresh lease: %w", err)
	}
	return nil
}

// Now is the transaction's clock reading, for callers that compute
// deadlines against the same clock the store writes with.
func (tx *Tx) Now() time.Time { return tx.now }
