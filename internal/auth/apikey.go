package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// apiKeyPrefix starts every API key, so a key found in a log or a
// repository is recognisable (and a bearer token that is not a key is
// routed to OIDC verification).
const apiKeyPrefix = "ohx_"

// NewAPIKey returns a new random API key, the hash the store keeps of it,
// and the prefix shown to tell keys apart. The key itself is shown once.
func NewAPIKey() (key, hash, display string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", "", err
	}
	key = apiKeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return key, HashAPIKey(key), key[:len(apiKeyPrefix)+6], nil
}

// HashAPIKey returns the stored form of key: hex SHA-256. A key has 256
// random bits, so no salt or slow hash is needed.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// IsAPIKey reports whether a bearer credential has the form of an API key.
func IsAPIKey(credential string) bool { return strings.HasPrefix(credential, apiKeyPrefix) }

// Principal is an authenticated API caller.
type Principal struct {
	// Service is the name of the API key of a service (an EHR or an app's
	// backend), which may act for any patient. Empty for a patient.
	Service string
	// EHRUserID is, for a patient's token, the one patient it may act for.
	EHRUserID string
	// Subject is the patient token's subject, for the audit trail.
	Subject string
}

// MayActFor reports whether p may read or change ehrUserID's links.
func (p Principal) MayActFor(ehrUserID string) bool {
	return p.Service != "" || (p.EHRUserID != "" && p.EHRUserID == ehrUserID)
}

// Actor names p in audit events and job arguments: "service:NAME" or
// "patient".
func (p Principal) Actor() string {
	if p.Service != "" {
		return "service:" + p.Service
	}
	return "patient"
}
