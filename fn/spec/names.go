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

func PerconaClusterName(ds DittoServer) string { return ds.Name + "-postgres" }

// perconaUserSecretName is the Secret the Percona operator writes the
// dittofs user's connection into (keys host, port, dbname, user, password).
func PerconaUserSecretName(ds DittoServer) string {
	return PerconaClusterName(ds) + "-pguser-" + PerconaUser
}

// perconaCASecretName is the Secret holding the cluster's TLS certificate
// and its CA (key ca.crt).
func PerconaCASecretName(ds DittoServer) string { return PerconaClusterName(ds) + "-cluster-cert" }

// pgBackRestS3SecretName is the Secret composed from plain S3 access keys.
func PGBackRestS3SecretName(ds DittoServer) string { return ds.Name + "-pgbackrest-s3" }

// perconaPrimaryHost is where the Percona operator points the user Secret's
// host: the primary Service.
func PerconaPrimaryHost(ds DittoServer) string {
	return PerconaClusterName(ds) + "-primary." + ds.Namespace + ".svc"
}
