package seal_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ohx-health/ohx/internal/seal"
)

func newKey(t *testing.T) string {
	t.Helper()
	k, err := seal.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	kr, err := seal.NewKeyring(newKey(t), "")
	if err != nil {
		t.Fatal(err)
	}
	pt := []byte(`{"access_token":"a","refresh_token":"r"}`)
	s, err := kr.Seal(pt, "link:1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(s.Data, []byte("refresh_token")) {
		t.Fatal("ciphertext contains plaintext")
	}
	got, err := kr.Open(s, "link:1")
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	s2, _ := kr.Seal(pt, "link:1")
	if bytes.Equal(s.Data, s2.Data) {
		t.Error("two seals of the same plaintext are identical: nonce reuse")
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	kr, _ := seal.NewKeyring(newKey(t), "")
	other, _ := seal.NewKeyring(newKey(t), "")
	s, _ := kr.Seal([]byte("secret token set"), "link:1")
	tampered := seal.Sealed{KeyID: s.KeyID, Data: bytes.Clone(s.Data)}
	tampered.Data[len(tampered.Data)-1] ^= 1
	cases := []struct {
		name    string
		kr      *seal.Keyring
		s       seal.Sealed
		context string
		want    error
	}{
		{"wrong key", other, s, "link:1", seal.ErrUnknownKey},
		{"tampered", kr, tampered, "link:1", seal.ErrOpen},
		{"truncated", kr, seal.Sealed{KeyID: s.KeyID, Data: s.Data[:10]}, "link:1", seal.ErrOpen},
		{"other row", kr, s, "link:2", seal.ErrOpen},
		{"same id, other key", kr, seal.Sealed{KeyID: s.KeyID, Data: mustSeal(t, other)}, "link:1", seal.ErrOpen},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pt, err := tc.kr.Open(tc.s, tc.context)
			if !errors.Is(err, tc.want) || pt != nil {
				t.Fatalf("Open = %q, %v; want %v", pt, err, tc.want)
			}
			if bytes.Contains([]byte(err.Error()), []byte("secret")) {
				t.Error("error text leaks plaintext")
			}
		})
	}
}

func mustSeal(t *testing.T, kr *seal.Keyring) []byte {
	s, err := kr.Seal([]byte("secret token set"), "link:1")
	if err != nil {
		t.Fatal(err)
	}
	return s.Data
}

func TestRotationKeepsOldCiphertextsReadable(t *testing.T) {
	t.Parallel()
	oldKey, newK := newKey(t), newKey(t)
	before, _ := seal.NewKeyring(oldKey, "")
	s, _ := before.Seal([]byte("tok"), "c")
	after, err := seal.NewKeyring(newK, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	if after.CurrentKeyID() == s.KeyID {
		t.Fatal("new key has the old key's id")
	}
	if pt, err := after.Open(s, "c"); err != nil || string(pt) != "tok" {
		t.Fatalf("old ciphertext under rotated keyring: %q, %v", pt, err)
	}
	re, _ := after.Seal([]byte("tok"), "c")
	if re.KeyID != after.CurrentKeyID() {
		t.Error("re-sealed under the previous key")
	}
	onlyNew, _ := seal.NewKeyring(newK, "")
	if _, err := onlyNew.Open(s, "c"); !errors.Is(err, seal.ErrUnknownKey) {
		t.Errorf("after dropping the previous key: %v, want ErrUnknownKey", err)
	}
}

func TestNewKeyringRejectsBadKeys(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"", "not base64!", "c2hvcnQ="} {
		if _, err := seal.NewKeyring(k, ""); err == nil {
			t.Errorf("NewKeyring(%q) accepted", k)
		}
	}
	if _, err := seal.NewKeyring(newKey(t), "c2hvcnQ="); err == nil {
		t.Error("bad previous key accepted")
	}
}

func TestLoadOrCreateKeyFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "ohx.db.key")
	k1, created, err := seal.LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("first call: created=%v, %v", created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	k2, created, err := seal.LoadOrCreateKeyFile(path)
	if err != nil || created || k2 != k1 {
		t.Fatalf("second call: created=%v same=%v, %v", created, k1 == k2, err)
	}
	if _, err := seal.NewKeyring(k1, ""); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte("garbage"), 0o600)
	if _, _, err := seal.LoadOrCreateKeyFile(bad); err == nil {
		t.Error("garbage key file accepted")
	}
}
