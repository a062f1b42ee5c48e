// Package v1beta1 contains the input type for function-dittofs: what a
// platform team pins per Composition step.
//
// +kubebuilder:object:generate=true
// +groupName=dittofs.fn.crossplane.io
// +versionName=v1beta1
package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Input pins the images and versions function-dittofs composes with, and the
// defaults a DittoServer inherits. Every field has a default, so an empty
// Input is valid: the images certified for Percona operator 2.9.0 and
// DittoFS v0.29.0.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:categories=crossplane
type Input struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Images the function composes with.
	// +optional
	Images Images `json:"images,omitempty"`

	// CRVersion of the PerconaPGCluster: the Percona operator version the
	// cluster is managed as. Bump it together with the images, one operator
	// minor at a time. This release of the function composes for operator
	// 2.9.x and refuses a crVersion outside >= 2.9.0, < 2.10.0.
	// +kubebuilder:default="2.9.0"
	// +kubebuilder:validation:Pattern=`^[0-9]+\.[0-9]+\.[0-9]+$`
	// +optional
	CRVersion string `json:"crVersion,omitempty"`

	// PostgresVersion is the PostgreSQL major version of a DittoServer that
	// does not choose one.
	// +kubebuilder:default=17
	// +kubebuilder:validation:Minimum=14
	// +kubebuilder:validation:Maximum=18
	// +optional
	PostgresVersion int32 `json:"postgresVersion,omitempty"`

	// ClusterDomain of the Kubernetes cluster, for the endpoints in the XR
	// status and the connection Secret.
	// +kubebuilder:default="cluster.local"
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`
	// +optional
	ClusterDomain string `json:"clusterDomain,omitempty"`

	// StorageClassName of volumes whose DittoServer names none. Empty means
	// the cluster's default storage class.
	// +optional
	StorageClassName string `json:"storageClassName,omitempty"`
}

// Images pins container images. Unset entries take the defaults.
type Images struct {
	// DittoFS server image.
	// +kubebuilder:default="docker.io/marmos91c/dittofs:v0.29.0"
	// +kubebuilder:validation:MinLength=1
	// +optional
	DittoFS string `json:"dittofs,omitempty"`

	// Postgres maps a PostgreSQL major version ("14".."18") to its Percona
	// Distribution for PostgreSQL image. Entries given here replace the
	// default for their major; the others keep theirs. Each image's tag must
	// start with its key's major (e.g. "17": ...:17.9-1).
	// +optional
	Postgres map[string]string `json:"postgres,omitempty"`

	// PGBackRest image, the same for every PostgreSQL major.
	// +kubebuilder:default="docker.io/percona/percona-pgbackrest:2.58.0-1"
	// +kubebuilder:validation:MinLength=1
	// +optional
	PGBackRest string `json:"pgBackRest,omitempty"`

	// PGBouncer image, the same for every PostgreSQL major.
	// +kubebuilder:default="docker.io/percona/percona-pgbouncer:1.25.1-1"
	// +kubebuilder:validation:MinLength=1
	// +optional
	PGBouncer string `json:"pgBouncer,omitempty"`

	// Reconciler is the image of the container that applies a DittoServer's
	// spec.fileService beside DittoFS: it runs /reconciler (cmd/reconciler).
	// The default is this release's own function package image, which holds
	// /reconciler beside /function, so the function and the reconciler it
	// composes are one version. Pin a mirror of that image here; there is no
	// value that turns the reconciler off (a declared file service is always
	// applied: refuse spec.fileService with an admission policy instead).
	// +kubebuilder:default="ghcr.io/dittofs/function-dittofs:v0.1.0"
	// +kubebuilder:validation:MinLength=1
	// +optional
	Reconciler string `json:"reconciler,omitempty"`

	// DatabaseWait is the image of the init container that waits until the
	// DittoFS pod can log in to its database; it needs psql. Empty means the
	// PostgreSQL image of the cluster's major version.
	// +optional
	DatabaseWait string `json:"databaseWait,omitempty"`
}
