package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Patient is an EHR patient ohx relays data for, known by the EHR's own id.
type Patient struct {
	ID        int64
	EHRUserID string
	CreatedAt time.Time
}

// EnsurePatient returns the patient with ehrUserID, creating it if needed.
func (tx *Tx) EnsurePatient(ctx context.Context, ehrUserID string) (Patient, error) {
	p, err := tx.PatientByEHRID(ctx, ehrUserID)
	if !errors.Is(err, ErrNotFound) {
		return p, err
	}
	p = Patient{EHRUserID: ehrUserID, CreatedAt: tx.now}
	err = tx.tx.QueryRowContext(ctx,
		`INSERT INTO patients (ehr_user_id, created_at, updated_at) VALUES ($1, $2, $2) RETURNING id`,
		ehrUserID, tx.now).Scan(&p.ID)
	if err != nil {
		return Patient{}, fmt.Errorf("create patient: %w", err)
	}
	return p, nil
}

// PatientByEHRID looks a patient up by the EHR's id.
func (tx *Tx) PatientByEHRID(ctx context.Context, ehrUserID string) (Patient, error) {
	p := Patient{EHRUserID: ehrUserID}
	err := tx.tx.QueryRowContext(ctx,
		`SELECT id, created_at FROM patients WHERE ehr_user_id = $1`, ehrUserID).Scan(&p.ID, &p.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Patient{}, ErrNotFound
	}
	if err != nil {
		return Patient{}, fmt.Errorf("get patient: %w", err)
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, nil
}

// PatientByID looks a patient up by ohx's id.
func (tx *Tx) PatientByID(ctx context.Context, id int64) (Patient, error) {
	p := Patient{ID: id}
	err := tx.tx.QueryRowContext(ctx,
		`SELECT ehr_user_id, created_at FROM patients WHERE id = $1`, id).Scan(&p.EHRUserID, &p.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Patient{}, ErrNotFound
	}
	if err != nil {
		return Patient{}, fmt.Errorf("get patient: %w", err)
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p, nil
}
