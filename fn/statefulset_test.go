package fn

import (
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/input/v1beta1"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

var (
	serverLabels = map[string]string{
		"app.kubernetes.io/name":       "dittofs",
		"app.kubernetes.io/instance":   "files",
		"app.kubernetes.io/component":  "server",
		"app.kubernetes.io/managed-by": "function-dittofs",
	}
	podSelector = map[string]string{"app.kubernetes.io/name": "dittofs", "app.kubernetes.io/instance": "files"}
)

func secretKeyEnv(name, secret, key string, optional bool) corev1.EnvVar {
	sel := &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: secret}, Key: key}
	if optional {
		sel.Optional = ptr.To(true)
	}
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: sel}}
}

func httpProbe(scheme corev1.URIScheme, path string, delay, period, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:        corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("api"), Scheme: scheme}},
		InitialDelaySeconds: delay, PeriodSeconds: period, TimeoutSeconds: 5, FailureThreshold: failures,
	}
}

func tcpProbe(delay, period, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:        corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromString("api")}},
		InitialDelaySeconds: delay, PeriodSeconds: period, TimeoutSeconds: 5, FailureThreshold: failures,
	}
}

func claimTemplate(name, size string, class *string) corev1.PersistentVolumeClaim {
	return corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: podSelector},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: class,
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
		},
	}
}

// sqliteStatefulSet is the whole StatefulSet of minimalSpec with config
// hash "h".
func sqliteStatefulSet() *appsv1.StatefulSet {
	return &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: "files", Namespace: "storage", Labels: serverLabels,
			Annotations: map[string]string{"dittofs.io/database": "sqlite"},
		},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    ptr.To[int32](1),
			ServiceName: "files-headless",
			Selector:    &metav1.LabelSelector{MatchLabels: podSelector},
			PersistentVolumeClaimRetentionPolicy: &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
				WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
				WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
			},
			UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: serverLabels, Annotations: map[string]string{"dittofs.io/config-hash": "h"}},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: ptr.To(false),
					EnableServiceLinks:           ptr.To(false),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   ptr.To(true),
						RunAsUser:      ptr.To[int64](65532),
						RunAsGroup:     ptr.To[int64](65532),
						FSGroup:        ptr.To[int64](65532),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					TerminationGracePeriodSeconds: ptr.To[int64](105),
					Containers: []corev1.Container{{
						Name:    "dittofs",
						Image:   "docker.io/marmos91c/dittofs:v0.29.0",
						Command: []string{"/app/dfs"},
						Args:    []string{"start", "--foreground", "--config", "/config/config.yaml"},
						Ports: []corev1.ContainerPort{
							{Name: "api", ContainerPort: 8080, Protocol: corev1.ProtocolTCP},
							{Name: "nfs", ContainerPort: 12049, Protocol: corev1.ProtocolTCP},
							{Name: "smb", ContainerPort: 1445, Protocol: corev1.ProtocolTCP},
						},
						Env: []corev1.EnvVar{
							secretKeyEnv("DITTOFS_ADMIN_INITIAL_PASSWORD", "files-admin", "password", false),
							secretKeyEnv("DITTOFS_CONTROLPLANE_SECRET", "files-jwt", "jwt-secret", false),
						},
						VolumeMounts: []corev1.VolumeMount{
							{Name: "config", MountPath: "/config", ReadOnly: true},
							{Name: "metadata", MountPath: "/data/store/metadata"},
							{Name: "controlplane", MountPath: "/data/controlplane"},
						},
						LivenessProbe:  httpProbe(corev1.URISchemeHTTP, "/health", 15, 10, 3),
						ReadinessProbe: httpProbe(corev1.URISchemeHTTP, "/health/ready", 10, 5, 3),
						StartupProbe:   httpProbe(corev1.URISchemeHTTP, "/health", 0, 5, 30),
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: ptr.To(false),
							RunAsNonRoot:             ptr.To(true),
							SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
						Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{
							Exec: &corev1.ExecAction{Command: []string{"/bin/sh", "-c", "sleep 5"}},
						}},
					}},
					Volumes: []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
						LocalObjectReference: corev1.LocalObjectReference{Name: "files-config"},
					}}}},
				},
			},
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{
				claimTemplate("metadata", "10Gi", nil),
				claimTemplate("controlplane", "1Gi", nil),
			},
		},
	}
}

