package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// AuditEvent records who did what to which patient or link. Detail is free
// text for people and must never hold a token or a health value.
type AuditEvent struct {
	ID        int64
	At        time.Time
	Actor     string
	Action    string
	PatientID int64 // 0 when not about one patient
	LinkID    int64 // 0 when not about one link
	Provider  string
	Detail    string
	RequestID string
}

// AddAudit appends an audit event stamped with the transaction's time.
func (tx *Tx) AddAudit(ctx context.Context, e AuditEvent) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO audit_events
		(at, actor, action, patient_id, link_id, provider, detail, request_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		tx.now, e.Actor, e.Action, nullID(e.PatientID), nullID(e.LinkID), e.Provider, e.Detail, e.RequestID)
	if err != nil {
		return fmt.Errorf("add audit event: %w", err)
	}
	return nil
}

// AuditEvents returns the newest events first, at most limit of them,
// optionally only those of one patient (patientID 0 means all).
func (tx *Tx) AuditEvents(ctx context.Context, patientID int64, limit int) ([]AuditEvent, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT id, at, actor, action, patient_id, link_id, provider, detail, request_id
		FROM audit_events WHERE ($1 = 0 OR patient_id = $1) ORDER BY at DESC, id DESC LIMIT $2`, patientID, limit)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	defer rows.Close()
	var out []AuditEvent
	for rows.Next() {
		var e AuditEvent
		var pid, lid sql.NullInt64
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &pid, &lid, &e.Provider, &e.Detail, &e.RequestID); err != nil {
			return nil, fmt.Errorf("scan audit event: %w", err)
		}
		e.At, e.PatientID, e.LinkID = e.At.UTC(), pid.Int64, lid.Int64
		out = append(out, e)
	}
	return out, rows.Err()
}

// PruneAudit deletes audit events older than before and returns how many.
func (tx *Tx) PruneAudit(ctx context.Context, before time.Time) (int64, error) {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM audit_events WHERE at < $1`, before.UTC())
	if err != nil {
		return 0, fmt.Errorf("prune audit events: %w", err)
	}
	return res.RowsAffected()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
