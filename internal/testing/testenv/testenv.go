// Package testenv holds what the tests that drive real programs share: where
// the repository is, free loopback ports, and the pinned programs hack/tool.sh
// builds once per machine.
package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// RepoRoot is the repository's root: the directory of this module's go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the testenv package")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("cannot find the repository root: %v", err)
	}
	return root
}

// FreePort asks the kernel for a free loopback port. Another process could
// take it before the test's server binds it; that server then fails loudly.
func FreePort(t testing.TB) int {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Tool returns the path of binary bin built from tools/name by hack/tool.sh,
// which builds it once per machine into a cache outside the clone and locks
// concurrent builds. A first build takes minutes: `make test` builds the
// tools before go test's timeout starts.
func Tool(t testing.TB, name, bin string) string {
	t.Helper()
	root := RepoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "hack", "tool.sh"), name)
	cmd.Dir = root
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hack/tool.sh %s: %v\n%s", name, err, stderr.String())
	}
	path := filepath.Join(strings.TrimSpace(stdout.String()), bin)
	if _, err := os.Stat(path); err != nil {
		t.Fatal(fmt.Errorf("hack/tool.sh %s did not produce %s: %w", name, bin, err))
	}
	return path
}
