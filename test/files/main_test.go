// Package files proves the declared file service against the real DittoFS
// v0.29.0 server (dfs, built from tools/dittofs): the reconciler
// (internal/reconciler) creates, changes and removes stores, shares, users,
// groups, permissions and snapshot policies through DittoFS's own API
// client, keeps ownership across restarts of both processes, follows a
// rotated admin Secret, and real NFS (libnfs-utils) and SMB (smbclient)
// clients then use the shares as the declared users.
package files

import (
	"os"
	"testing"

	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
)

// TestMain removes the copy of dfs that realdfs.DfsBinary may make.
func TestMain(m *testing.M) {
	code := m.Run()
	realdfs.Cleanup()
	os.Exit(code)
}
