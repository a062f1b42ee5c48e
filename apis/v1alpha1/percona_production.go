package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// PerconaRepoHostSpec shapes the pgBackRest repository host the Percona
// operator runs while backups are on.
type PerconaRepoHostSpec struct {
	// Resources of the repository host's pgBackRest container. A change
	// rolls the repository host.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
}

// PerconaPostgreSQLSpec configures the PostgreSQL server.
type PerconaPostgreSQLSpec struct {
	// Parameters of PostgreSQL, passed through to Patroni's dynamic
	// configuration (postgresql.parameters): reloadable ones apply in
	// place, the others restart the instances (the operator restarts the
	// primary first, then the replicas). Names are lower case. Quote values
	// that are neither integers nor plain words ("0.9", "on"). Parameters
	// that would break archiving, replication, TLS or the operator's
	// control are refused by name (see the README).
	// +kubebuilder:validation:MaxProperties=50
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-z][a-z0-9_]*([.][a-z0-9_]+)*$'))",message="spec.percona.postgresql.parameters: names are lower-case PostgreSQL parameter names (letters, digits, _, and . for an extension's)"
	// +optional
	Parameters map[string]intstr.IntOrString `json:"parameters,omitempty"`
}

// PerconaProxySpec puts a connection pooler in front of PostgreSQL.
type PerconaProxySpec struct {
	// PGBouncer in front of the primary.
	// +optional
	PGBouncer *PerconaPGBouncerSpec `json:"pgBouncer,omitempty"`
}

// PerconaPGBouncerSpec runs PgBouncer in front of the primary, in session
// pooling mode. With it on, DittoFS connects through it (the
// pgbouncer-host and pgbouncer-port of the Percona user Secret), over TLS
// verified against the cluster's CA.
type PerconaPGBouncerSpec struct {
	// Enabled runs PgBouncer and points DittoFS at it.
	// +kubebuilder:default=false
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// Replicas of PgBouncer. With more than one they prefer distinct nodes.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=5
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Resources of the PgBouncer container.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`
}
