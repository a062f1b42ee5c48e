package e2e_test

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/dittofs/function-dittofs/internal/fsreport"
	"github.com/dittofs/function-dittofs/internal/fsreport/writer"
	"github.com/dittofs/function-dittofs/internal/testing/testenv"
)

const (
	fsXR          = "fsstatus"
	fsComposition = "dittoservers-with-reconciler"
	fsAccount     = fsXR + "-fileservice-reconciler"
	fsStatusCM    = fsXR + "-fileservice-status"
)

// fileServiceStatus: an XR that declares a file service gets the status
// channel from Crossplane (the ConfigMap <xr>-fileservice-status without
// data, the ServiceAccount, a Role allowing get and patch of that one
// ConfigMap, the RoleBinding). A token minted for the ServiceAccount with
// the TokenRequest API (what the kubelet projects into the reconciler
// container) lets the reconciler's own report writer apply its report, and
// nothing else: not another ConfigMap, not a Secret, not a new ConfigMap.
// The function then publishes status.shares and FileServiceReady from the
// report, an error report as ReconcileError, and Crossplane's applies of
// the ConfigMap never take the reconciler's key away.
func (e *env) fileServiceStatus(t *testing.T) {
	defer e.sub(t)()
	e.compositionWithReconciler()
	e.applyFile([]byte(fmt.Sprintf(`apiVersion: %s
kind: DittoServer
metadata:
  name: %s
  namespace: %s
spec:
  crossplane:
    compositionRef: {name: %s}
  storage: {metadataSize: 1Gi}
  fileService:
    metadataStores:
    - {name: main, type: badger}
    blockStores:
    - {name: main, kind: local, type: fs}
    shares:
    - {name: /export, metadataStore: main, localBlockStore: main}
    - {name: /archive, metadataStore: main, localBlockStore: main, readOnly: true}
`, xrAPI, fsXR, ns, fsComposition)), "")
	defer e.deleteFileServiceXR()

	xr := e.xr(fsXR)
	for _, o := range [][3]string{
		{"v1", "ConfigMap", fsStatusCM},
		{"v1", "ServiceAccount", fsAccount},
		{"rbac.authorization.k8s.io/v1", "Role", fsAccount},
		{"rbac.authorization.k8s.io/v1", "RoleBinding", fsAccount},
	} {
		e.ownedBy(e.mustExist(o[0], o[1], ns, o[2], 90*time.Second), xr)
	}
	e.synced(xrAPI, "DittoServer", ns, fsXR)
	e.checkStatusChannelObjects()

	// Pending until the reconciler reports; the shares' URLs are there
	// already, none applied.
	e.eventually("FileServiceReady Pending before any report", 60*time.Second, func() error {
		return e.fileServiceIs("False", "Pending", "waiting for the reconciler's first report", map[string]bool{"/export": false, "/archive": false})
	})

	reconcilerAPI := e.reconcilerClient()
	w, err := writer.New(reconcilerAPI, ns, fsStatusCM)
	if err != nil {
		t.Fatal(err)
	}
	hash := e.declaredHash()
	applied := fsreport.Report{
		AttemptedConfigHash: hash, AppliedConfigHash: hash, AppliedAt: "2026-12-01T23:00:00Z",
		Shares: []fsreport.Share{{Name: "/export", Applied: true}, {Name: "/archive", Applied: true}},
	}
	if err := w.Write(e.ctx, fsreport.Encode(applied)); err != nil {
		t.Fatalf("the reconciler's token may not write its report: %v", err)
	}
	e.logf("the reconciler's report writer, with a token of %s only, applied its report", fsAccount)
	e.forbiddenToReconciler(reconcilerAPI)

	e.eventually("FileServiceReady Applied from the report", 180*time.Second, func() error {
		return e.fileServiceIs("True", "Applied", "the reconciler applied declaration "+hash, map[string]bool{"/export": true, "/archive": true})
	})
	x := e.xr(fsXR)
	shares, _, _ := unstructured.NestedSlice(x.Object, "status", "shares")
	if len(shares) != 2 || shares[0].(map[string]any)["nfs"] != "nfs://fsstatus-nfs.storage.svc.cluster.local:2049/export" ||
		shares[0].(map[string]any)["smb"] != "smb://fsstatus-smb.storage.svc.cluster.local:445/export" {
		t.Errorf("status.shares = %v, want /export's NFS and SMB URLs first", shares)
	}
	// Crossplane applied the ConfigMap again meanwhile (its reconciles
	// after the report): the key is still the reconciler's alone.
	e.reconcileXR(fsXR, "after-report")
	e.synced(xrAPI, "DittoServer", ns, fsXR)
	e.reportOwnedByReconciler(fsreport.Encode(applied))

	failed := applied
	failed.Error = "create share /archive: DittoFS refused: 409 a share of that name exists"
	failed.Shares = []fsreport.Share{{Name: "/export", Applied: true}, {Name: "/archive"}}
	if err := w.Write(e.ctx, fsreport.Encode(failed)); err != nil {
		t.Fatal(err)
	}
	e.eventually("FileServiceReady ReconcileError from an error report", 180*time.Second, func() error {
		return e.fileServiceIs("False", "ReconcileError", "the reconciler reports: "+failed.Error, map[string]bool{"/export": true, "/archive": false})
	})
	// A reconciler error touches nothing else: the workload's condition
	// is not the file service's.
	if s, r, _ := condition(e.xr(fsXR), "WorkloadReady"); r == "ReconcileError" {
		t.Errorf("WorkloadReady is %s/%s: a reconciler error reached it", s, r)
	}

	// Untrusted input: a report a pod could write that is not one is
	// refused whole, its shares not believed.
	if err := w.Write(e.ctx, `{"version":1,"attemptedConfigHash":"`+hash+`","shares":[{"name":"/export","applied":true}],"password":"x"}`); err != nil {
		t.Fatal(err)
	}
	e.eventually("FileServiceReady InvalidReport from a malformed report", 180*time.Second, func() error {
		return e.fileServiceIs("False", "InvalidReport", "unknown field", map[string]bool{"/export": false, "/archive": false})
	})

	e.realReconcilerReports(hash)
}

