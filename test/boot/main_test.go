// Package boot proves that what the function composes for DittoFS boots the
// real DittoFS server (dfs, built from tools/dittofs) against a real,
// TLS-only PostgreSQL, and on SQLite. Nothing here is faked: the programs are
// the real ones (run by internal/testing/realdfs) and every check talks to them.
package boot

import (
	"os"
	"testing"

	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
	"github.com/dittofs/function-dittofs/internal/testing/testenv"
)

// TestMain removes the copy of dfs that realdfs.DfsBinary may make.
func TestMain(m *testing.M) {
	code := m.Run()
	realdfs.Cleanup()
	os.Exit(code)
}

func skipShort(t *testing.T) { t.Helper(); realdfs.SkipShort(t) }

// repoRoot is the repository's root.
func repoRoot(t *testing.T) string {
	t.Helper()
	return testenv.RepoRoot(t)
}
