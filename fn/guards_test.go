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
		reason   string
		spec     v1alpha1.DittoServerSpec
		observed map[string]string
		want     guardOutcome
	}{
		"PerconaOffWithObservedCluster": {
			reason:   "Turning Percona off would delete the cluster that holds DittoFS's control plane, so it is refused while that cluster exists.",
			spec:     fixture.MinimalSpec(),
			observed: map[string]string{"percona-cluster": runningCluster(t, fixture.PerconaSpec(nil))},
			want:     refused("spec.percona.enabled"),
		},
		"PerconaOffUnderLiveServer": {
			reason: "With DittoFS running on the cluster too, both problems are named in one Fatal: the cluster would go and the server would switch database.",
			spec:   fixture.MinimalSpec(),
			observed: map[string]string{
				"percona-cluster": runningCluster(t, fixture.PerconaSpec(nil)),
				"statefulset":     runningStatefulSet(t, fixture.PerconaSpec(nil)),
			},
			want: refused("spec.percona.enabled", "spec.database"),
		},
		"SQLiteToExternalPostgres": {
			reason:   "A running server keeps its control plane in SQLite; pointing it at another database would start it empty there.",
			spec:     externalPostgres,
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.database"),
		},
		"SQLiteToPercona": {
			reason:   "Moving a running SQLite server onto a new Percona cluster would start it with no users or shares.",
			spec:     fixture.PerconaSpec(nil),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.database"),
		},
		"PerconaToSQLite": {
			reason:   "Leaving Percona is caught from the database the StatefulSet records, even when the cluster is not observed in this call.",
			spec:     fixture.MinimalSpec(),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.PerconaSpec(nil))},
			want:     refused("spec.database"),
		},
		"ExternalPostgresToSQLite": {
			reason:   "Leaving an external PostgreSQL for SQLite would start the server on an empty local database.",
			spec:     fixture.MinimalSpec(),
			observed: map[string]string{"statefulset": runningStatefulSet(t, externalPostgres)},
			want:     refused("spec.database"),
		},
		"MetadataSizeShrinks": {
			reason:   "Volume claim templates are immutable and volumes cannot shrink, so a smaller metadata size is refused instead of applied as an update that fails.",
			spec:     specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.MetadataSize = "5Gi" }),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.storage.metadataSize"),
		},
		"ContentSizeShrinks": {
			reason:   "The content volume, which holds the file data, cannot shrink either.",
			spec:     specWith(withContent, func(s *v1alpha1.DittoServerSpec) { s.Storage.ContentSize = "50Gi" }),
			observed: map[string]string{"statefulset": runningStatefulSet(t, withContent)},
			want:     refused("spec.storage.contentSize"),
		},
		"ControlPlaneSizeShrinks": {
			reason:   "The control-plane volume, which holds the SQLite database, cannot shrink either.",
			spec:     specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.ControlPlaneSize = "512Mi" }),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.storage.controlPlaneSize"),
		},
		"ContentSizeAdded": {
			reason:   "A content volume cannot be added to a running server's immutable templates; applying it would leave the server without it and the user unaware.",
			spec:     withContent,
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.storage.contentSize"),
		},
		"ContentSizeRemoved": {
			reason:   "Removing the content volume would strand the file data on it.",
			spec:     fixture.MinimalSpec(),
			observed: map[string]string{"statefulset": runningStatefulSet(t, withContent)},
			want:     refused("spec.storage.contentSize"),
		},
		"StorageClassSet": {
			reason:   "Naming a class would not move volumes of the cluster default (their templates are immutable); each such volume is named, here metadata and control plane.",
			spec:     specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.StorageClassName = ptr.To("fast") }),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.storage.storageClassName", "spec.storage.storageClassName"),
		},
		"StorageClassChanged": {
			reason: "A class change names all three volumes, content included, so the user sees everything that would be stranded.",
			spec:   specWith(withContent, func(s *v1alpha1.DittoServerSpec) { s.Storage.StorageClassName = ptr.To("slow") }),
			observed: map[string]string{"statefulset": runningStatefulSet(t, specWith(withContent, func(s *v1alpha1.DittoServerSpec) {
				s.Storage.StorageClassName = ptr.To("fast")
			}))},
			want: refused("spec.storage.storageClassName", "spec.storage.storageClassName", "spec.storage.storageClassName"),
		},
		"ShrinkAndReclassTogether": {
			reason: "Every unsafe change is reported in the one Fatal, so the user fixes them all in one edit rather than one per reconcile.",
			spec: specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) {
				s.Storage.MetadataSize = "1Gi"
				s.Storage.StorageClassName = ptr.To("fast")
			}),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want:     refused("spec.storage.metadataSize", "spec.storage.storageClassName", "spec.storage.storageClassName"),
		},
		"PostgresVersionChanged": {
			reason:   "A major the user writes that differs from the running cluster's is refused: a major upgrade is a PerconaPGUpgrade, not a spec change (an unset major keeps the running one).",
			spec:     specWith(fixture.PerconaSpec(nil), func(s *v1alpha1.DittoServerSpec) { s.Percona.PostgresVersion = 17 }),
			observed: map[string]string{"percona-cluster": runningCluster(t, percona16)},
			want:     refused("spec.percona.postgresVersion"),
		},
		"DatabaseNameChanged": {
			reason:   "Another database name would start DittoFS's control plane on an empty database.",
			spec:     specWith(fixture.PerconaSpec(nil), func(s *v1alpha1.DittoServerSpec) { s.Percona.DatabaseName = "other" }),
			observed: map[string]string{"percona-cluster": runningCluster(t, fixture.PerconaSpec(nil))},
			want:     refused("spec.percona.databaseName"),
		},
		"PerconaStorageShrinks": {
			reason: "Percona's volumes cannot shrink either, so a size below the running 20Gi is refused.",
			spec:   fixture.PerconaSpec(nil),
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
			rsp := compose(t, req)
			if diff := cmp.Diff(tc.want, outcomeOf(rsp)); diff != "" {
				t.Errorf("%s\nRunFunction(): -want, +got:\n%s\nresults: %v", tc.reason, diff, resultStrings(rsp))
			}
			if n := len(rsp.GetDesired().GetResources()); n != 0 {
				t.Errorf("%s\nRunFunction(): a refused change desires %d composed resources, want none", tc.reason, n)
			}
			for _, r := range rsp.GetResults() {
				if !strings.HasPrefix(r.GetMessage(), "refusing a change that would lose data, nothing was applied: ") {
					t.Errorf("%s\nRunFunction(): result %q does not say nothing was applied", tc.reason, r.GetMessage())
				}
			}
		})
	}
}

