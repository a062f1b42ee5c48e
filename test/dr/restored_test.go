package dr

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	"sigs.k8s.io/yaml"

	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
)

// restoredXR is a DittoServer name restored from the drill's DittoServer
// (spec.percona.restore.from.dittoServer), to pointInTime when not "", with
// backups of its own to the same bucket.
func restoredXR(name, endpoint, bucket, pointInTime string) string {
	xr := strings.Replace(drillXR(endpoint, bucket), "name: drill\n", "name: "+name+"\n", 1)
	xr = strings.Replace(xr, "uid: 0d5a4b1c-7e6f-4a3b-9c8d-1e2f3a4b5c6d", "uid: 0d5a4b1c-7e6f-4a3b-9c8d-"+fmt.Sprintf("%012x", len(name)), 1)
	restore := "    restore:\n      from:\n        dittoServer: drill\n"
	if pointInTime != "" {
		restore += "      pointInTime: \"" + pointInTime + "\"\n"
	}
	return strings.Replace(xr, "    backup:\n", restore+"    backup:\n", 1)
}

// sourceDittoServer is the drill's DittoServer as Crossplane reads it for a
// restore: its spec, and the status the function wrote for it.
func (d *drill) sourceDittoServer() string {
	t := d.t
	var xr map[string]any
	if err := yaml.Unmarshal([]byte(drillXR(d.s3.Endpoint(), bucket)), &xr); err != nil {
		t.Fatal(err)
	}
	xr["status"] = d.c.Status
	b, err := yaml.Marshal(xr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sourceAdminSecret is the drill's <xr>-admin Secret the function composed.
func (d *drill) sourceAdminSecret() string {
	t := d.t
	data, ok := d.c.Pod.Secrets["drill-admin"]
	if !ok {
		t.Fatalf("the drill's DittoServer composed no drill-admin Secret (%v)", sortedNames(d.c.Pod.Secrets))
	}
	b, err := yaml.Marshal(map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": "drill-admin", "namespace": "dr"},
		"stringData": data,
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// rawRestoredXR is a DittoServer name restored, latest, from the raw
// coordinates of the drill's repository (spec.percona.restore.from.repoPath,
// bucket, endpoint, region), with the CA and passphrase Secrets of the
// namespace named there, and the source's admin Secret: what a user writes
// when the source DittoServer is gone.
func (d *drill) rawRestoredXR(name string) string {
	backup, _ := d.c.Status["database"].(map[string]any)["backup"].(map[string]any)
	repoPath, _ := backup["repoPath"].(string)
	if repoPath == "" {
		d.t.Fatalf("the drill's status publishes no repoPath: %v", d.c.Status)
	}
	xr := strings.Replace(drillXR(d.s3.Endpoint(), bucket), "name: drill\n", "name: "+name+"\n", 1)
	xr = strings.Replace(xr, "uid: 0d5a4b1c-7e6f-4a3b-9c8d-1e2f3a4b5c6d", "uid: 0d5a4b1c-7e6f-4a3b-9c8d-"+fmt.Sprintf("%012x", len(name)), 1)
	restore := fmt.Sprintf(`    restore:
      from:
        repoPath: %s
        bucket: %s
        endpoint: %s
        region: us-east-1
        caSecretRef:
          name: drill-s3-ca
        encryption:
          passphraseSecretRef:
            name: drill-cipher
        adminSecretRef:
          name: drill-admin
`, repoPath, bucket, d.s3.Endpoint())
	return strings.Replace(xr, "    backup:\n", restore+"    backup:\n", 1)
}

// composeRestored composes the DittoServer name restored from the drill's,
// with the source DittoServer, its admin Secret and the credentials Secret
// in the namespace, and checks what a restore must never do: back up into
// the source's repository.
func (d *drill) composeRestored(name, pointInTime string) composed {
	return d.composeRestoredFrom(name, restoredXR(name, d.s3.Endpoint(), bucket, pointInTime), d.sourceDittoServer())
}

// composeRestoredRaw composes rawRestoredXR(name), with the user's Secrets
// and the source's admin Secret in the namespace but not the source
// DittoServer: raw coordinates need none.
func (d *drill) composeRestoredRaw(name string) composed {
	return d.composeRestoredFrom(name, d.rawRestoredXR(name))
}

func (d *drill) composeRestoredFrom(name, xr string, required ...string) composed {
	t := d.t
	t.Helper()
	c := compose(t, xr, append(append(d.secrets(secretKey, passphrase), d.sourceAdminSecret()), required...)...)
	ds := c.Cluster.Spec.DataSource
	if ds == nil || ds.PGBackRest == nil {
		t.Fatalf("%s: the function composed no dataSource.pgbackrest", name)
	}
	src := d.c.Cluster.Spec.Backups.PGBackRest.Global["repo1-path"]
	if got := ds.PGBackRest.Global["repo1-path"]; got != src {
		t.Fatalf("%s: the dataSource reads %s, not the source's repository %s", name, got, src)
	}
	if own := c.Cluster.Spec.Backups.PGBackRest.Global["repo1-path"]; own == src {
		t.Fatalf("%s: the restored cluster backs up into its source's repository %s", name, src)
	}
	t.Logf("%s: dataSource.pgbackrest options %q, global %v; its own backups go to %s", name, ds.PGBackRest.Options, ds.PGBackRest.Global, c.Cluster.Spec.Backups.PGBackRest.Global["repo1-path"])
	return c
}

// rfc3339 turns the recorded target (PostgreSQL's "YYYY-MM-DD
// HH:MM:SS.ffffff+00") into the RFC 3339 a user writes in
// spec.percona.restore.pointInTime.
func rfc3339(t *testing.T, target string) string {
	t.Helper()
	at, err := time.Parse("2006-01-02 15:04:05.999999-07", target)
	if err != nil {
		t.Fatalf("recorded target %q: %v", target, err)
	}
	return at.UTC().Format(time.RFC3339Nano)
}

// sameRestoreJob: the restore Job of raw (restored from raw coordinates)
// gets the same pgBackRest options and the same files in its conf.d as the
// one of viaSource (restored from the DittoServer): the same repository
// read the same way, only the Secrets the files come from are named
// differently (<xr>-pgbackrest-restore-cipher for the source's
// <source>-pgbackrest-cipher, each XR's own s3.conf).
func (d *drill) sameRestoreJob(viaSource, raw composed) {
	t := d.t
	t.Helper()
	a, b := viaSource.Cluster.Spec.DataSource.PGBackRest, raw.Cluster.Spec.DataSource.PGBackRest
	if !reflect.DeepEqual(a.Global, b.Global) || !reflect.DeepEqual(a.Repo, b.Repo) || !slices.Equal(a.Options, b.Options) || a.Stanza != b.Stanza {
		t.Fatalf("the raw coordinates compose another restore than the DittoServer source:\nglobal %v / %v\nrepo %+v / %+v\noptions %q / %q", a.Global, b.Global, a.Repo, b.Repo, a.Options, b.Options)
	}
	files := func(c composed) map[string][]byte {
		return projectedFiles(t, c.Cluster.Spec.DataSource.PGBackRest.Configuration, d.composedSecrets(c), secretsData(t, strings.Join(d.secrets(secretKey, passphrase), "\n---\n")))
	}
	fa, fb := files(viaSource), files(raw)
	if !reflect.DeepEqual(fa, fb) {
		t.Fatalf("the restore Job's conf.d differs: %v from the DittoServer, %v from the raw coordinates", sortedNames(fa), sortedNames(fb))
	}
	t.Logf("raw coordinates and the DittoServer source compose the same restore: global %v, conf.d %v", b.Global, sortedNames(fb))
}

// composedSecrets are the Secrets the drill's DittoServer and c composed,
// by name.
func (d *drill) composedSecrets(c composed) map[string]map[string]string {
	out := map[string]map[string]string{}
	for _, s := range []map[string]map[string]string{d.c.Pod.Secrets, c.Pod.Secrets} {
		for k, v := range s {
			out[k] = v
		}
	}
	return out
}

// restoreJob is the restore Job's pgBackRest for cluster c on site m: the
// operator's instance file with the repository options it writes for a
// cloud dataSource (dataSource.global over dataSource.repo, as for a
// cluster whose only repository is that one: createRestoreConfig) and the
// s3.conf the dataSource projects.
func (d *drill) restoreJob(t *testing.T, name string, m machine, c composed) pgBackRest {
	t.Helper()
	ds := c.Cluster.Spec.DataSource.PGBackRest
	mocked := c.Cluster.DeepCopy()
	mocked.Spec.Backups.PGBackRest = pgv2.PGBackRestArchive{Global: ds.Global, Repos: []crunchyv1beta1.PGBackRestRepo{ds.Repo}}
	base := filepath.Join(d.root, "etc", name+"-restore-job")
	job := pgBackRest{
		ConfigPath: base, LockPath: filepath.Join(m.Tmp, "pgbackrest"),
		PGBin: d.pgBin, Cred: d.instance.Cred,
	}
	conf := drillConf(t, d.f, instanceConfKey, mocked, m).remapConfD(filepath.Join(base, "conf.d")).String()
	t.Logf("%s restore Job's %s:\n%s", name, instanceConfKey, conf)
	// What the dataSource projects into the Job's conf.d: the restored
	// XR's credentials, the source's CA and the source's cipher Secret
	// (composed by the source XR), looked up among both XRs' composed
	// Secrets and the user's.
	files := projectedFiles(t, ds.Configuration, d.composedSecrets(c), secretsData(t, strings.Join(d.secrets(secretKey, passphrase), "\n---\n")))
	files[instanceConfKey] = []byte(conf)
	if !strings.Contains(conf, "repo1-cipher-type") || !strings.Contains(conf, "repo1-storage-ca-file") {
		t.Fatalf("%s: the composed dataSource does not carry the source's encryption and CA:\n%s", name, conf)
	}
	job.writeConfD(t, files)
	if os.Geteuid() == 0 {
		uid, gid := realdfs.ServiceUser(t)
		realdfs.GiveTo(t, base, uid, gid)
	}
	return job
}

// backsUpToItsOwnPath: the restored cluster, started as the new cluster's
// instance runs (archiving through its own pgBackRest configuration),
// creates its stanza and takes a full backup in its own repository, and the
// source's repository is left exactly as it was.
func (d *drill) backsUpToItsOwnPath(pg *realdfs.PGServer, m machine, c composed, sourceBefore []string) {
	t := d.t
	t.Helper()
	pg.Stop()
	instance, repoHost := d.pgBackRestFor(t, m, c)
	major := fmt.Sprint(c.Cluster.Spec.PostgresVersion)
	restarted := realdfs.StartPostgresWith(t, realdfs.PGOptions{
		Root: filepath.Dir(m.PGData), DataDir: filepath.Join(m.PGData, "pg"+major), Existing: true,
		SockDir: filepath.Join(m.Tmp, "postgres"), Port: m.PGPort,
		Settings: perconaArchiveSettings(m), Env: instance.env(),
	})
	repoHost.must(t, 5*time.Minute, stanza, "stanza-create")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := restarted.PsqlSuper(ctx, "postgres", "checkpoint"); err != nil {
		t.Fatal(err)
	}
	repoHost.must(t, 10*time.Minute, stanza, "--repo=1", "--type=full", "backup")
	own := repoHost.backups(t)
	if len(own) != 1 || own[0].Type != "full" {
		t.Errorf("the restored cluster's own repository %s lists %v; want its one full backup", c.Cluster.Spec.Backups.PGBackRest.Global["repo1-path"], labels(own))
	}
	if after := labels(d.repoHost.backups(t)); !slices.Equal(after, sourceBefore) {
		t.Errorf("the source's repository changed while the restored cluster backed up: %v -> %v", sourceBefore, after)
	}
	t.Logf("the restored cluster backed up to its own %s (%v); the source's %s still holds %v",
		c.Cluster.Spec.Backups.PGBackRest.Global["repo1-path"], labels(own), d.c.Cluster.Spec.Backups.PGBackRest.Global["repo1-path"], sourceBefore)
	restarted.Stop()
}
