package fn

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/fn/build"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// runningStatefulSet is the StatefulSet the function composed for spec, as
// observed: its volume claim templates carry the status the API server
// adds.
func runningStatefulSet(t *testing.T, spec v1alpha1.DittoServerSpec) string {
	t.Helper()
	sts := build.StatefulSet(fixture.DittoServer(spec), fixture.Input(), "h")
	for i := range sts.Spec.VolumeClaimTemplates {
		sts.Spec.VolumeClaimTemplates[i].Status.Phase = corev1.ClaimPending
	}
	return objectJSON(t, sts)
}

// runningCluster is the PerconaPGCluster the function composed for spec.
func runningCluster(t *testing.T, spec v1alpha1.DittoServerSpec) string {
	t.Helper()
	return objectJSON(t, build.PerconaCluster(fixture.DittoServer(spec), fixture.Input(), "", ""))
}

func specWith(base v1alpha1.DittoServerSpec, mutate func(*v1alpha1.DittoServerSpec)) v1alpha1.DittoServerSpec {
	mutate(&base)
	return base
}

// guardOutcome is what a refused change looks like from outside.
type guardOutcome struct {
	Results   []string // severities
	Fields    []string // the fields the Fatal result names, in order
	Desired   []string
	Condition []string
}

var forbiddenField = regexp.MustCompile(`(spec\.[A-Za-z.]+): Forbidden`)

func outcomeOf(rsp *fnv1.RunFunctionResponse) guardOutcome {
	o := guardOutcome{Results: []string{}, Fields: []string{}, Desired: desiredKeys(rsp), Condition: []string{}}
	for _, r := range rsp.GetResults() {
		o.Results = append(o.Results, r.GetSeverity().String())
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			for _, m := range forbiddenField.FindAllStringSubmatch(r.GetMessage(), -1) {
				o.Fields = append(o.Fields, m[1])
			}
		}
	}
	for _, c := range rsp.GetConditions() {
		o.Condition = append(o.Condition, c.GetType()+"="+c.GetStatus().String()+"/"+c.GetReason())
	}
	return o
}

