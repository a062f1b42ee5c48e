// Package dr is the restore drill: it backs up a DittoFS control-plane
// database with pgBackRest configured exactly as the function and the
// Percona operator configure it, to a real S3 server over TLS with SigV4,
// restores it (latest and to a point in time) into new data directories the
// way Percona's restore Job does, and boots the real DittoFS server from the
// rendered StatefulSet on each restored database. docs/dr.md says what runs
// and how the pod's paths map to this machine.
package dr

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
	"github.com/dittofs/function-dittofs/internal/testing/reals3"
	"github.com/dittofs/function-dittofs/internal/testing/testpki"
)

// TestMain removes the copy of dfs that realdfs.DfsBinary may make.
func TestMain(m *testing.M) {
	code := m.Run()
	realdfs.Cleanup()
	os.Exit(code)
}

const (
	accessKey = "DRILLACCESSKEY000001"
	secretKey = "drill-secret-key-0123456789abcdef"
	bucket    = "dittofs-drill"
	stanza    = "--stanza=db"

	// passphrase is the repository's encryption passphrase, in the Secret
	// the XR's encryption.passphraseSecretRef names.
	passphrase = "drill-repository-passphrase-0123456789"

	userName     = "alice"
	userPassword = "Al1ce-drill-pass!"
	shareBefore  = "/before"
	shareAfter   = "/after"

	// The shares on the postgres metadata store on the cluster (drillXR's
	// fileService), one made before the point in time, one after.
	fileStore       = "files"
	fileShareBefore = "/files"
	fileShareAfter  = "/files-after"
)

// drill is one run's state.
type drill struct {
	t        *testing.T
	root     string
	s3       *reals3.Server
	c        composed
	f        fixture
	pgBin    string
	instance pgBackRest // the instance pod's pgBackRest: archive-push/get, restore
	repoHost pgBackRest // the repo host's: stanza-create, backup, check, info, expire
	steps    []string   // what ran and how long it took, for the log and docs/dr.md
	caPEM    []byte     // the S3 server's private CA, in the Secret caSecretRef names
	// source is the source's PostgreSQL, and meta the database of the
	// postgres metadata store on it (the cluster's <databaseName>_meta).
	source *realdfs.PGServer
	meta   realdfs.PGDatabase
}

// step runs f and records how long it took.
func (d *drill) step(name string, f func()) {
	d.t.Helper()
	start := time.Now()
	f()
	line := fmt.Sprintf("%-58s %6.1fs", name, time.Since(start).Seconds())
	d.steps = append(d.steps, line)
	d.t.Log(line)
}

