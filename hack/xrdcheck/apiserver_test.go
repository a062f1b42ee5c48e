package main

// The helpers of this package's tests: the XRDs as the API server serves
// the CRDs Crossplane makes of them, with the API server's own code for
// each step of a create or an update (pruning, defaulting, the REST
// strategy's validation: OpenAPI schema, embedded metadata, list types and
// CEL, with ratcheting on update), so the tests check what a cluster would
// do rather than a reimplementation of it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	xv1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured/unstructuredscheme"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// The XRDs under test, relative to this module.
var xrdFiles = []string{
	"../../apis/configuration/definition.yaml",
	"../../apis/legacy/definition.yaml",
}

// caseNamespace is the namespace of every namespaced test object.
const caseNamespace = "default"

// testXRD is one XRD: its own schema (as generated from the Go types) and
// the CRD versions the API server serves for it.
type testXRD struct {
	file string
	// schema is the XRD's openAPIV3Schema of its one version, structural.
	schema *structuralschema.Structural
	served []*servedCRD
}

// loadXRDs reads every XRD under test.
func loadXRDs(t *testing.T) []testXRD {
	t.Helper()
	var out []testXRD
	for _, f := range xrdFiles {
		x, err := loadXRD(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, x)
	}
	return out
}

func loadXRD(file string) (testXRD, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return testXRD{}, err
	}
	xrd, err := decodeXRD(b)
	if err != nil {
		return testXRD{}, err
	}
	if len(xrd.Spec.Versions) != 1 {
		return testXRD{}, fmt.Errorf("has %d versions; the tests expect one", len(xrd.Spec.Versions))
	}
	s, err := xrdSchema(xrd.Spec.Versions[0])
	if err != nil {
		return testXRD{}, err
	}
	crds, err := compositeCRDs(xrd)
	if err != nil {
		return testXRD{}, err
	}
	x := testXRD{file: filepath.Base(filepath.Dir(file)) + "/" + filepath.Base(file), schema: s}
	for _, c := range crds {
		served, err := serve(c.what, c.crd)
		if err != nil {
			return testXRD{}, fmt.Errorf("%s CRD %s: %w", c.what, c.crd.Name, err)
		}
		x.served = append(x.served, served...)
	}
	return x, nil
}

// xrdSchema is the openAPIV3Schema of an XRD version, as a structural schema.
func xrdSchema(v xv1.CompositeResourceDefinitionVersion) (*structuralschema.Structural, error) {
	if v.Schema == nil {
		return nil, errors.New("version has no schema")
	}
	var props extv1.JSONSchemaProps
	if err := json.Unmarshal(v.Schema.OpenAPIV3Schema.Raw, &props); err != nil {
		return nil, err
	}
	return structural(&props)
}

// structural converts a v1 schema to a structural one, as the API server does.
func structural(props *extv1.JSONSchemaProps) (*structuralschema.Structural, error) {
	var internal apiextensions.JSONSchemaProps
	if err := extv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(props, &internal, nil); err != nil {
		return nil, err
	}
	return structuralschema.NewStructural(&internal)
}

// servedCRD is one version of a CRD as the API server serves it.
type servedCRD struct {
	name       string // what it is, for test names: "XR dittoservers.dittofs.dittofs.com/v1alpha1"
	gvk        schema.GroupVersionKind
	namespaced bool
	// structural is the version's schema with its defaults pruned, as the
	// API server prunes, defaults and validates with.
	structural *structuralschema.Structural
	strategy   crStrategy
}

// crStrategy is what the API server's REST handler calls on the custom
// resource strategy for a create and an update.
type crStrategy interface {
	rest.RESTCreateStrategy
	rest.RESTUpdateStrategy
}

