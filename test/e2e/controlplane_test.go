package e2e_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	authv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/dittofs/function-dittofs/internal/testing/testenv"
	"github.com/dittofs/function-dittofs/internal/testing/testpki"
)

// The users the API server knows, by static token. Crossplane core and its
// RBAC manager run as the service accounts the Helm chart creates, and get
// exactly the rights the chart's ClusterRoles (which aggregate
// apis/rbac/clusterrole.yaml) give them: a rule the function's objects need
// and the project does not ship fails the test.
const (
	adminToken      = "e2e-admin-token"
	crossplaneToken = "e2e-crossplane-token"
	rbacToken       = "e2e-rbac-manager-token"
	crossplaneUser  = "system:serviceaccount:crossplane-system:crossplane"
	rbacUser        = "system:serviceaccount:crossplane-system:rbac-manager"
	xpNamespace     = "crossplane-system"
	pkgVersion      = "v0.1.0"
)

// env is one control plane and everything the test started for it.
type env struct {
	t     *testing.T
	ctx   context.Context
	root  string
	dir   string
	began time.Time
	procs []*proc

	bins      map[string]string // tool name -> directory of its binaries
	xpModule  string            // Crossplane core module source
	pgModule  string            // Percona operator module source
	function  string            // the function binary under test
	apiURL    string
	registry  string // host:port/dittofs of the local OCI registry
	ports     map[string]int
	ca        *testpki.KeyPair
	admin, xp *kube

	kcm, operator, rbacManager *proc
}

func (e *env) logf(format string, args ...any) {
	e.t.Helper()
	e.t.Logf("[%6.1fs] %s", time.Since(e.began).Seconds(), fmt.Sprintf(format, args...))
}

// newEnv builds what the test runs and starts a control plane: etcd,
// kube-apiserver, Crossplane core and RBAC manager, the function over mTLS,
// the Function and Configuration packages from a local registry, and the
// Percona CRDs. kube-controller-manager starts here too (Crossplane's
// ClusterRole needs its aggregation controller) and restarts once the XRDs
// exist (startKCM).
func newEnv(t *testing.T) *env {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("E2E_WORKDIR")
	if dir == "" {
		dir, err = os.MkdirTemp("", "function-dittofs-e2e-") //nolint:usetesting // kept on failure for the logs, which t.TempDir would delete
		if err != nil {
			t.Fatal(err)
		}
	} else if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"logs", "pki", "xpkg-cache", "out"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &env{t: t, ctx: ctx, root: root, dir: dir, began: time.Now(), bins: map[string]string{}, ports: map[string]int{}}
	t.Cleanup(func() {
		cancel()
		for i := len(e.procs) - 1; i >= 0; i-- {
			e.procs[i].stop()
		}
		if t.Failed() {
			for _, p := range e.procs {
				t.Logf("---- last lines of %s (%s)\n%s", p.name, p.log, p.tail(25))
			}
			t.Logf("work directory kept: %s", dir)
			return
		}
		if os.Getenv("E2E_WORKDIR") == "" {
			os.RemoveAll(dir)
		}
	})
	e.logf("work directory %s", dir)
	e.build()
	e.startControlPlane()
	return e
}