// site is one pod's filesystem on this machine: its /pgdata volume and its
// own /tmp.
func (d *drill) site(t *testing.T, name string, port int) machine {
	t.Helper()
	m := machine{PGData: filepath.Join(d.root, name, "pgdata"), Tmp: filepath.Join(d.root, name, "tmp"), PGPort: port}
	for _, dir := range []string{m.PGData, filepath.Join(m.Tmp, "postgres"), filepath.Join(m.PGData, "pgbackrest", "log")} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func pgbackrestInstalled(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("pgbackrest"); err != nil {
		t.Skip("no pgbackrest here; .ci/run installs it (apt-get install pgbackrest)")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("no curl here; .ci/run installs it")
	}
}

// TestDrill is the restore drill. See docs/dr.md.
func TestDrill(t *testing.T) {
	realdfs.SkipShort(t)
	pgbackrestInstalled(t)
	began := time.Now()
	d := &drill{t: t, f: loadFixture(t), pgBin: realdfs.PostgresBinDir(t)}
	var err error
	// Short: the PostgreSQL sockets live under it (107 bytes at most).
	if d.root, err = os.MkdirTemp("", "dr-"); err != nil { //nolint:usetesting // a t.TempDir path is too long for a socket path
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(d.root) })
	if err := os.Chmod(d.root, 0o755); err != nil {
		t.Fatal(err)
	}
	version, _ := exec.CommandContext(t.Context(), "pgbackrest", "version").Output()
	t.Logf("%s", strings.TrimSpace(string(version)))

	ca, err := testpki.NewCA("function-dittofs drill CA")
	if err != nil {
		t.Fatal(err)
	}
	d.step("S3: start SeaweedFS (TLS, SigV4) and create the bucket", func() {
		d.s3 = reals3.Start(t, reals3.Options{Identity: "pgbackrest", AccessKey: accessKey, SecretKey: secretKey, CA: ca})
		d.s3.CreateBucket(t, bucket)
		if st := d.s3.UnsignedStatus(t, bucket); st != 403 {
			t.Fatalf("an unsigned request for the bucket got %d; want 403 (SigV4 enforced)", st)
		}
	})
	d.caPEM = ca.CertPEM
	d.step("compose the DittoServer in process (two reconciles)", func() {
		d.c = compose(t, drillXR(d.s3.Endpoint(), bucket), d.secrets(secretKey, passphrase)...)
	})
	d.requireComposedCAAndCipher(t)

	src := d.site(t, "source", realdfs.FreePort(t))
	d.instance, d.repoHost = d.pgBackRestFor(t, src, d.c)
	pg := d.startSource(src)
	d.step("stanza-create", func() { d.repoHost.must(t, 5*time.Minute, stanza, "stanza-create") })
	db := pg.CreateDatabase(t, string(d.c.Cluster.Spec.Users[0].Databases[0]), "dittofs")
	// The Percona user's second database: the declared postgres metadata
	// store's, which the operator creates with the cluster.
	if dbs := d.c.Cluster.Spec.Users[0].Databases; len(dbs) != 2 || dbs[1] != "dittofs_meta" {
		t.Fatalf("the Percona user's databases are %v, want the control plane's and dittofs_meta", dbs)
	}
	d.source, d.meta = pg, pg.CreateDatabase(t, string(d.c.Cluster.Spec.Users[0].Databases[1]), "dittofs")

	dfs, admin := d.bootSource(pg, db)
	d.step("full backup", func() { d.backup(t, pg, "full") })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	d.step("a change (a table in the DittoFS database)", func() {
		if _, err := pg.PsqlSuper(ctx, db.Name, "create table public.drill_change (note text); insert into public.drill_change values ('between the backups')"); err != nil {
			t.Fatal(err)
		}
	})
	d.step("incremental backup", func() { d.backup(t, pg, "incr") })
	d.step("check", func() { d.repoHost.must(t, 5*time.Minute, stanza, "check") })
	var infoText string
	d.step("info", func() { infoText = d.repoHost.must(t, 2*time.Minute, stanza, "info") })
	t.Logf("pgbackrest info:\n%s", infoText)
	if !strings.Contains(infoText, "cipher: aes-256-cbc") {
		t.Errorf("pgbackrest info does not show the repository encrypted with aes-256-cbc:\n%s", infoText)
	}
	if b := d.repoHost.backups(t); len(b) != 2 || b[0].Type != "full" || b[1].Type != "incr" {
		t.Fatalf("after a full and an incremental backup, info lists %v", labels(b))
	}

	target := pointInTime(t, pg)
	d.step("DittoFS: second shares after the point in time; stop DittoFS", func() {
		if err := admin.createShare(shareAfter); err != nil {
			t.Fatal(err)
		}
		if err := admin.createShareOn(fileShareAfter, fileStore); err != nil {
			t.Fatal(err)
		}
		if got, err := admin.shares(); err != nil || !slices.Equal(got, []string{shareAfter, shareBefore, fileShareBefore, fileShareAfter}) {
			t.Fatalf("shares on the source: %v, %v", got, err)
		}
		if err := dfs.Stop(); err != nil {
			t.Fatal(err)
		}
	})
	// check switches to a new WAL segment and waits until it is archived:
	// the second share is in the repository.
	d.step("check (archives the WAL holding the second share)", func() { d.repoHost.must(t, 5*time.Minute, stanza, "check") })

	sourceBackups := labels(d.repoHost.backups(t))
	var latest, pitr composed
	d.step("compose two DittoServers restored from the drill's (latest, pointInTime)", func() {
		latest = d.composeRestored("restored", "")
		pitr = d.composeRestored("restored-pitr", rfc3339(t, target))
	})
	d.step("restore latest as composed (restore.from); DittoFS on it", func() {
		restored, m := d.restore("latest", latest)
		d.bootRestored(restored, db, latest, admin, []string{shareAfter, shareBefore, fileShareBefore, fileShareAfter})
		d.backsUpToItsOwnPath(restored, m, latest, sourceBackups)
	})
	d.step("restore as composed for restore.pointInTime; DittoFS on it", func() {
		restored, _ := d.restore("pitr", pitr)
		d.bootRestored(restored, db, pitr, admin, []string{shareBefore, fileShareBefore})
	})
	d.step("restore as composed for restore.from's raw coordinates; DittoFS", func() {
		// The same encrypted repository behind the private CA, named by
		// repoPath, bucket, endpoint, caSecretRef and encryption instead
		// of the DittoServer.
		raw := d.composeRestoredRaw("restored-raw")
		d.sameRestoreJob(latest, raw)
		restored, _ := d.restore("raw", raw)
		d.bootRestored(restored, db, raw, admin, []string{shareAfter, shareBefore, fileShareBefore, fileShareAfter})
	})

	t.Run("expire", func(t *testing.T) { d.expire(t, pg) })
	t.Run("wrong S3 secret key", d.wrongSecret)
	t.Run("wrong encryption passphrase", d.wrongPassphrase)
	t.Run("no CA for the S3 endpoint", d.withoutCA)
	t.Run("restore from a repo path that does not exist", d.missingRepoPath)

	t.Logf("drill steps:\n%s\ntotal %.1fs", strings.Join(d.steps, "\n"), time.Since(began).Seconds())
}