// serve builds, for every version of crd, what the API server's CRD
// handler (apiextensions-apiserver's crdHandler.getOrCreateServingInfoFor)
// builds to serve it.
func serve(what string, crd *extv1.CustomResourceDefinition) ([]*servedCRD, error) {
	var out []*servedCRD
	for _, v := range crd.Spec.Versions {
		if v.Schema == nil {
			return nil, fmt.Errorf("version %s has no schema", v.Name)
		}
		var internal apiextensions.CustomResourceValidation
		if err := extv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(v.Schema, &internal, nil); err != nil {
			return nil, err
		}
		s, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
		if err != nil {
			return nil, err
		}
		s = s.DeepCopy()
		if err := structuraldefaulting.PruneDefaults(s); err != nil {
			return nil, err
		}
		validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
		if err != nil {
			return nil, err
		}
		status, statusValidator, scale, err := subresources(v, internal.OpenAPIV3Schema)
		if err != nil {
			return nil, err
		}
		gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: v.Name, Kind: crd.Spec.Names.Kind}
		namespaced := crd.Spec.Scope == extv1.NamespaceScoped
		out = append(out, &servedCRD{
			name:       fmt.Sprintf("%s %s/%s", what, crd.Name, v.Name),
			gvk:        gvk,
			namespaced: namespaced,
			structural: s,
			strategy: customresource.NewStrategy(unstructuredscheme.NewUnstructuredObjectTyper(), namespaced, gvk,
				validator, statusValidator, s, status, scale, v.SelectableFields),
		})
	}
	return out, nil
}

// subresources converts a version's status and scale subresources, with the
// status schema's own validator, as the CRD handler does.
func subresources(v extv1.CustomResourceDefinitionVersion, props *apiextensions.JSONSchemaProps) (*apiextensions.CustomResourceSubresourceStatus, apiservervalidation.SchemaValidator, *apiextensions.CustomResourceSubresourceScale, error) {
	if v.Subresources == nil {
		return nil, nil, nil, nil
	}
	var status *apiextensions.CustomResourceSubresourceStatus
	var statusValidator apiservervalidation.SchemaValidator
	if v.Subresources.Status != nil {
		status = &apiextensions.CustomResourceSubresourceStatus{}
		if props != nil {
			if s, ok := props.Properties["status"]; ok {
				var err error
				if statusValidator, _, err = apiservervalidation.NewSchemaValidator(&s); err != nil {
					return nil, nil, nil, err
				}
			}
		}
	}
	var scale *apiextensions.CustomResourceSubresourceScale
	if v.Subresources.Scale != nil {
		scale = &apiextensions.CustomResourceSubresourceScale{}
		if err := extv1.Convert_v1_CustomResourceSubresourceScale_To_apiextensions_CustomResourceSubresourceScale(v.Subresources.Scale, scale, nil); err != nil {
			return nil, nil, nil, err
		}
	}
	return status, statusValidator, scale, nil
}

// object is a new object of this CRD with the given spec (deep-copied).
func (s *servedCRD) object(spec map[string]any) map[string]any {
	meta := map[string]any{"name": "case"}
	if s.namespaced {
		meta["namespace"] = caseNamespace
	}
	return map[string]any{
		"apiVersion": s.gvk.GroupVersion().String(),
		"kind":       s.gvk.Kind,
		"metadata":   meta,
		"spec":       runtime.DeepCopyJSONValue(spec),
	}
}

// decode does to obj what the API server's decoder does to a request body
// of this CRD: prune unknown fields and nulls, coerce metadata, then apply
// the schema's defaults.
func (s *servedCRD) decode(obj map[string]any) error {
	structuralpruning.Prune(obj, s.structural, true)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(obj, s.structural)
	if err := schemaobjectmeta.Coerce(nil, obj, s.structural, false, false); err != nil {
		return err
	}
	structuraldefaulting.Default(obj, s.structural)
	return nil
}

// create is a create of an object with this spec, as the API server does
// it: decode, then the REST handler's rest.BeforeCreate with the custom
// resource strategy. It returns the object as it would be stored, and the
// API server's answer.
func (s *servedCRD) create(spec map[string]any) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{Object: s.object(spec)}
	if err := s.decode(u.Object); err != nil {
		return nil, err
	}
	rest.FillObjectMetaSystemFields(u)
	return u, rest.BeforeCreate(s.strategy, s.context(), u)
}