// build finds or builds every program: the pinned tools (hack/tool.sh, once
// per machine) and the function from this checkout.
func (e *env) build() {
	t := e.t
	ctx, cancel := context.WithTimeout(e.ctx, 40*time.Minute)
	defer cancel()
	for _, tool := range []string{"etcd", "kubernetes", "crossplane-core", "crossplane-cli", "percona-operator"} {
		out, err := run(ctx, e.root, nil, filepath.Join(e.root, "hack", "tool.sh"), tool)
		if err != nil {
			t.Fatalf("hack/tool.sh %s: %v\n%s", tool, err, out)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		e.bins[tool] = lines[len(lines)-1]
	}
	modDir := func(tool, mod string) string {
		out, err := run(ctx, filepath.Join(e.root, "tools", tool), []string{"GOFLAGS=-mod=mod"}, "go", "list", "-m", "-f", "{{.Dir}}", mod)
		if err != nil {
			t.Fatalf("finding %s: %v\n%s", mod, err, out)
		}
		return strings.TrimSpace(out)
	}
	e.xpModule = modDir("crossplane-core", "github.com/crossplane/crossplane/v2")
	e.pgModule = modDir("percona-operator", "github.com/percona/percona-postgresql-operator/v2")
	e.function = filepath.Join(e.dir, "function-dittofs")
	if out, err := run(ctx, e.root, []string{"CGO_ENABLED=0"}, "go", "build", "-o", e.function, "."); err != nil {
		t.Fatalf("building the function: %v\n%s", err, out)
	}
	e.logf("programs built")
}

// packages builds the Function and both Configuration packages the way
// `make xpkg` does and pushes them to an in-process OCI registry on
// 127.0.0.1 (plain HTTP, which go-containerregistry uses for loopback
// registries), under host:port/dittofs.
func (e *env) packages() {
	t := e.t
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	e.registry = strings.TrimPrefix(srv.URL, "http://") + "/dittofs"
	ctx, cancel := context.WithTimeout(e.ctx, 15*time.Minute)
	defer cancel()
	env := []string{"OUT=" + filepath.Join(e.dir, "out"), "VERSION=" + pkgVersion, "ARCHES=amd64", "REGISTRY=" + e.registry}
	for _, step := range []string{"image", "build", "push"} {
		if out, err := run(ctx, e.root, env, filepath.Join(e.root, "hack", "xpkg.sh"), step); err != nil {
			t.Fatalf("hack/xpkg.sh %s: %v\n%s", step, err, out)
		}
	}
	e.logf("packages pushed to %s", e.registry)
}

func (e *env) kubeconfig(name, token string) string {
	path := filepath.Join(e.dir, name+".kubeconfig")
	writeFile(e.t, path, []byte(fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: %q, insecure-skip-tls-verify: true}
users:
- name: %s
  user: {token: %q}
contexts:
- name: local
  context: {cluster: local, user: %s}
current-context: local
`, e.apiURL, name, token, name)))
	return path
}

func (e *env) startControlPlane() {
	t := e.t
	bin := func(tool, name string) string { return filepath.Join(e.bins[tool], name) }
	for _, p := range []string{"etcd", "etcd-peer", "apiserver", "function", "xp-metrics", "xp-health", "xp-webhook"} {
		e.ports[p] = testenv.FreePort(t)
	}
	pki := filepath.Join(e.dir, "pki")
	ca, err := testpki.NewCA("function-dittofs-e2e-ca")
	if err != nil {
		t.Fatal(err)
	}
	e.ca = ca
	// Server certificates name localhost and 127.0.0.1, where Crossplane
	// dials the function and the API server dials the webhooks.
	issue(t, filepath.Join(pki, "function"), ca)(ca.Server("function-dittofs"))
	issue(t, filepath.Join(pki, "crossplane-client"), ca)(ca.Client("crossplane", "crossplane.crossplane-system"))
	issue(t, filepath.Join(pki, "crossplane-webhook"), ca)(ca.Server("crossplane-webhooks"))
	saPub, saKey := serviceAccountKeys(t, pki)
	writeFile(t, filepath.Join(pki, "tokens.csv"), []byte(fmt.Sprintf(
		"%s,admin,admin,\"system:masters\"\n%s,%s,crossplane,\"system:serviceaccounts,system:serviceaccounts:%s\"\n%s,%s,rbac-manager,\"system:serviceaccounts,system:serviceaccounts:%s\"\n",
		adminToken, crossplaneToken, crossplaneUser, xpNamespace, rbacToken, rbacUser, xpNamespace)))

	etcd := e.start("etcd", nil, bin("etcd", "etcd"),
		"--data-dir", filepath.Join(e.dir, "etcd-data"),
		"--listen-client-urls", fmt.Sprintf("http://127.0.0.1:%d", e.ports["etcd"]),
		"--advertise-client-urls", fmt.Sprintf("http://127.0.0.1:%d", e.ports["etcd"]),
		"--listen-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", e.ports["etcd-peer"]),
		"--initial-advertise-peer-urls", fmt.Sprintf("http://127.0.0.1:%d", e.ports["etcd-peer"]),
		"--initial-cluster", fmt.Sprintf("default=http://127.0.0.1:%d", e.ports["etcd-peer"]),
		"--unsafe-no-fsync")
	e.waitHTTP("etcd", fmt.Sprintf("http://127.0.0.1:%d/health", e.ports["etcd"]), "", 60*time.Second, etcd)

	e.apiURL = fmt.Sprintf("https://127.0.0.1:%d", e.ports["apiserver"])
	kas := e.start("kube-apiserver", nil, bin("kubernetes", "kube-apiserver"),
		fmt.Sprintf("--etcd-servers=http://127.0.0.1:%d", e.ports["etcd"]),
		fmt.Sprintf("--secure-port=%d", e.ports["apiserver"]), "--bind-address=127.0.0.1",
		"--cert-dir="+filepath.Join(e.dir, "certs"), "--token-auth-file="+filepath.Join(pki, "tokens.csv"),
		"--authorization-mode=RBAC", "--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+saPub, "--service-account-signing-key-file="+saKey,
		"--service-cluster-ip-range=10.0.0.0/24", "--advertise-address=127.0.0.1")
	e.waitHTTP("kube-apiserver", e.apiURL+"/readyz", adminToken, 120*time.Second, kas)
	if e.admin, err = newKube(e.apiURL, adminToken); err != nil {
		t.Fatal(err)
	}
	if e.xp, err = newKube(e.apiURL, crossplaneToken); err != nil {
		t.Fatal(err)
	}
	e.kubeconfig("admin", adminToken)
	e.logf("kube-apiserver ready at %s (kubeconfig %s)", e.apiURL, filepath.Join(e.dir, "admin.kubeconfig"))

	// What the Helm chart would install for Crossplane's two service
	// accounts, plus the project's aggregated ClusterRole.
	e.namespace(xpNamespace)
	rbacYAML, err := chartRBAC(filepath.Join(e.xpModule, "cluster", "charts", "crossplane"), xpNamespace)
	if err != nil {
		t.Fatalf("rendering the Crossplane chart's RBAC: %v", err)
	}
	writeFile(t, filepath.Join(e.dir, "chart-rbac.yaml"), rbacYAML)
	e.applyFile(rbacYAML, "")
	e.applyFile(e.read(filepath.Join(e.root, "apis", "rbac", "clusterrole.yaml")), "")

	e.startKCM()

	// Crossplane's Usage webhook, reached on 127.0.0.1: the chart's
	// configuration, pointed at a URL instead of the in-cluster Service.
	e.usageWebhook()

	xpEnv := []string{"KUBECONFIG=" + e.kubeconfig("crossplane", crossplaneToken)}
	xpBin := bin("crossplane-core", "crossplane")
	initArgs := []string{
		"core", "init", "--cr-ds-path=" + filepath.Join(e.xpModule, "cluster", "crds"),
		"--enable-webhooks=false", "--namespace=" + xpNamespace,
		"--tlsca-secret-name=crossplane-root-ca", "--tls-client-secret-name=crossplane-tls-client",
	}
	var out string
	for i := 1; ; i++ {
		// The first attempt nearly always fails: the Lock CRD it just
		// created is not served yet.
		ctx, cancel := context.WithTimeout(e.ctx, time.Minute)
		out, err = run(ctx, e.dir, xpEnv, xpBin, initArgs...)
		cancel()
		if err == nil {
			e.logf("crossplane core init done (%d attempts)", i)
			break
		}
		if i == 20 {
			t.Fatalf("crossplane core init: %v\n%s", err, out)
		}
		time.Sleep(time.Second)
	}
	core := e.start("crossplane", xpEnv, xpBin, "core", "start", "--debug",
		"--package-runtime=External", "--namespace="+xpNamespace,
		"--enable-webhooks=true", fmt.Sprintf("--webhook-port=%d", e.ports["xp-webhook"]),
		"--tls-server-certs-dir="+filepath.Join(pki, "crossplane-webhook"),
		"--tls-client-certs-dir="+filepath.Join(pki, "crossplane-client"),
		"--xpkg-cache-dir="+filepath.Join(e.dir, "xpkg-cache"),
		fmt.Sprintf("--metrics-port=%d", e.ports["xp-metrics"]), fmt.Sprintf("--health-probe-port=%d", e.ports["xp-health"]))
	e.startRBACManager()
	e.waitHTTP("crossplane core", fmt.Sprintf("http://127.0.0.1:%d/readyz", e.ports["xp-health"]), "", 60*time.Second, core)
	e.logf("crossplane core and rbac manager started as %s and %s", crossplaneUser, rbacUser)

	fnProc := e.start("function-dittofs", nil, e.function, "--debug",
		fmt.Sprintf("--address=127.0.0.1:%d", e.ports["function"]),
		"--tls-certs-dir="+filepath.Join(pki, "function"), "--metrics-address=")
	_ = fnProc

	// The Percona CRDs, as the operator's deploy/crd.yaml installs them.
	e.applyFile(e.read(filepath.Join(e.pgModule, "deploy", "crd.yaml")), "")
	e.logf("Percona CRDs applied")
}

func (e *env) read(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

func (e *env) applyFile(data []byte, ns string) {
	e.t.Helper()
	if err := e.admin.applyYAML(e.ctx, data, ns); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) namespace(name string) {
	e.t.Helper()
	e.applyFile([]byte("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: "+name+"\n"), "")
}

// usageWebhook installs Crossplane's ValidatingWebhookConfiguration for
// Usages (cluster/webhookconfigurations/usage.yaml in the core module) with
// the client config pointed at core's webhook server on 127.0.0.1 and our
// CA, which is what `core init --enable-webhooks` would do with a Service.
func (e *env) usageWebhook() {
	objs, err := parseYAML(e.read(filepath.Join(e.xpModule, "cluster", "webhookconfigurations", "usage.yaml")))
	if err != nil || len(objs) != 1 {
		e.t.Fatalf("reading the Usage webhook configuration: %v (%d objects)", err, len(objs))
	}
	u := objs[0]
	hooks, _, _ := unstructured.NestedSlice(u.Object, "webhooks")
	for i, h := range hooks {
		m := h.(map[string]any)
		cc := m["clientConfig"].(map[string]any)
		path, _, _ := unstructured.NestedString(cc, "service", "path")
		m["clientConfig"] = map[string]any{
			"url":      fmt.Sprintf("https://127.0.0.1:%d%s", e.ports["xp-webhook"], path),
			"caBundle": b64(e.ca.CertPEM),
		}
		hooks[i] = m
	}
	_ = unstructured.SetNestedSlice(u.Object, hooks, "webhooks")
	if _, err := e.admin.apply(e.ctx, u); err != nil {
		e.t.Fatalf("applying the Usage webhook configuration: %v", err)
	}
}

// startKCM starts kube-controller-manager with its garbage collector (which
// deletes composed objects when their XR goes), its namespace controller
// and its ClusterRole aggregation controller (which gives Crossplane's
// ClusterRole the rules of the ClusterRoles labelled to aggregate into it:
// ours, the chart's and those the RBAC manager makes per XRD). The garbage
// collector discovers new kinds only every 30 s, so the test restarts it
// once the XRDs exist; a restart picks up every kind created since.
func (e *env) startKCM() {
	if e.kcm != nil {
		e.kcm.stop()
	}
	e.kcm = e.start("kube-controller-manager", nil, filepath.Join(e.bins["kubernetes"], "kube-controller-manager"),
		"--kubeconfig="+filepath.Join(e.dir, "admin.kubeconfig"),
		"--controllers=garbage-collector-controller,namespace-controller,clusterrole-aggregation-controller",
		"--leader-elect=false", "--secure-port=0")
}

// The package repositories the project publishes, under ghcr.io/dittofs.
const (
	pkgRegistry    = "ghcr.io/dittofs"
	functionSource = pkgRegistry + "/function-dittofs"
)

// imageConfig points Crossplane at the local registry for every package
// under ghcr.io/dittofs with Crossplane's own mechanism, an ImageConfig
// prefix rewrite: the packages stay the ones users install (their
// dependency names ghcr.io/dittofs/function-dittofs), and the package
// manager and its dependency resolver (which lists the tags through the
// same rewrite) fetch them from 127.0.0.1.
func (e *env) imageConfig() {
	e.applyFile([]byte(fmt.Sprintf(`apiVersion: pkg.crossplane.io/v1beta1
kind: ImageConfig
metadata:
  name: dittofs-local-registry
spec:
  matchImages:
  - type: Prefix
    prefix: %s/
  rewriteImage:
    prefix: %s/
`, pkgRegistry, e.registry)), "")
}

// installConfiguration installs only a Configuration, with the command a
// user types: `crossplane xpkg install configuration
// ghcr.io/dittofs/<repo>:<version>` (the pinned CLI, against the test's API
// server). Crossplane's package manager resolves the Configuration's
// dependency and installs the Function itself; the test acts as that
// Function's package runtime (serveFunction) while the command waits for
// the Configuration, then waits for its XRD to be established (and
// offered, for a claim XRD).
func (e *env) installConfiguration(repo, xrd string, offered bool) {
	t := e.t
	ref := fmt.Sprintf("%s/%s:%s", pkgRegistry, repo, pkgVersion)
	cli := e.start("xpkg-install-"+repo, []string{"KUBECONFIG=" + filepath.Join(e.dir, "admin.kubeconfig")},
		filepath.Join(e.bins["crossplane-cli"], "crossplane"), "xpkg", "install", "configuration", ref, "--wait=4m")
	e.logf("ran: crossplane xpkg install configuration %s --wait=4m", ref)
	e.serveFunction(xrd, cli)
	select {
	case <-cli.done:
	case <-time.After(5 * time.Minute):
		t.Fatalf("crossplane xpkg install configuration %s did not return:\n%s", ref, cli.tail(20))
	}
	out := cli.tail(20)
	if cli.err != nil {
		t.Fatalf("crossplane xpkg install configuration %s: %v\n%s", ref, cli.err, out)
	}
	// The CLI names the package after its repository, as the resolver does.
	name := "dittofs-" + repo
	if !strings.Contains(out, "configuration/"+name+" created") {
		t.Fatalf("crossplane xpkg install configuration %s printed %q, want configuration/%s created", ref, out, name)
	}
	e.logf("crossplane xpkg install: %s", strings.TrimSpace(out))
	e.waitPackage("Configuration", name)
	e.eventually("XRD "+xrd+" established", 120*time.Second, func() error {
		x, err := e.admin.get(e.ctx, "apiextensions.crossplane.io/v1", "CompositeResourceDefinition", "", xrd)
		if err != nil {
			return err
		}
		if s, _, _ := condition(x, "Established"); s != "True" {
			return fmt.Errorf("%s", conditions(x))
		}
		if s, _, _ := condition(x, "Offered"); offered && s != "True" {
			return fmt.Errorf("%s", conditions(x))
		}
		return nil
	})
}

// serveFunction waits for the Function the package manager installed for
// the Configuration's dependency, checks it is the one the Composition
// (named after its XRD) calls, fetched through the ImageConfig, and acts as
// its package runtime. With --package-runtime=External nothing else starts
// it: on a real cluster the Deployment runtime runs the image with the
// DeploymentRuntimeConfig "default" (or the one an ImageConfig's
// spec.runtime.configRef names, since no one writes this Function's
// spec), makes its TLS Secret and Service and records the endpoint. Here
// the function runs as the process startControlPlane started, serving
// mTLS with the test CA's certificate for 127.0.0.1, and the test writes
// what the runtime would: the TLS Secret, the revision's endpoint and
// RuntimeHealthy.
func (e *env) serveFunction(composition string, cli *proc) {
	t := e.t
	var fn *unstructured.Unstructured
	e.eventually("the package manager installs the Function dependency", 180*time.Second, func() error {
		if cli.exited() && cli.err != nil {
			t.Fatalf("crossplane xpkg install: %v\n%s", cli.err, cli.tail(20))
		}
		fns, err := e.admin.list(e.ctx, "pkg.crossplane.io/v1", "Function", "", "")
		if err != nil {
			return err
		}
		var found []string
		for i := range fns {
			if strings.HasPrefix(str(&fns[i], "spec", "package"), functionSource+":") {
				fn = &fns[i]
				found = append(found, fns[i].GetName())
			}
		}
		if len(found) != 1 {
			lock, _ := e.admin.get(e.ctx, "pkg.crossplane.io/v1beta1", "Lock", "", "lock")
			return fmt.Errorf("want one Function from %s, got %v; Lock: %s", functionSource, found, lockState(lock))
		}
		return nil
	})
	name := fn.GetName()
	if got, want := str(fn, "spec", "package"), functionSource+":"+pkgVersion; got != want {
		t.Errorf("Function %s spec.package = %q, want %q (the newest tag matching the dependency's constraint)", name, got, want)
	}
	e.logf("Function %s installed by the package manager from %s", name, str(fn, "spec", "package"))

	pki := filepath.Join(e.dir, "pki", "function")
	secretName := name + "-tls-server"
	e.applyFile([]byte(fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: %s
  namespace: %s
type: kubernetes.io/tls
data:
  tls.crt: %s
  tls.key: %s
  ca.crt: %s
`, secretName, xpNamespace, b64(e.read(filepath.Join(pki, "tls.crt"))), b64(e.read(filepath.Join(pki, "tls.key"))), b64(e.ca.CertPEM))), "")

	var rev string
	e.eventually("FunctionRevision created", 120*time.Second, func() error {
		revs, err := e.admin.list(e.ctx, "pkg.crossplane.io/v1", "FunctionRevision", "", "pkg.crossplane.io/package="+name)
		if err != nil {
			return err
		}
		if len(revs) != 1 {
			f, _ := e.admin.get(e.ctx, "pkg.crossplane.io/v1", "Function", "", name)
			return fmt.Errorf("%d revisions; Function: %s", len(revs), conditions(f))
		}
		rev = revs[0].GetName()
		return nil
	})
	patch := fmt.Sprintf(`{"status":{"endpoint":"dns:///127.0.0.1:%d","tlsServerSecretName":%q}}`, e.ports["function"], secretName)
	if err := e.admin.patch(e.ctx, "pkg.crossplane.io/v1", "FunctionRevision", "", rev, patch, "status"); err != nil {
		t.Fatal(err)
	}
	e.eventually("FunctionRevision healthy", 60*time.Second, func() error {
		r, err := e.admin.get(e.ctx, "pkg.crossplane.io/v1", "FunctionRevision", "", rev)
		if err != nil {
			return err
		}
		if s, _, _ := condition(r, "RevisionHealthy"); s != "True" {
			return fmt.Errorf("%s", conditions(r))
		}
		conds, _, _ := unstructured.NestedSlice(r.Object, "status", "conditions")
		for _, c := range conds {
			if c.(map[string]any)["type"] == "RuntimeHealthy" {
				return nil
			}
		}
		conds = append(conds, map[string]any{
			"type": "RuntimeHealthy", "status": "True", "reason": "HealthyPackageRevision",
			"lastTransitionTime": time.Now().UTC().Format(time.RFC3339),
		})
		_ = unstructured.SetNestedSlice(r.Object, conds, "status", "conditions")
		res, err := e.admin.resource("pkg.crossplane.io/v1", "FunctionRevision", "")
		if err != nil {
			return err
		}
		if _, err := res.UpdateStatus(e.ctx, r, metav1.UpdateOptions{}); err != nil {
			return err
		}
		return fmt.Errorf("RuntimeHealthy just set")
	})
	e.waitPackage("Function", name)

	// The package came from the local registry through the rewrite.
	fn, err := e.admin.get(e.ctx, "pkg.crossplane.io/v1", "Function", "", name)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := str(fn, "status", "resolvedPackage"), e.registry+"/function-dittofs:"+pkgVersion; got != want {
		t.Errorf("Function %s status.resolvedPackage = %q, want %q (rewritten by ImageConfig dittofs-local-registry)", name, got, want)
	}

	// The Configuration's revision establishes its Composition once its
	// dependency is in the Lock; the Composition must call this Function.
	comp := e.mustExist("apiextensions.crossplane.io/v1", "Composition", "", composition, 120*time.Second)
	steps, _, _ := unstructured.NestedSlice(comp.Object, "spec", "pipeline")
	for i, s := range steps {
		if ref, _, _ := unstructured.NestedString(s.(map[string]any), "functionRef", "name"); ref != name {
			t.Fatalf("the package manager installed the Function dependency as %q, but Composition %s step %d calls %q", name, composition, i, ref)
		}
	}
}

// lockState lists the packages in Crossplane's Lock and its conditions,
// which say why a dependency is not installed yet.
func lockState(lock *unstructured.Unstructured) string {
	if lock == nil {
		return "none"
	}
	pkgs, _, _ := unstructured.NestedSlice(lock.Object, "packages")
	var names []string
	for _, p := range pkgs {
		m, _ := p.(map[string]any)
		names = append(names, fmt.Sprintf("%v (%v)", m["name"], m["source"]))
	}
	return fmt.Sprintf("packages %v; %s", names, conditions(lock))
}

// waitPackage waits for a package to be Installed and Healthy.
func (e *env) waitPackage(kind, name string) {
	e.eventually(kind+" "+name+" installed and healthy", 120*time.Second, func() error {
		p, err := e.admin.get(e.ctx, "pkg.crossplane.io/v1", kind, "", name)
		if err != nil {
			return err
		}
		if s, _, _ := condition(p, "Installed"); s != "True" {
			return fmt.Errorf("%s", conditions(p))
		}
		if s, _, _ := condition(p, "Healthy"); s != "True" {
			return fmt.Errorf("%s", conditions(p))
		}
		return nil
	})
}

// uninstallConfiguration deletes the Configuration installConfiguration
// installed from repo and waits until its XRD and the CRDs Crossplane made
// from it are gone. The Function it pulled in stays, as Crossplane leaves
// dependencies installed.
func (e *env) uninstallConfiguration(repo, xrd string, crds ...string) {
	name := "dittofs-" + repo
	if err := e.admin.delete(e.ctx, "pkg.crossplane.io/v1", "Configuration", "", name); err != nil {
		e.t.Fatal(err)
	}
	e.eventually("Configuration "+name+", its XRD and CRDs gone", 180*time.Second, func() error {
		for _, c := range append([]string{"x"}, crds...) {
			kind, apiVersion, n := "CustomResourceDefinition", "apiextensions.k8s.io/v1", c
			if c == "x" {
				kind, apiVersion, n = "CompositeResourceDefinition", "apiextensions.crossplane.io/v1", xrd
			}
			ok, err := e.admin.exists(e.ctx, apiVersion, kind, "", n)
			if err != nil {
				return err
			}
			if ok {
				return fmt.Errorf("%s %s still there", kind, n)
			}
		}
		return nil
	})
	e.admin.mapper.Reset()
}

func ignoreNotFound(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// startRBACManager runs Crossplane's RBAC manager as its service account.
// It makes the ClusterRoles that let Crossplane (and, aggregated, users)
// manage each XRD's kinds. It binds :8080 for metrics and has no flag to
// move it, which clashes with the Percona operator's fixed :8080, so the
// test stops it (stopRBACManager) once the roles for the XRDs exist; they
// stay.
func (e *env) startRBACManager() {
	e.rbacManager = e.start("crossplane-rbac-manager", []string{"KUBECONFIG=" + e.kubeconfig("rbac-manager", rbacToken)},
		filepath.Join(e.bins["crossplane-core"], "crossplane"), "rbac", "start", "--debug")
}

func (e *env) stopRBACManager() {
	e.rbacManager.stop()
}

// waitCrossplaneMay waits until Crossplane's service account may manage the
// resources of group: the RBAC manager made their ClusterRoles and
// kube-controller-manager aggregated them into Crossplane's.
func (e *env) waitCrossplaneMay(group string, resources ...string) {
	e.eventually(fmt.Sprintf("crossplane may manage %v.%s", resources, group), 60*time.Second, func() error {
		for _, r := range resources {
			sar := &authv1.SubjectAccessReview{Spec: authv1.SubjectAccessReviewSpec{
				User: crossplaneUser, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + xpNamespace, "system:authenticated"},
				ResourceAttributes: &authv1.ResourceAttributes{Group: group, Resource: r, Verb: "update"},
			}}
			res, err := e.admin.cs.AuthorizationV1().SubjectAccessReviews().Create(e.ctx, sar, metav1.CreateOptions{})
			if err != nil {
				return err
			}
			if !res.Status.Allowed {
				return fmt.Errorf("not yet allowed to update %s", r)
			}
		}
		return nil
	})
}
