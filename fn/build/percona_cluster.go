package build

import (
	"strconv"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// Finalizers of the Percona operator that delete the cluster's volumes and
// user Secrets (delete-pvc) and its TLS Secrets (delete-ssl) with it. The
// backups themselves are never deleted with the XR.
const (
	finalizerDeletePVC = "percona.com/delete-pvc"
	finalizerDeleteSSL = "percona.com/delete-ssl"
)

// PerconaCluster builds the PerconaPGCluster <xr>-postgres. credentials is
// the Secret pgBackRest's configuration projects when backups are on, and
// repoPath the repository's path in the bucket (repoPath).
func PerconaCluster(ds spec.DittoServer, in v1beta1.Input, credentials, repoPath string) *pgv2.PerconaPGCluster {
	p := ds.Spec.Percona
	return &pgv2.PerconaPGCluster{
		ObjectMeta: metav1.ObjectMeta{
			Name:        ds.PerconaClusterName(),
			Namespace:   ds.Namespace,
			Labels:      ds.Labels(spec.ComponentDatabase),
			Annotations: perconaAnnotations(ds),
			Finalizers:  perconaFinalizers(p.DeletionPolicy),
		},
		Spec: pgv2.PerconaPGClusterSpec{
			// The operator panics on a non-semver crVersion and defaults an
			// empty one to its own version; pin it so an operator upgrade does
			// not silently change the cluster.
			CRVersion:       in.CRVersion,
			Image:           spec.PostgresImage(in, p.PostgresVersion),
			PostgresVersion: int(p.PostgresVersion),
			InstanceSets: pgv2.PGInstanceSets{{
				Name:                ds.InstanceSetName(),
				Replicas:            p.Replicas,
				DataVolumeClaimSpec: volumeClaimSpec(p.StorageSize, p.StorageClassName),
			}},
			Users: []crunchyv1beta1.PostgresUserSpec{{
				Name:      spec.PerconaUser,
				Databases: []crunchyv1beta1.PostgresIdentifier{crunchyv1beta1.PostgresIdentifier(p.DatabaseName)},
			}},
			// On PostgreSQL 15+ a non-owner cannot create tables in schema
			// public; DittoFS's migrations need a schema of its own. This is
			// the default for crVersion >= 2.6.0, set here so it cannot drift.
			AutoCreateUserSchema: ptr.To(true),
			Backups:              perconaBackups(ds, in, credentials, repoPath),
		},
	}
}

func perconaFinalizers(deletionPolicy string) []string {
	if deletionPolicy != spec.DeletionPolicyDelete {
		return nil
	}
	return []string{finalizerDeletePVC, finalizerDeleteSSL}
}

// perconaBackups configures pgBackRest. With backups off the image is still
// set: operator v2.9.0 ships no default image and stalls the whole cluster
// with MissingRequiredImage without one.
func perconaBackups(ds spec.DittoServer, in v1beta1.Input, credentials, repoPath string) pgv2.Backups {
	b := ds.Spec.Percona.Backup
	if !b.Enabled {
		return pgv2.Backups{
			Enabled: ptr.To(false),
			// No repositories, said as an empty list: repos has no
			// omitempty, so a nil one would be written repos: null.
			PGBackRest: pgv2.PGBackRestArchive{Image: in.Images.PGBackRest, Repos: []crunchyv1beta1.PGBackRestRepo{}},
		}
	}
	return pgv2.Backups{
		Enabled: ptr.To(true),
		PGBackRest: pgv2.PGBackRestArchive{
			Image:         in.Images.PGBackRest,
			Global:        pgBackRestGlobal(ds, repoPath),
			Configuration: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: credentials}}}},
			Repos: []crunchyv1beta1.PGBackRestRepo{{
				Name: spec.PGBackRestRepo,
				S3:   &crunchyv1beta1.RepoS3{Bucket: b.Bucket, Endpoint: spec.ComposedEndpoint(b.Endpoint), Region: b.Region},
				BackupSchedules: &crunchyv1beta1.PGBackRestBackupSchedules{
					Full:        ptr.To(b.FullSchedule),
					Incremental: ptr.To(b.IncrSchedule),
				},
			}},
		},
	}
}

// pgBackRestGlobal holds repo1's options. repoPath is never pgBackRest's
// default (/pgbackrest/repo1, shared by every cluster in a bucket) for a
// cluster this function creates (see repoPath). Values are strings, as the
// CRD demands.
func pgBackRestGlobal(ds spec.DittoServer, repoPath string) map[string]string {
	b := ds.Spec.Percona.Backup
	return map[string]string{
		RepoPathKey:                 repoPath,
		"repo1-retention-full":      strconv.Itoa(int(*b.RetentionDays)),
		"repo1-retention-full-type": "time",
		"repo1-s3-uri-style":        b.URIStyle,
		"repo1-storage-verify-tls":  yesNo(*b.VerifyTLS),
	}
}

func yesNo(b bool) string {
	if b {
		return "y"
	}
	return "n"
}

// volumeClaimSpec is a ReadWriteOnce claim of size (validated before) in
// storageClass, or the cluster's default class when that is nil.
func volumeClaimSpec(size string, storageClass *string) corev1.PersistentVolumeClaimSpec {
	return corev1.PersistentVolumeClaimSpec{
		AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		StorageClassName: storageClass,
		Resources: corev1.VolumeResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)},
		},
	}
}

// AnnotationAuthorizeBackupRemoval is Percona's second key for turning
// backups off: the operator copies pgv2.percona.com/* annotations onto its
// PostgresCluster as postgres-operator.crunchydata.com/*, and there, with the
// value "true", lets the backups section go while the repository host exists
// (operator v2.9.0, internal/controller/postgrescluster/pgbackrest.go,
// BackupsEnabled). Without it the operator pauses every reconcile of the
// cluster and still reports it ready.
const AnnotationAuthorizeBackupRemoval = "pgv2.percona.com/authorizeBackupRemoval"

// perconaAnnotations authorise Percona to remove the backup repository when
// the user turned backups off with authorizeRemoval.
func perconaAnnotations(ds spec.DittoServer) map[string]string {
	b := ds.Spec.Percona.Backup
	if b.Enabled || !b.AuthorizeRemoval {
		return nil
	}
	return map[string]string{AnnotationAuthorizeBackupRemoval: "true"}
}

// PGBackRestDefaultRepoPath is where pgBackRest keeps repo1 when repo1-path
// is not set (the operator's internal/pgbackrest/config.go): the same for
// every cluster in a bucket.
const PGBackRestDefaultRepoPath = "/pgbackrest/" + spec.PGBackRestRepo

// RepoPathKey is repo1's path option in the cluster's pgBackRest global.
const RepoPathKey = spec.PGBackRestRepo + "-path"
