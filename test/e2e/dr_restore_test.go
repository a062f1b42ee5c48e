package e2e_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// drRestore: the real Percona operator v2.9.0 accepts what the function
// composes for a restore into a new DittoServer (spec.dataSource.pgbackrest)
// and for an in-place recovery (a PerconaPGRestore), and turns them into
// what a restore needs. No restore Job runs here (no kubelet): the test
// fakes the PerconaPGRestore's completion in its status, as the readiness
// steps fake pods.
func (e *env) drRestore(t *testing.T) {
	defer e.sub(t)()
	// Whatever fails, the XRs go: the legacy claim step after this one
	// removes the XRD, which waits for every DittoServer.
	defer e.removeQuietly(map[string]string{"restored": "restored-postgres", "recover": "recover-postgres"})
	e.restoreIntoNewServer()
	e.recoverInPlace()
}

// removeQuietly deletes the XRs (name -> cluster) that still exist and
// waits up to three minutes for them and their clusters to go, logging
// instead of failing: it runs deferred, after a failure too.
func (e *env) removeQuietly(xrs map[string]string) {
	stop := make(chan struct{})
	defer close(stop)
	go e.fakeKubeletTeardown(ns, stop)
	go e.fakeInstancesDown(ns, "recover-postgres", stop)
	for name := range xrs {
		if err := ignoreNotFound(e.admin.delete(e.ctx, xrAPI, "DittoServer", ns, name)); err != nil {
			e.logf("cleanup: deleting DittoServer %s: %v", name, err)
		}
	}
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		left := 0
		for name, cluster := range xrs {
			for _, o := range [][3]string{{xrAPI, "DittoServer", name}, {pgAPI, "PerconaPGCluster", cluster}, {crunchAPI, "PostgresCluster", cluster}} {
				if ok, err := e.admin.exists(e.ctx, o[0], o[1], ns, o[2]); err != nil || ok {
					left++
				}
			}
		}
		if left == 0 {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	e.logf("cleanup: DittoServers %v or their clusters still there after 3 minutes", xrs)
}

// reconcileBehindBreaker is how long a step waits for the function's answer
// to an XR that asks for a recovery. The function lists the namespace's
// PerconaPGBackups, so Crossplane watches them, and the operator's burst of
// updates can open the XR's watch circuit breaker (CI met it on
// 2026-12-02: open at the recovery's apply, so no reconcile came within a
// minute). The breaker then lets a reconcile through only now and then, as
// in the on-demand step.
const reconcileBehindBreaker = 3 * time.Minute

// The point in time both use, and the target the function composes for it.
const (
	drPointInTime = "2026-12-01T18:30:00Z"
	drTarget      = `--target="2026-12-01 18:30:00+00"`
)

// restoreIntoNewServer: a DittoServer restored from a repository's raw
// coordinates, encrypted, on an S3 service with a private CA; the
// operator's PostgresCluster carries the composed dataSource as it is, its
// restore configuration reads the CA file and the cipher, the restore Job
// mounts the CA and the composed cipher.conf, and it runs pgBackRest with
// the composed options and the operator's own.
func (e *env) restoreIntoNewServer() {
	t := e.t
	const source = "/pgbackrest/storage/gone-0a1b2c3d/repo1"
	// The source's admin password: with raw coordinates the restore names
	// it (restore.from.adminSecretRef), since the restored database keeps
	// the source's users.
	e.applyFile([]byte(`apiVersion: v1
kind: Secret
metadata:
  name: gone-admin
  namespace: `+ns+`
type: Opaque
stringData:
  password: the-source-admin-password
`), "")
	// The archive's CA and passphrase, as its owner keeps them.
	e.applyFile([]byte(`apiVersion: v1
kind: Secret
metadata:
  name: archive-ca
  namespace: `+ns+`
data:
  ca.crt: `+b64(e.ca.CertPEM)+`
---
apiVersion: v1
kind: Secret
metadata:
  name: archive-passphrase
  namespace: `+ns+`
stringData:
  passphrase: the-archive-passphrase
`), "")
	e.applyXR("restored", `  storage: {metadataSize: 1Gi}
  percona:
    enabled: true
    postgresVersion: 15
    storageSize: 1Gi
    backup:
      enabled: true
      credentialsSecretRef: {name: backup-s3}
      bucket: dittofs-drill
      endpoint: localhost:9000
      region: us-east-1
    restore:
      from:
        repoPath: `+source+`
        bucket: dittofs-archive
        endpoint: s3.archive.example.com
        region: us-east-1
        adminSecretRef: {name: gone-admin}
        caSecretRef: {name: archive-ca}
        encryption: {passphraseSecretRef: {name: archive-passphrase}}
      pointInTime: "`+drPointInTime+`"
`)
	cluster := e.mustExist(pgAPI, "PerconaPGCluster", ns, "restored-postgres", 60*time.Second)
	composed, _, _ := unstructured.NestedMap(cluster.Object, "spec", "dataSource")
	if g, _, _ := unstructured.NestedStringMap(composed, "pgbackrest", "global"); g["repo1-path"] != source {
		t.Fatalf("the composed dataSource reads %v, not %s", g, source)
	}
	e.eventually("the PostgresCluster carries the composed dataSource", 60*time.Second, func() error {
		pg, err := e.admin.get(e.ctx, crunchAPI, "PostgresCluster", ns, "restored-postgres")
		if err != nil {
			return err
		}
		got, _, _ := unstructured.NestedMap(pg.Object, "spec", "dataSource")
		// The operator's conversion writes the Job's (empty) resources.
		if r, ok, _ := unstructured.NestedMap(got, "pgbackrest", "resources"); ok && len(r) == 0 {
			unstructured.RemoveNestedField(got, "pgbackrest", "resources")
		}
		if !reflect.DeepEqual(got, composed) {
			return fmt.Errorf("PostgresCluster dataSource %v, composed %v", got, composed)
		}
		return nil
	})
	e.eventually("the restore configuration reads the source's repository", 60*time.Second, func() error {
		cm, err := e.admin.get(e.ctx, "v1", "ConfigMap", ns, "restored-postgres-pgbackrest-config")
		if err != nil {
			return err
		}
		conf := str(cm, "data", "pgbackrest_instance.conf")
		for _, want := range []string{
			"repo1-path = " + source, "repo1-s3-bucket = dittofs-archive", "repo1-s3-endpoint = s3.archive.example.com",
			"repo1-storage-ca-file = /etc/pgbackrest/conf.d/restore-storage-ca.crt", "repo1-cipher-type = aes-256-cbc",
		} {
			if !strings.Contains(conf, want) {
				return fmt.Errorf("pgbackrest_instance.conf has no %q:\n%s", want, conf)
			}
		}
		return nil
	})
	e.restoreJobRuns("restored-postgres", "--type=time "+drTarget+" --stanza=db --pg1-path=/pgdata/pg15 --repo=1 --delta --target-action=promote --link-map=pg_wal=/pgdata/pg15_wal")
	e.restoreJobProjects("restored-postgres", map[string]string{
		"archive-ca":                         "ca.crt=restore-storage-ca.crt",
		"restored-pgbackrest-restore-cipher": "cipher.conf=restore-cipher.conf",
	})
	// The passphrase reaches the Job through the composed Secret it
	// projects; the dataSource above names Secrets only.
	if c, err := e.admin.get(e.ctx, "v1", "Secret", ns, "restored-pgbackrest-restore-cipher"); err != nil {
		t.Errorf("restored-pgbackrest-restore-cipher: %v", err)
	} else if conf, _ := b64decode(str(c, "data", "cipher.conf")); conf != "[global]\nrepo1-cipher-pass=the-archive-passphrase\n" {
		t.Errorf("restored-pgbackrest-restore-cipher holds a cipher.conf of %d bytes, not the archive passphrase's", len(conf))
	}
}

// restoreJobProjects requires the restore Job of cluster to project each
// Secret's key as the file named ("key=file"), into pgBackRest's conf.d.
func (e *env) restoreJobProjects(cluster string, want map[string]string) {
	t := e.t
	t.Helper()
	job, err := e.admin.get(e.ctx, "batch/v1", "Job", ns, cluster+"-pgbackrest-restore")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	volumes, _, _ := unstructured.NestedSlice(job.Object, "spec", "template", "spec", "volumes")
	for _, v := range volumes {
		sources, _, _ := unstructured.NestedSlice(v.(map[string]any), "projected", "sources")
		for _, src := range sources {
			sec, ok := src.(map[string]any)["secret"].(map[string]any)
			if !ok {
				continue
			}
			items, _ := sec["items"].([]any)
			for _, it := range items {
				m, _ := it.(map[string]any)
				got[fmt.Sprint(sec["name"])] = fmt.Sprintf("%v=%v", m["key"], m["path"])
			}
		}
	}
	for secret, file := range want {
		if got[secret] != file {
			t.Errorf("the restore Job projects Secret %s as %q, want %q (it projects %v)", secret, got[secret], file, got)
		}
	}
}

// restoreJobRuns waits for the operator's restore Job of cluster and
// requires its pgBackRest options (the last argument of its command, which
// the Job's script runs as `bash -xc "pgbackrest restore ${opts}"`).
func (e *env) restoreJobRuns(cluster, opts string) {
	t := e.t
	t.Helper()
	var got string
	e.eventually("the restore Job "+cluster+"-pgbackrest-restore exists", 180*time.Second, func() error {
		job, err := e.admin.get(e.ctx, "batch/v1", "Job", ns, cluster+"-pgbackrest-restore")
		if err != nil {
			return err
		}
		containers, _, _ := unstructured.NestedSlice(job.Object, "spec", "template", "spec", "containers")
		if len(containers) == 0 {
			return fmt.Errorf("no containers")
		}
		c, _ := containers[0].(map[string]any)
		cmd, _ := c["command"].([]any)
		if len(cmd) == 0 {
			return fmt.Errorf("no command")
		}
		got, _ = cmd[len(cmd)-1].(string)
		return nil
	})
	if got != opts {
		t.Errorf("the restore Job runs pgbackrest restore %s\nwant %s", got, opts)
	} else {
		e.logf("restore Job: pgbackrest restore %s", got)
	}
}

// recoverInPlace: a live DittoServer recovered to a point in time. The
// function stops DittoFS, composes the PerconaPGRestore once its pod is
// gone, the operator takes it (the cluster's spec.backups.pgbackrest.restore
// and restore annotation, set by the operator, are not fought over by
// Crossplane), and DittoFS comes back once the restore reports Succeeded.
func (e *env) recoverInPlace() {
	t := e.t
	spec := `  storage: {metadataSize: 1Gi}
  percona:
    enabled: true
    postgresVersion: 15
    storageSize: 1Gi
    backup:
      enabled: true
      credentialsSecretRef: {name: backup-s3}
      bucket: dittofs-drill
      endpoint: localhost:9000
      region: us-east-1
`
	e.applyXR("recover", spec)
	e.mustExist(pgAPI, "PerconaPGCluster", ns, "recover-postgres", 60*time.Second)
	e.eventually("the operator made recover-postgres's StatefulSets", 120*time.Second, func() error {
		stss, err := e.admin.list(e.ctx, "apps/v1", "StatefulSet", ns, "postgres-operator.crunchydata.com/cluster=recover-postgres")
		if err != nil || len(stss) < 2 {
			return fmt.Errorf("%d StatefulSets (%w)", len(stss), err)
		}
		return nil
	})
	e.fakeReady(ns, "recover-postgres")
	sts := e.mustExist("apps/v1", "StatefulSet", ns, "recover", 120*time.Second)
	e.fakeStatefulSetPod(sts)

	// What Percona's WAL watcher would have written on the latest backup.
	e.applyFile([]byte(`apiVersion: `+pgAPI+`
kind: PerconaPGBackup
metadata:
  name: recover-backup
  namespace: `+ns+`
spec:
  pgCluster: recover-postgres
  repoName: repo1
`), "")
	e.eventually("recover-backup reports a latestRestorableTime", 60*time.Second, func() error {
		if err := e.admin.patch(e.ctx, pgAPI, "PerconaPGBackup", ns, "recover-backup",
			`{"status":{"state":"Succeeded","completed":"2026-12-01T02:00:00Z","latestRestorableTime":"2026-12-01 19:00:00.000000+0000"}}`, "status"); err != nil {
			return err
		}
		time.Sleep(2 * time.Second)
		b, err := e.admin.get(e.ctx, pgAPI, "PerconaPGBackup", ns, "recover-backup")
		if err != nil {
			return err
		}
		if s := str(b, "status", "state"); s != "Succeeded" {
			return fmt.Errorf("state %q", s)
		}
		return nil
	})

	e.applyXR("recover", spec+`    recovery:
      id: r1
      pointInTime: "`+drPointInTime+`"
`)
	e.eventually("DittoFS scaled to 0 for the recovery", reconcileBehindBreaker, func() error {
		s, err := e.admin.get(e.ctx, "apps/v1", "StatefulSet", ns, "recover")
		if err != nil {
			return err
		}
		if r, _, _ := unstructured.NestedInt64(s.Object, "spec", "replicas"); r != 0 {
			return fmt.Errorf("spec.replicas %d", r)
		}
		return nil
	})
	if exists, _ := e.admin.exists(e.ctx, pgAPI, "PerconaPGRestore", ns, "recover-recovery-r1"); exists {
		t.Fatal("the PerconaPGRestore was composed while DittoFS's pod was still there")
	}
	// What the kubelet and the StatefulSet controller would do.
	if err := ignoreNotFound(e.admin.delete(e.ctx, "v1", "Pod", ns, "recover-0")); err != nil {
		t.Fatal(err)
	}
	e.fakeStatefulSetStatus(ns, "recover", 0)

	restore := e.mustExist(pgAPI, "PerconaPGRestore", ns, "recover-recovery-r1", reconcileBehindBreaker)
	if got, _, _ := unstructured.NestedStringSlice(restore.Object, "spec", "options"); !reflect.DeepEqual(got, []string{"--type=time", drTarget}) {
		t.Errorf("the PerconaPGRestore's options are %q", got)
	}
	e.eventually("the operator starts the restore on the cluster", 90*time.Second, func() error {
		c, err := e.admin.get(e.ctx, pgAPI, "PerconaPGCluster", ns, "recover-postgres")
		if err != nil {
			return err
		}
		enabled, _, _ := unstructured.NestedBool(c.Object, "spec", "backups", "pgbackrest", "restore", "enabled")
		opts, _, _ := unstructured.NestedStringSlice(c.Object, "spec", "backups", "pgbackrest", "restore", "options")
		if !enabled || !reflect.DeepEqual(opts, []string{"--type=time", drTarget}) || c.GetAnnotations()["postgres-operator.crunchydata.com/pgbackrest-restore"] != "recover-recovery-r1" {
			return fmt.Errorf("restore enabled %v, options %q, annotations %v", enabled, opts, c.GetAnnotations())
		}
		return nil
	})
	// Crossplane reconciles the XR meanwhile: the operator's fields stay.
	e.synced(xrAPI, "DittoServer", ns, "recover")
	time.Sleep(10 * time.Second)
	c, err := e.admin.get(e.ctx, pgAPI, "PerconaPGCluster", ns, "recover-postgres")
	if err != nil {
		t.Fatal(err)
	}
	if enabled, _, _ := unstructured.NestedBool(c.Object, "spec", "backups", "pgbackrest", "restore", "enabled"); !enabled {
		t.Error("spec.backups.pgbackrest.restore.enabled went back to false while the restore runs: Crossplane fights the operator")
	}
	// The crunchy operator shuts the instances down for an in-place restore
	// and then runs its restore Job with the restore's options.
	stop := make(chan struct{})
	go e.fakeInstancesDown(ns, "recover-postgres", stop)
	e.restoreJobRuns("recover-postgres", "--type=time "+drTarget+" --stanza=db --pg1-path=/pgdata/pg15 --repo=1 --delta --target-action=promote --link-map=pg_wal=/pgdata/pg15_wal")
	close(stop)

	// The Job's completion, faked: DittoFS comes back.
	if err := e.admin.patch(e.ctx, pgAPI, "PerconaPGRestore", ns, "recover-recovery-r1", `{"status":{"state":"Succeeded"}}`, "status"); err != nil {
		t.Fatal(err)
	}
	e.eventually("DittoFS back after the restore succeeded", reconcileBehindBreaker, func() error {
		x, err := e.admin.get(e.ctx, xrAPI, "DittoServer", ns, "recover")
		if err != nil {
			return err
		}
		s, err := e.admin.get(e.ctx, "apps/v1", "StatefulSet", ns, "recover")
		if err != nil {
			return err
		}
		r, _, _ := unstructured.NestedInt64(s.Object, "spec", "replicas")
		st, reason, _ := condition(x, "RestoreReady")
		if r != 1 || st != "True" || reason != "Recovered" || str(x, "status", "database", "restore", "recovery", "state") != "Succeeded" {
			return fmt.Errorf("replicas %d, RestoreReady %s/%s, %s", r, st, reason, conditions(x))
		}
		return nil
	})
}

// fakeInstancesDown does what a kubelet would while the operator shuts a
// cluster's instances down for an in-place restore: the pods of
// StatefulSets scaled to 0 go, and they report zero. It runs until stop is
// closed.
func (e *env) fakeInstancesDown(ns, cluster string, stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(200 * time.Millisecond):
		}
		stss, _ := e.admin.list(e.ctx, "apps/v1", "StatefulSet", ns, "postgres-operator.crunchydata.com/cluster="+cluster)
		for _, s := range stss {
			if r, ok, _ := unstructured.NestedInt64(s.Object, "spec", "replicas"); !ok || r != 0 {
				continue
			}
			_ = ignoreNotFound(e.admin.delete(e.ctx, "v1", "Pod", ns, s.GetName()+"-0"))
			_ = e.admin.patch(e.ctx, "apps/v1", "StatefulSet", ns, s.GetName(), `{"status":{"replicas":0,"readyReplicas":0,"availableReplicas":0,"currentReplicas":0,"updatedReplicas":0}}`, "status")
		}
	}
}