// bootSource boots DittoFS from the rendered StatefulSet on the source
// database and, through its REST API as the admin, creates the user and
// the first share. It returns the running server and the admin's session.
func (d *drill) bootSource(pg *realdfs.PGServer, db realdfs.PGDatabase) (*realdfs.DittoFS, *dfsAPI) {
	t := d.t
	t.Helper()
	var dfs *realdfs.DittoFS
	var admin *dfsAPI
	d.step("boot DittoFS on the source; a user and a share", func() {
		in, err := realdfs.RenderedInput(t, d.c.Pod, pg, db, d.c.Cluster.Name)
		if err != nil {
			t.Fatal(err)
		}
		if dfs, err = realdfs.StartDittoFS(t, in); err != nil {
			t.Fatal(err)
		}
		if _, err := dfs.Check(); err != nil {
			t.Fatal(err)
		}
		if admin, err = loginAs(dfs.Base, in.AdminUser, in.AdminPassword); err != nil {
			t.Fatal(err)
		}
		for _, f := range []func() error{
			func() error { return admin.createUser(userName, userPassword) },
			admin.createStores,
			func() error { return admin.createShare(shareBefore) },
			// The declared postgres store on the cluster, with the config
			// the reconciler writes for it, and a share on it: file
			// metadata in the cluster's dittofs_meta.
			func() error {
				return admin.createPostgresStore(fileStore, map[string]any{
					"host": "127.0.0.1", "port": pg.Port, "database": d.meta.Name, "user": d.meta.User, "password": d.meta.Password, "sslmode": "require",
				})
			},
			func() error { return admin.createShareOn(fileShareBefore, fileStore) },
		} {
			if err := f(); err != nil {
				t.Fatal(err)
			}
		}
	})
	return dfs, admin
}

// pointInTime records the database's clock as a restore target, in the
// form pgBackRest's --target takes: after the incremental backup ended and
// before the second share, with a second on each side to keep the commits
// apart.
func pointInTime(t *testing.T, pg *realdfs.PGServer) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	time.Sleep(time.Second)
	target, err := pg.PsqlSuper(ctx, "postgres", "select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded point in time: %s", target)
	time.Sleep(time.Second)
	return target
}

