package fn

import (
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/structpb"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
)

const perconaPGBouncer = `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"proxy":{"pgBouncer":{"enabled":true}}}}`

// userSecretWithPGBouncer is Percona's user Secret once the proxy is set.
var userSecretWithPGBouncer = map[string]string{
	"host": "files-postgres-primary.storage.svc", "port": "5432", "dbname": "dittofs", "user": "dittofs", "password": "pw",
	"pgbouncer-host": "files-postgres-pgbouncer.storage.svc", "pgbouncer-port": "5432",
}

// withPGBouncerStatus sets the observed cluster's status.pgbouncer.
func withPGBouncerStatus(req *fnv1.RunFunctionRequest, size, ready int) *fnv1.RunFunctionRequest {
	next := proto.Clone(req).(*fnv1.RunFunctionRequest)
	status := next.GetObserved().GetResources()[string(keyPerconaCluster)].GetResource().GetFields()["status"].GetStructValue()
	status.Fields["pgbouncer"] = structpb.NewStructValue(&structpb.Struct{Fields: map[string]*structpb.Value{
		"size": structpb.NewNumberValue(float64(size)), "ready": structpb.NewNumberValue(float64(ready)),
	}})
	return next
}

// databaseKeys are the user Secret keys the dittofs container and the
// wait container take the database host and port from.
func databaseKeys(t *testing.T, rsp *fnv1.RunFunctionResponse) map[string]string {
	t.Helper()
	sts := &appsv1.StatefulSet{}
	desiredInto(t, rsp, keyStatefulSet, sts)
	keys := map[string]string{}
	pick := func(c corev1.Container, names ...string) {
		for _, e := range c.Env {
			for _, n := range names {
				if e.Name == n && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
					keys[c.Name+" "+n] = e.ValueFrom.SecretKeyRef.Key
				}
			}
		}
	}
	for _, c := range sts.Spec.Template.Spec.InitContainers {
		pick(c, "PGHOST", "PGPORT")
	}
	for _, c := range sts.Spec.Template.Spec.Containers {
		pick(c, "DITTOFS_DATABASE_POSTGRES_HOST", "DITTOFS_DATABASE_POSTGRES_PORT")
	}
	return keys
}

var (
	keysDirect = map[string]string{
		"wait-for-database PGHOST": "host", "wait-for-database PGPORT": "port",
		"dittofs DITTOFS_DATABASE_POSTGRES_HOST": "host", "dittofs DITTOFS_DATABASE_POSTGRES_PORT": "port",
	}
	keysViaPGBouncer = map[string]string{
		"wait-for-database PGHOST": "pgbouncer-host", "wait-for-database PGPORT": "pgbouncer-port",
		"dittofs DITTOFS_DATABASE_POSTGRES_HOST": "pgbouncer-host", "dittofs DITTOFS_DATABASE_POSTGRES_PORT": "pgbouncer-port",
	}
)

func desiredProxy(t *testing.T, rsp *fnv1.RunFunctionResponse) *pgv2.PGProxySpec {
	t.Helper()
	pc := &pgv2.PerconaPGCluster{}
	desiredInto(t, rsp, keyPerconaCluster, pc)
	return pc.Spec.Proxy
}

