package fn

import (
	"errors"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"

	"github.com/crossplane/function-sdk-go/response"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/fn/spec"
)

// repoPath is the pgBackRest repo path of the cluster: the one an observed
// cluster already keeps its repository at, never moved (its stanza, WAL
// archive and backups are there); else a new one for this XR.
func repoPath(ds spec.DittoServer, observed *pgv2.PerconaPGCluster) string {
	if path, ok := observedRepoPath(observed); ok {
		return path
	}
	return ds.NewRepoPath()
}

// observedRepoPath is where an observed cluster keeps repo1: its
// repo1-path, or pgBackRest's default when backups are on without one (a
// cluster this function did not create). ok is false when the cluster has
// no repository yet: none observed, or backups off.
func observedRepoPath(pc *pgv2.PerconaPGCluster) (path string, ok bool) {
	if pc == nil {
		return "", false
	}
	if p := pc.Spec.Backups.PGBackRest.Global[build.RepoPathKey]; p != "" {
		return p, true
	}
	if !pc.Spec.Backups.IsEnabled() {
		return "", false
	}
	for _, r := range pc.Spec.Backups.PGBackRest.Repos {
		if r.Name == spec.PGBackRestRepo {
			return build.PGBackRestDefaultRepoPath, true
		}
	}
	return "", false
}

// missingUIDWarning is the warning for a new repository of an XR without a
// UID, or "" when none is due.
func missingUIDWarning(ds spec.DittoServer, observed *pgv2.PerconaPGCluster) string {
	if ds.UID != "" {
		return ""
	}
	if _, ok := observedRepoPath(observed); ok {
		return ""
	}
	return "the XR has no metadata.uid (an API server always sets one; crossplane render takes it from the XR file), so the pgBackRest repo path " +
		ds.NewRepoPath() + " is not unique if an XR of this name is deleted and created again"
}

// backupRepoPath is the repo path the cluster is composed with, warning
// when it cannot be unique (no UID).
func (c *composer) backupRepoPath(observed *pgv2.PerconaPGCluster) string {
	if !c.ds.Spec.Percona.Backup.Enabled {
		return ""
	}
	if w := missingUIDWarning(c.ds, observed); w != "" {
		response.Warning(c.rsp, errors.New(w)).TargetCompositeAndClaim()
	}
	return repoPath(c.ds, observed)
}

// backupStatus is status.database.backup: where the composed cluster's
// repository is, exactly as composed (repo1-path, repos[0].s3). nil while
// backups are off.
func backupStatus(ds spec.DittoServer, repoPath string) *v1alpha1.BackupStatus {
	b := ds.Spec.Percona.Backup
	if !b.Enabled {
		return nil
	}
	return &v1alpha1.BackupStatus{RepoPath: repoPath, Bucket: b.Bucket, Endpoint: spec.ComposedEndpoint(b.Endpoint), Region: b.Region}
}
