package spec

import (
	"encoding/json"

	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/crossplane/function-sdk-go/errors"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// Labels Crossplane puts on a legacy XR that a claim created.
const (
	labelClaimName      = "crossplane.io/claim-name"
	labelClaimNamespace = "crossplane.io/claim-namespace"
)

// DittoServer is the typed view of the observed XR that every builder works
// from: who it is, where its objects go, and its spec with defaults applied.
type DittoServer struct {
	// Kind of the XR: DittoServer, or XDittoServer behind a claim.
	Kind string
	// Name of the XR; composed objects are named after it.
	Name string
	// Namespace the namespaced composed objects go to: the XR's own for a
	// namespaced XR, the claim's (or spec.namespace) for a legacy one.
	Namespace string
	// UID of the XR, to make the pgBackRest repo path unique per XR.
	UID string
	// Legacy is a cluster-scoped XR of the v1 (LegacyCluster) XRD, usually
	// created by a claim. Crossplane writes its connection details to the
	// claim's Secret; a modern XR gets a composed connection Secret instead.
	Legacy bool
	// ClaimName is the claim's name for a legacy XR from a claim.
	ClaimName string
	// Spec with defaults applied.
	Spec v1alpha1.DittoServerSpec
	// Written says which binding fields the user wrote (see binding.go).
	Written writtenSpec
	// InstanceSet is the observed Percona cluster's instance set name, or ""
	// for a new cluster (see instanceSetName).
	InstanceSet string
}

// legacyKind is the XR kind of the legacy (v1, LegacyCluster) XRD; the
// modern XRD's XR, and the legacy XRD's claim, are DittoServer. Both XRDs
// serve dittofs.dittofs.com/v1alpha1, so the kind alone tells them apart.
const legacyKind = "XDittoServer"

const errReadSpec = "cannot read spec"

func isLegacyKind(kind string) bool { return kind == legacyKind }

// validateNamespace: every composed namespaced object goes to ds.Namespace.
func validateNamespace(ds DittoServer) field.ErrorList {
	if ds.Namespace != "" {
		return nil
	}
	if ds.Legacy {
		return field.ErrorList{field.Required(field.NewPath(LegacyNamespaceField), "a cluster-scoped XDittoServer without a claim must name the namespace its objects go to")}
	}
	return field.ErrorList{field.Required(field.NewPath("metadata", "namespace"), "a DittoServer is namespaced and its objects go to its namespace: set metadata.namespace (kubectl apply -n fills it in; crossplane render takes it only from the XR file)")}
}

// LegacyNamespaceField is the legacy XRD's field naming the namespace of a
// cluster-scoped XR that has no claim.
const LegacyNamespaceField = "spec.namespace"

// Parse reads the observed XR straight from the request: its
// metadata, and its spec from the spec's own JSON, decoded once into the
// typed spec. Unknown spec fields are ignored: Crossplane adds its own
// machinery under spec (spec.crossplane on modern XRs; claimRef,
// compositionRef, resourceRefs on legacy ones).
func Parse(xr *structpb.Struct, in v1beta1.Input) (DittoServer, error) {
	u := unstructured.Unstructured{Object: identity(xr)}
	ds := DittoServer{Kind: u.GetKind(), Name: u.GetName(), UID: string(u.GetUID())}

	spec := xr.GetFields()["spec"]
	if spec != nil {
		raw, err := appendJSON(nil, spec)
		if err != nil {
			return ds, errors.Wrap(err, errReadSpec)
		}
		if err := json.Unmarshal(raw, &ds.Spec); err != nil {
			return ds, specTypeError(err)
		}
	}
	ds.Written = writtenFields(ds.Spec)
	ds.Spec = WithDefaults(ds.Spec, in)

	// Which XRD the XR is of decides where its objects go, never a missing
	// namespace: a namespaced DittoServer without one is an error of its
	// own (validateNamespace), not a legacy XR.
	ds.Legacy = isLegacyKind(ds.Kind)
	if !ds.Legacy {
		ds.Namespace = u.GetNamespace()
		return ds, nil
	}
	ds.ClaimName = u.GetLabels()[labelClaimName]
	ds.Namespace = u.GetLabels()[labelClaimNamespace]
	if ds.Namespace == "" {
		ds.Namespace = spec.GetStructValue().GetFields()["namespace"].GetStringValue()
	}
	return ds, nil
}

// specTypeError names the field of a spec value of the wrong type.
func specTypeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return errors.Errorf("spec: must be an object, not a %s", te.Value)
		}
		return errors.Errorf("spec.%s: must be a %s, not a %s", te.Field, te.Type, te.Value)
	}
	return errors.Wrap(err, "spec")
}

// identity is the XR's apiVersion, kind and metadata, decoded from the proto
// without its spec and status.
func identity(xr *structpb.Struct) map[string]any {
	out := make(map[string]any, 3)
	for _, k := range []string{"apiVersion", "kind", "metadata"} {
		if v, ok := xr.GetFields()[k]; ok {
			out[k] = v.AsInterface()
		}
	}
	return out
}
