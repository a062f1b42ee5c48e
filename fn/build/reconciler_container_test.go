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
		{Name: "reconciler-token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token", ExpirationSeconds: ptr.To[int64](600)}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
		}}}},
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
			"--status-configmap=files-fileservice-status",
			"--status-namespace=storage",
		},
		Ports: []corev1.ContainerPort{{Name: "reconciler", ContainerPort: 9091, Protocol: corev1.ProtocolTCP}},
		VolumeMounts: []corev1.VolumeMount{
			{Name: "fileservice", MountPath: "/etc/dittofs-declared", ReadOnly: true},
			aliceMount, adminMount,
			{Name: "reconciler-token", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true},
		},
		ReadinessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/readyz", Port: intstr.FromString("reconciler")}},
			PeriodSeconds: 5, TimeoutSeconds: 5, FailureThreshold: 3,
		},
		LivenessProbe: &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("reconciler")}},
			PeriodSeconds: 10, TimeoutSeconds: 5, FailureThreshold: 3,
		},
		Resources:       reconcilerResources(),
		SecurityContext: reconcilerSecurityContext(),
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
	// The pod runs as the reconciler's ServiceAccount but mounts no token
	// by itself: only the reconciler container has one, projected.
	pod := sts.Spec.Template.Spec
	if pod.ServiceAccountName != "files-fileservice-reconciler" || plain.Spec.Template.Spec.ServiceAccountName != "" {
		t.Errorf("serviceAccountName: %q with the reconciler, %q without; want files-fileservice-reconciler and none", pod.ServiceAccountName, plain.Spec.Template.Spec.ServiceAccountName)
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Errorf("automountServiceAccountToken: %v, want false", pod.AutomountServiceAccountToken)
	}
	for _, m := range pod.Containers[0].VolumeMounts {
		if m.Name == "reconciler-token" {
			t.Errorf("the dittofs container mounts the reconciler's token")
		}
	}
}

func TestReconcilerApplies(t *testing.T) {
	declared := fixture.MinimalSpec()
	declared.FileService = declaredShare()
	tls := declared
	tls.ControlPlane = &v1alpha1.ControlPlaneSpec{Port: 8080, CertSecretName: "api-tls"}
	mtls := declared
	mtls.ControlPlane = &v1alpha1.ControlPlaneSpec{Port: 8080, CertSecretName: "api-tls", ClientCASecretName: "api-clients", ReconcilerClientCertSecretName: "reconciler-client-tls"}
	mtlsNothingDeclared := fixture.MinimalSpec()
	mtlsNothingDeclared.ControlPlane = mtls.ControlPlane
	for name, tc := range map[string]struct {
		reason string
		spec   v1alpha1.DittoServerSpec
		want   bool
	}{
		"declared":                          {"A declaration is all the reconciler needs: its image defaults to this release's function image.", declared, true},
		"nothing declared":                  {"With nothing declared a reconciler would only cost a container.", fixture.MinimalSpec(), false},
		"declared, control plane over TLS":  {"Over TLS the reconciler verifies the certificate from the mounted tls.crt, so it is composed.", tls, true},
		"declared, control plane with mTLS": {"Under mTLS the reconciler presents the client certificate reconcilerClientCertSecretName names (spec.Validate requires it), so it is composed.", mtls, true},
		"mTLS, nothing declared":            {"A client certificate alone declares nothing: no reconciler.", mtlsNothingDeclared, false},
	} {
		ds := fixture.DittoServer(tc.spec)
		if got := ReconcilerApplies(ds); got != tc.want {
			t.Errorf("%s: %s\nReconcilerApplies(ds) = %v, want %v", name, tc.reason, got, tc.want)
		}
		if c, _ := reconcilerSidecar(ds, fixture.Input()); (c != nil) != tc.want {
			t.Errorf("%s: %s\nreconcilerSidecar(ds, in): container %v, want one: %v", name, tc.reason, c != nil, tc.want)
		}
	}
}

