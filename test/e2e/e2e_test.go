// Package e2e_test runs function-dittofs in a real control plane: etcd,
// kube-apiserver and kube-controller-manager (k8s.io/kubernetes v1.35.0),
// Crossplane core v2.4.0 and its RBAC manager (running as the service
// accounts the Helm chart makes, with only the chart's and the project's
// RBAC), the function over mTLS, its packages installed by Crossplane's
// package manager from a local OCI registry, and the real Percona operator
// v2.9.0 reconciling the composed PerconaPGCluster. No kubelet runs: the
// test writes what one would (pod and StatefulSet readiness).
package e2e_test

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

var createOpts = metav1.CreateOptions{}

const (
	ns        = "storage"
	xrAPI     = "dittofs.dittofs.com/v1alpha1"
	pgAPI     = "pgv2.percona.com/v2"
	usageAPI  = "protection.crossplane.io/v1beta1"
	crunchAPI = "postgres-operator.crunchydata.com/v1beta1"
)

func TestControlPlane(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a whole control plane and builds its programs (minutes the first time)")
	}
	e := newEnv(t)
	e.packages()
	e.imageConfig()
	// Only the Configuration, as a user installs it; Crossplane installs
	// the Function it depends on.
	e.installConfiguration("configuration-dittofs", "dittoservers.dittofs.dittofs.com", false)
	e.waitCrossplaneMay("dittofs.dittofs.com", "dittoservers")
	e.stopRBACManager() // it holds :8080, which the Percona operator needs
	e.startKCM()
	e.startOperator(ns)

	// The SubjectAccessReviews stand alone; the rest builds step by step
	// on one cluster, so it stops at the first failing step.
	t.Run("rbac", e.checkRBAC)
	ok := t.Run("percona with backups", e.perconaWithBackups) &&
		t.Run("dr fixture", e.drFixture) &&
		t.Run("percona without backups", e.perconaWithoutBackups) &&
		t.Run("ready", e.ready) &&
		t.Run("usages", e.usages) &&
		t.Run("drift", e.drift) &&
		t.Run("guards", e.guards) &&
		t.Run("on-demand backup", e.onDemandBackup) &&
		t.Run("backups off", e.backupsOff) &&
		// Last before deleting: its events (the user Secret relabelled,
		// its keys removed and rewritten, the StatefulSet rolled) come on
		// top of the cluster's own status churn (without a kubelet the
		// operator keeps retrying exec into its pods), and once, run right
		// after "ready", they tripped Crossplane's per-XR watch circuit
		// breaker (100 events, 1/s refill), holding back the guards'
		// reconciles.
		t.Run("rotation", e.rotation) &&
		// Last while the XR is steady: every other step's objects exist.
		t.Run("no churn", e.noChurn) &&
		t.Run("delete in usage order", e.deleteInOrder) &&
		t.Run("re-created with an https endpoint", e.recreatedWithHTTPSEndpoint)
	if !ok {
		return
	}
	// On the modern XRD still (the legacy claim replaces it), and apart:
	// its XRs are its own.
	t.Run("file service status", e.fileServiceStatus)
	t.Run("dr restore", e.drRestore)
	t.Run("legacy claim", e.legacyClaim)
}

// sub switches e to a subtest's t for the duration of f.
func (e *env) sub(t *testing.T) func() {
	t.Helper()
	prev := e.t
	e.t = t
	return func() { e.t = prev }
}

