package build

import (
	"time"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// Restores, as the Percona operator v2.9.0 runs them.
//
// A new cluster from a repository (spec.dataSource.pgbackrest,
// internal/controller/postgrescluster/pgbackrest.go:
// reconcileCloudBasedDataSource, createRestoreConfig): the restore Job's
// pgBackRest configuration holds the repository options of
// dataSource.global and dataSource.repo alone, and mounts only
// dataSource.configuration. An in-place restore (PerconaPGRestore,
// percona/controller/pgrestore): the operator copies repoName and options
// into the cluster's spec.backups.pgbackrest.restore itself. Both run
// `pgbackrest restore <options> --stanza=... --pg1-path=... --repo=N --delta
// [--target-action=promote] --link-map=...` through `bash -xc`, so an
// option holding a space is quoted for bash.

// PGBackRestStanza is the stanza Percona names every cluster's.
const PGBackRestStanza = "db"

// RestoreRepo is a pgBackRest repository on S3 to restore from.
type RestoreRepo struct {
	RepoPath, Bucket, Endpoint, Region, URIStyle string
	VerifyTLS                                    bool
	// CASecret and CAKey name the PEM CA of a private S3 endpoint, in the
	// XR's namespace ("" for the image's trust store).
	CASecret, CAKey string
	// CipherSecret is a Secret of the XR's namespace whose cipher.conf holds
	// the encrypted repository's repo1-cipher-pass ("" for a repository
	// that is not encrypted).
	CipherSecret string
}

// Where the restore Job finds the source's CA and passphrase: files of its
// own in the Job's conf.d, beside the credentials, apart from the new
// cluster's own repo1-storage-ca.crt and cipher.conf.
const (
	restoreCAFile     = "restore-storage-ca.crt"
	restoreCipherFile = "restore-cipher.conf"
)

// PGBackRestTarget is pgBackRest's --target for an RFC 3339 time: UTC, in
// the form pgBackRest parses to pick the backup set itself
// ("YYYY-MM-DD HH:MM:SS[.ffffff]+00"). PostgreSQL keeps microseconds: finer
// digits are dropped, which moves the target less than a microsecond
// earlier.
func PGBackRestTarget(rfc3339 string) (string, error) {
	t, err := time.Parse(time.RFC3339Nano, rfc3339)
	if err != nil {
		return "", err
	}
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02 15:04:05.999999") + "+00", nil
}

// RestoreOptions are the restore command's options: none for the latest
// (the end of the archived WAL), --type=time and the target, quoted for
// bash, for a point in time.
func RestoreOptions(pointInTime string) []string {
	if pointInTime == "" {
		return nil
	}
	target, err := PGBackRestTarget(pointInTime)
	if err != nil {
		// spec.Validate refused it before anything is composed.
		return nil
	}
	return []string{"--type=time", `--target="` + target + `"`}
}

// RestoreDataSource is spec.dataSource of a cluster created from repo,
// read with the credentials Secret credentials (projected into the restore
// Job's conf.d), to pointInTime or the latest.
func RestoreDataSource(repo RestoreRepo, credentials, pointInTime string) *crunchyv1beta1.DataSource {
	ds := restoreDataSource(repo, credentials, pointInTime)
	src := ds.PGBackRest
	if repo.CASecret != "" {
		src.Global[spec.PGBackRestRepo+"-storage-ca-file"] = pgBackRestConfD + "/" + restoreCAFile
		src.Configuration = append(src.Configuration, secretFile(repo.CASecret, repo.CAKey, restoreCAFile))
	}
	if repo.CipherSecret != "" {
		src.Global[spec.PGBackRestRepo+"-cipher-type"] = "aes-256-cbc"
		src.Configuration = append(src.Configuration, secretFile(repo.CipherSecret, CipherConfKey, restoreCipherFile))
	}
	return ds
}

// pgBackRestConfD is where Percona projects a Job's pgBackRest files.
const pgBackRestConfD = "/etc/pgbackrest/conf.d"

// secretFile projects one key of a Secret as file.
func secretFile(secret, key, file string) corev1.VolumeProjection {
	return corev1.VolumeProjection{Secret: &corev1.SecretProjection{
		LocalObjectReference: corev1.LocalObjectReference{Name: secret},
		Items:                []corev1.KeyToPath{{Key: key, Path: file}},
	}}
}

func restoreDataSource(repo RestoreRepo, credentials, pointInTime string) *crunchyv1beta1.DataSource {
	return &crunchyv1beta1.DataSource{PGBackRest: &crunchyv1beta1.PGBackRestDataSource{
		Stanza: PGBackRestStanza,
		Repo: crunchyv1beta1.PGBackRestRepo{
			Name: spec.PGBackRestRepo,
			S3:   &crunchyv1beta1.RepoS3{Bucket: repo.Bucket, Endpoint: spec.ComposedEndpoint(repo.Endpoint), Region: repo.Region},
		},
		Global: map[string]string{
			spec.PGBackRestRepo + "-path":               repo.RepoPath,
			spec.PGBackRestRepo + "-s3-uri-style":       repo.URIStyle,
			spec.PGBackRestRepo + "-storage-verify-tls": yesNo(repo.VerifyTLS),
		},
		Configuration: []corev1.VolumeProjection{{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: credentials}}}},
		Options:       RestoreOptions(pointInTime),
	}}
}

// RestoreS3Secret builds <xr>-pgbackrest-restore-s3 holding the s3.conf the
// restore Job reads the source with.
func RestoreS3Secret(ds spec.DittoServer, conf []byte) *corev1.Secret {
	s := PGBackRestS3Secret(ds, conf)
	s.Name = ds.RestoreS3SecretName()
	return s
}

// RestoreCipherSecret builds <xr>-pgbackrest-restore-cipher holding the
// cipher.conf the restore Job reads an encrypted source repository with.
func RestoreCipherSecret(ds spec.DittoServer, conf []byte) *corev1.Secret {
	s := PGBackRestCipherSecret(ds, conf)
	s.Name = ds.RestoreCipherSecretName()
	return s
}

// PerconaRestore builds the PerconaPGRestore <xr>-recovery-<id> of an
// in-place recovery: repo1, to the point in time.
func PerconaRestore(ds spec.DittoServer, r v1alpha1.PerconaRecoveryConfig) *pgv2.PerconaPGRestore {
	return &pgv2.PerconaPGRestore{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ds.RecoveryRestoreName(r.ID),
			Namespace: ds.Namespace,
			Labels:    ds.Labels(spec.ComponentDatabase),
		},
		Spec: pgv2.PerconaPGRestoreSpec{
			PGCluster: ds.PerconaClusterName(),
			RepoName:  ptr.To(spec.PGBackRestRepo),
			Options:   RestoreOptions(r.PointInTime),
		},
	}
}