// TestReconcilerAPI: how the reconciler reaches DittoFS's API, over HTTP on
// 127.0.0.1, or over TLS verifying the API Service's name while dialing
// 127.0.0.1, with only tls.crt of the certificate Secret mounted, and under
// mTLS presenting the client certificate Secret, mounted whole.
func TestReconcilerAPI(t *testing.T) {
	serverCert := podVolume{
		Volume: corev1.Volume{Name: "reconciler-api-tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: "api-tls",
			Items:      []corev1.KeyToPath{{Key: "tls.crt", Path: "tls.crt"}},
		}}},
		Mount: corev1.VolumeMount{Name: "reconciler-api-tls", MountPath: "/etc/dittofs-api-tls", ReadOnly: true},
	}
	clientCert := podVolume{
		Volume: corev1.Volume{Name: "reconciler-api-client-tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "reconciler-client-tls"}}},
		Mount:  corev1.VolumeMount{Name: "reconciler-api-client-tls", MountPath: "/etc/dittofs-api-client-tls", ReadOnly: true},
	}
	tlsArgs := []string{
		"--api-url=https://files-api.storage.svc.cluster.local:8443",
		"--api-address=127.0.0.1:8443",
		"--api-ca-file=/etc/dittofs-api-tls/tls.crt",
	}
	cases := map[string]struct {
		reason   string
		cp       *v1alpha1.ControlPlaneSpec
		domain   string
		wantArgs []string
		wantVols []podVolume
	}{
		"http": {
			reason:   "plain HTTP on the pod's loopback, nothing mounted",
			cp:       &v1alpha1.ControlPlaneSpec{Port: 8080},
			wantArgs: []string{"--api-url=http://127.0.0.1:8080"},
		},
		"http on another port": {
			reason:   "the port is spec.controlPlane.port",
			cp:       &v1alpha1.ControlPlaneSpec{Port: 18080},
			wantArgs: []string{"--api-url=http://127.0.0.1:18080"},
		},
		"tls": {
			reason: "the Service's name in the cluster domain is verified against tls.crt alone, 127.0.0.1 dialed",
			cp:     &v1alpha1.ControlPlaneSpec{Port: 8443, TLS: true, CertSecretName: "api-tls"},
			domain: "k8s.example",
			wantArgs: []string{
				"--api-url=https://files-api.storage.svc.k8s.example:8443",
				"--api-address=127.0.0.1:8443",
				"--api-ca-file=/etc/dittofs-api-tls/tls.crt",
			},
			wantVols: []podVolume{{
				Volume: corev1.Volume{Name: "reconciler-api-tls", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
					SecretName: "api-tls",
					Items:      []corev1.KeyToPath{{Key: "tls.crt", Path: "tls.crt"}},
				}}},
				Mount: corev1.VolumeMount{Name: "reconciler-api-tls", MountPath: "/etc/dittofs-api-tls", ReadOnly: true},
			}},
		},
		"mtls": {
			reason: "under mTLS the reconciler also presents tls.crt and tls.key of reconcilerClientCertSecretName, mounted whole so a missing key is its reported error, not a pod that cannot start",
			cp:     &v1alpha1.ControlPlaneSpec{Port: 8443, CertSecretName: "api-tls", ClientCASecretName: "api-clients", ReconcilerClientCertSecretName: "reconciler-client-tls"},
			wantArgs: append(append([]string{}, tlsArgs...),
				"--api-client-cert=/etc/dittofs-api-client-tls/tls.crt",
				"--api-client-key=/etc/dittofs-api-client-tls/tls.key",
			),
			wantVols: []podVolume{serverCert, clientCert},
		},
		"client cert without mTLS": {
			reason:   "a client certificate for a server that verifies none is not mounted (spec.Validate refuses it before this)",
			cp:       &v1alpha1.ControlPlaneSpec{Port: 8443, CertSecretName: "api-tls", ReconcilerClientCertSecretName: "reconciler-client-tls"},
			wantArgs: tlsArgs,
			wantVols: []podVolume{serverCert},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := fixture.MinimalSpec()
			s.FileService = declaredShare()
			s.ControlPlane = tc.cp
			in := fixture.Input()
			if tc.domain != "" {
				in.ClusterDomain = tc.domain
			}
			ds := fixture.DittoServer(s)
			args, vols := reconcilerAPI(ds, in)
			if diff := cmp.Diff(tc.wantArgs, args); diff != "" {
				t.Errorf("%s\nargs (-want +got):\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.wantVols, vols); diff != "" {
				t.Errorf("%s\nvolumes (-want +got):\n%s", tc.reason, diff)
			}
		})
	}
}

