package build

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// declaredShare is a badger store, a local store, a user and a share.
func declaredShare() *v1alpha1.FileServiceSpec {
	return &v1alpha1.FileServiceSpec{
		MetadataStores: []v1alpha1.FileMetadataStore{{Name: "main", Type: "badger", Badger: &v1alpha1.FileBadgerStore{Directory: "meta"}}},
		BlockStores:    []v1alpha1.FileBlockStore{{Name: "main", Kind: "local", Type: "fs"}},
		Users:          []v1alpha1.FileUser{{Username: "alice", PasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "alice", Key: "password"}, UID: ptr.To[uint32](1000)}},
		Shares: []v1alpha1.FileShare{{
			Name: "/export", MetadataStore: "main", LocalBlockStore: "main",
			Permissions: []v1alpha1.FileSharePermission{{User: "alice", Level: "read-write"}},
		}},
	}
}

func TestFileServiceConfigMap(t *testing.T) {
	s := fixture.MinimalSpec()
	s.FileService = declaredShare()
	ds := fixture.DittoServer(s)
	got, err := FileServiceConfigMap(ds)
	if err != nil {
		t.Fatal(err)
	}
	want := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "files-fileservice", Namespace: "storage", Labels: ds.Labels(spec.ComponentServer)},
		Data: map[string]string{"config.yaml": `apiVersion: fileservice.dittofs.com/v1alpha1
blockStores:
- fs:
    path: /data/store/block/main
  kind: local
  name: main
  type: fs
kind: DeclaredFileService
metadataStores:
- badger:
    path: /data/store/metadata/meta
  name: main
  type: badger
shares:
- localBlockStore: main
  metadataStore: main
  name: /export
  permissions:
  - level: read-write
    user: alice
users:
- passwordFile: /etc/dittofs-declared-secrets/alice/password
  uid: 1000
  username: alice
`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FileServiceConfigMap() (-want +got):\n%s", diff)
	}
	// What the function renders is what the reconciler reads.
	parsed, err := declared.Parse([]byte(got.Data["config.yaml"]))
	if err != nil {
		t.Fatalf("the reconciler cannot read the rendered config: %v", err)
	}
	if diff := cmp.Diff(ds.Declared(), parsed); diff != "" {
		t.Errorf("rendered and parsed back (-want +got):\n%s", diff)
	}
}

func TestFileServiceConfigMapNothingDeclared(t *testing.T) {
	got, err := FileServiceConfigMap(fixture.DittoServer(fixture.MinimalSpec()))
	if err != nil || got != nil {
		t.Errorf("nothing declared: %v, %v; want no ConfigMap", got, err)
	}
}

// A postgres metadata store on the composed cluster gets its own database,
// which the Percona user owns beside the control plane's.
func TestPerconaDatabasesWithAPostgresMetadataStore(t *testing.T) {
	s := fixture.PerconaSpec(nil)
	s.FileService = declaredShare()
	s.FileService.MetadataStores = append(s.FileService.MetadataStores, v1alpha1.FileMetadataStore{Name: "pg", Type: "postgres"})
	ds := fixture.DittoServer(s)
	want := []crunchyv1beta1.PostgresIdentifier{"dittofs", "dittofs_meta"}
	if diff := cmp.Diff(want, perconaDatabases(ds, "dittofs")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]crunchyv1beta1.PostgresIdentifier{"dittofs"}, perconaDatabases(fixture.DittoServer(fixture.PerconaSpec(nil)), "dittofs")); diff != "" {
		t.Errorf("nothing declared (-want +got):\n%s", diff)
	}
}
