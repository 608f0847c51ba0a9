package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// LinkStatus is where a link is in its life.
type LinkStatus string

// The statuses of a link.
const (
	LinkActive      LinkStatus = "active"
	LinkNeedsReauth LinkStatus = "needs_reauth"
	LinkRevoked     LinkStatus = "revoked"
)

// SealedToken is a provider token set encrypted by package seal, with the
// id of the key that sealed it. The store never sees plaintext.
type SealedToken struct {
	KeyID     string
	Data      []byte
	ExpiresAt time.Time
}

// Link ties a patient to one provider account.
type Link struct {
	ID             int64
	PatientID      int64
	EHRUserID      string
	Provider       string
	ExternalUserID string
	Token          SealedToken // zero once crypto-shredded
	TokenVersion   int64
	Scopes         string
	Status         LinkStatus
	LinkedAt       time.Time
	UnlinkedAt     time.Time
}

const linkColumns = `l.id, l.patient_id, p.ehr_user_id, l.provider, l.external_user_id,
	l.token_key_id, l.token_sealed, l.token_expires_at, l.token_version, l.scopes,
	l.status, l.linked_at, l.unlinked_at`

func scanLink(row interface{ Scan(...any) error }) (Link, error) {
	var l Link
	var keyID sql.NullString
	var exp, unlinked sql.NullTime
	err := row.Scan(&l.ID, &l.PatientID, &l.EHRUserID, &l.Provider, &l.ExternalUserID,
		&keyID, &l.Token.Data, &exp, &l.TokenVersion, &l.Scopes, &l.Status, &l.LinkedAt, &unlinked)
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, ErrNotFound
	}
	if err != nil {
		return Link{}, fmt.Errorf("scan link: %w", err)
	}
	l.Token.KeyID = keyID.String
	l.Token.ExpiresAt = timeOrZero(exp)
	l.LinkedAt = l.LinkedAt.UTC()
	l.UnlinkedAt = timeOrZero(unlinked)
	return l, nil
}

// TokenContext is the authenticated context a link's token set is sealed
// under (see package seal): it binds the ciphertext to the provider account,
// so a token set copied onto another link's row does not open.
func TokenContext(provider, externalUserID string) string {
	return "ohx/token/" + provider + "/" + externalUserID
}

// CreateLink records a new active link. It fails with a conflict if the
// patient already has a live link to the provider, or the provider account
// already feeds another patient.
func (tx *Tx) CreateLink(ctx context.Context, patientID int64, provider, externalUserID, scopes string, tok SealedToken) (Link, error) {
	var id int64
	err := tx.tx.QueryRowContext(ctx, `INSERT INTO links
		(patient_id, provider, external_user_id, token_key_id, token_sealed, token_expires_at,
		 token_version, scopes, status, linked_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, 1, $7, 'active', $8, $8) RETURNING id`,
		patientID, provider, externalUserID, tok.KeyID, tok.Data, nullTime(tok.ExpiresAt), scopes, tx.now).Scan(&id)
	if err != nil {
		return Link{}, fmt.Errorf("create link: %w", err)
	}
	return tx.LinkByID(ctx, id)
}

// LinkByID returns a link.
func (tx *Tx) LinkByID(ctx context.Context, id int64) (Link, error) {
	return scanLink(tx.tx.QueryRowContext(ctx,
		`SELECT `+linkColumns+` FROM links l JOIN patients p ON p.id = l.patient_id WHERE l.id = $1`, id))
}

// LiveLinkByExternalUser returns the non-revoked link of a provider account,
// which is how a webhook finds its patient.
func (tx *Tx) LiveLinkByExternalUser(ctx context.Context, provider, externalUserID string) (Link, error) {
	return scanLink(tx.tx.QueryRowContext(ctx, `SELECT `+linkColumns+`
		FROM links l JOIN patients p ON p.id = l.patient_id
		WHERE l.provider = $1 AND l.external_user_id = $2 AND l.status <> 'revoked'`, provider, externalUserID))
}

// LinksOfPatient lists every link of a patient, newest first, revoked
// ones included.
func (tx *Tx) LinksOfPatient(ctx context.Context, patientID int64) ([]Link, error) {
	return tx.queryLinks(ctx, "list links", `WHERE l.patient_id = $1 ORDER BY l.linked_at DESC, l.id DESC`, patientID)
}

// ErrStaleToken means another worker replaced the token set first: the
// caller must reload the link instead of overwriting a newer token.
var ErrStaleToken = errors.New("token set changed since it was read")

// ReplaceToken stores a new sealed token set if the link still has the
// token version the caller read (compare-and-swap), so two workers can never
// both write a refreshed token.
func (tx *Tx) ReplaceToken(ctx context.Context, linkID, readVersion int64, tok SealedToken, scopes string) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE links SET token_key_id = $1, token_sealed = $2,
		token_expires_at = $3, token_version = token_version + 1, scopes = $4, updated_at = $5
		WHERE id = $6 AND token_version = $7`,
		tok.KeyID, tok.Data, nullTime(tok.ExpiresAt), scopes, tx.now, linkID, readVersion)
	if err != nil {
		return fmt.Errorf("replace token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrStaleToken
	}
	return nil
}

// SetLinkStatus moves a link to status. Revoking also crypto-shreds its
// token set and stamps unlinked_at.
func (tx *Tx) SetLinkStatus(ctx context.Context, linkID int64, status LinkStatus) error {
	q := `UPDATE links SET status = $1, updated_at = $2 WHERE id = $3`
	if status == LinkRevoked {
		q = `UPDATE links SET status = $1, updated_at = $2, unlinked_at = $2, token_key_id = NULL,
			token_sealed = NULL, token_expires_at = NULL, token_version = token_version + 1 WHERE id = $3`
	}
	res, err := tx.tx.ExecContext(ctx, q, status, tx.now, linkID)
	if err != nil {
		return fmt.Errorf("set link status: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// LinksSealedWithOtherKey returns up to limit links whose tokens were
// sealed with a key other than keyID, for key rotation.
func (tx *Tx) LinksSealedWithOtherKey(ctx context.Context, keyID string, limit int) ([]Link, error) {
	return tx.queryLinks(ctx, "list links to re-seal",
		`WHERE l.token_sealed IS NOT NULL AND l.token_key_id <> $1 ORDER BY l.id LIMIT $2`, keyID, limit)
}

// ActiveLinks returns up to limit active links with ids above afterID, in
// id order, for periodic work that pages through every link.
func (tx *Tx) ActiveLinks(ctx context.Context, afterID int64, limit int) ([]Link, error) {
	return tx.queryLinks(ctx, "list active links", `WHERE l.status = 'active' AND l.id > $1 ORDER BY l.id LIMIT $2`, afterID, limit)
}

// queryLinks runs a link query with the given WHERE/ORDER clause; op names
// it in errors.
func (tx *Tx) queryLinks(ctx context.Context, op, clause string, args ...any) ([]Link, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT `+linkColumns+`
		FROM links l JOIN patients p ON p.id = l.patient_id `+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	defer rows.Close()
	var out []Link
	for rows.Next() {
		l, err := scanLink(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
