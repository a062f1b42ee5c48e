package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// backupsOff turns backups off on a live cluster the way a user would, with
// the real Percona operator reconciling it: without
// spec.percona.backup.authorizeRemoval the XR is refused and the cluster
// keeps its backups; with it, the function sets Percona's
// authorizeBackupRemoval annotation and the operator removes the repository
// host instead of pausing the cluster. Then backups go back on while the
// credentials Secret does not exist yet: the cluster stays as it is until
// the Secret appears.
func (e *env) backupsOff(t *testing.T) {
	defer e.sub(t)()
	const name = "offsite"
	cluster, repoHost := name+"-postgres", name+"-postgres-repo-host"
	e.applyXR(name, `  storage: {metadataSize: 1Gi}
  percona:
    enabled: true
    storageSize: 1Gi
    backup:
      enabled: true
      credentialsSecretRef: {name: backup-s3}
      bucket: dittofs-backups
      endpoint: s3.eu-west-1.amazonaws.com
`)
	e.mustExist(pgAPI, "PerconaPGCluster", ns, cluster, 60*time.Second)
	e.synced(xrAPI, "DittoServer", ns, name)
	e.mustExist("apps/v1", "StatefulSet", ns, repoHost, 60*time.Second)

	// Without the opt-in: a Fatal naming the field and the opt-in, and the
	// cluster keeps its backups.
	if err := e.admin.patch(e.ctx, xrAPI, "DittoServer", ns, name, `{"spec":{"percona":{"backup":{"enabled":false}}}}`); err != nil {
		t.Fatal(err)
	}
	e.eventually("the backups-off guard refuses", 30*time.Second, func() error {
		x := e.xr(name)
		s, _, m := condition(x, "Synced")
		if s != "False" || !strings.Contains(m, "spec.percona.backup.enabled") || !strings.Contains(m, "spec.percona.backup.authorizeRemoval: true") {
			return fmt.Errorf("%s", conditions(x))
		}
		t.Logf("XR says: %s", m)
		return nil
	})
	time.Sleep(3 * time.Second) // later reconciles must not apply it either
	c := e.mustExist(pgAPI, "PerconaPGCluster", ns, cluster, time.Second)
	if on, found, _ := unstructured.NestedBool(c.Object, "spec", "backups", "enabled"); !found || !on {
		t.Errorf("%s: backups.enabled = %v (set %v) after a refused change, want true", cluster, on, found)
	}
	if ok, err := e.admin.exists(e.ctx, "apps/v1", "StatefulSet", ns, repoHost); err != nil || !ok {
		t.Errorf("the repository host %s is gone (%v) after a refused change", repoHost, err)
	}

	// With it: the annotation, backups off, and the operator removes the
	// repository host instead of pausing.
	if err := e.admin.patch(e.ctx, xrAPI, "DittoServer", ns, name, `{"spec":{"percona":{"backup":{"authorizeRemoval":true}}}}`); err != nil {
		t.Fatal(err)
	}
	e.synced(xrAPI, "DittoServer", ns, name)
	e.eventually("XR "+name+" no longer says the change is refused", 30*time.Second, func() error {
		x := e.xr(name)
		if s, r, _ := condition(x, "FunctionSuccess"); s != "True" {
			return fmt.Errorf("FunctionSuccess %s %s: %s", s, r, conditions(x))
		}
		return nil
	})
	e.eventually(cluster+" has backups off", 30*time.Second, func() error {
		c, err := e.admin.get(e.ctx, pgAPI, "PerconaPGCluster", ns, cluster)
		if err != nil {
			return err
		}
		if on, _, _ := unstructured.NestedBool(c.Object, "spec", "backups", "enabled"); on {
			return fmt.Errorf("backups.enabled %v", on)
		}
		return nil
	})
	// Without the annotation the operator would pause here (Progressing
	// False, Paused) and keep the repository host.
	e.eventually("the operator removes "+repoHost, 90*time.Second, func() error {
		if ok, err := e.admin.exists(e.ctx, "apps/v1", "StatefulSet", ns, repoHost); err != nil || ok {
			return fmt.Errorf("still there (%w); PostgresCluster: %s", err, e.postgresClusterConditions(cluster))
		}
		return nil
	})
	c = e.mustExist(pgAPI, "PerconaPGCluster", ns, cluster, time.Second)
	if a := c.GetAnnotations()["pgv2.percona.com/authorizeBackupRemoval"]; a != "true" {
		t.Errorf("PerconaPGCluster %s: authorizeBackupRemoval annotation %q, want \"true\"", cluster, a)
	}
	pc := e.mustExist(crunchAPI, "PostgresCluster", ns, cluster, time.Second)
	if a := pc.GetAnnotations()["postgres-operator.crunchydata.com/authorizeBackupRemoval"]; a != "true" {
		t.Errorf("PostgresCluster %s: authorizeBackupRemoval annotation %q, want \"true\" (the operator's copy of ours)", cluster, a)
	}
	if s, r, m := condition(pc, "Progressing"); s == "False" && r == "Paused" {
		t.Errorf("PostgresCluster %s is paused: %s", cluster, m)
	}
	for _, k := range []string{"v1/Secret/" + name + "-pgbackrest-s3", usageAPI + "/Usage/" + name + "-database-uses-s3-credentials"} {
		parts := strings.Split(k, "/")
		api, kind, n := strings.Join(parts[:len(parts)-2], "/"), parts[len(parts)-2], parts[len(parts)-1]
		e.eventually(kind+" "+n+" deleted with backups off", 30*time.Second, func() error {
			if ok, err := e.admin.exists(e.ctx, api, kind, ns, n); err != nil || ok {
				return fmt.Errorf("still there (%w)", err)
			}
			return nil
		})
	}
	t.Logf("backups off: %s removed by the operator, PostgresCluster %s", repoHost, e.postgresClusterConditions(cluster))

	// Backups on again, naming a Secret that does not exist yet: the
	// cluster keeps its backups block as it is (off), never a projection of
	// an unknown Secret, and BackupReady says why.
	if err := e.admin.patch(e.ctx, xrAPI, "DittoServer", ns, name,
		`{"spec":{"percona":{"backup":{"enabled":true,"authorizeRemoval":false,"credentialsSecretRef":{"name":"offsite-s3"}}}}}`); err != nil {
		t.Fatal(err)
	}
	e.eventually("XR "+name+" says the credentials are awaited", 30*time.Second, func() error {
		x := e.xr(name)
		if s, r, _ := condition(x, "BackupReady"); s != "False" || (r != "InvalidCredentials" && r != "WaitingForCredentials") {
			return fmt.Errorf("%s", conditions(x))
		}
		t.Logf("XR says: %s", conditions(x))
		return nil
	})
	e.synced(xrAPI, "DittoServer", ns, name)
	time.Sleep(3 * time.Second)
	c = e.mustExist(pgAPI, "PerconaPGCluster", ns, cluster, time.Second)
	if on, _, _ := unstructured.NestedBool(c.Object, "spec", "backups", "enabled"); on {
		t.Errorf("%s: backups turned on before their credentials Secret exists: %v", cluster, c.Object["spec"].(map[string]any)["backups"])
	}
	if conf, found, _ := unstructured.NestedSlice(c.Object, "spec", "backups", "pgbackrest", "configuration"); found {
		t.Errorf("%s projects %v before the credentials Secret exists", cluster, conf)
	}
	if ok, _ := e.admin.exists(e.ctx, "apps/v1", "StatefulSet", ns, repoHost); ok {
		t.Errorf("%s is back before the credentials Secret exists", repoHost)
	}

	// The Secret appears: backups come back on, on the same repository.
	e.applyFile([]byte(`apiVersion: v1
kind: Secret
metadata:
  name: offsite-s3
  namespace: `+ns+`
type: Opaque
stringData:
  AWS_ACCESS_KEY_ID: AKIAOFFSITEKEY
  AWS_SECRET_ACCESS_KEY: offsite-secret-access-key
`), "")
	e.eventually(cluster+" has backups on with the new Secret (the next poll of the XR)", 150*time.Second, func() error {
		c, err := e.admin.get(e.ctx, pgAPI, "PerconaPGCluster", ns, cluster)
		if err != nil {
			return err
		}
		on, _, _ := unstructured.NestedBool(c.Object, "spec", "backups", "enabled")
		if !on || !projectsInCluster(c, name+"-pgbackrest-s3") {
			return fmt.Errorf("backups %v", c.Object["spec"].(map[string]any)["backups"])
		}
		return nil
	})
	e.mustExist("apps/v1", "StatefulSet", ns, repoHost, 60*time.Second)
	e.mustExist("v1", "Secret", ns, name+"-pgbackrest-s3", 30*time.Second)
	e.synced(xrAPI, "DittoServer", ns, name)

	e.deleteXR(name, cluster)
}