// update is an update of the stored object old to one with this spec, as
// the API server does it: decode, then rest.BeforeUpdate.
func (s *servedCRD) update(old *unstructured.Unstructured, spec map[string]any) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{Object: s.object(spec)}
	if err := s.decode(u.Object); err != nil {
		return nil, err
	}
	// The stored object has the version etcd gave it, and an update sends
	// the version it read back (the API server requires one).
	old.SetResourceVersion("1")
	u.SetResourceVersion("1")
	return u, rest.BeforeUpdate(s.strategy, s.context(), u, old)
}

// context is a request context of this CRD's scope.
func (s *servedCRD) context() context.Context {
	if s.namespaced {
		return genericapirequest.WithNamespace(context.Background(), caseNamespace)
	}
	return genericapirequest.WithNamespace(context.Background(), "")
}

// cause is one reason the API server gives for refusing an object.
type cause struct {
	Field, Message string
}

// causes lists the reasons in the API server's answer err: the causes of an
// Invalid error, or the error itself.
func causes(err error) []cause {
	var status *apierrors.StatusError
	if errors.As(err, &status) && status.ErrStatus.Details != nil && len(status.ErrStatus.Details.Causes) > 0 {
		var out []cause
		for _, c := range status.ErrStatus.Details.Causes {
			out = append(out, cause{Field: c.Field, Message: c.Message})
		}
		return out
	}
	return []cause{{Message: err.Error()}}
}

// listIndex matches a list index or map key in a field path.
var listIndex = regexp.MustCompile(`\[[^\]]*\]`)

// schemaPath is a field path with every list index and map key as [*], the
// way schema paths name them.
func schemaPath(fieldPath string) string {
	return listIndex.ReplaceAllString(fieldPath, "[*]")
}

// rule is one x-kubernetes-validations rule and where it is in the schema.
type rule struct {
	// path of the object that carries the rule: "spec.percona.backup";
	// list items and map values are [*].
	path string
	extv1.ValidationRule
}

// oldSelf finds a transition rule: one that compares with the old object.
var oldSelf = regexp.MustCompile(`\boldSelf\b`)

// transition says whether the rule compares with the old object, so it also
// runs on updates.
func (r rule) transition() bool {
	return oldSelf.MatchString(r.Rule)
}

// errorField is the field path the API server names when the rule fails.
func (r rule) errorField() string {
	return r.path + r.FieldPath
}

// errorMessage is the message the API server gives when the rule fails, or
// "" when a messageExpression computes it.
func (r rule) errorMessage() string {
	switch {
	case r.Message != "":
		return strings.TrimSpace(r.Message)
	case r.MessageExpression != "":
		return ""
	default:
		return "failed rule: " + strings.TrimSpace(r.Rule)
	}
}

// rules lists every x-kubernetes-validations rule in s, in schema order.
func rules(s *structuralschema.Structural) []rule {
	var out []rule
	walkSchema(s, "", func(path string, s *structuralschema.Structural) {
		for _, v := range s.XValidations {
			out = append(out, rule{path: path, ValidationRule: v})
		}
	})
	return out
}

// walkSchema calls f on s and every schema under it, with its path.
func walkSchema(s *structuralschema.Structural, path string, f func(path string, s *structuralschema.Structural)) {
	if s == nil {
		return
	}
	f(path, s)
	for _, name := range sortedKeys(s.Properties) {
		p := s.Properties[name]
		walkSchema(&p, joinPath(path, name), f)
	}
	walkSchema(s.Items, path+"[*]", f)
	if s.AdditionalProperties != nil {
		walkSchema(s.AdditionalProperties.Structural, path+"[*]", f)
	}
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// lookup is the value at a dotted path (no list indices) in obj, if any;
// "" is obj itself.
func lookup(obj map[string]any, path string) (any, bool) {
	var v any = obj
	if path == "" {
		return v, true
	}
	for _, name := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[name]; !ok {
			return nil, false
		}
	}
	return v, true
}
