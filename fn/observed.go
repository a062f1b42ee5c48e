package fn

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crossplane/function-sdk-go/resource"

	"github.com/dittofs/function-dittofs/fn/wire"
)

// unreadableObservedError is an observed composed object the function cannot
// decode. Every guard compares the spec with what runs, so composing over an
// object it cannot read would pass any change unchecked: the whole call
// fails and Crossplane applies nothing.
type unreadableObservedError struct {
	Kind, Namespace, Name string
	Key                   resource.Name
	// At is the path of the first field that does not decode.
	At  string
	Err error
}

func (u unreadableObservedError) Error() string {
	return fmt.Sprintf("cannot read the observed %s %s/%s (composed resource %s): %s does not decode (%v). "+
		"The function checks every spec change against it, so nothing was applied; repair %s of the %s (kubectl edit) to a valid value",
		u.Kind, u.Namespace, u.Name, u.Key, u.At, u.Err, u.At, u.Kind)
}

// observedTyped decodes the given paths of the observed object under key
// into a new T, or returns nil when nothing is observed there. One that does
// not decode is an error naming the first path that does not: the guards
// cannot check a change against it.
func observedTyped[T any](c *composer, key resource.Name, kind string, paths [][]string) (*T, error) {
	r := c.req.GetObserved().GetResources()[string(key)].GetResource()
	if r == nil {
		return nil, nil //nolint:nilnil // nothing observed is not an error.
	}
	// The fast path, straight from the proto; it says when it cannot give
	// what the converter below gives, and the converter decides.
	if fast := new(T); wire.DecodePicked(r, fast, paths...) {
		return fast, nil
	}
	fields := wire.PickProto(r, paths...)
	into := new(T)
	err := runtime.DefaultUnstructuredConverter.FromUnstructured(fields, into)
	if err == nil {
		return into, nil
	}
	u := unreadableObservedError{Kind: kind, Key: key, At: "the object", Err: err}
	for _, p := range paths {
		one := wire.PickPath(fields, p)
		if one == nil {
			continue
		}
		if perr := runtime.DefaultUnstructuredConverter.FromUnstructured(one, new(T)); perr != nil {
			u.At, u.Err = strings.Join(p, "."), perr
			break
		}
	}
	meta := c.observedFields(key, []string{"metadata", "name"}, []string{"metadata", "namespace"})["metadata"]
	if m, ok := meta.(map[string]any); ok {
		u.Name, _ = m["name"].(string)
		u.Namespace, _ = m["namespace"].(string)
	}
	return nil, u
}
