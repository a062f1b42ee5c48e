package build

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/input/v1beta1"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

func TestPerconaCluster(t *testing.T) {
	meta := metav1.ObjectMeta{
		Name:      "files-postgres",
		Namespace: "storage",
		Labels:    fixture.DittoServer(fixture.MinimalSpec()).Labels(spec.ComponentDatabase),
	}
	instances := func(replicas int32, size string, class *string) pgv2.PGInstanceSets {
		return pgv2.PGInstanceSets{{
			Name:     "instance1",
			Replicas: ptr.To(replicas),
			DataVolumeClaimSpec: corev1.PersistentVolumeClaimSpec{
				AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				StorageClassName: class,
				Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
			},
		}}
	}
	users := func(db string) []crunchyv1beta1.PostgresUserSpec {
		return []crunchyv1beta1.PostgresUserSpec{{Name: "dittofs", Databases: []crunchyv1beta1.PostgresIdentifier{crunchyv1beta1.PostgresIdentifier(db)}}}
	}
	withBackup := func(mutate func(*v1alpha1.PerconaBackupConfig)) v1alpha1.DittoServerSpec {
		b := fixture.S3Backup()
		mutate(b)
		return fixture.PerconaSpec(b)
	}

	// defaults is the cluster of a Percona spec without backup and the
	// default Input: what every case starts from.
	defaults := func() *pgv2.PerconaPGCluster {
		return &pgv2.PerconaPGCluster{
			ObjectMeta: *meta.DeepCopy(),
			Spec: pgv2.PerconaPGClusterSpec{
				CRVersion:            "2.9.0",
				Image:                "docker.io/percona/percona-distribution-postgresql:17.9-1",
				PostgresVersion:      17,
				InstanceSets:         instances(1, "10Gi", nil),
				Users:                users("dittofs"),
				AutoCreateUserSchema: ptr.To(true),
				Backups: pgv2.Backups{
					Enabled:    ptr.To(false),
					PGBackRest: pgv2.PGBackRestArchive{Image: "docker.io/percona/percona-pgbackrest:2.58.0-1", Repos: []crunchyv1beta1.PGBackRestRepo{}},
				},
			},
		}
	}
	want := func(mutate func(*pgv2.PerconaPGCluster)) *pgv2.PerconaPGCluster {
		c := defaults()
		mutate(c)
		return c
	}
	// s3Backups are backups on: pgBackRest's image, its global settings,
	// the projected credentials Secret and the one S3 repository.
	s3Backups := func(image, credentials string, global map[string]string, repo crunchyv1beta1.PGBackRestRepo) pgv2.Backups {
		return pgv2.Backups{
			Enabled: ptr.To(true),
			PGBackRest: pgv2.PGBackRestArchive{
				Image:         image,
				Global:        global,
				Configuration: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: credentials}}}},
				Repos:         []crunchyv1beta1.PGBackRestRepo{repo},
			},
		}
	}

	cases := map[string]struct {
		reason      string
		spec        v1alpha1.DittoServerSpec
		in          v1beta1.Input
		credentials string
		repoPath    string
		want        *pgv2.PerconaPGCluster
	}{
		"DefaultsWithoutBackupStillPinPgBackRestImage": {
			reason: "Operator v2.9.0 ships no default pgBackRest image and stalls the whole cluster (MissingRequiredImage) without one, even with backups off; and repos is an empty list, since a nil one would be written repos: null.",
			spec:   fixture.PerconaSpec(nil),
			in:     fixture.Input(),
			want:   defaults(),
		},
		"BackupToS3HonoursRetentionAndUniquePath": {
			reason:      "Backups reach pgBackRest as the operator reads them: retention in days, the repository path unique to the XR (two clusters sharing a bucket must not share a repository), TLS verified, the credentials projected.",
			spec:        withBackup(func(b *v1alpha1.PerconaBackupConfig) { b.RetentionDays = ptr.To[int32](14) }),
			in:          fixture.Input(),
			credentials: "files-pgbackrest-s3",
			repoPath:    "/pgbackrest/storage/files-4a49acf8/repo1",
			want: want(func(c *pgv2.PerconaPGCluster) {
				c.Spec.Backups = s3Backups("docker.io/percona/percona-pgbackrest:2.58.0-1", "files-pgbackrest-s3", map[string]string{
					"repo1-path":                "/pgbackrest/storage/files-4a49acf8/repo1",
					"repo1-retention-full":      "14",
					"repo1-retention-full-type": "time",
					"repo1-s3-uri-style":        "path",
					"repo1-storage-verify-tls":  "y",
				}, crunchyv1beta1.PGBackRestRepo{
					Name: "repo1",
					S3:   &crunchyv1beta1.RepoS3{Bucket: "dittofs-backups", Endpoint: "s3.eu-west-1.amazonaws.com", Region: "eu-west-1"},
					BackupSchedules: &crunchyv1beta1.PGBackRestBackupSchedules{
						Full:        ptr.To("0 2 * * *"),
						Incremental: ptr.To("0 * * * *"),
					},
				})
			}),
		},
		"EverythingFromSpecAndInput": {
			reason: "Every setting the user or the Input gives replaces its default, and none is taken from elsewhere: a value ignored here would silently run the database other than asked.",
			spec: func() v1alpha1.DittoServerSpec {
				s := withBackup(func(b *v1alpha1.PerconaBackupConfig) {
					b.URIStyle, b.VerifyTLS, b.Region = "host", ptr.To(false), "us-east-1"
					b.Endpoint = "https://minio.storage.svc:9000/"
					b.FullSchedule, b.IncrSchedule = "30 1 * * 0", "*/30 * * * *"
				})
				s.Percona.Replicas = ptr.To[int32](3)
				s.Percona.StorageSize = "50Gi"
				s.Percona.StorageClassName = ptr.To("fast")
				s.Percona.DatabaseName = "ditto_cp"
				s.Percona.PostgresVersion = 16
				s.Percona.DeletionPolicy = "Delete"
				return s
			}(),
			in: spec.InputWithDefaults(v1beta1.Input{
				CRVersion: "2.9.0",
				Images:    v1beta1.Images{Postgres: map[string]string{"16": "registry.example/pg:16"}, PGBackRest: "registry.example/pgbackrest:1"},
			}),
			credentials: "backup-s3",
			// An observed cluster's path, kept as it is.
			repoPath: "/pgbackrest/storage/files/repo1",
			want: want(func(c *pgv2.PerconaPGCluster) {
				c.Finalizers = []string{"percona.com/delete-pvc", "percona.com/delete-ssl"}
				c.Spec.Image, c.Spec.PostgresVersion = "registry.example/pg:16", 16
				// Three instances prefer three nodes.
				c.Spec.InstanceSets = instances(3, "50Gi", ptr.To("fast"))
				c.Spec.InstanceSets[0].Affinity = &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
					PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
						Weight: 1,
						PodAffinityTerm: corev1.PodAffinityTerm{
							LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{
								"postgres-operator.crunchydata.com/cluster": "files-postgres",
								"postgres-operator.crunchydata.com/data":    "postgres",
							}},
							TopologyKey: "kubernetes.io/hostname",
						},
					}},
				}}
				c.Spec.Users = users("ditto_cp")
				c.Spec.Backups = s3Backups("registry.example/pgbackrest:1", "backup-s3", map[string]string{
					"repo1-path":                "/pgbackrest/storage/files/repo1",
					"repo1-retention-full":      "7",
					"repo1-retention-full-type": "time",
					"repo1-s3-uri-style":        "host",
					"repo1-storage-verify-tls":  "n",
				}, crunchyv1beta1.PGBackRestRepo{
					Name: "repo1",
					// The scheme and the slash dropped, the port kept: pgBackRest dials it.
					S3: &crunchyv1beta1.RepoS3{Bucket: "dittofs-backups", Endpoint: "minio.storage.svc:9000", Region: "us-east-1"},
					BackupSchedules: &crunchyv1beta1.PGBackRestBackupSchedules{
						Full:        ptr.To("30 1 * * 0"),
						Incremental: ptr.To("*/30 * * * *"),
					},
				})
			}),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := PerconaCluster(fixture.DittoServer(tc.spec), tc.in, tc.credentials, tc.repoPath)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nPerconaCluster(ds, in, credentials, repoPath): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
