package files

import (
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
	"github.com/dittofs/function-dittofs/internal/testing/reals3"
)

const (
	s3AccessKey = "declared-access-key"
	s3SecretKey = "declared-secret-key-0123456789"
	s3Bucket    = "declared-files"
)

// TestS3BlockStore: a share whose content is declared on a remote S3 block
// store (SeaweedFS) behind the local one stores its content in the bucket,
// with the credentials read from a mounted Secret.
func TestS3BlockStore(t *testing.T) {
	realdfs.SkipShort(t)
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatal("curl is not installed (.ci/run installs it)")
	}
	s3 := reals3.Start(t, reals3.Options{Identity: "dittofs", AccessKey: s3AccessKey, SecretKey: s3SecretKey})
	s3.CreateBucket(t, s3Bucket)
	p := startPod(t)
	creds := filepath.Join(p.root, "s3-credentials")
	projectVolume(t, creds, map[string]string{"access_key_id": s3AccessKey, "secret_access_key": s3SecretKey})
	p.declare(p.declaration(func(c *declared.Config) {
		c.BlockStores = append(c.BlockStores, declared.BlockStore{Name: "s3", Kind: declared.KindRemote, Type: declared.BlockS3, S3: &declared.S3BlockStore{
			Bucket: s3Bucket, Endpoint: s3.URL(), Prefix: "files/", AllowPrivateEndpoint: true, CredentialsDir: creds,
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
		out, err := s3.Curl(t, http.MethodGet, "/"+s3Bucket+"?list-type=2&prefix=files%2F")
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
