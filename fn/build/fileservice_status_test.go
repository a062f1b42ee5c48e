package build

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// statusChannelCases are the XRs the status channel's builders are asked
// about: only one whose reconciler runs gets the objects.
func statusChannelCases() map[string]struct {
	reason string
	ds     spec.DittoServer
	want   bool
} {
	declared := fixture.MinimalSpec()
	declared.FileService = declaredShare()
	tls := declared
	tls.ControlPlane = &v1alpha1.ControlPlaneSpec{Port: 8080, CertSecretName: "api-tls"}
	mtls := declared
	mtls.ControlPlane = &v1alpha1.ControlPlaneSpec{Port: 8080, CertSecretName: "api-tls", ClientCASecretName: "api-clients", ReconcilerClientCertSecretName: "reconciler-client-tls"}
	return map[string]struct {
		reason string
		ds     spec.DittoServer
		want   bool
	}{
		"declared":                          {"the reconciler runs and reports", fixture.DittoServer(declared), true},
		"nothing declared":                  {"an XR that declares nothing gets nothing new", fixture.DittoServer(fixture.MinimalSpec()), false},
		"declared, control plane over TLS":  {"the reconciler runs over TLS, and reports", fixture.DittoServer(tls), true},
		"declared, control plane with mTLS": {"under mTLS the reconciler runs with its client certificate, and reports", fixture.DittoServer(mtls), true},
	}
}

func TestFileServiceStatusConfigMap(t *testing.T) {
	for name, tc := range statusChannelCases() {
		t.Run(name, func(t *testing.T) {
			var want *corev1.ConfigMap
			if tc.want {
				// No data: Crossplane's field manager must never own the
				// key the reconciler writes.
				want = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "files-fileservice-status", Namespace: "storage", Labels: tc.ds.Labels(spec.ComponentServer)}}
			}
			if diff := cmp.Diff(want, FileServiceStatusConfigMap(tc.ds)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestReconcilerServiceAccount(t *testing.T) {
	for name, tc := range statusChannelCases() {
		t.Run(name, func(t *testing.T) {
			var want *corev1.ServiceAccount
			if tc.want {
				want = &corev1.ServiceAccount{
					ObjectMeta:                   metav1.ObjectMeta{Name: "files-fileservice-reconciler", Namespace: "storage", Labels: tc.ds.Labels(spec.ComponentServer)},
					AutomountServiceAccountToken: ptr.To(false),
				}
			}
			if diff := cmp.Diff(want, ReconcilerServiceAccount(tc.ds)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestReconcilerRole(t *testing.T) {
	for name, tc := range statusChannelCases() {
		t.Run(name, func(t *testing.T) {
			var want *rbacv1.Role
			if tc.want {
				// Exactly get and patch of the one ConfigMap: no create,
				// list or watch, no other name, no other kind.
				want = &rbacv1.Role{
					ObjectMeta: metav1.ObjectMeta{Name: "files-fileservice-reconciler", Namespace: "storage", Labels: tc.ds.Labels(spec.ComponentServer)},
					Rules: []rbacv1.PolicyRule{{
						APIGroups: []string{""}, Resources: []string{"configmaps"},
						ResourceNames: []string{"files-fileservice-status"}, Verbs: []string{"get", "patch"},
					}},
				}
			}
			if diff := cmp.Diff(want, ReconcilerRole(tc.ds)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestReconcilerRoleBinding(t *testing.T) {
	for name, tc := range statusChannelCases() {
		t.Run(name, func(t *testing.T) {
			var want *rbacv1.RoleBinding
			if tc.want {
				want = &rbacv1.RoleBinding{
					ObjectMeta: metav1.ObjectMeta{Name: "files-fileservice-reconciler", Namespace: "storage", Labels: tc.ds.Labels(spec.ComponentServer)},
					RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "files-fileservice-reconciler"},
					Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "files-fileservice-reconciler", Namespace: "storage"}},
				}
			}
			if diff := cmp.Diff(want, ReconcilerRoleBinding(tc.ds)); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

func TestShareStatuses(t *testing.T) {
	in := fixture.Input()
	declared := fixture.MinimalSpec()
	declared.FileService = declaredShare()
	declared.FileService.Shares = append(declared.FileService.Shares, v1alpha1.FileShare{Name: "/archive", MetadataStore: "main", LocalBlockStore: "main"})
	noSMB := declared
	noSMB.Adapters = &v1alpha1.AdaptersSpec{SMB: &v1alpha1.AdapterSpec{Enabled: ptr.To(false)}}
	odd := declared
	odd.Adapters = &v1alpha1.AdaptersSpec{NFS: &v1alpha1.AdapterSpec{ServicePort: 12049}}
	for name, tc := range map[string]struct {
		reason string
		spec   v1alpha1.DittoServerSpec
		want   []v1alpha1.ShareStatus
	}{
		"nothing declared": {"no shares, no status.shares", fixture.MinimalSpec(), nil},
		"both adapters": {"each share on the standard ports, in the spec's order; SMB names it without the slash", declared, []v1alpha1.ShareStatus{
			{Name: "/export", NFS: "nfs://files-nfs.storage.svc.cluster.local:2049/export", SMB: "smb://files-smb.storage.svc.cluster.local:445/export"},
			{Name: "/archive", NFS: "nfs://files-nfs.storage.svc.cluster.local:2049/archive", SMB: "smb://files-smb.storage.svc.cluster.local:445/archive"},
		}},
		"smb off": {"no SMB URL without the SMB adapter", noSMB, []v1alpha1.ShareStatus{
			{Name: "/export", NFS: "nfs://files-nfs.storage.svc.cluster.local:2049/export"},
			{Name: "/archive", NFS: "nfs://files-nfs.storage.svc.cluster.local:2049/archive"},
		}},
		"nfs service port": {"the port clients dial is the Service's", odd, []v1alpha1.ShareStatus{
			{Name: "/export", NFS: "nfs://files-nfs.storage.svc.cluster.local:12049/export", SMB: "smb://files-smb.storage.svc.cluster.local:445/export"},
			{Name: "/archive", NFS: "nfs://files-nfs.storage.svc.cluster.local:12049/archive", SMB: "smb://files-smb.storage.svc.cluster.local:445/archive"},
		}},
	} {
		t.Run(name, func(t *testing.T) {
			got := ShareStatuses(fixture.DittoServer(tc.spec), in)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}
