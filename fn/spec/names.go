package spec

// Names Percona gives its objects, and the limits it puts on ours.
const (
	perconaInstanceSet = "instance1"
	PerconaUser        = "dittofs"
	// perconaMaxNameLength is Percona's limit on the cluster name plus the
	// instance set name: its pods are <cluster>-<set>-xxxx-0 and their
	// controller-revision-hash label must fit in 63 characters.
	perconaMaxNameLength = 46
)

// PerconaClusterName is the PerconaPGCluster.
func (ds DittoServer) PerconaClusterName() string { return ds.Name + "-postgres" }

// PerconaUserSecretName is the Secret the Percona operator writes the
// dittofs user's connection into (keys host, port, dbname, user, password).
func (ds DittoServer) PerconaUserSecretName() string {
	return ds.PerconaClusterName() + "-pguser-" + PerconaUser
}

// PerconaCASecretName is the Secret holding the cluster's TLS certificate
// and its CA (key ca.crt).
func (ds DittoServer) PerconaCASecretName() string { return ds.PerconaClusterName() + "-cluster-cert" }

// PGBackRestS3SecretName is the Secret composed from plain S3 access keys.
func (ds DittoServer) PGBackRestS3SecretName() string { return ds.Name + "-pgbackrest-s3" }

// PerconaPrimaryHost is where the Percona operator points the user Secret's
// host: the primary Service.
func (ds DittoServer) PerconaPrimaryHost() string {
	return ds.PerconaClusterName() + "-primary." + ds.Namespace + ".svc"
}

// PerconaPGBouncerHost is the operator's pgbouncer-host: the PgBouncer
// Service.
func (ds DittoServer) PerconaPGBouncerHost() string {
	return ds.PerconaClusterName() + "-pgbouncer." + ds.Namespace + ".svc"
}

// DatabaseHost is the host DittoFS connects to: PgBouncer once it goes
// through it, else the primary.
func (ds DittoServer) DatabaseHost() string {
	if ds.ViaPGBouncer {
		return ds.PerconaPGBouncerHost()
	}
	return ds.PerconaPrimaryHost()
}

// Names of the objects composed for the DittoFS side. Every composed
// object is named after the XR, so two XRs in a namespace never collide.

// ConfigMapName is the ConfigMap holding DittoFS's config.yaml.
func (ds DittoServer) ConfigMapName() string { return ds.Name + "-config" }

// FileServiceConfigMapName is the ConfigMap holding the declared file
// service the reconciler applies (docs/fileservice.md).
func (ds DittoServer) FileServiceConfigMapName() string { return ds.Name + "-fileservice" }

// ConnectionSecretName is the composed connection Secret of a modern XR.
func (ds DittoServer) ConnectionSecretName() string { return ds.Name + "-connection" }

// JWTSecretName is the generated JWT signing secret.
func (ds DittoServer) JWTSecretName() string { return ds.Name + "-jwt" }

// AdminSecretName is the generated admin credentials.
func (ds DittoServer) AdminSecretName() string { return ds.Name + "-admin" }

// HeadlessServiceName is the StatefulSet's governing Service.
func (ds DittoServer) HeadlessServiceName() string { return ds.Name + "-headless" }

// APIServiceName is the control-plane REST API's Service.
func (ds DittoServer) APIServiceName() string { return ds.Name + "-api" }

// NFSServiceName is the NFS adapter's Service.
func (ds DittoServer) NFSServiceName() string { return ds.Name + "-nfs" }

// SMBServiceName is the SMB adapter's Service.
func (ds DittoServer) SMBServiceName() string { return ds.Name + "-smb" }

// MetricsServiceName is the Service the ServiceMonitor scrapes.
func (ds DittoServer) MetricsServiceName() string { return ds.Name + "-metrics" }

// PerconaBackupName is the on-demand PerconaPGBackup of token.
func (ds DittoServer) PerconaBackupName(token string) string {
	return ds.PerconaClusterName() + "-backup-" + token
}

// PGBackRestCipherSecretName is the Secret holding pgBackRest's
// repo1-cipher-pass, copied from the user's passphrase Secret.
func (ds DittoServer) PGBackRestCipherSecretName() string { return ds.Name + "-pgbackrest-cipher" }

// SelectorLabels select the DittoFS pod. A StatefulSet's selector is
// immutable: never add to these.
func (ds DittoServer) SelectorLabels() map[string]string {
	return map[string]string{"app.kubernetes.io/name": "dittofs", "app.kubernetes.io/instance": ds.Name}
}

// PGBackRestRepo is the one repository; every repo1-* option below and in the
// credentials file must use the same index.
const PGBackRestRepo = "repo1"

// RestoreS3SecretName is <xr>-pgbackrest-restore-s3: the s3.conf the restore
// Job reads the source repository with, composed from plain access keys when
// spec.percona.restore.from names credentials other than the backups'.
func (ds DittoServer) RestoreS3SecretName() string { return ds.Name + "-pgbackrest-restore-s3" }

// RestoreCipherSecretName is <xr>-pgbackrest-restore-cipher: the
// cipher.conf the restore Job reads an encrypted source repository given by
// its raw coordinates with, copied from
// spec.percona.restore.from.encryption.passphraseSecretRef.
func (ds DittoServer) RestoreCipherSecretName() string {
	return ds.Name + "-pgbackrest-restore-cipher"
}

// RecoveryRestoreName is the PerconaPGRestore of the in-place recovery id
// (spec.percona.recovery.id): <xr>-recovery-<id>.
func (ds DittoServer) RecoveryRestoreName(id string) string { return ds.Name + "-recovery-" + id }

// PGBackRestRestoreJobName is the Job the Percona operator runs a restore in
// (naming.PGBackRestRestoreJob): <cluster>-pgbackrest-restore.
func (ds DittoServer) PGBackRestRestoreJobName() string {
	return ds.PerconaClusterName() + "-pgbackrest-restore"
}
