package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/ohx-health/ohx/internal/seal"
	"github.com/ohx-health/ohx/internal/store"
)

// runRotateKey re-seals every token set under the current key. Run it
// after moving the old key to OHX_ENCRYPTION_KEY_PREVIOUS and setting a new
// OHX_ENCRYPTION_KEY; once it reports zero left, drop the previous key.
func runRotateKey(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "rotate-key", "rotate-key\n\nRe-encrypts every stored token set with OHX_ENCRYPTION_KEY, reading old ones with\nOHX_ENCRYPTION_KEY_PREVIOUS. Safe to run while ohx serves, and to run again.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, logger, err := loadConfig(e)
	if err != nil {
		return err
	}
	kr, err := keyring(cfg, logger)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := rotateKeys(ctx, db, kr)
	fmt.Fprintf(e.stdout, "re-encrypted %d token set(s)\n", n)
	return err
}

// rotateKeys re-seals, in batches, every token sealed under another key.
// Each row is swapped only if no worker replaced its token meanwhile.
func rotateKeys(ctx context.Context, db *store.DB, kr *seal.Keyring) (int, error) {
	done := 0
	for {
		var batch []store.Link
		err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			batch, err = tx.LinksSealedWithOtherKey(ctx, kr.CurrentKeyID(), 100)
			return err
		})
		if err != nil || len(batch) == 0 {
			return done, err
		}
		progress := 0
		for _, l := range batch {
			ok, err := resealLink(ctx, db, kr, l)
			if err != nil {
				return done, err
			}
			if ok {
				done++
				progress++
			}
		}
		if progress == 0 {
			return done, errors.New("no progress re-encrypting tokens; is another rotation running?")
		}
	}
}

func resealLink(ctx context.Context, db *store.DB, kr *seal.Keyring, l store.Link) (bool, error) {
	aad := store.TokenContext(l.Provider, l.ExternalUserID)
	pt, err := kr.Open(seal.Sealed{KeyID: l.Token.KeyID, Data: l.Token.Data}, aad)
	if err != nil {
		return false, fmt.Errorf("link %d: %w (is OHX_ENCRYPTION_KEY_PREVIOUS set to the old key?)", l.ID, err)
	}
	s, err := kr.Seal(pt, aad)
	clear(pt)
	if err != nil {
		return false, err
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		return tx.ReplaceToken(ctx, l.ID, l.TokenVersion, store.SealedToken{KeyID: s.KeyID, Data: s.Data, ExpiresAt: l.Token.ExpiresAt}, l.Scopes)
	})
	if errors.Is(err, store.ErrStaleToken) {
		return false, nil // a worker refreshed it meanwhile, under the current key
	}
	return err == nil, err
}
