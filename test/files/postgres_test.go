package files

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
)

// TestPostgresMetadataStore: a declared postgres metadata store on a
// TLS-only PostgreSQL shaped like Percona's (its own database, owned by
// postgres, the user's schema made for it), under a DittoFS whose control
// plane is on the same server in another database. A file written over NFS
// has its entry in the metadata store's tables, seen with psql, and none in
// the control plane's database.
func TestPostgresMetadataStore(t *testing.T) {
	realdfs.SkipShort(t)
	pg := realdfs.StartPostgres(t)
	p := startPodOn(t, pg)
	meta := pg.CreateDatabase(t, "dittofs_meta", "dittofs")
	pguser := filepath.Join(p.root, "pguser")
	projectVolume(t, pguser, pg.PerconaUserSecret(meta))

	p.declare(p.declaration(func(c *declared.Config) {
		c.MetadataStores = []declared.MetadataStore{{Name: "pg", Type: declared.MetadataPostgres, Postgres: &declared.PostgresStore{
			Database: meta.Name, SecretDir: pguser, SSLMode: "require",
		}}}
		c.Shares = c.Shares[:1]
		c.Shares[0].MetadataStore = "pg"
	}))
	p.newReconciler()
	p.pass()
	if res := p.pass(); res.Writes != 0 {
		t.Errorf("second pass on the postgres store made %d writes: %v", res.Writes, res.Actions)
	}
	for _, secret := range []string{meta.Password, adminPassword} {
		if strings.Contains(p.log.String(), secret) {
			t.Error("the reconciler logged a secret")
		}
	}

	content := "metadata in PostgreSQL\n"
	nfsWrite(t, p, "/data", "pg-hello.txt", content, aliceUID)
	if got := nfsRead(t, p, "/data", "pg-hello.txt", aliceUID); got != content {
		t.Errorf("nfs-cat: %q, want %q", got, content)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	q := "select f.share_name || ' ' || m.child_name || ' ' || f.size from parent_child_map m join inodes f on f.id = m.child_id where m.child_name = 'pg-hello.txt'"
	out, err := pg.PsqlSuper(ctx, meta.Name, fmt.Sprintf("set search_path = %q; %s", meta.User, q))
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("/data pg-hello.txt %d", len(content)); out != want {
		t.Errorf("the file's entry in %s: %q, want %q", meta.Name, out, want)
	}
	cp, err := pg.Tables(ctx, "dittofs", "dittofs")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(cp, "users") {
		t.Fatalf("the control plane is not in the database dittofs: tables %v", cp)
	}
	for _, table := range cp {
		if table == "parent_child_map" {
			t.Errorf("the control plane's database holds the metadata store's tables: %v", cp)
		}
	}
	t.Logf("metadata tables in %s: %v", meta.Name, mustTables(t, pg, meta))

	// The Percona user's password rotates: the role's password changes and
	// the kubelet updates the pguser Secret volume. The reconciler rewrites
	// the store's credentials (its fingerprint differs); DittoFS v0.29.0
	// opens a store with its new config when it starts, so when dfs
	// restarts (the pod's env changed too) the files are still there.
	rotated := "r0tated(" + meta.Password
	if _, err := pg.PsqlSuper(ctx, "postgres", fmt.Sprintf(`ALTER ROLE "%s" PASSWORD '%s'`, meta.User, rotated)); err != nil {
		t.Fatal(err)
	}
	secret := pg.PerconaUserSecret(meta)
	secret["password"] = rotated
	projectVolume(t, pguser, secret)
	res := p.pass()
	if len(res.Actions) != 1 || res.Actions[0].Kind != "metadata store" || !slices.Equal(res.Actions[0].Changes, []string{"credentials"}) {
		t.Errorf("after the rotation: %v, want one update of the metadata store's credentials", res.Actions)
	}
	if strings.Contains(p.log.String(), rotated) {
		t.Error("the reconciler logged the rotated password")
	}
	if err := p.dfs.Stop(); err != nil {
		t.Fatal(err)
	}
	p.in.Env["DITTOFS_DATABASE_POSTGRES_PASSWORD"] = rotated
	p.startDfs()
	p.waitAdapters()
	if got := nfsRead(t, p, "/data", "pg-hello.txt", aliceUID); got != content {
		t.Errorf("after the rotation and a restart, nfs-cat: %q, want %q", got, content)
	}
	p.newReconciler()
	if res := p.pass(); res.Writes != 0 {
		t.Errorf("after the rotation and restarts, a pass made %d writes: %v", res.Writes, res.Actions)
	}
}

func mustTables(t *testing.T, pg *realdfs.PGServer, db realdfs.PGDatabase) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tables, err := pg.Tables(ctx, db.Name, db.User)
	if err != nil {
		t.Fatal(err)
	}
	return tables
}