// TestReconcilerPrestart: the pre-start init container comes with a
// postgres metadata store on the server's own Percona cluster, after the
// wait for the database, and mounts the declaration and that store's
// Secret alone; a postgres store elsewhere, or none, gets none.
func TestReconcilerPrestart(t *testing.T) {
	in := fixture.Input()
	in.Images.Reconciler = reconcilerImage
	withStore := func(pg *v1alpha1.FilePostgresStore) v1alpha1.DittoServerSpec {
		s := fixture.PerconaSpec(nil)
		s.FileService = declaredShare()
		s.FileService.MetadataStores = append(s.FileService.MetadataStores, v1alpha1.FileMetadataStore{Name: "pg", Type: "postgres", Postgres: pg})
		return s
	}
	onCluster := &corev1.Container{
		Name:    ContainerPrestart,
		Image:   reconcilerImage,
		Command: []string{"/reconciler"},
		Args:    []string{"--prestart", "--config=/etc/dittofs-declared/config.yaml", "--database-ca-file=/etc/dittofs/postgres-ca/ca.crt"},
		VolumeMounts: []corev1.VolumeMount{
			{Name: "fileservice", MountPath: "/etc/dittofs-declared", ReadOnly: true},
			{Name: declaredSecretVolume("files-postgres-pguser-dittofs"), MountPath: "/etc/dittofs-declared-secrets/files-postgres-pguser-dittofs", ReadOnly: true},
			{Name: "postgres-ca", MountPath: "/etc/dittofs/postgres-ca", ReadOnly: true},
		},
		Resources:       reconcilerResources(),
		SecurityContext: reconcilerSecurityContext(),
	}
	cases := map[string]struct {
		reason string
		spec   v1alpha1.DittoServerSpec
		want   *corev1.Container
	}{
		"OnTheCluster": {
			reason: "A postgres store with the defaults is on the server's own cluster: its record must name that cluster before DittoFS opens it.",
			spec:   withStore(nil), want: onCluster,
		},
		"TheClusterNamedExplicitly": {
			reason: "Naming the cluster's own user Secret is the same store.",
			spec:   withStore(&v1alpha1.FilePostgresStore{SecretName: "files-postgres-pguser-dittofs"}), want: onCluster,
		},
		"Elsewhere": {
			reason: "A store on another PostgreSQL is not restored with the cluster: its record is never rewritten before start.",
			spec:   withStore(&v1alpha1.FilePostgresStore{SecretName: "other-postgres", Database: "meta"}),
		},
		"NoPostgresStore": {
			reason: "Badger and memory stores are on the pod's volumes.",
			spec: func() v1alpha1.DittoServerSpec {
				s := fixture.PerconaSpec(nil)
				s.FileService = declaredShare()
				return s
			}(),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pod := StatefulSet(fixture.DittoServer(tc.spec), in, "hash").Spec.Template.Spec
			var got *corev1.Container
			var names []string
			for i, c := range pod.InitContainers {
				names = append(names, c.Name)
				if c.Name == ContainerPrestart {
					got = &pod.InitContainers[i]
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nreconcilerPrestart: -want, +got:\n%s", tc.reason, diff)
			}
			if tc.want != nil && !cmp.Equal(names, []string{"wait-for-database", ContainerPrestart}) {
				t.Errorf("%s\ninit containers %v, want the wait for the database first", tc.reason, names)
			}
		})
	}
}

// reconcilerResources and reconcilerSecurityContext are the reconciler's
// containers' own.
func reconcilerResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
	}
}

func reconcilerSecurityContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		RunAsNonRoot:             ptr.To(true),
		ReadOnlyRootFilesystem:   ptr.To(true),
		SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}
