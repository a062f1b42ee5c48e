package fn

import (
	"github.com/crossplane/function-sdk-go/resource"
)

// Keys of the composed resources in the desired state. Crossplane tracks a
// composed object by this key, so renaming one deletes and recreates the
// object: these are part of the API.
const (
	keyPerconaCluster  resource.Name = "percona-cluster"
	keyPGBackRestS3    resource.Name = "pgbackrest-s3-secret"
	keyConfig          resource.Name = "config"
	keyFileService     resource.Name = "fileservice-config"
	keyJWTSecret       resource.Name = "jwt-secret"
	keyAdminSecret     resource.Name = "admin-secret"
	keyStatefulSet     resource.Name = "statefulset"
	keyServiceHeadless resource.Name = "service-headless"
	keyServiceAPI      resource.Name = "service-api"
	keyServiceNFS      resource.Name = "service-nfs"
	keyServiceSMB      resource.Name = "service-smb"
	keyServiceMetrics  resource.Name = "service-metrics"
	keyNetworkPolicy   resource.Name = "networkpolicy"
	keyServiceMonitor  resource.Name = "servicemonitor"
	keyUsageServer     resource.Name = "usage-statefulset-database"
	keyUsageBackup     resource.Name = "usage-database-s3-credentials"
	keyConnection      resource.Name = "connection-secret"
	// Repository encryption: <xr>-pgbackrest-cipher and its Usage.
	keyPGBackRestCipher resource.Name = "pgbackrest-cipher-secret"
	keyUsageCipher      resource.Name = "usage-database-pgbackrest-cipher"
	// keyRestoreS3 is <xr>-pgbackrest-restore-s3, composed from plain access
	// keys when a restore reads its source with other credentials than the
	// backups'.
	keyRestoreS3 resource.Name = "pgbackrest-restore-s3-secret"
	// keyRestoreCipher is <xr>-pgbackrest-restore-cipher, composed from
	// spec.percona.restore.from.encryption's passphrase.
	keyRestoreCipher resource.Name = "pgbackrest-restore-cipher-secret"
	// The file service's status channel (fileservice_status.go): the
	// ConfigMap the reconciler reports in, and the ServiceAccount, Role and
	// RoleBinding that let it.
	keyFileServiceStatus     resource.Name = "fileservice-status"
	keyReconcilerAccount     resource.Name = "fileservice-reconciler-serviceaccount"
	keyReconcilerRole        resource.Name = "fileservice-reconciler-role"
	keyReconcilerRoleBinding resource.Name = "fileservice-reconciler-rolebinding"
)

// onDemandKey is the composed resource of the on-demand backup of token.
// The token is in the key, not only in the name: Crossplane deletes an
// observed composed resource whose key is no longer desired, but would
// leave one behind whose key is desired under another name. So a new token
// is a new object, and the old one is deleted (its backup stays in the
// repository: Percona's delete-backup finalizer only finishes the backup's
// bookkeeping, operator v2.9.0 percona/controller/pgbackup/controller.go,
// deleteBackupFinalizer and finishBackup).
func onDemandKey(token string) resource.Name { return resource.Name("percona-backup-" + token) }

// recoveryKeyPrefix starts the key of each in-place recovery's
// PerconaPGRestore: recovery-<id>, one per id, all kept (recovery.go).
const recoveryKeyPrefix = "recovery-"
