package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OAuthState is a pending account-linking flow, keyed by the SHA-256 of the
// state parameter; the state itself is never stored.
type OAuthState struct {
	StateHash   string
	PatientID   int64
	EHRUserID   string // the patient's EHR id; filled by TakeOAuthState
	Provider    string
	RedirectURL string // where the patient lands after a successful flow
	ErrorURL    string // where the patient lands after a failed one
	ExpiresAt   time.Time
}

// PutOAuthState records a new pending flow and deletes expired ones.
func (tx *Tx) PutOAuthState(ctx context.Context, s OAuthState) error {
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM oauth_states WHERE expires_at < $1`, tx.now); err != nil {
		return fmt.Errorf("expire oauth states: %w", err)
	}
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO oauth_states (state_hash, patient_id, provider, redirect_url, error_url, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, s.StateHash, s.PatientID, s.Provider, s.RedirectURL, s.ErrorURL, tx.now, s.ExpiresAt.UTC())
	if err != nil {
		return fmt.Errorf("put oauth state: %w", err)
	}
	return nil
}

// TakeOAuthState deletes and returns the pending flow with stateHash, so a
// state works once. It returns ErrNotFound for unknown or expired states.
func (tx *Tx) TakeOAuthState(ctx context.Context, stateHash string) (OAuthState, error) {
	s := OAuthState{StateHash: stateHash}
	err := tx.tx.QueryRowContext(ctx, `DELETE FROM oauth_states WHERE state_hash = $1
		RETURNING patient_id, provider, redirect_url, error_url, expires_at`, stateHash).Scan(&s.PatientID, &s.Provider, &s.RedirectURL, &s.ErrorURL, &s.ExpiresAt)
	if errors.Is(err, sql.ErrNoRows) {
		return OAuthState{}, ErrNotFound
	}
	if err != nil {
		return OAuthState{}, fmt.Errorf("take oauth state: %w", err)
	}
	if !s.ExpiresAt.After(tx.now) {
		return OAuthState{}, ErrNotFound
	}
	p, err := tx.PatientByID(ctx, s.PatientID)
	if err != nil {
		return OAuthState{}, err
	}
	s.EHRUserID = p.EHRUserID
	s.ExpiresAt = s.ExpiresAt.UTC()
	return s, nil
}
