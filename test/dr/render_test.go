package dr

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/function-sdk-go/logging"
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/internal/testing/corpus"
	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
	"github.com/dittofs/function-dittofs/internal/testing/testenv"
)

// composed is what the function composed for the drill's DittoServer.
type composed struct {
	// Cluster is the PerconaPGCluster, as the Percona operator receives it.
	Cluster *pgv2.PerconaPGCluster
	// S3Conf is the s3.conf of the composed <xr>-pgbackrest-s3 Secret: what
	// pgBackRest loads from conf.d for the credentials.
	S3Conf []byte
	// ConfD is every file the cluster's backups.pgbackrest.configuration
	// projects into the pod's /etc/pgbackrest/conf.d, by path: s3.conf,
	// the S3 endpoint's CA, the encryption passphrase's cipher.conf. Each
	// is read from the Secret the projection names (a composed one, or one
	// of the user's required Secrets), with the projection's items.
	ConfD map[string][]byte
	// Pod is the StatefulSet and the Secrets and ConfigMaps it reads, once
	// the cluster is observed ready.
	Pod realdfs.Rendered
	// Status is the XR status the function wrote in the last reconcile.
	Status map[string]any
}

// compose runs the function in process as Crossplane would over two
// reconciles of the XR (YAML) with the objects of required (YAML: the
// credentials Secret; for a restore, the source DittoServer and its admin
// Secret) in its namespace: first with no composed resource observed (the function asks
// for the credentials Secret, gets it, composes the cluster and s3.conf),
// then with everything it composed observed and the cluster reported ready
// by the Percona operator (it composes the DittoFS StatefulSet too). The
// generated Secrets (admin, JWT) are carried from the first reconcile to the
// second through observed state, as in a cluster.
func compose(t *testing.T, xr string, secrets ...string) composed {
	t.Helper()
	root := testenv.RepoRoot(t)
	f := fn.NewFunction(logging.NewNopLogger())
	required := strings.Join(secrets, "\n---\n")
	first, _ := reconcile(t, f, root, xr, required, "")

	ready := readyStatus(t, root)
	var observed bytes.Buffer
	for _, name := range sortedNames(first) {
		obj := first[name]
		meta, _ := obj["metadata"].(map[string]any)
		annotations, _ := meta["annotations"].(map[string]any)
		if annotations == nil {
			annotations = map[string]any{}
		}
		annotations["crossplane.io/composition-resource-name"] = name
		meta["annotations"] = annotations
		if obj["kind"] == "PerconaPGCluster" {
			// The API server's generation and the operator's status for it.
			meta["generation"] = ready["observedGeneration"]
			obj["status"] = ready
		}
		b, err := yaml.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		observed.WriteString("---\n")
		observed.Write(b)
	}
	second, status := reconcile(t, f, root, xr, required, observed.String())

	c := composed{Status: status}
	var docs bytes.Buffer
	for _, name := range sortedNames(second) {
		obj := second[name]
		b, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		docs.Write(b)
		docs.WriteString("\n")
		if obj["kind"] == "PerconaPGCluster" {
			c.Cluster = &pgv2.PerconaPGCluster{}
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, c.Cluster); err != nil {
				t.Fatalf("the composed PerconaPGCluster does not decode: %v", err)
			}
		}
	}
	var err error
	if c.Pod, err = realdfs.ParseRendered(docs.Bytes()); err != nil {
		t.Fatal(err)
	}
	if c.Cluster == nil || c.Pod.StatefulSet == nil {
		t.Fatalf("the function composed no PerconaPGCluster or no StatefulSet: %v", sortedNames(second))
	}
	for name, data := range c.Pod.Secrets {
		if conf, ok := data["s3.conf"]; ok && name == c.Cluster.Spec.Backups.PGBackRest.Configuration[0].Secret.Name {
			c.S3Conf = []byte(conf)
		}
	}
	if c.S3Conf == nil {
		t.Fatalf("no composed Secret with s3.conf is projected into pgBackRest's configuration (%v)", c.Cluster.Spec.Backups.PGBackRest.Configuration)
	}
	c.ConfD = projectedFiles(t, c.Cluster.Spec.Backups.PGBackRest.Configuration, c.Pod.Secrets, secretsData(t, required))
	return c
}

// projectedFiles is what Kubernetes writes into a projected volume with
// the Secret projections sources (the pod's /etc/pgbackrest/conf.d): each
// item's key at its path, or every key at its own name when there are no
// items. A Secret is looked up among the composed ones first, then the
// user's; a projection of a Secret or key that is in neither fails the
// test, as the pod would not start.
func projectedFiles(t *testing.T, sources []corev1.VolumeProjection, composedSecrets, userSecrets map[string]map[string]string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	for _, p := range sources {
		if p.Secret == nil {
			t.Fatalf("pgBackRest's configuration projects something other than a Secret: %+v", p)
		}
		data, ok := composedSecrets[p.Secret.Name]
		if !ok {
			data, ok = userSecrets[p.Secret.Name]
		}
		if !ok {
			t.Fatalf("pgBackRest's configuration projects Secret %s, which is neither composed nor the user's", p.Secret.Name)
		}
		if len(p.Secret.Items) == 0 {
			for k, v := range data {
				files[k] = []byte(v)
			}
			continue
		}
		for _, item := range p.Secret.Items {
			v, ok := data[item.Key]
			if !ok {
				t.Fatalf("pgBackRest's configuration projects key %s of Secret %s, which it does not hold", item.Key, p.Secret.Name)
			}
			files[item.Path] = []byte(v)
		}
	}
	return files
}

