// Command xrdcheck checks the files under apis/ and package/ the way a
// cluster would, without one: it decodes each strictly into Crossplane's own
// Go types, turns each XRD into the CRDs Crossplane would create (XR and
// claim) with Crossplane's xcrd, and validates those with the Kubernetes API
// server's CRD validation, which compiles every CEL rule and enforces the CEL
// cost limits. It is a module of its own so the function's go.mod does not
// carry k8s.io/apiserver. Run it from the repository root:
//
//	(cd hack/xrdcheck && go run . ../..)
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/crossplane/crossplane-runtime/v2/pkg/xcrd"
	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	xv2 "github.com/crossplane/crossplane/apis/v2/apiextensions/v2"
	metapkg "github.com/crossplane/crossplane/apis/v2/pkg/meta/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	"sigs.k8s.io/yaml"
)

func main() {
	root := "."
	if len(os.Args) > 1 {
		root = os.Args[1]
	}
	files := []struct {
		path string
		into any
	}{
		{"apis/configuration/definition.yaml", &xv2.CompositeResourceDefinition{}},
		{"apis/configuration/composition.yaml", &xv1.Composition{}},
		{"apis/configuration/crossplane.yaml", &metapkg.Configuration{}},
		{"apis/legacy/definition.yaml", &xv1.CompositeResourceDefinition{}},
		{"apis/legacy/composition.yaml", &xv1.Composition{}},
		{"apis/legacy/crossplane.yaml", &metapkg.Configuration{}},
		{"package/crossplane.yaml", &metapkg.Function{}},
	}
	failed := false
	for _, f := range files {
		errs := check(filepath.Join(root, f.path), f.into)
		for _, err := range errs {
			fmt.Printf("%s: %v\n", f.path, err)
		}
		if len(errs) > 0 {
			failed = true
			continue
		}
		fmt.Printf("%s: ok\n", f.path)
	}
	if failed {
		os.Exit(1)
	}
}

func check(path string, into any) []error {
	b, err := os.ReadFile(path)
	if err != nil {
		return []error{err}
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		return []error{err}
	}
	if _, ok := into.(*xv2.CompositeResourceDefinition); !ok {
		if _, ok := into.(*xv1.CompositeResourceDefinition); !ok {
			return nil
		}
	}
	xrd, err := decodeXRD(b)
	if err != nil {
		return []error{err}
	}
	crds, err := compositeCRDs(xrd)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, c := range crds {
		errs = append(errs, validate(c.what, c.crd)...)
	}
	return errs
}

// decodeXRD reads an XRD of either API version as v1: Crossplane serves v2
// XRDs converted to v1, its storage version, and the fields xcrd reads are
// the same in both.
func decodeXRD(b []byte) (*xv1.CompositeResourceDefinition, error) {
	var xrd xv1.CompositeResourceDefinition
	if err := yaml.Unmarshal(b, &xrd); err != nil {
		return nil, err
	}
	return &xrd, nil
}

// compositeCRD is one CRD Crossplane creates for an XRD.
type compositeCRD struct {
	what string // "XR" or "claim"
	crd  *extv1.CustomResourceDefinition
}

// compositeCRDs returns the CRDs Crossplane creates for xrd, with its own
// xcrd: the XR's and, when the XRD offers a claim, the claim's.
func compositeCRDs(xrd *xv1.CompositeResourceDefinition) ([]compositeCRD, error) {
	crd, err := xcrd.ForCompositeResource(xrd)
	if err != nil {
		return nil, err
	}
	crds := []compositeCRD{{"XR", crd}}
	if xrd.Spec.ClaimNames != nil {
		claim, err := xcrd.ForCompositeResourceClaim(xrd)
		if err != nil {
			return nil, err
		}
		crds = append(crds, compositeCRD{"claim", claim})
	}
	return crds, nil
}

// validate runs the API server's CRD validation, after filling in what the
// API server and Crossplane would set on create.
func validate(what string, crd *extv1.CustomResourceDefinition) []error {
	for i := range crd.OwnerReferences {
		crd.OwnerReferences[i].UID = "xrd-uid"
	}
	if crd.Spec.Names.ListKind == "" {
		crd.Spec.Names.ListKind = crd.Spec.Names.Kind + "List"
	}
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			crd.Status.StoredVersions = append(crd.Status.StoredVersions, v.Name)
		}
	}
	var internal apiextensions.CustomResourceDefinition
	if err := extv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(crd, &internal, nil); err != nil {
		return []error{err}
	}
	var errs []error
	for _, e := range validation.ValidateCustomResourceDefinition(context.Background(), &internal) {
		errs = append(errs, fmt.Errorf("%s CRD %s: %w", what, crd.Name, e))
	}
	return errs
}