// backup runs a backup of type (full, incr) as Percona's backup Job does on
// the repo host: `pgbackrest backup --stanza=db --repo=1 --type=<type>`
// (generateBackupJobSpecIntent). pgBackRest starts it with a spread
// checkpoint (start-fast=n, the operator's default too), which PostgreSQL
// paces at up to 100 ms per dirty buffer: minutes for a fresh cluster. The
// drill runs an immediate CHECKPOINT first, so the backup's own checkpoint
// has nothing left to spread; pgBackRest's options stay Percona's.
func (d *drill) backup(t *testing.T, pg *realdfs.PGServer, kind string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := pg.PsqlSuper(ctx, "postgres", "checkpoint"); err != nil {
		t.Fatal(err)
	}
	d.repoHost.must(t, 10*time.Minute, stanza, "--repo=1", "--type="+kind, "backup")
}

// pgBackRestFor lays out the instance's and the repo host's pgBackRest
// configuration for cluster c's pod whose filesystem is m: the fixture's
// files made the drill's (drillConf) and c's s3.conf as the projected
// credentials file.
func (d *drill) pgBackRestFor(t *testing.T, m machine, c composed) (instance, repoHost pgBackRest) {
	t.Helper()
	uid, gid := -1, -1
	if os.Geteuid() == 0 {
		uid, gid = realdfs.ServiceUser(t)
	}
	base := filepath.Join(d.root, "etc", filepath.Base(filepath.Dir(m.PGData)))
	instance = pgBackRest{
		ConfigPath: filepath.Join(base, "instance"), LockPath: filepath.Join(m.Tmp, "pgbackrest"),
		PGBin: d.pgBin, Cred: realdfs.Credential(uid, gid),
	}
	repoHost = pgBackRest{
		ConfigPath: filepath.Join(base, "repo-host"), LockPath: filepath.Join(base, "repo-host-tmp", "pgbackrest"),
		PGBin: d.pgBin, Cred: realdfs.Credential(uid, gid),
	}
	for _, p := range []struct {
		pgbr pgBackRest
		key  string
	}{{instance, instanceConfKey}, {repoHost, repoConfKey}} {
		conf := drillConf(t, d.f, p.key, c.Cluster, m).remapConfD(filepath.Join(p.pgbr.ConfigPath, "conf.d"))
		files := map[string][]byte{p.key: []byte(conf.String())}
		for name, data := range c.ConfD {
			files[name] = data
		}
		p.pgbr.writeConfD(t, files)
	}
	if uid >= 0 {
		realdfs.GiveTo(t, base, uid, gid)
		realdfs.GiveTo(t, filepath.Dir(m.PGData), uid, gid)
	}
	return instance, repoHost
}

// startSource starts the source cluster as Percona's instance runs it:
// data in /pgdata/pg<major>, WAL in /pgdata/pg<major>_wal, the socket in
// /tmp/postgres, archiving through pgBackRest as the operator sets it.
func (d *drill) startSource(m machine) *realdfs.PGServer {
	t := d.t
	t.Helper()
	major := fmt.Sprint(d.c.Cluster.Spec.PostgresVersion)
	if got := filepath.Base(filepath.Dir(d.pgBin)); got != major {
		t.Fatalf("the function composed PostgreSQL %s, this machine runs %s (%s)", major, got, d.pgBin)
	}
	instConf, _ := os.ReadFile(filepath.Join(d.instance.ConfigPath, "conf.d", instanceConfKey))
	repoConf, _ := os.ReadFile(filepath.Join(d.repoHost.ConfigPath, "conf.d", repoConfKey))
	t.Logf("%s as the drill runs it:\n%s\n%s:\n%s", instanceConfKey, instConf, repoConfKey, repoConf)
	var pg *realdfs.PGServer
	d.step("start the source PostgreSQL (TLS only, Percona's archiving)", func() {
		pg = realdfs.StartPostgresWith(t, realdfs.PGOptions{
			Root:       filepath.Dir(m.PGData),
			DataDir:    filepath.Join(m.PGData, "pg"+major),
			SockDir:    filepath.Join(m.Tmp, "postgres"),
			Port:       m.PGPort,
			InitDBArgs: []string{"--waldir=" + filepath.Join(m.PGData, "pg"+major+"_wal")},
			Settings:   perconaArchiveSettings(m),
			Env:        d.instance.env(),
		})
	})
	return pg
}

