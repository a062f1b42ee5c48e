package build

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// ContainerReconciler applies spec.fileService beside DittoFS
// (cmd/reconciler; docs/fileservice.md).
const ContainerReconciler = "fileservice-reconciler"

const portReconciler = "reconciler"

// ReconcilerApplies reports whether the pod gets the reconciler: a file
// service is declared and the Input pins its image. With controlPlane TLS
// it is not composed yet (it would need the API's CA; see
// docs/fileservice.md).
func ReconcilerApplies(ds spec.DittoServer, in v1beta1.Input) bool {
	return spec.FileServiceDeclared(ds.Spec) && in.Images.Reconciler != "" && ds.Spec.ControlPlane.CertSecretName == ""
}

// reconcilerSidecar is the reconciler container and the volumes it alone
// mounts: the ConfigMap <xr>-fileservice and every Secret the declaration
// references, plus the admin Secret, each whole, so the kubelet's updates of
// their content reach the reconciler without restarting the pod (a Secret
// newly referenced is a new volume, which rolls it). Nil when
// ReconcilerApplies is false.
func reconcilerSidecar(ds spec.DittoServer, in v1beta1.Input) (*corev1.Container, []corev1.Volume) {
	if !ReconcilerApplies(ds, in) {
		return nil, nil
	}
	admin := AdminPasswordRef(ds)
	vols := []podVolume{configMapVolume("fileservice", ds.FileServiceConfigMapName(), spec.DeclaredMountPath)}
	secrets := ds.FileServiceSecrets()
	if !contains(secrets, admin.Name) {
		secrets = append(secrets, admin.Name)
	}
	for _, name := range secrets {
		vols = append(vols, secretVolume(declaredSecretVolume(name), name, path.Join(spec.DeclaredSecretsPath, name)))
	}
	c := &corev1.Container{
		Name:    ContainerReconciler,
		Image:   in.Images.Reconciler,
		Command: []string{"/reconciler"},
		Args: []string{
			"--config=" + path.Join(spec.DeclaredMountPath, spec.DeclaredConfigKey),
			"--admin-password-file=" + path.Join(spec.DeclaredSecretsPath, admin.Name, admin.Key),
			"--api-url=http://127.0.0.1:" + strconv.Itoa(int(ds.Spec.ControlPlane.Port)),
			"--listen=:" + strconv.Itoa(spec.ReconcilerPort),
		},
		Ports: []corev1.ContainerPort{{Name: portReconciler, ContainerPort: spec.ReconcilerPort, Protocol: corev1.ProtocolTCP}},
		// Ready once the declaration was applied the first time, and from
		// then on: later errors are reported, never by taking the pod out
		// of its Services.
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromString(portReconciler)}},
			PeriodSeconds: 5, TimeoutSeconds: 5, FailureThreshold: 3,
		},
		LivenessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString(portReconciler)}},
			PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 3,
		},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
		},
		SecurityContext: containerSecurityContext(nil),
	}
	vols = append(vols, withStatusChannel(ds, c))
	// It writes nothing to disk.
	c.SecurityContext.ReadOnlyRootFilesystem = ptr.To(true)
	volumes := make([]corev1.Volume, 0, len(vols))
	for _, v := range vols {
		c.VolumeMounts = append(c.VolumeMounts, v.Mount)
		volumes = append(volumes, v.Volume)
	}
	return c, volumes
}

// declaredSecretVolume names the volume of a referenced Secret: a Secret
// name may be longer than a volume name can be.
func declaredSecretVolume(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return "declared-secret-" + hex.EncodeToString(h[:])[:10]
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
