// Package reals3 runs a real S3 service for the tests that store on one
// (test/dr's pgBackRest repository, test/files' remote block store):
// SeaweedFS's `weed server -s3` (master, volume server, filer and S3 gateway
// in one process, built from tools/seaweedfs), checking SigV4 signatures
// against one identity, over HTTPS or plain HTTP.
package reals3

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
	"github.com/dittofs/function-dittofs/internal/testing/testenv"
	"github.com/dittofs/function-dittofs/internal/testing/testpki"
)

// Options shape the service.
type Options struct {
	// Identity names the one identity; AccessKey and SecretKey are its
	// credentials, allowed every action.
	Identity             string
	AccessKey, SecretKey string
	// CA, when set, makes the service HTTPS only to its clients, with a
	// certificate for localhost signed by CA. Unset: plain HTTP on
	// 127.0.0.1.
	CA *testpki.KeyPair
}

// Server is a started S3 service. The test's cleanup stops it and waits for
// it to exit: it shuts its services down over a few seconds, and a new
// server on the same ports before it is gone would fail to bind.
type Server struct {
	Options

	// Port is the port clients use: HTTPS with a CA, HTTP without.
	Port int
	// CAFile is CA's certificate in PEM, for clients (with a CA only).
	CAFile string
}

// Start starts SeaweedFS in a temp dir and waits until its S3 port answers
// (over TLS that verifies with CA, when set).
func Start(t *testing.T, o Options) *Server {
	t.Helper()
	weed := testenv.Tool(t, "seaweedfs", "weed")
	dir := t.TempDir()
	s := &Server{Options: o}
	identities, err := json.Marshal(map[string]any{"identities": []any{map[string]any{
		"name":        o.Identity,
		"credentials": []any{map[string]string{"accessKey": o.AccessKey, "secretKey": o.SecretKey}},
		"actions":     []string{"Admin", "Read", "Write", "List", "Tagging"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"identities.json": identities}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}

	// Every listener on a port of our own: each service also serves gRPC
	// (by default on its port+10000) and metrics.
	port := func() string { return strconv.Itoa(testenv.FreePort(t)) }
	s.Port = testenv.FreePort(t)
	httpPort := port()
	if o.CA == nil {
		httpPort = strconv.Itoa(s.Port)
	}
	args := []string{
		"server",
		"-dir=" + data, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port=" + port(), "-master.port.grpc=" + port(),
		"-volume.port=" + port(), "-volume.port.grpc=" + port(),
		"-filer", "-filer.port=" + port(), "-filer.port.grpc=" + port(),
		"-s3", "-s3.port=" + httpPort, "-s3.port.grpc=" + port(),
		"-s3.config=" + filepath.Join(dir, "identities.json"),
		"-metricsPort=" + port(),
		"-s3.port.iceberg=0", "-s3.port.lance=0", // catalog servers on fixed ports (8181, 9101) the tests do not use
		"-master.volumeSizeLimitMB=64", // small volumes: the default 30 GB preallocation is for disks, not tests
		"-master.telemetry=false",      // it phones home otherwise
	}
	if o.CA != nil {
		cert, err := o.CA.Server("localhost")
		if err != nil {
			t.Fatal(err)
		}
		s.CAFile = filepath.Join(dir, "ca.crt")
		files["ca.crt"], files["s3.crt"], files["s3.key"] = o.CA.CertPEM, cert.CertPEM, cert.KeyPEM
		args = append(args, "-s3.port.https="+strconv.Itoa(s.Port),
			"-s3.cert.file="+filepath.Join(dir, "s3.crt"), "-s3.key.file="+filepath.Join(dir, "s3.key"))
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if s.CAFile != "" {
		if err := os.Chmod(s.CAFile, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cmd := exec.Command(weed, args...) //nolint:noctx // a server for the whole test: t.Cleanup stops it, after t.Context is already cancelled
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	started := time.Now()
	srv := realdfs.StartServer(t, realdfs.ServerCommand{
		Name: "weed", Cmd: cmd, LogPath: filepath.Join(dir, "weed.log"),
		StopSignal: syscall.SIGTERM, StopWait: 30 * time.Second, LogTail: 4000,
	})
	// Ready once an unsigned request gets S3's answer (403).
	srv.WaitReady(t, 2*time.Minute, 200*time.Millisecond, func() error {
		st, err := s.unsigned(t, "")
		if err == nil && st != http.StatusForbidden {
			err = fmt.Errorf("GET / answered %d, want S3's 403", st)
		}
		return err
	})
	t.Logf("SeaweedFS S3 up on %s in %s", s.URL(), time.Since(started).Round(time.Millisecond))
	return s
}

// Endpoint is host:port. With a CA the host is localhost, not 127.0.0.1:
// pgBackRest 2.45 does not match IP addresses against a certificate's SANs
// (docs/dr.md).
func (s *Server) Endpoint() string {
	if s.CA != nil {
		return "localhost:" + strconv.Itoa(s.Port)
	}
	return "127.0.0.1:" + strconv.Itoa(s.Port)
}

// URL is the service's base URL: https://localhost:port with a CA,
// http://127.0.0.1:port without.
func (s *Server) URL() string {
	if s.CA != nil {
		return "https://" + s.Endpoint()
	}
	return "http://" + s.Endpoint()
}

// Curl is a SigV4-signed, path-style request by curl (its own signer, a
// client independent of pgBackRest and DittoFS); it returns the body.
func (s *Server) Curl(t *testing.T, method, path string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{"-sS", "--fail-with-body", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user", s.AccessKey + ":" + s.SecretKey}
	if s.CAFile != "" {
		args = append(args, "--cacert", s.CAFile)
	}
	out, err := exec.CommandContext(ctx, "curl", append(args, "-X", method, s.URL()+path)...).CombinedOutput()
	return string(out), err
}

// CreateBucket makes bucket with a signed PUT.
func (s *Server) CreateBucket(t *testing.T, bucket string) {
	t.Helper()
	if out, err := s.Curl(t, http.MethodPut, "/"+bucket); err != nil {
		t.Fatalf("creating bucket %s: %v\n%s", bucket, err, out)
	}
}

// UnsignedStatus is the HTTP status S3 answers an anonymous GET of path
// with; SigV4 enforced means 403.
func (s *Server) UnsignedStatus(t *testing.T, path string) int {
	t.Helper()
	st, err := s.unsigned(t, path)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (s *Server) unsigned(t *testing.T, path string) (int, error) {
	t.Helper()
	transport := &http.Transport{}
	if s.CA != nil {
		transport.TLSClientConfig = &tls.Config{RootCAs: s.CA.Pool(), MinVersion: tls.VersionTLS12}
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: transport}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL()+"/"+path, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
