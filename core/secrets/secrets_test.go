package secrets_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/banyanmall/banyan/core/secrets"
)

func box(t *testing.T, fill byte) *secrets.Box {
	t.Helper()
	b, err := secrets.New(bytes.Repeat([]byte{fill}, secrets.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpen(t *testing.T) {
	b := box(t, 1)
	const where = "oauth_providers.client_secret:tenant-a"
	sealed, err := b.Seal(where, "wx-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	if !secrets.IsSealed(sealed) || strings.Contains(sealed, "wx-secret") {
		t.Fatalf("sealed value %q", sealed)
	}
	if again, _ := b.Seal(where, "wx-secret-0123456789"); again == sealed {
		t.Error("sealing twice gave the same value: the nonce is not random")
	}
	if got, err := b.Open(where, sealed); err != nil || got != "wx-secret-0123456789" {
		t.Fatalf("open: %q, %v", got, err)
	}
	tampered := []byte(sealed)
	tampered[len(tampered)-3] ^= 1
	for name, c := range map[string]struct {
		box          *secrets.Box
		where, value string
	}{
		"another place (tenant)": {b, "oauth_providers.client_secret:tenant-b", sealed},
		"another key":            {box(t, 2), where, sealed},
		"altered":                {b, where, string(tampered)},
		"not base64":             {b, where, "sealed:v1:***"},
		"too short":              {b, where, "sealed:v1:AAAA"},
	} {
		if got, err := c.box.Open(c.where, c.value); !errors.Is(err, secrets.ErrOpen) || got != "" {
			t.Errorf("%s: %q, %v; want ErrOpen", name, got, err)
		}
	}
	// Values stored before sealing existed are answered as they are; the
	// empty secret stays empty.
	if got, err := b.Open(where, "plain-old"); err != nil || got != "plain-old" {
		t.Errorf("legacy plaintext: %q, %v", got, err)
	}
	if s, err := b.Seal(where, ""); err != nil || s != "" {
		t.Errorf("empty: %q, %v", s, err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	a, err := secrets.Load("", dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	// The next start reads the same key.
	b, err := secrets.Load("", dir)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := a.Seal("x", "s3cret")
	if got, err := b.Open("x", sealed); err != nil || got != "s3cret" {
		t.Fatalf("a second load opens %q, %v", got, err)
	}
	// BANYAN_SECRET_KEY wins over the file.
	env := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, secrets.KeySize))
	c, err := secrets.Load(env, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open("x", sealed); !errors.Is(err, secrets.ErrOpen) {
		t.Errorf("the env key opened the file key's value: %v", err)
	}
	for _, bad := range []string{"short", base64.StdEncoding.EncodeToString([]byte("sixteen bytes!!!"))} {
		if _, err := secrets.Load(bad, dir); err == nil || !strings.Contains(err.Error(), "BANYAN_SECRET_KEY") {
			t.Errorf("key %q: %v, want an error naming BANYAN_SECRET_KEY", bad, err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.key"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.Load("", dir); err == nil || !strings.Contains(err.Error(), "secret.key") {
		t.Errorf("a broken key file: %v, want an error naming it", err)
	}
}
