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

// decodeObserved decodes the fields read of the observed object under key
// into into. On failure it names the first path that does not decode.
func (c *composer) decodeObserved(key resource.Name, kind string, fields map[string]any, paths [][]string, into any, fresh func() any) error {
	err := runtime.DefaultUnstructuredConverter.FromUnstructured(fields, into)
	if err == nil {
		return nil
	}
	u := unreadableObservedError{Kind: kind, Key: key, At: "the object", Err: err}
	for _, p := range paths {
		one := wire.PickPath(fields, p)
		if one == nil {
			continue
		}
		if perr := runtime.DefaultUnstructuredConverter.FromUnstructured(one, fresh()); perr != nil {
			u.At, u.Err = strings.Join(p, "."), perr
			break
		}
	}
	meta := c.observedFields(key, []string{"metadata", "name"}, []string{"metadata", "namespace"})["metadata"]
	if m, ok := meta.(map[string]any); ok {
		u.Name, _ = m["name"].(string)
		u.Namespace, _ = m["namespace"].(string)
	}
	return u
}
