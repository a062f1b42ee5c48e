package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// TestStatefulSetReadiness: ready once the controller saw the current spec
// and every replica runs it and is ready.
func TestStatefulSetReadiness(t *testing.T) {
	observed := func(replicas int32, generation int64, st appsv1.StatefulSetStatus) string {
		sts := build.StatefulSet(fixture.DittoServer(fixture.MinimalSpec()), fixture.Input(), "h")
		sts.Spec.Replicas = ptr.To(replicas)
		sts.Generation = generation
		sts.Status = st
		return objectJSON(t, sts)
	}
	rolledOut := appsv1.StatefulSetStatus{
		ObservedGeneration: 2, Replicas: 1, ReadyReplicas: 1, UpdatedReplicas: 1, CurrentReplicas: 1,
		CurrentRevision: "files-abc", UpdateRevision: "files-abc",
	}
	with := func(mutate func(*appsv1.StatefulSetStatus)) appsv1.StatefulSetStatus {
		st := rolledOut
		mutate(&st)
		return st
	}
	cases := map[string]struct {
		reason   string
		spec     string
		observed string
		want     summary
	}{
		"NotObservedYet": {
			reason: "A StatefulSet Crossplane has not created yet is not ready, and WorkloadReady says it is being created.",
			spec:   `{"storage":{"metadataSize":"10Gi"}}`,
			want:   summary{Desired: map[string]string{"statefulset": "READY_FALSE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_FALSE/Creating"}},
		},
		"RolledOut": {
			reason:   "The controller saw the current spec and every replica is ready and updated on one revision: ready, and Available.",
			spec:     `{"storage":{"metadataSize":"10Gi"}}`,
			observed: observed(1, 2, rolledOut),
			want:     summary{Desired: map[string]string{"statefulset": "READY_TRUE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_TRUE/Available"}},
		},
		"ObservedGenerationBehind": {
			reason:   "A controller that has not seen the latest spec reports the old rollout; trusting it would call pods of the old spec ready.",
			spec:     `{"storage":{"metadataSize":"10Gi"}}`,
			observed: observed(1, 3, rolledOut),
			want:     summary{Desired: map[string]string{"statefulset": "READY_FALSE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_FALSE/RollingOut"}},
		},
		"ReadyReplicasShort": {
			reason:   "A replica that is not ready does not serve, so the rollout is not done.",
			spec:     `{"storage":{"metadataSize":"10Gi"}}`,
			observed: observed(1, 2, with(func(s *appsv1.StatefulSetStatus) { s.ReadyReplicas = 0 })),
			want:     summary{Desired: map[string]string{"statefulset": "READY_FALSE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_FALSE/RollingOut"}},
		},
		"UpdatedReplicasShort": {
			reason:   "A replica still on the old template runs the old config, so the rollout is not done.",
			spec:     `{"storage":{"metadataSize":"10Gi"}}`,
			observed: observed(1, 2, with(func(s *appsv1.StatefulSetStatus) { s.UpdatedReplicas = 0 })),
			want:     summary{Desired: map[string]string{"statefulset": "READY_FALSE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_FALSE/RollingOut"}},
		},
		"UpdateRevisionDiffers": {
			reason:   "While the current and update revisions differ the rollout is not finished, even with every count right.",
			spec:     `{"storage":{"metadataSize":"10Gi"}}`,
			observed: observed(1, 2, with(func(s *appsv1.StatefulSetStatus) { s.UpdateRevision = "files-def" })),
			want:     summary{Desired: map[string]string{"statefulset": "READY_FALSE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_FALSE/RollingOut"}},
		},
		"ScaledToZero": {
			reason:   "replicas 0 with the controller caught up is the user's stop, done: ready and Stopped, not waiting forever for pods.",
			spec:     `{"storage":{"metadataSize":"10Gi"},"replicas":0}`,
			observed: observed(0, 2, appsv1.StatefulSetStatus{ObservedGeneration: 2, CurrentRevision: "files-abc", UpdateRevision: "files-abc"}),
			want:     summary{Desired: map[string]string{"statefulset": "READY_TRUE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_TRUE/Stopped"}},
		},
		"ScalingDownToZeroNotDoneYet": {
			reason:   "Asked to stop while the controller has not caught up and a pod still runs, DittoFS is not Stopped yet.",
			spec:     `{"storage":{"metadataSize":"10Gi"},"replicas":0}`,
			observed: observed(0, 3, rolledOut),
			want:     summary{Desired: map[string]string{"statefulset": "READY_FALSE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_FALSE/RollingOut"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := xrRequest(tc.spec)
			if tc.observed != "" {
				req = withObserved(req, "statefulset", tc.observed)
			}
			got := summarize(compose(t, req), "statefulset", "WorkloadReady")
			got.Results = nil
			if diff := cmp.Diff(tc.want, got, cmpSummary()); diff != "" {
				t.Errorf("%s\nRunFunction(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestPerconaReadiness: ready when the Percona operator says ready for the
// generation we asked for.
func TestPerconaReadiness(t *testing.T) {
	cluster := func(generation, observedGeneration int64, state pgv2.AppState) string {
		pc := build.PerconaCluster(fixture.DittoServer(fixture.PerconaSpec(nil)), fixture.Input(), "", "")
		pc.Generation = generation
		pc.Status.State = state
		pc.Status.ObservedGeneration = observedGeneration
		return objectJSON(t, pc)
	}
	cases := map[string]struct {
		reason   string
		observed string
		want     summary
	}{
		"NotObservedYet": {
			reason: "A cluster Crossplane has not created yet is not ready: DatabaseReady says Creating.",
			want:   summary{Desired: map[string]string{"percona-cluster": "READY_FALSE"}, Conditions: []string{"DatabaseReady=STATUS_CONDITION_FALSE/Creating"}},
		},
		"ReadyAtGeneration": {
			reason:   "The operator reports ready for the generation we asked for: ready, and DittoFS may start.",
			observed: cluster(4, 4, pgv2.AppStateReady),
			want:     summary{Desired: map[string]string{"percona-cluster": "READY_TRUE"}, Conditions: []string{"DatabaseReady=STATUS_CONDITION_TRUE/Available"}},
		},
		"ReadyWithoutObservedGeneration": {
			reason:   "An operator that does not report observedGeneration is trusted on its state alone, or its cluster would never be ready.",
			observed: cluster(4, 0, pgv2.AppStateReady),
			want:     summary{Desired: map[string]string{"percona-cluster": "READY_TRUE"}, Conditions: []string{"DatabaseReady=STATUS_CONDITION_TRUE/Available"}},
		},
		"Initializing": {
			reason:   "State initializing is not ready, even at the current generation.",
			observed: cluster(4, 4, pgv2.AppStateInit),
			want:     summary{Desired: map[string]string{"percona-cluster": "READY_FALSE"}, Conditions: []string{"DatabaseReady=STATUS_CONDITION_FALSE/Initializing"}},
		},
		"StaleGeneration": {
			reason:   "Ready for an older generation means our latest spec is not applied yet, so not ready.",
			observed: cluster(5, 4, pgv2.AppStateReady),
			want:     summary{Desired: map[string]string{"percona-cluster": "READY_FALSE"}, Conditions: []string{"DatabaseReady=STATUS_CONDITION_FALSE/Initializing"}},
		},
		"NoStatusYet": {
			reason:   "A cluster the operator has not reported on (no state) is not ready, rather than ready by default.",
			observed: cluster(1, 0, ""),
			want:     summary{Desired: map[string]string{"percona-cluster": "READY_FALSE"}, Conditions: []string{"DatabaseReady=STATUS_CONDITION_FALSE/Initializing"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := xrRequest(`{"storage":{"metadataSize":"10Gi"},"percona":{"enabled":true}}`)
			if tc.observed != "" {
				req = withObserved(req, "percona-cluster", tc.observed)
			}
			got := summarize(compose(t, req), "percona-cluster", "DatabaseReady")
			got.Results, got.Requires = nil, nil
			if diff := cmp.Diff(tc.want, got, cmpSummary()); diff != "" {
				t.Errorf("%s\nRunFunction(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestPlainObjectReadiness: objects that need nothing but to exist are
// ready once observed, and not before.
func TestPlainObjectReadiness(t *testing.T) {
	const spec = `{"storage":{"metadataSize":"10Gi"},"metrics":{"enabled":true,"serviceMonitor":{"enabled":true}},"percona":{"enabled":true,"backup":{"enabled":true,"credentialsSecretRef":{"name":"backup-s3"},"bucket":"b","endpoint":"s3.example.com"}}}`
	plain := []string{
		"config", "jwt-secret", "admin-secret", "connection-secret",
		"service-headless", "service-api", "service-nfs", "service-smb", "service-metrics",
		"networkpolicy", "servicemonitor", "pgbackrest-s3-secret",
	}
	request := func() *fnv1.RunFunctionRequest {
		return withRequired(withObserved(xrRequest(spec), "percona-cluster", readyCluster), "s3-credentials", awsKeys)
	}
	// What the function composes, as observed once applied.
	first := compose(t, request())
	for _, k := range plain {
		if _, ok := first.GetDesired().GetResources()[k]; !ok {
			t.Fatalf("%s not composed; desired: %v", k, desiredKeys(first))
		}
	}
	allFalse := map[string]string{}
	for _, k := range plain {
		allFalse[k] = "READY_FALSE"
	}

	type plainCase struct {
		reason  string
		observe []string
		want    map[string]string
	}
	cases := map[string]plainCase{
		"NothingObservedNothingReady": {
			reason: "Before Crossplane has created anything no object claims to be ready, so the XR does not turn Ready too early.",
			want:   allFalse,
		},
	}
	for _, k := range plain {
		want := map[string]string{}
		for kk, v := range allFalse {
			want[kk] = v
		}
		want[k] = "READY_TRUE"
		cases["ObservedReady/"+k] = plainCase{
			reason:  "Observing only " + k + " makes it ready and nothing else: each object's readiness is its own, not borrowed from another's.",
			observe: []string{k},
			want:    want,
		}
	}
	everything := map[string]string{}
	for _, k := range plain {
		everything[k] = "READY_TRUE"
	}
	cases["AllObservedAllReady"] = plainCase{
		reason:  "Once every object is observed all are ready: existing is all these objects need.",
		observe: plain,
		want:    everything,
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := request()
			for _, k := range tc.observe {
				req = observeDesired(req, first, resource.Name(k))
			}
			got := summarize(compose(t, req), plain...)
			if diff := cmp.Diff(tc.want, got.Desired); diff != "" {
				t.Errorf("%s\nRunFunction(): desired readiness: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
