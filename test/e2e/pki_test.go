package e2e_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/dittofs/function-dittofs/internal/testing/testpki"
)

// issue writes tls.crt, tls.key and ca.crt into dir for a certificate ca
// signs, as Crossplane and the function read them:
// issue(t, dir, ca)(ca.Server("name")).
func issue(t *testing.T, dir string, ca *testpki.KeyPair) func(*testpki.KeyPair, error) {
	t.Helper()
	return func(kp *testpki.KeyPair, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		if err := testpki.WriteDir(dir, kp, ca); err != nil {
			t.Fatal(err)
		}
	}
}

// serviceAccountKeys writes the RSA key pair kube-apiserver signs and checks
// service account tokens with.
func serviceAccountKeys(t *testing.T, dir string) (pub, priv string) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub, priv = filepath.Join(dir, "sa.pub"), filepath.Join(dir, "sa.key")
	writeFile(t, pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	writeFile(t, priv, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	return pub, priv
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
