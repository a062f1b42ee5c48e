package files

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/crossplane/function-sdk-go/logging"

	"github.com/dittofs/function-dittofs/fn"
	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/internal/testing/corpus"
	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
	"github.com/dittofs/function-dittofs/internal/testing/testenv"
)

// renderExample composes example/<name> in process, as test/render's
// goldens show it (the case's own composition.yaml, which pins the
// reconciler image): the function answers Crossplane's requirements once,
// and every desired object is read back as the render prints it.
func renderExample(t *testing.T, name string) realdfs.Rendered {
	t.Helper()
	c, err := corpus.LoadExample(testenv.RepoRoot(t), name)
	if err != nil {
		t.Fatal(err)
	}
	f := fn.NewFunction(logging.NewNopLogger())
	rsp, err := f.RunFunction(context.Background(), c.Request())
	if err != nil {
		t.Fatal(err)
	}
	if reqs := rsp.GetRequirements(); reqs != nil {
		if rsp, err = f.RunFunction(context.Background(), c.Resolve(reqs)); err != nil {
			t.Fatal(err)
		}
	}
	var docs bytes.Buffer
	for _, r := range rsp.GetDesired().GetResources() {
		b, err := json.Marshal(r.GetResource().AsMap())
		if err != nil {
			t.Fatal(err)
		}
		docs.Write(b)
		docs.WriteString("\n")
	}
	r, err := realdfs.ParseRendered(docs.Bytes())
	if err != nil {
		t.Fatalf("reading the render of %s: %v", name, err)
	}
	if r.StatefulSet == nil {
		t.Fatalf("the render of %s has no StatefulSet", name)
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

// TestRenderedDeclarationAppliedByTheBinary: the pod the function renders
// for example/fileservice-declared, run as processes. dfs boots from its
// dittofs container, and the cmd/reconciler binary runs as its
// fileservice-reconciler container says (command, args, volumes, readiness
// probe), with the container paths mapped to host directories as the
// kubelet mounts them. It applies the rendered declaration; then an NFS and
// an SMB client use the declared share as the declared user, and SIGTERM
// stops the binary cleanly.
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

	r.Secrets["file-users"] = map[string]string{"alice": alicePassword, "bob": bobPassword}
	rp := startRenderedReconciler(t, r, in, p, rendered, func(flag, value string) string {
		if flag != "--api-url" {
			t.Errorf("%s=%s: the reconciler of an HTTP API needs no such flag", flag, value)
			return value
		}
		if value != "http://127.0.0.1:8080" {
			t.Errorf("--api-url=%s, want dfs's API port in the pod", value)
		}
		return d.Base
	})
	rp.waitReady(t)
	listen := rp.listen

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

	rp.stop(t)
	for _, secret := range []string{alicePassword, bobPassword, in.AdminPassword} {
		if strings.Contains(rp.stdout.String()+rp.stderr.String(), secret) {
			t.Error("the reconciler binary logged a secret")
		}
	}
	if !strings.Contains(rp.stdout.String(), `"msg":"applied"`) {
		t.Errorf("the binary's log has no applied line:\n%s", rp.stdout.String())
	}
}

// reconcilerProcess is the cmd/reconciler binary, run as the rendered
// fileservice-reconciler container says.
type reconcilerProcess struct {
	cmd            *exec.Cmd
	container      corev1.Container
	listen         string // host:port of /readyz, /status and /metrics
	stdout, stderr *bytes.Buffer
	exited         chan error
}

// startRenderedReconciler starts the reconciler container of r as the
// kubelet would: its volumes (the ConfigMap and the Secrets in r, which
// the caller completes with the Secrets the user would create) projected
// into host directories, and its own args with container paths mapped to
// them. The declaration's store directories are dfs's volumes, mapped as
// in's mounts are. Two values change because the pod's network namespace
// is not this machine's: the listen port, and the API flags, which api
// maps (dfs's API may not be on 8080 here).
func startRenderedReconciler(t *testing.T, r realdfs.Rendered, in realdfs.BootInput, p *pod, rendered string, api func(flag, value string) string) *reconcilerProcess {
	t.Helper()
	recIn, rec, err := realdfs.PodInput(t, r.StatefulSet, "fileservice-reconciler", r.Secrets, r.ConfigMaps)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(rec.Command, " "); got != "/reconciler" {
		t.Errorf("the reconciler container runs %q", got)
	}
	mounts := map[string]string{}
	for c, h := range in.Mounts {
		mounts[c] = h
	}
	for c, h := range recIn.Mounts {
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

	rp := &reconcilerProcess{container: rec, listen: fmt.Sprintf("127.0.0.1:%d", realdfs.FreePort(t)), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, exited: make(chan error, 1)}
	var args []string
	for _, a := range rec.Args {
		flag, value, _ := strings.Cut(a, "=")
		switch flag {
		case "--config":
			value = filepath.Join(declaredDir, spec.DeclaredConfigKey)
		case "--api-url", "--api-address":
			value = api(flag, value)
		case "--listen":
			value = rp.listen
		default:
			value = paths.Rewrite(value)
		}
		args = append(args, flag+"="+value)
	}
	args = append(args, "--poll=200ms")
	rp.cmd = exec.Command(buildReconciler(t), args...) //nolint:noctx // stopped by SIGTERM (stop), as the kubelet stops it
	rp.cmd.Stdout, rp.cmd.Stderr = rp.stdout, rp.stderr
	if err := rp.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { rp.exited <- rp.cmd.Wait() }()
	t.Cleanup(func() { _ = rp.cmd.Process.Kill() })
	return rp
}

// waitReady polls the container's readiness probe until it answers 200.
func (rp *reconcilerProcess) waitReady(t *testing.T) {
	t.Helper()
	readyz := "http://" + rp.listen + rp.container.ReadinessProbe.HTTPGet.Path
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := client.Get(readyz) //nolint:noctx // a poll
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the reconciler is not ready after a minute\nstatus: %s", getBody(t, "http://"+rp.listen+"/status"))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM, as the kubelet does: the binary must exit 0.
func (rp *reconcilerProcess) stop(t *testing.T) {
	t.Helper()
	if err := rp.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-rp.exited:
		if err != nil {
			t.Errorf("the reconciler exited with %v on SIGTERM, want 0\nstderr:\n%s", err, rp.stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Error("the reconciler is still running 15s after SIGTERM")
	}
}
