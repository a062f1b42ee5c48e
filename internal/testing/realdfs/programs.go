// Package realdfs runs the real programs a DittoFS pod meets, for the tests
// that drive them (test/boot, test/dr): the DittoFS server (dfs, built from
// tools/dittofs) started as the composed StatefulSet would start it, and a
// throwaway TLS-only PostgreSQL shaped like Percona's. Nothing here is
// faked: the programs are the real ones and every check talks to them.
package realdfs

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dittofs/function-dittofs/internal/testing/testenv"
)

// DfsUID is the uid and gid the DittoFS image runs as (USER 65532:65532).
const DfsUID = 65532

// Cleanup removes the copy of dfs that DfsBinary may make; call it from
// TestMain after m.Run.
func Cleanup() {
	if dfsCopyDir != "" {
		_ = os.RemoveAll(dfsCopyDir)
	}
}

// SkipShort skips t under -short: everything here runs real programs.
func SkipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the real DittoFS server and PostgreSQL; skipped with -short")
	}
}

// repoRoot is the repository's root.
func repoRoot(t *testing.T) string {
	t.Helper()
	return testenv.RepoRoot(t)
}

// Run runs a program and returns its stdout and stderr; the error is non-nil
// when it could not start or exited non-zero. cred, when non-nil, runs it as
// another user (see Credential).
func Run(ctx context.Context, cred *syscall.Credential, name string, args ...string) (string, string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

var (
	dfsOnce    sync.Once
	dfsPath    string
	errDfs     error
	dfsCopyDir string
)

// DfsBinary returns the dfs server built from tools/dittofs by hack/tool.sh
// (once per machine; `make test` builds it before go test starts its clock).
// The cache lives under $HOME, which is 0700 for root, so when we run as root
// (and will run dfs as 65532) we copy the binary somewhere 65532 can execute.
func DfsBinary(t *testing.T) string {
	t.Helper()
	dfsOnce.Do(func() {
		root := repoRoot(t)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer cancel()
		start := time.Now()
		out, stderr, err := Run(ctx, nil, filepath.Join(root, "hack", "tool.sh"), "dittofs")
		if err != nil {
			errDfs = fmt.Errorf("hack/tool.sh dittofs: %w\n%s", err, stderr)
			return
		}
		t.Logf("hack/tool.sh dittofs: %s", time.Since(start).Round(time.Millisecond))
		dfsPath = filepath.Join(strings.TrimSpace(out), "dfs")
		if os.Geteuid() != 0 {
			return
		}
		if dfsCopyDir, errDfs = os.MkdirTemp("", "dfs-bin-"); errDfs != nil { //nolint:usetesting // shared by every test in the process (sync.Once), so it must outlive each t.TempDir
			return
		}
		if errDfs = os.Chmod(dfsCopyDir, 0o755); errDfs != nil {
			return
		}
		dst := filepath.Join(dfsCopyDir, "dfs")
		errDfs = copyFile(dfsPath, dst, 0o755)
		dfsPath = dst
	})
	if errDfs != nil {
		t.Fatal(errDfs)
	}
	return dfsPath
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Credential returns how to run a child as uid/gid when we are root, with no
// supplementary groups (like `setpriv --reuid --regid --clear-groups`). A
// root parent that switches to a non-root uid this way leaves the child with
// no capabilities, as in the hardened pod. Not root: nil, run as ourselves.
func Credential(uid, gid int) *syscall.Credential {
	if os.Geteuid() != 0 {
		return nil
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
}

// ServiceUser picks the unprivileged account PostgreSQL runs as when we are
// root (postgres refuses to run as root, and initdb needs a passwd entry for
// its uid): Debian's "postgres" account, else "nobody".
func ServiceUser(t *testing.T) (uid, gid int) {
	t.Helper()
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
		return uid, gid
	}
	t.Fatal("running as root, but there is neither a postgres nor a nobody account to Run PostgreSQL as")
	return 0, 0
}

// GiveTo makes dir (recursively) owned by uid/gid when we are root, and its
// ancestors inside the temp directory traversable, so a child running as that
// user can use it. t.TempDir makes 0700 directories owned by root.
func GiveTo(t *testing.T, dir string, uid, gid int) {
	t.Helper()
	if os.Geteuid() != 0 {
		return
	}
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Clean(os.TempDir())
	for p := filepath.Dir(dir); strings.HasPrefix(p, tmp+string(filepath.Separator)); p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, fi.Mode().Perm()|0o011); err != nil {
			t.Fatal(err)
		}
	}
}

// FreePort is a free loopback port (see testenv.FreePort).
func FreePort(t *testing.T) int {
	t.Helper()
	return testenv.FreePort(t)
}

// PortInUse reports whether something already listens on port (any address).
func PortInUse(port int) bool {
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", fmt.Sprintf(":%d", port))
	if err != nil {
		return true
	}
	_ = l.Close()
	return false
}
