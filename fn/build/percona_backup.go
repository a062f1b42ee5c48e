package build

import (
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// PerconaBackup builds the on-demand PerconaPGBackup of token: a full
// pgBackRest backup of the cluster to repo1 (Percona's deploy/backup.yaml,
// with its --type=full option). Percona runs it once; the object is its
// record, and deleting it leaves the backup in the repository.
func PerconaBackup(ds spec.DittoServer, token string) *pgv2.PerconaPGBackup {
	return &pgv2.PerconaPGBackup{
		ObjectMeta: metav1.ObjectMeta{
			Name:      ds.PerconaBackupName(token),
			Namespace: ds.Namespace,
			Labels:    ds.Labels(spec.ComponentBackup),
		},
		Spec: pgv2.PerconaPGBackupSpec{
			PGCluster: ds.PerconaClusterName(),
			RepoName:  ptr.To(spec.PGBackRestRepo),
			Options:   []string{"--type=full"},
		},
	}
}