// perconaStatefulSet is the whole StatefulSet of perconaSpec(nil): the
// database connection from the Percona user Secret over verified TLS, its
// CA mounted, and the init container that waits for a login.
func perconaStatefulSet() *appsv1.StatefulSet {
	sts := sqliteStatefulSet()
	sts.Annotations["dittofs.io/database"] = "percona"
	pod := &sts.Spec.Template.Spec
	pod.Containers[0].Env = []corev1.EnvVar{
		secretKeyEnv("DITTOFS_ADMIN_INITIAL_PASSWORD", "files-admin", "password", false),
		secretKeyEnv("DITTOFS_CONTROLPLANE_SECRET", "files-jwt", "jwt-secret", false),
		secretKeyEnv("DITTOFS_DATABASE_POSTGRES_DATABASE", "files-postgres-pguser-dittofs", "dbname", false),
		secretKeyEnv("DITTOFS_DATABASE_POSTGRES_HOST", "files-postgres-pguser-dittofs", "host", false),
		secretKeyEnv("DITTOFS_DATABASE_POSTGRES_PASSWORD", "files-postgres-pguser-dittofs", "password", false),
		secretKeyEnv("DITTOFS_DATABASE_POSTGRES_PORT", "files-postgres-pguser-dittofs", "port", true),
		{Name: "DITTOFS_DATABASE_POSTGRES_SSLMODE", Value: "verify-full"},
		{Name: "DITTOFS_DATABASE_POSTGRES_SSL_ROOT_CERT", Value: "/etc/dittofs/postgres-ca/ca.crt"},
		secretKeyEnv("DITTOFS_DATABASE_POSTGRES_USER", "files-postgres-pguser-dittofs", "user", false),
		{Name: "PGCONNECT_TIMEOUT", Value: "10"},
	}
	pod.Containers[0].VolumeMounts = []corev1.VolumeMount{
		{Name: "config", MountPath: "/config", ReadOnly: true},
		{Name: "postgres-ca", MountPath: "/etc/dittofs/postgres-ca", ReadOnly: true},
		{Name: "metadata", MountPath: "/data/store/metadata"},
		{Name: "controlplane", MountPath: "/data/controlplane"},
	}
	pod.Volumes = append(pod.Volumes, corev1.Volume{Name: "postgres-ca", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
		SecretName: "files-postgres-cluster-cert",
		Items:      []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
	}}})
	pod.InitContainers = []corev1.Container{{
		Name:    "wait-for-database",
		Image:   "docker.io/percona/percona-distribution-postgresql:17.9-1",
		Command: []string{"/bin/sh", "-c", build.WaitForDatabaseScript},
		Env: []corev1.EnvVar{
			{Name: "HOME", Value: "/tmp"},
			{Name: "PGCONNECT_TIMEOUT", Value: "5"},
			secretKeyEnv("PGDATABASE", "files-postgres-pguser-dittofs", "dbname", false),
			secretKeyEnv("PGHOST", "files-postgres-pguser-dittofs", "host", false),
			secretKeyEnv("PGPASSWORD", "files-postgres-pguser-dittofs", "password", false),
			secretKeyEnv("PGPORT", "files-postgres-pguser-dittofs", "port", true),
			{Name: "PGSSLMODE", Value: "verify-full"},
			{Name: "PGSSLROOTCERT", Value: "/etc/dittofs/postgres-ca/ca.crt"},
			secretKeyEnv("PGUSER", "files-postgres-pguser-dittofs", "user", false),
		},
		VolumeMounts: []corev1.VolumeMount{{Name: "postgres-ca", MountPath: "/etc/dittofs/postgres-ca", ReadOnly: true}},
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			RunAsNonRoot:             ptr.To(true),
			ReadOnlyRootFilesystem:   ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
		},
	}}
	return sts
}