func TestGuardsRefuseDataLoss(t *testing.T) {
	refused := func(fields ...string) guardOutcome {
		return guardOutcome{
			Results:   []string{"SEVERITY_FATAL"},
			Fields:    fields,
			Desired:   []string{},
			Condition: []string{"FunctionSuccess=STATUS_CONDITION_FALSE/UnsafeChange"},
		}
	}
	withContent := specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.ContentSize = "100Gi" })
	percona16 := specWith(fixture.PerconaSpec(nil), func(s *v1alpha1.DittoServerSpec) { s.Percona.PostgresVersion = 16 })
	externalPostgres := specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) {
		s.Database = &v1alpha1.DatabaseSpec{Type: "postgres", PostgresSecretRef: &v1alpha1.SecretKeySelector{Name: "pg"}}
	})

	cases := map[string]struct {
		spec     v1alpha1.DittoServerSpec
		observed map[string]string
		want     guardOutcome
	}{
		"PerconaOffWithObservedCluster": {
			spec:     fixture.MinimalSpec(),
			observed: map[string]string{"percona-cluster": runningCluster(t, fixture.PerconaSpec(nil))},
			want:     refused("spec.percona.enabled"),
		},
		"PerconaOffUnderLiveServer": {
			spec: fixture.MinimalSpec(),
			observed: map[string]string{
				"percona-cluster": runningCluster(t, fixture.PerconaSpec(nil)),
				"statefulset":     runningStatefulSet(t, fixture.PerconaSpec(nil)),
			},
			want: refused("spec.percona.enabled", "spec.database"),
		},
		"SQLiteToExternalPostgres": {
			spec:     externalPostgres,
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.database"),
		},
		"SQLiteToPercona": {
			spec:     fixture.PerconaSpec(nil),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.database"),
		},
		"PerconaToSQLite": {
			spec:     fixture.MinimalSpec(),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.PerconaSpec(nil))},
			want:     refused("spec.database"),
		},
		"ExternalPostgresToSQLite": {
			spec:     fixture.MinimalSpec(),
			observed: map[string]string{"statefulset": runningStatefulSet(t, externalPostgres)},
			want:     refused("spec.database"),
		},
		"MetadataSizeShrinks": {
			spec:     specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.MetadataSize = "5Gi" }),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.storage.metadataSize"),
		},
		"ContentSizeShrinks": {
			spec:     specWith(withContent, func(s *v1alpha1.DittoServerSpec) { s.Storage.ContentSize = "50Gi" }),
			observed: map[string]string{"statefulset": runningStatefulSet(t, withContent)},
			want:     refused("spec.storage.contentSize"),
		},
		"ControlPlaneSizeShrinks": {
			spec:     specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.ControlPlaneSize = "512Mi" }),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.storage.controlPlaneSize"),
		},
		"ContentSizeAdded": {
			spec:     withContent,
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.storage.contentSize"),
		},
		"ContentSizeRemoved": {
			spec:     fixture.MinimalSpec(),
			observed: map[string]string{"statefulset": runningStatefulSet(t, withContent)},
			want:     refused("spec.storage.contentSize"),
		},
		// Every volume of the old class is named.
		"StorageClassSet": {
			spec:     specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.StorageClassName = ptr.To("fast") }),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.storage.storageClassName", "spec.storage.storageClassName"),
		},
		"StorageClassChanged": {
			spec: specWith(withContent, func(s *v1alpha1.DittoServerSpec) { s.Storage.StorageClassName = ptr.To("slow") }),
			observed: map[string]string{"statefulset": runningStatefulSet(t, specWith(withContent, func(s *v1alpha1.DittoServerSpec) {
				s.Storage.StorageClassName = ptr.To("fast")
			}))},
			want: refused("spec.storage.storageClassName", "spec.storage.storageClassName", "spec.storage.storageClassName"),
		},
		"ShrinkAndReclassTogether": {
			spec: specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) {
				s.Storage.MetadataSize = "1Gi"
				s.Storage.StorageClassName = ptr.To("fast")
			}),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.storage.metadataSize", "spec.storage.storageClassName", "spec.storage.storageClassName"),
		},
		// Only a major the user wrote is a change: an unset one keeps 16.
		"PostgresVersionChanged": {
			spec:     specWith(fixture.PerconaSpec(nil), func(s *v1alpha1.DittoServerSpec) { s.Percona.PostgresVersion = 17 }),
			observed: map[string]string{"percona-cluster": runningCluster(t, percona16)},
			want:     refused("spec.percona.postgresVersion"),
		},
		"DatabaseNameChanged": {
			spec:     specWith(fixture.PerconaSpec(nil), func(s *v1alpha1.DittoServerSpec) { s.Percona.DatabaseName = "other" }),
			observed: map[string]string{"percona-cluster": runningCluster(t, fixture.PerconaSpec(nil))},
			want:     refused("spec.percona.databaseName"),
		},
		"PerconaStorageShrinks": {
			spec: fixture.PerconaSpec(nil),
			observed: map[string]string{"percona-cluster": runningCluster(t, specWith(fixture.PerconaSpec(nil), func(s *v1alpha1.DittoServerSpec) {
				s.Percona.StorageSize = "20Gi"
			}))},
			want: refused("spec.percona.storageSize"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := specRequest(t, tc.spec)
			for k, o := range tc.observed {
				req = withObserved(req, k, o)
			}
			rsp := runWith(t, deterministicFunction(), req)
			if diff := cmp.Diff(tc.want, outcomeOf(rsp)); diff != "" {
				t.Errorf("RunFunction(): -want, +got:\n%s\nresults: %v", diff, resultStrings(rsp))
			}
			if n := len(rsp.GetDesired().GetResources()); n != 0 {
				t.Errorf("a refused change desires %d composed resources, want none", n)
			}
			for _, r := range rsp.GetResults() {
				if !strings.HasPrefix(r.GetMessage(), "refusing a change that would lose data, nothing was applied: ") {
					t.Errorf("result %q does not say nothing was applied", r.GetMessage())
				}
			}
		})
	}
}

// TestGuardMessageSaysWhy: the message names the field, what is there and
// how to move on.
func TestGuardMessageSaysWhy(t *testing.T) {
	cases := map[string]struct {
		spec     v1alpha1.DittoServerSpec
		observed map[string]string
		want     []string
	}{
		"MetadataShrink": {
			spec:     specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.MetadataSize = "5Gi" }),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want: []string{"SEVERITY_FATAL: refusing a change that would lose data, nothing was applied: " +
				"spec.storage.metadataSize: Forbidden: the metadata volume is 10Gi; it cannot shrink to 5Gi " +
				"(volume claim templates are immutable: to move, create a new DittoServer and copy the data, or resize the PVC itself)"},
		},
		"DatabaseSwitch": {
			spec:     fixture.PerconaSpec(nil),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want: []string{"SEVERITY_FATAL: refusing a change that would lose data, nothing was applied: " +
				"spec.database: Forbidden: DittoFS files keeps its control plane (users, shares, adapters) on sqlite; switching to percona would start it empty there. " +
				"Keep the database as it is, or create a new DittoServer on percona and move the control plane to it"},
		},
		"StorageClassNamesEachVolume": {
			spec:     specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.StorageClassName = ptr.To("fast") }),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want: []string{"SEVERITY_FATAL: refusing a change that would lose data, nothing was applied: " +
				`spec.storage.storageClassName: Forbidden: the metadata volume is of class (the cluster default), not "fast" (volume claim templates are immutable: to move, create a new DittoServer and copy the data, or resize the PVC itself); ` +
				`spec.storage.storageClassName: Forbidden: the controlplane volume is of class (the cluster default), not "fast" (volume claim templates are immutable: to move, create a new DittoServer and copy the data, or resize the PVC itself)`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := specRequest(t, tc.spec)
			for k, o := range tc.observed {
				req = withObserved(req, k, o)
			}
			got := resultStrings(runWith(t, deterministicFunction(), req))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("results: -want, +got:\n%s", diff)
			}
		})
	}
}

