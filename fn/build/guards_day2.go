package build

import (
	"github.com/dittofs/function-dittofs/fn/spec"
)

// annotationAuthorizeBackupRemoval is Percona's second key for turning
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