// projectsInCluster: the PerconaPGCluster's pgBackRest projects secret.
func projectsInCluster(c *unstructured.Unstructured, secret string) bool {
	conf, _, _ := unstructured.NestedSlice(c.Object, "spec", "backups", "pgbackrest", "configuration")
	for _, p := range conf {
		if n, _, _ := unstructured.NestedString(p.(map[string]any), "secret", "name"); n == secret {
			return true
		}
	}
	return false
}

func (e *env) postgresClusterConditions(name string) string {
	pc, err := e.admin.get(e.ctx, crunchAPI, "PostgresCluster", ns, name)
	if err != nil {
		return err.Error()
	}
	return conditions(pc)
}

// deleteXR deletes a DittoServer of this step and waits until it and its
// Percona cluster are gone, doing what a kubelet would meanwhile.
func (e *env) deleteXR(name, cluster string) {
	stop := make(chan struct{})
	defer close(stop)
	go e.fakeKubeletTeardown(ns, stop)
	if err := e.admin.delete(e.ctx, xrAPI, "DittoServer", ns, name); err != nil {
		e.t.Fatal(err)
	}
	e.eventually("XR "+name+" and its cluster gone", 180*time.Second, func() error {
		for _, o := range [][3]string{{xrAPI, "DittoServer", name}, {pgAPI, "PerconaPGCluster", cluster}, {crunchAPI, "PostgresCluster", cluster}} {
			if ok, err := e.admin.exists(e.ctx, o[0], o[1], ns, o[2]); err != nil || ok {
				return fmt.Errorf("%s %s still there (%w)", o[1], o[2], err)
			}
		}
		return nil
	})
}
