package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/ohx-health/ohx/internal/config"
	"github.com/ohx-health/ohx/internal/seal"
	"github.com/ohx-health/ohx/internal/store"
)

// openDB opens the configured database.
func openDB(ctx context.Context, cfg config.Config) (*store.DB, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("%w (database %s)", err, config.RedactURL(cfg.DatabaseURL))
	}
	return db, nil
}

// keyring builds the token keyring. On the embedded SQLite default with no
// key configured, it keeps a generated key in a file beside the database
// and warns, since a key next to the data only protects against a leaked
// database file, not a leaked disk.
func keyring(cfg config.Config, logger *slog.Logger) (*seal.Keyring, error) {
	key := cfg.EncryptionKey
	if key == "" {
		path := cfg.SQLitePath() + ".key"
		k, created, err := seal.LoadOrCreateKeyFile(path)
		if err != nil {
			return nil, err
		}
		key = k
		msg := "OHX_ENCRYPTION_KEY is not set; using the key file beside the database"
		if created {
			msg = "OHX_ENCRYPTION_KEY is not set; generated a key file beside the database"
		}
		logger.Warn(msg, "key_file", path)
	}
	return seal.NewKeyring(key, cfg.EncryptionKeyPrevious)
}
