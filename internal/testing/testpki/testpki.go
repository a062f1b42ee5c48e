// Package testpki makes the certificates the tests need: a CA, and server
// and client certificates it signs, for the function's mTLS, the load
// client and the TLS-only PostgreSQL. Nothing here is for production.
package testpki

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// KeyPair is a certificate and its key, parsed and in PEM.
type KeyPair struct {
	Cert    *x509.Certificate
	Key     *ecdsa.PrivateKey
	CertPEM []byte
	KeyPEM  []byte
}

// NewCA makes a self-signed CA valid for a day.
func NewCA(name string) (*KeyPair, error) {
	return sign(&x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}, nil)
}

// Server issues a server certificate for localhost and 127.0.0.1 (plus
// hosts, each a DNS name or an IP).
func (kp *KeyPair) Server(name string, hosts ...string) (*KeyPair, error) {
	return kp.leaf(name, x509.ExtKeyUsageServerAuth, append([]string{"localhost", "127.0.0.1"}, hosts...))
}

// ServerOnly issues a server certificate for exactly hosts (DNS names or
// IPs), without Server's localhost and 127.0.0.1: for a test that a client
// verifies the name it should, not the address it dials.
func (kp *KeyPair) ServerOnly(name string, hosts ...string) (*KeyPair, error) {
	return kp.leaf(name, x509.ExtKeyUsageServerAuth, hosts)
}

// Client issues a client certificate, naming hosts (DNS names or IPs) if
// the peer checks them.
func (kp *KeyPair) Client(name string, hosts ...string) (*KeyPair, error) {
	return kp.leaf(name, x509.ExtKeyUsageClientAuth, hosts)
}

func (kp *KeyPair) leaf(name string, usage x509.ExtKeyUsage, hosts []string) (*KeyPair, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: name},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return sign(tmpl, kp)
}

func sign(tmpl *x509.Certificate, issuer *KeyPair) (*KeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("cannot generate a key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	parent, signer := tmpl, key
	if issuer != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, fmt.Errorf("cannot sign %s: %w", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &KeyPair{
		Cert:    cert,
		Key:     key,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// TLSCertificate is the pair for a tls.Config.
func (kp *KeyPair) TLSCertificate() (tls.Certificate, error) {
	return tls.X509KeyPair(kp.CertPEM, kp.KeyPEM)
}

// Pool is a CertPool holding kp's certificate.
func (kp *KeyPair) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(kp.Cert)
	return p
}

// WriteDir writes the layout Crossplane and functions read certificates
// from (a function's --tls-certs-dir, core's --tls-client-certs-dir):
// kp as tls.crt and tls.key, and the CA that verifies the peer as ca.crt.
func WriteDir(dir string, kp, ca *KeyPair) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, data := range map[string][]byte{"tls.crt": kp.CertPEM, "tls.key": kp.KeyPEM, "ca.crt": ca.CertPEM} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	return nil
}
