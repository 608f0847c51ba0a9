package seal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// LoadOrCreateKeyFile reads a base64 key from path, or creates the file
// (mode 0600) with a new random key when it does not exist. created tells
// the caller to warn that the key lives beside the data it protects.
func LoadOrCreateKeyFile(path string) (key string, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		key = strings.TrimSpace(string(b))
		if _, _, perr := parseKey(key); perr != nil {
			return "", false, fmt.Errorf("key file %s: %w", path, perr)
		}
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("read key file: %w", err)
	}
	if key, err = NewKey(); err != nil {
		return "", false, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it between our read and our create.
		return LoadOrCreateKeyFile(path)
	}
	if err != nil {
		return "", false, fmt.Errorf("create key file: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return "", false, fmt.Errorf("write key file: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", false, fmt.Errorf("write key file: %w", err)
	}
	return key, true, nil
}
