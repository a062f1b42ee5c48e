package fn

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// TestOrdering: with Percona, DittoFS is composed only once its database is
// ready, and never dropped again once any of it exists.
func TestOrdering(t *testing.T) {
	const spec = `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`
	initializing := func(t *testing.T) string {
		t.Helper()
		pc := build.PerconaCluster(fixture.DittoServer(fixture.PerconaSpec(nil)), fixture.Input(), "", "")
		pc.Generation, pc.Status.ObservedGeneration, pc.Status.State = 2, 2, pgv2.AppStateInit
		return objectJSON(t, pc)
	}
	waiting := "SEVERITY_NORMAL: waiting for PerconaPGCluster files-postgres to report ready before starting DittoFS"
	everything := []string{
		"admin-secret", "config", "connection-secret", "jwt-secret", "networkpolicy", "percona-cluster",
		"service-api", "service-headless", "service-nfs", "service-smb", "statefulset", "usage-statefulset-database",
	}
	// ready is what the function composes once the cluster is ready: what
	// later calls observe.
	ready := compose(t, withObserved(xrRequest(spec), "percona-cluster", readyCluster))

	type outcome struct {
		Desired  []string
		Results  []string
		Workload string
	}
	cases := map[string]struct {
		reason string
		req    func(t *testing.T) *fnv1.RunFunctionRequest
		want   outcome
	}{
		"NoClusterYetOnlyTheDatabase": {
			reason: "With Percona the first call composes only the cluster, since DittoFS exits at once, without retry, on a database it cannot use; a Normal result says what it waits for.",
			req:    func(*testing.T) *fnv1.RunFunctionRequest { return xrRequest(spec) },
			want:   outcome{Desired: []string{"percona-cluster"}, Results: []string{waiting}, Workload: "FALSE/WaitingForDatabase"},
		},
		"ClusterInitializingOnlyTheDatabase": {
			reason: "A cluster that exists but still initializes is not ready either, so DittoFS still waits.",
			req: func(t *testing.T) *fnv1.RunFunctionRequest {
				t.Helper()
				return withObserved(xrRequest(spec), "percona-cluster", initializing(t))
			},
			want: outcome{Desired: []string{"percona-cluster"}, Results: []string{waiting}, Workload: "FALSE/WaitingForDatabase"},
		},
		"ClusterReadyEverything": {
			reason: "Once the cluster is ready every workload object is composed in the same call, with a Normal result saying DittoFS starts.",
			req: func(*testing.T) *fnv1.RunFunctionRequest {
				return withObserved(xrRequest(spec), "percona-cluster", readyCluster)
			},
			want: outcome{
				Desired:  everything,
				Results:  []string{"SEVERITY_NORMAL: PerconaPGCluster files-postgres is ready: starting DittoFS"},
				Workload: "FALSE/Creating",
			},
		},
		"StatefulSetObservedStaysWhenClusterInitializes": {
			reason: "The database going back to initializing (a restart, an upgrade) does not delete a running DittoFS: once it exists it stays desired.",
			req: func(t *testing.T) *fnv1.RunFunctionRequest {
				t.Helper()
				req := withObserved(xrRequest(spec), "percona-cluster", initializing(t))
				return observeDesired(req, ready, keyStatefulSet)
			},
			want: outcome{Desired: everything, Results: []string{}, Workload: "FALSE/RollingOut"},
		},
		"AnyWorkloadObjectKeepsEverything": {
			reason: "Any one workload object observed (here only the ConfigMap) keeps them all desired: a half-applied first compose is finished, not torn down.",
			req: func(t *testing.T) *fnv1.RunFunctionRequest {
				t.Helper()
				req := withObserved(xrRequest(spec), "percona-cluster", initializing(t))
				return observeDesired(req, ready, keyConfig)
			},
			want: outcome{Desired: everything, Results: []string{}, Workload: "FALSE/Creating"},
		},
		"ClusterGoneFromObservedKeepsWorkloads": {
			reason: "A cluster missing from observed state (deleted by hand, or not observed this call) does not drop the DittoFS that runs.",
			req: func(*testing.T) *fnv1.RunFunctionRequest {
				return observeDesired(xrRequest(spec), ready, keyStatefulSet, keyServiceAPI)
			},
			want: outcome{Desired: everything, Results: []string{}, Workload: "FALSE/RollingOut"},
		},
		"SQLiteStraightAway": {
			reason: "Without Percona there is nothing to wait for: everything is composed on the first call, and no Usage.",
			req:    func(*testing.T) *fnv1.RunFunctionRequest { return xrRequest(`{"storage":{"metadataSize":"10Gi"}}`) },
			want: outcome{
				Desired: []string{
					"admin-secret", "config", "connection-secret", "jwt-secret", "networkpolicy",
					"service-api", "service-headless", "service-nfs", "service-smb", "statefulset",
				},
				Results:  []string{},
				Workload: "FALSE/Creating",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rsp := compose(t, tc.req(t))
			got := outcome{Desired: desiredKeys(rsp), Results: resultStrings(rsp)}
			for _, c := range rsp.GetConditions() {
				if c.GetType() == "WorkloadReady" {
					got.Workload = strings.TrimPrefix(c.GetStatus().String(), "STATUS_CONDITION_") + "/" + c.GetReason()
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nRunFunction(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestOrderingKeepsGeneratedValues: workloads kept while the database
// initializes carry the same Secrets and config hash as when they were
// created.
func TestOrderingKeepsGeneratedValues(t *testing.T) {
	const spec = `{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`
	ready := compose(t, withObserved(xrRequest(spec), "percona-cluster", readyCluster))
	pc := build.PerconaCluster(fixture.DittoServer(fixture.PerconaSpec(nil)), fixture.Input(), "", "")
	pc.Status.State = pgv2.AppStateInit
	req := observeDesired(withObserved(xrRequest(spec), "percona-cluster", objectJSON(t, pc)), ready, keyStatefulSet, keyJWTSecret, keyAdminSecret)
	// Another random source: values must come from observed state.
	later := compose(t, req, WithRandom(onesReader()))
	for _, k := range []string{"jwt-secret", "admin-secret", "statefulset", "config"} {
		want := desiredMap(t, ready, resource.Name(k))
		got := desiredMap(t, later, resource.Name(k))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("RunFunction(): %s changed while the database initialized: -before, +after:\n%s", k, diff)
		}
	}
}
