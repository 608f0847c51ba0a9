package store

import (
	"context"
	"fmt"
)

// Subscription is a webhook subscription ohx holds at a provider for one
// link and topic (a Withings appli code, a Google Health data type).
type Subscription struct {
	ID          int64
	LinkID      int64
	Topic       string
	CallbackURL string // without its secret query parameter
	ExternalID  string
}

// PutSubscription records that the provider now holds a subscription.
func (tx *Tx) PutSubscription(ctx context.Context, s Subscription) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO subscriptions (link_id, topic, callback_url, external_id, created_at, checked_at)
		VALUES ($1, $2, $3, $4, $5, $5)
		ON CONFLICT (link_id, topic) DO UPDATE SET callback_url = excluded.callback_url,
			external_id = excluded.external_id, checked_at = excluded.checked_at`,
		s.LinkID, s.Topic, s.CallbackURL, s.ExternalID, tx.now)
	if err != nil {
		return fmt.Errorf("put subscription: %w", err)
	}
	return nil
}

// Subscriptions lists the subscriptions of a link.
func (tx *Tx) Subscriptions(ctx context.Context, linkID int64) ([]Subscription, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT id, link_id, topic, callback_url, external_id
		FROM subscriptions WHERE link_id = $1 ORDER BY topic`, linkID)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	defer rows.Close()
	var out []Subscription
	for rows.Next() {
		var s Subscription
		if err := rows.Scan(&s.ID, &s.LinkID, &s.Topic, &s.CallbackURL, &s.ExternalID); err != nil {
			return nil, fmt.Errorf("scan subscription: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeleteSubscription forgets a subscription after the provider revoked it.
func (tx *Tx) DeleteSubscription(ctx context.Context, linkID int64, topic string) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE link_id = $1 AND topic = $2`, linkID, topic)
	if err != nil {
		return fmt.Errorf("delete subscription: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteSubscriptions forgets every subscription of a link.
func (tx *Tx) DeleteSubscriptions(ctx context.Context, linkID int64) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM subscriptions WHERE link_id = $1`, linkID); err != nil {
		return fmt.Errorf("delete subscriptions: %w", err)
	}
	return nil
}
