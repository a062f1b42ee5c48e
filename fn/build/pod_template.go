package build

import (
	corev1 "k8s.io/api/core/v1"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

// withPodFields puts the spec's scheduling, pulling and metadata fields on
// the DittoFS pod template. They change only the pod template, never the
// config hash: editing them rolls the pod through the template itself,
// and the rotation rule (which Secrets the pod started from) stays apart.
// imagePullPolicy applies to every container, the init container's too.
func withPodFields(t *corev1.PodTemplateSpec, s v1alpha1.DittoServerSpec) {
	p := &t.Spec
	p.Affinity = s.Affinity
	p.Tolerations = s.Tolerations
	p.NodeSelector = s.NodeSelector
	p.PriorityClassName = s.PriorityClassName
	p.ImagePullSecrets = s.ImagePullSecrets
	for i := range p.InitContainers {
		p.InitContainers[i].ImagePullPolicy = s.ImagePullPolicy
	}
	for i := range p.Containers {
		p.Containers[i].ImagePullPolicy = s.ImagePullPolicy
	}
	t.Labels = addAbsent(t.Labels, s.PodLabels)
	t.Annotations = addAbsent(t.Annotations, s.PodAnnotations)
}

// addAbsent returns own plus the keys of extra that own does not have: what
// the function sets always wins. own is not modified.
func addAbsent(own, extra map[string]string) map[string]string {
	if len(extra) == 0 {
		return own
	}
	out := make(map[string]string, len(own)+len(extra))
	for k, v := range extra {
		out[k] = v
	}
	for k, v := range own {
		out[k] = v
	}
	return out
}
