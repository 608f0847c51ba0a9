package config

import (
	"encoding/base64"
	"errors"
)

// checkKey accepts "" (unset) or the standard base64 of exactly 32 bytes.
func checkKey(v string) error {
	if v == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return errors.New("must be standard base64")
	}
	if len(b) != 32 {
		return errors.New("must decode to exactly 32 bytes (AES-256)")
	}
	return nil
}