func TestStatefulSet(t *testing.T) {
	mutated := func(base v1alpha1.DittoServerSpec, mutate func(*v1alpha1.DittoServerSpec)) v1alpha1.DittoServerSpec {
		mutate(&base)
		return base
	}
	want := func(base *appsv1.StatefulSet, mutate func(*appsv1.StatefulSet)) *appsv1.StatefulSet {
		mutate(base)
		return base
	}
	container := func(sts *appsv1.StatefulSet) *corev1.Container { return &sts.Spec.Template.Spec.Containers[0] }
	probes := func(c *corev1.Container, live, ready, startup *corev1.Probe) {
		c.LivenessProbe, c.ReadinessProbe, c.StartupProbe = live, ready, startup
	}

	cases := map[string]struct {
		reason string
		spec   v1alpha1.DittoServerSpec
		in     v1beta1.Input
		via    bool // DittoFS goes through PgBouncer (bindPGBouncer decided)
		want   *appsv1.StatefulSet
	}{
		"SQLiteMinimal": {
			reason: "A minimal XR must give a pod that starts on its own volumes with the hardened defaults; every other case is this one with a difference, so a drift here shows once, not in every case.",
			spec:   fixture.MinimalSpec(),
			want:   sqliteStatefulSet(),
		},
		"Percona": {
			reason: "With Percona the control plane's connection comes only from the operator's user Secret (never a value in the spec), and the wait container holds DittoFS back until PostgreSQL answers over verify-full TLS.",
			spec:   fixture.PerconaSpec(nil),
			want:   perconaStatefulSet(),
		},
		"PerconaThroughPgBouncer": {
			reason: "Through PgBouncer only the host and port keys change, in both containers: the same database, user, password, verify-full and CA, so no credential or TLS setting is lost by pooling.",
			spec: mutated(fixture.PerconaSpec(nil), func(s *v1alpha1.DittoServerSpec) {
				s.Percona.Proxy = &v1alpha1.PerconaProxySpec{PGBouncer: &v1alpha1.PerconaPGBouncerSpec{Enabled: true}}
			}),
			via: true,
			want: want(perconaStatefulSet(), func(sts *appsv1.StatefulSet) {
				pod := &sts.Spec.Template.Spec
				for _, env := range []*[]corev1.EnvVar{&pod.Containers[0].Env, &pod.InitContainers[0].Env} {
					for i, e := range *env {
						switch e.Name {
						case "DITTOFS_DATABASE_POSTGRES_HOST", "PGHOST":
							(*env)[i].ValueFrom.SecretKeyRef.Key = "pgbouncer-host"
						case "DITTOFS_DATABASE_POSTGRES_PORT", "PGPORT":
							(*env)[i].ValueFrom.SecretKeyRef.Key = "pgbouncer-port"
						}
					}
				}
			}),
		},
		"PerconaWaitImageFromInputAndClusterMajor": {
			reason: "The wait container's psql comes from the Input's image for the cluster's PostgreSQL major, so it speaks the server's version and is pulled from where the cluster's images are.",
			spec:   mutated(fixture.PerconaSpec(nil), func(s *v1alpha1.DittoServerSpec) { s.Percona.PostgresVersion = 16 }),
			want: want(perconaStatefulSet(), func(sts *appsv1.StatefulSet) {
				sts.Spec.Template.Spec.InitContainers[0].Image = "docker.io/percona/percona-distribution-postgresql:16.13-1"
			}),
		},
		"PerconaWaitImagePinnedByInput": {
			reason: "An Input that pins the wait image (a private registry, an air-gapped cluster) must be obeyed, or the pod never pulls.",
			spec:   fixture.PerconaSpec(nil),
			in:     spec.InputWithDefaults(v1beta1.Input{Images: v1beta1.Images{DatabaseWait: "registry.example/psql:1"}}),
			want: want(perconaStatefulSet(), func(sts *appsv1.StatefulSet) {
				sts.Spec.Template.Spec.InitContainers[0].Image = "registry.example/psql:1"
			}),
		},
		"ExternalPostgresWithCA": {
			reason: "An external PostgreSQL's connection comes from the user's Secret and its CA is mounted from the key named, with the sslmode asked: a wrong key or mode would connect unverified or not at all.",
			spec: mutated(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) {
				s.Database = &v1alpha1.DatabaseSpec{
					Type: "postgres", PostgresSecretRef: &v1alpha1.SecretKeySelector{Name: "pg"},
					SSLMode: "verify-ca", CASecretRef: &v1alpha1.SecretKeySelector{Name: "pg-ca", Key: "root.pem"},
				}
			}),
			want: want(perconaStatefulSet(), func(sts *appsv1.StatefulSet) {
				sts.Annotations["dittofs.io/database"] = "postgres"
				pod := &sts.Spec.Template.Spec
				for _, env := range []*[]corev1.EnvVar{&pod.Containers[0].Env, &pod.InitContainers[0].Env} {
					for i, e := range *env {
						if e.ValueFrom != nil {
							(*env)[i].ValueFrom.SecretKeyRef.Name = "pg"
							if e.ValueFrom.SecretKeyRef.Key == "dbname" {
								(*env)[i].ValueFrom.SecretKeyRef.Key = "database"
							}
						}
						if e.Value == "verify-full" {
							(*env)[i].Value = "verify-ca"
						}
					}
				}
				pod.Containers[0].Env[0].ValueFrom.SecretKeyRef.Name = "files-admin"
				pod.Containers[0].Env[1].ValueFrom.SecretKeyRef.Name = "files-jwt"
				pod.Volumes[1].Secret = &corev1.SecretVolumeSource{SecretName: "pg-ca", Items: []corev1.KeyToPath{{Key: "root.pem", Path: "ca.crt"}}}
			}),
		},
		"ExternalPostgresWithoutCAHasNoCAVolume": {
			reason: "Without a CA there is no CA volume to mount (a Secret that does not exist would keep the pod Pending) and the sslmode falls back to require.",
			spec: mutated(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) {
				s.Database = &v1alpha1.DatabaseSpec{Type: "postgres", PostgresSecretRef: &v1alpha1.SecretKeySelector{Name: "pg"}}
			}),
			want: want(sqliteStatefulSet(), func(sts *appsv1.StatefulSet) {
				sts.Annotations["dittofs.io/database"] = "postgres"
				pod := &sts.Spec.Template.Spec
				pod.Containers[0].Env = []corev1.EnvVar{
					secretKeyEnv("DITTOFS_ADMIN_INITIAL_PASSWORD", "files-admin", "password", false),
					secretKeyEnv("DITTOFS_CONTROLPLANE_SECRET", "files-jwt", "jwt-secret", false),
					secretKeyEnv("DITTOFS_DATABASE_POSTGRES_DATABASE", "pg", "database", false),
					secretKeyEnv("DITTOFS_DATABASE_POSTGRES_HOST", "pg", "host", false),
					secretKeyEnv("DITTOFS_DATABASE_POSTGRES_PASSWORD", "pg", "password", false),
					secretKeyEnv("DITTOFS_DATABASE_POSTGRES_PORT", "pg", "port", true),
					{Name: "DITTOFS_DATABASE_POSTGRES_SSLMODE", Value: "require"},
					secretKeyEnv("DITTOFS_DATABASE_POSTGRES_USER", "pg", "user", false),
					{Name: "PGCONNECT_TIMEOUT", Value: "10"},
				}
				wait := perconaStatefulSet().Spec.Template.Spec.InitContainers[0]
				wait.Env = []corev1.EnvVar{
					{Name: "HOME", Value: "/tmp"},
					{Name: "PGCONNECT_TIMEOUT", Value: "5"},
					secretKeyEnv("PGDATABASE", "pg", "database", false),
					secretKeyEnv("PGHOST", "pg", "host", false),
					secretKeyEnv("PGPASSWORD", "pg", "password", false),
					secretKeyEnv("PGPORT", "pg", "port", true),
					{Name: "PGSSLMODE", Value: "require"},
					secretKeyEnv("PGUSER", "pg", "user", false),
				}
				wait.VolumeMounts = nil
				pod.InitContainers = []corev1.Container{wait}
			}),
		},
		"ContentVolumeOnlyWithContentSize": {
			reason: "The content volume exists only when sized, and every claim uses the storage class asked: a claim nobody asked for costs storage, one in the wrong class the wrong disks.",
			spec: mutated(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) {
				s.Storage.ContentSize = "100Gi"
				s.Storage.ControlPlaneSize = "2Gi"
				s.Storage.StorageClassName = ptr.To("fast")
			}),
			want: want(sqliteStatefulSet(), func(sts *appsv1.StatefulSet) {
				container(sts).VolumeMounts = []corev1.VolumeMount{
					{Name: "config", MountPath: "/config", ReadOnly: true},
					{Name: "metadata", MountPath: "/data/store/metadata"},
					{Name: "content", MountPath: "/data/store/block"},
					{Name: "controlplane", MountPath: "/data/controlplane"},
				}
				sts.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{
					claimTemplate("metadata", "10Gi", ptr.To("fast")),
					claimTemplate("content", "100Gi", ptr.To("fast")),
					claimTemplate("controlplane", "2Gi", ptr.To("fast")),
				}
			}),
		},
		"StorageClassFromInput": {
			reason: "The Input's storage class is the default for every claim when the XR names none, so one platform setting reaches every DittoServer.",
			spec:   fixture.MinimalSpec(),
			in:     spec.InputWithDefaults(v1beta1.Input{StorageClassName: "standard"}),
			want: want(sqliteStatefulSet(), func(sts *appsv1.StatefulSet) {
				sts.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{
					claimTemplate("metadata", "10Gi", ptr.To("standard")),
					claimTemplate("controlplane", "1Gi", ptr.To("standard")),
				}
			}),
		},
		"ServedTLSProbesHTTPSAndMountsTheCert": {
			reason: "A served certificate moves the probes to HTTPS (HTTP probes on a TLS port would fail and restart the pod forever) and mounts the certificate Secret.",
			spec: mutated(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) {
				s.ControlPlane = &v1alpha1.ControlPlaneSpec{CertSecretName: "api-tls"}
			}),
			want: want(sqliteStatefulSet(), func(sts *appsv1.StatefulSet) {
				c := container(sts)
				probes(c,
					httpProbe(corev1.URISchemeHTTPS, "/health", 15, 10, 3),
					httpProbe(corev1.URISchemeHTTPS, "/health/ready", 10, 5, 3),
					httpProbe(corev1.URISchemeHTTPS, "/health", 0, 5, 30))
				c.VolumeMounts = []corev1.VolumeMount{
					{Name: "config", MountPath: "/config", ReadOnly: true},
					{Name: "tls-cert", MountPath: "/tls", ReadOnly: true},
					{Name: "metadata", MountPath: "/data/store/metadata"},
					{Name: "controlplane", MountPath: "/data/controlplane"},
				}
				sts.Spec.Template.Spec.Volumes = append(sts.Spec.Template.Spec.Volumes,
					corev1.Volume{Name: "tls-cert", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "api-tls"}}})
			}),
		},
		"MutualTLSProbesTCP": {
			reason: "With client certificates required the kubelet cannot pass an HTTPS probe, so the probes are TCP; and the client CA is mounted for DittoFS to verify with.",
			spec: mutated(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) {
				s.ControlPlane = &v1alpha1.ControlPlaneSpec{CertSecretName: "api-tls", ClientCASecretName: "api-clients"}
			}),
			want: want(sqliteStatefulSet(), func(sts *appsv1.StatefulSet) {
				c := container(sts)
				probes(c, tcpProbe(15, 10, 3), tcpProbe(10, 5, 3), tcpProbe(0, 5, 30))
				c.VolumeMounts = []corev1.VolumeMount{
					{Name: "config", MountPath: "/config", ReadOnly: true},
					{Name: "tls-cert", MountPath: "/tls", ReadOnly: true},
					{Name: "tls-client-ca", MountPath: "/tls-client-ca", ReadOnly: true},
					{Name: "metadata", MountPath: "/data/store/metadata"},
					{Name: "controlplane", MountPath: "/data/controlplane"},
				}
				sts.Spec.Template.Spec.Volumes = append(sts.Spec.Template.Spec.Volumes,
					corev1.Volume{Name: "tls-cert", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "api-tls"}}},
					corev1.Volume{Name: "tls-client-ca", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
						SecretName: "api-clients", Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}},
					}}})
			}),
		},
		"UserSecurityContextMergedKeepsDropAll": {
			reason: "The user's settings win, unset fields are hardened, and ALL is dropped even when the user drops only some: a partial context must not undo the hardening.",
			spec: mutated(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) {
				s.SecurityContext = &corev1.SecurityContext{
					ReadOnlyRootFilesystem: ptr.To(true),
					RunAsNonRoot:           ptr.To(false),
					Capabilities:           &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}, Drop: []corev1.Capability{"NET_RAW"}},
				}
				s.PodSecurityContext = &corev1.PodSecurityContext{
					RunAsUser:      ptr.To[int64](1000),
					SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("dittofs.json")},
				}
			}),
			want: want(sqliteStatefulSet(), func(sts *appsv1.StatefulSet) {
				container(sts).SecurityContext = &corev1.SecurityContext{
					ReadOnlyRootFilesystem:   ptr.To(true),
					RunAsNonRoot:             ptr.To(false),
					AllowPrivilegeEscalation: ptr.To(false),
					SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					Capabilities:             &corev1.Capabilities{Add: []corev1.Capability{"NET_BIND_SERVICE"}, Drop: []corev1.Capability{"NET_RAW", "ALL"}},
				}
				sts.Spec.Template.Spec.SecurityContext = &corev1.PodSecurityContext{
					RunAsNonRoot:   ptr.To(true),
					RunAsUser:      ptr.To[int64](1000),
					RunAsGroup:     ptr.To[int64](65532),
					FSGroup:        ptr.To[int64](65532),
					SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("dittofs.json")},
				}
			}),
		},
		"UserDropAllIsNotDuplicated": {
			reason: "A user who already drops ALL gets it once, so the pod spec equals the default one and applying it does not churn.",
			spec: mutated(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) {
				s.SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
			}),
			want: sqliteStatefulSet(),
		},
		"ReplicasZero": {
			reason: "Zero replicas is a real request (a stopped server, a restore) and must not be replaced by the default of one.",
			spec:   mutated(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Replicas = ptr.To[int32](0) }),
			want:   want(sqliteStatefulSet(), func(sts *appsv1.StatefulSet) { sts.Spec.Replicas = ptr.To[int32](0) }),
		},
		"ImageResourcesGraceAndPortsFromSpec": {
			reason: "The image, resources, grace period and ports the user sets reach the container, and a disabled adapter opens no port.",
			spec: mutated(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) {
				s.Image = "registry.example/dittofs:dev"
				s.TerminationGracePeriodSeconds = ptr.To[int64](60)
				s.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}
				s.ControlPlane = &v1alpha1.ControlPlaneSpec{Port: 9000}
				s.Adapters = &v1alpha1.AdaptersSpec{NFS: &v1alpha1.AdapterSpec{Port: 2049}, SMB: &v1alpha1.AdapterSpec{Enabled: ptr.To(false)}}
				s.Metrics = &v1alpha1.MetricsSpec{Enabled: true, Port: 9100}
			}),
			want: want(sqliteStatefulSet(), func(sts *appsv1.StatefulSet) {
				c := container(sts)
				c.Image = "registry.example/dittofs:dev"
				c.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")}}
				c.Ports = []corev1.ContainerPort{
					{Name: "api", ContainerPort: 9000, Protocol: corev1.ProtocolTCP},
					{Name: "nfs", ContainerPort: 2049, Protocol: corev1.ProtocolTCP},
					{Name: "metrics", ContainerPort: 9100, Protocol: corev1.ProtocolTCP},
				}
				sts.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To[int64](60)
			}),
		},
		"SecretsConfigPointsAtAreMounted": {
			reason: "Every file config.yaml points at (token, LDAP CA, keytabs, krb5.conf) is mounted at that path, and every secret value comes through env from its Secret, never from the ConfigMap.",
			spec: mutated(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) {
				s.Metrics = &v1alpha1.MetricsSpec{Enabled: true, BearerTokenSecret: &v1alpha1.SecretKeySelector{Name: "scrape"}}
				s.Identity = &v1alpha1.IdentitySpec{
					LDAP: &v1alpha1.LDAPSpec{
						Enabled: true, URL: "ldaps://dc", BaseDN: "dc=x", BindDN: "cn=y",
						BindPasswordSecretRef: &v1alpha1.SecretKeySelector{Name: "ldap", Key: "pw"},
						CACertSecretRef:       &v1alpha1.SecretKeySelector{Name: "ldap-ca"},
					},
					Kerberos: &v1alpha1.KerberosSpec{
						Enabled: true, ServicePrincipal: "nfs/x@X",
						KeytabSecretRef:   &v1alpha1.SecretKeySelector{Name: "keytab"},
						Krb5ConfSecretRef: &v1alpha1.SecretKeySelector{Name: "krb5", Key: "conf"},
						MachineAccount: &v1alpha1.MachineAccountSpec{
							Enabled: true, AccountName: "X$",
							SecretRef:       &v1alpha1.SecretKeySelector{Name: "machine", Key: "s"},
							KeytabSecretRef: &v1alpha1.SecretKeySelector{Name: "machine-keytab"},
						},
					},
				}
			}),
			want: want(sqliteStatefulSet(), func(sts *appsv1.StatefulSet) {
				c := container(sts)
				c.Ports = append(c.Ports, corev1.ContainerPort{Name: "metrics", ContainerPort: 9090, Protocol: corev1.ProtocolTCP})
				c.Env = []corev1.EnvVar{
					secretKeyEnv("DITTOFS_ADMIN_INITIAL_PASSWORD", "files-admin", "password", false),
					secretKeyEnv("DITTOFS_CONTROLPLANE_SECRET", "files-jwt", "jwt-secret", false),
					secretKeyEnv("DITTOFS_KERBEROS_MACHINE_ACCOUNT_SECRET", "machine", "s", false),
					secretKeyEnv("DITTOFS_LDAP_BIND_PASSWORD", "ldap", "pw", false),
				}
				c.VolumeMounts = []corev1.VolumeMount{
					{Name: "config", MountPath: "/config", ReadOnly: true},
					{Name: "metrics-token", MountPath: "/metrics-token", ReadOnly: true},
					{Name: "ldap-ca", MountPath: "/ldap-ca", ReadOnly: true},
					{Name: "kerberos-keytab", MountPath: "/kerberos", ReadOnly: true},
					{Name: "kerberos-krb5", MountPath: "/kerberos-krb5", ReadOnly: true},
					{Name: "kerberos-machine-keytab", MountPath: "/kerberos-machine", ReadOnly: true},
					{Name: "metadata", MountPath: "/data/store/metadata"},
					{Name: "controlplane", MountPath: "/data/controlplane"},
				}
				keyVolume := func(name, secret, key, path string, mode *int32) corev1.Volume {
					return corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
						SecretName: secret, Items: []corev1.KeyToPath{{Key: key, Path: path, Mode: mode}},
					}}}
				}
				sts.Spec.Template.Spec.Volumes = append(sts.Spec.Template.Spec.Volumes,
					keyVolume("metrics-token", "scrape", "token", "token", nil),
					keyVolume("ldap-ca", "ldap-ca", "ca.crt", "ca.crt", nil),
					keyVolume("kerberos-keytab", "keytab", "dittofs.keytab", "dittofs.keytab", ptr.To[int32](0o440)),
					keyVolume("kerberos-krb5", "krb5", "conf", "krb5.conf", nil),
					keyVolume("kerberos-machine-keytab", "machine-keytab", "machine.keytab", "machine.keytab", ptr.To[int32](0o440)),
				)
			}),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := tc.in
			if in.CRVersion == "" {
				in = fixture.Input()
			}
			ds := fixture.DittoServer(tc.spec)
			ds.Spec = spec.WithDefaults(tc.spec, in)
			ds.ViaPGBouncer = tc.via
			got := build.StatefulSet(ds, in, "h")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nbuild.StatefulSet(ds, in, configHash): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestStatefulSetConfigHash: the pod's config-hash annotation is the XR's
