package reconciler

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
	"github.com/dittofs/function-dittofs/internal/testing/testpki"
)

// TestPrestart runs the pre-start step against a real PostgreSQL, TLS-only
// as Percona's, holding DittoFS's metadata_stores table as v0.29.0 makes it
// (the restore drill proves it on the table real DittoFS made and restored).
// The record of a store on the server's own cluster that names the
// source's cluster after a restore is pointed at the cluster the Secret
// names; its other keys stay; a second run changes nothing; a record of
// another database, a store not on the cluster and a database DittoFS
// never ran on are left alone. With the cluster's CA it connects
// verify-full, and a server another CA signed is refused.
func TestPrestart(t *testing.T) {
	realdfs.SkipShort(t)
	pg := realdfs.StartPostgres(t)
	db := pg.CreateDatabase(t, "dittofs", "dittofs")
	secretDir := t.TempDir()
	realdfs.WriteVolume(t, secretDir, pg.PerconaUserSecret(db))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	psql := func(sql string) string {
		t.Helper()
		out, err := pg.PsqlTCP(ctx, db, "require", sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return out
	}
	store := func(name, database string, onCluster bool) declared.MetadataStore {
		return declared.MetadataStore{Name: name, Type: declared.MetadataPostgres, Postgres: &declared.PostgresStore{Database: database, SecretDir: secretDir, OnCluster: onCluster}}
	}
	c := &declared.Config{MetadataStores: []declared.MetadataStore{
		store("main", "dittofs_meta", true),
		store("moved", "dittofs_meta", true),
		store("elsewhere", "dittofs_meta", false),
	}}
	log := slog.New(slog.DiscardHandler)

	if err := Prestart(ctx, c, pg.CAFile, log); err != nil {
		t.Fatalf("on a database DittoFS never ran on: %v", err)
	}

	// The table as DittoFS v0.29.0's models.MetadataStoreConfig makes it,
	// with the records a restore brings back from the source.
	psql(`CREATE TABLE metadata_stores (id varchar(36) PRIMARY KEY, name varchar(255) NOT NULL UNIQUE, type varchar(50) NOT NULL, config text, created_at timestamptz)`)
	source := `{"database":"%s","host":"source-postgres-primary.storage.svc","port":5432,"user":"dittofs","password":"the-source-password","sslmode":"require","max_conns":8}`
	for id, r := range map[string][2]string{"m-1": {"main", "dittofs_meta"}, "m-2": {"moved", "other_meta"}, "m-3": {"elsewhere", "dittofs_meta"}} {
		psql(fmt.Sprintf(`INSERT INTO metadata_stores VALUES ('%s', '%s', 'postgres', '%s', now())`, id, r[0], fmt.Sprintf(source, r[1])))
	}
	record := func(name string) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(psql(fmt.Sprintf(`SELECT config FROM metadata_stores WHERE name = '%s'`, name))), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := map[string]map[string]any{"moved": record("moved"), "elsewhere": record("elsewhere")}

	// Verified against another CA, the server is refused before the
	// password is sent, and nothing is written.
	otherCA, err := testpki.NewCA("another cluster")
	if err != nil {
		t.Fatal(err)
	}
	otherCAFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(otherCAFile, otherCA.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Prestart(ctx, c, otherCAFile, log); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("verified against another CA: want a certificate error, got %v", err)
	}
	if got := record("main")["port"]; got != float64(5432) {
		t.Errorf("verified against another CA, the record was rewritten (port %v)", got)
	}

	// The first run verifies the cluster's CA (as the init container does),
	// the second (as a step without the CA would) uses the store's sslmode.
	for run, caFile := range []string{pg.CAFile, ""} {
		if err := Prestart(ctx, c, caFile, log); err != nil {
			t.Fatalf("run %d (CA %q): %v", run+1, caFile, err)
		}
		want := map[string]any{
			"database": "dittofs_meta", "host": "127.0.0.1", "port": float64(pg.Port), "user": "dittofs", "password": db.Password,
			"sslmode": "require", "max_conns": float64(8),
		}
		if diff := cmp.Diff(want, record("main")); diff != "" {
			t.Errorf("run %d: the record of the store on the cluster (-want +got):\n%s", run+1, diff)
		}
		for name, was := range before {
			if diff := cmp.Diff(was, record(name)); diff != "" {
				t.Errorf("run %d: the record of %s changed (-was +now):\n%s", run+1, name, diff)
			}
		}
	}
}