// restore restores the source's stanza into a new site's /pgdata as
// Percona's restore Job does for the dataSource the function composed for
// c (spec.percona.restore): the Job's pgBackRest configuration is the
// instance file with the repository options of dataSource.global and
// dataSource.repo (the operator's createRestoreConfig), plus the s3.conf of
// the Secret dataSource.configuration projects; its command is
// `bash -xc "pgbackrest restore ${opts}"` with dataSource.options and the
// operator's own options joined into opts (so bash reads the quoted
// --target as one word). PostgreSQL then starts on it with the Job's
// recovery settings and is waited for until promoted.
func (d *drill) restore(name string, c composed) (*realdfs.PGServer, machine) {
	t := d.t
	t.Helper()
	ds := c.Cluster.Spec.DataSource.PGBackRest
	m := d.site(t, name, realdfs.FreePort(t))
	major := fmt.Sprint(c.Cluster.Spec.PostgresVersion)
	pgdata, wal := filepath.Join(m.PGData, "pg"+major), filepath.Join(m.PGData, "pg"+major+"_wal")
	if err := os.Mkdir(pgdata, 0o700); err != nil {
		t.Fatal(err)
	}
	job := d.restoreJob(t, name, m, c)
	if os.Geteuid() == 0 {
		uid, gid := realdfs.ServiceUser(t)
		realdfs.GiveTo(t, filepath.Dir(m.PGData), uid, gid)
	}
	opts := strings.Join(perconaRestoreOptions(ds.Options, pgdata, wal), " ")
	t.Logf("restore Job: bash -xc \"pgbackrest restore %s\"", opts)
	out, err := job.runShell(t, 10*time.Minute, `bash -xc "pgbackrest restore ${opts}"`, "opts="+opts)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	t.Logf("%s", lastLines(out, 3))
	pg := realdfs.StartPostgresWith(t, realdfs.PGOptions{
		Root: filepath.Dir(m.PGData), DataDir: pgdata, Existing: true,
		SockDir: filepath.Join(m.Tmp, "postgres"), Port: m.PGPort,
		Settings: perconaRestoreSettings, Env: job.env(),
	})
	waitPromoted(t, name, pg)
	return pg, m
}