// status.configHash, and moves when, and only when, what DittoFS reads at
// start moves.
func TestStatefulSetConfigHash(t *testing.T) {
	const base = `{"storage":{"metadataSize":"10Gi"}}`
	hashes := func(t *testing.T, spec string) (annotation, status string) {
		t.Helper()
		rsp := compose(t, xrRequest(spec))
		return templateConfigHash(t, rsp), statusConfigHash(rsp)
	}
	baseHash, baseStatus := hashes(t, base)
	config, _ := build.RenderConfig(build.Config(fixture.DittoServer(fixture.MinimalSpec())))
	generated := generatedSecrets{
		JWT:           []byte(base64RawURL(counting(0, 32))),
		AdminPassword: []byte(base64RawURL(counting(32, 18))),
	}
	if want := configHash(config, generated); baseHash != want || baseStatus != want {
		t.Fatalf("config-hash annotation %q, status.configHash %q; want both %q", baseHash, baseStatus, want)
	}

	// The same spec twice giving the same hash is TestDeterminism's; the
	// base hash itself is checked against configHash above.
	cases := map[string]struct {
		reason string
		spec   string
		rolls  bool
	}{
		"ReplicasDoNotRoll":        {reason: "Scaling must not restart the running pods: replicas is not something DittoFS reads at start.", spec: `{"storage":{"metadataSize":"10Gi"},"replicas":0}`},
		"ServiceTypeDoesNotRoll":   {reason: "The Service type is outside the pod: changing it must not restart DittoFS.", spec: `{"storage":{"metadataSize":"10Gi"},"service":{"type":"LoadBalancer"}}`},
		"ResourcesDoNotRollByHash": {reason: "Resources roll the pod through the template itself; counting them in the hash too would mean a second, needless restart reason.", spec: `{"storage":{"metadataSize":"10Gi"},"resources":{"limits":{"memory":"2Gi"}}}`},
		"LoggingLevelRolls":        {reason: "DittoFS reads its log level only at start: a new level without a roll would never take effect.", spec: `{"storage":{"metadataSize":"10Gi"},"logging":{"level":"DEBUG"}}`, rolls: true},
		"MetricsOnRolls":           {reason: "The metrics listener opens only at start, so turning metrics on must roll the pod.", spec: `{"storage":{"metadataSize":"10Gi"},"metrics":{"enabled":true}}`, rolls: true},
		"APIPortRolls":             {reason: "The API port is read at start; without a roll the Service would point at a port nobody listens on.", spec: `{"storage":{"metadataSize":"10Gi"},"controlPlane":{"port":9000}}`, rolls: true},
		"UserJWTSecretRolls":       {reason: "A new JWT secret must roll the pod, or DittoFS would keep signing tokens with the old one.", spec: `{"storage":{"metadataSize":"10Gi"},"identity":{"jwt":{"secretRef":{"name":"mine"}}}}`, rolls: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			annotation, status := hashes(t, tc.spec)
			if annotation != status {
				t.Errorf("%s\nRunFunction(): config-hash annotation %q != status.configHash %q", tc.reason, annotation, status)
			}
			if rolled := annotation != baseHash; rolled != tc.rolls {
				t.Errorf("%s\nRunFunction(): config hash %q (base %q): rolls = %v, want %v", tc.reason, annotation, baseHash, rolled, tc.rolls)
			}
		})
	}
}