// TestPGBouncerOnALiveServer walks PgBouncer through a live server's life:
// turned on, DittoFS keeps its connection to the primary until the
// operator reports PgBouncer ready and writes its keys; then it rolls onto
// PgBouncer, and stays there while PgBouncer restarts; turned off, it goes
// back to the primary at once.
func TestPGBouncerOnALiveServer(t *testing.T) {
	running, was := liveServer(t, perconaNoBackup, "")
	names := map[string]string{"database": "files-postgres-pguser-dittofs"}

	// 1. Turned on: the cluster gets its PgBouncer, DittoFS stays as it is.
	on := compose(t, later(running, perconaPGBouncer, ""))
	if msg, fatal := fatalResult(on); fatal {
		t.Fatalf("turning PgBouncer on: %s", msg)
	}
	if p := desiredProxy(t, on); p == nil || p.PGBouncer.Config.Global["pool_mode"] != "session" {
		t.Fatalf("the cluster has no PgBouncer in session mode: %+v", p)
	}
	if diff := cmp.Diff(composedObjects(was)[string(keyStatefulSet)], composedObjects(on)[string(keyStatefulSet)], protocmp.Transform()); diff != "" {
		t.Errorf("the StatefulSet changed before PgBouncer is ready: -was, +now:\n%s", diff)
	}
	if !strings.Contains(strings.Join(resultStrings(on), "\n"), "DittoFS connects to the primary until it is") {
		t.Errorf("no result says DittoFS waits for PgBouncer: %v", resultStrings(on))
	}

	// 2. The operator reports PgBouncer ready, but the Secret as last
	// fetched has no pgbouncer-host yet: still the primary.
	applied := observeDesired(later(running, perconaPGBouncer, ""), on)
	markLive(applied)
	ready := withPGBouncerStatus(applied, 1, 1)
	noKeys := withPodSecrets(proto.Clone(ready).(*fnv1.RunFunctionRequest), names, map[string]map[string]string{"database": {"host": "h", "port": "5432", "dbname": "dittofs", "user": "dittofs", "password": "pw"}})
	if diff := cmp.Diff(keysDirect, databaseKeys(t, compose(t, noKeys))); diff != "" {
		t.Errorf("without the pgbouncer keys in the Secret: -want, +got:\n%s", diff)
	}

	// 3. The keys are there: DittoFS and its wait container go through
	// PgBouncer, and the status says so.
	withKeys := withPodSecrets(ready, names, map[string]map[string]string{"database": userSecretWithPGBouncer})
	via := compose(t, withKeys)
	if diff := cmp.Diff(keysViaPGBouncer, databaseKeys(t, via)); diff != "" {
		t.Errorf("PgBouncer ready and its keys there: -want, +got:\n%s", diff)
	}
	if host := desiredStatusHost(t, via); host != "files-postgres-pgbouncer.storage.svc" {
		t.Errorf("status.database.host = %q, want PgBouncer's Service", host)
	}

	// 4. PgBouncer restarts (not ready): DittoFS stays on it, no roll.
	onIt := observeDesired(withKeys, via)
	markLive(onIt)
	restarting := withPGBouncerStatus(onIt, 1, 0)
	if diff := cmp.Diff(keysViaPGBouncer, databaseKeys(t, compose(t, restarting))); diff != "" {
		t.Errorf("PgBouncer restarting under a DittoFS on it: -want, +got:\n%s", diff)
	}

	// 5. Turned off: no proxy, DittoFS back on the primary at once.
	off := compose(t, later(onIt, perconaNoBackup, ""))
	if p := desiredProxy(t, off); p != nil {
		t.Errorf("PgBouncer off, but the cluster still has a proxy: %+v", p)
	}
	if diff := cmp.Diff(keysDirect, databaseKeys(t, off)); diff != "" {
		t.Errorf("PgBouncer off: -want, +got:\n%s", diff)
	}
}

// TestPGBouncerFromTheStart: a new server whose cluster reports PgBouncer
// ready starts on PgBouncer directly (no roll later); the pod waits for the
// Secret's keys like for any Secret it reads.
func TestPGBouncerFromTheStart(t *testing.T) {
	req := withObserved(xrRequest(perconaPGBouncer), "percona-cluster", readyCluster)
	if diff := cmp.Diff(keysDirect, databaseKeys(t, compose(t, req))); diff != "" {
		t.Errorf("a ready cluster without PgBouncer status: -want, +got:\n%s", diff)
	}
	req = withPGBouncerStatus(req, 2, 2)
	if diff := cmp.Diff(keysViaPGBouncer, databaseKeys(t, compose(t, req))); diff != "" {
		t.Errorf("a ready cluster with its PgBouncers ready: -want, +got:\n%s", diff)
	}
}

func desiredStatusHost(t *testing.T, rsp *fnv1.RunFunctionResponse) string {
	t.Helper()
	st := &v1alpha1.DittoServerStatus{}
	b, err := rsp.GetDesired().GetComposite().GetResource().GetFields()["status"].MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, st); err != nil {
		t.Fatal(err)
	}
	if st.Database == nil {
		return ""
	}
	return st.Database.Host
}

