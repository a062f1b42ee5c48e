package build

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

const reconcilerImage = "registry.example.com/dittofs/function-dittofs:v0.1.0"

func TestReconcilerSidecar(t *testing.T) {
	in := fixture.Input()
	in.Images.Reconciler = reconcilerImage
	s := fixture.MinimalSpec()
	s.FileService = declaredShare()
	ds := fixture.DittoServer(s)

	c, vols := reconcilerSidecar(ds, in)
	secret := func(name, vol string) (corev1.Volume, corev1.VolumeMount) {
		return corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: name}}},
			corev1.VolumeMount{Name: vol, MountPath: "/etc/dittofs-declared-secrets/" + name, ReadOnly: true}
	}
	aliceVol, aliceMount := secret("alice", declaredSecretVolume("alice"))
	adminVol, adminMount := secret("files-admin", declaredSecretVolume("files-admin"))
	wantVols := []corev1.Volume{
		{Name: "fileservice", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "files-fileservice"}}}},
		aliceVol, adminVol,
	}
	want := &corev1.Container{
		Name:    "fileservice-reconciler",
		Image:   reconcilerImage,
		Command: []string{"/reconciler"},
		Args: []string{
			"--config=/etc/dittofs-declared/config.yaml",
			"--admin-password-file=/etc/dittofs-declared-secrets/files-admin/password",
			"--api-url=http://127.0.0.1:8080",
			"--listen=:9091",
		},
		Ports: []corev1.ContainerPort{{Name: "reconciler", ContainerPort: 9091, Protocol: corev1.ProtocolTCP}},
		VolumeMounts: []corev1.VolumeMount{
			{Name: "fileservice", MountPath: "/etc/dittofs-declared", ReadOnly: true},
			aliceMount, adminMount,
		},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromString("reconciler")}},
			PeriodSeconds: 5, TimeoutSeconds: 5, FailureThreshold: 3,
		},
		LivenessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("reconciler")}},
			PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 3,
		},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
		},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			RunAsNonRoot:             ptr.To(true),
			ReadOnlyRootFilesystem:   ptr.To(true),
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("container (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantVols, vols); diff != "" {
		t.Errorf("volumes (-want +got):\n%s", diff)
	}

	// In the StatefulSet: beside dittofs, with its volumes; dittofs's own
	// container and the config hash do not change with the declaration.
	sts := StatefulSet(ds, in, "hash")
	plain := StatefulSet(fixture.DittoServer(fixture.MinimalSpec()), in, "hash")
	if got := sts.Spec.Template.Spec.Containers; len(got) != 2 || got[1].Name != ContainerReconciler {
		t.Errorf("containers: %v", got)
	}
	if diff := cmp.Diff(plain.Spec.Template.Spec.Containers[0], sts.Spec.Template.Spec.Containers[0]); diff != "" {
		t.Errorf("the dittofs container changed with the declaration (-without +with):\n%s", diff)
	}
}

func TestReconcilerApplies(t *testing.T) {
	pinned := fixture.Input()
	pinned.Images.Reconciler = reconcilerImage
	declared := fixture.MinimalSpec()
	declared.FileService = declaredShare()
	tls := declared
	tls.ControlPlane = &v1alpha1.ControlPlaneSpec{CertSecretName: "api-tls"}
	for name, tc := range map[string]struct {
		reason string
		spec   v1alpha1.DittoServerSpec
		pin    bool
		want   bool
	}{
		"declared and pinned":              {"A declaration and a pinned reconciler image are all the reconciler needs to apply it.", declared, true, true},
		"declared, no image pinned":        {"Without a pinned image there is nothing trustworthy to run: the declaration is rendered but not applied (a Warning says so).", declared, false, false},
		"nothing declared":                 {"With nothing declared a reconciler would only cost a container.", fixture.MinimalSpec(), true, false},
		"declared, control plane over TLS": {"With TLS served the reconciler would need the API's CA, which it is not given yet (docs/fileservice.md): not composed rather than composed failing.", tls, true, false},
	} {
		in := fixture.Input()
		if tc.pin {
			in = pinned
		}
		ds := fixture.DittoServer(tc.spec)
		if got := ReconcilerApplies(ds, in); got != tc.want {
			t.Errorf("%s: %s\nReconcilerApplies(ds, in) = %v, want %v", name, tc.reason, got, tc.want)
		}
		if c, _ := reconcilerSidecar(ds, in); (c != nil) != tc.want {
			t.Errorf("%s: %s\nreconcilerSidecar(ds, in): container %v, want one: %v", name, tc.reason, c != nil, tc.want)
		}
	}
}