func (e *env) xr(name string) *unstructured.Unstructured {
	e.t.Helper()
	x, err := e.admin.get(e.ctx, xrAPI, "DittoServer", ns, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return x
}

// mustExist waits until the object exists and returns it.
func (e *env) mustExist(apiVersion, kind, namespace, name string, timeout time.Duration) *unstructured.Unstructured {
	e.t.Helper()
	var o *unstructured.Unstructured
	e.eventually(fmt.Sprintf("%s %s/%s exists", kind, namespace, name), timeout, func() error {
		var err error
		o, err = e.admin.get(e.ctx, apiVersion, kind, namespace, name)
		return err
	})
	return o
}

// ownedBy fails unless o's controller is the XR.
func (e *env) ownedBy(o, xr *unstructured.Unstructured) {
	e.t.Helper()
	for _, r := range o.GetOwnerReferences() {
		if r.Controller != nil && *r.Controller {
			if r.Kind != xr.GetKind() || r.Name != xr.GetName() || r.UID != xr.GetUID() {
				e.t.Errorf("%s %s is controlled by %s %s (%s), want %s %s (%s)", o.GetKind(), o.GetName(), r.Kind, r.Name, r.UID, xr.GetKind(), xr.GetName(), xr.GetUID())
			}
			return
		}
	}
	e.t.Errorf("%s %s has no controller reference, want the XR %s", o.GetKind(), o.GetName(), xr.GetName())
}

// synced waits for the XR's Synced=True, which Crossplane sets only after
// the API server accepted every composed object.
func (e *env) synced(apiVersion, kind, namespace, name string) {
	e.t.Helper()
	e.eventually(fmt.Sprintf("%s %s Synced", kind, name), 60*time.Second, func() error {
		x, err := e.admin.get(e.ctx, apiVersion, kind, namespace, name)
		if err != nil {
			return err
		}
		if s, _, _ := condition(x, "Synced"); s != "True" {
			return fmt.Errorf("%s", conditions(x))
		}
		return nil
	})
}

func (e *env) applyXR(name, spec string) {
	e.t.Helper()
	e.applyFile([]byte(fmt.Sprintf("apiVersion: %s\nkind: DittoServer\nmetadata:\n  name: %s\n  namespace: %s\nspec:\n%s", xrAPI, name, ns, spec)), "")
}

func (e *env) perconaWithBackups(t *testing.T) {
	defer e.sub(t)()
	e.applyFile([]byte(`apiVersion: v1
kind: Secret
metadata:
  name: backup-s3
  namespace: `+ns+`
type: Opaque
stringData:
  AWS_ACCESS_KEY_ID: AKIAEXAMPLEKEY
  AWS_SECRET_ACCESS_KEY: example-secret-access-key
`), "")
	e.applyXR("files", `  storage: {metadataSize: 1Gi, contentSize: 2Gi}
  percona:
    enabled: true
    storageSize: 1Gi
    backup:
      enabled: true
      credentialsSecretRef: {name: backup-s3}
      bucket: dittofs-backups
      endpoint: s3.eu-west-1.amazonaws.com
      region: eu-west-1
      retentionDays: 14
`)
	cluster := e.mustExist(pgAPI, "PerconaPGCluster", ns, "files-postgres", 60*time.Second)
	creds := e.mustExist("v1", "Secret", ns, "files-pgbackrest-s3", 30*time.Second)
	e.synced(xrAPI, "DittoServer", ns, "files")
	xr := e.xr("files")
	e.ownedBy(cluster, xr)
	e.ownedBy(creds, xr)
	conf, _ := b64decode(str(creds, "data", "s3.conf"))
	if !strings.Contains(conf, "repo1-s3-key=AKIAEXAMPLEKEY") || !strings.Contains(conf, "repo1-s3-key-secret=example-secret-access-key") {
		t.Errorf("files-pgbackrest-s3 s3.conf does not carry the keys of backup-s3:\n%s", conf)
	}
	// DittoFS waits for the database.
	if ok, err := e.admin.exists(e.ctx, "apps/v1", "StatefulSet", ns, "files"); err != nil || ok {
		t.Errorf("StatefulSet files exists (%v) before the database reports ready", err)
	}
	if s, r, m := condition(xr, "DatabaseReady"); s != "False" {
		t.Errorf("XR DatabaseReady = %s %s %q, want False while the database starts", s, r, m)
	} else {
		t.Logf("XR says: DatabaseReady=False %s: %s", r, m)
	}

	// What the real operator makes of it.
	e.mustExist(crunchAPI, "PostgresCluster", ns, "files-postgres", 30*time.Second)
	user := e.mustExist("v1", "Secret", ns, "files-postgres-pguser-dittofs", 30*time.Second)
	for _, k := range []string{"host", "port", "dbname", "user", "password"} {
		if str(user, "data", k) == "" {
			t.Errorf("files-postgres-pguser-dittofs has no %q (keys the DittoFS StatefulSet reads)", k)
		}
	}
	if h, _ := b64decode(str(user, "data", "host")); h != "files-postgres-primary."+ns+".svc" {
		t.Errorf("pguser host = %q", h)
	}
	if d, _ := b64decode(str(user, "data", "dbname")); d != "dittofs" {
		t.Errorf("pguser dbname = %q, want dittofs", d)
	}
	cert := e.mustExist("v1", "Secret", ns, "files-postgres-cluster-cert", 30*time.Second)
	if str(cert, "data", "ca.crt") == "" {
		t.Errorf("files-postgres-cluster-cert has no ca.crt")
	}
	// The repo path carries the XR's UID (the API server's), so a re-created
	// XR of the same name gets another; the XR status publishes it.
	uid := sha256.Sum256([]byte(xr.GetUID()))
	repoPath := fmt.Sprintf("/pgbackrest/%s/files-%x/repo1", ns, uid[:4])
	filesRepoPath = repoPath
	e.eventually("status.database.backup.repoPath of files", 30*time.Second, func() error {
		if got := str(e.xr("files"), "status", "database", "backup", "repoPath"); got != repoPath {
			return fmt.Errorf("is %q, want %q", got, repoPath)
		}
		return nil
	})
	cm := e.mustExist("v1", "ConfigMap", ns, "files-postgres-pgbackrest-config", 30*time.Second)
	repo := str(cm, "data", "pgbackrest_repo.conf")
	for _, want := range []string{
		"repo1-path = " + repoPath,
		"repo1-retention-full = 14",
		"repo1-retention-full-type = time",
		"repo1-s3-bucket = dittofs-backups",
		"repo1-s3-endpoint = s3.eu-west-1.amazonaws.com",
		"repo1-s3-region = eu-west-1",
		"repo1-s3-uri-style = path",
		"repo1-type = s3",
	} {
		if !strings.Contains(repo, want+"\n") {
			t.Errorf("pgbackrest_repo.conf lacks %q:\n%s", want, repo)
		}
	}
	var inst *unstructured.Unstructured
	e.eventually("the operator's instance StatefulSet", 30*time.Second, func() error {
		l, err := e.admin.list(e.ctx, "apps/v1", "StatefulSet", ns, "postgres-operator.crunchydata.com/cluster=files-postgres,postgres-operator.crunchydata.com/instance-set=instance1")
		if err != nil || len(l) == 0 {
			return fmt.Errorf("none yet (%w)", err)
		}
		inst = &l[0]
		return nil
	})
	if !projectsSecret(inst, "files-pgbackrest-s3") {
		t.Errorf("the instance StatefulSet %s does not mount our credentials Secret files-pgbackrest-s3", inst.GetName())
	}
	e.mustExist("apps/v1", "StatefulSet", ns, "files-postgres-repo-host", 30*time.Second)
	e.noMissingImage("files-postgres")
}

func (e *env) perconaWithoutBackups(t *testing.T) {
	defer e.sub(t)()
	e.applyXR("nobackup", `  storage: {metadataSize: 1Gi}
  percona: {enabled: true, storageSize: 1Gi}
`)
	cluster := e.mustExist(pgAPI, "PerconaPGCluster", ns, "nobackup-postgres", 60*time.Second)
	e.synced(xrAPI, "DittoServer", ns, "nobackup")
	e.ownedBy(cluster, e.xr("nobackup"))
	if v, _, _ := unstructured.NestedBool(cluster.Object, "spec", "backups", "enabled"); v {
		t.Errorf("nobackup-postgres has backups enabled")
	}
	e.mustExist(crunchAPI, "PostgresCluster", ns, "nobackup-postgres", 30*time.Second)
	e.mustExist("v1", "Secret", ns, "nobackup-postgres-pguser-dittofs", 30*time.Second)
	e.mustExist("v1", "Secret", ns, "nobackup-postgres-cluster-cert", 30*time.Second)
	e.eventually("the operator's instance StatefulSet for nobackup", 30*time.Second, func() error {
		l, err := e.admin.list(e.ctx, "apps/v1", "StatefulSet", ns, "postgres-operator.crunchydata.com/cluster=nobackup-postgres")
		if err != nil || len(l) == 0 {
			return fmt.Errorf("none yet (%w)", err)
		}
		return nil
	})
	for _, n := range []string{"nobackup-postgres-pgbackrest-config", "nobackup-postgres-repo-host"} {
		kind, api := "ConfigMap", "v1"
		if strings.HasSuffix(n, "repo-host") {
			kind, api = "StatefulSet", "apps/v1"
		}
		if ok, _ := e.admin.exists(e.ctx, api, kind, ns, n); ok {
			t.Errorf("%s %s exists with backups off", kind, n)
		}
	}
	e.noMissingImage("nobackup-postgres")
}

// noMissingImage fails on the warning the operator gives when the composed
// cluster lacks an image it needs (it then stalls without one).
func (e *env) noMissingImage(cluster string) {
	time.Sleep(2 * time.Second) // the operator's reconciles after creation
	evs, err := e.admin.cs.CoreV1().Events(ns).List(e.ctx, metav1.ListOptions{FieldSelector: "type=Warning"})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range evs.Items {
		// The API server's own allocator repair loop can race a Service
		// created a moment ago; that warning says nothing of the cluster.
		if ev.Reason == "ClusterIPNotAllocated" || ev.Reason == "PortNotAllocated" {
			e.t.Logf("ignored: Warning %s on %s %s: %s", ev.Reason, ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Message)
			continue
		}
		if strings.HasPrefix(ev.InvolvedObject.Name, cluster) {
			e.t.Errorf("Warning %s on %s %s: %s", ev.Reason, ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Message)
		}
	}
}

func projectsSecret(sts *unstructured.Unstructured, secret string) bool {
	vols, _, _ := unstructured.NestedSlice(sts.Object, "spec", "template", "spec", "volumes")
	for _, v := range vols {
		srcs, _, _ := unstructured.NestedSlice(v.(map[string]any), "projected", "sources")
		for _, s := range srcs {
			if n, _, _ := unstructured.NestedString(s.(map[string]any), "secret", "name"); n == secret {
				return true
			}
		}
		if n, _, _ := unstructured.NestedString(v.(map[string]any), "secret", "secretName"); n == secret {
			return true
		}
	}
	return false
}

// composedKinds records which kinds the function composed in this run, for
// the RBAC check.
var composedKinds = map[string]bool{}

func (e *env) ready(t *testing.T) {
	defer e.sub(t)()
	e.fakeReady(ns, "files-postgres")
	e.eventually("the operator reports files-postgres ready", 60*time.Second, func() error {
		c, err := e.admin.get(e.ctx, pgAPI, "PerconaPGCluster", ns, "files-postgres")
		if err != nil {
			return err
		}
		if s := str(c, "status", "state"); s != "ready" {
			return fmt.Errorf("state %q", s)
		}
		return nil
	})
	sts := e.mustExist("apps/v1", "StatefulSet", ns, "files", 60*time.Second)
	xr := e.xr("files")
	e.ownedBy(sts, xr)
	for _, n := range []string{"files-config"} {
		e.ownedBy(e.mustExist("v1", "ConfigMap", ns, n, 30*time.Second), xr)
	}
	for _, n := range []string{"files-jwt", "files-admin", "files-connection"} {
		e.ownedBy(e.mustExist("v1", "Secret", ns, n, 30*time.Second), xr)
	}
	for _, n := range []string{"files-server-uses-database", "files-database-uses-s3-credentials"} {
		e.ownedBy(e.mustExist(usageAPI, "Usage", ns, n, 30*time.Second), xr)
	}
	e.synced(xrAPI, "DittoServer", ns, "files")
	objs, err := e.admin.list(e.ctx, "v1", "Service", ns, "crossplane.io/composite=files")
	if err != nil || len(objs) == 0 {
		t.Errorf("no composed Services (%v)", err)
	}
	// Synced may still be the previous reconcile's (database only), and
	// Crossplane applies the composed objects one by one: wait for it.
	e.eventually("one composed NetworkPolicy", 30*time.Second, func() error {
		nps, err := e.admin.list(e.ctx, "networking.k8s.io/v1", "NetworkPolicy", ns, "crossplane.io/composite=files")
		if err != nil || len(nps) != 1 {
			return fmt.Errorf("have %d (%w)", len(nps), err)
		}
		return nil
	})
	for _, o := range e.composed("files") {
		composedKinds[o.GetAPIVersion()+"/"+o.GetKind()] = true
	}

	// Every Secret the DittoFS pod reads must exist with the key it reads.
	refs := secretRefs(sts)
	if len(refs) == 0 {
		t.Fatalf("the DittoFS StatefulSet reads no Secrets at all")
	}
	var pgUser bool
	for _, r := range refs {
		s, err := e.admin.get(e.ctx, "v1", "Secret", ns, r.name)
		if err != nil {
			t.Errorf("%s names Secret %s: %v", r.where, r.name, err)
			continue
		}
		if r.key != "" && str(s, "data", r.key) == "" {
			t.Errorf("%s names key %q of Secret %s, which has keys %v", r.where, r.key, r.name, keys(s))
		}
		pgUser = pgUser || r.name == "files-postgres-pguser-dittofs"
	}
	if !pgUser {
		t.Errorf("the DittoFS StatefulSet does not read the Percona user Secret files-postgres-pguser-dittofs")
	}
	t.Logf("the DittoFS pod reads %d Secret keys and volumes, all present", len(refs))

	// The StatefulSet rolls out (as its controller would report it) and
	// the XR says so.
	e.fakeStatefulSetStatus(ns, "files", 1)
	e.eventually("XR files Ready", 60*time.Second, func() error {
		x := e.xr("files")
		if s, _, _ := condition(x, "Ready"); s != "True" {
			return fmt.Errorf("%s", conditions(x))
		}
		if s, _, _ := condition(x, "DatabaseReady"); s != "True" {
			return fmt.Errorf("%s", conditions(x))
		}
		return nil
	})
	t.Logf("XR conditions: %s", conditions(e.xr("files")))
}

type secretRef struct{ where, name, key string }

// secretRefs lists every Secret (and key) the StatefulSet's pods read:
// env secretKeyRefs, envFrom, Secret volumes and projected Secrets.
func secretRefs(sts *unstructured.Unstructured) []secretRef {
	var refs []secretRef
	spec, _, _ := unstructured.NestedMap(sts.Object, "spec", "template", "spec")
	for _, list := range []string{"initContainers", "containers"} {
		cs, _, _ := unstructured.NestedSlice(spec, list)
		for _, c := range cs {
			cm := c.(map[string]any)
			env, _, _ := unstructured.NestedSlice(cm, "env")
			for _, ev := range env {
				em := ev.(map[string]any)
				if ref, ok, _ := unstructured.NestedMap(em, "valueFrom", "secretKeyRef"); ok {
					refs = append(refs, secretRef{fmt.Sprintf("container %v env %v", cm["name"], em["name"]), fmt.Sprint(ref["name"]), fmt.Sprint(ref["key"])})
				}
			}
			ef, _, _ := unstructured.NestedSlice(cm, "envFrom")
			for _, f := range ef {
				if n, ok, _ := unstructured.NestedString(f.(map[string]any), "secretRef", "name"); ok {
					refs = append(refs, secretRef{fmt.Sprintf("container %v envFrom", cm["name"]), n, ""})
				}
			}
		}
	}
	vols, _, _ := unstructured.NestedSlice(spec, "volumes")
	for _, v := range vols {
		vm := v.(map[string]any)
		add := func(name string, items []any) {
			if len(items) == 0 {
				refs = append(refs, secretRef{fmt.Sprintf("volume %v", vm["name"]), name, ""})
			}
			for _, it := range items {
				refs = append(refs, secretRef{fmt.Sprintf("volume %v", vm["name"]), name, fmt.Sprint(it.(map[string]any)["key"])})
			}
		}
		if n, ok, _ := unstructured.NestedString(vm, "secret", "secretName"); ok {
			items, _, _ := unstructured.NestedSlice(vm, "secret", "items")
			add(n, items)
		}
		srcs, _, _ := unstructured.NestedSlice(vm, "projected", "sources")
		for _, s := range srcs {
			if n, ok, _ := unstructured.NestedString(s.(map[string]any), "secret", "name"); ok {
				items, _, _ := unstructured.NestedSlice(s.(map[string]any), "secret", "items")
				add(n, items)
			}
		}
	}
	return refs
}

func keys(u *unstructured.Unstructured) []string {
	m, _, _ := unstructured.NestedMap(u.Object, "data")
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// composed lists every object composed for XR name in ns, by the label
// Crossplane puts on them.
func (e *env) composed(name string) []unstructured.Unstructured {
	var all []unstructured.Unstructured
	for _, k := range [][2]string{
		{"v1", "Secret"},
		{"v1", "ConfigMap"},
		{"v1", "Service"},
		{"apps/v1", "StatefulSet"},
		{"networking.k8s.io/v1", "NetworkPolicy"},
		{pgAPI, "PerconaPGCluster"},
		{usageAPI, "Usage"},
	} {
		l, err := e.admin.list(e.ctx, k[0], k[1], ns, "crossplane.io/composite="+name)
		if err != nil {
			e.t.Fatal(err)
		}
		all = append(all, l...)
	}
	return all
}

func (e *env) usages(t *testing.T) {
	defer e.sub(t)()
	want := map[string][2]string{
		"files-server-uses-database":         {"PerconaPGCluster/files-postgres", "StatefulSet/files"},
		"files-database-uses-s3-credentials": {"Secret/files-pgbackrest-s3", "PerconaPGCluster/files-postgres"},
	}
	for name, w := range want {
		u := e.mustExist(usageAPI, "Usage", ns, name, 10*time.Second)
		of := str(u, "spec", "of", "kind") + "/" + str(u, "spec", "of", "resourceRef", "name")
		by := str(u, "spec", "by", "kind") + "/" + str(u, "spec", "by", "resourceRef", "name")
		if of != w[0] || by != w[1] {
			t.Errorf("Usage %s: %s used by %s, want %s used by %s", name, of, by, w[0], w[1])
		}
	}
	// Crossplane's Usage controller marks what is in use, and its webhook
	// (called by the API server on 127.0.0.1) refuses to delete it.
	for _, o := range [][3]string{{pgAPI, "PerconaPGCluster", "files-postgres"}, {"v1", "Secret", "files-pgbackrest-s3"}} {
		e.eventually(o[1]+" "+o[2]+" marked in use", 30*time.Second, func() error {
			x, err := e.admin.get(e.ctx, o[0], o[1], ns, o[2])
			if err != nil {
				return err
			}
			if x.GetLabels()["crossplane.io/in-use"] != "true" {
				return fmt.Errorf("labels %v", x.GetLabels())
			}
			return nil
		})
		err := e.admin.delete(e.ctx, o[0], o[1], ns, o[2])
		if err == nil {
			t.Fatalf("deleting %s %s while it is in use was allowed", o[1], o[2])
		}
		t.Logf("deleting %s %s in use: %v", o[1], o[2], err)
		if !strings.Contains(err.Error(), "in use") && !strings.Contains(err.Error(), "Usage") {
			t.Errorf("deleting %s %s failed, but not because of the Usage: %v", o[1], o[2], err)
		}
		if ok, _ := e.admin.exists(e.ctx, o[0], o[1], ns, o[2]); !ok {
			t.Fatalf("%s %s is gone", o[1], o[2])
		}
	}
}

func (e *env) drift(t *testing.T) {
	defer e.sub(t)()
	sts := e.mustExist("apps/v1", "StatefulSet", ns, "files", time.Second)
	cs, _, _ := unstructured.NestedSlice(sts.Object, "spec", "template", "spec", "containers")
	name := cs[0].(map[string]any)["name"].(string)
	image := cs[0].(map[string]any)["image"].(string)
	r, err := e.admin.resource("apps/v1", "StatefulSet", ns)
	if err != nil {
		t.Fatal(err)
	}
	patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":%q,"image":"registry.invalid/tampered:1"}]}}}}`, name)
	if _, err := r.Patch(e.ctx, "files", "application/strategic-merge-patch+json", []byte(patch), metav1.PatchOptions{FieldManager: "someone"}); err != nil {
		t.Fatal(err)
	}
	e.eventually("Crossplane restores the StatefulSet's image", 30*time.Second, func() error {
		s, err := e.admin.get(e.ctx, "apps/v1", "StatefulSet", ns, "files")
		if err != nil {
			return err
		}
		cs, _, _ := unstructured.NestedSlice(s.Object, "spec", "template", "spec", "containers")
		if got := cs[0].(map[string]any)["image"]; got != image {
			return fmt.Errorf("image %v", got)
		}
		return nil
	})
	if err := e.admin.patch(e.ctx, pgAPI, "PerconaPGCluster", ns, "files-postgres",
		`{"spec":{"backups":{"pgbackrest":{"global":{"repo1-retention-full":"1"}}}}}`); err != nil {
		t.Fatal(err)
	}
	e.eventually("Crossplane restores the PerconaPGCluster's retention", 30*time.Second, func() error {
		c, err := e.admin.get(e.ctx, pgAPI, "PerconaPGCluster", ns, "files-postgres")
		if err != nil {
			return err
		}
		if got := str(c, "spec", "backups", "pgbackrest", "global", "repo1-retention-full"); got != "14" {
			return fmt.Errorf("repo1-retention-full %q", got)
		}
		return nil
	})
}

// snapshot is a digest of every composed object's desired content.
func (e *env) snapshot(name string) map[string]string {
	snap := map[string]string{}
	for _, o := range e.composed(name) {
		content := map[string]any{}
		for _, f := range []string{"spec", "data"} {
			if v, ok := o.Object[f]; ok {
				content[f] = v
			}
		}
		content["labels"] = o.GetLabels()
		b, err := json.Marshal(content)
		if err != nil {
			e.t.Fatal(err)
		}
		snap[o.GetKind()+"/"+o.GetName()] = fmt.Sprintf("%x", sha256.Sum256(b))
	}
	return snap
}

func (e *env) guards(t *testing.T) {
	defer e.sub(t)()
	for _, g := range []struct{ name, patch, undo, field string }{
		{"percona off", `{"spec":{"percona":{"enabled":false,"backup":{"enabled":false}}}}`, `{"spec":{"percona":{"enabled":true,"backup":{"enabled":true}}}}`, "spec.percona.enabled"},
		{"volume shrink", `{"spec":{"storage":{"metadataSize":"512Mi"}}}`, `{"spec":{"storage":{"metadataSize":"1Gi"}}}`, "spec.storage.metadataSize"},
	} {
		before := e.snapshot("files")
		if err := e.admin.patch(e.ctx, xrAPI, "DittoServer", ns, "files", g.patch); err != nil {
			t.Fatal(err)
		}
		e.eventually("the "+g.name+" guard refuses", 30*time.Second, func() error {
			x := e.xr("files")
			s, _, m := condition(x, "Synced")
			if s != "False" || !strings.Contains(m, g.field) || !strings.Contains(m, "would lose data") {
				return fmt.Errorf("%s", conditions(x))
			}
			t.Logf("XR says: %s", m)
			return nil
		})
		time.Sleep(3 * time.Second) // further reconciles must not change anything either
		after := e.snapshot("files")
		for k, v := range before {
			if after[k] == "" {
				t.Errorf("%s: %s is gone", g.name, k)
			} else if after[k] != v {
				t.Errorf("%s: %s changed", g.name, k)
			}
		}
		if len(after) != len(before) {
			t.Errorf("%s: %d composed objects before, %d after", g.name, len(before), len(after))
		}
		if err := e.admin.patch(e.ctx, xrAPI, "DittoServer", ns, "files", g.undo); err != nil {
			t.Fatal(err)
		}
		e.synced(xrAPI, "DittoServer", ns, "files")
	}
}

func (e *env) deleteInOrder(t *testing.T) {
	defer e.sub(t)()
	stop := make(chan struct{})
	defer close(stop)
	go e.fakeKubeletTeardown(ns, stop)

	objs := e.composed("files")
	gone := map[string]time.Duration{}
	start := time.Now()
	if err := e.admin.delete(e.ctx, xrAPI, "DittoServer", ns, "files"); err != nil {
		t.Fatal(err)
	}
	if err := e.admin.delete(e.ctx, xrAPI, "DittoServer", ns, "nobackup"); err != nil {
		t.Fatal(err)
	}
	e.eventually(fmt.Sprintf("all %d composed objects of files deleted", len(objs)), 180*time.Second, func() error {
		var left []string
		for _, o := range objs {
			k := o.GetKind() + "/" + o.GetName()
			if _, done := gone[k]; done {
				continue
			}
			ok, err := e.admin.exists(e.ctx, o.GetAPIVersion(), o.GetKind(), ns, o.GetName())
			if err != nil {
				return err
			}
			if ok {
				left = append(left, k)
			} else {
				gone[k] = time.Since(start)
			}
		}
		if len(left) > 0 {
			return fmt.Errorf("left: %v", left)
		}
		return nil
	})
	var order []string
	for k := range gone {
		order = append(order, k)
	}
	slices.SortFunc(order, func(a, b string) int { return int(gone[a] - gone[b]) })
	for _, k := range order {
		t.Logf("  %-50s gone after %s", k, gone[k].Round(10*time.Millisecond))
	}
	before := func(a, b string) {
		if gone[a] >= gone[b] {
			t.Errorf("%s went at %s, not before %s at %s", a, gone[a], b, gone[b])
		}
	}
	before("StatefulSet/files", "PerconaPGCluster/files-postgres")
	before("PerconaPGCluster/files-postgres", "Secret/files-pgbackrest-s3")
	e.eventually("both XRs and the nobackup objects gone", 120*time.Second, func() error {
		for _, n := range []string{"files", "nobackup"} {
			if ok, err := e.admin.exists(e.ctx, xrAPI, "DittoServer", ns, n); err != nil || ok {
				return fmt.Errorf("XR %s still there (%w)", n, err)
			}
			if l := e.composed(n); len(l) > 0 {
				return fmt.Errorf("%d objects of %s left", len(l), n)
			}
		}
		return nil
	})
}

// checkRBAC asks the API server what the Crossplane service account may do
// with the chart's ClusterRoles and ours: everything with every kind the
// function composes, and nothing with the neighbours it does not compose.
// (Crossplane core runs as this account, so the rest of the test proves the
// rules suffice in practice.)
func (e *env) checkRBAC(t *testing.T) {
	defer e.sub(t)()
	var role struct {
		Rules []struct {
			APIGroups, Resources, Verbs []string
		}
	}
	if err := yaml.Unmarshal(e.read(e.root+"/apis/rbac/clusterrole.yaml"), &role); err != nil {
		t.Fatal(err)
	}
	can := func(group, resource, verb string) bool {
		sar := &authv1.SubjectAccessReview{Spec: authv1.SubjectAccessReviewSpec{
			User: crossplaneUser, Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + xpNamespace, "system:authenticated"},
			ResourceAttributes: &authv1.ResourceAttributes{Namespace: ns, Group: group, Resource: resource, Verb: verb},
		}}
		r, err := e.admin.cs.AuthorizationV1().SubjectAccessReviews().Create(e.ctx, sar, createOpts)
		if err != nil {
			t.Fatal(err)
		}
		return r.Status.Allowed
	}
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	composedResources := [][2]string{
		{"", "secrets"},
		{"", "configmaps"},
		{"", "services"},
		{"", "serviceaccounts"},
		{"rbac.authorization.k8s.io", "roles"},
		{"rbac.authorization.k8s.io", "rolebindings"},
		{"apps", "statefulsets"},
		{"networking.k8s.io", "networkpolicies"},
		{"monitoring.coreos.com", "servicemonitors"},
		{"pgv2.percona.com", "perconapgclusters"},
		{"pgv2.percona.com", "perconapgbackups"},
		{"pgv2.percona.com", "perconapgrestores"},
		{"protection.crossplane.io", "usages"},
	}
	for _, r := range composedResources {
		for _, v := range verbs {
			if !can(r[0], r[1], v) {
				t.Errorf("crossplane may not %s %s.%s", v, r[1], r[0])
			}
		}
	}
	if !can("pgv2.percona.com", "perconapgclusters/status", "get") {
		t.Errorf("crossplane may not read perconapgclusters/status")
	}
	// Read as required resources (a recovery's latestRestorableTime).
	for _, v := range []string{"get", "list", "watch"} {
		if !can("pgv2.percona.com", "perconapgbackups", v) {
			t.Errorf("crossplane may not %s perconapgbackups.pgv2.percona.com", v)
		}
	}
	for _, r := range [][2]string{
		{"", "pods"},
		{"", "persistentvolumeclaims"},
		{"apps", "daemonsets"},
		{"rbac.authorization.k8s.io", "clusterroles"},
		{"rbac.authorization.k8s.io", "clusterrolebindings"},
		{"postgres-operator.crunchydata.com", "postgresclusters"},
		{"monitoring.coreos.com", "prometheusrules"},
		{"networking.k8s.io", "ingresses"},
		{"batch", "jobs"},
	} {
		for _, v := range []string{"create", "delete", "update"} {
			if can(r[0], r[1], v) {
				t.Errorf("crossplane may %s %s.%s, which the function never composes", v, r[1], r[0])
			}
		}
	}
	// The reconciler's Role is created because Crossplane holds what it
	// grants (get and patch of configmaps); never by escalating.
	for _, v := range []string{"escalate", "bind"} {
		if can("rbac.authorization.k8s.io", "roles", v) {
			t.Errorf("crossplane may %s roles: it needs only to hold what the Role grants", v)
		}
	}
	// Our ClusterRole grants exactly the composed kinds.
	granted := map[string]bool{}
	for _, rule := range role.Rules {
		for _, g := range rule.APIGroups {
			for _, r := range rule.Resources {
				granted[g+"/"+r] = true
			}
		}
	}
	for _, r := range composedResources {
		delete(granted, r[0]+"/"+r[1])
	}
	delete(granted, "pgv2.percona.com/perconapgclusters/status")
	delete(granted, "pgv2.percona.com/perconapgbackups") // read only, above
	if len(granted) > 0 {
		t.Errorf("apis/rbac/clusterrole.yaml grants resources the function does not compose: %v", granted)
	}
}

func (e *env) legacyClaim(t *testing.T) {
	defer e.sub(t)()
	// The legacy XRD is the alternative to the v2 one (both name the kind
	// DittoServer in the same group): swap the Configurations. The Percona
	// operator's work is done; the RBAC manager takes its port again.
	e.operator.stop()
	e.startRBACManager()
	e.uninstallConfiguration("configuration-dittofs", "dittoservers.dittofs.dittofs.com", "dittoservers.dittofs.dittofs.com")
	e.installConfiguration("configuration-dittofs-legacy", "xdittoservers.dittofs.dittofs.com", true)
	e.waitCrossplaneMay("dittofs.dittofs.com", "xdittoservers", "dittoservers")
	e.startKCM() // its garbage collector learns the new kinds at start
	const team = "team-a"
	e.namespace(team)
	// Offered says Crossplane made the claim CRD; the API server may serve
	// it a moment later (until then a create is a 404), as a user's
	// kubectl would see too.
	claim := []byte(`apiVersion: ` + xrAPI + `
kind: DittoServer
metadata:
  name: files
  namespace: ` + team + `
spec:
  storage: {metadataSize: 1Gi}
  writeConnectionSecretToRef: {name: files-conn}
`)
	e.eventually("the claim is accepted", 30*time.Second, func() error { return e.admin.applyYAML(e.ctx, claim, "") })
	var xrName string
	e.eventually("the claim is bound to an XR", 60*time.Second, func() error {
		c, err := e.admin.get(e.ctx, xrAPI, "DittoServer", team, "files")
		if err != nil {
			return err
		}
		xrName = str(c, "spec", "resourceRef", "name")
		if xrName == "" {
			return fmt.Errorf("unbound: %s", conditions(c))
		}
		return nil
	})
	xr := e.mustExist(xrAPI, "XDittoServer", "", xrName, 30*time.Second)
	sts := e.mustExist("apps/v1", "StatefulSet", team, xrName, 60*time.Second)
	e.ownedBy(sts, xr)
	e.fakeStatefulSetStatus(team, xrName, 1)
	e.eventually("the claim is Ready", 60*time.Second, func() error {
		c, err := e.admin.get(e.ctx, xrAPI, "DittoServer", team, "files")
		if err != nil {
			return err
		}
		if s, _, _ := condition(c, "Ready"); s != "True" {
			return fmt.Errorf("%s", conditions(c))
		}
		return nil
	})
	e.eventually("the claim's connection Secret", 60*time.Second, func() error {
		s, err := e.admin.get(e.ctx, "v1", "Secret", team, "files-conn")
		if err != nil {
			x, _ := e.admin.get(e.ctx, xrAPI, "XDittoServer", "", xrName)
			c, _ := e.admin.get(e.ctx, xrAPI, "DittoServer", team, "files")
			var xs, cs any
			if x != nil {
				xs = x.Object["spec"]
			}
			if c != nil {
				cs = c.Object["spec"]
			}
			return fmt.Errorf("%w; XR spec %v; claim spec %v; claim %s", err, xs, cs, conditions(c))
		}
		for _, k := range []string{"api-url", "admin-username", "admin-password"} {
			if str(s, "data", k) == "" {
				return fmt.Errorf("no %s among %v", k, keys(s))
			}
		}
		return nil
	})
	composedInTeam, err := e.admin.list(e.ctx, "v1", "Service", team, "crossplane.io/composite="+xrName)
	if err != nil || len(composedInTeam) == 0 {
		t.Errorf("no Services composed into %s (%v)", team, err)
	}
	if err := e.admin.delete(e.ctx, xrAPI, "DittoServer", team, "files"); err != nil {
		t.Fatal(err)
	}
	e.eventually("the claim, its XR and its objects gone", 120*time.Second, func() error {
		if ok, _ := e.admin.exists(e.ctx, xrAPI, "XDittoServer", "", xrName); ok {
			return fmt.Errorf("XR %s still there", xrName)
		}
		if ok, _ := e.admin.exists(e.ctx, "apps/v1", "StatefulSet", team, xrName); ok {
			return fmt.Errorf("StatefulSet %s still there", xrName)
		}
		return nil
	})
}

func b64decode(s string) (string, error) {
	b, err := decodeB64(s)
	return string(b), err
}
