package build

import (
	"sort"

	pgv2 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/pgv2.percona.com/v2"
	crunchyv1beta1 "github.com/percona/percona-postgresql-operator/v2/pkg/apis/postgres-operator.crunchydata.com/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/dittofs/function-dittofs/fn/spec"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// Labels the Percona operator puts on the cluster's pods, which the default
// anti-affinity selects on (naming.LabelCluster, LabelData, LabelRole).
const (
	labelPerconaCluster = "postgres-operator.crunchydata.com/cluster"
	labelPerconaData    = "postgres-operator.crunchydata.com/data"
	labelPerconaRole    = "postgres-operator.crunchydata.com/role"
	hostnameTopology    = "kubernetes.io/hostname"
)

// PGBouncerPoolMode is the pool mode the composed PgBouncer runs in.
// DittoFS keeps state on its connections: pgx (under gorm and
// golang-migrate) prepares and caches named statements per connection, and
// golang-migrate holds a session advisory lock while it migrates the
// PostgreSQL metadata store. Transaction pooling would hand that state to
// other clients (test/boot TestWhySessionPooling shows both); session
// pooling gives each DittoFS connection its own server connection.
const PGBouncerPoolMode = "session"

// pgBouncerPoolSize is PgBouncer's default_pool_size: in session mode each
// DittoFS connection holds a server connection for as long as it lives, and
// DittoFS v0.29.0 opens up to 25 to its control-plane database
// (max_open_conns, pkg/controlplane/store/gorm.go). PgBouncer's own default
// of 20 would queue the last five behind the others until
// query_wait_timeout.
const pgBouncerPoolSize = "25"

// instanceSet is the cluster's one instance set: its size and volume, and
// the production shape the spec asks for.
func instanceSet(ds spec.DittoServer) pgv2.PGInstanceSetSpec {
	p := ds.Spec.Percona
	set := pgv2.PGInstanceSetSpec{
		Name:                      ds.InstanceSetName(),
		Replicas:                  p.Replicas,
		DataVolumeClaimSpec:       volumeClaimSpec(p.StorageSize, p.StorageClassName),
		Affinity:                  instanceAffinity(ds),
		TopologySpreadConstraints: p.TopologySpreadConstraints,
		Tolerations:               p.Tolerations,
		PriorityClassName:         p.PriorityClassName,
	}
	if p.Resources != nil {
		set.Resources = *p.Resources
	}
	return set
}

// instanceAffinity is the user's affinity, else, with more than one
// instance, a preferred anti-affinity across nodes (Percona's cr.yaml, with
// the cluster's own label added so two clusters in a namespace do not repel
// each other); and the node selector as a required node affinity, since
// instance sets have no nodeSelector.
func instanceAffinity(ds spec.DittoServer) *corev1.Affinity {
	p := ds.Spec.Percona
	var a *corev1.Affinity
	switch {
	case p.Affinity != nil:
		a = p.Affinity.DeepCopy()
	case *p.Replicas > 1:
		a = preferDistinctNodes(map[string]string{labelPerconaCluster: ds.PerconaClusterName(), labelPerconaData: "postgres"})
	}
	return withNodeSelector(a, p.NodeSelector)
}

// preferDistinctNodes: pods matching labels prefer nodes that run none of
// them yet.
func preferDistinctNodes(labels map[string]string) *corev1.Affinity {
	return &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		PreferredDuringSchedulingIgnoredDuringExecution: []corev1.WeightedPodAffinityTerm{{
			Weight: 1,
			PodAffinityTerm: corev1.PodAffinityTerm{
				LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
				TopologyKey:   hostnameTopology,
			},
		}},
	}}
}

// withNodeSelector adds sel to a's required node affinity: to every term
// (terms are ORed, and the selector must hold whichever matches), or as the
// one term. Keys are sorted, so the result does not depend on map order.
func withNodeSelector(a *corev1.Affinity, sel map[string]string) *corev1.Affinity {
	if len(sel) == 0 {
		return a
	}
	keys := make([]string, 0, len(sel))
	for k := range sel {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	exprs := make([]corev1.NodeSelectorRequirement, 0, len(keys))
	for _, k := range keys {
		exprs = append(exprs, corev1.NodeSelectorRequirement{Key: k, Operator: corev1.NodeSelectorOpIn, Values: []string{sel[k]}})
	}
	if a == nil {
		a = &corev1.Affinity{}
	}
	if a.NodeAffinity == nil {
		a.NodeAffinity = &corev1.NodeAffinity{}
	}
	req := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution
	if req == nil || len(req.NodeSelectorTerms) == 0 {
		a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: exprs}},
		}
		return a
	}
	for i := range req.NodeSelectorTerms {
		req.NodeSelectorTerms[i].MatchExpressions = append(req.NodeSelectorTerms[i].MatchExpressions, exprs...)
	}
	return a
}

// patroni passes the PostgreSQL parameters to Patroni's dynamic
// configuration, or nil when there are none. Integers stay numbers and
// strings strings, as a user writes them in postgresql.conf.
func patroni(ds spec.DittoServer) *crunchyv1beta1.PatroniSpec {
	pg := ds.Spec.Percona.PostgreSQL
	if pg == nil || len(pg.Parameters) == 0 {
		return nil
	}
	params := make(map[string]any, len(pg.Parameters))
	for name, v := range pg.Parameters {
		if v.Type == intstr.Int {
			params[name] = int64(v.IntVal)
		} else {
			params[name] = v.StrVal
		}
	}
	return &crunchyv1beta1.PatroniSpec{DynamicConfiguration: crunchyv1beta1.SchemalessObject{
		"postgresql": map[string]any{"parameters": params},
	}}
}

// repoHost shapes pgBackRest's repository host, or nil for the operator's
// default.
func repoHost(ds spec.DittoServer) *crunchyv1beta1.PGBackRestRepoHost {
	r := ds.Spec.Percona.RepoHost
	if r == nil || r.Resources == nil {
		return nil
	}
	return &crunchyv1beta1.PGBackRestRepoHost{Resources: *r.Resources}
}

// proxy is the PgBouncer in front of the primary, or nil. The image is the
// Input's (operator 2.9.0 has no default and stalls the cluster without
// one); the pool mode is pinned to session (PGBouncerPoolMode).
func proxy(ds spec.DittoServer, in v1beta1.Input) *pgv2.PGProxySpec {
	if !ds.PGBouncerEnabled() {
		return nil
	}
	b := ds.Spec.Percona.Proxy.PGBouncer
	pgb := &pgv2.PGBouncerSpec{
		Image:    in.Images.PGBouncer,
		Replicas: b.Replicas,
		Config:   crunchyv1beta1.PGBouncerConfiguration{Global: map[string]string{"pool_mode": PGBouncerPoolMode, "default_pool_size": pgBouncerPoolSize}},
	}
	if *b.Replicas > 1 {
		pgb.Affinity = preferDistinctNodes(map[string]string{labelPerconaCluster: ds.PerconaClusterName(), labelPerconaRole: "pgbouncer"})
	}
	if b.Resources != nil {
		pgb.Resources = *b.Resources
	}
	return &pgv2.PGProxySpec{PGBouncer: pgb}
}