// waitPromoted waits until recovery has ended on pg.
func waitPromoted(t *testing.T, name string, pg *realdfs.PGServer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for {
		if r, err := pg.PsqlSuper(ctx, "postgres", "select pg_is_in_recovery()"); err == nil && r == "f" {
			return
		}
		select {
		case <-ctx.Done():
			log, _ := os.ReadFile(pg.LogPath)
			t.Fatalf("%s: still in recovery after 3 minutes\n%s", name, log)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// bootRestored boots DittoFS from the restored DittoServer's rendered
// StatefulSet on its restored database and requires: the admin logs in with
// the password the restored server's own admin Secret holds, which the
// function copied from the source's (the restored database keeps the
// source's users, admin included: README "Disaster recovery"); the user
// made before the backups logs in; the shares are exactly want; the change
// made between the backups is there.
func (d *drill) bootRestored(pg *realdfs.PGServer, db realdfs.PGDatabase, c composed, source *dfsAPI, want []string) {
	t := d.t
	t.Helper()
	in, err := realdfs.RenderedInput(t, c.Pod, pg, db, c.Cluster.Name)
	if err != nil {
		t.Fatal(err)
	}
	if in.AdminUser != source.user || in.AdminPassword != source.password {
		t.Fatal("the restored DittoServer's admin Secret does not hold the source's admin password")
	}
	d.prestart(pg, db, c)
	dfs, err := realdfs.StartDittoFS(t, in)
	if err != nil {
		t.Fatal(err)
	}
	defer dfs.Kill()
	if _, err := dfs.Check(); err != nil {
		t.Fatal(err)
	}
	admin, err := loginAs(dfs.Base, in.AdminUser, in.AdminPassword)
	if err != nil {
		t.Fatalf("the admin cannot log in with the restored DittoServer's admin Secret: %v", err)
	}
	if got, err := admin.shares(); err != nil || !slices.Equal(got, want) {
		t.Errorf("shares after the restore: %v (%v), want %v", got, err, want)
	} else {
		t.Logf("shares after the restore: %v", got)
	}
	user, err := loginAs(dfs.Base, userName, userPassword)
	if err != nil {
		t.Errorf("the user made before the backup cannot log in after the restore: %v", err)
	} else if me, err := user.me(); err != nil || me != userName {
		t.Errorf("GET /api/v1/auth/me as %s: %q, %v", userName, me, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if note, err := pg.PsqlSuper(ctx, db.Name, "select note from public.drill_change"); err != nil || note != "between the backups" {
		t.Errorf("the change between the backups after the restore: %q, %v", note, err)
	}
	d.fileMetadataRestored(pg, admin, want)
	if err := dfs.Stop(); err != nil {
		t.Error(err)
	}
}

// expire runs pgBackRest's expire with our retention settings, which must
// keep every backup younger than repo1-retention-full days (all of them
// here), then shows what an expire removes with count retention, which does
// not need days to pass: after a second full backup, keeping one full
// removes the first full and its incremental and keeps the second.
func (d *drill) expire(t *testing.T, pg *realdfs.PGServer) {
	t.Helper()
	g := d.c.Cluster.Spec.Backups.PGBackRest.Global
	if g["repo1-retention-full-type"] != "time" || g["repo1-retention-full"] == "" {
		t.Fatalf("the composed retention is %v; the drill expects time-based retention", g)
	}
	before := d.repoHost.backups(t)
	d.step("expire with the composed retention ("+g["repo1-retention-full"]+" days)", func() { d.repoHost.must(t, 5*time.Minute, stanza, "expire") })
	if after := d.repoHost.backups(t); !slices.Equal(labels(after), labels(before)) {
		t.Errorf("expire with %s days' retention removed backups younger than that: %v -> %v", g["repo1-retention-full"], labels(before), labels(after))
	}
	d.step("second full backup", func() { d.backup(t, pg, "full") })
	three := d.repoHost.backups(t)
	d.repoHost.must(t, 5*time.Minute, stanza, "expire")
	if after := d.repoHost.backups(t); len(three) != 3 || !slices.Equal(labels(after), labels(three)) {
		t.Errorf("expire with time retention after a second full: %v -> %v, want all 3 kept", labels(three), labels(after))
	}
	d.step("expire --repo1-retention-full-type=count --repo1-retention-full=1", func() {
		out := d.repoHost.must(t, 5*time.Minute, stanza, "--repo1-retention-full-type=count", "--repo1-retention-full=1", "--log-level-console=detail", "expire")
		t.Logf("%s", lastLines(out, 6))
	})
	after := d.repoHost.backups(t)
	if len(after) != 1 || after[0].Label != three[2].Label {
		t.Errorf("count retention 1 after %v left %v; want only the second full %s", labels(three), labels(after), three[2].Label)
	}
}

// wrongSecret: the function's s3.conf made from a Secret with the wrong
// secret key; pgBackRest's backup must fail on S3's refusal.
func (d *drill) wrongSecret(t *testing.T) {
	c := compose(t, drillXR(d.s3.Endpoint(), bucket), d.secrets("not-the-"+secretKey, passphrase)...)
	if !strings.Contains(string(c.S3Conf), "repo1-s3-key-secret=not-the-") {
		t.Fatal("the composed s3.conf does not carry the Secret's (wrong) key")
	}
	m := d.site(t, "wrong-key", realdfs.FreePort(t))
	_, repoHost := d.pgBackRestFor(t, m, c)
	out, err := repoHost.run(t, 5*time.Minute, stanza, "--repo=1", "--type=full", "backup")
	if err == nil {
		t.Fatalf("a backup with the wrong secret key succeeded:\n%s", out)
	}
	t.Logf("failed as it should: %v\n%s", err, lastLines(out, 3))
	if !strings.Contains(out, "403") {
		t.Errorf("the failure does not show S3's 403:\n%s", out)
	}
}

// missingRepoPath: a restore from a repository path nothing was backed up
// to (another DittoServer's, composed by the function) fails with
// pgBackRest's message.
func (d *drill) missingRepoPath(t *testing.T) {
	xr := strings.Replace(drillXR(d.s3.Endpoint(), bucket), "name: drill\n", "name: never-backed-up\n", 1)
	c := compose(t, xr, d.secrets(secretKey, passphrase)...)
	if c.Cluster.Spec.Backups.PGBackRest.Global["repo1-path"] == d.c.Cluster.Spec.Backups.PGBackRest.Global["repo1-path"] {
		t.Fatal("two DittoServers got the same repo1-path")
	}
	m := d.site(t, "missing-repo", realdfs.FreePort(t))
	instance, _ := d.pgBackRestFor(t, m, c)
	major := fmt.Sprint(c.Cluster.Spec.PostgresVersion)
	pgdata := filepath.Join(m.PGData, "pg"+major)
	if err := os.Mkdir(pgdata, 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		uid, gid := realdfs.ServiceUser(t)
		realdfs.GiveTo(t, filepath.Dir(m.PGData), uid, gid)
	}
	out, err := instance.run(t, 5*time.Minute, perconaRestoreArgs(nil, pgdata, filepath.Join(m.PGData, "pg"+major+"_wal"))...)
	if err == nil {
		t.Fatalf("a restore from %s succeeded:\n%s", c.Cluster.Spec.Backups.PGBackRest.Global["repo1-path"], out)
	}
	t.Logf("failed as it should: %v\n%s", err, lastLines(out, 8))
	if !strings.Contains(out, "unable to load info file") || !strings.Contains(out, c.Cluster.Spec.Backups.PGBackRest.Global["repo1-path"]) {
		t.Errorf("the failure is not pgBackRest's missing-repository message naming the path:\n%s", out)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// secrets are the Secrets the drill's XR names, in its namespace: the S3
// credentials with secret key s3Secret, the S3 server's private CA, the
// repository passphrase pass.
func (d *drill) secrets(s3Secret, pass string) []string {
	return []string{credentialsSecret(accessKey, s3Secret), caSecret(d.caPEM), passphraseSecret(pass)}
}

// requireComposedCAAndCipher: the composed cluster names the projected CA
// as repo1-storage-ca-file and encrypts the repository with aes-256-cbc;
// what it projects holds the CA and the passphrase as the user's Secrets
// do; the passphrase is nowhere in the cluster's spec.
func (d *drill) requireComposedCAAndCipher(t *testing.T) {
	t.Helper()
	g := d.c.Cluster.Spec.Backups.PGBackRest.Global
	if g["repo1-cipher-type"] != "aes-256-cbc" {
		t.Fatalf("the composed cluster does not encrypt its repository: repo1-cipher-type = %q", g["repo1-cipher-type"])
	}
	ca, ok := strings.CutPrefix(g["repo1-storage-ca-file"], podConfD+"/")
	if !ok || !bytes.Equal(d.c.ConfD[ca], d.caPEM) {
		t.Fatalf("repo1-storage-ca-file = %q is not the projected CA (projected: %v)", g["repo1-storage-ca-file"], sortedNames(d.c.ConfD))
	}
	var cipher string
	for name, data := range d.c.ConfD {
		if strings.Contains(string(data), "repo1-cipher-pass="+passphrase+"\n") {
			cipher = name
		}
	}
	if cipher == "" || !strings.HasSuffix(cipher, ".conf") {
		t.Fatalf("no projected *.conf sets repo1-cipher-pass to the Secret's passphrase (projected: %v)", sortedNames(d.c.ConfD))
	}
	spec, err := json.Marshal(d.c.Cluster)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(spec, []byte(passphrase)) {
		t.Fatal("the passphrase is in the composed PerconaPGCluster")
	}
	t.Logf("composed: repo1-cipher-type = aes-256-cbc, repo1-storage-ca-file = %s, the passphrase in %s", g["repo1-storage-ca-file"], cipher)
}

// wrongPassphrase: the function's configuration made from a passphrase
// Secret holding another passphrase; pgBackRest cannot read the encrypted
// repository, so a restore fails.
func (d *drill) wrongPassphrase(t *testing.T) {
	c := compose(t, drillXR(d.s3.Endpoint(), bucket), d.secrets(secretKey, "not-the-"+passphrase)...)
	m := d.site(t, "wrong-passphrase", realdfs.FreePort(t))
	instance, _ := d.pgBackRestFor(t, m, c)
	major := fmt.Sprint(c.Cluster.Spec.PostgresVersion)
	pgdata := filepath.Join(m.PGData, "pg"+major)
	if err := os.Mkdir(pgdata, 0o700); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		uid, gid := realdfs.ServiceUser(t)
		realdfs.GiveTo(t, filepath.Dir(m.PGData), uid, gid)
	}
	out, err := instance.run(t, 5*time.Minute, perconaRestoreArgs(nil, pgdata, filepath.Join(m.PGData, "pg"+major+"_wal"))...)
	if err == nil {
		t.Fatalf("a restore with the wrong passphrase succeeded:\n%s", out)
	}
	t.Logf("failed as it should: %v\n%s", err, printable(lastLines(out, 4)))
	// Decrypted with the wrong key, backup.info is noise to pgBackRest: it
	// reads as a malformed file (FormatError) or, when the noise runs to
	// the end of the file, fails the cipher's final block (CryptoError
	// "unable to flush"); which one depends on the repository's random
	// salt, so on the run. Either way the file cannot be opened.
	if !strings.Contains(out, "FormatError") && !strings.Contains(out, "CryptoError") || !strings.Contains(out, "backup.info cannot be opened") {
		t.Errorf("the failure is not pgBackRest's unreadable backup.info:\n%s", printable(out))
	}
	if entries, _ := os.ReadDir(pgdata); len(entries) != 0 {
		t.Errorf("the failed restore wrote %d entries into the data directory", len(entries))
	}
}

// withoutCA: the same repository without caSecretRef (pgBackRest then
// verifies the S3 server against the system's trust store, which does not
// hold the drill's private CA): info fails on the certificate. The CA the
// function composes is what made every other step work.
func (d *drill) withoutCA(t *testing.T) {
	xr := strings.Replace(drillXR(d.s3.Endpoint(), bucket), "      caSecretRef:\n        name: drill-s3-ca\n", "", 1)
	c := compose(t, xr, d.secrets(secretKey, passphrase)...)
	if _, ok := c.Cluster.Spec.Backups.PGBackRest.Global["repo1-storage-ca-file"]; ok {
		t.Fatal("an XR without caSecretRef composed repo1-storage-ca-file")
	}
	m := d.site(t, "no-ca", realdfs.FreePort(t))
	_, repoHost := d.pgBackRestFor(t, m, c)
	// info reports a stanza it cannot reach as "status: error" and exits 0.
	out := repoHost.must(t, 5*time.Minute, stanza, "info")
	t.Logf("info without the CA:\n%s", out)
	if !strings.Contains(out, "status: error") || !strings.Contains(out, "unable to verify certificate presented by '"+d.s3.Endpoint()+"'") {
		t.Errorf("info without the S3 CA does not fail on the server's certificate:\n%s", out)
	}
}

// printable replaces what is not printable text (a passphrase-garbled
// file's bytes in pgBackRest's message) with '?'.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || (r >= ' ' && r < 0x7f) {
			return r
		}
		return '?'
	}, s)
}
