package publish

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"time"
)

// assertionLifetime is how long a client assertion is valid. SMART Backend
// Services requires exp at most five minutes in the future.
const assertionLifetime = 5 * time.Minute

// assertionSigner signs SMART Backend Services client assertions
// (private_key_jwt, RFC 7523) with the stdlib: a JWT library would add a
// dependency for two algorithms and forty lines.
type assertionSigner struct {
	alg, kid, clientID, aud string
	key                     crypto.Signer
}

// loadSigningKey reads a PEM private key (PKCS#8, PKCS#1 or SEC 1) and
// settles the algorithm: RS384 for an RSA key, ES384 for a P-384 key. A
// configured alg must agree with the key. Errors name the file, never its
// contents.
func loadSigningKey(path, alg string) (crypto.Signer, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("read OHX_FHIR_PRIVATE_KEY_FILE: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, "", fmt.Errorf("OHX_FHIR_PRIVATE_KEY_FILE %s: no PEM block", path)
	}
	var key any
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, "", fmt.Errorf("OHX_FHIR_PRIVATE_KEY_FILE %s: not a private key in PKCS#8, PKCS#1 or SEC 1 form", path)
	}
	return checkKey(key, alg)
}

func checkKey(key any, alg string) (crypto.Signer, string, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if alg != "" && alg != AlgRS384 {
			return nil, "", fmt.Errorf("OHX_FHIR_SIGNING_ALG is %s but the key is RSA; use RS384", alg)
		}
		if k.N.BitLen() < 2048 {
			return nil, "", fmt.Errorf("OHX_FHIR_PRIVATE_KEY_FILE: RSA key has %d bits, want at least 2048", k.N.BitLen())
		}
		return k, AlgRS384, nil
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P384() {
			return nil, "", fmt.Errorf("OHX_FHIR_PRIVATE_KEY_FILE: EC key is not on P-384, which ES384 needs")
		}
		if alg != "" && alg != AlgES384 {
			return nil, "", fmt.Errorf("OHX_FHIR_SIGNING_ALG is %s but the key is EC P-384; use ES384", alg)
		}
		return k, AlgES384, nil
	}
	return nil, "", fmt.Errorf("OHX_FHIR_PRIVATE_KEY_FILE: want an RSA or EC P-384 key, got %T", key)
}

// sign returns a compact JWS client assertion: iss and sub are the client
// id, aud the token URL, jti random, exp five minutes after now.
func (s *assertionSigner) sign(now time.Time) (string, error) {
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", fmt.Errorf("client assertion jti: %w", err)
	}
	header, err := json.Marshal(map[string]string{"alg": s.alg, "kid": s.kid, "typ": "JWT"})
	if err != nil {
		return "", err
	}
	claims, err := json.Marshal(map[string]any{
		"iss": s.clientID, "sub": s.clientID, "aud": s.aud, "jti": hex.EncodeToString(jti),
		"iat": now.Unix(), "exp": now.Add(assertionLifetime).Unix(),
	})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	digest := sha512.Sum384([]byte(input))
	sig, err := s.signDigest(digest[:])
	if err != nil {
		return "", fmt.Errorf("sign client assertion: %w", err)
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// signDigest signs with PKCS #1 v1.5 for RS384, and for ES384 returns r||s,
// each left-padded to 48 bytes, which is what JWS wants instead of ASN.1.
func (s *assertionSigner) signDigest(digest []byte) ([]byte, error) {
	switch k := s.key.(type) {
	case *rsa.PrivateKey:
		return rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA384, digest)
	case *ecdsa.PrivateKey:
		r, sv, err := ecdsa.Sign(rand.Reader, k, digest)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 96)
		r.FillBytes(out[:48])
		sv.FillBytes(out[48:])
		return out, nil
	}
	return nil, fmt.Errorf("unsupported key %T", s.key)
}
