// Package v1alpha1 holds the DittoServer XR API as Go types: the one source of
// truth for the function's typed view of an XR and, through controller-gen and
// hack/genxrd, for the OpenAPI schema of both XRDs under apis/.
//
// The group, version, kind and field names are the DittoFS operator's, so a
// DittoServer written for the operator works here with little or no change.
//
// +kubebuilder:object:generate=false
// +groupName=dittofs.dittofs.com
// +versionName=v1alpha1
package v1alpha1
