package spec

import (
	"crypto/sha256"
	"encoding/hex"
)

// NewRepoPath is /pgbackrest/<namespace>/<name>-<uid8>/repo1, uid8 the first
// 8 hex digits of the SHA-256 of the XR's UID. Two clusters in one bucket
// must never share a path (pgBackRest then fails both: "archive info does
// not match the database"), and that includes an XR deleted and re-created
// with the same name, whose backups stay in the bucket (nothing expires
// them once their cluster is gone). The UID differs on every creation. The name stays in the
// path so the bucket is readable by people.
//
// An XR without a UID (crossplane render of an xr.yaml without
// metadata.uid; an API server always sets one) gets
// /pgbackrest/<namespace>/<name>/repo1, which only names and namespaces
// keep apart, and a warning says so (missingUIDWarning).
func (ds DittoServer) NewRepoPath() string {
	dir := ds.Name
	if ds.UID != "" {
		sum := sha256.Sum256([]byte(ds.UID))
		dir += "-" + hex.EncodeToString(sum[:4])
	}
	return "/pgbackrest/" + ds.Namespace + "/" + dir + "/" + PGBackRestRepo
}
