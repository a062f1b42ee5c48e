package build

import (
	"github.com/dittofs/function-dittofs/fn/spec"
)

// pgBackRestDefaultRepoPath is where pgBackRest keeps repo1 when repo1-path
// is not set (the operator's internal/pgbackrest/config.go): the same for
// every cluster in a bucket.
const PgBackRestDefaultRepoPath = "/pgbackrest/" + spec.PGBackRestRepo

// repoPathKey is repo1's path option in the cluster's pgBackRest global.
const RepoPathKey = spec.PGBackRestRepo + "-path"
