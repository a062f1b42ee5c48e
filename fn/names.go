package fn

import "github.com/crossplane/function-sdk-go/resource"

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
)

// Names Percona gives its objects, and the limits it puts on ours.
const (
	perconaInstanceSet = "instance1"
	perconaUser        = "dittofs"
	// perconaMaxNameLength is Percona's limit on the cluster name plus the
	// instance set name: its pods are <cluster>-<set>-xxxx-0 and their
	// controller-revision-hash label must fit in 63 characters.
	perconaMaxNameLength = 46
)

func perconaClusterName(ds dittoServer) string { return ds.Name + "-postgres" }

// perconaUserSecretName is the Secret the Percona operator writes the
// dittofs user's connection into (keys host, port, dbname, user, password).
func perconaUserSecretName(ds dittoServer) string {
	return perconaClusterName(ds) + "-pguser-" + perconaUser
}

// perconaCASecretName is the Secret holding the cluster's TLS certificate
// and its CA (key ca.crt).
func perconaCASecretName(ds dittoServer) string { return perconaClusterName(ds) + "-cluster-cert" }

// pgBackRestS3SecretName is the Secret composed from plain S3 access keys.
func pgBackRestS3SecretName(ds dittoServer) string { return ds.Name + "-pgbackrest-s3" }

// perconaPrimaryHost is where the Percona operator points the user Secret's
// host: the primary Service.
func perconaPrimaryHost(ds dittoServer) string {
	return perconaClusterName(ds) + "-primary." + ds.Namespace + ".svc"
}
