package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// referenceEncoding is the slow path encodeObject replaces, kept as its
// oracle: apimachinery's converter (encoding/json rules), then nulls and
// empty objects pruned, status dropped, apiVersion and kind from the scheme.
func referenceEncoding(t *testing.T, obj runtime.Object) map[string]any {
	t.Helper()
	gvk, err := kindOf(obj)
	if err != nil {
		t.Fatal(err)
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		t.Fatal(err)
	}
	delete(m, "status")
	pruneEmpty(m)
	m["apiVersion"], m["kind"] = gvk.ToAPIVersionAndKind()
	return normalizeNumbers(m).(map[string]any)
}

// pruneEmpty removes nulls and empty objects from m, depth first, so an
// object left empty by its pruned children goes too; list elements stay.
func pruneEmpty(m map[string]any) {
	for k, v := range m {
		switch t := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			pruneEmpty(t)
			if len(t) == 0 {
				delete(m, k)
			}
		case []any:
			for _, e := range t {
				if em, ok := e.(map[string]any); ok {
					pruneEmpty(em)
				}
			}
		}
	}
}

// TestEncodeMatchesTheConverter: for every object the builders make, over
// specs that turn every feature on and off, the one-pass encoder gives what
// the converter path gives.
func TestEncodeMatchesTheConverter(t *testing.T) {
	full := perconaSpec(s3Backup())
	full.Storage.ContentSize = "100Gi"
	full.Storage.StorageClassName = ptr.To("fast")
	full.Resources = nil
	full.ControlPlane = &v1alpha1.ControlPlaneSpec{Port: 9443, CertSecretName: "tls", ClientCASecretName: "ca"}
	full.Metrics = &v1alpha1.MetricsSpec{Enabled: true, BearerTokenSecret: &v1alpha1.SecretKeySelector{Name: "m", Key: "t"}, ServiceMonitor: &v1alpha1.ServiceMonitorSpec{Enabled: true}}
	full.Identity = &v1alpha1.IdentitySpec{
		LDAP:     &v1alpha1.LDAPSpec{Enabled: true, URL: "ldaps://l", BaseDN: "b", BindDN: "d", CACertSecretRef: &v1alpha1.SecretKeySelector{Name: "l"}},
		Kerberos: &v1alpha1.KerberosSpec{Enabled: true, ServicePrincipal: "p", KeytabSecretRef: &v1alpha1.SecretKeySelector{Name: "k"}, Krb5ConfSecretRef: &v1alpha1.SecretKeySelector{Name: "c"}},
	}
	full.Percona.DeletionPolicy = "Delete"
	stopped := minimalSpec()
	stopped.Replicas = ptr.To[int32](0)
	external := minimalSpec()
	external.Database = &v1alpha1.DatabaseSpec{PostgresSecretRef: &v1alpha1.SecretKeySelector{Name: "pg"}, SSLMode: "verify-full", CASecretRef: &v1alpha1.SecretKeySelector{Name: "ca"}}

	in := testInput()
	for name, spec := range map[string]v1alpha1.DittoServerSpec{
		"minimal": minimalSpec(), "percona": perconaSpec(nil), "full": full, "stopped": stopped, "external": external,
	} {
		ds := testDittoServer(spec)
		objs := map[string]runtime.Object{
			"percona-cluster": perconaCluster(ds, in, "creds", newRepoPath(ds)),
			"statefulset":     statefulSet(ds, in, "hash"),
			"headless":        headlessService(ds),
			"api":             apiService(ds),
			"nfs":             adapterService(ds, nfsServiceName(ds), portNFS, ds.Spec.Adapters.NFS),
			"metrics":         metricsService(ds),
			"networkpolicy":   networkPolicy(ds),
			"configmap":       configMap(ds, "config"),
			"jwt":             jwtSecret(ds, []byte("jwt")),
			"admin":           adminSecret(ds, []byte("pw")),
			"s3":              pgBackRestS3Secret(ds, []byte("conf")),
			"connection":      connectionSecret(ds, connectionDetails(endpoints(ds, in), []byte("pw"))),
		}
		for kind, obj := range objs {
			got, err := encodeObject(obj)
			if err != nil {
				t.Fatalf("%s/%s: encodeObject(): %v", name, kind, err)
			}
			if diff := cmp.Diff(referenceEncoding(t, obj), got.AsMap()); diff != "" {
				t.Errorf("%s/%s: -converter, +encoder:\n%s", name, kind, diff)
			}
		}
	}
}
