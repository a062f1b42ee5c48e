package dr

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/dittofs/function-dittofs/internal/declared"
	"github.com/dittofs/function-dittofs/internal/reconciler"
	"github.com/dittofs/function-dittofs/internal/testing/realdfs"
)

// prestart runs the reconciler's pre-start step of the restored server c,
// as its fileservice-prestart init container does before DittoFS starts:
// on the declaration the function rendered for it (its ConfigMap), with
// the store's Secret mounted as the kubelet mounts it, holding the
// restored cluster's user Secret (the cluster's user connection; dbname
// the control plane's). The restored control-plane database records the
// postgres store at the source's server; the step must point it at the
// restored one, and say so.
func (d *drill) prestart(pg *realdfs.PGServer, db realdfs.PGDatabase, c composed) {
	t := d.t
	t.Helper()
	if names := initContainers(c); !slices.Equal(names, []string{"wait-for-database", "fileservice-prestart"}) {
		t.Fatalf("the restored pod's init containers are %v, want the wait for the database and the pre-start step", names)
	}
	var rendered string
	for name, data := range c.Pod.ConfigMaps {
		if strings.HasSuffix(name, "-fileservice") {
			rendered = data["config.yaml"]
		}
	}
	cfg, err := declared.Parse([]byte(rendered))
	if err != nil {
		t.Fatalf("the restored server's declaration: %v\n%s", err, rendered)
	}
	secretDir := t.TempDir()
	realdfs.WriteVolume(t, secretDir, pg.PerconaUserSecret(db))
	stores := 0
	for i, m := range cfg.MetadataStores {
		if m.Postgres != nil && m.Postgres.OnCluster {
			cfg.MetadataStores[i].Postgres.SecretDir = secretDir
			stores++
		}
	}
	if stores != 1 {
		t.Fatalf("the restored declaration has %d postgres stores on its cluster, want the one drillXR declares:\n%s", stores, rendered)
	}
	// The step as composed verifies the cluster's CA; here, the restored
	// server's.
	prestart := c.Pod.StatefulSet.Spec.Template.Spec.InitContainers[1]
	if !slices.ContainsFunc(prestart.Args, func(a string) bool { return strings.HasPrefix(a, "--database-ca-file=") }) {
		t.Errorf("the pre-start step does not verify the cluster's CA: args %v", prestart.Args)
	}
	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := reconciler.Prestart(ctx, cfg, pg.CAFile, slog.New(slog.NewTextHandler(&log, nil))); err != nil {
		t.Fatalf("the pre-start step: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "now names its database's connection") {
		t.Errorf("the pre-start step did not point the restored record at the restored server:\n%s", log.String())
	}
	if strings.Contains(log.String(), db.Password) {
		t.Error("the pre-start step logged the password")
	}
	t.Logf("pre-start: %s", strings.TrimSpace(log.String()))
}

// fileMetadataRestored: the file metadata on the cluster came back with
// it. The restored DittoFS opened its postgres store on the restored
// server (its record names that server's port, and the source's server
// has no connection to dittofs_meta while it runs), and the store's own
// database holds exactly the shares on it that want names: both after the
// latest restore, the one from before the point in time after the
// point-in-time restore.
func (d *drill) fileMetadataRestored(pg *realdfs.PGServer, admin *dfsAPI, want []string) {
	t := d.t
	t.Helper()
	cfg, err := admin.metadataStoreConfig(fileStore)
	if err != nil {
		t.Fatalf("GET the metadata store %s: %v", fileStore, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if cfg["port"] != float64(pg.Port) || cfg["database"] != d.meta.Name {
		t.Errorf("the restored server's record of %s: %v, want port %d (the restored server) and database %s", fileStore, cfg, pg.Port, d.meta.Name)
	}
	if n, err := d.source.PsqlSuper(ctx, "postgres", fmt.Sprintf("select count(*) from pg_stat_activity where datname = '%s'", d.meta.Name)); err != nil || n != "0" {
		t.Errorf("connections to the source's %s while the restored DittoFS runs: %q, %v; want none", d.meta.Name, n, err)
	}
	var wantOnStore []string
	for _, s := range want {
		if strings.HasPrefix(s, fileShareBefore) {
			wantOnStore = append(wantOnStore, s)
		}
	}
	got, err := pg.PsqlSuper(ctx, d.meta.Name, fmt.Sprintf("set search_path = %q; select string_agg(share_name, ',' order by share_name) from shares", d.meta.User))
	if err != nil {
		t.Fatal(err)
	}
	if got != strings.Join(wantOnStore, ",") {
		t.Errorf("shares in the restored %s: %q, want %q", d.meta.Name, got, strings.Join(wantOnStore, ","))
	} else {
		t.Logf("shares in the restored %s: %s", d.meta.Name, got)
	}
}

// initContainers names the restored pod's init containers, in order.
func initContainers(c composed) []string {
	var names []string
	for _, ic := range c.Pod.StatefulSet.Spec.Template.Spec.InitContainers {
		names = append(names, ic.Name)
	}
	return names
}
