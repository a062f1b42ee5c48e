package fn

import (
	"encoding/json"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"

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
// only the fields the builder set. Each JSON encoding of Kubernetes types
// adds noise of its own: the SDK's (encoding/json v2) keeps omitempty zero
// numbers and false booleans (nodePort: 0 would make Kubernetes reallocate
// a Service's node port on every apply), encoding/json v1 keeps omitempty
// empty structs (status: {}). A field is kept only when both keep it.
func toComposed(obj runtime.Object) (*composed.Unstructured, error) {
	v2, err := composed.From(obj)
	if err != nil {
		return nil, err
	}
	v1, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("cannot convert %T: %w", obj, err)
	}
	v2.Object = intersect(v2.Object, v1).(map[string]any)
	return v2, nil
}

// intersect keeps a's values at the paths b has too. An object that loses
// every field this way was only noise, and goes too.
func intersect(a, b any) any {
	switch am := a.(type) {
	case map[string]any:
		bm, ok := b.(map[string]any)
		if !ok {
			return a
		}
		out := make(map[string]any, len(am))
		for k, v := range am {
			bv, ok := bm[k]
			if !ok || bv == nil {
				continue
			}
			kept := intersect(v, bv)
			if m, isMap := kept.(map[string]any); isMap && len(m) == 0 && !isEmptyMap(v) {
				continue
			}
			out[k] = kept
		}
		return out
	case []any:
		bl, ok := b.([]any)
		if !ok || len(bl) != len(am) {
			return a
		}
		out := make([]any, len(am))
		for i := range am {
			out[i] = intersect(am[i], bl[i])
		}
		return out
	default:
		return a
	}
}

func isEmptyMap(v any) bool {
	m, ok := v.(map[string]any)
	return ok && len(m) == 0
}
