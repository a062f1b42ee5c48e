package e2e_test

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// filesRepoPath is the pgBackRest repo path the first XR "files" got
// (perconaWithBackups), for the re-created one to differ from.
var filesRepoPath string

// recreatedWithHTTPSEndpoint: after "files" is deleted, an XR of the same
// name is created again, its endpoint written as the DittoFS operator's docs
// write it (https://, here with a port). The API server's XRD schema takes
// https:// and refuses http:// with the reason; the new cluster's repo path
// is another one (the UID differs), so pgBackRest never meets the old
// stanza; and the real operator writes the endpoint, port included, into
// pgBackRest's repo1-s3-endpoint, with no repo1-storage-port.
func (e *env) recreatedWithHTTPSEndpoint(t *testing.T) {
	defer e.sub(t)()
	backup := func(endpoint string) string {
		return `  storage: {metadataSize: 1Gi}
  percona:
    enabled: true
    storageSize: 1Gi
    backup:
      enabled: true
      credentialsSecretRef: {name: backup-s3}
      bucket: dittofs-backups
      endpoint: ` + endpoint + `
      region: us-east-1
`
	}
	plain := fmt.Sprintf("apiVersion: %s\nkind: DittoServer\nmetadata:\n  name: plain\n  namespace: %s\nspec:\n%s", xrAPI, ns, backup("http://minio.storage.svc:9000"))
	if err := e.admin.applyYAML(e.ctx, []byte(plain), ""); err == nil || !strings.Contains(err.Error(), "plain http:// is refused") {
		t.Errorf("an XR with endpoint http://... was not refused by the XRD's rule with the reason: %v", err)
	}

	e.applyXR("files", backup("https://minio.storage.svc:9000"))
	cluster := e.mustExist(pgAPI, "PerconaPGCluster", ns, "files-postgres", 60*time.Second)
	e.synced(xrAPI, "DittoServer", ns, "files")
	xr := e.xr("files")
	if got := str(xr, "spec", "percona", "backup", "endpoint"); got != "https://minio.storage.svc:9000" {
		t.Errorf("the API server stored endpoint %q, want it as written", got)
	}
	uid := sha256.Sum256([]byte(xr.GetUID()))
	repoPath := fmt.Sprintf("/pgbackrest/%s/files-%x/repo1", ns, uid[:4])
	if repoPath == filesRepoPath {
		t.Errorf("the re-created XR files got the repo path of the deleted one, %s", repoPath)
	}
	t.Logf("deleted files had %s; re-created files has %s", filesRepoPath, repoPath)
	repos, _, _ := unstructured.NestedSlice(cluster.Object, "spec", "backups", "pgbackrest", "repos")
	if len(repos) != 1 {
		t.Fatalf("files-postgres has %d pgBackRest repos, want 1", len(repos))
	}
	if got, _, _ := unstructured.NestedString(repos[0].(map[string]any), "s3", "endpoint"); got != "minio.storage.svc:9000" {
		t.Errorf("files-postgres repos[0].s3.endpoint = %q, want minio.storage.svc:9000 (scheme dropped, port kept)", got)
	}
	e.eventually("status.database.backup of the re-created files", 30*time.Second, func() error {
		x := e.xr("files")
		got := [3]string{str(x, "status", "database", "backup", "repoPath"), str(x, "status", "database", "backup", "endpoint"), str(x, "status", "database", "backup", "bucket")}
		if want := [3]string{repoPath, "minio.storage.svc:9000", "dittofs-backups"}; got != want {
			return fmt.Errorf("is %q, want %q", got, want)
		}
		return nil
	})
	// The deleted cluster's ConfigMap of the same name may still be there
	// (garbage collection) until the operator writes the new cluster's.
	var repo string
	e.eventually("the operator's pgbackrest_repo.conf for the re-created files-postgres", 60*time.Second, func() error {
		cm, err := e.admin.get(e.ctx, "v1", "ConfigMap", ns, "files-postgres-pgbackrest-config")
		if err != nil {
			return err
		}
		repo = str(cm, "data", "pgbackrest_repo.conf")
		for _, want := range []string{"repo1-path = " + repoPath, "repo1-s3-endpoint = minio.storage.svc:9000"} {
			if !strings.Contains(repo, want+"\n") {
				return fmt.Errorf("it lacks %q:\n%s", want, repo)
			}
		}
		return nil
	})
	if strings.Contains(repo, "repo1-storage-port") {
		t.Errorf("pgbackrest_repo.conf sets repo1-storage-port; the port is in the endpoint:\n%s", repo)
	}

	// Gone again before the legacy XRD replaces this one.
	stop := make(chan struct{})
	defer close(stop)
	go e.fakeKubeletTeardown(ns, stop)
	if err := e.admin.delete(e.ctx, xrAPI, "DittoServer", ns, "files"); err != nil {
		t.Fatal(err)
	}
	e.eventually("the re-created files and its objects gone", 180*time.Second, func() error {
		if ok, err := e.admin.exists(e.ctx, xrAPI, "DittoServer", ns, "files"); err != nil || ok {
			return fmt.Errorf("XR files still there (%w)", err)
		}
		if l := e.composed("files"); len(l) > 0 {
			return fmt.Errorf("%d objects of files left", len(l))
		}
		return nil
	})
}
