package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ActiveDevices returns the ids of the devices a link reported that have
// not ended.
func (tx *Tx) ActiveDevices(ctx context.Context, linkID int64) ([]string, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT device_id FROM link_devices
		WHERE link_id = $1 AND ended_at IS NULL ORDER BY device_id`, linkID)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// MarkDevicesSeen records that the provider listed these devices now; a
// device that had ended and comes back starts again.
func (tx *Tx) MarkDevicesSeen(ctx context.Context, linkID int64, ids []string) error {
	for _, id := range ids {
		_, err := tx.tx.ExecContext(ctx, `INSERT INTO link_devices (link_id, device_id, first_seen_at, last_seen_at)
			VALUES ($1, $2, $3, $3)
			ON CONFLICT (link_id, device_id) DO UPDATE SET last_seen_at = excluded.last_seen_at, ended_at = NULL`,
			linkID, id, tx.now)
		if err != nil {
			return fmt.Errorf("mark device seen: %w", err)
		}
	}
	return nil
}

// EndDevices records that these devices are no longer the link's.
func (tx *Tx) EndDevices(ctx context.Context, linkID int64, ids []string) error {
	for _, id := range ids {
		if _, err := tx.tx.ExecContext(ctx, `UPDATE link_devices SET ended_at = $1
			WHERE link_id = $2 AND device_id = $3 AND ended_at IS NULL`, tx.now, linkID, id); err != nil {
			return fmt.Errorf("end device: %w", err)
		}
	}
	return nil
}

// LinkDevice is a device a link reported, by id only.
type LinkDevice struct {
	DeviceID              string
	FirstSeenAt, LastSeen time.Time
	EndedAt               time.Time // zero while the device is the link's
}

// LinkDevices lists every device the link reported, ended ones included.
func (tx *Tx) LinkDevices(ctx context.Context, linkID int64) ([]LinkDevice, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT device_id, first_seen_at, last_seen_at, ended_at FROM link_devices
		WHERE link_id = $1 ORDER BY device_id`, linkID)
	if err != nil {
		return nil, fmt.Errorf("list devices: %w", err)
	}
	defer rows.Close()
	var out []LinkDevice
	for rows.Next() {
		var d LinkDevice
		var ended sql.NullTime
		if err := rows.Scan(&d.DeviceID, &d.FirstSeenAt, &d.LastSeen, &ended); err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
		d.FirstSeenAt, d.LastSeen = d.FirstSeenAt.UTC(), d.LastSeen.UTC()
		if ended.Valid {
			d.EndedAt = ended.Time.UTC()
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
