package files

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
	"github.com/dittofs/function-dittofs/internal/testing/testenv"
)

const (
	s3AccessKey = "declared-access-key"
	s3SecretKey = "declared-secret-key-0123456789"
	s3Bucket    = "declared-files"
)

// startSeaweedS3 runs SeaweedFS's S3 gateway (tools/seaweedfs) on a free
// loopback port over plain HTTP, with one identity, and makes the bucket.
func startSeaweedS3(t *testing.T) (endpoint string) {
	t.Helper()
	weed := testenv.Tool(t, "seaweedfs", "weed")
	dir := t.TempDir()
	identities, err := json.Marshal(map[string]any{"identities": []any{map[string]any{
		"name":        "dittofs",
		"credentials": []any{map[string]string{"accessKey": s3AccessKey, "secretKey": s3SecretKey}},
		"actions":     []string{"Admin", "Read", "Write", "List", "Tagging"},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "identities.json"), identities, 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	port := func() string { return strconv.Itoa(realdfs.FreePort(t)) }
	s3Port := realdfs.FreePort(t)
	args := []string{
		"server", "-dir=" + data, "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
		"-master.port=" + port(), "-master.port.grpc=" + port(),
		"-volume.port=" + port(), "-volume.port.grpc=" + port(),
		"-filer", "-filer.port=" + port(), "-filer.port.grpc=" + port(),
		"-s3", "-s3.port=" + strconv.Itoa(s3Port), "-s3.port.grpc=" + port(),
		"-s3.config=" + filepath.Join(dir, "identities.json"),
		"-metricsPort=" + port(), "-s3.port.iceberg=0", "-s3.port.lance=0",
		"-master.volumeSizeLimitMB=64", "-master.telemetry=false",
	}
	logPath := filepath.Join(dir, "weed.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(weed, args...) //nolint:noctx // a server for the whole test: t.Cleanup stops it
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start weed: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
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
			if len(log) > 4000 {
				log = log[len(log)-4000:]
			}
			t.Logf("weed log:\n%s", log)
		}
	})
	endpoint = fmt.Sprintf("http://127.0.0.1:%d", s3Port)
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := client.Get(endpoint + "/") //nolint:noctx // a poll
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusForbidden {
				break
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("weed exited before its S3 port answered: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("SeaweedFS S3 not answering on %s after 2 minutes", endpoint)
		}
	}
	if out, err := s3curl(t, endpoint, "PUT", "/"+s3Bucket); err != nil {
		t.Fatalf("create bucket: %v\n%s", err, out)
	}
	return endpoint
}

// s3curl is a SigV4-signed request by curl, a client independent of DittoFS.
func s3curl(t *testing.T, endpoint, method, path string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "curl", "-sS", "--fail-with-body", "--aws-sigv4", "aws:amz:us-east-1:s3",
		"--user", s3AccessKey+":"+s3SecretKey, "-X", method, endpoint+path).CombinedOutput()
	return string(out), err
}

// TestS3BlockStore: a share whose content is declared on a remote S3 block
// store (SeaweedFS) behind the local one stores its content in the bucket,
// with the credentials read from a mounted Secret.
func TestS3BlockStore(t *testing.T) {
	realdfs.SkipShort(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is not installed (.ci/run installs it)")
	}
	endpoint := startSeaweedS3(t)
	p := startPod(t)
	creds := filepath.Join(p.root, "s3-credentials")
	projectVolume(t, creds, map[string]string{"access_key_id": s3AccessKey, "secret_access_key": s3SecretKey})
	p.declare(p.declaration(func(c *declared.Config) {
		c.BlockStores = append(c.BlockStores, declared.BlockStore{Name: "s3", Kind: declared.KindRemote, Type: declared.BlockS3, S3: &declared.S3BlockStore{
			Bucket: s3Bucket, Endpoint: endpoint, Prefix: "files/", AllowPrivateEndpoint: true, CredentialsDir: creds,
		}})
		c.Shares = c.Shares[:1]
		c.Shares[0].RemoteBlockStore = "s3"
	}))
	p.newReconciler()
	p.pass()
	if res := p.pass(); res.Writes != 0 {
		t.Errorf("second pass with an S3 store made %d writes: %v", res.Writes, res.Actions)
	}
	if strings.Contains(p.log.String(), s3SecretKey) {
		t.Error("the reconciler logged the S3 secret key")
	}
	content := strings.Repeat("content on S3, through the declared remote block store\n", 2000)
	nfsWrite(t, p, "/data", "s3.txt", content, aliceUID)
	if got := nfsRead(t, p, "/data", "s3.txt", aliceUID); got != content {
		t.Errorf("nfs-cat of the S3-backed file: %d bytes, want %d", len(got), len(content))
	}
	// DittoFS uploads to the remote tier in the background.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		out, err := s3curl(t, endpoint, "GET", "/"+s3Bucket+"?list-type=2&prefix=files%2F")
		if err == nil && strings.Contains(out, "<Key>files/") {
			t.Logf("objects in the bucket: %d", strings.Count(out, "<Key>"))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no object under files/ in bucket %s after 2 minutes: %v\n%s\ndfs log tail:\n%s", s3Bucket, err, out, tailLog(p))
		}
		time.Sleep(time.Second)
	}
}

func tailLog(p *pod) string {
	out, _ := p.dfs.Logs()
	if len(out) > 3000 {
		out = out[len(out)-3000:]
	}
	return out
}
