package build

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// dittofsUID is the image's user and group (the DittoFS Dockerfile's 65532).
const dittofsUID = 65532

// podSecurityContext is the user's, with every field they left unset
// hardened: non-root 65532, fsGroup 65532 so the volumes are writable, and
// RuntimeDefault seccomp (the Pod Security "restricted" profile).
func podSecurityContext(user *corev1.PodSecurityContext) *corev1.PodSecurityContext {
	sc := &corev1.PodSecurityContext{}
	if user != nil {
		sc = user.DeepCopy()
	}
	sc.RunAsNonRoot = spec.PtrOr(sc.RunAsNonRoot, true)
	sc.RunAsUser = spec.PtrOr(sc.RunAsUser, int64(dittofsUID))
	sc.RunAsGroup = spec.PtrOr(sc.RunAsGroup, int64(dittofsUID))
	sc.FSGroup = spec.PtrOr(sc.FSGroup, int64(dittofsUID))
	if sc.SeccompProfile == nil {
		sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	}
	return sc
}

// containerSecurityContext is the user's, with unset fields hardened. ALL
// capabilities are always dropped; a user may add some back explicitly.
func containerSecurityContext(user *corev1.SecurityContext) *corev1.SecurityContext {
	sc := &corev1.SecurityContext{}
	if user != nil {
		sc = user.DeepCopy()
	}
	sc.AllowPrivilegeEscalation = spec.PtrOr(sc.AllowPrivilegeEscalation, false)
	sc.RunAsNonRoot = spec.PtrOr(sc.RunAsNonRoot, true)
	if sc.SeccompProfile == nil {
		sc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	}
	if sc.Capabilities == nil {
		sc.Capabilities = &corev1.Capabilities{}
	}
	if !slices.Contains(sc.Capabilities.Drop, "ALL") {
		sc.Capabilities.Drop = append(sc.Capabilities.Drop, "ALL")
	}
	return sc
}

// waitSecurityContext is the init container's: it only runs psql.
func waitSecurityContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		RunAsNonRoot:             ptr.To(true),
		ReadOnlyRootFilesystem:   ptr.To(true),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
}