// realReconcilerReports runs the reconciler's own binary (cmd/reconciler)
// as the kubelet would start it, with the declaration the function
// composed, a token of its ServiceAccount and the API server's CA where
// the projected volume puts them, and no DittoFS behind its API URL. Its
// passes fail to log in; it reports that once (not once per pass), and
// the XR shows it as ReconcileError on the current declaration.
func (e *env) realReconcilerReports(hash string) {
	t := e.t
	bin := filepath.Join(e.dir, "reconciler")
	if out, err := run(e.ctx, e.root, []string{"CGO_ENABLED=0"}, "go", "build", "-o", bin, "./cmd/reconciler"); err != nil {
		t.Fatalf("building the reconciler: %v\n%s", err, out)
	}
	dir := filepath.Join(e.dir, "reconciler-pod")
	cm := e.mustExist("v1", "ConfigMap", ns, fsXR+"-fileservice", time.Second)
	tok := e.reconcilerToken()
	writeFile(t, filepath.Join(dir, "declared", "config.yaml"), []byte(str(cm, "data", "config.yaml")))
	writeFile(t, filepath.Join(dir, "admin", "password"), []byte("not-the-servers"))
	writeFile(t, filepath.Join(dir, "serviceaccount", "token"), []byte(tok))
	// kube-apiserver's self-signed serving certificate, with its CA.
	writeFile(t, filepath.Join(dir, "serviceaccount", "ca.crt"), e.read(filepath.Join(e.dir, "certs", "apiserver.crt")))
	before, err := e.admin.cs.CoreV1().ConfigMaps(ns).Get(e.ctx, fsStatusCM, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := e.start("fileservice-reconciler", []string{"KUBERNETES_SERVICE_HOST=127.0.0.1", fmt.Sprintf("KUBERNETES_SERVICE_PORT=%d", e.ports["apiserver"])}, bin,
		"--config="+filepath.Join(dir, "declared", "config.yaml"),
		"--admin-password-file="+filepath.Join(dir, "admin", "password"),
		fmt.Sprintf("--api-url=http://127.0.0.1:%d", testenv.FreePort(t)), // no DittoFS there
		fmt.Sprintf("--listen=127.0.0.1:%d", testenv.FreePort(t)),
		"--status-configmap="+fsStatusCM, "--status-namespace="+ns,
		"--status-token-dir="+filepath.Join(dir, "serviceaccount"),
		"--poll=200ms", "--max-backoff=1s")
	defer p.stop()
	e.eventually("FileServiceReady ReconcileError from the real reconciler's report", 180*time.Second, func() error {
		return e.fileServiceIs("False", "ReconcileError", "log in to DittoFS as admin", map[string]bool{"/export": false, "/archive": false})
	})
	// Several failed passes, each with the same error: one write.
	e.eventually("three passes of the real reconciler", 30*time.Second, func() error {
		if n := strings.Count(string(e.read(p.log)), `"pass failed; retrying"`); n < 3 {
			return fmt.Errorf("%d passes so far", n)
		}
		return nil
	})
	log := string(e.read(p.log))
	if n := strings.Count(log, `"wrote the status report"`); n != 1 {
		t.Errorf("the reconciler wrote its report %d times over %d equal passes, want once:\n%s", n, strings.Count(log, `"pass failed; retrying"`), log)
	}
	if strings.Contains(log, "not-the-servers") || strings.Contains(log, tok) {
		t.Error("the reconciler logged a secret")
	}
	after, err := e.admin.cs.CoreV1().ConfigMaps(ns).Get(e.ctx, fsStatusCM, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := fsreport.Decode(after.Data[fsreport.Key])
	if err != nil {
		t.Fatalf("the real reconciler's report: %v", err)
	}
	if r.AttemptedConfigHash != hash || r.AppliedConfigHash != "" || len(r.Shares) != 2 {
		t.Errorf("the real reconciler's report %+v: want attemptedConfigHash %s, nothing applied, both shares", r, hash)
	}
	if after.ResourceVersion == before.ResourceVersion {
		t.Error("the real reconciler did not write its report")
	}
	e.reportOwnedByReconciler(after.Data[fsreport.Key])
	e.logf("the real reconciler reported %q once, as its ServiceAccount", r.Error)
}

// compositionWithReconciler is the installed Composition with the
// reconciler's image pinned in its Input (the Configuration's pins none
// until the function's image carries /reconciler), under another name.
func (e *env) compositionWithReconciler() {
	e.t.Helper()
	c := e.mustExist("apiextensions.crossplane.io/v1", "Composition", "", "dittoservers.dittofs.dittofs.com", 30*time.Second)
	pipeline, _, _ := unstructured.NestedSlice(c.Object, "spec", "pipeline")
	if len(pipeline) == 0 {
		e.t.Fatal("the installed Composition has no pipeline")
	}
	step := pipeline[0].(map[string]any)
	if err := unstructured.SetNestedField(step, "registry.example.com/dittofs/function-dittofs:v0.1.0", "input", "images", "reconciler"); err != nil {
		e.t.Fatal(err)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.crossplane.io/v1", "kind": "Composition",
		"metadata": map[string]any{"name": fsComposition},
		"spec":     c.Object["spec"],
	}}
	if err := unstructured.SetNestedSlice(u.Object, pipeline, "spec", "pipeline"); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.admin.apply(e.ctx, u); err != nil {
		e.t.Fatal(err)
	}
}

// checkStatusChannelObjects checks what Crossplane created: the ConfigMap
// without data, exactly one rule, the binding to the account.
func (e *env) checkStatusChannelObjects() {
	t := e.t
	cm := e.mustExist("v1", "ConfigMap", ns, fsStatusCM, time.Second)
	if d, ok := cm.Object["data"]; ok {
		t.Errorf("%s has data %v before any report; Crossplane would own it", fsStatusCM, d)
	}
	role, err := e.admin.cs.RbacV1().Roles(ns).Get(e.ctx, fsAccount, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r := role.Rules; len(r) != 1 || !slices.Equal(r[0].Verbs, []string{"get", "patch"}) || !slices.Equal(r[0].ResourceNames, []string{fsStatusCM}) ||
		!slices.Equal(r[0].Resources, []string{"configmaps"}) || !slices.Equal(r[0].APIGroups, []string{""}) {
		t.Errorf("Role %s rules = %+v, want get and patch of configmaps/%s only", fsAccount, r, fsStatusCM)
	}
	rb, err := e.admin.cs.RbacV1().RoleBindings(ns).Get(e.ctx, fsAccount, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rb.Subjects) != 1 || rb.Subjects[0].Kind != "ServiceAccount" || rb.Subjects[0].Name != fsAccount || rb.RoleRef.Name != fsAccount {
		t.Errorf("RoleBinding %s = %+v, %+v", fsAccount, rb.Subjects, rb.RoleRef)
	}
	sts := e.mustExist("apps/v1", "StatefulSet", ns, fsXR, 30*time.Second)
	if got := str(sts, "spec", "template", "spec", "serviceAccountName"); got != fsAccount {
		t.Errorf("the DittoFS pod runs as %q, want %s", got, fsAccount)
	}
	if v, _, _ := unstructured.NestedBool(sts.Object, "spec", "template", "spec", "automountServiceAccountToken"); v {
		t.Error("the DittoFS pod mounts a token for every container")
	}
}

// reconcilerClient is a client with only a token the TokenRequest API
// minted for the reconciler's ServiceAccount, as the kubelet would.
func (e *env) reconcilerClient() *rest.Config {
	e.t.Helper()
	return &rest.Config{Host: e.admin.cfg.Host, BearerToken: e.reconcilerToken(), TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
}

func (e *env) reconcilerToken() string {
	e.t.Helper()
	tr, err := e.admin.cs.CoreV1().ServiceAccounts(ns).CreateToken(e.ctx, fsAccount, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptrTo(int64(600))},
	}, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("TokenRequest for %s: %v", fsAccount, err)
	}
	return tr.Status.Token
}

// forbiddenToReconciler: the same token may do nothing else.
func (e *env) forbiddenToReconciler(cfg *rest.Config) {
	t := e.t
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	other, err := writer.New(cfg, ns, fsXR+"-config")
	if err != nil {
		t.Fatal(err)
	}
	for what, try := range map[string]func() error{
		"apply its report into ConfigMap " + fsXR + "-config": func() error { return other.Write(e.ctx, "{}") },
		"merge-patch ConfigMap " + fsXR + "-config": func() error {
			_, err := cs.CoreV1().ConfigMaps(ns).Patch(e.ctx, fsXR+"-config", types.MergePatchType, []byte(`{"data":{"x":"y"}}`), metav1.PatchOptions{})
			return err
		},
		"read Secret " + fsXR + "-admin": func() error {
			_, err := cs.CoreV1().Secrets(ns).Get(e.ctx, fsXR+"-admin", metav1.GetOptions{})
			return err
		},
		"list ConfigMaps": func() error {
			_, err := cs.CoreV1().ConfigMaps(ns).List(e.ctx, metav1.ListOptions{})
			return err
		},
		"delete its own status ConfigMap": func() error {
			return cs.CoreV1().ConfigMaps(ns).Delete(e.ctx, fsStatusCM, metav1.DeleteOptions{})
		},
		"read its own Role": func() error {
			_, err := cs.RbacV1().Roles(ns).Get(e.ctx, fsAccount, metav1.GetOptions{})
			return err
		},
	} {
		err := try()
		var st *writer.APIStatusError
		switch {
		case err == nil:
			t.Errorf("the reconciler's token may %s", what)
		case apierrors.IsForbidden(err), errors.As(err, &st) && st.Code == http.StatusForbidden:
		default:
			t.Errorf("%s: %v, want 403 Forbidden", what, err)
		}
	}
	e.logf("the reconciler's token is refused everything but its report")
}

// declaredHash is fsreport.ConfigHash of the composed <xr>-fileservice, as
// the reconciler hashes what the kubelet projected of it.
func (e *env) declaredHash() string {
	cm := e.mustExist("v1", "ConfigMap", ns, fsXR+"-fileservice", 30*time.Second)
	raw := str(cm, "data", "config.yaml")
	if raw == "" {
		e.t.Fatalf("%s-fileservice has no config.yaml", fsXR)
	}
	return fsreport.ConfigHash([]byte(raw))
}

// fileServiceIs checks FileServiceReady and status.shares[].applied.
func (e *env) fileServiceIs(status, reason, messagePart string, applied map[string]bool) error {
	x := e.xr(fsXR)
	s, r, m := condition(x, "FileServiceReady")
	if s != status || r != reason || !strings.Contains(m, messagePart) {
		return fmt.Errorf("FileServiceReady is %s/%s %q, want %s/%s containing %q", s, r, m, status, reason, messagePart)
	}
	shares, _, _ := unstructured.NestedSlice(x.Object, "status", "shares")
	got := map[string]bool{}
	for _, sh := range shares {
		m := sh.(map[string]any)
		a, _ := m["applied"].(bool)
		got[fmt.Sprint(m["name"])] = a
	}
	if fmt.Sprint(got) != fmt.Sprint(applied) {
		return fmt.Errorf("status.shares applied = %v, want %v", got, applied)
	}
	return nil
}

// reportOwnedByReconciler: the report is still there, and its key is
// managed by the reconciler's field manager only.
func (e *env) reportOwnedByReconciler(want string) {
	t := e.t
	cm, err := e.admin.cs.CoreV1().ConfigMaps(ns).Get(e.ctx, fsStatusCM, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cm.Data[fsreport.Key] != want {
		t.Errorf("%s data[%s] = %q after Crossplane's apply, want the report", fsStatusCM, fsreport.Key, cm.Data[fsreport.Key])
	}
	for _, mf := range cm.ManagedFields {
		owns := mf.FieldsV1 != nil && strings.Contains(string(mf.FieldsV1.Raw), `"f:data"`)
		if owns && mf.Manager != fsreport.FieldManager {
			t.Errorf("field manager %s owns data of %s: %s", mf.Manager, fsStatusCM, mf.FieldsV1.Raw)
		}
	}
}

func (e *env) deleteFileServiceXR() {
	if err := e.admin.delete(e.ctx, xrAPI, "DittoServer", ns, fsXR); err != nil && !apierrors.IsNotFound(err) {
		e.t.Errorf("delete XR %s: %v", fsXR, err)
		return
	}
	e.eventually("XR "+fsXR+" and its Role gone", 120*time.Second, func() error {
		for _, o := range [][3]string{{xrAPI, "DittoServer", fsXR}, {"rbac.authorization.k8s.io/v1", "Role", fsAccount}} {
			if ok, err := e.admin.exists(e.ctx, o[0], o[1], ns, o[2]); err != nil || ok {
				return fmt.Errorf("%s %s still there (%w)", o[1], o[2], err)
			}
		}
		return nil
	})
	if err := e.admin.delete(e.ctx, "apiextensions.crossplane.io/v1", "Composition", "", fsComposition); err != nil {
		e.t.Errorf("delete Composition %s: %v", fsComposition, err)
	}
}

func ptrTo[T any](v T) *T { return &v }