// TestStatefulSetDatabaseAnnotation: the StatefulSet records what its
// control plane lives on, for the database guard.
func TestStatefulSetDatabaseAnnotation(t *testing.T) {
	cases := map[string]struct {
		reason string
		req    *fnv1.RunFunctionRequest
		want   string
	}{
		"SQLite":           {reason: "The database guard must know a SQLite control plane is on the pod's volume, so a move to PostgreSQL that would orphan it is caught.", req: xrRequest(`{"storage":{"metadataSize":"10Gi"}}`), want: "sqlite"},
		"SQLiteExplicit":   {reason: "type sqlite written out is the same as left out; the guard must not see a change of database where there is none.", req: xrRequest(`{"storage":{"metadataSize":"10Gi"},"database":{"type":"sqlite"}}`), want: "sqlite"},
		"ExternalPostgres": {reason: "An external PostgreSQL is recorded as such, so a later move to Percona (a new, empty database) is caught by the guard.", req: xrRequest(`{"storage":{"metadataSize":"10Gi"},"database":{"type":"postgres","postgresSecretRef":{"name":"pg"}}}`), want: "postgres"},
		"Percona": {
			reason: "A Percona control plane is recorded as percona, so turning Percona off (losing that database) is caught by the guard.",
			req:    withObserved(xrRequest(`{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`), "percona-cluster", readyCluster),
			want:   "percona",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := compose(t, tc.req)
			sts := &appsv1.StatefulSet{}
			desiredInto(t, rsp, keyStatefulSet, sts)
			if diff := cmp.Diff(tc.want, sts.Annotations[build.AnnotationDatabase]); diff != "" {
				t.Errorf("%s\nRunFunction(): StatefulSet annotation %s: -want, +got:\n%s", tc.reason, build.AnnotationDatabase, diff)
			}
		})
	}
}

func base64RawURL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