// secretsData is the data of the Secrets in docs (YAML), by name, from
// data (base64) or stringData.
func secretsData(t *testing.T, docs string) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	dec := k8syaml.NewYAMLOrJSONDecoder(strings.NewReader(docs), 4096)
	for {
		s := &corev1.Secret{}
		err := dec.Decode(s)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		data := map[string]string{}
		for k, v := range s.Data {
			data[k] = string(v)
		}
		for k, v := range s.StringData {
			data[k] = v
		}
		out[s.Name] = data
	}
}

// reconcile is one reconcile: the function's first call, then its calls with
// what its requirements asked for resolved, until they ask for nothing new
// (as Crossplane iterates). It returns the desired composed resources by
// name and the XR status, and fails on a Fatal.
func reconcile(t *testing.T, f *fn.Function, root, xr, required, observed string) (map[string]map[string]any, map[string]any) {
	t.Helper()
	dir := t.TempDir()
	for name, content := range map[string]string{"xr.yaml": xr, "required.yaml": required, "observed.yaml": observed} {
		if content == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := corpus.Load(dir, filepath.Join(root, "apis", "configuration", "composition.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	rsp := run(t, f, c.Request())
	for range 5 {
		asked := len(rsp.GetRequirements().GetResources())
		rsp = run(t, f, c.Resolve(rsp.GetRequirements()))
		if len(rsp.GetRequirements().GetResources()) == asked {
			break
		}
	}
	out := map[string]map[string]any{}
	for name, r := range rsp.GetDesired().GetResources() {
		out[name] = r.GetResource().AsMap()
	}
	status, _ := rsp.GetDesired().GetComposite().GetResource().AsMap()["status"].(map[string]any)
	return out, status
}

func run(t *testing.T, f *fn.Function, req *fnv1.RunFunctionRequest) *fnv1.RunFunctionResponse {
	t.Helper()
	rsp, err := f.RunFunction(context.Background(), req)
	if err != nil {
		t.Fatalf("RunFunction: %v", err)
	}
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			t.Fatalf("the function refused the drill's XR: %s", r.GetMessage())
		}
	}
	return rsp
}

// readyStatus is the status the Percona operator reports for a ready
// cluster, taken from example/percona-ready (the example the render and
// boot tests use for the same state).
func readyStatus(t *testing.T, root string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "example", "percona-ready", "observed.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := k8syaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		obj := map[string]any{}
		if err := dec.Decode(&obj); err != nil {
			t.Fatalf("example/percona-ready/observed.yaml has no PerconaPGCluster: %v", err)
		}
		if obj["kind"] == "PerconaPGCluster" {
			status, ok := obj["status"].(map[string]any)
			if !ok {
				t.Fatal("example/percona-ready/observed.yaml: the PerconaPGCluster has no status")
			}
			return status
		}
	}
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// drillXR is the drill's DittoServer: Percona on PostgreSQL 15 (the
// Debian server the drill runs) with backups to the local S3 server at
// endpoint (host:port), bucket, path-style, TLS verified, the default
// retention.
func drillXR(endpoint, bucket string) string {
	return fmt.Sprintf(`apiVersion: dittofs.dittofs.com/v1alpha1
kind: DittoServer
metadata:
  name: drill
  namespace: dr
  uid: 0d5a4b1c-7e6f-4a3b-9c8d-1e2f3a4b5c6d
spec:
  storage:
    metadataSize: 1Gi
  percona:
    enabled: true
    postgresVersion: 15
    storageSize: 1Gi
    backup:
      enabled: true
      credentialsSecretRef:
        name: drill-s3
      bucket: %s
      endpoint: %s
      region: us-east-1
      uriStyle: path
      verifyTLS: true
      caSecretRef:
        name: drill-s3-ca
      encryption:
        passphraseSecretRef:
          name: drill-cipher
  # File metadata on the cluster: a postgres store in its own database
  # there (<databaseName>_meta), backed up and restored with the control
  # plane's. The drill makes it through DittoFS's API as the reconciler
  # does, and runs the reconciler's pre-start step on each restored server.
  fileService:
    metadataStores:
    - name: files
      type: postgres
    blockStores:
    - name: blocks
      kind: local
      type: memory
    shares:
    - name: /files
      metadataStore: files
      localBlockStore: blocks
`, bucket, endpoint)
}

// caSecret is the Secret holding the S3 server's private CA, which the XR
// names in caSecretRef (key ca.crt, the default).
func caSecret(caPEM []byte) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: drill-s3-ca
  namespace: dr
type: Opaque
data:
  ca.crt: %s
`, base64.StdEncoding.EncodeToString(caPEM))
}

// passphraseSecret is the Secret holding the repository's encryption
// passphrase, which the XR names in encryption.passphraseSecretRef (key
// passphrase, the default).
func passphraseSecret(passphrase string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: drill-cipher
  namespace: dr
type: Opaque
stringData:
  passphrase: %s
`, passphrase)
}

// credentialsSecret is the Secret the XR names, with plain access keys: the
// function composes <xr>-pgbackrest-s3's s3.conf from it.
func credentialsSecret(accessKey, secretKey string) string {
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: drill-s3
  namespace: dr
type: Opaque
stringData:
  AWS_ACCESS_KEY_ID: %s
  AWS_SECRET_ACCESS_KEY: %s
`, accessKey, secretKey)
}
