package fn

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

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
		spec     string
		observed string
		want     summary
	}{
		"NotObservedYet": {
			spec: `{"storage":{"metadataSize":"10Gi"}}`,
			want: summary{Desired: map[string]string{"statefulset": "READY_FALSE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_FALSE/Creating"}},
		},
		"RolledOut": {
			spec:     `{"storage":{"metadataSize":"10Gi"}}`,
			observed: observed(1, 2, rolledOut),
			want:     summary{Desired: map[string]string{"statefulset": "READY_TRUE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_TRUE/Available"}},
		},
		"ObservedGenerationBehind": {
			spec:     `{"storage":{"metadataSize":"10Gi"}}`,
			observed: observed(1, 3, rolledOut),
			want:     summary{Desired: map[string]string{"statefulset": "READY_FALSE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_FALSE/RollingOut"}},
		},
		"ReadyReplicasShort": {
			spec:     `{"storage":{"metadataSize":"10Gi"}}`,
			observed: observed(1, 2, with(func(s *appsv1.StatefulSetStatus) { s.ReadyReplicas = 0 })),
			want:     summary{Desired: map[string]string{"statefulset": "READY_FALSE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_FALSE/RollingOut"}},
		},
		"UpdatedReplicasShort": {
			spec:     `{"storage":{"metadataSize":"10Gi"}}`,
			observed: observed(1, 2, with(func(s *appsv1.StatefulSetStatus) { s.UpdatedReplicas = 0 })),
			want:     summary{Desired: map[string]string{"statefulset": "READY_FALSE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_FALSE/RollingOut"}},
		},
		"UpdateRevisionDiffers": {
			spec:     `{"storage":{"metadataSize":"10Gi"}}`,
			observed: observed(1, 2, with(func(s *appsv1.StatefulSetStatus) { s.UpdateRevision = "files-def" })),
			want:     summary{Desired: map[string]string{"statefulset": "READY_FALSE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_FALSE/RollingOut"}},
		},
		"ScaledToZero": {
			spec:     `{"storage":{"metadataSize":"10Gi"},"replicas":0}`,
			observed: observed(0, 2, appsv1.StatefulSetStatus{ObservedGeneration: 2, CurrentRevision: "files-abc", UpdateRevision: "files-abc"}),
			want:     summary{Desired: map[string]string{"statefulset": "READY_TRUE"}, Conditions: []string{"WorkloadReady=STATUS_CONDITION_TRUE/Stopped"}},
		},
		"ScalingDownToZeroNotDoneYet": {
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
			got := summarize(runWith(t, deterministicFunction(), req), "statefulset", "WorkloadReady")
			got.Results = nil
			if diff := cmp.Diff(tc.want, got, cmpSummary()); diff != "" {
				t.Errorf("RunFunction(): -want, +got:\n%s", diff)
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
		observed string
		want     summary
	}{
		"NotObservedYet": {
			want: summary{Desired: map[string]string{"percona-cluster": "READY_FALSE"}, Conditions: []string{"DatabaseReady=STATUS_CONDITION_FALSE/Creating"}},
		},
		"ReadyAtGeneration": {
			observed: cluster(4, 4, pgv2.AppStateReady),
			want:     summary{Desired: map[string]string{"percona-cluster": "READY_TRUE"}, Conditions: []string{"DatabaseReady=STATUS_CONDITION_TRUE/Available"}},
		},
		// Operators that do not report observedGeneration: state decides.
		"ReadyWithoutObservedGeneration": {
			observed: cluster(4, 0, pgv2.AppStateReady),
			want:     summary{Desired: map[string]string{"percona-cluster": "READY_TRUE"}, Conditions: []string{"DatabaseReady=STATUS_CONDITION_TRUE/Available"}},
		},
		"Initializing": {
			observed: cluster(4, 4, pgv2.AppStateInit),
			want:     summary{Desired: map[string]string{"percona-cluster": "READY_FALSE"}, Conditions: []string{"DatabaseReady=STATUS_CONDITION_FALSE/Initializing"}},
		},
		"StaleGeneration": {
			observed: cluster(5, 4, pgv2.AppStateReady),
			want:     summary{Desired: map[string]string{"percona-cluster": "READY_FALSE"}, Conditions: []string{"DatabaseReady=STATUS_CONDITION_FALSE/Initializing"}},
		},
		"NoStatusYet": {
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
			got := summarize(runWith(t, deterministicFunction(), req), "percona-cluster", "DatabaseReady")
			got.Results, got.Requires = nil, nil
			if diff := cmp.Diff(tc.want, got, cmpSummary()); diff != "" {
				t.Errorf("RunFunction(): -want, +got:\n%s", diff)
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
		"networkpolicy", "servicemonitor", "usage-statefulset-database", "usage-database-s3-credentials", "pgbackrest-s3-secret",
	}
	request := func() *fnv1.RunFunctionRequest {
		return withRequired(withObserved(xrRequest(spec), "percona-cluster", readyCluster), "s3-credentials", awsKeys)
	}
	// What the function composes, as observed once applied.
	first := runWith(t, deterministicFunction(), request())
	for _, k := range plain {
		if _, ok := first.GetDesired().GetResources()[k]; !ok {
			t.Fatalf("%s not composed; desired: %v", k, desiredKeys(first))
		}
	}
	allFalse := map[string]string{}
	for _, k := range plain {
		allFalse[k] = "READY_FALSE"
	}

	cases := map[string]struct {
		observe []string
		want    map[string]string
	}{
		"NothingObservedNothingReady": {want: allFalse},
	}
	for _, k := range plain {
		want := map[string]string{}
		for kk, v := range allFalse {
			want[kk] = v
		}
		want[k] = "READY_TRUE"
		cases["ObservedReady/"+k] = struct {
			observe []string
			want    map[string]string
		}{observe: []string{k}, want: want}
	}
	everything := map[string]string{}
	for _, k := range plain {
		everything[k] = "READY_TRUE"
	}
	cases["AllObservedAllReady"] = struct {
		observe []string
		want    map[string]string
	}{observe: plain, want: everything}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := request()
			for _, k := range tc.observe {
				req = observeDesired(req, first, resourceNameOf(k))
			}
			got := summarize(runWith(t, deterministicFunction(), req), plain...)
			if diff := cmp.Diff(tc.want, got.Desired); diff != "" {
				t.Errorf("readiness: -want, +got:\n%s", diff)
			}
		})
	}
}
