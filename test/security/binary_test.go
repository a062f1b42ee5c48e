package security

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBinaryRefusesWithoutCredentials runs the real binary as a pod would
// start it without the TLS Secret mounted and without --insecure: it must
// exit with an error naming both ways out, not serve in the clear.
// (internal/server's tests cover a client without a CA-signed certificate.)
func TestBinaryRefusesWithoutCredentials(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "function")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--address=127.0.0.1:0", "--metrics-address=")
	cmd.Env = withoutTLSEnv(os.Environ())
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("the binary kept running without credentials (serving in the clear?):\n%s", out)
	}
	if err == nil {
		t.Fatalf("the binary exited 0 without credentials:\n%s", out)
	}
	for _, want := range []string{"no transport credentials", "--tls-certs-dir", "--insecure"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("its error does not mention %q:\n%s", want, out)
		}
	}
}

// withoutTLSEnv drops the variable that would point the binary at certificates.
func withoutTLSEnv(env []string) []string {
	var out []string
	for _, e := range env {
		if !strings.HasPrefix(e, "TLS_SERVER_CERTS_DIR=") {
			out = append(out, e)
		}
	}
	return out
}
