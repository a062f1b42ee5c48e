// Package pgbackrest_test runs the real pgBackRest against what the function
// composes for spec.percona.backup.endpoint, configured the way Percona
// operator 2.9.0 configures it: repos[0].s3.endpoint copied verbatim into
// repo1-s3-endpoint (internal/pgbackrest/config.go, getExternalRepoConfigs),
// the cluster's global options next to it, and the composed credentials
// Secret's s3.conf in conf.d. It shows that an endpoint written
// https://host:port, host:port or https://host:port/ reaches the S3 service
// at that port, over TLS, at the composed repo path: no repo1-storage-port
// is needed. pgBackRest is Debian's (2.45 on bookworm); the endpoint parsing
// it exercises (httpUrlNewParseP in src/storage/s3/helper.c) is the same
// from 2.37 to the 2.58 the Input pins, which adds plain http:// only.
package pgbackrest_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/testing/corpus"
)

const root = "../.."

// s3Request is what the fake S3 service saw: the address the request was
// dialed to (its listener's), and what pgBackRest asked for. pgBackRest
// signs and sends the Host header without the port.
type s3Request struct {
	Method, Dialed, Host, Path string
}

// fakeS3 answers what `pgbackrest repo-ls` asks on an empty repository:
// HEAD of the path (no such file), then a ListObjectsV2 with no objects.
type fakeS3 struct {
	mu   sync.Mutex
	seen []s3Request
}

