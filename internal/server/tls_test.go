package server

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"
)

// keyPair is a certificate with its key, in parsed and PEM form.
type keyPair struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
	keyPEM  []byte
}

func newKeyPair(t *testing.T, tmpl *x509.Certificate, issuer *keyPair) *keyPair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(time.Hour)

	parent, signer := tmpl, key
	if issuer != nil {
		parent, signer = issuer.cert, issuer.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &keyPair{
		cert:    cert,
		key:     key,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
}

func newCA(t *testing.T, name string) *keyPair {
	t.Helper()
	return newKeyPair(t, &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}, nil)
}

func newLeaf(t *testing.T, ca *keyPair, name string, usage x509.ExtKeyUsage, ips ...net.IP) *keyPair {
	t.Helper()
	return newKeyPair(t, &x509.Certificate{
		Subject:     pkix.Name{CommonName: name},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
		IPAddresses: ips,
	}, ca)
}

// writeCertsDir lays out a directory the way Crossplane mounts it into a
// function pod: tls.crt, tls.key and the client CA as ca.crt.
func writeCertsDir(t *testing.T, server, ca *keyPair) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string][]byte{"tls.crt": server.certPEM, "tls.key": server.keyPEM, "ca.crt": ca.certPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestMTLS(t *testing.T) {
	ca := newCA(t, "function CA")
	otherCA := newCA(t, "someone else's CA")
	serverCert := newLeaf(t, ca, "function", x509.ExtKeyUsageServerAuth, net.IPv4(127, 0, 0, 1))

	s, _, _ := start(t, &echoFunction{}, Config{
		Network:     "tcp",
		Address:     "127.0.0.1:0",
		TLSCertsDir: writeCertsDir(t, serverCert, ca),
	})

	cases := map[string]struct {
		client   *keyPair
		wantCode codes.Code
	}{
		"ClientSignedByCA":    {client: newLeaf(t, ca, "crossplane", x509.ExtKeyUsageClientAuth), wantCode: codes.OK},
		"NoClientCertificate": {client: nil, wantCode: codes.Unavailable},
		"ClientFromOtherCA":   {client: newLeaf(t, otherCA, "crossplane", x509.ExtKeyUsageClientAuth), wantCode: codes.Unavailable},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			roots := x509.NewCertPool()
			roots.AddCert(ca.cert)
			cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
			if tc.client != nil {
				pair, err := tls.X509KeyPair(tc.client.certPEM, tc.client.keyPEM)
				if err != nil {
					t.Fatal(err)
				}
				cfg.Certificates = []tls.Certificate{pair}
			}

			tag, err := runFunction(t.Context(), dial(t, s.Addr(), credentials.NewTLS(cfg)), "over mTLS")
			if got := status.Code(err); got != tc.wantCode {
				t.Fatalf("RunFunction: want code %v, got %v (%v)", tc.wantCode, got, err)
			}
			if tc.wantCode == codes.OK && tag != "over mTLS" {
				t.Errorf("RunFunction: want tag %q, got %q", "over mTLS", tag)
			}
		})
	}
}
