package build

import (
	"github.com/crossplane/function-sdk-go/resource/composed"

	"github.com/dittofs/function-dittofs/fn/spec"
)

// DatabaseUsesCipher keeps <xr>-pgbackrest-cipher until the cluster is
// gone: its pgBackRest cannot archive a WAL segment without the passphrase.
func DatabaseUsesCipher(ds spec.DittoServer) *composed.Unstructured {
	return usage(ds, ds.Name+"-database-uses-pgbackrest-cipher",
		"pgBackRest reads the repository's passphrase from this Secret",
		usageRef{"v1", "Secret", ds.PGBackRestCipherSecretName()},
		usageRef{"pgv2.percona.com/v2", "PerconaPGCluster", ds.PerconaClusterName()})
}
