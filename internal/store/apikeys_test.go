package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ohx-health/ohx/internal/store"
)

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
		db.SetClock(func() time.Time { return now })
		in := func(fn func(tx *store.Tx) error) error { return db.InTx(ctx, fn) }
		if err := in(func(tx *store.Tx) error { _, err := tx.CreateAPIKey(ctx, "ehr", "hash-1", "ohx_abc"); return err }); err != nil {
			t.Fatal(err)
		}
		err := in(func(tx *store.Tx) error { _, err := tx.CreateAPIKey(ctx, "ehr", "hash-2", "ohx_def"); return err })
		if !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("second key named ehr: %v, want ErrDuplicate", err)
		}
		var k store.APIKey
		if err := in(func(tx *store.Tx) (err error) { k, err = tx.APIKeyByHash(ctx, "hash-1"); return err }); err != nil {
			t.Fatal(err)
		}
		if k.Name != "ehr" || !k.LastUsedAt.Equal(now) {
			t.Errorf("key %+v, want ehr used at %v", k, now)
		}
		if err := in(func(tx *store.Tx) error { _, err := tx.APIKeyByHash(ctx, "hash-x"); return err }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown hash: %v", err)
		}
		now = now.Add(time.Hour)
		if err := in(func(tx *store.Tx) error { return tx.RevokeAPIKey(ctx, "ehr") }); err != nil {
			t.Fatal(err)
		}
		if err := in(func(tx *store.Tx) error { _, err := tx.APIKeyByHash(ctx, "hash-1"); return err }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoked key still valid: %v", err)
		}
		if err := in(func(tx *store.Tx) error { return tx.RevokeAPIKey(ctx, "ehr") }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoking twice: %v", err)
		}
		var keys []store.APIKey
		if err := in(func(tx *store.Tx) (err error) { keys, err = tx.APIKeys(ctx); return err }); err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 || !keys[0].RevokedAt.Equal(now) || keys[0].Prefix != "ohx_abc" {
			t.Errorf("keys %+v", keys)
		}
	})
}

func TestOAuthStateCarriesBothRedirects(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var got store.OAuthState
		err := db.InTx(ctx, func(tx *store.Tx) error {
			p, err := tx.EnsurePatient(ctx, "pat-9")
			if err != nil {
				return err
			}
			err = tx.PutOAuthState(ctx, store.OAuthState{StateHash: "h", PatientID: p.ID, Provider: "withings",
				RedirectURL: "myapp://ok", ErrorURL: "myapp://err", ExpiresAt: tx.Now().Add(time.Minute)})
			if err != nil {
				return err
			}
			got, err = tx.TakeOAuthState(ctx, "h")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.RedirectURL != "myapp://ok" || got.ErrorURL != "myapp://err" || got.EHRUserID != "pat-9" {
			t.Errorf("state %+v", got)
		}
	})
}
