// Package seal encrypts provider token sets at rest with AES-256-GCM.
//
// Each ciphertext travels with the id of the key that sealed it, so a
// previous key can still open old rows while `ohx rotate-key` re-seals them
// under the current one. Seal never logs, and its errors never contain
// plaintext or key material.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
)

// ErrUnknownKey means a ciphertext names a key this Keyring does not hold.
var ErrUnknownKey = errors.New("seal: ciphertext was sealed with a key that is not configured")

// ErrOpen means a ciphertext failed authentication: it was tampered with,
// truncated, bound to another context, or sealed with another key of the
// same id (which cannot happen by accident).
var ErrOpen = errors.New("seal: ciphertext failed authentication")

// Sealed is a ciphertext and the id of the key that sealed it.
type Sealed struct {
	KeyID string
	Data  []byte // nonce followed by the GCM ciphertext and tag
}

// Keyring seals with its current key and opens with the current or the
// previous one.
type Keyring struct {
	currentID string
	aeads     map[string]cipher.AEAD
}

// NewKeyring builds a Keyring from base64 keys; previous may be "".
func NewKeyring(current, previous string) (*Keyring, error) {
	k := &Keyring{aeads: map[string]cipher.AEAD{}}
	id, aead, err := parseKey(current)
	if err != nil {
		return nil, fmt.Errorf("current key: %w", err)
	}
	k.currentID = id
	k.aeads[id] = aead
	if previous != "" {
		pid, paead, err := parseKey(previous)
		if err != nil {
			return nil, fmt.Errorf("previous key: %w", err)
		}
		k.aeads[pid] = paead
	}
	return k, nil
}

// CurrentKeyID is the id of the key Seal uses.
func (k *Keyring) CurrentKeyID() string { return k.currentID }

// Seal encrypts plaintext under the current key. context is authenticated
// but not encrypted: a ciphertext only opens with the same context, so a
// token set copied onto another row is useless.
func (k *Keyring) Seal(plaintext []byte, context string) (Sealed, error) {
	aead := k.aeads[k.currentID]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return Sealed{}, fmt.Errorf("seal: nonce: %w", err)
	}
	return Sealed{KeyID: k.currentID, Data: aead.Seal(nonce, nonce, plaintext, []byte(context))}, nil
}

// Open decrypts s with the key it names, checking context.
func (k *Keyring) Open(s Sealed, context string) ([]byte, error) {
	aead, ok := k.aeads[s.KeyID]
	if !ok {
		return nil, ErrUnknownKey
	}
	if len(s.Data) < aead.NonceSize()+aead.Overhead() {
		return nil, ErrOpen
	}
	n := aead.NonceSize()
	pt, err := aead.Open(nil, s.Data[:n], s.Data[n:], []byte(context))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// NewKey returns a fresh random key in the base64 form the configuration
// takes.
func NewKey() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func parseKey(b64 string) (string, cipher.AEAD, error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != 32 {
		return "", nil, errors.New("want the base64 of exactly 32 bytes")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return "", nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return "", nil, err
	}
	// The id is a hash of the key under a fixed label: stable, short, and
	// revealing nothing about the key.
	sum := sha256.Sum256(append([]byte("ohx key id\x00"), raw...))
	return hex.EncodeToString(sum[:8]), aead, nil
}