// TestGuardMessageSaysWhy: the message names the field, what is there and
// how to move on.
func TestGuardMessageSaysWhy(t *testing.T) {
	cases := map[string]struct {
		reason   string
		spec     v1alpha1.DittoServerSpec
		observed map[string]string
		want     []string
	}{
		"MetadataShrink": {
			reason:   "The message names the field, the size there is and the one asked for, and the two ways to move on.",
			spec:     specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.MetadataSize = "5Gi" }),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want: []string{"SEVERITY_FATAL: refusing a change that would lose data, nothing was applied: " +
				"spec.storage.metadataSize: Forbidden: the metadata volume is 10Gi; it cannot shrink to 5Gi " +
				"(volume claim templates are immutable: to move, create a new DittoServer and copy the data, or resize the PVC itself)"},
		},
		"DatabaseSwitch": {
			reason:   "The message names both databases, what would be lost, and how to move instead.",
			spec:     fixture.PerconaSpec(nil),
			observed: map[string]string{"statefulset": runningStatefulSet(t, fixture.MinimalSpec())},
			want: []string{"SEVERITY_FATAL: refusing a change that would lose data, nothing was applied: " +
				"spec.database: Forbidden: DittoFS files keeps its control plane (users, shares, adapters) on sqlite; switching to percona would start it empty there. " +
				"Keep the database as it is, or create a new DittoServer on percona and move the control plane to it"},
		},
		"StorageClassNamesEachVolume": {
			reason:   "Each volume of the old class gets its own message naming it, and the cluster default is spelled out, not shown as an empty class.",
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
			got := resultStrings(compose(t, req))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nRunFunction(): results: -want, +got:\n%s", tc.reason, diff)
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
		reason   string
		was, now v1alpha1.DittoServerSpec
		results  []string
	}{
		"UnchangedSaysNothing": {
			reason: "An unchanged spec gives no Warning: one on every reconcile would teach users to ignore it.",
			was:    withContent, now: withContent,
			results: []string{},
		},
		"MetadataGrows": {
			reason:  "A bigger metadata volume is a Warning naming the PVC and its new size, not a Fatal, and the immutable templates stay as observed.",
			was:     fixture.MinimalSpec(),
			now:     specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.MetadataSize = "20Gi" }),
			results: []string{"SEVERITY_WARNING: spec.storage: volume claim templates are immutable; grow the PVCs yourself (kubectl patch pvc ... with spec.resources.requests.storage, if the storage class allows expansion): metadata-files-0 to 20Gi"},
		},
		"EveryVolumeGrows": {
			reason: "Every grown volume is named in the one Warning, in template order.",
			was:    withContent,
			now: specWith(withContent, func(s *v1alpha1.DittoServerSpec) {
				s.Storage.MetadataSize, s.Storage.ContentSize, s.Storage.ControlPlaneSize = "11Gi", "1Ti", "2Gi"
			}),
			results: []string{"SEVERITY_WARNING: spec.storage: volume claim templates are immutable; grow the PVCs yourself (kubectl patch pvc ... with spec.resources.requests.storage, if the storage class allows expansion): metadata-files-0 to 11Gi, content-files-0 to 1Ti, controlplane-files-0 to 2Gi"},
		},
		"SameSizeOtherUnit": {
			reason:  "10240Mi is 10Gi: sizes are compared as quantities, so a size written in another unit is no growth.",
			was:     fixture.MinimalSpec(),
			now:     specWith(fixture.MinimalSpec(), func(s *v1alpha1.DittoServerSpec) { s.Storage.MetadataSize = "10240Mi" }),
			results: []string{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := withObserved(specRequest(t, tc.now), "statefulset", runningStatefulSet(t, tc.was))
			rsp := compose(t, req)
			if diff := cmp.Diff(tc.results, resultStrings(rsp)); diff != "" {
				t.Errorf("%s\nRunFunction(): results: -want, +got:\n%s", tc.reason, diff)
			}
			got := &appsv1.StatefulSet{}
			desiredInto(t, rsp, keyStatefulSet, got)
			// The observed templates, without the status the API server
			// added.
			want := build.StatefulSet(fixture.DittoServer(tc.was), fixture.Input(), "h").Spec.VolumeClaimTemplates
			if diff := cmp.Diff(want, got.Spec.VolumeClaimTemplates); diff != "" {
				t.Errorf("%s\nRunFunction(): desired volume claim templates: -want (observed), +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestPerconaStorageGrowthIsNotFatal: Percona expands its volumes itself,
// so the bigger size is desired.
func TestPerconaStorageGrowthIsNotFatal(t *testing.T) {
	now := specWith(fixture.PerconaSpec(nil), func(s *v1alpha1.DittoServerSpec) { s.Percona.StorageSize = "20Gi" })
	req := withObserved(specRequest(t, now), "percona-cluster", runningCluster(t, fixture.PerconaSpec(nil)))
	rsp := compose(t, req)
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
