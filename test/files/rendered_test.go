package files

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/realdfs"
	"github.com/dittofs/function-dittofs/internal/testenv"
)

// renderExample renders example/<name> through the real Crossplane CLI and
// core with the function built from this tree (hack/render.sh).
func renderExample(t *testing.T, name string) realdfs.Rendered {
	t.Helper()
	root := testenv.RepoRoot(t)
	fn := filepath.Join(t.TempDir(), "function")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if _, stderr, err := realdfs.Run(ctx, nil, "go", "-C", root, "build", "-o", fn, "."); err != nil {
		t.Fatalf("building the function: %v\n%s", err, stderr)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(root, "hack", "render.sh"), name)
	cmd.Env = append(os.Environ(), "FUNCTION="+fn, "PORT="+strconv.Itoa(realdfs.FreePort(t)))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("hack/render.sh %s: %v\n%s", name, err, stderr.String())
	}
	r, err := realdfs.ParseRendered(stdout.Bytes())
	if err != nil {
		t.Fatalf("reading the render of %s: %v", name, err)
	}
	return r
}

// buildReconciler builds cmd/reconciler, the binary the pod runs.
func buildReconciler(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "reconciler")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, stderr, err := realdfs.Run(ctx, nil, "go", "-C", testenv.RepoRoot(t), "build", "-o", bin, "./cmd/reconciler"); err != nil {
		t.Fatalf("building cmd/reconciler: %v\n%s", err, stderr)
	}
	return bin
}

// TestRenderedDeclarationAppliedByTheBinary: what the function renders for
// example/fileservice-declared is what the reconciler binary applies to a
// dfs booted from the same render. The ConfigMap's container paths (the
// store directories on dfs's volumes, the Secret files under
// /etc/dittofs-declared-secrets) are mapped to host directories as the
// kubelet mounts them; then an NFS and an SMB client use the declared share
// as the declared user, and SIGTERM stops the binary cleanly.
func TestRenderedDeclarationAppliedByTheBinary(t *testing.T) {
	realdfs.SkipShort(t)
	r := renderExample(t, "fileservice-declared")
	rendered, ok := r.ConfigMaps["files-fileservice"][spec.DeclaredConfigKey]
	if !ok {
		t.Fatalf("the render has no ConfigMap files-fileservice with %s: %v", spec.DeclaredConfigKey, r.ConfigMaps)
	}
	in, err := realdfs.RenderedInput(t, r, nil, realdfs.PGDatabase{}, "")
	if err != nil {
		t.Fatal(err)
	}
	d, err := realdfs.StartDittoFS(t, in)
	if err != nil {
		t.Fatal(err)
	}
	p := &pod{t: t, in: in, dfs: d, root: t.TempDir(), adminPass: in.AdminPassword}
	p.moveAdapters()

	// The Secrets the declaration references, and the admin Secret, as the
	// kubelet projects them.
	secrets := filepath.Join(p.root, "secrets")
	projectVolume(t, filepath.Join(secrets, "file-users"), map[string]string{"alice": alicePassword, "bob": bobPassword})
	projectVolume(t, filepath.Join(secrets, "files-admin"), r.Secrets["files-admin"])
	mounts := map[string]string{spec.DeclaredSecretsPath: secrets}
	for c, h := range in.Mounts {
		mounts[c] = h
	}
	paths, err := realdfs.NewContainerPaths(mounts)
	if err != nil {
		t.Fatal(err)
	}
	config, err := paths.RewriteYAML([]byte(rendered))
	if err != nil {
		t.Fatal(err)
	}
	declaredDir := filepath.Join(p.root, "declared")
	projectVolume(t, declaredDir, map[string]string{spec.DeclaredConfigKey: string(config)})

	listen := fmt.Sprintf("127.0.0.1:%d", realdfs.FreePort(t))
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(buildReconciler(t), //nolint:noctx // stopped by SIGTERM below, as the kubelet stops it
		"--config", filepath.Join(declaredDir, spec.DeclaredConfigKey),
		"--admin-password-file", filepath.Join(secrets, "files-admin", "password"),
		"--api-url", d.Base, "--listen", listen, "--poll", "200ms")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := client.Get("http://" + listen + "/readyz") //nolint:noctx // a poll
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reconciler is not ready after a minute\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	c := p.admin()
	for _, name := range []string{"/export", "/archive"} {
		if _, err := c.GetShare(name); err != nil {
			t.Errorf("the declared share %s: %v", name, err)
		}
	}
	if pol, err := c.GetSnapshotPolicy("/export"); err != nil || pol.KeepLast != 7 || pol.NamePrefix != "nightly" {
		t.Errorf("the declared snapshot policy: %+v, %v", pol, err)
	}
	content := "rendered, applied by the binary\n"
	nfsWrite(t, p, "/export", "rendered.txt", content, aliceUID)
	if got := nfsRead(t, p, "/export", "rendered.txt", aliceUID); got != content {
		t.Errorf("nfs-cat: %q, want %q", got, content)
	}
	if out, err := smb(t, p, "export", "alice", alicePassword, "ls"); err != nil || !strings.Contains(out, "rendered.txt") {
		t.Errorf("smbclient as alice on /export: %v\n%s", err, out)
	}
	if m := getBody(t, "http://"+listen+"/metrics"); !strings.Contains(m, `dittofs_reconciler_api_writes_total{kind="share",op="create"} 2`) {
		t.Errorf("/metrics of the binary:\n%s", m)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the reconciler exited with %v on SIGTERM, want 0\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Error("the reconciler is still running 15s after SIGTERM")
	}
	for _, secret := range []string{alicePassword, bobPassword, in.AdminPassword} {
		if strings.Contains(stdout.String()+stderr.String(), secret) {
			t.Error("the reconciler binary logged a secret")
		}
	}
	if !strings.Contains(stdout.String(), `"msg":"applied"`) {
		t.Errorf("the binary's log has no applied line:\n%s", stdout.String())
	}
}
