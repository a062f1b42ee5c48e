package build

import (
	"path"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// volumeReconcilerToken is the reconciler's projected API token.
const volumeReconcilerToken = "reconciler-token"

// rootCAConfigMap is the ConfigMap the kube-controller-manager puts into
// every namespace with the API server's CA.
const rootCAConfigMap = "kube-root-ca.crt"

// withStatusChannel lets the reconciler write its report: the flags naming
// the status ConfigMap, and a token of the pod's ServiceAccount projected
// where client-go's in-cluster config reads it, mounted into this
// container only. The pod keeps automountServiceAccountToken: false, so
// DittoFS itself never holds a token. The projection names no audience:
// the token is for the API server's own (its --api-audiences), the only
// one it is meant for. It returns the volume to add to the pod.
func withStatusChannel(ds spec.DittoServer, c *corev1.Container) podVolume {
	c.Args = append(c.Args,
		"--status-configmap="+ds.FileServiceStatusConfigMapName(),
		"--status-namespace="+ds.Namespace,
	)
	return podVolume{
		Volume: corev1.Volume{Name: volumeReconcilerToken, VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{
			Sources: []corev1.VolumeProjection{
				{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](spec.ReconcilerTokenSeconds)}},
				{ConfigMap: &corev1.ConfigMapProjection{
					LocalObjectReference: corev1.LocalObjectReference{Name: rootCAConfigMap},
					Items:                []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
				}},
			},
		}}},
		Mount: corev1.VolumeMount{Name: volumeReconcilerToken, MountPath: path.Clean(spec.ReconcilerTokenPath), ReadOnly: true},
	}
}
