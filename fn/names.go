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
	// keyRestoreS3 is <xr>-pgbackrest-restore-s3, composed from plain access
	// keys when a restore reads its source with other credentials than the
	// backups'.
	keyRestoreS3 resource.Name = "pgbackrest-restore-s3-secret"
)

// recoveryKeyPrefix starts the key of each in-place recovery's
// PerconaPGRestore: recovery-<id>, one per id, all kept (recovery.go).
const recoveryKeyPrefix = "recovery-"