func (s *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	dialed := fmt.Sprint(r.Context().Value(http.LocalAddrContextKey))
	s.seen = append(s.seen, s3Request{Method: r.Method, Dialed: dialed, Host: r.Host, Path: r.URL.Path})
	s.mu.Unlock()
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>dittofs-backups</Name><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`)
}

func (s *fakeS3) requests() []s3Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]s3Request(nil), s.seen...)
}

// pgBackRest finds the pgbackrest binary, or skips: hack/ci-deps.sh
// installs it on CI.
func pgBackRest(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("pgbackrest")
	if err != nil {
		t.Skip("no pgbackrest on PATH; install it with hack/ci-deps.sh (apt-get install pgbackrest)")
	}
	return bin
}

func TestEndpointReachesS3AtItsPort(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the real pgBackRest; skipped with -short")
	}
	bin := pgBackRest(t)
	s3 := &fakeS3{}
	srv := httptest.NewTLSServer(s3)
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	hostPort := u.Host // 127.0.0.1:<port>, a port pgBackRest's default (443) is not

	cases := map[string]struct {
		reason   string
		endpoint string
	}{
		"HTTPSWithPort": {reason: "the DittoFS operator's docs' form, with a port", endpoint: "https://" + hostPort},
		"HostAndPort":   {reason: "the form the XRD always took", endpoint: hostPort},
		"TrailingSlash": {reason: "a trailing slash is no path", endpoint: "https://" + hostPort + "/"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := len(s3.requests())
			cluster, s3conf := compose(t, tc.endpoint)
			repoPath := cluster.global["repo1-path"]
			if cluster.endpoint != hostPort {
				t.Errorf("%s: repos[0].s3.endpoint = %q, want %q", tc.reason, cluster.endpoint, hostPort)
			}
			if _, ok := cluster.global["repo1-storage-port"]; ok {
				t.Errorf("%s: repo1-storage-port composed; the port is in the endpoint", tc.reason)
			}
			out, err := repoLS(t, bin, cluster, s3conf)
			if err != nil {
				t.Fatalf("%s: pgbackrest repo-ls against %q: %v\n%s", tc.reason, cluster.endpoint, err, out)
			}
			got := s3.requests()[before:]
			want := []s3Request{
				{Method: "HEAD", Dialed: hostPort, Host: u.Hostname(), Path: "/dittofs-backups" + repoPath},
				{Method: "GET", Dialed: hostPort, Host: u.Hostname(), Path: "/dittofs-backups/"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: what S3 saw at %s: -want, +got:\n%s", tc.reason, hostPort, diff)
			}
		})
	}
}

// composedCluster is what Percona turns into pgBackRest's repo options.
type composedCluster struct {
	bucket, endpoint, region string
	global                   map[string]string
}

// compose runs the function on a DittoServer with backups to endpoint, with
// the Input of apis/configuration, and returns the desired cluster's repo
// options and the composed s3.conf.
func compose(t *testing.T, endpoint string) (composedCluster, []byte) {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "xr.yaml"), `apiVersion: dittofs.dittofs.com/v1alpha1
kind: DittoServer
metadata: {name: files, namespace: storage, uid: 6f2c1d0e-5a4b-4c3d-8e9f-0a1b2c3d4e5f}
spec:
  storage: {metadataSize: 10Gi}
  percona:
    enabled: true
    backup:
      enabled: true
      credentialsSecretRef: {name: backup-s3}
      bucket: dittofs-backups
      endpoint: "`+endpoint+`"
      region: us-east-1
      verifyTLS: false
`)
	write(t, filepath.Join(dir, "required.yaml"), `apiVersion: v1
kind: Secret
metadata: {name: backup-s3, namespace: storage}
stringData: {AWS_ACCESS_KEY_ID: AKIAEXAMPLEKEY, AWS_SECRET_ACCESS_KEY: example-secret-access-key}
`)
	c, err := corpus.Load(dir, filepath.Join(root, "apis", "configuration", "composition.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	f := fn.NewFunction(logging.NewNopLogger(), fn.WithSeededSecrets("pgbackrest"))
	rsp := run(t, f, c.Request())
	rsp = run(t, f, c.Resolve(rsp.GetRequirements()))
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			t.Fatalf("the function refused endpoint %q: %s", endpoint, r.GetMessage())
		}
	}
	pc := rsp.GetDesired().GetResources()["percona-cluster"].GetResource().AsMap()
	pgbr := dig(pc, "spec", "backups", "pgbackrest")
	s3 := dig(pgbr["repos"].([]any)[0].(map[string]any), "s3")
	cluster := composedCluster{bucket: s3["bucket"].(string), endpoint: s3["endpoint"].(string), region: s3["region"].(string), global: map[string]string{}}
	for k, v := range dig(pgbr, "global") {
		cluster.global[k] = v.(string)
	}
	secret := rsp.GetDesired().GetResources()["pgbackrest-s3-secret"].GetResource().AsMap()
	conf, err := base64.StdEncoding.DecodeString(dig(secret, "data")["s3.conf"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return cluster, conf
}

// repoLS runs `pgbackrest repo-ls` with the configuration Percona would
// write: the repo options in pgbackrest.conf, the credentials in conf.d.
func repoLS(t *testing.T, bin string, c composedCluster, s3conf []byte) (string, error) {
	t.Helper()
	dir := t.TempDir()
	lines := []string{
		"[global]",
		"repo1-type=s3",
		"repo1-s3-bucket=" + c.bucket,
		"repo1-s3-endpoint=" + c.endpoint,
		"repo1-s3-region=" + c.region,
	}
	keys := make([]string, 0, len(c.global))
	for k := range c.global {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		lines = append(lines, k+"="+c.global[k])
	}
	write(t, filepath.Join(dir, "pgbackrest.conf"), strings.Join(lines, "\n")+"\n")
	if err := os.Mkdir(filepath.Join(dir, "conf.d"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "conf.d", "s3.conf"), string(s3conf))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"--config="+filepath.Join(dir, "pgbackrest.conf"),
		"--config-include-path="+filepath.Join(dir, "conf.d"),
		"--log-path="+dir, "--log-level-console=warn", "--log-level-file=off",
		"repo-ls")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func run(t *testing.T, f *fn.Function, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	t.Helper()
	rsp, err := f.RunFunction(context.Background(), req)
	if err != nil {
		t.Fatalf("RunFunction returned a gRPC error: %v", err)
	}
	return rsp
}

func dig(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		m, _ = m[p].(map[string]any)
	}
	return m
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
