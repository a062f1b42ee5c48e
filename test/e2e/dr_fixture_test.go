package e2e_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// drFixturePath is the restore drill's fixture (test/dr): a cluster's
// pgBackRest spec and the <c>-pgbackrest-config ConfigMap the real operator
// wrote for it.
const drFixturePath = "test/dr/testdata/percona-pgbackrest-config.yaml"

// drFixture captures what the real Percona operator writes into
// <c>-pgbackrest-config for a PostgreSQL 15 cluster (the drill's
// PostgreSQL) that the function composed, and compares it with the drill's
// committed fixture, so the drill's pgBackRest options are the live
// operator's. E2E_UPDATE_DR_FIXTURE=1 rewrites the fixture instead. The
// instance StatefulSet's random suffix in the repo host's pg1-host is
// written as <sfx>, the XR UID's part of the repo path as <uid>.
func (e *env) drFixture(t *testing.T) {
	defer e.sub(t)()
	e.applyXR("drill", `  storage: {metadataSize: 1Gi}
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
`)
	cluster := e.mustExist(pgAPI, "PerconaPGCluster", ns, "drill-postgres", 60*time.Second)
	// The operator writes the ConfigMap at once and the repo host's [db]
	// section (the instance's host and paths) once the instance
	// StatefulSet exists: wait for the whole of it.
	var cm *unstructured.Unstructured
	e.eventually("drill-postgres-pgbackrest-config names the instance in the repo host's [db]", 60*time.Second, func() error {
		var err error
		if cm, err = e.admin.get(e.ctx, "v1", "ConfigMap", ns, "drill-postgres-pgbackrest-config"); err != nil {
			return err
		}
		for _, k := range []string{"pgbackrest_instance.conf", "pgbackrest_repo.conf"} {
			if !strings.Contains(str(cm, "data", k), "pg1-path") {
				return fmt.Errorf("%s has no pg1-path yet", k)
			}
		}
		return nil
	})
	got, err := drFixtureDoc(cluster, cm)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.root, drFixturePath)
	if os.Getenv("E2E_UPDATE_DR_FIXTURE") == "1" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", drFixturePath)
	} else {
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(want, got) {
			t.Errorf("the live operator's pgBackRest configuration differs from %s (E2E_UPDATE_DR_FIXTURE=1 rewrites it); live:\n%s", drFixturePath, got)
		}
	}

	// Leave the namespace as the next steps expect it.
	if err := e.admin.delete(e.ctx, xrAPI, "DittoServer", ns, "drill"); err != nil {
		t.Fatal(err)
	}
	e.eventually("PerconaPGCluster drill-postgres deleted", 120*time.Second, func() error {
		_, err := e.admin.get(e.ctx, pgAPI, "PerconaPGCluster", ns, "drill-postgres")
		if err == nil {
			return fmt.Errorf("still there")
		}
		return ignoreNotFound(err)
	})
}

var instanceSuffix = regexp.MustCompile(`-instance1-[a-z0-9]{4}-0\.`)

// repoPathUID is the XR UID's part of a new cluster's repo path
// (/pgbackrest/<ns>/<name>-<8 hex>/repo1), different on every run: written
// as <uid>.
var repoPathUID = regexp.MustCompile(`(/pgbackrest/[^/\s]+/[^/\s]+)-[0-9a-f]{8}/`)

// drFixtureDoc is the fixture file for cluster and the ConfigMap the
// operator made for it.
func drFixtureDoc(cluster, cm *unstructured.Unstructured) ([]byte, error) {
	pgbackrest, _, _ := unstructured.NestedMap(cluster.Object, "spec", "backups", "pgbackrest")
	version, _, _ := unstructured.NestedInt64(cluster.Object, "spec", "postgresVersion")
	spec := map[string]any{}
	for _, k := range []string{"global", "configuration", "repos"} {
		if v, ok := pgbackrest[k]; ok {
			spec[k] = v
		}
	}
	if repos, ok := spec["repos"].([]any); ok {
		for _, r := range repos {
			if m, ok := r.(map[string]any); ok {
				delete(m, "schedules") // Percona runs schedules itself; not pgBackRest options
			}
		}
	}
	data := map[string]string{}
	for _, k := range []string{"pgbackrest_instance.conf", "pgbackrest_repo.conf"} {
		data[k] = repoPathUID.ReplaceAllString(instanceSuffix.ReplaceAllString(str(cm, "data", k), "-instance1-<sfx>-0."), "$1-<uid>/")
	}
	if global, ok := spec["global"].(map[string]any); ok {
		if p, ok := global["repo1-path"].(string); ok {
			global["repo1-path"] = repoPathUID.ReplaceAllString(p, "$1-<uid>/")
		}
	}
	body, err := yaml.Marshal(map[string]any{
		"cluster": map[string]any{
			"name": cluster.GetName(), "namespace": cluster.GetNamespace(), "postgresVersion": version,
			"backups": map[string]any{"pgbackrest": spec},
		},
		"configMap": data,
	})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(strings.TrimLeft(`
# What the real Percona operator v2.9.0 wrote into <cluster>-pgbackrest-config
# for a PerconaPGCluster the function composed (PostgreSQL 15, the drill's
# PostgreSQL), and the part of that cluster's spec it wrote it from.
# Captured by test/e2e (dr_fixture_test.go; E2E_UPDATE_DR_FIXTURE=1
# rewrites it), which fails when the live operator writes something else.
# The drill (test/dr) takes every option that is not repo1-* from here,
# remapped to the machine as docs/dr.md lists, and checks that the
# operator's rule (repo1-* = backups.pgbackrest.global, plus the repo's s3
# bucket, endpoint and region, plus repo1-type=s3) reproduces the repo1-*
# lines below from the spec below; the drill's own repo1-* lines come from
# the same rule applied to the function's rendered PerconaPGCluster.
`, "\n"))
	b.Write(body)
	return b.Bytes(), nil
}
