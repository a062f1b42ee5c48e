package render_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/dittofs/function-dittofs/internal/testing/testenv"
)

// The programs these tests drive are real: the function built from this
// repo, and the Crossplane CLI and core binaries that hack/tool.sh builds
// from the pinned modules under tools/.

// repoRoot is the repository's root.
func repoRoot(t *testing.T) string {
	t.Helper()
	return testenv.RepoRoot(t)
}

// run runs a program and returns its stdout and stderr. The error is non-nil
// when it could not start or exited non-zero.
func run(ctx context.Context, dir, name string, args ...string) (string, string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// moduleDir returns where the Go module cache holds module (path or
// path@version), downloading it if needed. dir chooses whose go.mod pins the
// version when module has none.
func moduleDir(t *testing.T, dir, module string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, stderr, err := run(ctx, dir, "go", "mod", "download", "-json", module)
	var info struct {
		Dir   string `json:"dir"`
		Error string `json:"error"`
	}
	if jerr := json.Unmarshal([]byte(out), &info); err != nil || jerr != nil || info.Dir == "" {
		t.Fatalf("go mod download %s (in %s): %v %s %s", module, dir, err, info.Error, stderr)
	}
	return info.Dir
}

// startFunction builds the function into tmp, serves it insecurely on a free
// loopback port without a metrics server, and returns its address. It is
// stopped when the test ends; its log is shown if the test failed.
func startFunction(t *testing.T, root, tmp string) string {
	t.Helper()
	bin := filepath.Join(tmp, "function")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if _, stderr, err := run(ctx, root, "go", "build", "-o", bin, "."); err != nil {
		t.Fatalf("go build the function: %v\n%s", err, stderr)
	}

	addr := freeAddress(t)
	logPath := filepath.Join(tmp, "function.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// --secrets-seed: the Secrets the function generates on first compose are
	// random; seeded, they are the same every run, so goldens can hold them.
	cmd := exec.Command(bin, "--insecure", "--address="+addr, "--metrics-address=", "--secrets-seed=render-test") //nolint:noctx // a server for the whole test: t.Cleanup stops it, after t.Context is already cancelled
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the function: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		_ = logFile.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logPath)
			t.Logf("function log:\n%s", log)
		}
	})

	deadline := time.Now().Add(30 * time.Second)
	for {
		dialer := net.Dialer{Timeout: time.Second}
		conn, err := dialer.DialContext(t.Context(), "tcp", addr)
		if err == nil {
			_ = conn.Close()
		}
		select {
		case err := <-exited:
			exited <- err // let the cleanup's receive return
			log, _ := os.ReadFile(logPath)
			t.Fatalf("the function exited before listening: %v\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
			// Listening, and still running: not some other program that
			// took the port first.
			if err == nil {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the function is not listening on %s after 30s", addr)
		}
	}
}

// freeAddress asks the kernel for a free loopback port. Another process could
// take it before the function binds it; startFunction would then fail loudly.
func freeAddress(t *testing.T) string {
	t.Helper()
	var lc net.ListenConfig
	l, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// exitCode returns the exit status of a finished program, or -1.
func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// show formats a program's output for a failure message.
func show(stdout, stderr string) string {
	return fmt.Sprintf("--- stderr:\n%s\n--- stdout:\n%s", stderr, stdout)
}
