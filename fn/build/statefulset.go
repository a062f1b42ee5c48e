package build

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// Annotations the function sets on the StatefulSet and its pods.
const (
	// AnnotationConfigHash rolls the pod when, and only when, what DittoFS
	// reads at start changes.
	AnnotationConfigHash = "dittofs.io/config-hash"
	// AnnotationDatabase records what the server's control plane lives on,
	// so a later switch can be refused.
	AnnotationDatabase = "dittofs.io/database"
)

// Container port names; Services and probes refer to these.
const (
	portAPI     = "api"
	PortNFS     = "nfs"
	PortSMB     = "smb"
	portMetrics = "metrics"
)

// StatefulSet builds the StatefulSet <xr> running DittoFS.
func StatefulSet(ds spec.DittoServer, in v1beta1.Input, configHash string) *appsv1.StatefulSet {
	s := ds.Spec
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{
			Name:        ds.Name,
			Namespace:   ds.Namespace,
			Labels:      ds.Labels(spec.ComponentServer),
			Annotations: map[string]string{AnnotationDatabase: DatabaseKind(s)},
		},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    s.Replicas,
			ServiceName: ds.HeadlessServiceName(),
			Selector:    &metav1.LabelSelector{MatchLabels: ds.SelectorLabels()},
			// DittoFS's data lives on these claims: keep them when the
			// StatefulSet is deleted or scaled to zero.
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
			},
			UpdateStrategy:       appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
			Template:             podTemplate(ds, in, configHash),
			VolumeClaimTemplates: volumeClaimTemplates(ds),
		},
	}
}

func podTemplate(ds spec.DittoServer, in v1beta1.Input, configHash string) corev1.PodTemplateSpec {
	s := ds.Spec
	vols := dittofsVolumes(ds)
	volumes := make([]corev1.Volume, 0, len(vols))
	for _, v := range vols {
		volumes = append(volumes, v.Volume)
	}
	pod := corev1.PodSpec{
		// DittoFS never talks to the Kubernetes API.
		AutomountServiceAccountToken: ptr.To(false),
		// Service links would put <SERVICE>_PORT variables into DittoFS's
		// environment, which it reads for configuration.
		EnableServiceLinks:            ptr.To(false),
		SecurityContext:               podSecurityContext(s.PodSecurityContext),
		TerminationGracePeriodSeconds: s.TerminationGracePeriodSeconds,
		Containers:                    []corev1.Container{dittofsContainer(ds, vols)},
		Volumes:                       volumes,
	}
	sidecar, sidecarVolumes := reconcilerSidecar(ds, in)
	if sidecar != nil {
		pod.Containers = append(pod.Containers, *sidecar)
		pod.Volumes = append(pod.Volumes, sidecarVolumes...)
		// Its token is projected into the reconciler alone.
		pod.ServiceAccountName = ds.ReconcilerServiceAccountName()
	}
	if wait := waitForDatabase(ds, in); wait != nil {
		pod.InitContainers = []corev1.Container{*wait}
	}
	if prestart := reconcilerPrestart(ds, sidecar); prestart != nil {
		pod.InitContainers = append(pod.InitContainers, *prestart)
	}
	labels := ds.Labels(spec.ComponentServer)
	t := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{AnnotationConfigHash: configHash}},
		Spec:       pod,
	}
	withPodFields(&t, s)
	return t
}

// ContainerDittoFS is the DittoFS server's container in the pod.
const ContainerDittoFS = "dittofs"

func dittofsContainer(ds spec.DittoServer, vols []podVolume) corev1.Container {
	s := ds.Spec
	mounts := make([]corev1.VolumeMount, 0, len(vols)+3)
	for _, v := range vols {
		mounts = append(mounts, v.Mount)
	}
	mounts = append(mounts, claimMounts(s.Storage)...)
	c := corev1.Container{
		Name:            ContainerDittoFS,
		Image:           s.Image,
		Command:         []string{"/app/dfs"},
		Args:            []string{"start", "--foreground", "--config", configFile},
		Ports:           containerPorts(s),
		Env:             dittofsEnv(ds),
		VolumeMounts:    mounts,
		LivenessProbe:   probe(s.ControlPlane, "/health", 15, 10, 3),
		ReadinessProbe:  probe(s.ControlPlane, "/health/ready", 10, 5, 3),
		StartupProbe:    probe(s.ControlPlane, "/health", 0, 5, 30),
		SecurityContext: containerSecurityContext(s.SecurityContext),
		// Give the Service time to stop sending new clients before DittoFS
		// starts draining.
		Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
			Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", "sleep 5"}},
		}},
	}
	if s.Resources != nil {
		c.Resources = *s.Resources
	}
	return c
}

func containerPorts(s v1alpha1.DittoServerSpec) []corev1.ContainerPort {
	ports := []corev1.ContainerPort{{Name: portAPI, ContainerPort: s.ControlPlane.Port, Protocol: corev1.ProtocolTCP}}
	if *s.Adapters.NFS.Enabled {
		ports = append(ports, corev1.ContainerPort{Name: PortNFS, ContainerPort: s.Adapters.NFS.Port, Protocol: corev1.ProtocolTCP})
		ports = append(ports, nfsSideContainerPorts(s.Adapters.NFS)...)
	}
	if *s.Adapters.SMB.Enabled {
		ports = append(ports, corev1.ContainerPort{Name: PortSMB, ContainerPort: s.Adapters.SMB.Port, Protocol: corev1.ProtocolTCP})
	}
	if s.Metrics.Enabled {
		ports = append(ports, corev1.ContainerPort{Name: portMetrics, ContainerPort: s.Metrics.Port, Protocol: corev1.ProtocolTCP})
	}
	return ports
}

// probe checks path on the API port: over HTTPS when DittoFS serves TLS
// (certSecretName), and as a TCP check under mTLS, where the kubelet has no
// client certificate.
// DittoFS listens only once its database is migrated, so the startup probe
// (30 x 5s) also covers a slow first boot.
func probe(c *v1alpha1.ControlPlaneSpec, path string, delay, period, failures int32) *corev1.Probe {
	p := &corev1.Probe{InitialDelaySeconds: delay, PeriodSeconds: period, TimeoutSeconds: 5, FailureThreshold: failures}
	switch {
	case c.ClientCASecretName != "":
		p.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromString(portAPI)}
	case c.CertSecretName != "":
		p.HTTPGet = &corev1.HTTPGetAction{Path: path, Port: intstr.FromString(portAPI), Scheme: corev1.URISchemeHTTPS}
	default:
		p.HTTPGet = &corev1.HTTPGetAction{Path: path, Port: intstr.FromString(portAPI), Scheme: corev1.URISchemeHTTP}
	}
	return p
}

// volumeClaimTemplates are DittoFS's persistent volumes. They are immutable
// once the StatefulSet exists; the storage guards refuse changes.
func volumeClaimTemplates(ds spec.DittoServer) []corev1.PersistentVolumeClaim {
	st := ds.Spec.Storage
	claim := func(name, size string) corev1.PersistentVolumeClaim {
		return corev1.PersistentVolumeClaim{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: ds.SelectorLabels()},
			Spec:       volumeClaimSpec(size, st.StorageClassName),
		}
	}
	claims := []corev1.PersistentVolumeClaim{claim(VolumeMetadata, st.MetadataSize)}
	if st.ContentSize != "" {
		claims = append(claims, claim(VolumeContent, st.ContentSize))
	}
	return append(claims, claim(VolumeControlPlane, st.ControlPlaneSize))
}

func quantity(s string) resource.Quantity { return resource.MustParse(s) }
