package build

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/internal/testing/fixture"
)

// TestPerconaProductionShape: each field of the production shape lands
// where the Percona operator reads it, and nothing else in the cluster
// changes. want is the cluster of the same spec without the field (built,
// and itself checked whole, by TestPerconaCluster), with exactly the
// expected change.
func TestPerconaProductionShape(t *testing.T) {
	resources := func(cpu, memory string) *corev1.ResourceRequirements {
		return &corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(memory)},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(memory)},
		}
	}
	spread := func(labels map[string]string) *corev1.Affinity {
		return &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
				Weight: 1,
				PodAffinityTerm: corev1.PodAffinityTerm{
					LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
					TopologyKey:   "kubernetes.io/hostname",
				},
			}},
		}}
	}
	instanceSpread := spread(map[string]string{"postgres-operator.crunchydata.com/cluster": "files-postgres", "postgres-operator.crunchydata.com/data": "postgres"})
	zoneAffinity := func() *corev1.Affinity {
		return &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{
				{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "topology.kubernetes.io/zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}},
				{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "topology.kubernetes.io/zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"b"}}}},
			}},
		}}
	}
	dbNodes := []corev1.NodeSelectorRequirement{
		{Key: "disk", Operator: corev1.NodeSelectorOpIn, Values: []string{"ssd"}},
		{Key: "pool", Operator: corev1.NodeSelectorOpIn, Values: []string{"db"}},
	}
	tolerations := []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "db", Effect: corev1.TaintEffectNoSchedule}}
	constraints := []corev1.TopologySpreadConstraint{{
		MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.ScheduleAnyway,
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"postgres-operator.crunchydata.com/cluster": "files-postgres"}},
	}}

	cases := map[string]struct {
		reason string
		edit   func(p *v1alpha1.PerconaConfig)
		backup bool
		want   func(c *pgv2.PerconaPGClusterSpec)
	}{
		"OneInstanceHasNoDefaultAffinity": {
			reason: "One instance has no node to spread from: no affinity is composed.",
			edit:   func(*v1alpha1.PerconaConfig) {},
			want:   func(*pgv2.PerconaPGClusterSpec) {},
		},
		"SeveralInstancesPreferDistinctNodes": {
			reason: "More than one instance prefer distinct nodes (Percona's cr.yaml), selecting only this cluster's instances.",
			edit:   func(p *v1alpha1.PerconaConfig) { p.Replicas = ptr.To[int32](2) },
			want: func(c *pgv2.PerconaPGClusterSpec) {
				c.InstanceSets[0].Replicas = ptr.To[int32](2)
				c.InstanceSets[0].Affinity = instanceSpread
			},
		},
		"GivenAffinityReplacesTheDefault": {
			reason: "A given affinity replaces the default entirely, as the user wrote it.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.Replicas = ptr.To[int32](3)
				p.Affinity = zoneAffinity()
			},
			want: func(c *pgv2.PerconaPGClusterSpec) {
				c.InstanceSets[0].Replicas = ptr.To[int32](3)
				c.InstanceSets[0].Affinity = zoneAffinity()
			},
		},
		"NodeSelectorBecomesRequiredNodeAffinity": {
			reason: "Instance sets have no nodeSelector: it becomes one required node affinity term, keys sorted.",
			edit:   func(p *v1alpha1.PerconaConfig) { p.NodeSelector = map[string]string{"pool": "db", "disk": "ssd"} },
			want: func(c *pgv2.PerconaPGClusterSpec) {
				c.InstanceSets[0].Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: dbNodes}}},
				}}
			},
		},
		"NodeSelectorJoinsTheDefaultAntiAffinity": {
			reason: "The node selector and the default anti-affinity both hold.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.Replicas = ptr.To[int32](2)
				p.NodeSelector = map[string]string{"pool": "db", "disk": "ssd"}
			},
			want: func(c *pgv2.PerconaPGClusterSpec) {
				c.InstanceSets[0].Replicas = ptr.To[int32](2)
				a := instanceSpread.DeepCopy()
				a.NodeAffinity = &corev1.NodeAffinity{
					RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: dbNodes}}},
				}
				c.InstanceSets[0].Affinity = a
			},
		},
		"NodeSelectorHoldsInEveryGivenTerm": {
			reason: "Required terms are ORed: the selector is added to each, so it holds whichever matches.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.Affinity = zoneAffinity()
				p.NodeSelector = map[string]string{"pool": "db", "disk": "ssd"}
			},
			want: func(c *pgv2.PerconaPGClusterSpec) {
				a := zoneAffinity()
				for i := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
					term := &a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms[i]
					term.MatchExpressions = append(term.MatchExpressions, dbNodes...)
				}
				c.InstanceSets[0].Affinity = a
			},
		},
		"ResourcesTolerationsSpreadPriority": {
			reason: "Resources, tolerations, spread constraints and the priority class land on the instance set as given.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.Resources = resources("2", "4Gi")
				p.Tolerations = tolerations
				p.TopologySpreadConstraints = constraints
				p.PriorityClassName = ptr.To("database-critical")
			},
			want: func(c *pgv2.PerconaPGClusterSpec) {
				c.InstanceSets[0].Resources = *resources("2", "4Gi")
				c.InstanceSets[0].Tolerations = tolerations
				c.InstanceSets[0].TopologySpreadConstraints = constraints
				c.InstanceSets[0].PriorityClassName = ptr.To("database-critical")
			},
		},
		"ParametersGoToPatroni": {
			reason: "Parameters go to Patroni's dynamic configuration, integers as numbers and strings as strings.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.PostgreSQL = &v1alpha1.PerconaPostgreSQLSpec{Parameters: map[string]intstr.IntOrString{
					"max_connections":        intstr.FromInt32(200),
					"shared_buffers":         intstr.FromString("1GB"),
					"random_page_cost":       intstr.FromString("1.1"),
					"pg_stat_statements.max": intstr.FromInt32(10000),
				}}
			},
			want: func(c *pgv2.PerconaPGClusterSpec) {
				c.Patroni = &crunchyv1beta1.PatroniSpec{DynamicConfiguration: crunchyv1beta1.SchemalessObject{
					"postgresql": map[string]any{"parameters": map[string]any{
						"max_connections":        int64(200),
						"shared_buffers":         "1GB",
						"random_page_cost":       "1.1",
						"pg_stat_statements.max": int64(10000),
					}},
				}}
			},
		},
		"NoParametersNoPatroni": {
			reason: "An empty parameters map composes no Patroni block.",
			edit:   func(p *v1alpha1.PerconaConfig) { p.PostgreSQL = &v1alpha1.PerconaPostgreSQLSpec{} },
			want:   func(*pgv2.PerconaPGClusterSpec) {},
		},
		"RepoHostResourcesWithBackups": {
			reason: "With backups on, the repository host gets its resources.",
			backup: true,
			edit: func(p *v1alpha1.PerconaConfig) {
				p.RepoHost = &v1alpha1.PerconaRepoHostSpec{Resources: resources("250m", "512Mi")}
			},
			want: func(c *pgv2.PerconaPGClusterSpec) {
				c.Backups.PGBackRest.RepoHost = &crunchyv1beta1.PGBackRestRepoHost{Resources: *resources("250m", "512Mi")}
			},
		},
		"RepoHostResourcesWithoutBackupsChangeNothing": {
			reason: "With backups off there is no repository host to shape.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.RepoHost = &v1alpha1.PerconaRepoHostSpec{Resources: resources("250m", "512Mi")}
			},
			want: func(*pgv2.PerconaPGClusterSpec) {},
		},
		"PgBouncerInSessionMode": {
			reason: "PgBouncer on: the Input's image, one replica, session pooling with a pool for all of DittoFS's connections, the given resources.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.Proxy = &v1alpha1.PerconaProxySpec{PGBouncer: &v1alpha1.PerconaPGBouncerSpec{Enabled: true, Resources: resources("100m", "128Mi")}}
			},
			want: func(c *pgv2.PerconaPGClusterSpec) {
				c.Proxy = &pgv2.PGProxySpec{PGBouncer: &pgv2.PGBouncerSpec{
					Image:     "docker.io/percona/percona-pgbouncer:1.25.1-1",
					Replicas:  ptr.To[int32](1),
					Config:    crunchyv1beta1.PGBouncerConfiguration{Global: map[string]string{"pool_mode": "session", "default_pool_size": "25"}},
					Resources: *resources("100m", "128Mi"),
				}}
			},
		},
		"PgBouncersPreferDistinctNodes": {
			reason: "Two PgBouncers prefer distinct nodes.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.Proxy = &v1alpha1.PerconaProxySpec{PGBouncer: &v1alpha1.PerconaPGBouncerSpec{Enabled: true, Replicas: ptr.To[int32](2)}}
			},
			want: func(c *pgv2.PerconaPGClusterSpec) {
				c.Proxy = &pgv2.PGProxySpec{PGBouncer: &pgv2.PGBouncerSpec{
					Image:    "docker.io/percona/percona-pgbouncer:1.25.1-1",
					Replicas: ptr.To[int32](2),
					Config:   crunchyv1beta1.PGBouncerConfiguration{Global: map[string]string{"pool_mode": "session", "default_pool_size": "25"}},
					Affinity: spread(map[string]string{"postgres-operator.crunchydata.com/cluster": "files-postgres", "postgres-operator.crunchydata.com/role": "pgbouncer"}),
				}}
			},
		},
		"PgBouncerOffIsNoProxy": {
			reason: "PgBouncer off composes no proxy, whatever else its block says.",
			edit: func(p *v1alpha1.PerconaConfig) {
				p.Proxy = &v1alpha1.PerconaProxySpec{PGBouncer: &v1alpha1.PerconaPGBouncerSpec{Enabled: false, Replicas: ptr.To[int32](3)}}
			},
			want: func(*pgv2.PerconaPGClusterSpec) {},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var backup *v1alpha1.PerconaBackupConfig
			credentials, repoPath := "", ""
			if tc.backup {
				backup, credentials, repoPath = fixture.S3Backup(), "files-pgbackrest-s3", "/pgbackrest/storage/files-4a49acf8/repo1"
			}
			s := fixture.PerconaSpec(backup)
			base := fixture.PerconaSpec(backup)
			tc.edit(s.Percona)
			want := PerconaCluster(fixture.DittoServer(base), fixture.Input(), credentials, repoPath)
			tc.want(&want.Spec)
			got := PerconaCluster(fixture.DittoServer(s), fixture.Input(), credentials, repoPath)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s\nPerconaCluster(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
