package fn

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/apis/v1alpha1"
	"github.com/dittofs/function-dittofs/input/v1beta1"
)

// Labels Crossplane puts on a legacy XR that a claim created.
const (
	labelClaimName      = "crossplane.io/claim-name"
	labelClaimNamespace = "crossplane.io/claim-namespace"
)

// dittoServer is the typed view of the observed XR that every builder works
// from: who it is, where its objects go, and its spec with defaults applied.
type dittoServer struct {
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
}

// legacyNamespaceField is the legacy XRD's field naming the namespace of a
// cluster-scoped XR that has no claim.
const legacyNamespaceField = "spec.namespace"

// parseDittoServer reads the observed XR. Unknown spec fields are ignored:
// Crossplane adds its own machinery under spec (spec.crossplane on modern XRs;
// claimRef, compositionRef, resourceRefs on legacy ones).
func parseDittoServer(xr *resource.Composite, in v1beta1.Input) (dittoServer, error) {
	u := xr.Resource
	ds := dittoServer{Name: u.GetName(), UID: string(u.GetUID())}

	raw, err := json.Marshal(u.Object["spec"])
	if err != nil {
		return ds, fmt.Errorf("cannot read spec: %w", err)
	}
	if err := json.Unmarshal(raw, &ds.Spec); err != nil {
		return ds, specTypeError(err)
	}
	ds.Spec = withSpecDefaults(ds.Spec, in)

	ds.Namespace = u.GetNamespace()
	if ds.Namespace != "" {
		return ds, nil
	}
	ds.Legacy = true
	ds.ClaimName = u.GetLabels()[labelClaimName]
	ds.Namespace = u.GetLabels()[labelClaimNamespace]
	if ds.Namespace == "" {
		spec, _ := u.Object["spec"].(map[string]any)
		ds.Namespace, _ = spec["namespace"].(string)
	}
	return ds, nil
}

// specTypeError names the field of a spec value of the wrong type.
func specTypeError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return fmt.Errorf("spec: must be an object, not a %s", te.Value)
		}
		return fmt.Errorf("spec.%s: must be a %s, not a %s", te.Field, te.Type, te.Value)
	}
	return fmt.Errorf("spec: %w", err)
}
