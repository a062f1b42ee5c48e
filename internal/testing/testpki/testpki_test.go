package testpki

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// TestServerAndClientVerifyAgainstTheirCA: the issued certificates chain to
// their CA for their usage and hosts, and not to another CA.
func TestServerAndClientVerifyAgainstTheirCA(t *testing.T) {
	ca, err := NewCA("test CA")
	if err != nil {
		t.Fatal(err)
	}
	other, err := NewCA("other CA")
	if err != nil {
		t.Fatal(err)
	}
	server, err := ca.Server("server", "db.example", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	client, err := ca.Client("client")
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"localhost", "127.0.0.1", "db.example", "10.0.0.1"} {
		if _, err := server.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: host}); err != nil {
			t.Errorf("server certificate for %s: %v", host, err)
		}
	}
	if _, err := server.Cert.Verify(x509.VerifyOptions{Roots: other.Pool(), DNSName: "localhost"}); err == nil {
		t.Error("the server certificate verifies against another CA")
	}
	if _, err := client.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if _, err := client.TLSCertificate(); err != nil {
		t.Errorf("client key pair: %v", err)
	}

	dir := t.TempDir()
	if err := WriteDir(dir, server, ca); err != nil {
		t.Fatal(err)
	}
	if _, err := tls.LoadX509KeyPair(filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")); err != nil {
		t.Errorf("tls.crt and tls.key: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "ca.crt")); err != nil || !x509.NewCertPool().AppendCertsFromPEM(b) {
		t.Errorf("ca.crt: %v", err)
	}
	if !net.ParseIP("10.0.0.1").Equal(server.Cert.IPAddresses[1]) {
		t.Errorf("IP SANs: %v", server.Cert.IPAddresses)
	}
}
