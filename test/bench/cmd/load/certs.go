package main

import (
	"crypto/tls"

	"github.com/dittofs/function-dittofs/internal/testing/testpki"
)

// makeCerts writes a CA and a server certificate signed by it into dir, as
// tls.crt, tls.key and ca.crt (what --tls-certs-dir reads), and returns the
// client's TLS configuration: a client certificate from the same CA, which
// the server requires, and the CA to verify the server by.
func makeCerts(dir string) (*tls.Config, error) {
	ca, err := testpki.NewCA("bench CA")
	if err != nil {
		return nil, err
	}
	server, err := ca.Server("function")
	if err != nil {
		return nil, err
	}
	if err := testpki.WriteDir(dir, server, ca); err != nil {
		return nil, err
	}
	client, err := ca.Client("crossplane")
	if err != nil {
		return nil, err
	}
	cert, err := client.TLSCertificate()
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      ca.Pool(),
		ServerName:   "localhost",
		MinVersion:   tls.VersionTLS12,
	}, nil
}