// TestProductionShapeOnALiveServer: each production field, changed on a
// live server, is applied, is no guard's business, changes the
// PerconaPGCluster where the operator rolls it (the instances, the
// repository host, Patroni's configuration, the proxy) and nothing else of
// what is composed: the DittoFS pod does not roll for a database change.
func TestProductionShapeOnALiveServer(t *testing.T) {
	const base = `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"replicas":2%s,"backup":{"enabled":true,"credentialsSecretRef":{"name":"backup-s3"},"bucket":"b","endpoint":"s3.example.com"}}}`
	cases := map[string]struct {
		reason string
		fields string
		want   []string // paths of spec that differ
	}{
		"Resources": {
			reason: "Instance resources change only spec.instances: a change must roll the database pods and nothing else.",
			fields: `,"resources":{"requests":{"cpu":"1"}}`,
			want:   []string{"instances"},
		},
		"Affinity": {
			reason: "Affinity is the instance pods' scheduling; it must not touch the backups, the proxy or any other object.",
			fields: `,"affinity":{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":1,"preference":{"matchExpressions":[{"key":"disk","operator":"In","values":["ssd"]}]}}]}}`,
			want:   []string{"instances"},
		},
		"TopologySpreadConstraints": {
			reason: "Spreading instances over zones changes only spec.instances.",
			fields: `,"topologySpreadConstraints":[{"maxSkew":1,"topologyKey":"topology.kubernetes.io/zone","whenUnsatisfiable":"ScheduleAnyway"}]`,
			want:   []string{"instances"},
		},
		"Tolerations": {
			reason: "Tolerations change only spec.instances, not the repo host or PgBouncer pods.",
			fields: `,"tolerations":[{"key":"dedicated","value":"db","effect":"NoSchedule"}]`,
			want:   []string{"instances"},
		},
		"NodeSelector": {
			reason: "A node selector changes only spec.instances.",
			fields: `,"nodeSelector":{"pool":"db"}`,
			want:   []string{"instances"},
		},
		"PriorityClassName": {
			reason: "A priority class changes only spec.instances.",
			fields: `,"priorityClassName":"database"`,
			want:   []string{"instances"},
		},
		"RepoHostResources": {
			reason: "The repo host belongs to the backups: its resources change spec.backups, not the database pods.",
			fields: `,"repoHost":{"resources":{"requests":{"memory":"256Mi"}}}`,
			want:   []string{"backups"},
		},
		"Parameters": {
			reason: "PostgreSQL parameters go through Patroni (the operator's way to apply them), and only there.",
			fields: `,"postgresql":{"parameters":{"work_mem":"16MB","max_connections":200}}`,
			want:   []string{"patroni"},
		},
		"PgBouncer": {
			reason: "Turning PgBouncer on adds spec.proxy only; the cluster's instances and backups stay as they are.",
			fields: `,"proxy":{"pgBouncer":{"enabled":true,"replicas":2}}`,
			want:   []string{"proxy"},
		},
	}
	running, was := liveServer(t, strings.Replace(base, "%s", "", 1), "", awsKeys)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			now := compose(t, later(running, strings.Replace(base, "%s", tc.fields, 1), ""))
			if msg, fatal := fatalResult(now); fatal {
				t.Fatalf("%s\nRunFunction(): refused: %s", tc.reason, msg)
			}
			wasObjs, nowObjs := composedObjects(was), composedObjects(now)
			wasCluster, nowCluster := wasObjs[string(keyPerconaCluster)], nowObjs[string(keyPerconaCluster)]
			delete(wasObjs, string(keyPerconaCluster))
			delete(nowObjs, string(keyPerconaCluster))
			if diff := cmp.Diff(wasObjs, nowObjs, protocmp.Transform()); diff != "" {
				t.Errorf("%s\nRunFunction(): objects other than the cluster changed: -was, +now:\n%s", tc.reason, diff)
			}
			var changed []string
			wasSpec, nowSpec := wasCluster.GetFields()["spec"].GetStructValue().GetFields(), nowCluster.GetFields()["spec"].GetStructValue().GetFields()
			for _, k := range sortedUnion(wasSpec, nowSpec) {
				if !proto.Equal(wasSpec[k], nowSpec[k]) {
					changed = append(changed, k)
				}
			}
			if diff := cmp.Diff(tc.want, changed); diff != "" {
				t.Errorf("%s\nRunFunction(): cluster spec fields changed: -want, +got:\n%s", tc.reason, diff)
			}
			if !proto.Equal(wasCluster.GetFields()["metadata"], nowCluster.GetFields()["metadata"]) {
				t.Errorf("%s\nRunFunction(): the cluster's metadata changed", tc.reason)
			}
		})
	}
}

func sortedUnion(a, b map[string]*structpb.Value) []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]*structpb.Value{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// TestRefusedParameterOnALiveServer: a refused parameter written on a live
// server is an InvalidSpec Fatal naming the field: nothing is applied.
func TestRefusedParameterOnALiveServer(t *testing.T) {
	running, _ := liveServer(t, perconaNoBackup, "")
	rsp := compose(t, later(running, `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"postgresql":{"parameters":{"archive_mode":"off","wal_level":"minimal","work_mem":"4MB"}}}}`, ""))
	msg, fatal := fatalResult(rsp)
	if !fatal {
		t.Fatal("a refused parameter on a live server was not a Fatal")
	}
	for _, want := range []string{"spec.percona.postgresql.parameters.archive_mode", "spec.percona.postgresql.parameters.wal_level"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the Fatal does not name %s: %s", want, msg)
		}
	}
	if strings.Contains(msg, "work_mem") {
		t.Errorf("the Fatal names an allowed parameter: %s", msg)
	}
	if len(rsp.GetDesired().GetResources()) != 0 {
		t.Errorf("a Fatal must apply nothing, desired: %v", desiredKeys(rsp))
	}
}

// TestParameterValuesOfTheWrongType: a value YAML reads as a boolean or a
// decimal is named with its parameter and how to write it, every one at
// once, not as a type error of the whole map.
func TestParameterValuesOfTheWrongType(t *testing.T) {
	rsp := compose(t, xrRequest(`{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true,"postgresql":{"parameters":{"work_mem":"4MB","max_connections":200,"hot_standby_feedback":true,"random_page_cost":1.1}}}}`))
	want := []string{`SEVERITY_FATAL: invalid DittoServer "files": ` +
		`spec.percona.postgresql.parameters.hot_standby_feedback: must be an integer or a string, not true: quote it ("true"); ` +
		`spec.percona.postgresql.parameters.random_page_cost: must be an integer or a string, not 1.1: quote it ("1.1")`}
	if diff := cmp.Diff(want, resultStrings(rsp)); diff != "" {
		t.Errorf("results: -want, +got:\n%s", diff)
	}
}