// TestGrowthIsNotFatal: a bigger volume is the user's to grow on the PVC;
// the StatefulSet keeps its (immutable) templates and a Warning names the
// PVCs.
func TestGrowthIsNotFatal(t *testing.T) {
	withContent := specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.ContentSize = "100Gi" })
	cases := map[string]struct {
		was, now v1alpha1.DittoServerSpec
		results  []string
	}{
		"UnchangedSaysNothing": {
			was: withContent, now: withContent,
			results: []string{},
		},
		"MetadataGrows": {
			was:     fixture.MinimalSpec(),
			now:     specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.MetadataSize = "20Gi" }),
			results: []string{"SEVERITY_WARNING: spec.storage: volume claim templates are immutable; grow the PVCs yourself (kubectl patch pvc ... with spec.resources.requests.storage, if the storage class allows expansion): metadata-files-0 to 20Gi"},
		},
		"EveryVolumeGrows": {
			was: withContent,
			now: specWith(withContent, func(s *v1alpha1.DittoServerSpec) {
				s.Storage.MetadataSize, s.Storage.ContentSize, s.Storage.ControlPlaneSize = "11Gi", "1Ti", "2Gi"
			}),
			results: []string{"SEVERITY_WARNING: spec.storage: volume claim templates are immutable; grow the PVCs yourself (kubectl patch pvc ... with spec.resources.requests.storage, if the storage class allows expansion): metadata-files-0 to 11Gi, content-files-0 to 1Ti, controlplane-files-0 to 2Gi"},
		},
		// 10240Mi is 10Gi: the same size written differently is no growth.
		"SameSizeOtherUnit": {
			was:     fixture.MinimalSpec(),
			now:     specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.MetadataSize = "10240Mi" }),
			results: []string{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := withObserved(specRequest(t, tc.now), "statefulset", runningStatefulSet(t, tc.was))
			rsp := runWith(t, deterministicFunction(), req)
			if diff := cmp.Diff(tc.results, resultStrings(rsp)); diff != "" {
				t.Errorf("results: -want, +got:\n%s", diff)
			}
			got := &appsv1.StatefulSet{}
			desiredInto(t, rsp, keyStatefulSet, got)
			// The observed templates, without the status the API server
			// added.
			want := build.StatefulSet(fixture.DittoServer(tc.was), fixture.Input(), "h").Spec.VolumeClaimTemplates
			if diff := cmp.Diff(want, got.Spec.VolumeClaimTemplates); diff != "" {
				t.Errorf("desired volume claim templates: -want (observed), +got:\n%s", diff)
			}
		})
	}
}

// TestPerconaStorageGrowthIsNotFatal: Percona expands its volumes itself,
// so the bigger size is desired.
func TestPerconaStorageGrowthIsNotFatal(t *testing.T) {
	now := specWith(fixture.PerconaSpec(nil), func(s *v1alpha1.DittoServerSpec) { s.Percona.StorageSize = "20Gi" })
	req := withObserved(specRequest(t, now), "percona-cluster", runningCluster(t, fixture.PerconaSpec(nil)))
	rsp := runWith(t, deterministicFunction(), req)
	if got := outcomeOf(rsp); len(got.Fields) != 0 || slices.Contains(got.Results, "SEVERITY_FATAL") {
		t.Fatalf("growth refused: %v", resultStrings(rsp))
	}
	m := desiredMap(t, rsp, keyPerconaCluster)
	sets := m["spec"].(map[string]any)["instances"].([]any)
	size := sets[0].(map[string]any)["dataVolumeClaimSpec"].(map[string]any)["resources"].(map[string]any)["requests"].(map[string]any)["storage"]
	if size != "20Gi" {
		t.Errorf("desired Percona storage = %v, want 20Gi", size)
	}
}
