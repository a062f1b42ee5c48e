package build

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// TestOperatorReadsTheProductionShape runs the Percona operator's own code
// (v2.9.0, pkg/apis/pgv2.percona.com/v2: Default, Validate and ToCrunchy,
// what its reconcile does first) on the composed production cluster: the
// operator accepts it, and the PostgresCluster it makes from it carries
// every field where the Crunchy controller reads it (instance set, repo
// host, Patroni, PgBouncer).
func TestOperatorReadsTheProductionShape(t *testing.T) {
	q := resource.MustParse
	s := fixture.PerconaSpec(fixture.S3Backup())
	p := s.Percona
	p.Replicas = ptr.To[int32](3)
	p.Resources = &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: q("1"), corev1.ResourceMemory: q("4Gi")}}
	p.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "db", Effect: corev1.TaintEffectNoSchedule}}
	p.TopologySpreadConstraints = []corev1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.ScheduleAnyway}}
	p.NodeSelector = map[string]string{"pool": "db"}
	p.PriorityClassName = ptr.To("database")
	p.RepoHost = &v1alpha1.PerconaRepoHostSpec{Resources: &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: q("512Mi")}}}
	p.PostgreSQL = &v1alpha1.PerconaPostgreSQLSpec{Parameters: map[string]intstr.IntOrString{"max_connections": intstr.FromInt32(200), "work_mem": intstr.FromString("16MB")}}
	p.Proxy = &v1alpha1.PerconaProxySpec{PGBouncer: &v1alpha1.PerconaPGBouncerSpec{Enabled: true, Replicas: ptr.To[int32](2)}}
	composedCluster := PerconaCluster(fixture.DittoServer(s), fixture.Input(), "files-pgbackrest-s3", "/pgbackrest/storage/files-4a49acf8/repo1")

	cr := composedCluster.DeepCopy()
	cr.Default()
	if err := cr.Validate(); err != nil {
		t.Fatalf("the operator's Validate refuses the composed cluster: %v", err)
	}
	scheme := runtime.NewScheme()
	if err := pgv2.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := crunchyv1beta1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	cr.UID = "uid-1"
	pc, err := cr.ToCrunchy(context.Background(), nil, scheme)
	if err != nil {
		t.Fatalf("ToCrunchy: %v", err)
	}

	want := composedCluster.Spec.InstanceSets[0]
	got := pc.Spec.InstanceSets[0]
	for _, c := range []struct {
		field     string
		want, got any
	}{
		{"instances[0].affinity", want.Affinity, got.Affinity},
		{"instances[0].tolerations", want.Tolerations, got.Tolerations},
		{"instances[0].topologySpreadConstraints", want.TopologySpreadConstraints, got.TopologySpreadConstraints},
		{"instances[0].resources", want.Resources, got.Resources},
		{"instances[0].priorityClassName", want.PriorityClassName, got.PriorityClassName},
		{"backups.pgbackrest.repoHost", composedCluster.Spec.Backups.PGBackRest.RepoHost, pc.Spec.Backups.PGBackRest.RepoHost},
		{"patroni", composedCluster.Spec.Patroni, pc.Spec.Patroni},
		{"proxy.pgBouncer.config", composedCluster.Spec.Proxy.PGBouncer.Config, pc.Spec.Proxy.PGBouncer.Config},
		{"proxy.pgBouncer.image", composedCluster.Spec.Proxy.PGBouncer.Image, pc.Spec.Proxy.PGBouncer.Image},
		{"proxy.pgBouncer.replicas", composedCluster.Spec.Proxy.PGBouncer.Replicas, pc.Spec.Proxy.PGBouncer.Replicas},
		{"proxy.pgBouncer.affinity", composedCluster.Spec.Proxy.PGBouncer.Affinity, pc.Spec.Proxy.PGBouncer.Affinity},
	} {
		if diff := cmp.Diff(c.want, c.got); diff != "" {
			t.Errorf("PostgresCluster %s: -composed, +what the operator makes of it:\n%s", c.field, diff)
		}
	}
	// The node selector reached the scheduler's terms, and the instances'
	// default spread too.
	if a := got.Affinity; a == nil || a.NodeAffinity == nil || a.PodAntiAffinity == nil {
		t.Errorf("the instance set's affinity lost its node or pod terms: %+v", a)
	}
	if pc.Spec.Proxy.PGBouncer.Config.Global["pool_mode"] != "session" {
		t.Errorf("PgBouncer's pool_mode is %q, want session", pc.Spec.Proxy.PGBouncer.Config.Global["pool_mode"])
	}
}
