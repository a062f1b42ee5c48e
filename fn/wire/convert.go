package wire

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/crossplane/function-sdk-go/resource/composed"
)

// kindOf looks the object's kind up in composed.Scheme, where scheme.go
// registers every kind the builders return.
func kindOf(obj runtime.Object) (schema.GroupVersionKind, error) {
	gvks, _, err := composed.Scheme.ObjectKinds(obj)
	if err != nil || len(gvks) == 0 {
		return schema.GroupVersionKind{}, fmt.Errorf("%T is not in composed.Scheme: %w", obj, err)
	}
	return gvks[0], nil
}
