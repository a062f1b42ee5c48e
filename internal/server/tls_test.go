package server

import (
	"crypto/tls"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/status"

	"github.com/dittofs/function-dittofs/internal/testing/testpki"
)

// must fails the test on a certificate that could not be made:
// must(t)(ca.Client("x")).
func must(t *testing.T) func(*testpki.KeyPair, error) *testpki.KeyPair {
	t.Helper()
	return func(kp *testpki.KeyPair, err error) *testpki.KeyPair {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return kp
	}
}

// writeCertsDir lays out a directory the way Crossplane mounts it into a
// function pod: tls.crt, tls.key and the client CA as ca.crt.
func writeCertsDir(t *testing.T, server, ca *testpki.KeyPair) string {
	t.Helper()
	dir := t.TempDir()
	if err := testpki.WriteDir(dir, server, ca); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestMTLS(t *testing.T) {
	ca := must(t)(testpki.NewCA("function CA"))
	otherCA := must(t)(testpki.NewCA("someone else's CA"))
	serverCert := must(t)(ca.Server("function"))

	s, _, _ := start(t, &echoFunction{}, Config{
		Network:     "tcp",
		Address:     "127.0.0.1:0",
		TLSCertsDir: writeCertsDir(t, serverCert, ca),
	})

	cases := map[string]struct {
		client   *testpki.KeyPair
		wantCode codes.Code
	}{
		"ClientSignedByCA":    {client: must(t)(ca.Client("crossplane")), wantCode: codes.OK},
		"NoClientCertificate": {client: nil, wantCode: codes.Unavailable},
		"ClientFromOtherCA":   {client: must(t)(otherCA.Client("crossplane")), wantCode: codes.Unavailable},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg := &tls.Config{RootCAs: ca.Pool(), MinVersion: tls.VersionTLS12}
			if tc.client != nil {
				pair, err := tc.client.TLSCertificate()
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
