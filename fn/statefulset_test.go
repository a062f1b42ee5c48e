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
		spec v1alpha1.DittoServerSpec
		in   v1beta1.Input
		want *appsv1.StatefulSet
	}{
		"SQLiteMinimal": {
			spec: fixture.MinimalSpec(),
			want: sqliteStatefulSet(),
		},
		"Percona": {
			spec: fixture.PerconaSpec(nil),
			want: perconaStatefulSet(),
		},
		"PerconaWaitImageFromInputAndClusterMajor": {
			spec: mutated(fixture.PerconaSpec(nil), func(s *v1alpha1.DittoServerSpec) { s.Percona.PostgresVersion = 16 }),
			want: want(perconaStatefulSet(), func(sts *appsv1.StatefulSet) {
				sts.Spec.Template.Spec.InitContainers[0].Image = "docker.io/percona/percona-distribution-postgresql:16.13-1"
			}),
		},
		"PerconaWaitImagePinnedByInput": {
			spec: fixture.PerconaSpec(nil),
			in:   spec.InputWithDefaults(v1beta1.Input{Images: v1beta1.Images{DatabaseWait: "registry.example/psql:1"}}),
			want: want(perconaStatefulSet(), func(sts *appsv1.StatefulSet) {
				sts.Spec.Template.Spec.InitContainers[0].Image = "registry.example/psql:1"
			}),
		},
		"ExternalPostgresWithCA": {
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
			spec: fixture.MinimalSpec(),
			in:   spec.InputWithDefaults(v1beta1.Input{StorageClassName: "standard"}),
			want: want(sqliteStatefulSet(), func(sts *appsv1.StatefulSet) {
				sts.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{
					claimTemplate("metadata", "10Gi", ptr.To("standard")),
					claimTemplate("controlplane", "1Gi", ptr.To("standard")),
				}
			}),
		},
		"ServedTLSProbesHTTPSAndMountsTheCert": {
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
		// The user's settings win, unset fields are hardened, and ALL is
		// dropped even when the user drops only some.
		"UserSecurityContextMergedKeepsDropAll": {
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
			spec: mutated(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) {
				s.SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}}
			}),
			want: sqliteStatefulSet(),
		},
		"ReplicasZero": {
			spec: mutated(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Replicas = ptr.To[int32](0) }),
			want: want(sqliteStatefulSet(), func(sts *appsv1.StatefulSet) { sts.Spec.Replicas = ptr.To[int32](0) }),
		},
		"ImageResourcesGraceAndPortsFromSpec": {
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
			got := build.StatefulSet(ds, in, "h")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("statefulSet(): -want, +got:\n%s", diff)
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

	cases := map[string]struct {
		spec  string
		rolls bool
	}{
		"SameSpec":                 {spec: base},
		"ReplicasDoNotRoll":        {spec: `{"storage":{"metadataSize":"10Gi"},"replicas":0}`},
		"ServiceTypeDoesNotRoll":   {spec: `{"storage":{"metadataSize":"10Gi"},"service":{"type":"LoadBalancer"}}`},
		"ResourcesDoNotRollByHash": {spec: `{"storage":{"metadataSize":"10Gi"},"resources":{"limits":{"memory":"2Gi"}}}`},
		"LoggingLevelRolls":        {spec: `{"storage":{"metadataSize":"10Gi"},"logging":{"level":"DEBUG"}}`, rolls: true},
		"MetricsOnRolls":           {spec: `{"storage":{"metadataSize":"10Gi"},"metrics":{"enabled":true}}`, rolls: true},
		"APIPortRolls":             {spec: `{"storage":{"metadataSize":"10Gi"},"controlPlane":{"port":9000}}`, rolls: true},
		"UserJWTSecretRolls":       {spec: `{"storage":{"metadataSize":"10Gi"},"identity":{"jwt":{"secretRef":{"name":"mine"}}}}`, rolls: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			annotation, status := hashes(t, tc.spec)
			if annotation != status {
				t.Errorf("config-hash annotation %q != status.configHash %q", annotation, status)
			}
			if rolled := annotation != baseHash; rolled != tc.rolls {
				t.Errorf("config hash %q (base %q): rolls = %v, want %v", annotation, baseHash, rolled, tc.rolls)
			}
		})
	}
}

// TestStatefulSetDatabaseAnnotation: the StatefulSet records what its
// control plane lives on, for the database guard.
func TestStatefulSetDatabaseAnnotation(t *testing.T) {
	cases := map[string]struct {
		req  *fnv1.RunFunctionRequest
		want string
	}{
		"SQLite":           {req: xrRequest(`{"storage":{"metadataSize":"10Gi"}}`), want: "sqlite"},
		"SQLiteExplicit":   {req: xrRequest(`{"storage":{"metadataSize":"10Gi"},"database":{"type":"sqlite"}}`), want: "sqlite"},
		"ExternalPostgres": {req: xrRequest(`{"storage":{"metadataSize":"10Gi"},"database":{"type":"postgres","postgresSecretRef":{"name":"pg"}}}`), want: "postgres"},
		"Percona": {
			req:  withObserved(xrRequest(`{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`), "percona-cluster", readyCluster),
			want: "percona",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := compose(t, tc.req)
			sts := &appsv1.StatefulSet{}
			desiredInto(t, rsp, keyStatefulSet, sts)
			if diff := cmp.Diff(tc.want, sts.Annotations[build.AnnotationDatabase]); diff != "" {
				t.Errorf("StatefulSet annotation %s: -want, +got:\n%s", build.AnnotationDatabase, diff)
			}
		})
	}
}

func base64RawURL(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
