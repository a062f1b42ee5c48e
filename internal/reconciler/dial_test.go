package reconciler

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/marmos91/dittofs/pkg/apiclient"

	"github.com/dittofs/function-dittofs/internal/testing/testpki"
)

// TestDialAPIAt: with DialAPIAt, DittoFS's client reaches a server on
// 127.0.0.1 through a URL naming the API Service, and verifies the server's
// certificate for that name against the pinned certificate alone (the
// leaf, no CA): the right name passes, another name is refused. The proof
// against the real dfs is test/files TestRenderedReconcilerOverTLS.
func TestDialAPIAt(t *testing.T) {
	ca, err := testpki.NewCA("api-ca")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.ServerOnly("api", "files-api.storage.svc.cluster.local")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := cert.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"token","token_type":"Bearer"}`))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	pinned := filepath.Join(t.TempDir(), "tls.crt")
	if err := os.WriteFile(pinned, cert.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}

	tr, _ := http.DefaultTransport.(*http.Transport)
	dial := tr.DialContext
	t.Cleanup(func() { tr.DialContext = dial })
	if err := DialAPIAt("127.0.0.1:" + port); err != nil {
		t.Fatal(err)
	}
	if err := DialAPIAt("127.0.0.1"); err == nil {
		t.Error("DialAPIAt took an address without a port")
	}

	login := func(host string) error {
		_, err := apiclient.New("https://"+net.JoinHostPort(host, port), apiclient.WithCACert(pinned)).Login("admin", "password")
		return err
	}
	if err := login("files-api.storage.svc.cluster.local"); err != nil {
		t.Errorf("the Service name, dialed at 127.0.0.1: %v", err)
	}
	if err := login("files-api.other.svc.cluster.local"); err == nil || !strings.Contains(err.Error(), "x509: certificate is valid for files-api.storage.svc.cluster.local") {
		t.Errorf("another name: %v, want a refusal naming the certificate's name", err)
	}
}
