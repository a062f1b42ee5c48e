package dr

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

// s3Server is a real S3 service on 127.0.0.1: SeaweedFS's `weed server -s3`
// (master, volume server, filer and S3 gateway in one process), serving
// HTTPS with a certificate for localhost signed by CA, and checking SigV4
// signatures against one identity.
type s3Server struct {
	HTTPSPort            int
	CA                   *testpki.KeyPair
	CAFile               string
	AccessKey, SecretKey string
}

// Endpoint is how the XR names the service: host:port. The host is
// localhost, not 127.0.0.1: pgBackRest 2.45 does not match IP addresses
// against a certificate's SANs (docs/dr.md).
func (s *s3Server) Endpoint() string { return "localhost:" + strconv.Itoa(s.HTTPSPort) }

// startS3 starts SeaweedFS in a temp dir and waits until its S3 port
// answers over TLS; the test's cleanup stops it and waits for it to exit.
func startS3(t *testing.T, ca *testpki.KeyPair, accessKey, secretKey string) *s3Server {
	t.Helper()
	weed := testenv.Tool(t, "seaweedfs", "weed")
	dir := t.TempDir()
	server, err := ca.Server("localhost")
	if err != nil {
		t.Fatal(err)
	}
	s := &s3Server{CA: ca, CAFile: filepath.Join(dir, "ca.crt"), AccessKey: accessKey, SecretKey: secretKey}
	identities, err := json.Marshal(map[string]any{"identities": []any{map[string]any{
		"name":        "pgbackrest",
		"credentials": []any{map[string]string{"accessKey": accessKey, "secretKey": secretKey}},
		"actions":     []string{"Admin", "Read", "Write", "List", "Tagging"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"ca.crt": ca.CertPEM, "s3.crt": server.CertPEM, "s3.key": server.KeyPEM, "identities.json": identities,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(s.CAFile, 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}

	// Every listener on a port of our own: each service also serves gRPC
	// (by default on its port+10000) and metrics.
	port := func() string { return strconv.Itoa(realdfs.FreePort(t)) }
	s.HTTPSPort = realdfs.FreePort(t)
	args := []string{
		"server",
		"-dir=" + data, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port=" + port(), "-master.port.grpc=" + port(),
		"-volume.port=" + port(), "-volume.port.grpc=" + port(),
		"-filer", "-filer.port=" + port(), "-filer.port.grpc=" + port(),
		"-s3", "-s3.port=" + port(), "-s3.port.grpc=" + port(),
		"-s3.port.https=" + strconv.Itoa(s.HTTPSPort),
		"-s3.cert.file=" + filepath.Join(dir, "s3.crt"), "-s3.key.file=" + filepath.Join(dir, "s3.key"),
		"-s3.config=" + filepath.Join(dir, "identities.json"),
		"-metricsPort=" + port(),
		"-s3.port.iceberg=0", "-s3.port.lance=0", // catalog servers on fixed ports (8181, 9101) the drill does not use
		"-master.volumeSizeLimitMB=64", // small volumes: the default 30 GB preallocation is for disks, not tests
		"-master.telemetry=false",      // it phones home otherwise
	}
	logPath := filepath.Join(dir, "weed.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(weed, args...) //nolint:noctx // a server for the whole test: t.Cleanup stops it, after t.Context is already cancelled
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start weed: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// It shuts its services down over a few seconds; a new server on
		// the same ports before it is gone would fail to bind.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		_ = logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("weed log (last 4000 bytes):\n%s", tail(log, 4000))
		}
	})

	// Ready once an unsigned request gets S3's answer (403) over TLS that
	// verifies with our CA.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+s.Endpoint()+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusForbidden {
				break
			}
		}
		select {
		case err := <-exited:
			exited <- err
			log, _ := os.ReadFile(logPath)
			t.Fatalf("weed exited before its S3 port answered: %v\n%s", err, tail(log, 4000))
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("SeaweedFS S3 not answering on %s after 2 minutes (last: %v)\n%s", s.Endpoint(), err, tail(log, 4000))
		}
	}
	t.Logf("SeaweedFS S3 up on https://%s in %s", s.Endpoint(), time.Since(started).Round(time.Millisecond))
	return s
}

// createBucket makes bucket with a SigV4-signed PUT (curl's own signer, a
// client independent of pgBackRest), path-style.
func (s *s3Server) createBucket(t *testing.T, bucket string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", "-sS", "--fail-with-body", "--cacert", s.CAFile,
		"--aws-sigv4", "aws:amz:us-east-1:s3", "--user", s.AccessKey+":"+s.SecretKey,
		"-X", "PUT", "https://"+s.Endpoint()+"/"+bucket).CombinedOutput()
	if err != nil {
		t.Fatalf("creating bucket %s: %v\n%s", bucket, err, out)
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// unsignedStatus is the HTTP status S3 answers an anonymous request with;
// SigV4 enforced means 403.
func (s *s3Server) unsignedStatus(t *testing.T, path string) int {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.CA.Pool()}}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, fmt.Sprintf("https://%s/%s", s.Endpoint(), path), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
