package e2e_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// onDemandBackup: the real Percona operator v2.9.0 takes the PerconaPGBackup
// the function composes for spec.percona.backup.onDemand. The object is the
// one `crossplane render` composed for example/backup-on-demand (the render
// golden; same XR name and namespace as here), applied as it is: the API
// server accepts it under the operator's CRD (its CEL rule included), and
// the operator starts the backup the way it starts any: it writes
// spec.backups.pgbackrest.manual (repo1, --type=full) on the PerconaPGCluster
// and the pgbackrest-backup annotation on the PostgresCluster. The backup
// Job never runs here (no kubelet, and without one pgBackRest never reports
// the cluster ReadyForBackup, which is also why the function itself does
// not compose it in this run). Deleting it then completes: Percona's
// finalizer runs no pgBackRest command, so the repository keeps what a
// backup took; Crossplane deletes the object the same way when the token
// changes.
func (e *env) onDemandBackup(t *testing.T) {
	defer e.sub(t)()
	const name = "files-postgres-backup-before-upgrade"
	objs, err := parseYAML(e.read(filepath.Join(e.root, "test", "render", "testdata", "backup-on-demand.golden.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	var backup *unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == "PerconaPGBackup" {
			backup = o
		}
	}
	if backup == nil || backup.GetName() != name || backup.GetNamespace() != ns {
		t.Fatalf("the render golden of example/backup-on-demand has no PerconaPGBackup %s/%s", ns, name)
	}
	// Not Crossplane's: without its marks, Crossplane never takes it for
	// one of the XR's composed resources; without the render's owner (an
	// XR UID that does not exist here) the garbage collector leaves it.
	backup.SetOwnerReferences(nil)
	labels, annotations := backup.GetLabels(), backup.GetAnnotations()
	delete(labels, "crossplane.io/composite")
	delete(annotations, "crossplane.io/composition-resource-name")
	backup.SetLabels(labels)
	backup.SetAnnotations(annotations)
	t.Logf("applying the composed PerconaPGBackup: spec %v", backup.Object["spec"])
	if _, err := e.admin.apply(e.ctx, backup); err != nil {
		t.Fatalf("the API server refused the composed PerconaPGBackup: %v", err)
	}
	e.eventually("the operator starts the backup", 90*time.Second, func() error {
		b, err := e.admin.get(e.ctx, pgAPI, "PerconaPGBackup", ns, name)
		if err != nil {
			return err
		}
		if s := str(b, "status", "state"); s == "" {
			return fmt.Errorf("status.state is still empty")
		}
		c, err := e.admin.get(e.ctx, pgAPI, "PerconaPGCluster", ns, "files-postgres")
		if err != nil {
			return err
		}
		// The operator adds the backup's name as a pgBackRest annotation
		// to the options it was given.
		manual, _, _ := unstructured.NestedMap(c.Object, "spec", "backups", "pgbackrest", "manual")
		want := map[string]any{"repoName": "repo1", "options": []any{"--type=full", `--annotation="percona.com/backup-name"="` + name + `"`}}
		for k, v := range want {
			if !reflect.DeepEqual(manual[k], v) {
				return fmt.Errorf("spec.backups.pgbackrest.manual = %v, want %v", manual, want)
			}
		}
		pc, err := e.admin.get(e.ctx, crunchAPI, "PostgresCluster", ns, "files-postgres")
		if err != nil {
			return err
		}
		if a := pc.GetAnnotations()["postgres-operator.crunchydata.com/pgbackrest-backup"]; a != name {
			return fmt.Errorf("PostgresCluster annotation pgbackrest-backup = %q", a)
		}
		t.Logf("PerconaPGBackup %s: state %s; manual %v", name, str(b, "status", "state"), manual)
		return nil
	})
	if err := e.admin.delete(e.ctx, pgAPI, "PerconaPGBackup", ns, name); err != nil {
		t.Fatal(err)
	}
	e.eventually("the PerconaPGBackup is deleted (its finalizer done)", 120*time.Second, func() error {
		ok, err := e.admin.exists(e.ctx, pgAPI, "PerconaPGBackup", ns, name)
		if err != nil || ok {
			return fmt.Errorf("still there (%w)", err)
		}
		return nil
	})
	e.synced(xrAPI, "DittoServer", ns, "files")
	e.onDemandThroughTheXR(name)
}

// onDemandThroughTheXR sets spec.percona.backup.onDemand on the live XR:
// the XRD takes the field and the status the function reports. The
// function composes the PerconaPGBackup only once Percona reports the
// cluster ReadyForBackup (Percona fails a backup of a cluster that is not
// ready for one), which needs pgBackRest's stanza and first backup: never
// here, without a kubelet. So the XR reports the backup it waits to take;
// should the cluster be ready for backups, the composed object must be the
// XR's and started by the operator. Removing the token removes it again.
func (e *env) onDemandThroughTheXR(name string) {
	t := e.t
	if err := e.admin.patch(e.ctx, xrAPI, "DittoServer", ns, "files", `{"spec":{"percona":{"backup":{"onDemand":"before-upgrade"}}}}`); err != nil {
		t.Fatalf("the XRD refused spec.percona.backup.onDemand: %v", err)
	}
	// Up to three minutes: the function lists the namespace's
	// PerconaPGBackups (for latestRestorableTime), so Crossplane watches
	// them, and the operator's burst of updates to the backup applied
	// above can open the XR's watch circuit breaker, which then lets a
	// reconcile through only now and then.
	e.eventually("the XR reports the on-demand backup", 3*time.Minute, func() error {
		x := e.xr("files")
		if got := str(x, "status", "database", "backup", "lastOnDemand", "name"); got != name {
			return fmt.Errorf("status.database.backup.lastOnDemand.name = %q; %s", got, conditions(x))
		}
		if token := str(x, "status", "database", "backup", "lastOnDemand", "token"); token != "before-upgrade" {
			return fmt.Errorf("lastOnDemand.token = %q", token)
		}
		c, err := e.admin.get(e.ctx, pgAPI, "PerconaPGCluster", ns, "files-postgres")
		if err != nil {
			return err
		}
		ready, _, _ := condition(c, "ReadyForBackup")
		composed, err := e.admin.exists(e.ctx, pgAPI, "PerconaPGBackup", ns, name)
		if err != nil {
			return err
		}
		switch {
		case ready != "True" && composed:
			return fmt.Errorf("the function composed %s while Percona reports ReadyForBackup %q", name, ready)
		case ready == "True" && !composed:
			return fmt.Errorf("ReadyForBackup is True and %s is not composed yet", name)
		case composed:
			e.ownedBy(e.mustExist(pgAPI, "PerconaPGBackup", ns, name, 10*time.Second), x)
		}
		s, reason, _ := condition(x, "BackupReady")
		t.Logf("ReadyForBackup %q; composed %v; BackupReady %s %s; lastOnDemand %v", ready, composed, s, reason, x.Object["status"].(map[string]any)["database"])
		return nil
	})
	if err := e.admin.patch(e.ctx, xrAPI, "DittoServer", ns, "files", `{"spec":{"percona":{"backup":{"onDemand":null}}}}`); err != nil {
		t.Fatal(err)
	}
	e.eventually("the on-demand backup is gone with its token", 120*time.Second, func() error {
		if ok, err := e.admin.exists(e.ctx, pgAPI, "PerconaPGBackup", ns, name); err != nil || ok {
			return fmt.Errorf("%s still exists (%w)", name, err)
		}
		return nil
	})
	e.synced(xrAPI, "DittoServer", ns, "files")
	// What Crossplane keeps of a status field the function no longer
	// writes is Crossplane's: recorded, not asserted.
	t.Logf("status.database.backup without the token: %v", e.xr("files").Object["status"].(map[string]any)["database"])
}
