package fn

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/crossplane/function-sdk-go/resource/composed"
)

// runtimeFromUnstructured decodes an unstructured object into a typed one
// through JSON: apimachinery's unstructured converter rejects some of the
// Percona types ("unrecognized type: string" on spec.backups).
func runtimeFromUnstructured(obj map[string]any, into any) error {
	b, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, into)
}

// toComposed turns a typed object into what Crossplane applies, asserting
// only the fields the builder set. apimachinery's converter follows
// encoding/json: it drops omitempty zero numbers and false booleans (the
// SDK's composed.From keeps them, and nodePort: 0 would make Kubernetes
// reallocate a Service's node port on every apply). What it keeps as noise,
// nulls and the empty objects of unset struct fields (status: {},
// resources: {}), is pruned. No builder composes an object whose meaning is
// "empty" (an emptyDir volume, a select-all selector), so every empty object
// is noise here.
func toComposed(obj runtime.Object) (*composed.Unstructured, error) {
	gvk, err := kindOf(obj)
	if err != nil {
		return nil, err
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("cannot convert %T: %w", obj, err)
	}
	delete(m, "status")
	pruneEmpty(m)
	u := composed.New()
	u.Object = m
	u.SetGroupVersionKind(gvk)
	return u, nil
}

// kindOf looks the object's kind up in composed.Scheme, where scheme.go
// registers every kind the builders return.
func kindOf(obj runtime.Object) (schema.GroupVersionKind, error) {
	gvks, _, err := composed.Scheme.ObjectKinds(obj)
	if err != nil || len(gvks) == 0 {
		return schema.GroupVersionKind{}, fmt.Errorf("%T is not in composed.Scheme: %w", obj, err)
	}
	return gvks[0], nil
}

// pruneEmpty removes nulls and empty objects from m, depth first, so an
// object left empty by its pruned children goes too. Empty lists are kept:
// the converter only emits them for lists the builder set.
func pruneEmpty(m map[string]any) {
	for k, v := range m {
		switch t := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			pruneEmpty(t)
			if len(t) == 0 {
				delete(m, k)
			}
		case []any:
			for _, e := range t {
				if em, ok := e.(map[string]any); ok {
					pruneEmpty(em)
				}
			}
		}
	}
}
