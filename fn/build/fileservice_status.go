package build

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// The status channel: the objects that let the reconciler report to the
// function, composed only when the reconciler runs (ReconcilerApplies).
//
// Why it is safe: the reconciler's token can get and patch one ConfigMap,
// <xr>-fileservice-status, and nothing else (a Role with resourceNames, no
// create, list or watch, no other kind, no other name); the token is
// projected into the reconciler container only (the pod still sets
// automountServiceAccountToken: false, so DittoFS holds none) and expires
// after ten minutes. The function reads back only that ConfigMap's one key,
// bounded and validated (internal/fsreport), and publishes nothing of it
// but share names it declared itself, booleans and a truncated message.

// FileServiceStatusConfigMap builds <xr>-fileservice-status without data:
// Crossplane applies it server-side, so its field manager owns no data key
// and the reconciler's apply of fsreport.Key is never reverted. Nil when
// the reconciler does not run.
func FileServiceStatusConfigMap(ds spec.DittoServer) *corev1.ConfigMap {
	if !ReconcilerApplies(ds) {
		return nil
	}
	return &corev1.ConfigMap{ObjectMeta: reconcilerObjectMeta(ds, ds.FileServiceStatusConfigMapName())}
}

// ReconcilerServiceAccount builds <xr>-fileservice-reconciler, the DittoFS
// pod's ServiceAccount when the reconciler runs. It mounts no token by
// itself: the reconciler container gets a projected one.
func ReconcilerServiceAccount(ds spec.DittoServer) *corev1.ServiceAccount {
	if !ReconcilerApplies(ds) {
		return nil
	}
	return &corev1.ServiceAccount{
		ObjectMeta:                   reconcilerObjectMeta(ds, ds.ReconcilerServiceAccountName()),
		AutomountServiceAccountToken: ptr.To(false),
	}
}

// ReconcilerRole allows exactly get and patch (server-side apply of an
// existing object) of the status ConfigMap.
func ReconcilerRole(ds spec.DittoServer) *rbacv1.Role {
	if !ReconcilerApplies(ds) {
		return nil
	}
	return &rbacv1.Role{
		ObjectMeta: reconcilerObjectMeta(ds, ds.ReconcilerServiceAccountName()),
		Rules: []rbacv1.PolicyRule{{
			APIGroups:     []string{""},
			Resources:     []string{"configmaps"},
			ResourceNames: []string{ds.FileServiceStatusConfigMapName()},
			Verbs:         []string{"get", "patch"},
		}},
	}
}

// ReconcilerRoleBinding binds ReconcilerRole to ReconcilerServiceAccount.
func ReconcilerRoleBinding(ds spec.DittoServer) *rbacv1.RoleBinding {
	if !ReconcilerApplies(ds) {
		return nil
	}
	name := ds.ReconcilerServiceAccountName()
	return &rbacv1.RoleBinding{
		ObjectMeta: reconcilerObjectMeta(ds, name),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: ds.Namespace}},
	}
}

func reconcilerObjectMeta(ds spec.DittoServer, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ds.Namespace, Labels: ds.Labels(spec.ComponentServer)}
}
